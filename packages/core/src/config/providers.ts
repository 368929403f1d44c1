/**
 * Model vendors known to the config: protocol id, aliases, default API base and wire format.
 * The config validates `model_list[].provider` (and a `vendor/` prefix of `model`) against this
 * table; the gateway's provider layer reads the same table, so the two never disagree.
 *
 * Unlike the reference, OpenCode Zen has a real id here (`opencode`), since the homelab uses it.
 */
import type { Config } from './schema.js';

export type ProviderWire = 'openai' | 'mistral' | 'gemini' | 'anthropic';

export interface ProviderInfo {
  readonly id: string;
  readonly aliases?: readonly string[];
  readonly apiBase: string;
  readonly wire: ProviderWire;
  /** Local servers (ollama, vllm, …) accept requests without an API key. */
  readonly keyOptional?: boolean;
  /**
   * PicoClaw has this provider, but not over a protocol this project speaks: a config naming it
   * loads, and the model says why it cannot answer (its status, the chat's error).
   */
  readonly unsupported?: string;
}

export const providers = [
  { id: 'mistral', apiBase: 'https://api.mistral.ai/v1', wire: 'mistral' },
  { id: 'openrouter', apiBase: 'https://openrouter.ai/api/v1', wire: 'openai' },
  { id: 'groq', apiBase: 'https://api.groq.com/openai/v1', wire: 'openai' },
  { id: 'gemini', aliases: ['google'], apiBase: 'https://generativelanguage.googleapis.com/v1beta/openai', wire: 'openai' },
  { id: 'opencode', aliases: ['opencode-zen', 'zen'], apiBase: 'https://opencode.ai/zen/v1', wire: 'openai' },
  { id: 'openai', aliases: ['gpt'], apiBase: 'https://api.openai.com/v1', wire: 'openai' },
  { id: 'anthropic', aliases: ['claude'], apiBase: 'https://api.anthropic.com/v1', wire: 'openai' },
  { id: 'deepseek', apiBase: 'https://api.deepseek.com/v1', wire: 'openai' },
  { id: 'cerebras', apiBase: 'https://api.cerebras.ai/v1', wire: 'openai' },
  { id: 'nvidia', apiBase: 'https://integrate.api.nvidia.com/v1', wire: 'openai' },
  { id: 'moonshot', apiBase: 'https://api.moonshot.cn/v1', wire: 'openai' },
  { id: 'zhipu', aliases: ['glm'], apiBase: 'https://open.bigmodel.cn/api/paas/v4', wire: 'openai' },
  { id: 'qwen-portal', aliases: ['qwen'], apiBase: 'https://dashscope.aliyuncs.com/compatible-mode/v1', wire: 'openai' },
  { id: 'siliconflow', apiBase: 'https://api.siliconflow.cn/v1', wire: 'openai' },
  { id: 'together', apiBase: 'https://api.together.xyz/v1', wire: 'openai' },
  { id: 'litellm', apiBase: 'http://localhost:4000/v1', wire: 'openai', keyOptional: true },
  { id: 'ollama', apiBase: 'http://localhost:11434/v1', wire: 'openai', keyOptional: true },
  { id: 'vllm', apiBase: 'http://localhost:8000/v1', wire: 'openai', keyOptional: true },
  { id: 'lmstudio', apiBase: 'http://localhost:1234/v1', wire: 'openai', keyOptional: true },
  // The rest of PicoClaw's provider list (its provider_metadata.go and earlier ids and aliases).
  { id: 'qwen-intl', aliases: ['dashscope-intl', 'qwen-international'], apiBase: 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1', wire: 'openai' },
  { id: 'qwen-us', aliases: ['dashscope-us'], apiBase: 'https://dashscope-us.aliyuncs.com/compatible-mode/v1', wire: 'openai' },
  { id: 'volcengine', aliases: ['doubao'], apiBase: 'https://ark.cn-beijing.volces.com/api/v3', wire: 'openai' },
  { id: 'venice', apiBase: 'https://api.venice.ai/api/v1', wire: 'openai' },
  { id: 'shengsuanyun', apiBase: 'https://router.shengsuanyun.com/api/v1', wire: 'openai' },
  { id: 'vivgrid', apiBase: 'https://api.vivgrid.com/v1', wire: 'openai' },
  { id: 'minimax', apiBase: 'https://api.minimaxi.com/v1', wire: 'openai' },
  { id: 'longcat', apiBase: 'https://api.longcat.chat/openai', wire: 'openai' },
  { id: 'modelscope', apiBase: 'https://api-inference.modelscope.cn/v1', wire: 'openai' },
  { id: 'mimo', apiBase: 'https://api.xiaomimimo.com/v1', wire: 'openai' },
  { id: 'avian', apiBase: 'https://api.avian.io/v1', wire: 'openai' },
  { id: 'zai', aliases: ['z-ai', 'z.ai'], apiBase: 'https://api.z.ai/api/coding/paas/v4', wire: 'openai' },
  { id: 'alibaba-coding', aliases: ['coding-plan', 'qwen-coding'], apiBase: 'https://coding-intl.dashscope.aliyuncs.com/v1', wire: 'openai' },
  { id: 'novita', apiBase: 'https://api.novita.ai/openai', wire: 'openai' },
  { id: 'gpt4free', aliases: ['g4f'], apiBase: 'http://localhost:1337/v1', wire: 'openai', keyOptional: true },
  { id: 'anthropic-messages', apiBase: 'https://api.anthropic.com/v1', wire: 'anthropic', unsupported: "Anthropic's native Messages API is not spoken here; use provider anthropic (its OpenAI-compatible endpoint)" },
  { id: 'alibaba-coding-anthropic', aliases: ['coding-plan-anthropic'], apiBase: 'https://coding-intl.dashscope.aliyuncs.com/apps/anthropic', wire: 'anthropic', unsupported: 'this Anthropic-compatible endpoint is not spoken here; use provider alibaba-coding (OpenAI-compatible)' },
  { id: 'azure', aliases: ['azure-openai'], apiBase: '', wire: 'openai', unsupported: "Azure OpenAI's deployment and api-version URLs are not supported here; point an openai model at an OpenAI-compatible gateway in front of it" },
  { id: 'bedrock', apiBase: '', wire: 'openai', keyOptional: true, unsupported: 'AWS Bedrock (SigV4 signing) is not supported here; use an OpenAI-compatible proxy such as LiteLLM (provider litellm)' },
  { id: 'github-copilot', aliases: ['copilot', 'github_copilot'], apiBase: 'localhost:4321', wire: 'openai', keyOptional: true, unsupported: 'the GitHub Copilot bridge is not supported here' },
  { id: 'antigravity', aliases: ['google-antigravity'], apiBase: '', wire: 'openai', keyOptional: true, unsupported: 'Google Antigravity (OAuth login) is not supported here; use provider gemini with an API key' },
  { id: 'claude-cli', aliases: ['claude-code', 'claudecli', 'claudecode'], apiBase: '', wire: 'openai', keyOptional: true, unsupported: 'running the claude command-line tool is not supported here' },
  { id: 'codex-cli', aliases: ['codex-code', 'codexcli'], apiBase: '', wire: 'openai', keyOptional: true, unsupported: 'running the codex command-line tool is not supported here' },
  { id: 'elevenlabs', apiBase: 'https://api.elevenlabs.io', wire: 'openai', unsupported: 'ElevenLabs is a speech provider (voice.model_name), not a chat model' },
] as const satisfies readonly ProviderInfo[];

export type ProviderId = (typeof providers)[number]['id'];

const byName = new Map<string, ProviderInfo>();
for (const p of providers as readonly ProviderInfo[]) {
  byName.set(p.id, p);
  for (const alias of p.aliases ?? []) byName.set(alias, p);
}

/** Looks up a provider by id or alias, case-insensitively; undefined when unknown. */
export function findProvider(name: string): ProviderInfo | undefined {
  return byName.get(name.trim().toLowerCase());
}

export const providerIds: readonly string[] = providers.map((p) => p.id);

export interface ModelTarget {
  provider: ProviderInfo;
  /** The model id sent on the wire. */
  modelId: string;
}

/**
 * Which provider serves a `model_list` entry, as the reference resolves it: an explicit `provider`
 * wins and `model` is sent verbatim; otherwise a known `vendor/` prefix of `model` names the
 * provider and is stripped; otherwise the whole string is an OpenAI-compatible model id.
 */
export function resolveModelTarget(entry: { provider?: string; model: string }): ModelTarget {
  if (entry.provider) {
    const provider = findProvider(entry.provider);
    if (provider) return { provider, modelId: entry.model };
  }
  const slash = entry.model.indexOf('/');
  if (slash > 0) {
    const provider = findProvider(entry.model.slice(0, slash));
    // OpenRouter ids are themselves vendor/model: keep the rest as written.
    if (provider) return { provider, modelId: entry.model.slice(slash + 1) };
  }
  return { provider: findProvider('openai')!, modelId: entry.model };
}

/** A raw `vendor/model` reference (not a model_list name) of a provider it can be sent to. */
export function isRawModelReference(ref: string): boolean {
  if (!ref.includes('/')) return false;
  return resolveModelTarget({ model: ref }).provider.id !== 'openai' || ref.startsWith('openai/');
}

/**
 * Why the default chain (`agents.defaults.model_name`, then `model_fallbacks`) has no model at
 * all, as a sentence naming what to set; undefined when it has one. The loader gives it as a
 * warning (so `picoclaw config validate` and the dashboard say it) and the gateway asks at start
 * and reload (readiness, /status, the chat's answer): both say the same thing. A model without its API key still counts: it is
 * configured, and its calls say what is wrong.
 */
export function defaultModelProblem(config: Config): string | undefined {
  const { model_name: primary, model_fallbacks: fallbacks } = config.agents.defaults;
  const entries = config.model_list;
  const usable = (ref: string) => entries.some((e) => e.model_name === ref && e.enabled) || (!entries.some((e) => e.model_name === ref) && isRawModelReference(ref));
  if ([primary, ...fallbacks].some((ref) => ref && usable(ref))) return undefined;
  const enabled = [...new Set(entries.filter((e) => e.enabled).map((e) => e.model_name))];
  const pick = enabled.length ? `set agents.defaults.model_name to one of: ${enabled.join(', ')}` : 'add a model to model_list and set agents.defaults.model_name to its model_name';
  if (!primary) return `no model is configured: ${pick}`;
  const listed = entries.some((e) => e.model_name === primary);
  const why = listed ? 'whose model_list entry is disabled' : primary.includes('/') ? 'which is neither in model_list nor a vendor/model of a known provider' : 'which is not in model_list';
  const fix = listed ? 'set "enabled": true on its model_list entry' : primary.includes('/') ? 'add it to model_list' : 'add it to model_list (for a bare model id, set agents.defaults.provider, e.g. "openai")';
  return `no usable model: agents.defaults.model_name is "${primary}", ${why}${fallbacks.length ? ', and none of agents.defaults.model_fallbacks is usable either' : ''}; ${fix}${enabled.length ? ` or ${pick}` : ''}`;
}
