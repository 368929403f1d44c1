import { startRedis, type RedisServer } from '@picoclaw/test-fakes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel } from '../channels/channel.js';
import { createCluster, type Cluster } from './cluster.js';
import { createLeaderChannel } from './leader-channel.js';
import { connectRedis, type RedisConnection } from './redis.js';

let server: RedisServer;
const connections: RedisConnection[] = [];
const log = () => {};

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await server?.close();
});

async function member(prefix: string): Promise<Cluster> {
  const redis = await connectRedis({ url: server.url, log });
  connections.push(redis);
  return createCluster({ redis, redisUrl: server.url, prefix, version: 'test', log, tickMs: 100 });
}

const until = async (check: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('cluster', () => {
  it('members see each other; one leader per lease; the lead moves when the leader leaves or dies', async () => {
    const [a, b, c] = [await member('c1:'), await member('c1:'), await member('c1:')];
    await until(() => [a, b, c].every((m) => m.status().members.length === 3));
    expect(a.status()).toMatchObject({ store: 'redis', member: a.memberId, redis: { connected: true } });

    const leaders = new Set<string>();
    const la = a.leadership('telegram:x', (l) => l && leaders.add('a'));
    const lb = b.leadership('telegram:x', (l) => l && leaders.add('b'));
    await until(() => la.isLeader() || lb.isLeader());
    await new Promise((r) => setTimeout(r, 300));
    expect([la.isLeader(), lb.isLeader()].filter(Boolean)).toHaveLength(1);
    const [leader, follower] = la.isLeader() ? [la, lb] : [lb, la];

    // A clean stop gives the lease back at once.
    await leader.stop();
    await until(() => follower.isLeader(), 2_000);

    // A member that dies (stops renewing without releasing) loses it after one TTL.
    const ld = c.leadership('telegram:y', () => {});
    await until(() => ld.isLeader());
    const lf = a.leadership('telegram:y', () => {});
    await server.cli('SET', 'c1:leader:telegram:y', 'dead-member', 'PX', '300');
    await until(() => !ld.isLeader() || lf.isLeader(), 3_000);
    await until(() => ld.isLeader() || lf.isLeader(), 3_000);
    await Promise.all([follower.stop(), ld.stop(), lf.stop()]);
    await c.close();
    await until(() => a.status().members.length === 2);
    await Promise.all([a.close(), b.close()]);
  });

  it('a leader channel runs only on the leader and stands by elsewhere, naming the leader', async () => {
    const [a, b] = [await member('c2:'), await member('c2:')];
    const started: string[] = [];
    const fake = (who: string): Channel => ({
      name: 'telegram',
      type: 'telegram',
      async start() {
        started.push(`${who} start`);
      },
      async stop() {
        started.push(`${who} stop`);
      },
      status: () => ({ state: 'running', messages: { in: 0, out: 0 } }),
    });
    const context = { signal: new AbortController().signal, submit: async () => {}, log, mountUpgrade: () => {}, afterStart: Promise.resolve() };
    const ca = createLeaderChannel({ name: 'telegram', type: 'telegram', lease: 'telegram:bot', cluster: a, build: async () => fake('a') });
    await ca.start(context);
    await until(() => ca.status().state === 'running');
    const cb = createLeaderChannel({ name: 'telegram', type: 'telegram', lease: 'telegram:bot', cluster: b, build: async () => fake('b') });
    await cb.start(context);
    await until(() => /standby: gateway .* runs this channel/.test(cb.status().detail ?? ''), 2_000);
    expect(cb.status().state).toBe('standby');
    await ca.stop();
    await until(() => cb.status().state === 'running', 2_000);
    expect(started).toEqual(['a start', 'a stop', 'b start']);
    await cb.stop();
    await Promise.all([a.close(), b.close()]);
  });
});
