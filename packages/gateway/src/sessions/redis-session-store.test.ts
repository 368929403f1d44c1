import { startRedis, type RedisServer } from '@picoclaw/test-fakes';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectRedis, type RedisConnection } from '../cluster/redis.js';
import { createRedisSessionStore } from './redis-session-store.js';

let server: RedisServer;
let redis: RedisConnection;
const log = () => {};

beforeAll(async () => {
  server = await startRedis({ password: 'store-test-password' });
  redis = await connectRedis({ url: server.url, log });
});
afterAll(async () => {
  await redis?.close();
  await server?.close();
});
beforeEach(async () => {
  await server.cli('FLUSHALL');
});

const store = (owner?: string, lockTtlMs?: number) => createRedisSessionStore({ redis, prefix: 'test:', ...(owner ? { owner } : {}), ...(lockTtlMs ? { lockTtlMs } : {}) });

describe('Redis session store', () => {
  it('appends and loads in order, also under concurrent appends', async () => {
    const s = store();
    await s.append('mqtt:device1', [{ role: 'user', content: 'hi' }]);
    await s.append('mqtt:device1', [{ role: 'assistant', content: 'hello', model_name: 'm' }]);
    const { messages } = await s.load('mqtt:device1');
    expect(messages.map((m) => [m.role, m.content])).toEqual([['user', 'hi'], ['assistant', 'hello']]);
    expect(messages[0]!.created_at).toMatch(/^\d{4}-/);
    await Promise.all(Array.from({ length: 50 }, (_, i) => s.append('k', [{ role: 'user', content: `m${i}` }])));
    expect((await s.load('k')).messages.map((m) => m.content)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
  });

  it('searches titles and user/assistant text of the sessions of a prefix, case-insensitively, within its byte budget', async () => {
    const s = store();
    await s.append('pico:web-a', [{ role: 'user', content: 'tomatoes?' }, { role: 'assistant', content: 'Water at dawn; never SOGGY soil.' }]);
    await s.append('pico:web-b', [{ role: 'user', content: 'kitchen light' }, { role: 'tool', content: 'soggy in a tool result', tool_call_id: 'c' }]);
    await s.append('telegram:1', [{ role: 'user', content: 'soggy on telegram' }]);
    const found = await s.search!({ prefix: 'pico:', query: 'soggy', limit: 20 });
    expect(found).toEqual({ truncated: false, hits: [expect.objectContaining({ key: 'pico:web-a', title: 'tomatoes?', in: 'message', role: 'assistant', snippet: { before: 'Water at dawn; never ', match: 'SOGGY', after: ' soil.' } })] });
    expect((await s.search!({ prefix: 'pico:', query: 'KITCHEN', limit: 20 })).hits).toEqual([expect.objectContaining({ key: 'pico:web-b', in: 'title' })]);
    expect((await s.search!({ prefix: 'pico:', query: 'cucumber', limit: 20 })).hits).toEqual([]);
    expect(await s.search!({ prefix: 'pico:', query: 'soggy', limit: 20, maxBytes: 0 })).toEqual({ hits: [], truncated: true });
  });

  it('two gateways (two store instances) see one history', async () => {
    await store('a').append('mqtt:d', [{ role: 'user', content: 'from a' }]);
    await store('b').append('mqtt:d', [{ role: 'assistant', content: 'from b' }]);
    expect((await store('c').load('mqtt:d')).messages.map((m) => m.content)).toEqual(['from a', 'from b']);
  });

  it('rewrites with a summary, clears into an archive, lists and renames sessions', async () => {
    // A clock that ticks a second per change, so "last used" orders the list deterministically.
    let tick = Date.parse('2026-01-01T00:00:00Z');
    const s = createRedisSessionStore({ redis, prefix: 'test:', now: () => new Date((tick += 1000)) });
    await s.append('a', [{ role: 'user', content: 'first question' }, { role: 'assistant', content: 'x' }]);
    await s.append('b', [{ role: 'user', content: 'other' }]);
    await s.rewrite('a', { messages: [{ role: 'user', content: 'kept' }], summary: 'talked about x' });
    expect(await s.load('a')).toEqual({ messages: [{ role: 'user', content: 'kept' }], summary: 'talked about x' });
    const list = await s.list();
    expect(list.map((i) => i.key)).toEqual(['a', 'b']);
    expect(list[0]).toMatchObject({ key: 'a', messages: 1, title: 'first question' });
    await s.setTitle('b', 'renamed');
    expect((await s.list()).find((i) => i.key === 'b')?.title).toBe('renamed');
    await s.clear('a');
    expect(await s.load('a')).toEqual({ messages: [] });
    expect((await s.list()).map((i) => i.key)).toEqual(['b']);
    expect((await server.cli('KEYS', 'test:archive:*')).split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('skips a message that is not valid JSON and reports it', async () => {
    const bad: number[] = [];
    const s = createRedisSessionStore({ redis, prefix: 'test:', onBadMessage: (_k, i) => bad.push(i) });
    await s.append('k', [{ role: 'user', content: 'ok' }]);
    await server.cli('RPUSH', 'test:session:k:messages', '{"role":"assistant","content":"torn');
    await s.append('k', [{ role: 'user', content: 'after' }]);
    expect((await s.load('k')).messages.map((m) => m.content)).toEqual(['ok', 'after']);
    expect(bad).toEqual([1]);
  });

  it('lock: turns of one session are serial across gateways; other sessions are not held up', async () => {
    const a = store('gateway-a');
    const b = store('gateway-b');
    const order: string[] = [];
    const releaseA = await a.lock!('s1');
    const waiting = b.lock!('s1').then((release) => {
      order.push('b got it');
      return release;
    });
    const other = await b.lock!('s2');
    await other();
    await new Promise((r) => setTimeout(r, 150));
    order.push('a releases');
    await releaseA();
    await (await waiting)();
    expect(order).toEqual(['a releases', 'b got it']);
  });

  it('lock: a gateway that died holding it blocks the session for one TTL at most; waiting can be aborted', async () => {
    // The dead gateway's lock, never renewed.
    await server.cli('SET', 'test:lock:s', 'dead-gateway', 'PX', '400');
    const started = Date.now();
    const release = await store('alive', 400).lock!('s');
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    await release();
    await server.cli('SET', 'test:lock:t', 'dead-gateway', 'PX', '60000');
    await expect(store('alive').lock!('t', AbortSignal.timeout(100))).rejects.toThrow(/timeout|abort/i);
  });

  it('lock: renewed while held, so a long turn keeps it past its TTL', async () => {
    const release = await store('long', 300).lock!('s');
    await new Promise((r) => setTimeout(r, 700));
    expect(await server.cli('GET', 'test:lock:s')).toBe('long');
    await release();
    expect(await server.cli('EXISTS', 'test:lock:s')).toBe('0');
  });

  it('fails fast with a clear error while Redis is down, and works again when it is back', async () => {
    const s = store();
    await server.stop();
    await expect(s.load('k')).rejects.toThrow(/^Redis redis:\/\/.*127\.0\.0\.1/);
    await server.restart();
    const end = Date.now() + 10_000;
    while (!redis.connected && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    await s.append('k', [{ role: 'user', content: 'back' }]);
    expect((await s.load('k')).messages.map((m) => m.content)).toEqual(['back']);
  });
});

describe('connectRedis', () => {
  it('names the URL (password hidden) when Redis cannot be reached or refuses the password', async () => {
    await expect(connectRedis({ url: 'redis://:secret-pw@127.0.0.1:1', log, connectTimeoutMs: 1000 })).rejects.toThrow(/cannot connect to Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
    const wrong = server.url.replace('store-test-password', 'wrong-password');
    await expect(connectRedis({ url: wrong, log, connectTimeoutMs: 2000 })).rejects.toThrow(/cannot connect to Redis.*(WRONGPASS|invalid)/i);
  });
});
