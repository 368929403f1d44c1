/**
 * Gateways sharing one Redis know about each other: each writes a heartbeat every `tickMs`
 * (a member key that expires after three ticks, plus a sorted set for listing), and holds
 * leaderships — leases for work only one gateway may do, like polling a Telegram bot. A
 * leader renews on every tick; the others try to take the lease on every tick, so when a
 * leader dies another takes over within one lease TTL plus one tick.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ClusterMember, ClusterStatus } from '@picoclaw/core';
import type { Log } from '../channels/channel.js';
import { createLeaseOps } from './lease.js';
import { describeRedisUrl, type RedisConnection } from './redis.js';

export interface Leadership {
  isLeader(): boolean;
  /** Stops competing and gives the lease back if held. */
  stop(): Promise<void>;
}

export interface Cluster {
  readonly memberId: string;
  leadership(name: string, onChange: (leader: boolean) => void): Leadership;
  /** Who holds a lease, from the last tick. */
  leaderOf(name: string): string | undefined;
  status(): ClusterStatus;
  close(): Promise<void>;
}

export interface ClusterOptions {
  redis: RedisConnection;
  redisUrl: string;
  prefix: string;
  version: string;
  log: Log;
  tickMs?: number;
  now?: () => Date;
}

export async function createCluster(options: ClusterOptions): Promise<Cluster> {
  const { redis, prefix } = options;
  const tickMs = options.tickMs ?? 2_000;
  const ttlMs = tickMs * 3;
  const now = options.now ?? (() => new Date());
  const memberId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const self = { id: memberId, host: hostname(), pid: process.pid, version: options.version, started_at: now().toISOString() };
  const leases = createLeaseOps(redis);
  const leaseKey = (name: string) => `${prefix}leader:${name}`;
  const competing = new Map<string, { leader: boolean; onChange: (leader: boolean) => void }>();
  let members: ClusterMember[] = [];
  const holders = new Map<string, string>();
  let ticking: Promise<void> = Promise.resolve();
  let closed = false;

  async function heartbeat() {
    const at = now();
    const seen = { ...self, last_seen: at.toISOString() };
    await redis.command(['SET', `${prefix}member:${memberId}`, JSON.stringify(seen), 'PX', String(ttlMs)]);
    await redis.command(['ZADD', `${prefix}members`, String(at.getTime()), memberId]);
    await redis.command(['ZREMRANGEBYSCORE', `${prefix}members`, '-inf', String(at.getTime() - ttlMs)]);
    const ids = await redis.command<string[]>(['ZRANGE', `${prefix}members`, '0', '-1']);
    const infos = ids.length ? await redis.command<(string | null)[]>(['MGET', ...ids.map((id) => `${prefix}member:${id}`)]) : [];
    members = infos.flatMap((info) => {
      try {
        return info ? [JSON.parse(info) as ClusterMember] : [];
      } catch {
        return [];
      }
    });
  }

  async function compete(name: string, entry: { leader: boolean; onChange: (leader: boolean) => void }) {
    const key = leaseKey(name);
    const leader = entry.leader ? await leases.renew(key, memberId, ttlMs) : await leases.tryAcquire(key, memberId, ttlMs);
    if (leader !== entry.leader) {
      entry.leader = leader;
      options.log(leader ? 'info' : 'warn', leader ? `cluster: this gateway now leads ${name}` : `cluster: lost the lead of ${name}`);
      entry.onChange(leader);
    }
    const holder = leader ? memberId : await leases.holder(key);
    if (holder) holders.set(name, holder);
    else holders.delete(name);
  }

  async function tick() {
    try {
      await heartbeat();
      for (const [name, entry] of competing) await compete(name, entry);
    } catch (error) {
      // Redis is unreachable: a leader cannot renew, so it must assume it lost the lease
      // before its TTL runs out and another gateway takes over.
      for (const [name, entry] of competing) {
        if (entry.leader) {
          entry.leader = false;
          options.log('warn', `cluster: Redis unreachable (${(error as Error).message}); giving up the lead of ${name}`);
          entry.onChange(false);
        }
      }
    }
  }

  const run = () => {
    if (closed) return;
    ticking = ticking.then(tick);
  };
  await tick();
  const timer = setInterval(run, tickMs);
  timer.unref();
  options.log('info', `cluster: member ${memberId} of ${members.length} on ${describeRedisUrl(options.redisUrl)}`);

  return {
    memberId,
    leadership(name, onChange) {
      const entry = { leader: false, onChange };
      competing.set(name, entry);
      // Compete at once rather than on the next tick.
      ticking = ticking.then(() => compete(name, entry).catch(() => {}));
      return {
        isLeader: () => entry.leader,
        async stop() {
          competing.delete(name);
          await ticking;
          if (entry.leader) {
            entry.leader = false;
            await leases.release(leaseKey(name), memberId).catch(() => {});
          }
        },
      };
    },
    leaderOf: (name) => holders.get(name),
    status: () => ({
      store: 'redis',
      member: memberId,
      redis: { url: describeRedisUrl(options.redisUrl), connected: redis.connected },
      members,
      leaders: Object.fromEntries(holders),
    }),
    async close() {
      closed = true;
      clearInterval(timer);
      await ticking;
      for (const [name, entry] of competing) if (entry.leader) await leases.release(leaseKey(name), memberId).catch(() => {});
      competing.clear();
      await redis.command(['DEL', `${prefix}member:${memberId}`]).catch(() => {});
      await redis.command(['ZREM', `${prefix}members`, memberId]).catch(() => {});
    },
  };
}
