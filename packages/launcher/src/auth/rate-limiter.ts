/**
 * Failed logins per client: after 5 failures in 15 minutes, each further attempt must wait
 * 2, 4, 8 … seconds (up to 15 minutes) after the previous failure. A success clears the count.
 */
export interface RateLimiter {
  /** Milliseconds the client must still wait, or 0. */
  blockedFor(client: string): number;
  fail(client: string): void;
  succeed(client: string): void;
}

const WINDOW_MS = 15 * 60_000;
const FREE = 5;

export function createRateLimiter(now: () => number = Date.now): RateLimiter {
  const failures = new Map<string, number[]>();
  const recent = (client: string) => (failures.get(client) ?? []).filter((t) => now() - t < WINDOW_MS);
  return {
    blockedFor(client) {
      const list = recent(client);
      if (list.length < FREE) return 0;
      const wait = Math.min(WINDOW_MS, 1000 * 2 ** (list.length - FREE + 1));
      return Math.max(0, list.at(-1)! + wait - now());
    },
    fail(client) {
      failures.set(client, [...recent(client), now()].slice(-50));
      if (failures.size > 10_000) failures.delete(failures.keys().next().value!);
    },
    succeed(client) {
      failures.delete(client);
    },
  };
}
