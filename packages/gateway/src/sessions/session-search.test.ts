import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sessionsApi } from '../http/sessions-api.js';
import { createJsonlSessionStore, sessionFileName } from './jsonl-session-store.js';
import { findIn, foldCase, MAX_SEARCH_QUERY, snippetAt } from './session-search.js';
import type { SessionStore } from './session-store.js';

let dir: string;
let store: SessionStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'picoclaw-search-'));
  store = createJsonlSessionStore({ dir, syncMs: 0 });
});
afterEach(async () => {
  await store.flush?.(); // closes the append handles
  await rm(dir, { recursive: true, force: true });
});

const api = (s: SessionStore = store) => sessionsApi({ store: s, stop: () => {} });
const search = async (q: string, extra: Record<string, string> = {}, s?: SessionStore) => {
  const answer = await api(s)('GET', 'search', new URLSearchParams({ prefix: 'pico:', q, ...extra }), undefined);
  return answer as { status: number; body: { results?: { key: string; title?: string; in: string; role?: string; snippet: { before: string; match: string; after: string } }[]; truncated?: boolean; error?: string } };
};
/** Sets a session file's time, so "newest first" does not depend on the clock's resolution. */
const age = (key: string, minutes: number) => {
  const at = new Date(Date.now() - minutes * 60_000);
  return utimes(join(dir, `${sessionFileName(key)}.jsonl`), at, at);
};

async function seed() {
  await store.append('pico:web-a', [{ role: 'user', content: 'How do I water the tomatoes?' }, { role: 'assistant', content: 'Water them at dawn, about two litres per plant; the soil should stay damp, never soggy.' }]);
  await store.append('pico:web-b', [{ role: 'user', content: 'Turn on the kitchen light' }, { role: 'assistant', content: '', tool_calls: [{ id: 'c', name: 'ha', arguments: '{"name":"Mango lamp"}' }] }, { role: 'tool', content: 'Mango lamp is on', tool_call_id: 'c' }, { role: 'assistant', content: 'The kitchen light is on.' }]);
  await store.append('telegram:42', [{ role: 'user', content: 'tomatoes on telegram' }, { role: 'assistant', content: 'Soggy soil rots the roots.' }]);
  await store.setTitle('pico:web-b', 'Kitchen lights');
}

describe('conversation search (GET /sessions/search) on the JSONL store', () => {
  it('finds a word of an answer, case-insensitively, with a snippet around it; only the sessions of the prefix', async () => {
    await seed();
    const { status, body } = await search('SOGGY');
    expect(status).toBe(200);
    expect(body.results).toEqual([
      expect.objectContaining({ key: 'pico:web-a', title: 'How do I water the tomatoes?', in: 'message', role: 'assistant', snippet: { before: '…bout two litres per plant; the soil should stay damp, never ', match: 'soggy', after: '.' } }),
    ]);
    expect(body.truncated).toBe(false);
    // The telegram conversation has it too, but it is not a pico one.
    expect((await search('tomatoes')).body.results!.map((r) => r.key)).toEqual(['pico:web-a']);
  });

  it('finds the title first; user text too; not tool calls or tool results', async () => {
    await seed();
    const kitchen = (await search('kitchen')).body.results!;
    expect(kitchen).toEqual([expect.objectContaining({ key: 'pico:web-b', in: 'title', snippet: { before: '', match: 'Kitchen', after: ' lights' } })]);
    expect((await search('turn ON')).body.results).toEqual([expect.objectContaining({ key: 'pico:web-b', in: 'message', role: 'user', snippet: { before: '', match: 'Turn on', after: ' the kitchen light' } })]);
    expect((await search('mango')).body.results).toEqual([]);
  });

  it('no match: an empty list; the text is a plain string, never a pattern; quotes and backslashes match as typed', async () => {
    await seed();
    await store.append('pico:web-c', [{ role: 'user', content: 'print("a\\\\b") and .* and [x]' }]);
    expect((await search('cucumber')).body.results).toEqual([]);
    expect((await search('.*')).body.results!.map((r) => r.key)).toEqual(['pico:web-c']);
    expect((await search('[x]')).body.results!.map((r) => r.key)).toEqual(['pico:web-c']);
    expect((await search('("a\\\\b")')).body.results!.map((r) => r.key)).toEqual(['pico:web-c']);
    expect((await search('(a|b)')).body.results).toEqual([]);
  });

  it('refuses an empty or too long query and another method; limits the hits', async () => {
    await seed();
    expect(await search('   ')).toEqual({ status: 400, body: { error: 'send q=<text to find>' } });
    const long = await search('x'.repeat(MAX_SEARCH_QUERY + 1));
    expect(long.status).toBe(400);
    expect(long.body.error).toBe(`the search text is ${MAX_SEARCH_QUERY + 1} characters; at most ${MAX_SEARCH_QUERY}`);
    expect((await search('y'.repeat(MAX_SEARCH_QUERY))).status).toBe(200);
    expect((await api()('DELETE', 'search', new URLSearchParams(), undefined)).status).toBe(405);
    for (let i = 0; i < 5; i++) await store.append(`pico:web-n${i}`, [{ role: 'user', content: `note ${i}` }]);
    expect((await search('note', { limit: '3' })).body.results).toHaveLength(3);
    expect((await search('note', { limit: '1000' })).body.results).toHaveLength(5);
  });

  it('newest first, and stops at its byte budget (saying so) instead of reading everything', async () => {
    await store.append('pico:web-old', [{ role: 'user', content: `old ${'z'.repeat(2000)} needle` }]);
    await age('pico:web-old', 10);
    await store.append('pico:web-new', [{ role: 'user', content: `new ${'z'.repeat(2000)} needle` }]);
    const all = await store.search!({ prefix: 'pico:', query: 'needle', limit: 20 });
    expect(all.hits.map((h) => h.key).sort()).toEqual(['pico:web-new', 'pico:web-old']);
    const some = await store.search!({ prefix: 'pico:', query: 'needle', limit: 20, maxBytes: 3000 });
    expect(some.hits).toHaveLength(1);
    expect(some.truncated).toBe(true);
  });

  it('a store that cannot search says so (501)', async () => {
    const plain = { ...store, search: undefined } as SessionStore;
    expect(await search('x', {}, plain)).toEqual({ status: 501, body: { error: 'this session store cannot search conversations' } });
  });
});

describe('search helpers', () => {
  it('folds case without moving indexes, and cuts snippets at 60 characters with an ellipsis', () => {
    expect(foldCase('İstanbul ÉTÉ')).toHaveLength('İstanbul ÉTÉ'.length);
    expect(findIn('Visit İstanbul in ÉTÉ', 'été')).toEqual({ before: 'Visit İstanbul in ', match: 'ÉTÉ', after: '' });
    const text = `${'a'.repeat(100)}\n\nMATCH\t${'b'.repeat(100)}`;
    const s = snippetAt(text, 102, 5);
    expect(s.before).toBe(`…${'a'.repeat(58)} `);
    expect(s.match).toBe('MATCH');
    expect(s.after).toBe(` ${'b'.repeat(59)}…`);
  });
});
