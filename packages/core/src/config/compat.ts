/**
 * What makes a PicoClaw config load here as PicoClaw loaded it, decided on the raw document
 * (migrated, secrets merged) before the schema checks it:
 *
 * - keys starting with `_` are comments;
 * - `null` for a list is an empty list, for a map an empty map, anywhere else the default (Go's
 *   decoder leaves a non-nullable field as it was);
 * - `0` where only positive numbers are valid means "the default" (PicoClaw's `if x == 0`);
 * - a key some PicoClaw version knows but this schema does not (picoclaw-keys.ts) loads and is
 *   reported as ignored; so is an unknown key of a channel's `settings` (PicoClaw ignores those);
 *   a key no version knows stays an error, with a did-you-mean, so typos still fail.
 *
 * Comments and ignored keys are kept aside and put back after validation, so a config saved from
 * the dashboard loses none of them. Keys the schema accepts but that do nothing here are listed
 * in picoclaw-keys.ts too, and reported when the document sets them.
 */
import { activeIgnoredKeys, picoclawOnlyKey } from './picoclaw-keys.js';
import { configSchema } from './schema.js';
import { objectKeysAt } from './schema-walk.js';

type Json = Record<string, unknown>;
type Path = (string | number)[];

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface IgnoredKey {
  /** Dotted key path as written (after migration). */
  path: string;
  /** Why it does nothing here. */
  why: string;
}

export interface CompatResult {
  /** Values taken out before validation, to put back after it (comments, ignored keys). */
  kept: { path: Path; value: unknown }[];
  ignored: IgnoredKey[];
}

const dotted = (path: Path) => path.map(String).join('.');

/** The nearest of `candidates` to `key`, for a did-you-mean (snake_case for camelCase first). */
export function nearestKey(key: string, candidates: Iterable<string>): string | undefined {
  const snake = key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    if (candidate === snake) return candidate;
    const score = distance(snake, candidate.toLowerCase());
    if (score < bestScore) [best, bestScore] = [candidate, score];
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j]!;
      row[j] = next;
    }
  }
  return row[b.length]!;
}

const isChannelSettings = (path: Path) => path.length === 3 && path[0] === 'channel_list' && path[2] === 'settings';
/** Keys of a channel entry beside its `settings` (a common place for a misplaced key). */
const channelEnvelopeKeys = ['enabled', 'allow_from', 'reasoning_channel_id', 'group_trigger', 'typing', 'placeholder'];

type Issue = { code: string; path: PropertyKey[]; keys?: string[]; expected?: string; origin?: string; input?: unknown };

function valueAt(doc: unknown, path: readonly PropertyKey[]): unknown {
  let node = doc;
  for (const segment of path) node = isObject(node) || Array.isArray(node) ? (node as Record<PropertyKey, unknown>)[segment] : undefined;
  return node;
}

/**
 * Parses a raw document (migrated, secrets merged) with `schema`, reading PicoClaw's spellings
 * as PicoClaw does (see the module comment). It starts from the schema's own complaints, so a
 * config that is already valid (any config saved here) costs one parse and nothing more; each
 * complaint this module can answer is fixed in place and the document parsed again (a fix can
 * uncover what a broken parent hid), a few rounds at most. What remains is the real problems.
 */
export function parseWithCompat<T>(doc: Json, schema: { safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: unknown[] } } }): { result: ReturnType<typeof schema.safeParse>; compat: CompatResult } {
  const compat: CompatResult = { kept: [], ignored: [] };
  let result = schema.safeParse(doc);
  for (let round = 0; round < 5 && !result.success; round++) {
    let fixed = false;
    for (const issue of result.error.issues as Issue[]) {
      const path = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
      const parent = valueAt(doc, path);
      if (issue.code === 'unrecognized_keys' && isObject(parent)) {
        for (const key of issue.keys ?? []) {
          const why = key.startsWith('_') ? '' : isChannelSettings(path) ? settingsReason(key, path, doc) : picoclawOnlyKey([...path, key]);
          if (why === undefined) continue; // a key no PicoClaw version has: the error stays
          compat.kept.push({ path: [...path, key], value: parent[key] });
          if (why) compat.ignored.push({ path: dotted([...path, key]), why });
          delete parent[key];
          fixed = true;
        }
        continue;
      }
      const container = valueAt(doc, path.slice(0, -1));
      const key = path.at(-1);
      if (key === undefined || !(isObject(container) || Array.isArray(container))) continue;
      const value = (container as Record<string | number, unknown>)[key];
      if (issue.code === 'invalid_type' && value === null) {
        // Go's decoder: null empties a list or a map and leaves anything else as it was (the default).
        if (issue.expected === 'array') (container as Record<string | number, unknown>)[key] = [];
        else if (issue.expected === 'record') (container as Record<string | number, unknown>)[key] = {};
        else if (isObject(container)) delete container[key];
        else continue;
        fixed = true;
      } else if (issue.code === 'too_small' && issue.origin === 'number' && value === 0 && isObject(container)) {
        delete container[key]; // PicoClaw's `if x == 0 { x = default }`
        fixed = true;
      }
    }
    if (!fixed) break;
    result = schema.safeParse(doc);
  }
  compat.ignored.push(...activeIgnoredKeys(doc));
  return { result, compat };
}

/** Why an unknown setting of a channel is ignored, with the nearest valid key (beside "settings" too). */
function settingsReason(key: string, path: Path, doc: Json): string {
  const hint = nearestKey(key, [...(objectKeysAt(configSchema, path, doc) ?? []), ...channelEnvelopeKeys]);
  const where = hint && channelEnvelopeKeys.includes(hint) ? ` (did you mean "${hint}", beside "settings"?)` : hint ? ` (did you mean "${hint}"?)` : '';
  return `not a setting of this channel type; ignored, as PicoClaw ignores it${where}`;
}

/** Puts the values `parseWithCompat` set aside back into a validated document (in place). */
export function restoreKept<T>(doc: T, kept: CompatResult['kept']): T {
  for (const { path, value } of kept) {
    let node: unknown = doc;
    for (const segment of path.slice(0, -1)) {
      node = isObject(node) || Array.isArray(node) ? (node as Record<string | number, unknown>)[segment] : undefined;
    }
    if (isObject(node)) node[String(path.at(-1))] = structuredClone(value);
  }
  return doc;
}

/**
 * One warning per reason, naming its keys: what start-up, `/status`, `picoclaw status` and the
 * dashboard show (once each: they all read the loaded config's warnings).
 */
export function ignoredWarnings(ignored: readonly IgnoredKey[]): string[] {
  const byReason = new Map<string, string[]>();
  for (const { path, why } of ignored) byReason.set(why, [...(byReason.get(why) ?? []), path]);
  return [...byReason].map(([reason, paths]) => `ignored for compatibility with PicoClaw: ${paths.join(', ')} — ${reason}`);
}
