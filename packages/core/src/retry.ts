/**
 * The one retry policy of the project, shared by the model fallback chain, the Telegram poller,
 * MCP reconnects and the gateway supervisor: what is worth retrying, how long to wait, and a
 * `retry` helper that waits under an AbortSignal.
 */
import { PicoError } from './errors.js';

export type FailureClass = { retry: false; reason: string } | { retry: true; afterMs?: number; reason: string };

const networkCodes = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH',
  'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED',
]);
const fatalCodes = new Set(['config_parse', 'config_invalid', 'config_version', 'config_write', 'secret_ref', 'settings_invalid', 'internal', 'invalid_input']);

/** 1 hour: a Retry-After beyond that is treated as a mistake, not a plan. */
const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/**
 * Milliseconds to wait from a Retry-After header (delta-seconds or an HTTP date) or a
 * `retry_after` number of seconds; undefined when absent or unusable.
 */
export function parseRetryAfter(value: string | number | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  let ms: number;
  if (typeof value === 'number' || /^\s*\d+(\.\d+)?\s*$/.test(value)) ms = Number(value) * 1000;
  else {
    if (!/[a-z]/i.test(value)) return undefined; // an HTTP date has a day and month name
    const date = Date.parse(value);
    if (Number.isNaN(date)) return undefined;
    ms = date - now;
  }
  if (!Number.isFinite(ms) || ms < 0) return ms < 0 ? 0 : undefined;
  return Math.min(Math.round(ms), MAX_RETRY_AFTER_MS);
}

function statusOf(error: object): { status?: number; retryAfterMs?: number } {
  if (error instanceof PicoError) return { status: error.status, retryAfterMs: error.retryAfterMs };
  const e = error as Record<string, unknown>;
  // telegraf's TelegramError: { code, response: { error_code, parameters: { retry_after } } }
  const response = (e.response ?? {}) as { error_code?: unknown; parameters?: { retry_after?: unknown } };
  const status = [e.status, e.statusCode, response.error_code, e.error_code, typeof e.code === 'number' ? e.code : undefined].find(
    (s): s is number => typeof s === 'number' && s >= 100 && s < 600,
  );
  const retryAfter = response.parameters?.retry_after ?? (e.parameters as { retry_after?: unknown } | undefined)?.retry_after;
  return { status, retryAfterMs: typeof retryAfter === 'number' ? parseRetryAfter(retryAfter) : undefined };
}

function networkCode(error: unknown): string | undefined {
  let current = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && networkCodes.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Retryable or fatal. Statuses: 408, 425, 429 and 5xx retry (after Retry-After when given);
 * other 4xx are fatal (401/403 bad credentials, 404 wrong URL, 409 another Telegram poller).
 * Errors without a status are network trouble unless they say otherwise, so they retry.
 */
export function classifyFailure(error: unknown): FailureClass {
  if (error === null || typeof error !== 'object') return { retry: true, reason: String(error) };
  if ((error as Error).name === 'AbortError' || (error instanceof PicoError && error.code === 'aborted')) return { retry: false, reason: 'aborted' };
  if (error instanceof PicoError && fatalCodes.has(error.code)) return { retry: false, reason: error.code };
  const { status, retryAfterMs } = statusOf(error);
  if (status !== undefined) {
    const reason = `HTTP ${status}`;
    if (status === 408 || status === 425 || status === 429 || status >= 500) {
      return retryAfterMs !== undefined ? { retry: true, afterMs: retryAfterMs, reason } : { retry: true, reason };
    }
    return { retry: false, reason };
  }
  if (error instanceof PicoError && (error.code === 'network' || error.code === 'timeout' || error.code === 'unavailable')) return { retry: true, reason: error.code };
  const code = networkCode(error);
  if (code) return { retry: true, reason: code };
  return { retry: true, reason: 'unknown error' };
}

export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  /** Fraction of the delay added or removed at random, so many clients do not retry in step. */
  jitter?: number;
  random?: () => number;
}

/** Capped exponential backoff: base × 2^(attempt-1), ± jitter, never above maxMs. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const { baseMs = 500, maxMs = 30_000, jitter = 0.2, random = Math.random } = options;
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  const spread = exp * jitter * (random() * 2 - 1);
  return Math.max(0, Math.min(maxMs, Math.round(exp + spread)));
}

/** Resolves after `ms`, or rejects with PicoError('aborted') as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new PicoError('aborted', 'cancelled'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new PicoError('aborted', 'cancelled'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryOptions extends BackoffOptions {
  /** Total attempts, the first included. */
  attempts?: number;
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  classify?: (error: unknown) => FailureClass;
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown; reason: string }) => void;
}

/** Runs `fn` until it succeeds, a failure is fatal, or the attempts run out (the last error is thrown). */
export async function retry<T>(fn: (attempt: number, signal?: AbortSignal) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { attempts = 3, signal, classify = classifyFailure } = options;
  const wait = options.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt, signal);
    } catch (error) {
      if (signal?.aborted) throw new PicoError('aborted', 'cancelled', { cause: error });
      const verdict = classify(error);
      if (!verdict.retry || attempt >= attempts) throw error;
      const delayMs = Math.max(verdict.afterMs ?? 0, backoffDelay(attempt, options));
      options.onRetry?.({ attempt, delayMs, error, reason: verdict.reason });
      await wait(delayMs, signal);
    }
  }
}
