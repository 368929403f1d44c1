import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJsonlSessionStore, sessionFileName } from './jsonl-session-store.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'picoclaw-sessions-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('JSONL session store', () => {
  it('appends and loads messages in order, one JSON line each', async () => {
    const store = createJsonlSessionStore({ dir });
    await store.append('mqtt:device1', [{ role: 'user', content: 'hi' }]);
    await store.append('mqtt:device1', [{ role: 'assistant', content: 'hello', model_name: 'm' }]);
    const { messages } = await store.load('mqtt:device1');
    expect(messages.map((m) => [m.role, m.content])).toEqual([['user', 'hi'], ['assistant', 'hello']]);
    const file = await readFile(join(dir, `${sessionFileName('mqtt:device1')}.jsonl`), 'utf8');
    expect(file.trim().split('\n').map((l) => JSON.parse(l).role)).toEqual(['user', 'assistant']);
  });

  it('an append is in the file when it resolves (it survives the process); the fsync follows in the background or on flush', async () => {
    for (const syncMs of [0, 60_000]) {
      const store = createJsonlSessionStore({ dir, syncMs });
      await store.append(`k${syncMs}`, [{ role: 'user', content: 'kept' }]);
      expect(await readFile(join(dir, `k${syncMs}.jsonl`), 'utf8')).toMatch(/"content":"kept"/);
      await store.flush!();
    }
  });

  it('serialises concurrent appends of one session', async () => {
    const store = createJsonlSessionStore({ dir });
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.append('k', [{ role: 'user', content: `m${i}` }])));
    expect((await store.load('k')).messages.map((m) => m.content)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
  });

  it('skips a torn line left by a crash and keeps the next append intact', async () => {
    const bad: number[] = [];
    const store = createJsonlSessionStore({ dir, onBadLine: (_k, line) => bad.push(line) });
    await store.append('k', [{ role: 'user', content: 'before' }]);
    await appendFile(join(dir, 'k.jsonl'), '{"role":"assistant","content":"torn');
    // The process that crashed is gone: a new one (a new store) goes on with the file.
    const restarted = createJsonlSessionStore({ dir, onBadLine: (_k, line) => bad.push(line) });
    await restarted.append('k', [{ role: 'user', content: 'after' }]);
    expect((await restarted.load('k')).messages.map((m) => m.content)).toEqual(['before', 'after']);
    expect(bad).toEqual([2]);
  });

  it('keeps hostile keys inside the directory and apart from each other', async () => {
    expect(sessionFileName('../../etc/passwd')).not.toContain('/');
    expect(sessionFileName('a/b')).not.toBe(sessionFileName('a_b'));
    const store = createJsonlSessionStore({ dir });
    await store.append('../../escape', [{ role: 'user', content: 'x' }]);
    expect((await readdir(dir)).every((f) => !f.includes('/'))).toBe(true);
    expect((await store.load('../../escape')).messages).toHaveLength(1);
  });

  it('rewrites with a summary, clears into an archive, and lists sessions', async () => {
    const store = createJsonlSessionStore({ dir });
    await store.append('a', [{ role: 'user', content: 'first question' }, { role: 'assistant', content: 'x' }]);
    await store.append('b', [{ role: 'user', content: 'other' }]);
    await store.rewrite('a', { messages: [{ role: 'user', content: 'kept' }], summary: 'talked about x' });
    expect(await store.load('a')).toEqual({ messages: [{ role: 'user', content: 'kept' }], summary: 'talked about x' });
    const list = await store.list();
    expect(list.map((s) => s.key).sort()).toEqual(['a', 'b']);
    expect(list.find((s) => s.key === 'a')).toMatchObject({ messages: 1, title: 'first question' });
    await store.clear('a');
    expect(await store.load('a')).toEqual({ messages: [] });
    expect(await readdir(join(dir, 'archive'))).toHaveLength(1);
  });
});
