/**
 * The dashboard's view of conversations: list, read (text, and the paths of the images a user
 * sent: `media`, served by GET /media/images/<name>), rename, delete (archived).
 */
import { isStoredImagePath } from '../media/image-store.js';
import type { SessionStore, StoredMessage } from '../sessions/session-store.js';

type Answer = Promise<{ status: number; body: unknown }>;

/** Images of a user message that the media route can serve; a message with images and no text is shown too. */
const imagesOf = (m: StoredMessage) => (m.role === 'user' && Array.isArray(m.media) ? m.media.filter((p) => typeof p === 'string' && isStoredImagePath(p)) : []);

export function sessionsApi(deps: { store: SessionStore; stop(key: string): void }) {
  const { store } = deps;
  return async (method: string, key: string | undefined, query: URLSearchParams, body: unknown): Answer => {
    if (!key) {
      if (method !== 'GET') return { status: 405, body: { error: 'use GET' } };
      const prefix = query.get('prefix') ?? '';
      return { status: 200, body: { sessions: (await store.list()).filter((s) => s.key.startsWith(prefix)) } };
    }
    if (method === 'GET') {
      const { messages, summary } = await store.load(key);
      const visible = messages
        .filter((m) => (m.role === 'user' || m.role === 'assistant') && (m.content.trim() || imagesOf(m).length))
        .map((m) => {
          const media = imagesOf(m);
          return { role: m.role, content: m.content, ...(media.length ? { media } : {}), ...(m.created_at ? { created_at: m.created_at } : {}) };
        });
      return { status: 200, body: { key, messages: visible, ...(summary ? { summary } : {}) } };
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
