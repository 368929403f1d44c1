/**
 * `.security.yml`: the secrets sidecar beside config.json, holding values by the same key paths
 * (reference config.md §12). `model_list` is a map there, keyed by model_name (or
 * `model_name:<n>` for the n-th duplicate), since the YAML cannot address array indices.
 */
import { forEachSecret, logicalSecretKey, SECRET_PLACEHOLDER } from './secrets.js';

type Json = Record<string, unknown>;
type Path = (string | number)[];

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Keys of a channel entry beside its settings. */
const channelEnvelope = new Set(['enabled', 'type', 'allow_from', 'reasoning_channel_id', 'group_trigger', 'typing', 'placeholder', 'settings']);

export interface SecurityMerge {
  /** Paths in the document whose value came from `.security.yml`. */
  paths: Path[];
  /** For each of those paths (dotted), where it is in `.security.yml`, for messages with a line. */
  sources: Map<string, Path>;
  warnings: string[];
}

/** A value config.json really sets (not empty, not the placeholder the save pipeline leaves). */
const realValue = (v: unknown): boolean =>
  typeof v === 'string' ? v !== '' && v !== SECRET_PLACEHOLDER : Array.isArray(v) ? v.some(realValue) : v !== undefined && v !== null;

/** Deep-merges `source` into `target`; objects merge, anything else replaces. `from` is where `source` sits in the YAML. */
function deepMerge(target: Json, source: Json, path: Path, result: SecurityMerge, from: Path) {
  for (const [key, value] of Object.entries(source)) {
    if (isObject(value) && isObject(target[key])) deepMerge(target[key] as Json, value, [...path, key], result, [...from, key]);
    else {
      // Both files set it, differently: .security.yml wins. Said (never with the values), since a
      // .security.yml left from an earlier save would otherwise silently undo a key rotated in a
      // regenerated config.json.
      if (realValue(target[key]) && JSON.stringify(target[key]) !== JSON.stringify(value)) {
        result.warnings.push(`.security.yml ${[...from, key].join('.')} overrides a different value that config.json sets at ${[...path, key].join('.')}: config.json's is ignored. Keep that secret in one file only (remove it from .security.yml if config.json is the one you maintain, e.g. after rotating it)`);
      }
      target[key] = structuredClone(value);
      result.paths.push([...path, key]);
      result.sources.set([...path, key].join('.'), [...from, key]);
    }
  }
}

/**
 * Merges a parsed `.security.yml` into a raw config document (in place). Legacy spellings are
 * accepted: `channels` for `channel_list`, top-level `web`/`skills` for `tools.web`/`tools.skills`,
 * and `skills.github.token` for the GitHub registry's `auth_token`.
 */
export function mergeSecurity(doc: Json, security: Json): SecurityMerge {
  const result: SecurityMerge = { paths: [], sources: new Map(), warnings: [] };
  const rest: Json = { ...security };

  const models = rest.model_list;
  delete rest.model_list;
  if (isObject(models)) {
    const list = Array.isArray(doc.model_list) ? (doc.model_list as unknown[]) : [];
    const used = new Set<string>();
    const seen = new Map<string, number>();
    list.forEach((entry, index) => {
      if (!isObject(entry)) return;
      const name = String(entry.model_name ?? '');
      const nth = seen.get(name) ?? 0;
      seen.set(name, nth + 1);
      const key = `${name}:${nth}` in models ? `${name}:${nth}` : name in models ? name : undefined;
      if (key === undefined || !isObject(models[key])) return;
      used.add(key);
      deepMerge(entry, models[key] as Json, ['model_list', index], result, ['model_list', key]);
      if ('api_key' in (models[key] as Json) && !('api_keys' in (models[key] as Json))) {
        // A legacy single key in the YAML replaces the listed keys rather than adding to them.
        delete entry.api_keys;
      }
    });
    for (const key of Object.keys(models)) {
      if (!used.has(key)) result.warnings.push(`.security.yml: model_list.${key} matches no model_name in config.json`);
    }
  }

  const channels = rest.channel_list ?? rest.channels;
  const channelsKey = rest.channel_list !== undefined ? 'channel_list' : 'channels';
  delete rest.channel_list;
  delete rest.channels;
  if (isObject(channels)) {
    // A config of version 0–2 keeps its channels flat (`channels.<name>.<setting>`) until the
    // migration moves them: its secrets merge there first, as PicoClaw merges before migrating.
    const legacy = !isObject(doc.channel_list) && (isObject(doc.channels) || (typeof doc.version === 'number' && doc.version < 3) || 'providers' in doc);
    const key = legacy ? 'channels' : 'channel_list';
    // The flat `channels:` form of PicoClaw's security doc, merged into a version 3 config:
    // a channel's secrets belong in its `settings`.
    if (!legacy) {
      for (const entry of Object.values(channels)) {
        if (!isObject(entry) || isObject(entry.settings)) continue;
        const settings: Json = {};
        for (const name of Object.keys(entry)) {
          if (!channelEnvelope.has(name)) {
            settings[name] = entry[name];
            delete entry[name];
          }
        }
        if (Object.keys(settings).length) entry.settings = settings;
      }
    }
    if (!isObject(doc[key])) doc[key] = {};
    for (const name of Object.keys(channels)) {
      if (!((doc[key] as Json)[name])) result.warnings.push(`.security.yml: channel_list.${name} is not a channel in config.json`);
    }
    deepMerge(doc[key] as Json, channels, [key], result, [channelsKey]);
  }

  const tools: Json = isObject(rest.tools) ? { ...rest.tools } : {};
  delete rest.tools;
  if (isObject(rest.web)) tools.web = rest.web;
  if (isObject(rest.skills)) {
    const skills: Json = structuredClone(rest.skills);
    const registries: Json = isObject(skills.registries) ? skills.registries : {};
    if (isObject(skills.github)) {
      const { token, ...github } = skills.github;
      registries.github = { ...github, ...(registries.github as Json), ...(token !== undefined ? { auth_token: token } : {}) };
      delete skills.github;
    }
    if (isObject(skills.clawhub)) {
      registries.clawhub = { ...skills.clawhub, ...(registries.clawhub as Json) };
      delete skills.clawhub;
    }
    if (Object.keys(registries).length) skills.registries = registries;
    tools.skills = skills;
  }
  delete rest.web;
  delete rest.skills;
  if (Object.keys(tools).length) rest.tools = tools;

  deepMerge(doc, rest, [], result, []);
  return result;
}

/**
 * Splits a document for saving: the returned `doc` has every set secret replaced by the
 * placeholder, and `security` holds those values by key path (credential refs such as
 * `file://…` are kept as written). Unset secrets are left out of both.
 */
export function splitSecurity<T>(input: T): { doc: T; security: Json } {
  const doc = structuredClone(input);
  const security: Json = {};
  forEachSecret(doc, (value, path, set) => {
    if (value === '' || value === SECRET_PLACEHOLDER) return;
    const yamlPath = JSON.parse(logicalSecretKey(doc, path)) as Path;
    setPath(security, yamlPath, value);
    set(SECRET_PLACEHOLDER);
  });
  return { doc, security };
}

function setPath(root: Json, path: Path, value: unknown) {
  let node: Record<string | number, unknown> = root;
  path.forEach((segment, i) => {
    if (i === path.length - 1) {
      node[segment] = value;
      return;
    }
    const next = path[i + 1];
    if (typeof node[segment] !== 'object' || node[segment] === null) node[segment] = typeof next === 'number' ? [] : {};
    node = node[segment] as Record<string | number, unknown>;
  });
}
