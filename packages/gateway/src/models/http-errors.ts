/**
 * Turns what fetch and remote APIs throw or answer into PicoErrors that say, in one line, which
 * model failed and why, and that carry the status and Retry-After for the fallback chain.
 */
import { PicoError, parseRetryAfter } from '@picoclaw/core';

const networkReasons: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the server',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate not trusted',
};

/** The innermost error code of a fetch failure (undici wraps the socket error in `cause`). */
function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Maps a thrown fetch error; `what` names the caller ("model mistral-small", "MCP server ha"). */
export function fetchFailure(error: unknown, what: string, url: string, signal?: AbortSignal): PicoError {
  if (error instanceof PicoError) return error;
  if (signal?.aborted) return new PicoError('aborted', `${what}: cancelled`, { cause: error });
  const code = errorCode(error);
  let host = url;
  try {
    host = new URL(url).host;
  } catch {
    // keep the raw string
  }
  const reason = (code && networkReasons[code]) ?? (error instanceof Error ? error.message : String(error));
  return new PicoError('network', `${what}: cannot reach ${host}: ${reason}`, { cause: error });
}

/**
 * A failure after the answer had started: a network error there is a broken stream, not a
 * server that cannot be reached.
 */
export function brokenStream(failure: PicoError): PicoError {
  if (failure.code !== 'network') return failure;
  return new PicoError('network', failure.message.replace(/cannot reach (\S+): /, 'the connection to $1 broke during the answer: '), { cause: failure.cause });
}

/** Extracts the human part of an error body: JSON `error.message`, `message`, `detail`, or text. */
export function errorBodyMessage(body: string, contentType: string | null): string {
  const text = body.trim();
  if (/html/i.test(contentType ?? '') || text.startsWith('<')) return 'the server returned an HTML page instead of JSON (check api_base or a proxy in between)';
  try {
    const json = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown; detail?: unknown };
    const message =
      typeof json.error === 'string' ? json.error
      : typeof json.error?.message === 'string' ? json.error.message
      : typeof json.message === 'string' ? json.message
      : typeof json.detail === 'string' ? json.detail
      : undefined;
    if (message) return message.slice(0, 300);
  } catch {
    // not JSON
  }
  return text.slice(0, 300) || '(empty body)';
}

/** What responseFailure reads of an HTTP answer (httpRequest's response). */
export interface FailedResponse {
  status: number;
  text(): Promise<string>;
  header(name: string): string | undefined;
}

/** Maps a non-2xx response to a PicoError('remote') with status and Retry-After. */
export async function responseFailure(response: FailedResponse, what: string): Promise<PicoError> {
  const header = (name: string) => response.header(name) ?? null;
  const body = await response.text().catch(() => '');
  const message = errorBodyMessage(body, header('content-type'));
  const retryAfterMs = parseRetryAfter(header('retry-after'));
  const hint =
    response.status === 401 || response.status === 403 ? ' (check the API key)'
    : response.status === 404 ? ' (check the model id and api_base)'
    : '';
  return new PicoError('remote', `${what}: HTTP ${response.status}: ${message}${hint}`, {
    status: response.status,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}
