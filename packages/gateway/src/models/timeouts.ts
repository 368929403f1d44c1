import { PicoError } from '@picoclaw/core';

/**
 * A signal that aborts on the caller's signal or when the `arm`ed timer runs out, so a timeout
 * cancels the HTTP request itself. Re-arming replaces the timer (idle timeouts).
 */
export function timeoutController(outer: AbortSignal | undefined) {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let timedOut: string | undefined;
  const onAbort = () => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onAbort, { once: true });
  if (outer?.aborted) onAbort();
  return {
    signal: controller.signal,
    arm(ms: number | undefined, message: string) {
      clearTimeout(timer);
      if (ms) timer = setTimeout(() => {
        timedOut = message;
        controller.abort(new PicoError('timeout', message));
      }, ms);
    },
    get timedOut() {
      return timedOut;
    },
    dispose() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}


/**
 * Iterates `source` until `signal` aborts, then stops waiting at once and throws the abort
 * reason. The Mistral SDK's event stream does not always end when its fetch is aborted in the
 * middle of the body, so without this a stopped turn (or an idle timeout) waited for the model.
 */
export async function* untilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
    // Not awaited: closing a stream that ignored the abort may hang as well.
    void Promise.resolve(iterator.return?.()).catch(() => {});
  }
}
