/**
 * History kept fit to send: sanitised as the reference does (no stray tool messages, tool-call
 * blocks only when every call has its result), then trimmed by whole turns to the context window,
 * so a long conversation never fails a turn.
 */
import type { ChatMessage, ToolDefinition } from '../models/types.js';
import type { StoredMessage } from '../sessions/session-store.js';

/**
 * Strips storage-only fields. Images of earlier turns are not sent again (each would cost the
 * model hundreds of tokens every turn): their paths stay in the text as `[image: media/images/…]`
 * tags, PicoClaw's form, which `load_image` opens when the model needs to look again.
 */
export function toChatMessage(m: StoredMessage): ChatMessage {
  const content = m.media?.length ? `${m.content}${m.content ? '\n' : ''}${m.media.map((p) => `[image: ${p}]`).join('\n')}` : m.content;
  switch (m.role) {
    case 'assistant':
      return m.tool_calls?.length ? { role: 'assistant', content, tool_calls: m.tool_calls } : { role: 'assistant', content };
    case 'tool':
      return { role: 'tool', content, tool_call_id: m.tool_call_id, ...(m.name ? { name: m.name } : {}) };
    default:
      return { role: m.role, content };
  }
}

export function sanitizeHistory(messages: readonly StoredMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (m.role === 'system' || m.role === 'tool') continue; // tool messages are taken with their call below
    if (m.role === 'assistant' && m.tool_calls?.length) {
      const previous = out.at(-1);
      const results: ChatMessage[] = [];
      let j = i + 1;
      const seen = new Set<string>();
      for (; j < messages.length && messages[j]!.role === 'tool'; j++) {
        const result = messages[j]! as Extract<StoredMessage, { role: 'tool' }>;
        if (!seen.has(result.tool_call_id)) results.push(toChatMessage(result));
        seen.add(result.tool_call_id);
      }
      const complete = m.tool_calls.every((c) => seen.has(c.id));
      if (complete && previous && (previous.role === 'user' || previous.role === 'tool')) {
        out.push(toChatMessage(m), ...results.filter((r) => r.role === 'tool' && m.tool_calls!.some((c) => c.id === r.tool_call_id)));
      }
      i = j - 1;
      continue;
    }
    out.push(toChatMessage(m));
  }
  return out;
}

/** Serialised sizes of tool schemas: the same objects every turn, so measured once. */
const schemaChars = new WeakMap<object, number>();
function schemaLength(parameters: Record<string, unknown>): number {
  let length = schemaChars.get(parameters);
  if (length === undefined) schemaChars.set(parameters, (length = JSON.stringify(parameters).length));
  return length;
}

/** The reference's estimate: about 2.5 characters a token. */
export function estimateTokens(messages: readonly ChatMessage[], tools: readonly ToolDefinition[] = []): number {
  let chars = 0;
  for (const m of messages) {
    chars += m.content.length + 12;
    // An image costs a vision model roughly 500–1,600 tokens whatever its bytes: count ~1,000.
    if (m.role === 'user' && m.images) chars += m.images.length * 2_500;
    if (m.role === 'assistant') for (const c of m.tool_calls ?? []) chars += c.id.length + c.name.length + c.arguments.length + 8;
    if (m.role === 'tool') chars += m.tool_call_id.length;
  }
  for (const t of tools) chars += t.name.length + t.description.length + schemaLength(t.parameters) + 20;
  return Math.ceil((chars * 2) / 5);
}

/**
 * Drops the oldest whole turns (a user message and what followed it) until the history fits
 * `budget` tokens. The latest turn is always kept.
 */
export function trimToBudget(history: ChatMessage[], budget: number): { messages: ChatMessage[]; dropped: number } {
  let start = 0;
  const starts = history.map((m, i) => (m.role === 'user' ? i : -1)).filter((i) => i >= 0);
  let k = 0;
  while (estimateTokens(history.slice(start)) > budget && k + 1 < starts.length) start = starts[++k]!;
  return { messages: history.slice(start), dropped: start };
}
