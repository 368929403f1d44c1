/**
 * Leases in Redis: a key holding its owner's id with an expiry, taken with SET NX PX, renewed
 * and released only by its owner (compare-and-set in Lua). The per-session turn lock and the
 * Telegram poller's leadership are both leases, so a gateway that dies simply stops renewing
 * and the others take over after at most one TTL.
 */
import type { RedisConnection } from './redis.js';

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export interface LeaseOps {
  tryAcquire(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** False when the lease expired or someone else holds it now. */
  renew(key: string, owner: string, ttlMs: number): Promise<boolean>;
  release(key: string, owner: string): Promise<void>;
  holder(key: string): Promise<string | undefined>;
}

export function createLeaseOps(redis: RedisConnection): LeaseOps {
  return {
    async tryAcquire(key, owner, ttlMs) {
      return (await redis.command(['SET', key, owner, 'NX', 'PX', String(ttlMs)])) === 'OK';
    },
    async renew(key, owner, ttlMs) {
      return (await redis.script<number>(RENEW, [key], [owner, String(ttlMs)])) === 1;
    },
    async release(key, owner) {
      await redis.script(RELEASE, [key], [owner]);
    },
    async holder(key) {
      return (await redis.command<string | null>(['GET', key])) ?? undefined;
    },
  };
}

export interface HeldLease {
  /** Stops renewing and gives the lease back (a no-op when it was lost meanwhile). */
  release(): Promise<void>;
}

/**
 * Waits for a lease (polling with a growing, jittered delay up to `maxPollMs`), then keeps it
 * renewed every third of its TTL until released. Rejects when `signal` aborts first.
 */
export async function acquireLease(
  ops: LeaseOps,
  key: string,
  owner: string,
  options: { ttlMs: number; signal?: AbortSignal; maxPollMs?: number; onLost?: () => void },
): Promise<HeldLease> {
  let delay = 5;
  while (!(await ops.tryAcquire(key, owner, options.ttlMs))) {
    options.signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(done, delay * (0.5 + Math.random()));
      function done() {
        options.signal?.removeEventListener('abort', aborted);
        resolve();
      }
      function aborted() {
        clearTimeout(timer);
        reject(options.signal!.reason as Error);
      }
      options.signal?.addEventListener('abort', aborted, { once: true });
    });
    delay = Math.min(delay * 2, options.maxPollMs ?? 100);
  }
  let lost = false;
  const timer = setInterval(() => {
    ops.renew(key, owner, options.ttlMs).then(
      (ok) => {
        if (!ok && !lost) {
          lost = true;
          options.onLost?.();
        }
      },
      () => {}, // Redis unreachable: the next renewal tries again; the TTL decides.
    );
  }, Math.max(50, Math.floor(options.ttlMs / 3)));
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      await ops.release(key, owner).catch(() => {});
    },
  };
}
