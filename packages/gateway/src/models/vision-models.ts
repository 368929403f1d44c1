/**
 * Which models can see images. A model_list entry's `vision` says so explicitly; without it the
 * model's id is matched against families known to take image input (in December 2026), so the
 * common homelab configs (Mistral Small, Gemini, GPT-4o, Llama 4 on Groq) need no extra key. An
 * unknown model counts as text-only: asked about a picture it would invent an answer.
 */
import type { ModelEntry } from '@picoclaw/core';

const KNOWN = /pixtral|mistral-(small|medium)|magistral-(small|medium)|gpt-4o|gpt-4\.1|gpt-5|(^|\/)o[34](-mini)?($|-)|gemini|gemma-?3|llama-4|llama-3\.2-(11|90)b-vision|vision|claude|qwen[\d.]*-?vl|llava|grok-4|minicpm-v|moondream/i;

export function seesImages(entry: Pick<ModelEntry, 'model'> & { vision?: boolean | undefined }): boolean {
  return entry.vision ?? KNOWN.test(entry.model);
}
