/**
 * Finding conversations by what was said in them (the dashboard's conversation search): a plain,
 * case-insensitive substring of the title or of a user or assistant message — never a pattern
 * from the user — with a short snippet around the match. Bounded: the query's length, the
 * number of hits, and the bytes a search may read (the stores stop there and say so). Runs only
 * when asked; nothing is indexed per message.
 */
import type { StoredMessage } from './session-store.js';

/** Longest query, in characters. */
export const MAX_SEARCH_QUERY = 200;
/** Most hits one search returns. */
export const MAX_SEARCH_RESULTS = 50;
/** Bytes of stored conversations one search reads at most (newest first), then it stops. */
export const SEARCH_BYTE_BUDGET = 32 * 1024 * 1024;
/** Characters of context on each side of a match. */
const CONTEXT = 60;

export interface SessionSearchQuery {
  /** Only keys that start with it (e.g. "pico:"). */
  prefix: string;
  /** The text to find (trimmed, 1–MAX_SEARCH_QUERY characters). */
  query: string;
  /** Stop after this many hits (1–MAX_SEARCH_RESULTS). */
  limit: number;
  /** Bytes to read at most (SEARCH_BYTE_BUDGET unless a test says otherwise). */
  maxBytes?: number;
}

export interface SessionSearchHit {
  key: string;
  title?: string;
  updatedAt: string;
  /** Where the match is: the title, or a message (the latest one that has it). */
  in: 'title' | 'message';
  role?: 'user' | 'assistant';
  created_at?: string;
  /** The text around the match, whitespace collapsed; the client marks `match`. */
  snippet: { before: string; match: string; after: string };
}

export interface SessionSearchResult {
  hits: SessionSearchHit[];
  /** The byte budget ran out before every conversation was read (the newest were). */
  truncated: boolean;
}

/**
 * Lower case with the same length in UTF-16 units, so an index in the folded text is one in
 * the original (the few characters whose lower case is longer, like "İ", stay as they are).
 */
export function foldCase(text: string): string {
  const lower = text.toLowerCase();
  if (lower.length === text.length) return lower;
  let out = '';
  for (const ch of text) {
    const l = ch.toLowerCase();
    out += l.length === ch.length ? l : ch;
  }
  return out;
}

const squash = (text: string) => text.replace(/\s+/g, ' ');

/** The match at `index` with up to CONTEXT characters each side ("…" where cut). */
export function snippetAt(text: string, index: number, length: number): SessionSearchHit['snippet'] {
  const start = Math.max(0, index - CONTEXT);
  const end = Math.min(text.length, index + length + CONTEXT);
  return {
    before: (start > 0 ? '…' : '') + squash(text.slice(start, index)).trimStart(),
    match: squash(text.slice(index, index + length)),
    after: squash(text.slice(index + length, end)).trimEnd() + (end < text.length ? '…' : ''),
  };
}

/** The snippet of `text` around the folded `query`, if it has it. */
export function findIn(text: string, query: string): SessionSearchHit['snippet'] | undefined {
  const index = foldCase(text).indexOf(query);
  return index < 0 ? undefined : snippetAt(text, index, query.length);
}

/** The latest user or assistant message with the folded `query`, and its snippet. */
export function findInMessages(messages: readonly StoredMessage[], query: string): Pick<SessionSearchHit, 'role' | 'created_at' | 'snippet'> | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if ((m.role !== 'user' && m.role !== 'assistant') || typeof m.content !== 'string' || !m.content) continue;
    const snippet = findIn(m.content, query);
    if (snippet) return { role: m.role, ...(m.created_at ? { created_at: m.created_at } : {}), snippet };
  }
  return undefined;
}

/**
 * What to look for in a stored JSON line before parsing it: the folded query as JSON writes it
 * (quotes and backslashes escaped). Undefined when a writer might have escaped it otherwise
 * (Go's encoder writes <, >, & and U+2028/9 as \u escapes): then every line is parsed.
 */
export function jsonNeedle(query: string): string | undefined {
  return /[<>&\u2028\u2029]/.test(query) ? undefined : JSON.stringify(query).slice(1, -1);
}
