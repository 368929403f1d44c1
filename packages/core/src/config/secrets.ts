/**
 * Secret fields: found through the schema's `secretTag`, then redacted for clients, restored when a
 * client sends a redacted value back, split off into `.security.yml` on save, and collected for the
 * log masker. One marker means "the value is kept elsewhere": `[NOT_HERE]`, as in the reference's
 * config.json, so a redacted document sent back to the API and a config.json on disk read the same.
 */
import { configSchema, secretTag } from './schema.js';
import { findPaths, type PathPattern } from './schema-walk.js';

export const SECRET_PLACEHOLDER = '[NOT_HERE]';

/**
 * Secret settings of channel types this project parses but does not run (their settings are a
 * loose record, so the schema cannot tag them); names from the reference's SecureString fields.
 */
const untypedChannelSecrets = [
  'token', 'app_secret', 'encrypt_key', 'verification_token', 'bot_token', 'app_token', 'access_token',
  'channel_secret', 'channel_access_token', 'client_secret', 'secret', 'password', 'webhook_url', 'corp_secret',
];

let cached: PathPattern[] | undefined;
/** Path patterns of every secret field (`'*'` = any array index or map key). */
export function secretPaths(): PathPattern[] {
  if (!cached) {
    const all = [...findPaths(configSchema, (node) => secretTag.has(node)), ...untypedChannelSecrets.map((key) => ['channel_list', '*', 'settings', key])];
    cached = [...new Map(all.map((p) => [p.join('\u0000'), p])).values()];
  }
  return cached;
}

type Path = (string | number)[];
type Visit = (value: string, path: Path, set: (value: string) => void) => void;

/** Calls `visit` for every string found at a secret path of `doc` (which it may rewrite in place). */
export function forEachSecret(doc: unknown, visit: Visit): void {
  const walk = (node: unknown, pattern: PathPattern, path: Path, set: (v: string) => void) => {
    if (pattern.length === 0) {
      if (typeof node === 'string') visit(node, path, set);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const [head, ...rest] = pattern;
    const container = node as Record<string | number, unknown>;
    const keys: (string | number)[] =
      head === '*' ? (Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node)) : [head as string];
    for (const key of keys) {
      if (!(key in container)) continue;
      walk(container[key], rest, [...path, key], (v) => (container[key] = v));
    }
  };
  for (const pattern of secretPaths()) walk(doc, pattern, [], () => {});
}

/** Every non-empty secret value in a config, e.g. for the log masker. */
export function collectSecrets(doc: unknown): string[] {
  const values = new Set<string>();
  forEachSecret(doc, (value) => {
    if (value && value !== SECRET_PLACEHOLDER) values.add(value);
  });
  return [...values];
}

/** A deep copy with every set secret replaced by the placeholder; unset ones stay empty. */
export function redactSecrets<T>(doc: T): T {
  const copy = structuredClone(doc);
  forEachSecret(copy, (value, _path, set) => {
    if (value !== '') set(SECRET_PLACEHOLDER);
  });
  return copy;
}

/**
 * A key that identifies a secret's place independently of array order: a model_list entry is
 * known by its model_name (and which duplicate it is), not by its index. This is also the key
 * `.security.yml` uses: `name`, or `name:<n>` for each of several entries with that name (0-based).
 * Every duplicate gets its index, the first too: a reader falls back from `name:<n>` to a bare
 * `name`, which would hand the first entry's keys to a duplicate that has none of its own.
 * With `byModel`, duplicates are told apart by their `model` as well, which survives reordering
 * of same-named entries.
 */
export function logicalSecretKey(doc: unknown, path: Path, byModel = false): string {
  const parts: (string | number)[] = [...path];
  if (path[0] === 'model_list' && typeof path[1] === 'number') {
    const list = (doc as { model_list?: { model_name?: unknown; model?: unknown }[] }).model_list ?? [];
    const entry = list[path[1]];
    const name = String(entry?.model_name ?? '');
    const same = (m: { model_name?: unknown; model?: unknown } | undefined) => m?.model_name === name && (!byModel || m?.model === entry?.model);
    const nth = list.slice(0, path[1]).filter(same).length;
    const duplicated = nth > 0 || list.slice(path[1] + 1).some(same);
    parts[1] = (byModel ? `${name}|${String(entry?.model ?? '')}` : name) + (duplicated ? `:${nth}` : '');
  }
  return JSON.stringify(parts);
}

/**
 * Replaces each placeholder in `incoming` by the secret `stored` holds at the same logical place
 * (same model_name and model first, then same model_name). A placeholder with nothing stored
 * becomes empty (unset), never the literal marker.
 */
export function restoreSecrets<T>(incoming: T, stored: unknown): T {
  const known = new Map<string, string>();
  forEachSecret(stored, (value, path) => {
    known.set(logicalSecretKey(stored, path, true), value);
    known.set(logicalSecretKey(stored, path), value);
  });
  const copy = structuredClone(incoming);
  forEachSecret(copy, (value, path, set) => {
    if (value !== SECRET_PLACEHOLDER) return;
    set(known.get(logicalSecretKey(copy, path, true)) ?? known.get(logicalSecretKey(copy, path)) ?? '');
  });
  return copy;
}
