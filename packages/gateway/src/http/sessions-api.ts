/**
 * The dashboard's view of conversations: list, read, rename, delete (archived). Reading gives
 * the user and assistant messages with, as `media`, the paths of the images a user sent or the
 * turn's tools returned (served by GET /media/images/<name>): a tool's images go on the answer
 * that follows them (tool messages are not shown), or on an entry of their own when the turn
 * gave no answer. A user message's files come as `files` ({path, name, size}) and their
 * `[file received: …]` lines are taken out of its text.
 */
import { isStoredImagePath } from '../media/image-store.js';
import { splitReceivedFiles } from '../media/received-file.js';
import { MAX_SEARCH_QUERY, MAX_SEARCH_RESULTS } from '../sessions/session-search.js';
import type { SessionStore, StoredMessage } from '../sessions/session-store.js';

type Answer = Promise<{ status: number; body: unknown }>;

/** Images of a message that the media route can serve. */
const imagesOf = (m: StoredMessage) => (Array.isArray(m.media) ? m.media.filter((p) => typeof p === 'string' && isStoredImagePath(p)) : []);

interface VisibleMessage {
  role: 'user' | 'assistant';
  content: string;
  media?: string[];
  files?: ReturnType<typeof splitReceivedFiles>['files'];
  created_at?: string;
  /** The model that gave an assistant message (the fallback chain's answering model). */
  model_name?: string;
  /** That model was a fallback (the chain's first failed or was cooling down). */
  fallback?: boolean;
}

/** The messages the chat shows, in order. */
function visibleMessages(messages: readonly StoredMessage[]): VisibleMessage[] {
  const out: VisibleMessage[] = [];
  let toolImages: string[] = [];
  const flush = () => {
    if (toolImages.length) out.push({ role: 'assistant', content: '', media: toolImages });
    toolImages = [];
  };
  for (const m of messages) {
    if (m.role === 'tool') toolImages.push(...imagesOf(m));
    if (m.role !== 'user' && m.role !== 'assistant') continue;
    const at = m.created_at ? { created_at: m.created_at } : {};
    if (m.role === 'user') {
      flush();
      const media = imagesOf(m);
      const { text, files } = Array.isArray(m.files) ? splitReceivedFiles(m.content, m.files.filter((p) => typeof p === 'string')) : { text: m.content, files: [] };
      if (text.trim() || media.length || files.length) out.push({ role: 'user', content: text, ...(media.length ? { media } : {}), ...(files.length ? { files } : {}), ...at });
    } else if (m.content.trim()) {
      out.push({ role: 'assistant', content: m.content, ...(toolImages.length ? { media: toolImages } : {}), ...(typeof m.model_name === 'string' && m.model_name ? { model_name: m.model_name, ...(m.fallback === true ? { fallback: true } : {}) } : {}), ...at });
      toolImages = [];
    }
  }
  flush();
  return out;
}

/** Searches at once; one more is refused (429) rather than queued: each may read SEARCH_BYTE_BUDGET. */
const MAX_RUNNING_SEARCHES = 2;

export function sessionsApi(deps: { store: SessionStore; stop(key: string): void }) {
  const { store } = deps;
  let searching = 0;
  /** GET /sessions/search?prefix=&q=&limit= (no channel or job names a session "search"). */
  async function search(query: URLSearchParams): Answer {
    const q = (query.get('q') ?? '').trim();
    if (!q) return { status: 400, body: { error: 'send q=<text to find>' } };
    if (q.length > MAX_SEARCH_QUERY) return { status: 400, body: { error: `the search text is ${q.length} characters; at most ${MAX_SEARCH_QUERY}` } };
    const asked = Number(query.get('limit') ?? 20);
    const limit = Number.isInteger(asked) ? Math.min(Math.max(asked, 1), MAX_SEARCH_RESULTS) : 20;
    if (!store.search) return { status: 501, body: { error: 'this session store cannot search conversations' } };
    if (searching >= MAX_RUNNING_SEARCHES) return { status: 429, body: { error: 'other conversation searches are still running; try again in a moment' } };
    searching++;
    try {
      const { hits, truncated } = await store.search({ prefix: query.get('prefix') ?? '', query: q, limit });
      return { status: 200, body: { results: hits, truncated } };
    } finally {
      searching--;
    }
  }
  return async (method: string, key: string | undefined, query: URLSearchParams, body: unknown): Answer => {
    if (key === 'search') return method === 'GET' ? search(query) : { status: 405, body: { error: 'use GET' } };
    if (!key) {
      if (method !== 'GET') return { status: 405, body: { error: 'use GET' } };
      const prefix = query.get('prefix') ?? '';
      return { status: 200, body: { sessions: (await store.list()).filter((s) => s.key.startsWith(prefix)) } };
    }
    if (method === 'GET') {
      const { messages, summary } = await store.load(key);
      return { status: 200, body: { key, messages: visibleMessages(messages), ...(summary ? { summary } : {}) } };
    }
    if (method === 'DELETE') {
      deps.stop(key);
      await store.clear(key);
      return { status: 200, body: { status: 'archived' } };
    }
    if (method === 'PATCH') {
      const title = (body as { title?: unknown }).title;
      if (typeof title !== 'string' || !title.trim()) return { status: 400, body: { error: 'send {"title": "…"}' } };
      await store.setTitle(key, title.trim());
      return { status: 200, body: { status: 'renamed' } };
    }
    return { status: 405, body: { error: 'use GET, PATCH or DELETE' } };
  };
}
