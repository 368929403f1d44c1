import { describe, expect, it } from 'vitest';
import { PicoError } from './errors.js';
import { backoffDelay, classifyFailure, parseRetryAfter, retry, sleep } from './retry.js';

const remote = (status: number, retryAfterMs?: number) => new PicoError('remote', `HTTP ${status}`, { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });

describe('classifyFailure', () => {
  it.each([
    [429, true], [408, true], [425, true], [500, true], [502, true], [503, true], [529, true],
    [400, false], [401, false], [403, false], [404, false], [409, false], [422, false],
  ])('HTTP %i → retry %s', (status, expected) => {
    expect(classifyFailure(remote(status)).retry).toBe(expected);
  });

  it('passes Retry-After on', () => {
    expect(classifyFailure(remote(429, 7000))).toEqual({ retry: true, afterMs: 7000, reason: 'HTTP 429' });
  });

  it('reads telegraf errors (error_code, retry_after in seconds)', () => {
    const telegram = Object.assign(new Error('429: Too Many Requests'), { code: 429, response: { ok: false, error_code: 429, parameters: { retry_after: 3 } } });
    expect(classifyFailure(telegram)).toEqual({ retry: true, afterMs: 3000, reason: 'HTTP 429' });
    expect(classifyFailure(Object.assign(new Error('409: Conflict'), { response: { error_code: 409 } })).retry).toBe(false);
  });

  it('retries network failures, also when wrapped by fetch', () => {
    expect(classifyFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).retry).toBe(true);
    expect(classifyFailure(new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }))).toEqual({ retry: true, reason: 'ECONNRESET' });
    expect(classifyFailure(new PicoError('timeout', 't')).retry).toBe(true);
  });

  it('never retries cancellation, config or programming errors', () => {
    expect(classifyFailure(new PicoError('aborted', 'x')).retry).toBe(false);
    expect(classifyFailure(Object.assign(new Error('x'), { name: 'AbortError' })).retry).toBe(false);
    expect(classifyFailure(new PicoError('config_invalid', 'x')).retry).toBe(false);
    expect(classifyFailure(new PicoError('internal', 'x')).retry).toBe(false);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-24T12:00:00Z');
  it.each([
    ['5', 5000], ['0.5', 500], [' 12 ', 12000], [3, 3000], ['Tue, 24 Nov 2026 12:00:30 GMT', 30000], ['Tue, 24 Nov 2026 11:00:00 GMT', 0],
    ['soon', undefined], ['', undefined], [null, undefined], [undefined, undefined], ['-3', undefined], ['999999', 3600000],
  ])('%s → %s', (value, expected) => {
    expect(parseRetryAfter(value as string | number | null | undefined, now)).toBe(expected);
  });
});

describe('backoffDelay', () => {
  it('doubles from the base up to the cap', () => {
    const mid = () => 0.5; // no jitter
    expect([1, 2, 3, 4, 10].map((n) => backoffDelay(n, { baseMs: 100, maxMs: 1000, random: mid }))).toEqual([100, 200, 400, 800, 1000]);
  });
  it('stays within the jitter bounds and under the cap', () => {
    for (const r of [0, 0.25, 0.999]) {
      const d = backoffDelay(3, { baseMs: 100, maxMs: 10_000, jitter: 0.2, random: () => r });
      expect(d).toBeGreaterThanOrEqual(320);
      expect(d).toBeLessThanOrEqual(480);
    }
    expect(backoffDelay(20, { baseMs: 100, maxMs: 1000, random: () => 0.999 })).toBeLessThanOrEqual(1000);
  });
});

describe('retry', () => {
  const noWait = { sleep: async () => {} };
  it('succeeds after retryable failures', async () => {
    let calls = 0;
    const value = await retry(async () => {
      if (++calls < 3) throw remote(503);
      return 'ok';
    }, { ...noWait, attempts: 3 });
    expect([value, calls]).toEqual(['ok', 3]);
  });

  it('stops at once on a fatal failure', async () => {
    let calls = 0;
    await expect(retry(async () => { calls++; throw remote(401); }, noWait)).rejects.toMatchObject({ status: 401 });
    expect(calls).toBe(1);
  });

  it('waits at least Retry-After and reports each retry', async () => {
    const waits: number[] = [];
    const seen: string[] = [];
    await expect(retry(async () => { throw remote(429, 5000); }, { attempts: 3, baseMs: 10, sleep: async (ms) => void waits.push(ms), onRetry: (i) => seen.push(i.reason) })).rejects.toMatchObject({ status: 429 });
    expect(waits).toEqual([5000, 5000]);
    expect(seen).toEqual(['HTTP 429', 'HTTP 429']);
  });

  it('rejects promptly when aborted during the wait', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const started = Date.now();
    await expect(retry(async () => { throw remote(503); }, { attempts: 5, baseMs: 10_000, signal: controller.signal })).rejects.toMatchObject({ code: 'aborted' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('sleep resolves, and rejects on abort', async () => {
    await expect(sleep(5)).resolves.toBeUndefined();
    await expect(sleep(10, AbortSignal.abort())).rejects.toMatchObject({ code: 'aborted' });
  });
});
