/** The dashboard's view of conversations: list, read (text only), rename, delete (archived). */
import type { SessionStore } from '../sessions/session-store.js';

type Answer = Promise<{ status: number; body: unknown }>;

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
      const visible = messages.filter((m) => (m.role === 'user' || m.role === 'assistant') && m.content.trim()).map((m) => ({ role: m.role, content: m.content, ...(m.created_at ? { created_at: m.created_at } : {}) }));
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
