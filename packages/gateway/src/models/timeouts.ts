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

