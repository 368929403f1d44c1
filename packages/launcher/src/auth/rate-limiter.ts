/**
 * Credential guessing limits, per client and per account. Each attempt is counted BEFORE the
 * credential is checked (a reservation, dropped again when the credential was right), so N
 * guesses sent in parallel cannot all be judged before the first failure is recorded.
 *
 * Client (an address, see client-address.ts): 5 free failures in 15 minutes, then each further
 * attempt waits 2, 4, 8 … seconds (up to 15 minutes) after the previous one; a success clears it.
 * Account (the dashboard password, the token, the setup code): the same shape with a budget of
 * 100, so guesses spread over many addresses are limited too. The trade-off: someone who can send
 * from 20+ addresses can make the owner wait as well; the other credential (token or password),
 * existing sessions and a launcher restart (the counts live in memory) still get the owner in.
 */
export interface Attempt {
  /** > 0: refused, wait this long (nothing was counted); 0: go ahead, the attempt is counted. */
  readonly waitMs: number;
  /** When refused because of an account's budget (not the client's): that account. */
  readonly account?: string;
  /** The credential was right: the client's failures are cleared and this reservation dropped. */
  succeed(): void;
}

export interface RateLimiter {
  attempt(client: string, accounts?: readonly string[]): Attempt;
  /** The wait for a client (0 when free), without counting anything. */
  blockedFor(client: string): number;
}

export interface LimitPolicy {
  free: number;
  windowMs: number;
  maxWaitMs: number;
}

export const clientPolicy: LimitPolicy = { free: 5, windowMs: 15 * 60_000, maxWaitMs: 15 * 60_000 };
export const accountPolicy: LimitPolicy = { free: 100, windowMs: 15 * 60_000, maxWaitMs: 15 * 60_000 };

/** Failure times per key, pruned on access; at most `maxKeys` keys (the oldest goes first). */
function createCounter(policy: LimitPolicy, now: () => number, maxKeys: number) {
  const failures = new Map<string, { at: number }[]>();
  const recent = (key: string) => {
    const list = (failures.get(key) ?? []).filter((f) => now() - f.at < policy.windowMs);
    if (list.length) failures.set(key, list);
    else failures.delete(key);
    return list;
  };
  return {
    waitFor(key: string): number {
      const list = recent(key);
      if (list.length < policy.free) return 0;
      const wait = Math.min(policy.maxWaitMs, 1000 * 2 ** (list.length - policy.free + 1));
      return Math.max(0, list.at(-1)!.at + wait - now());
    },
    reserve(key: string) {
      const entry = { at: now() };
      const list = [...recent(key), entry].slice(-50);
      failures.delete(key); // re-inserted last: the map's order is least recently used first
      failures.set(key, list);
      if (failures.size > maxKeys) failures.delete(failures.keys().next().value!);
      return entry;
    },
    drop(key: string, entry: { at: number }) {
      const list = failures.get(key)?.filter((f) => f !== entry);
      if (list?.length) failures.set(key, list);
      else failures.delete(key);
    },
    clear(key: string) {
      failures.delete(key);
    },
  };
}

export function createRateLimiter(options: { now?: () => number; client?: LimitPolicy; account?: LimitPolicy } = {}): RateLimiter {
  const now = options.now ?? Date.now;
  const clients = createCounter(options.client ?? clientPolicy, now, 10_000);
  // Accounts are few and fixed: kept apart so a flood of client keys cannot evict them.
  const accounts = createCounter(options.account ?? accountPolicy, now, 100);
  return {
    attempt(client, names = []) {
      const clientWait = clients.waitFor(client);
      const accountWaits = names.map((n) => [n, accounts.waitFor(n)] as const).filter(([, w]) => w > clientWait);
      const waitMs = Math.max(clientWait, ...accountWaits.map(([, w]) => w));
      if (waitMs > 0) return { waitMs, ...(accountWaits.length ? { account: accountWaits[0]![0] } : {}), succeed() {} };
      // Reserving before any await makes the check-and-count atomic for parallel requests.
      clients.reserve(client);
      const held = names.map((n) => [n, accounts.reserve(n)] as const);
      let done = false;
      return {
        waitMs: 0,
        succeed() {
          if (done) return;
          done = true;
          clients.clear(client);
          for (const [n, entry] of held) accounts.drop(n, entry);
        },
      };
    },
    blockedFor(client) {
      return clients.waitFor(client);
    },
  };
}
