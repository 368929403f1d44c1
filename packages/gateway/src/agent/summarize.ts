/**
 * Keeps long conversations affordable: once a session passes `summarize_message_threshold`
 * messages or `summarize_token_percent` of the context window, everything but the latest turns is
 * summarised by the model and replaced by that summary (sent with the system prompt from then on).
 * If the model cannot summarise, a plain extract stands in, so the session still shrinks.
 */
import type { AgentDefaults } from '@picoclaw/core';
import type { LanguageModel } from '../models/types.js';
import type { SessionStore, StoredMessage } from '../sessions/session-store.js';
import { estimateTokens, sanitizeHistory } from './history.js';

/** Messages kept verbatim after a summary, at least. */
const KEEP = 4;

/**
 * A summary is sent with every turn: it must not grow with the conversation. The fallback
 * extract appends to the previous summary and a model may ignore max_tokens, so both are cut to
 * their most recent part.
 */
export const MAX_SUMMARY_CHARS = 4_000;

export function capSummary(summary: string): string {
  const text = summary.trim();
  return text.length > MAX_SUMMARY_CHARS ? `…${text.slice(text.length - MAX_SUMMARY_CHARS + 1)}` : text;
}

export function needsSummary(messages: readonly StoredMessage[], defaults: Pick<AgentDefaults, 'summarize_message_threshold' | 'summarize_token_percent' | 'context_window' | 'max_tokens'>): boolean {
  const window = defaults.context_window ?? defaults.max_tokens * 4;
  return messages.length > defaults.summarize_message_threshold || estimateTokens(sanitizeHistory(messages)) > (window * defaults.summarize_token_percent) / 100;
}

/** Index of the user message that starts the kept part, or 0 when nothing can be cut. */
export function summaryCut(messages: readonly StoredMessage[]): number {
  for (let i = messages.length - KEEP; i > 0; i--) if (messages[i]!.role === 'user') return i;
  return 0;
}

function transcript(messages: readonly StoredMessage[], limit: number): string {
  return messages
    .filter((m) => (m.role === 'user' || m.role === 'assistant') && m.content.trim())
    .map((m) => `${m.role}: ${m.content.length > limit ? `${m.content.slice(0, limit)}…` : m.content}`)
    .join('\n');
}

export async function summarizeSession(options: {
  key: string;
  store: SessionStore;
  model: LanguageModel;
  defaults: AgentDefaults;
  signal?: AbortSignal;
  log?: (level: 'info' | 'warn', message: string) => void;
}): Promise<boolean> {
  const { store, key, defaults } = options;
  const snapshot = await store.load(key);
  if (!needsSummary(snapshot.messages, defaults)) return false;
  const cut = summaryCut(snapshot.messages);
  if (cut === 0) return false;
  const old = snapshot.messages.slice(0, cut);
  const prompt = [
    'Provide a concise summary of this conversation segment, preserving core context and key points (names, preferences, decisions, open tasks).',
    snapshot.summary ? `Existing context: ${snapshot.summary}` : '',
    '',
    'CONVERSATION:',
    transcript(old, 4000),
  ].join('\n');
  let summary = '';
  try {
    for await (const event of options.model.stream({ messages: [{ role: 'user', content: prompt }], tools: [], maxTokens: 1024, temperature: 0.3 }, options.signal)) {
      if (event.type === 'text-delta') summary += event.text;
    }
  } catch (error) {
    options.log?.('warn', `summarising session ${key} failed (${(error as Error).message}); keeping an extract instead`);
    summary = '';
  }
  if (!summary.trim()) {
    summary = `${snapshot.summary ? `${snapshot.summary} | ` : ''}Conversation summary: ${transcript(old, 200).split('\n').join(' | ')}`;
  }
  await store.rewrite(key, { messages: snapshot.messages.slice(cut), summary: capSummary(summary) });
  options.log?.('info', `session ${key}: summarised ${cut} older messages`);
  return true;
}
