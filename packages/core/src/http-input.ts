/**
 * Reading what HTTP clients send without ever throwing: a request target, an Origin header or a
 * %-escaped path segment that does not parse is `undefined`, and the caller answers 400 or 403.
 * (`new URL('//', base)` and `decodeURIComponent('%E0%A4%A')` throw; in an 'upgrade' listener
 * that would end the process.)
 */

/** The path and query of a request target; `//x` stays a path (it is not a host here). */
export function parseRequestTarget(raw: string | undefined): URL | undefined {
  const target = raw ?? '/';
  try {
    return new URL(`http://request${target.startsWith('/') ? target : `/${target}`}`);
  } catch {
    return undefined;
  }
}

/** True when there is no Origin header, or it names `host`; false for any other or unparsable value (`null` included). */
export function sameOriginOrNone(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

export function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
