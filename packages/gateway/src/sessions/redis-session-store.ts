/**
 * Sessions in Redis, for several gateways serving one fleet (`session.store: "redis"`): any
 * gateway can continue any conversation. Per session: a list of JSON messages
 * (`<prefix>session:<key>:messages`) and a hash with the title, summary and dates
 * (`…:meta`); a sorted set (`<prefix>sessions`) orders them by last use. Each change is one Lua
 * script, so a gateway dying half-way never leaves half a change. `lock` serialises the turns
 * of one session across gateways with a lease that expires if its holder dies mid-turn.
 *
 * Durability is Redis's: run it with `appendonly yes` so an append survives a Redis crash.
 */
import { randomUUID } from 'node:crypto';
import type { RedisConnection } from '../cluster/redis.js';
import { acquireLease, createLeaseOps } from '../cluster/lease.js';
import { findIn, findInMessages, foldCase, jsonNeedle, SEARCH_BYTE_BUDGET, type SessionSearchHit, type SessionSearchResult } from './session-search.js';
import type { SessionInfo, SessionStore, StoredMessage } from './session-store.js';

const LOAD = `return { redis.call('LRANGE', KEYS[1], 0, -1), redis.call('HGET', KEYS[2], 'summary') or '' }`;

// ARGV: now ms, ISO stamp, session key, title candidate, messages…
const APPEND = `
redis.call('RPUSH', KEYS[1], unpack(ARGV, 5))
redis.call('HSETNX', KEYS[2], 'created_at', ARGV[2])
redis.call('HSET', KEYS[2], 'key', ARGV[3], 'updated_at', ARGV[2])
if ARGV[4] ~= '' then redis.call('HSETNX', KEYS[2], 'title', ARGV[4]) end
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[3])
return 1`;

// ARGV: now ms, ISO stamp, session key, summary, messages…
const REWRITE = `
redis.call('DEL', KEYS[1])
if #ARGV >= 5 then redis.call('RPUSH', KEYS[1], unpack(ARGV, 5)) end
redis.call('HSETNX', KEYS[2], 'created_at', ARGV[2])
redis.call('HSET', KEYS[2], 'key', ARGV[3], 'updated_at', ARGV[2], 'summary', ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[3])
return 1`;

// KEYS: messages, meta, index, archive. ARGV: session key.
const CLEAR = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('RENAME', KEYS[1], KEYS[4]) end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1`;

// ARGV: limit, key prefix ("<prefix>session:"). Returns key, score, length, title per session.
const LIST = `
local found = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1, 'WITHSCORES')
local out = {}
for i = 1, #found, 2 do
  local base = ARGV[2] .. found[i]
  out[#out + 1] = found[i]
  out[#out + 1] = found[i + 1]
  out[#out + 1] = redis.call('LLEN', base .. ':messages')
  out[#out + 1] = redis.call('HGET', base .. ':meta', 'title') or ''
end
return out`;

export interface RedisSessionStoreOptions {
  redis: RedisConnection;
  /** Prefix of every key (session.redis.key_prefix, default "picoclaw:"). */
  prefix: string;
  /** This gateway's id, written into the locks it holds. */
  owner?: string;
  /** How long a turn lock outlives a gateway that died holding it. */
  lockTtlMs?: number;
  now?: () => Date;
  onBadMessage?: (key: string, index: number) => void;
  log?: (level: 'warn', message: string) => void;
}

export function createRedisSessionStore(options: RedisSessionStoreOptions): SessionStore {
  const { redis, prefix } = options;
  const now = options.now ?? (() => new Date());
  const owner = options.owner ?? randomUUID();
  const leases = createLeaseOps(redis);
  const base = (key: string) => `${prefix}session:${key}`;
  const keys = (key: string) => [`${base(key)}:messages`, `${base(key)}:meta`, `${prefix}sessions`];

  const parse = (key: string, lines: string[]): StoredMessage[] => {
    const messages: StoredMessage[] = [];
    lines.forEach((line, index) => {
      try {
        const value = JSON.parse(line) as StoredMessage;
        if (value && typeof value.role === 'string' && typeof value.content === 'string') return void messages.push(value);
      } catch {
        // reported below
      }
      options.onBadMessage?.(key, index);
    });
    return messages;
  };

  const store: SessionStore = {
    async load(key) {
      const [lines, summary] = await redis.script<[string[], string]>(LOAD, keys(key).slice(0, 2), []);
      return { messages: parse(key, lines), ...(summary ? { summary } : {}) };
    },

    async append(key, messages) {
      if (messages.length === 0) return;
      const stamp = now();
      const iso = stamp.toISOString();
      const title = messages.find((m) => m.role === 'user')?.content.slice(0, 80) ?? '';
      await redis.script(APPEND, keys(key), [String(stamp.getTime()), iso, key, title, ...messages.map((m) => JSON.stringify({ ...m, created_at: m.created_at ?? iso }))]);
    },

    async rewrite(key, snapshot) {
      const stamp = now();
      await redis.script(REWRITE, keys(key), [String(stamp.getTime()), stamp.toISOString(), key, snapshot.summary ?? '', ...snapshot.messages.map((m) => JSON.stringify(m))]);
    },

    async clear(key) {
      const archive = `${prefix}archive:${key}:${now().toISOString()}`;
      await redis.script(CLEAR, [...keys(key), archive], [key]);
    },

    async setTitle(key, title) {
      await redis.command(['HSET', `${base(key)}:meta`, 'key', key, 'title', title.slice(0, 120)]);
    },

    async list(): Promise<SessionInfo[]> {
      const flat = await redis.script<(string | number)[]>(LIST, [`${prefix}sessions`], ['500', `${prefix}session:`]);
      const infos: SessionInfo[] = [];
      for (let i = 0; i < flat.length; i += 4) {
        const info: SessionInfo = { key: String(flat[i]), updatedAt: new Date(Number(flat[i + 1])).toISOString(), messages: Number(flat[i + 2]) };
        if (flat[i + 3]) info.title = String(flat[i + 3]);
        infos.push(info);
      }
      return infos;
    },

    async search({ prefix: keyPrefix, query, limit, maxBytes = SEARCH_BYTE_BUDGET }): Promise<SessionSearchResult> {
      // The sessions list() knows (the 500 most recent), newest first; one LRANGE each, only when
      // the title does not match, its raw lines checked before any is parsed.
      const q = foldCase(query);
      const needle = jsonNeedle(q);
      const hits: SessionSearchHit[] = [];
      let read = 0;
      for (const info of await store.list()) {
        if (hits.length >= limit) break;
        if (!info.key.startsWith(keyPrefix)) continue;
        const base = { key: info.key, ...(info.title ? { title: info.title } : {}), updatedAt: info.updatedAt };
        const inTitle = info.title ? findIn(info.title, q) : undefined;
        if (inTitle) {
          hits.push({ ...base, in: 'title', snippet: inTitle });
          continue;
        }
        if (read >= maxBytes) return { hits, truncated: true };
        const lines = await redis.command<string[]>(['LRANGE', keys(info.key)[0]!, '0', '-1']);
        read += lines.reduce((n, line) => n + line.length, 0);
        const candidates = needle === undefined ? lines : lines.filter((line) => foldCase(line).includes(needle));
        if (candidates.length === 0) continue;
        const match = findInMessages(parse(info.key, candidates), q);
        if (match) hits.push({ ...base, in: 'message', ...match });
      }
      return { hits, truncated: false };
    },

    async lock(key, signal) {
      const held = await acquireLease(leases, `${prefix}lock:${key}`, owner, {
        ttlMs: options.lockTtlMs ?? 10_000,
        ...(signal ? { signal } : {}),
        onLost: () => options.log?.('warn', `session ${key}: the turn lock expired while this gateway held it (Redis unreachable or the turn stalled)`),
      });
      return () => held.release();
    },
  };
  return store;
}
