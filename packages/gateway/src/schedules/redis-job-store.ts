/**
 * Jobs shared by the gateways of a cluster (`session.store: "redis"`): a hash `<prefix>cron:jobs`
 * (field = job id, value = the job's JSON, read through `readJob`) and a revision counter
 * `<prefix>cron:rev` moved by every change, so `load()` costs one GET while nothing changed and
 * re-reads the hash only after another gateway wrote. A gateway's own writes move the revision by
 * exactly one when nobody else wrote in between; it then keeps its copy without reading back.
 *
 * `claim` is the lock for one occurrence (`<prefix>cron:run:<id>:<atMs>`, SET NX, kept a day):
 * two gateways that both believe they lead for a moment cannot both run it.
 */
import type { ScheduledJob } from '@picoclaw/core';
import type { RedisConnection } from '../cluster/redis.js';
import { readJob, type JobStore } from './job-store.js';

/** A Redis job store can also tell whether another gateway changed the jobs since the last load. */
export interface RedisJobStore extends JobStore {
  claim(id: string, atMs: number): Promise<boolean>;
  /** One GET: true when the jobs changed since this store last read or wrote them. */
  changed(): Promise<boolean>;
}

// Both return the new revision (0 when nothing changed), so the writer knows whether anyone else
// wrote. PUT sets id/JSON pairs one by one: unpacking ten thousand at once exceeds Lua's stack.
const PUT = `for i = 1, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end return redis.call('INCR', KEYS[2])`;
const REMOVE = `if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then return redis.call('INCR', KEYS[2]) else return 0 end`;

const DAY_MS = 24 * 60 * 60 * 1000;

export function createRedisJobStore(options: { redis: RedisConnection; prefix: string; owner: string; warn?: (message: string) => void; claimTtlMs?: number }): RedisJobStore {
  const { redis, prefix } = options;
  const warn = options.warn ?? (() => {});
  const hash = `${prefix}cron:jobs`;
  const rev = `${prefix}cron:rev`;
  const claimTtl = String(options.claimTtlMs ?? DAY_MS);
  let jobs = new Map<string, ScheduledJob>();
  /** The revision `jobs` reflects; undefined before the first read. */
  let seen: number | undefined;
  /** Unreadable entries already reported (field and value), so each is logged once, not on every re-read. */
  const reported = new Set<string>();

  const revision = async () => Number((await redis.command<string | null>(['GET', rev])) ?? 0);

  async function read(at: number) {
    const raw = await redis.command<string[] | Record<string, string>>(['HGETALL', hash]);
    const entries: [string, string][] = Array.isArray(raw) ? Array.from({ length: raw.length / 2 }, (_, i) => [raw[2 * i]!, raw[2 * i + 1]!]) : Object.entries(raw);
    const next = new Map<string, ScheduledJob>();
    for (const [field, value] of entries) {
      let parsed: unknown;
      let problem: string | undefined;
      try {
        parsed = JSON.parse(value);
      } catch {
        // Not the parser's message: it quotes the stored text, which does not belong in a log.
        problem = `job ${field.slice(0, 64)}: not valid JSON`;
      }
      if (!problem) {
        const result = readJob(parsed);
        if ('job' in result && result.job.id !== field) problem = `job ${field}: stored with the id ${result.job.id}`;
        else if ('job' in result) next.set(field, result.job);
        else problem = result.error;
      }
      if (problem && !reported.has(`${field}\n${value}`)) {
        reported.add(`${field}\n${value}`);
        warn(`Redis ${hash}: ${problem}; that job is left as it is and does not run`);
      }
    }
    jobs = next;
    seen = at;
  }

  /** After a write that moved the revision to `now`: still current only if nobody else wrote. */
  function wrote(now: number) {
    if (seen !== undefined && now === seen + 1) seen = now;
  }

  return {
    async load() {
      const at = await revision();
      if (at !== seen) await read(at);
      return [...jobs.values()];
    },
    async put(...list) {
      if (list.length === 0) return;
      // One script: all the jobs of a tick are written together, or none is.
      const now = await redis.script<number>(PUT, [hash, rev], list.flatMap((job) => [job.id, JSON.stringify(job)]));
      for (const job of list) jobs.set(job.id, job);
      wrote(Number(now));
    },
    async remove(id) {
      const now = Number(await redis.script<number>(REMOVE, [hash, rev], [id]));
      jobs.delete(id);
      if (now === 0) return false;
      wrote(now);
      return true;
    },
    async claim(id, atMs) {
      return (await redis.command(['SET', `${prefix}cron:run:${id}:${atMs}`, options.owner, 'NX', 'PX', claimTtl])) === 'OK';
    },
    async changed() {
      return (await revision()) !== seen;
    },
    flush: async () => {},
  };
}
