/**
 * The Redis connection of a gateway that shares its sessions (`session.store: "redis"`). The
 * client library loads only then, so a single gateway never pays for it. Everything the gateway
 * needs goes through `command` and `script` (raw commands and Lua), which keeps the rest of the
 * code independent of the client's typed API and each multi-key change atomic.
 */
import { PicoError } from '@picoclaw/core';
import type { Log } from '../channels/channel.js';

export interface RedisConnection {
  command<T = unknown>(args: string[]): Promise<T>;
  /** Runs a Lua script atomically (EVALSHA, falling back to EVAL on a script-cache miss). */
  script<T = unknown>(lua: string, keys: string[], args: string[]): Promise<T>;
  readonly connected: boolean;
  close(): Promise<void>;
}

export interface RedisOptions {
  url: string;
  username?: string;
  password?: string;
  log: Log;
  /** Milliseconds to wait for the first connection before start-up fails. */
  connectTimeoutMs?: number;
}

/** Where the URL's password is, for log lines: redis://user:***@host:port/0. */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(invalid URL)';
  }
}

export async function connectRedis(options: RedisOptions): Promise<RedisConnection> {
  const lib = await import('@redis/client');
  // A CommonJS package: bundled, its exports sit on `default`.
  const createClient = lib.createClient ?? (lib as unknown as { default: typeof lib }).default.createClient;
  const where = describeRedisUrl(options.url);
  const client = createClient({
    url: options.url,
    ...(options.username ? { username: options.username } : {}),
    ...(options.password ? { password: options.password } : {}),
    // While Redis is down, fail commands at once (a clear turn error) instead of queueing them.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: options.connectTimeoutMs ?? 5_000,
      // Reconnect for ever with a capped backoff: the store is unusable, not the gateway.
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5_000),
    },
  });
  let lastError = '';
  client.on('error', (error: Error) => {
    // The client emits one error per failed reconnect: log only when the reason changes.
    if (error.message !== lastError) options.log('warn', `redis ${where}: ${error.message}`);
    lastError = error.message;
  });
  client.on('ready', () => {
    if (lastError) options.log('info', `redis ${where}: connected again`);
    lastError = '';
  });
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(lastError ? `${lastError} (still failing after ${options.connectTimeoutMs ?? 5_000} ms)` : `no answer within ${options.connectTimeoutMs ?? 5_000} ms`)), options.connectTimeoutMs ?? 5_000).unref(),
      ),
    ]);
  } catch (error) {
    client.destroy();
    throw new PicoError('unavailable', `cannot connect to Redis at ${where} (session.redis.url): ${(error as Error).message}`, { cause: error });
  }
  const shas = new Map<string, string>();
  // Errors name Redis, so a failed turn says what is down ("Redis redis://…: connection lost").
  const send = <T>(args: string[]) =>
    (client.sendCommand(args) as Promise<T>).catch((error: Error) => {
      throw /NOSCRIPT/.test(error.message) ? error : new PicoError('unavailable', `Redis ${where}: ${error.message}`, { cause: error });
    });
  return {
    command: send,
    async script<T>(lua: string, keys: string[], args: string[]): Promise<T> {
      let sha = shas.get(lua);
      if (!sha) {
        sha = await send<string>(['SCRIPT', 'LOAD', lua]);
        shas.set(lua, sha);
      }
      try {
        return await send<T>(['EVALSHA', sha, String(keys.length), ...keys, ...args]);
      } catch (error) {
        // After a Redis restart the script cache is empty.
        if (!/NOSCRIPT/.test((error as Error).message)) throw error;
        return send<T>(['EVAL', lua, String(keys.length), ...keys, ...args]);
      }
    },
    get connected() {
      return client.isReady;
    },
    async close() {
      await client.close().catch(() => client.destroy());
    },
  };
}
