import { appendFile, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
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

  it('keeps append handles open between appends, but never writes into a file a rewrite or clear replaced', async () => {
    const store = createJsonlSessionStore({ dir, syncMs: 60_000 });
    const file = join(dir, `${sessionFileName('s')}.jsonl`);
    const openFds = async () => (await Promise.all((await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')))).filter((t) => t.startsWith(file)).length;
    await store.append('s', [{ role: 'user', content: 'one' }]);
    await store.append('s', [{ role: 'assistant', content: 'two' }]);
    expect(await openFds()).toBe(1);
    await store.rewrite('s', { messages: [{ role: 'user', content: 'fresh' }], summary: 'earlier: one, two' });
    await store.append('s', [{ role: 'assistant', content: 'after rewrite' }]);
    expect((await store.load('s')).messages.map((m) => m.content)).toEqual(['fresh', 'after rewrite']);
    await store.clear('s');
    await store.append('s', [{ role: 'user', content: 'after clear' }]);
    expect((await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l).content)).toEqual(['after clear']);
    await store.flush!();
    expect(await openFds()).toBe(0);
  });

  it('a new session gets its title in the list at once; its meta file follows with the sync', async () => {
    const store = createJsonlSessionStore({ dir, syncMs: 60_000 });
    await store.load('mqtt:d1');
    await store.append('mqtt:d1', [{ role: 'user', content: 'is the garage door open?' }]);
    const meta = join(dir, `${sessionFileName('mqtt:d1')}.meta.json`);
    await expect(readFile(meta, 'utf8')).rejects.toThrow(/ENOENT/);
    await store.flush!();
    expect(JSON.parse(await readFile(meta, 'utf8'))).toMatchObject({ key: 'mqtt:d1', title: 'is the garage door open?' });
    await store.append('mqtt:d2', [{ role: 'user', content: 'second' }]);
    expect((await store.list()).map((i) => [i.key, i.title])).toEqual(expect.arrayContaining([['mqtt:d1', 'is the garage door open?'], ['mqtt:d2', 'second']]));
    await store.setTitle('mqtt:d2', 'renamed');
    expect(JSON.parse(await readFile(join(dir, `${sessionFileName('mqtt:d2')}.meta.json`), 'utf8')).title).toBe('renamed');
  });

  it('what a session holds in memory always equals what a fresh store reads from the files', async () => {
    const store = createJsonlSessionStore({ dir, syncMs: 60_000 });
    const keys = ['a', 'b', 'pico:c'];
    let n = 0;
    for (let step = 0; step < 60; step++) {
      const key = keys[step % keys.length]!;
      const op = (step * 7) % 5;
      if (op === 0) await store.clear(key);
      else if (op === 1) await store.rewrite(key, { messages: [{ role: 'user', content: `kept ${n++}` }], summary: `summary ${step}` });
      else await store.append(key, [{ role: 'user', content: `q${n++}` }, { role: 'assistant', content: `a${n++}` }]);
      for (const k of keys) {
        const fresh = createJsonlSessionStore({ dir });
        expect(await store.load(k), `${k} after step ${step}`).toEqual(await fresh.load(k));
      }
    }
  });
});
