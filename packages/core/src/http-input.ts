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

/**
 * Deeper than any JSON document these processes accept (configs, API bodies, frames nest a few
 * levels). Past it, recursive code after the parse (JSON.stringify, secret walks, schema
 * checks) would exhaust the stack: a 500 and a stack trace instead of a clear 400.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Offset of the first `[` or `{` that nests deeper than `max` (outside strings), or -1. One pass
 * without recursion, on text or on the raw UTF-8 bytes of a body (every byte it looks at is
 * ASCII, never part of a multi-byte character). Meant to run before JSON.parse.
 */
export function jsonNestingTooDeep(text: string | Uint8Array, max = MAX_JSON_DEPTH): number {
  const bytes = typeof text === 'string' ? undefined : text;
  const length = text.length;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < length; i++) {
    const c = bytes ? bytes[i]! : (text as string).charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return -1;
}
