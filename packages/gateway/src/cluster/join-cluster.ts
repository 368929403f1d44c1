/**
 * `session.store: "redis"`: what a gateway needs to be one of several on a Redis — sessions shared
 * with the others, cluster membership, the channel state and the jobs in Redis, and channels that
 * allow a single runner (Telegram) gated by a leader lease. Imported by gateway.ts only for such a
 * config, so a lone gateway never loads the Redis client.
 */
import { createHash } from 'node:crypto';
import type { Config } from '@picoclaw/core';
import { createRedisChannelState } from '../channels/channel-state.js';
import type { ChannelFactory } from '../channels/channel.js';
import { createRedisJobStore } from '../schedules/redis-job-store.js';
import { createRedisSessionStore } from '../sessions/redis-session-store.js';
import { createCluster } from './cluster.js';
import { createLeaderChannel } from './leader-channel.js';
import { connectRedis } from './redis.js';

type Log = (level: 'debug' | 'info' | 'warn' | 'error', message: string, meta?: Record<string, unknown>) => void;

export async function joinCluster(cfg: Config, factories: Partial<Record<string, ChannelFactory>>, deps: { version: string; log: Log }) {
  const { log } = deps;
  const r = cfg.session.redis;
  const redis = await connectRedis({ url: r.url, username: r.username, password: r.password, log });
  const cluster = await createCluster({ redis, redisUrl: r.url, prefix: r.key_prefix, version: deps.version, log });
  const store = createRedisSessionStore({
    redis,
    prefix: r.key_prefix,
    owner: cluster.memberId,
    onBadMessage: (key, index) => log('warn', `session ${key}: skipped unreadable message ${index}`),
    log,
  });
  const channelState = createRedisChannelState(redis, r.key_prefix);
  const jobs = createRedisJobStore({ redis, prefix: r.key_prefix, owner: cluster.memberId, warn: (m) => log('warn', m) });
  const telegram = factories.telegram;
  const gated: ChannelFactory | undefined = telegram && ((name, channelConfig, channelDeps) => {
    // One lease per bot token (hashed), so two channels on one bot still get one poller.
    const token = channelConfig.type === 'telegram' ? channelConfig.settings.token : name;
    const lease = `telegram:${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
    return createLeaderChannel({ name, type: channelConfig.type, lease, cluster, build: async () => telegram(name, channelConfig, channelDeps) });
  });
  return {
    redis,
    cluster,
    store,
    channelState,
    jobs,
    factories: gated ? { ...factories, telegram: gated } : factories,
    async close() {
      await cluster.close();
      await redis.close();
    },
  };
}
