/**
 * The gateway's `/memory` API for the dashboard and the CLI (gateway token required):
 *   GET /memory                       the files (MEMORY.md, daily notes) with sizes and times
 *   GET /memory/file?name=MEMORY.md   one file's text ('' and exists:false when it does not exist yet)
 *                                     and its kept versions (newest first); &version=<one of them>: that version's text
 *   PUT /memory/file?name=…  {content} the whole file, the previous version kept (≤ MAX_FILE_BYTES)
 *   GET /memory/search?q=…&limit=     ranked hits
 * Names are only MEMORY.md and YYYYMM/YYYYMMDD.md (memory-layout.ts).
 */
import type { MemorySearch } from './memory-search.js';
import { KEEP_VERSIONS, MAX_FILE_BYTES, MemoryError, type MemoryStore } from './memory-store.js';

export type ApiAnswer = { status: number; body: unknown };

export async function memoryApi(parts: { store: MemoryStore; search: MemorySearch }, method: string, path: string, query: URLSearchParams, body: unknown): Promise<ApiAnswer> {
  const { store, search } = parts;
  const only = (allowed: string[]): ApiAnswer | undefined => (allowed.includes(method) || (method === 'HEAD' && allowed.includes('GET')) ? undefined : { status: 405, body: { error: `method not allowed, use ${allowed.join(' or ')}` } });
  try {
    if (path === '' || path === '/') {
      return only(['GET']) ?? {
        status: 200,
        body: { files: (await store.list()).map((f) => ({ name: f.name, ...(f.day ? { day: f.day } : {}), bytes: f.bytes, modified: new Date(f.modifiedMs).toISOString() })), today: store.today(), limits: { max_file_bytes: MAX_FILE_BYTES, versions_kept: KEEP_VERSIONS } },
      };
    }
    if (path === '/search') {
      const refused = only(['GET']);
      if (refused) return refused;
      const q = query.get('q') ?? '';
      if (!q.trim()) return { status: 400, body: { error: 'give the words to search for: /memory/search?q=…' } };
      if (q.length > 500) return { status: 400, body: { error: 'the search text is longer than 500 characters' } };
      const limit = Math.min(50, Math.max(1, Number(query.get('limit')) || 10));
      return { status: 200, body: { query: q, hits: await search.search(q, limit) } };
    }
    if (path === '/file') {
      const refused = only(['GET', 'PUT']);
      if (refused) return refused;
      const name = query.get('name') ?? '';
      if (method === 'PUT') {
        const content = (body as { content?: unknown } | undefined)?.content;
        if (typeof content !== 'string') return { status: 400, body: { error: 'the body must be {"content": "<the whole file>"}' } };
        const change = await store.save(name, content);
        return { status: 200, body: { status: 'saved', ...change } };
      }
      const version = query.get('version');
      if (version !== null) {
        const text = await store.readVersion(name, version);
        return text === undefined ? { status: 404, body: { error: `no kept version "${version}" of ${name}` } } : { status: 200, body: { name, version, content: text } };
      }
      const content = await store.read(name);
      return { status: 200, body: { name, exists: content !== undefined, content: content ?? '', versions: await store.versions(name) } };
    }
    return { status: 404, body: { error: `no route ${method} /memory${path}` } };
  } catch (error) {
    if (error instanceof MemoryError) return { status: error.status, body: { error: error.message } };
    throw error;
  }
}
