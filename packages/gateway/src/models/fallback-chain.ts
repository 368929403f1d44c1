/**
 * The fallback chain: a LanguageModel that tries its candidates in order (primary, its other API
 * keys and entry fallbacks, then `model_fallbacks`). A candidate that fails before producing any
 * output is put in cooldown and the next one is tried; output already streamed cannot be taken
 * back, so a failure after it ends the answer. When every candidate fails the error lists each
 * one's reason in a sentence a person can act on.
 */
import { classifyFailure, PicoError } from '@picoclaw/core';
import type { LanguageModel, ModelEvent, ModelRequest, Usage } from './types.js';

export interface CandidateStatus {
  name: string;
  provider: string;
  model: string;
  state: 'ready' | 'cooling-down';
  failures: number;
  cooldownUntil?: string;
  lastError?: string;
  lastSuccessAt?: string;
  lastLatencyMs?: number;
}

export interface FallbackChain extends LanguageModel {
  readonly candidates: readonly LanguageModel[];
  status(): CandidateStatus[];
}

interface Health {
  failures: number;
  cooldownUntil: number;
  lastFailureAt: number;
  lastError?: string;
  lastSuccessAt?: number;
  lastLatencyMs?: number;
}

const MINUTE = 60_000;
/** Standard cooldown of the reference: 1 min, 5 min, 25 min, then 1 h. */
export function cooldownMs(failures: number): number {
  return Math.min(60 * MINUTE, MINUTE * 5 ** Math.min(Math.max(failures - 1, 0), 3));
}

/**
 * Whether the next candidate should be tried after `error`. Besides the retryable failures
 * (429, 5xx, timeouts, network), a rejected key (401/403), exhausted credit (402) or an unknown
 * model (404) concern this candidate only, so the next one may well work. A malformed request
 * (400, 422) would fail everywhere: stop.
 */
function movesOn(error: unknown): boolean {
  if (error instanceof PicoError && error.code === 'aborted') return false;
  if (classifyFailure(error).retry) return true;
  const status = error instanceof PicoError ? error.status : undefined;
  return status === 401 || status === 402 || status === 403 || status === 404;
}

/**
 * A candidate that refuses the images of a request (a model wrongly counted as seeing images, or a
 * provider route without vision: "does not support image input", "unsupported content type:
 * image_url"). The next candidate may see them; the refusing one stays healthy for text.
 */
function refusesImages(error: unknown, request: ModelRequest): boolean {
  const status = error instanceof PicoError ? error.status : undefined;
  return (status === 400 || status === 415 || status === 422) &&
    /image|vision|multimodal/i.test(error instanceof Error ? error.message : '') &&
    request.messages.some((m) => m.role === 'user' && m.images !== undefined);
}

/** A candidate's state from its health record at `now` (ms). */
export function candidateStatus(m: Pick<LanguageModel, 'name' | 'provider' | 'modelId'>, h: Readonly<Health>, now: number): CandidateStatus {
  const cooling = h.cooldownUntil > now;
  return {
    name: m.name,
    provider: m.provider,
    model: m.modelId,
    state: cooling ? 'cooling-down' : 'ready',
    failures: h.failures,
    ...(cooling ? { cooldownUntil: new Date(h.cooldownUntil).toISOString() } : {}),
    ...(h.lastError ? { lastError: h.lastError } : {}),
    ...(h.lastSuccessAt ? { lastSuccessAt: new Date(h.lastSuccessAt).toISOString() } : {}),
    ...(h.lastLatencyMs !== undefined ? { lastLatencyMs: h.lastLatencyMs } : {}),
  };
}

/** Health is shared by every chain that uses the same candidate, across sessions and reloads. */
export type HealthBook = Map<string, Health>;
export const createHealthBook = (): HealthBook => new Map();

export function createFallbackChain(
  candidates: readonly LanguageModel[],
  options: {
    health?: HealthBook;
    now?: () => number;
    /**
     * Called once per candidate that answered: with the usage its provider reported at the end,
     * or undefined (none reported, or the answer broke off after output). On the hot path: keep it a counter.
     */
    onUsage?: (model: string, usage: Usage | undefined) => void;
  } = {},
): FallbackChain {
  if (candidates.length === 0) throw new PicoError('unavailable', 'no model is configured: set agents.defaults.model_name and model_list in config.json');
  const now = options.now ?? Date.now;
  const health = options.health ?? createHealthBook();
  const healthOf = (m: LanguageModel) => {
    let h = health.get(m.name);
    if (!h) health.set(m.name, (h = { failures: 0, cooldownUntil: 0, lastFailureAt: 0 }));
    return h;
  };
  const primary = candidates[0]!;

  return {
    name: primary.name,
    provider: primary.provider,
    modelId: primary.modelId,
    candidates,
    status: () => candidates.map((m) => candidateStatus(m, healthOf(m), now())),
    async *stream(request: ModelRequest, signal?: AbortSignal): AsyncGenerator<ModelEvent> {
      const reasons: string[] = [];
      const ready = candidates.filter((m) => healthOf(m).cooldownUntil <= now());
      const cooling = candidates.filter((m) => !ready.includes(m));
      for (const m of cooling) reasons.push(`${m.name}: cooling down until ${new Date(healthOf(m).cooldownUntil).toISOString().slice(11, 19)} UTC after: ${healthOf(m).lastError ?? 'an error'}`);
      // When everything is cooling down, the one that comes back first is still worth a try.
      const order = ready.length ? ready : [...cooling].sort((a, b) => healthOf(a).cooldownUntil - healthOf(b).cooldownUntil).slice(0, 1);

      for (const model of order) {
        const h = healthOf(model);
        const started = now();
        let produced = false;
        let ended = false;
        try {
          for await (const event of model.stream(request, signal)) {
            if (!produced) {
              produced = true;
              yield { type: 'response-start', model: model.name, ...(model !== primary ? { fallback: true } : {}) };
            }
            if (event.type === 'response-end' && !ended) {
              ended = true;
              options.onUsage?.(model.name, event.usage);
            }
            yield event;
          }
          // Counters reset on success; a 24 h quiet period resets them too (see the failure branch).
          h.failures = 0;
          h.cooldownUntil = 0;
          h.lastSuccessAt = now();
          h.lastLatencyMs = now() - started;
          return;
        } catch (error) {
          if (signal?.aborted) throw new PicoError('aborted', 'the turn was stopped', { cause: error });
          const message = error instanceof Error ? error.message : String(error);
          if (!produced && refusesImages(error, request)) {
            reasons.push(message);
            continue;
          }
          if (produced || !movesOn(error)) throw error;
          if (now() - h.lastFailureAt > 24 * 60 * MINUTE) h.failures = 0;
          h.failures++;
          h.lastFailureAt = now();
          h.lastError = message;
          const retryAfter = error instanceof PicoError ? (error.retryAfterMs ?? 0) : 0;
          h.cooldownUntil = now() + Math.max(retryAfter, cooldownMs(h.failures));
          reasons.push(message);
        } finally {
          // An answer cut off after output (or stopped by the caller) was still a request.
          if (produced && !ended) options.onUsage?.(model.name, undefined);
        }
      }
      throw new PicoError(
        'unavailable',
        `No model could answer.${reasons.length === 1 ? ` ${reasons[0]}` : reasons.map((r) => `\n- ${r}`).join('')}`,
      );
    },
  };
}
