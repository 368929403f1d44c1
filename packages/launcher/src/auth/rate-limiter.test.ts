import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limiter.js';

const clock = () => {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

describe('rate limiter', () => {
  it('counts an attempt before the check: parallel guesses get the free budget, no more', () => {
    const c = clock();
    const limiter = createRateLimiter({ now: c.now });
    // 20 attempts started before any of them is judged (as 20 parallel requests are).
    const attempts = Array.from({ length: 20 }, () => limiter.attempt('203.0.113.1', ['password']));
    expect(attempts.filter((a) => a.waitMs === 0)).toHaveLength(5);
    expect(attempts.slice(5).every((a) => a.waitMs === 2000)).toBe(true);
  });

  it('waits 2, 4, 8 … s after the free failures, up to 15 minutes; a success clears the client', () => {
    const c = clock();
    const limiter = createRateLimiter({ now: c.now });
    for (let i = 0; i < 5; i++) expect(limiter.attempt('a').waitMs).toBe(0);
    expect(limiter.attempt('a').waitMs).toBe(2000);
    c.advance(2000);
    expect(limiter.attempt('a').waitMs).toBe(0);
    expect(limiter.attempt('a').waitMs).toBe(4000);
    for (let i = 0; i < 20; i++) {
      c.advance(limiter.blockedFor('a'));
      limiter.attempt('a');
    }
    expect(limiter.blockedFor('a')).toBeLessThanOrEqual(15 * 60_000);
    c.advance(16 * 60_000);
    const ok = limiter.attempt('a');
    expect(ok.waitMs).toBe(0);
    ok.succeed();
    expect(limiter.blockedFor('a')).toBe(0);
    // Another client is not affected by a's failures.
    expect(limiter.attempt('b').waitMs).toBe(0);
  });

  it('limits an account across clients with a larger budget; the owner’s success drops only its own reservation', () => {
    const c = clock();
    const limiter = createRateLimiter({ now: c.now, account: { free: 10, windowMs: 60_000, maxWaitMs: 60_000 } });
    for (let i = 0; i < 10; i++) expect(limiter.attempt(`198.51.100.${i}`, ['password']).waitMs).toBe(0);
    const blocked = limiter.attempt('198.51.100.200', ['password']);
    expect(blocked).toMatchObject({ waitMs: 2000, account: 'password' });
    // Another credential (the token) is its own account.
    expect(limiter.attempt('198.51.100.200', ['token']).waitMs).toBe(0);
    c.advance(2000);
    const owner = limiter.attempt('192.168.1.5', ['password']);
    expect(owner.waitMs).toBe(0);
    owner.succeed();
    // The attackers' failures still count for the account: one more is judged, then a longer wait.
    expect(limiter.attempt('198.51.100.201', ['password']).waitMs).toBe(0);
    expect(limiter.attempt('198.51.100.202', ['password']).waitMs).toBe(4000);
    c.advance(60_000);
    expect(limiter.attempt('198.51.100.201', ['password']).waitMs).toBe(0);
  });

  it('keeps a bounded number of client keys', () => {
    const limiter = createRateLimiter();
    for (let i = 0; i < 10_050; i++) limiter.attempt(`k${i}`);
    for (let i = 0; i < 5; i++) limiter.attempt('last');
    expect(limiter.blockedFor('last')).toBeGreaterThan(0);
    expect(limiter.blockedFor('k0')).toBe(0);
  });
});
