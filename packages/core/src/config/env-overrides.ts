/**
 * `PICOCLAW_*` environment overrides. Names are generated from the schema path
 * (`agents.defaults.max_tokens` → `PICOCLAW_AGENTS_DEFAULTS_MAX_TOKENS`), channel settings from
 * the channel type (`PICOCLAW_CHANNELS_MQTT_BROKER` applies to every `mqtt` instance), and the
 * reference's irregular names are kept as aliases. As in the reference, `model_list`, agent lists,
 * `session`, `hooks` and MCP servers cannot be set from the environment.
 */
import type { z } from 'zod';
import { configSchema, channelSchema, implementedChannelTypes } from './schema.js';

type Node = z.core.$ZodType;
export type EnvKind = 'string' | 'boolean' | 'number' | 'list';

export interface EnvBinding {
  readonly name: string;
  readonly path: readonly string[];
  readonly kind: EnvKind;
}

const notFromEnv = new Set(['version', 'build_info', 'session', 'hooks', 'evolution', 'isolation', 'model_list', 'channel_list']);

function def(node: Node) {
  return node._zod.def as unknown as { type: string } & Record<string, unknown>;
}

function unwrap(node: Node): Node {
  let current = node;
  for (;;) {
    const d = def(current);
    if (['optional', 'nullable', 'default', 'prefault', 'catch', 'readonly'].includes(d.type)) current = d.innerType as Node;
    else if (d.type === 'pipe') current = def(d.in as Node).type === 'transform' ? (d.out as Node) : (d.in as Node);
    else return current;
  }
}

function leafKind(node: Node): EnvKind | 'object' | undefined {
  const d = def(unwrap(node));
  switch (d.type) {
    case 'object': return 'object';
    case 'boolean': return 'boolean';
    case 'number': return 'number';
    case 'string': case 'enum': return 'string';
    case 'literal': return (d.values as unknown[]).every((v) => typeof v === 'number') ? 'number' : 'string';
    case 'array': case 'union': return 'list';
    default: return undefined;
  }
}

function leaves(node: Node, path: string[], out: { path: string[]; kind: EnvKind }[]) {
  const inner = unwrap(node);
  const kind = leafKind(inner);
  if (kind === 'object') {
    for (const [key, child] of Object.entries(def(inner).shape as Record<string, Node>)) leaves(child, [...path, key], out);
  } else if (kind) out.push({ path, kind });
}

const envName = (parts: readonly string[]) => `PICOCLAW_${parts.join('_').toUpperCase()}`;

/** The reference's names that do not follow the schema path; kept for compatibility. */
const irregular: [string, string][] = [
  ['PICOCLAW_TOOLS_DISCOVERY_ENABLED', 'tools.mcp.discovery.enabled'],
  ['PICOCLAW_TOOLS_DISCOVERY_TTL', 'tools.mcp.discovery.ttl'],
  ['PICOCLAW_TOOLS_DISCOVERY_USE_BM25', 'tools.mcp.discovery.use_bm25'],
  ['PICOCLAW_TOOLS_DISCOVERY_USE_REGEX', 'tools.mcp.discovery.use_regex'],
  ['PICOCLAW_MAX_SEARCH_RESULTS', 'tools.mcp.discovery.max_search_results'],
  ['PICOCLAW_MEDIA_CLEANUP_ENABLED', 'tools.media_cleanup.enabled'],
  ['PICOCLAW_MEDIA_CLEANUP_MAX_AGE', 'tools.media_cleanup.max_age_minutes'],
  ['PICOCLAW_MEDIA_CLEANUP_INTERVAL', 'tools.media_cleanup.interval_minutes'],
  ['PICOCLAW_SKILLS_SEARCH_CACHE_MAX_SIZE', 'tools.skills.search_cache.max_size'],
  ['PICOCLAW_SKILLS_SEARCH_CACHE_TTL_SECONDS', 'tools.skills.search_cache.ttl_seconds'],
  ['PICOCLAW_TOOLS_WEB_GLM_ENABLED', 'tools.web.glm_search.enabled'],
  ['PICOCLAW_TOOLS_WEB_GLM_API_KEY', 'tools.web.glm_search.api_key'],
  ['PICOCLAW_TOOLS_WEB_GLM_BASE_URL', 'tools.web.glm_search.base_url'],
  ['PICOCLAW_TOOLS_WEB_GLM_SEARCH_ENGINE', 'tools.web.glm_search.search_engine'],
  ['PICOCLAW_TOOLS_WEB_GLM_MAX_RESULTS', 'tools.web.glm_search.max_results'],
  ['PICOCLAW_TOOLS_WEB_BAIDU_ENABLED', 'tools.web.baidu_search.enabled'],
  ['PICOCLAW_TOOLS_WEB_BAIDU_API_KEY', 'tools.web.baidu_search.api_key'],
  ['PICOCLAW_TOOLS_WEB_BAIDU_BASE_URL', 'tools.web.baidu_search.base_url'],
  ['PICOCLAW_TOOLS_WEB_BAIDU_MAX_RESULTS', 'tools.web.baidu_search.max_results'],
  ['PICOCLAW_LOG_LEVEL', 'gateway.log_level'],
];

let globalBindings: EnvBinding[] | undefined;
/** Overrides of the document outside `channel_list`. */
export function globalEnvBindings(): EnvBinding[] {
  if (globalBindings) return globalBindings;
  const found: { path: string[]; kind: EnvKind }[] = [];
  for (const [key, child] of Object.entries(def(unwrap(configSchema)).shape as Record<string, Node>)) {
    if (!notFromEnv.has(key)) leaves(child, [key], found);
  }
  const byPath = new Map(found.map((f) => [f.path.join('.'), f.kind]));
  globalBindings = [
    ...found.map((f) => ({ name: envName(f.path), path: f.path, kind: f.kind })),
    ...irregular.map(([name, path]) => ({ name, path: path.split('.'), kind: byPath.get(path) ?? 'string' })),
  ];
  return globalBindings;
}

const channelBindingCache = new Map<string, EnvBinding[]>();
/** Overrides of one channel type, with paths relative to a channel entry. */
export function channelEnvBindings(type: string): EnvBinding[] {
  const cachedBindings = channelBindingCache.get(type);
  if (cachedBindings) return cachedBindings;
  const variant = (def(channelSchema).options as Node[]).find((option) => {
    const typeField = def(unwrap((def(option).shape as Record<string, Node>).type!));
    return typeField.type === 'literal' && (typeField.values as unknown[]).includes(type);
  });
  const found: { path: string[]; kind: EnvKind }[] = [];
  if (variant) {
    for (const [key, child] of Object.entries(def(variant).shape as Record<string, Node>)) {
      if (key !== 'type') leaves(child, [key], found);
    }
  }
  // Settings are addressed without the `settings` segment: PICOCLAW_CHANNELS_MQTT_BROKER.
  const bindings = found.map((f) => ({
    name: envName(['channels', type, ...(f.path[0] === 'settings' ? f.path.slice(1) : f.path)]),
    path: f.path,
    kind: f.kind,
  }));
  channelBindingCache.set(type, bindings);
  return bindings;
}

export { implementedChannelTypes as envChannelTypes };

/** Parses an env value into the JSON type the schema expects; throws a message on bad input. */
export function parseEnvValue(raw: string, kind: EnvKind): unknown {
  const value = raw.trim();
  switch (kind) {
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(value)) return true;
      if (/^(false|0|no|off)$/i.test(value)) return false;
      throw new Error('expected true or false');
    case 'number': {
      const n = Number(value);
      if (value === '' || !Number.isFinite(n)) throw new Error('expected a number');
      return n;
    }
    case 'list':
      return value.split(/[,，]/).map((s) => s.trim()).filter(Boolean);
    case 'string':
      return raw;
  }
}
