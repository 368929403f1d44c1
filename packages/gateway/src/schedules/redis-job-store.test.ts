import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config, ScheduledJob } from '@picoclaw/core';
import { startRedis, type RedisServer } from '@picoclaw/test-fakes';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCluster, type Cluster } from '../cluster/cluster.js';
import { connectRedis, type RedisConnection } from '../cluster/redis.js';
import { leadSchedules } from './lead-schedules.js';
import { createFileJobStore } from './job-store.js';
import { createRedisJobStore } from './redis-job-store.js';
import { createSchedules } from './schedules.js';
import { createScheduler, type Clock } from './scheduler.js';

let server: RedisServer;
let redis: RedisConnection;
const log = () => {};

beforeAll(async () => {
  server = await startRedis();
  redis = await connectRedis({ url: server.url, log });
});
afterAll(async () => {
  await redis?.close();
  await server?.close();
});
beforeEach(async () => {
  await server.cli('FLUSHALL');
});

/** The commands a store sends, by name (`script` for a Lua script). */
function counted(): { conn: RedisConnection; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    conn: {
      command: (args) => (calls.push(args[0]!), redis.command(args)),
      script: (lua, keys, args) => (calls.push('script'), redis.script(lua, keys, args)),
      get connected() {
        return redis.connected;
      },
      close: async () => {},
    },
  };
}

const job = (id: string, patch: Partial<ScheduledJob> = {}): ScheduledJob => ({
  id,
  name: `job ${id}`,
  enabled: true,
  schedule: { kind: 'cron', expr: '0 23 * * *' },
  payload: { kind: 'agent_turn', message: 'porch light off', channel: 'mqtt', to: 'kitchen' },
  state: {},
  createdAtMs: 1,
  updatedAtMs: 1,
  deleteAfterRun: false,
  ...patch,
});

describe('Redis job store', () => {
  it('shares jobs between gateways; a load while nothing changed is one GET, own writes are not read back', async () => {
    const a = counted();
    const b = counted();
    const storeA = createRedisJobStore({ redis: a.conn, prefix: 't:', owner: 'a' });
    const storeB = createRedisJobStore({ redis: b.conn, prefix: 't:', owner: 'b' });
    expect(await storeA.load()).toEqual([]);
    await storeA.put(job('aaaa'));
    await storeA.put(job('bbbb'));
    await storeA.put();
    a.calls.length = 0;
    expect((await storeA.load()).map((j) => j.id).sort()).toEqual(['aaaa', 'bbbb']);
    expect(a.calls).toEqual(['GET']);
    expect(await storeA.changed()).toBe(false);

    // Another gateway sees them, and its change reaches the first one on its next load.
    expect((await storeB.load()).map((j) => j.id).sort()).toEqual(['aaaa', 'bbbb']);
    const edited = (await storeB.load()).find((j) => j.id === 'aaaa')!;
    edited.state = { nextRunAtMs: 42, runs: 3 };
    await storeB.put(edited);
    expect(await storeB.remove('bbbb')).toBe(true);
    expect(await storeB.remove('bbbb')).toBe(false);
    expect(await storeA.changed()).toBe(true);
    a.calls.length = 0;
    expect(await storeA.load()).toEqual([expect.objectContaining({ id: 'aaaa', state: { nextRunAtMs: 42, runs: 3 } })]);
    expect(a.calls).toEqual(['GET', 'HGETALL']);
    b.calls.length = 0;
    await storeB.load();
    expect(b.calls).toEqual(['GET']);

    // What Redis holds: a hash of job JSON and a revision per change.
    expect(JSON.parse(await server.cli('HGET', 't:cron:jobs', 'aaaa'))).toMatchObject({ id: 'aaaa', state: { runs: 3 } });
    expect(await server.cli('GET', 't:cron:rev')).toBe('4');
  });

  it('writes many jobs in one put (one script, one revision)', async () => {
    const store = createRedisJobStore({ redis, prefix: 't:', owner: 'a' });
    await store.load();
    const many = Array.from({ length: 10_000 }, (_, i) => job(`j${i}`));
    await store.put(...many);
    expect(await server.cli('HLEN', 't:cron:jobs')).toBe('10000');
    expect(await server.cli('GET', 't:cron:rev')).toBe('1');
    expect(await store.changed()).toBe(false);
    const other = createRedisJobStore({ redis, prefix: 't:', owner: 'b' });
    expect((await other.load()).length).toBe(10_000);
  });

  it('skips an unreadable entry (logged once, left in Redis) and keeps the others', async () => {
    const warnings: string[] = [];
    const store = createRedisJobStore({ redis, prefix: 't:', owner: 'a', warn: (m) => warnings.push(m) });
    await store.put(job('good'));
    await server.cli('HSET', 't:cron:jobs', 'broken', 'private reminder text');
    await server.cli('HSET', 't:cron:jobs', 'nosched', JSON.stringify({ id: 'nosched', name: 'x' }));
    await server.cli('HSET', 't:cron:jobs', 'other', JSON.stringify(job('moved')));
    await server.cli('INCR', 't:cron:rev');
    expect((await store.load()).map((j) => j.id)).toEqual(['good']);
    await store.put(job('more'));
    await server.cli('INCR', 't:cron:rev');
    expect((await store.load()).map((j) => j.id).sort()).toEqual(['good', 'more']);
    expect(warnings).toHaveLength(3);
    expect(warnings.join('\n')).toMatch(/job broken: not valid JSON/);
    expect(warnings.join('\n')).not.toContain('private re');
    expect(warnings.join('\n')).toMatch(/job nosched: schedule/);
    expect(warnings.join('\n')).toMatch(/job other: stored with the id moved/);
    expect(await server.cli('HLEN', 't:cron:jobs')).toBe('5');
  });

  it('claims an occurrence once across gateways, for a day', async () => {
    const a = createRedisJobStore({ redis, prefix: 't:', owner: 'gw-a' });
    const b = createRedisJobStore({ redis, prefix: 't:', owner: 'gw-b' });
    const results = await Promise.all([a.claim('aaaa', 1000), b.claim('aaaa', 1000), a.claim('aaaa', 1000)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await b.claim('aaaa', 3000)).toBe(true);
    expect(await a.claim('bbbb', 1000)).toBe(true);
    const ttl = Number(await server.cli('PTTL', 't:cron:run:aaaa:1000'));
    expect(ttl).toBeGreaterThan(23 * 3600_000);
    expect(ttl).toBeLessThanOrEqual(24 * 3600_000);
  });

  it('two schedulers that both think they run the jobs: each occurrence runs once', async () => {
    let now = Date.parse('2026-12-06T10:00:00Z');
    const clock: Clock = { now: () => now, setTimeout: () => undefined, clearTimeout: () => {} };
    const runs: string[] = [];
    const scheduler = (who: string) =>
      createScheduler({
        store: createRedisJobStore({ redis, prefix: 't:', owner: who }),
        clock,
        log,
        timeZone: () => 'UTC',
        run: async (j) => {
          runs.push(`${who} ${j.name} ${new Date(now).toISOString()}`);
          return 'sent';
        },
      });
    const [a, b] = [scheduler('a'), scheduler('b')];
    await Promise.all([a.start(), b.start()]);
    await a.add({ name: 'bins', message: 'take the bins out', schedule: { kind: 'cron', expr: '* * * * *' }, channel: 'mqtt', to: 'kitchen' });
    for (let minute = 1; minute <= 5; minute++) {
      now = Date.parse('2026-12-06T10:00:00Z') + minute * 60_000;
      await Promise.all([a.tick(), b.tick()]);
      await Promise.all([a.idle(), b.idle()]);
    }
    expect(runs.map((r) => r.slice(2))).toEqual([1, 2, 3, 4, 5].map((m) => `bins 2026-12-06T10:0${m}:00.000Z`));
    // The two raced for each occurrence; both recorded their runs on the one shared job.
    expect((await a.list())[0]!.state.runs).toBe(5);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('only the lease holder runs; a job added on another gateway fires on time; the lead moves when the holder dies', async () => {
    const members: { who: string; conn: RedisConnection; cluster: Cluster; scheduler: ReturnType<typeof createScheduler>; lead: { stop(): Promise<void> } }[] = [];
    const runs: string[] = [];
    for (const who of ['a', 'b', 'c']) {
      const conn = await connectRedis({ url: server.url, log });
      const cluster = await createCluster({ redis: conn, redisUrl: server.url, prefix: 'lt:', version: 'test', log, tickMs: 100 });
      const store = createRedisJobStore({ redis: conn, prefix: 'lt:', owner: cluster.memberId });
      const scheduler = createScheduler({
        store,
        log,
        runner: false,
        run: async (j) => {
          runs.push(`${who} ${j.name}`);
          return 'sent';
        },
      });
      await scheduler.start();
      const lead = leadSchedules({ cluster, changed: () => store.changed(), tick: () => scheduler.tick(), refresh: () => scheduler.list(), setRunner: (r) => scheduler.setRunner(r), log, pollMs: 100, followPollMs: 100 });
      members.push({ who, conn, cluster, scheduler, lead });
    }
    const until = async (check: () => boolean, ms: number) => {
      const end = Date.now() + ms;
      while (!check()) {
        if (Date.now() > end) throw new Error(`not in time: ${JSON.stringify(runs)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await until(() => members.filter((m) => m.scheduler.status().runner).length === 1, 2_000);
    const leader = members.find((m) => m.scheduler.status().runner)!;
    const follower = members.find((m) => m !== leader)!;
    // Added through a follower: the leader's timer sleeps a minute, its poll sees the new revision.
    await follower.scheduler.add({ name: 'one', message: 'x', schedule: { kind: 'at', atMs: Date.now() + 300 }, channel: 'mqtt', to: 'kitchen' });
    expect(follower.scheduler.status().jobs).toBe(1);
    await until(() => runs.length === 1, 1_500);
    expect(runs).toEqual([`${leader.who} one`]);
    // The runner deleted the done once-job; the followers' status follows.
    await until(() => follower.scheduler.status().jobs === 0, 1_000);

    // The leader is cut off from Redis: it stops running jobs, and its lease, no longer renewed,
    // expires (TTL 300 ms here) before another member takes it.
    await leader.conn.close();
    await until(() => members.some((m) => m !== leader && m.scheduler.status().runner), 2_000);
    const next = members.find((m) => m !== leader && m.scheduler.status().runner)!;
    expect(leader.scheduler.status().runner).toBe(false);
    await follower.scheduler.add({ name: 'two', message: 'x', schedule: { kind: 'at', atMs: Date.now() + 200 }, channel: 'mqtt', to: 'kitchen' });
    await until(() => runs.length === 2, 1_500);
    await new Promise((r) => setTimeout(r, 300));
    expect(runs).toEqual([`${leader.who} one`, `${next.who} two`]);
    expect(members.filter((m) => m.scheduler.status().runner)).toEqual([next]);
    for (const m of members) {
      await m.lead.stop();
      await m.scheduler.stop();
      await m.cluster.close();
      await m.conn.close();
    }
  });

  it('a gateway moving to Redis brings its jobs.json along, once: while Redis holds no jobs', async () => {
    const workspace = await mkdtemp(join(tmpdir(), 'picoclaw-import-'));
    try {
      const file = createFileJobStore({ workspace });
      await file.put(job('aaaaaaaaaaaaaaaa'), job('bbbbbbbbbbbbbbbb'));
      const config = { agents: { defaults: { workspace } }, tools: { cron: { enabled: true }, message: { enabled: true, allow_targets: [] } }, heartbeat: { enabled: false, interval: 30, active_hours: '', target: '' }, channel_list: {} } as unknown as Config;
      const start = async () => {
        const store = createRedisJobStore({ redis, prefix: 'imp:', owner: 'g1' });
        const schedules = createSchedules({
          config: () => config,
          runtime: { submit: async () => {}, stop: () => false, record: async () => {} },
          outbound: { send: async () => ({ sessionKey: 'x' }), targets: () => [] },
          log,
          store,
        });
        await schedules.start();
        await schedules.close();
        return (await store.load()).map((j) => j.id).sort();
      };
      expect(await start()).toEqual(['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb']);
      await file.put(job('cccccccccccccccc'));
      expect(await start()).toEqual(['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb']);
    } finally {
      await rm(workspace, { recursive: true, force: true });
    }
  });
});
