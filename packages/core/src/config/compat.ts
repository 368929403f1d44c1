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
import { childNodes, describePlace, type SchemaNode } from './schema-walk.js';
import { activeIgnoredKeys, picoclawOnlyKey } from './picoclaw-keys.js';

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

/**
 * Prepares a raw document (in place) for the schema `root`: see the module comment. Returns what
 * was set aside and what is ignored.
 */
export function prepareDocument(doc: Json, root: SchemaNode): CompatResult {
  const result: CompatResult = { kept: [], ignored: [] };
  const visit = (nodes: SchemaNode[], value: unknown, path: Path) => {
    if (nodes.length === 0) return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(childNodes(nodes, '*', value), item, [...path, i]));
      return;
    }
    if (!isObject(value)) return;
    const place = describePlace(nodes, value);
    if (place.keys.size === 0 && !place.open) return;
    for (const key of Object.keys(value)) {
      const child = value[key];
      const at = [...path, key];
      if (place.keys.has(key) || place.open) {
        const below = childNodes(nodes, key, value);
        const slot = describePlace(below, child);
        if (child === null && !slot.nullable) {
          if (slot.list) value[key] = [];
          else if (slot.map) value[key] = {};
          else delete value[key];
        } else if (child === 0 && slot.min !== undefined && slot.min > 0) delete value[key];
        else visit(below, child, at);
        continue;
      }
      const setAside = (why?: string) => {
        result.kept.push({ path: at, value: child });
        if (why) result.ignored.push({ path: dotted(at), why });
        delete value[key];
      };
      if (key.startsWith('_')) setAside();
      else if (isChannelSettings(path)) {
        const hint = nearestKey(key, [...place.keys, ...channelEnvelopeKeys]);
        const where = hint && channelEnvelopeKeys.includes(hint) ? ` (did you mean "${hint}", beside "settings"?)` : hint ? ` (did you mean "${hint}"?)` : '';
        setAside(`not a setting of this channel type; ignored, as PicoClaw ignores it${where}`);
      } else {
        const known = picoclawOnlyKey(at);
        if (known) setAside(known);
      }
    }
  };
  visit([root], doc, []);
  result.ignored.push(...activeIgnoredKeys(doc));
  return result;
}

/** Puts the values `prepareDocument` set aside back into a validated document (in place). */
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
