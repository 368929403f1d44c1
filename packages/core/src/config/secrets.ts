/**
 * Secret fields: found through the schema's `secretTag`, then redacted for clients, restored when a
 * client sends a redacted value back, split off into `.security.yml` on save, and collected for the
 * log masker. One marker means "the value is kept elsewhere": `[NOT_HERE]`, as in the reference's
 * config.json, so a redacted document sent back to the API and a config.json on disk read the same.
 */
import { ConfigError, formatIssues, type ConfigIssue } from './config-error.js';
import { picoclawOnlySecrets } from './picoclaw-keys.js';
import { resolveModelTarget } from './providers.js';
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
    const all = [...findPaths(configSchema, (node) => secretTag.has(node)), ...untypedChannelSecrets.map((key) => ['channel_list', '*', 'settings', key]), ...picoclawOnlySecrets()];
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

type Entry = Record<string, unknown>;
const text = (v: unknown) => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));

/**
 * Where the secrets of an entry are sent: a model's API base (its provider's default when unset)
 * and proxy, an MCP server's URL or command line, a channel's broker or API root, Redis' URL, a
 * search backend's base URL. A stored secret is restored only into an entry whose endpoint is
 * the one it was stored with.
 */
const endpointScopes: { scope: PathPattern; label: string; endpoint(entry: Entry): string }[] = [
  {
    scope: ['model_list', '*'],
    label: 'api_base',
    endpoint(m) {
      let base = text(m.api_base);
      try {
        base ||= resolveModelTarget({ model: text(m.model), ...(m.provider ? { provider: text(m.provider) } : {}) }).provider.apiBase;
      } catch {
        base ||= text(m.model);
      }
      return [base.replace(/\/+$/, ''), text(m.proxy)].filter(Boolean).join(' via ');
    },
  },
  { scope: ['tools', 'mcp', 'servers', '*'], label: 'url or command', endpoint: (s) => text(s.url) || [text(s.command), ...(Array.isArray(s.args) ? s.args.map(text) : [])].join(' ') },
  { scope: ['channel_list', '*', 'settings'], label: 'broker, base_url or proxy', endpoint: (s) => ['broker', 'base_url', 'api_base', 'api_root', 'proxy', 'homeserver', 'server_url'].map((k) => text(s[k])).filter(Boolean).join(' ') },
  { scope: ['session', 'redis'], label: 'url', endpoint: (r) => text(r.url) },
  { scope: ['tools', 'web', '*'], label: 'base_url', endpoint: (w) => text(w.base_url) },
  { scope: ['tools', 'skills', 'registries', '*'], label: 'base_url', endpoint: (r) => text(r.base_url) },
];

/**
 * The endpoint of the entry that holds the secret at `path`, what to call it, and `place`: the
 * secret's place among the entries of that kind at that endpoint (the scope, endpoint and the path
 * inside the entry), which stays the same when the entry is renamed. None for a secret sent
 * nowhere in particular.
 */
function endpointOf(doc: unknown, path: Path): { endpoint: string; label: string; entry: string; place: string } | undefined {
  for (const { scope, label, endpoint } of endpointScopes) {
    if (path.length <= scope.length || !scope.every((part, i) => part === '*' || part === path[i])) continue;
    let entry: unknown = doc;
    for (const key of path.slice(0, scope.length)) entry = (entry as Record<string | number, unknown> | undefined)?.[key];
    if (!entry || typeof entry !== 'object') return undefined;
    const name = path[0] === 'model_list' ? String((entry as Entry).model_name ?? path[1]) : path.slice(0, scope.length).join('.');
    const at = endpoint(entry as Entry);
    return { endpoint: at, label, entry: path[0] === 'model_list' ? `model ${JSON.stringify(name)}` : name, place: JSON.stringify([scope.join('.'), at, ...path.slice(scope.length)]) };
  }
  return undefined;
}

/**
 * Replaces each placeholder in `incoming` by the secret `stored` holds at the same logical place
 * (same model_name and model first, then same model_name, then — for a renamed or copied entry —
 * the one secret stored at the same place of an entry with the same endpoint). A placeholder that
 * matches nothing is refused (ConfigError): saving it empty would lose a key the user thinks kept.
 *
 * A stored secret does not follow a changed endpoint: when the entry's API base, URL, command,
 * broker or proxy differs from the one the secret was stored with, the placeholder is refused
 * (ConfigError, one issue per entry) and the client must send the secret anew. Otherwise anyone
 * who can edit the config (a stolen session, a hostile page, an XSS) could point a model at their
 * own server and have the stored key sent there by the next message or "test".
 */
export function restoreSecrets<T>(incoming: T, stored: unknown): T {
  const known = new Map<string, { value: string; endpoint: string | undefined }>();
  /** By endpoint place; undefined when two different secrets share it (which one is meant is unknown). */
  const byPlace = new Map<string, { value: string; endpoint: string } | undefined>();
  forEachSecret(stored, (value, path) => {
    const at = endpointOf(stored, path);
    const found = { value, endpoint: at?.endpoint };
    known.set(logicalSecretKey(stored, path, true), found);
    known.set(logicalSecretKey(stored, path), found);
    if (at && value) byPlace.set(at.place, byPlace.has(at.place) && byPlace.get(at.place)?.value !== value ? undefined : { value, endpoint: at.endpoint });
  });
  const copy = structuredClone(incoming);
  const withheld = new Map<string, ConfigIssue>();
  const unmatched: ConfigIssue[] = [];
  forEachSecret(copy, (value, path, set) => {
    if (value !== SECRET_PLACEHOLDER) return;
    const now = endpointOf(copy, path);
    const found = known.get(logicalSecretKey(copy, path, true)) ?? known.get(logicalSecretKey(copy, path)) ?? (now && byPlace.get(now.place));
    if (!found) {
      unmatched.push({
        path: path.map(String).join('.'),
        source: 'request',
        message: `"${SECRET_PLACEHOLDER}" stands for a stored secret, but none is stored for ${now?.entry ?? path.map(String).join('.')}${now ? ` at that ${now.label}` : ''} (a renamed entry whose address changed too?): enter the secret again, or leave it empty for none`,
      });
      return;
    }
    if (found && found.value && now && found.endpoint !== undefined && found.endpoint !== now.endpoint && !withheld.has(now.entry)) {
      withheld.set(now.entry, {
        path: path.map(String).join('.'),
        source: 'request',
        message: `the stored secret is not sent to a new ${now.label} (${found.endpoint || '(none)'} → ${now.endpoint || '(none)'}): enter it again for ${now.entry}, or keep the old ${now.label}`,
      });
    }
    set(found.value);
  });
  if (withheld.size || unmatched.length) {
    const issues = [...withheld.values(), ...unmatched];
    throw new ConfigError(formatIssues(withheld.size ? 'secrets must be entered again where their endpoint changed' : 'secrets must be entered again where nothing is stored for them', issues), issues);
  }
  return copy;
}
