/**
 * What of MEMORY.md goes into the system prompt: its beginning, at most MEMORY_EXCERPT_CHARS, cut
 * at a line end, and one line saying where the rest is. PicoClaw inlines the whole file and the
 * last three daily notes, so the prompt grows with every note; here the rest is searched.
 */

export const MEMORY_EXCERPT_CHARS = 2_000;

/** `text` trimmed, or its first `limit` characters and a line that says the rest can be searched (when there is a memory tool). */
export function memoryExcerpt(text: string, options: { limit?: number; tool: boolean }): string | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  const limit = options.limit ?? MEMORY_EXCERPT_CHARS;
  if (trimmed.length <= limit) return trimmed;
  const lineEnd = trimmed.lastIndexOf('\n', limit);
  const cut = lineEnd > limit / 2 ? lineEnd : limit;
  const rest = trimmed.length - cut;
  return `${trimmed.slice(0, cut).trimEnd()}\n[… ${rest} more characters${options.tool ? ': the memory tool searches and reads them' : ''}]`;
}
