/**
 * The one error base class of the project. `code` says what went wrong, in a form code can branch
 * on; `message` says it to a person. `status` and `retryAfterMs` carry what a remote answered, so
 * the shared retry classifier (retry.ts) can decide without knowing which client failed.
 */
export const errorCodes = [
  'config_parse', //          a file is not valid JSON / YAML
  'config_invalid', //        the document parsed but failed validation
  'config_version', //        unsupported `version`
  'config_write', //          a config file could not be written (disk full, read-only, …)
  'secret_ref', //            a file:// or enc:// credential could not be resolved
  'settings_invalid', //      process settings (flags, env, launcher-config.json) are invalid
  'remote', //                a remote answered with an error status (see `status`)
  'network', //               the network broke: refused, reset, DNS, TLS
  'timeout', //               no answer in time
  'aborted', //               cancelled through an AbortSignal
  'unavailable', //           nothing could serve the request (every model failed, server not connected)
  'invalid_input', //         a request, frame or tool call carried bad input
  'internal', //              a bug: an invariant did not hold
] as const;
export type PicoErrorCode = (typeof errorCodes)[number];

export interface PicoErrorOptions {
  cause?: unknown;
  /** HTTP (or protocol) status from the remote, when there was one. */
  status?: number;
  /** How long the remote asked us to wait before trying again (Retry-After, retry_after). */
  retryAfterMs?: number;
}

export class PicoError extends Error {
  override readonly name = 'PicoError';
  readonly status?: number;
  readonly retryAfterMs?: number;

  constructor(
    readonly code: PicoErrorCode,
    message: string,
    options: PicoErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

export function isPicoError(error: unknown, code?: PicoErrorCode): error is PicoError {
  return error instanceof PicoError && (code === undefined || error.code === code);
}
