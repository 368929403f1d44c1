/**
 * Small durable values a channel keeps between runs, such as the Telegram update offset, so a
 * restart (or another gateway taking over the poller) does not answer the last messages again.
 * One JSON file under the workspace for a lone gateway; Redis when gateways share sessions.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from '@picoclaw/core';
import type { RedisConnection } from '../cluster/redis.js';

export interface ChannelStateStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

export function createFileChannelState(workspace: string): ChannelStateStore {
  const path = join(workspace, 'state', 'channels.json');
  let values: Promise<Record<string, string>> | undefined;
  let writing: Promise<void> = Promise.resolve();
  const read = () =>
    (values ??= readFileIfExists(path).then((text) => {
      try {
        const parsed = JSON.parse(text ?? '{}') as unknown;
        return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, string>) : {};
      } catch {
        return {}; // a damaged file only costs the offsets, which start over
      }
    }));
  return {
    async get(key) {
      return (await read())[key];
    },
    async set(key, value) {
      const all = await read();
      all[key] = value;
      // Writes queue behind each other; each writes the latest values.
      writing = writing.catch(() => {}).then(async () => {
        await mkdir(dirname(path), { recursive: true, mode: 0o700 });
        await writeFileAtomic(path, JSON.stringify(all), { mode: 0o600 });
      });
      await writing;
    },
  };
}

export function createRedisChannelState(redis: RedisConnection, prefix: string): ChannelStateStore {
  return {
    async get(key) {
      return (await redis.command<string | null>(['GET', `${prefix}channel-state:${key}`])) ?? undefined;
    },
    async set(key, value) {
      await redis.command(['SET', `${prefix}channel-state:${key}`, value]);
    },
  };
}
