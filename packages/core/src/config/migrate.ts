/**
 * Migrations of older config shapes to version 3, on the raw JSON map (reference config.md §11),
 * plus the legacy spellings that version 3 still accepts. Pure functions: the loader decides
 * whether to write the result back.
 */
import { findProvider } from './providers.js';
import { CONFIG_VERSION } from './schema.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (parent: Json, key: string): Json => {
  if (!isObject(parent[key])) parent[key] = {};
  return parent[key] as Json;
};

const channelBaseKeys = new Set(['enabled', 'type', 'allow_from', 'reasoning_channel_id', 'group_trigger', 'typing', 'placeholder', 'settings']);

/** Model a V0 `providers.<vendor>` block becomes when the user's own model is for another vendor. */
const v0DefaultModels: Record<string, string> = {
  openai: 'openai/gpt-5.4', anthropic: 'anthropic/claude-sonnet-4.6', groq: 'groq/llama-3.1-70b-versatile',
  zhipu: 'zhipu/glm-4', gemini: 'gemini/gemini-pro', ollama: 'ollama/llama3', mistral: 'mistral/mistral-small-latest',
  openrouter: 'openrouter/auto', deepseek: 'deepseek/deepseek-chat', moonshot: 'moonshot/kimi-k2',
};
const v0VendorAliases: Record<string, string> = {
  gpt: 'openai', claude: 'anthropic', glm: 'zhipu', google: 'gemini', kimi: 'moonshot', doubao: 'volcengine',
  copilot: 'github-copilot', tongyi: 'qwen-portal',
};

function mergeKeys(entry: Json) {
  if (!('api_key' in entry)) return;
  const keys = Array.isArray(entry.api_keys) ? [...(entry.api_keys as unknown[])] : [];
  if (typeof entry.api_key === 'string' && entry.api_key !== '' && !keys.includes(entry.api_key)) keys.unshift(entry.api_key);
  entry.api_keys = keys;
  delete entry.api_key;
}

/**
 * Early PicoClaw (v0.0.1–v0.1.2) guessed the vendor of a model from its name when no provider was
 * set, among the `providers` that have a key: `glm-4.7` with a zhipu key went to zhipu.
 */
const v0NameHints: [RegExp, string][] = [
  [/^openrouter\//, 'openrouter'], [/^anthropic\/|claude/, 'anthropic'], [/^openai\/|gpt/, 'openai'], [/gemini/, 'gemini'],
  [/glm|zhipu|zai/, 'zhipu'], [/kimi|moonshot/, 'moonshot'], [/groq/, 'groq'], [/nvidia/, 'nvidia'], [/ollama/, 'ollama'],
  [/deepseek/, 'deepseek'], [/mistral/, 'mistral'],
];

function guessV0Vendor(model: string, providers: Json): string {
  const keyed = (vendor: string) => Object.entries(providers).some(([key, value]) => (v0VendorAliases[key] ?? key) === vendor && isObject(value) && typeof value.api_key === 'string' && value.api_key !== '');
  return v0NameHints.find(([pattern, vendor]) => pattern.test(model.toLowerCase()) && keyed(vendor))?.[1] ?? '';
}

function v0ToV1(doc: Json) {
  const defaults = obj(obj(doc, 'agents'), 'defaults');
  if ('model' in defaults && !('model_name' in defaults)) defaults.model_name = defaults.model;
  delete defaults.model;
  if (isObject(doc.providers) && !Array.isArray(doc.model_list)) {
    const named = typeof defaults.provider === 'string' && defaults.provider !== '' ? (v0VendorAliases[defaults.provider] ?? defaults.provider) : '';
    const chosen = named || (typeof defaults.model_name === 'string' ? guessV0Vendor(defaults.model_name, doc.providers) : '');
    const userModel = typeof defaults.model_name === 'string' ? defaults.model_name : '';
    const list: Json[] = [];
    for (const [key, value] of Object.entries(doc.providers)) {
      if (!isObject(value) || Object.values(value).every((v) => v === '' || v === undefined)) continue;
      const vendor = v0VendorAliases[key] ?? key;
      const model = vendor === chosen && userModel ? (userModel.includes('/') ? userModel : `${vendor}/${userModel}`) : (v0DefaultModels[vendor] ?? `${vendor}/default`);
      const entry: Json = { model_name: key, model };
      for (const field of ['api_key', 'api_base', 'proxy', 'request_timeout', 'auth_method']) {
        if (value[field] !== undefined && value[field] !== '') entry[field] = value[field];
      }
      mergeKeys(entry);
      list.push(entry);
      if (vendor === chosen) defaults.model_name = key;
    }
    doc.model_list = list;
  }
  delete doc.providers;
  doc.version = 1;
}

function v1ToV2(doc: Json) {
  if (isObject(doc.channels)) {
    for (const channel of Object.values(doc.channels)) {
      if (isObject(channel) && 'mention_only' in channel) {
        obj(channel, 'group_trigger').mention_only = channel.mention_only;
        delete channel.mention_only;
      }
    }
  }
  for (const entry of Array.isArray(doc.model_list) ? doc.model_list : []) {
    if (!isObject(entry)) continue;
    mergeKeys(entry);
    if (!('enabled' in entry)) {
      entry.enabled = (Array.isArray(entry.api_keys) && entry.api_keys.length > 0) || entry.model_name === 'local-model';
    }
  }
  doc.version = 2;
}

/** Legacy top-level `bindings` → `agents.dispatch.rules` (reference agent-and-providers.md §24). */
function convertBindings(doc: Json) {
  if (!Array.isArray(doc.bindings)) return;
  const agents = obj(doc, 'agents');
  const dispatch = obj(agents, 'dispatch');
  if (Array.isArray(dispatch.rules) && dispatch.rules.length > 0) return;
  dispatch.rules = doc.bindings.filter(isObject).map((binding, i) => {
    const match = isObject(binding.match) ? binding.match : {};
    const when: Json = {};
    if (typeof match.channel === 'string') when.channel = match.channel.toLowerCase();
    if (typeof match.account_id === 'string') when.account = match.account_id;
    const peer = isObject(match.peer) ? match.peer : undefined;
    if (peer && typeof peer.id === 'string') {
      if (peer.kind === 'direct') when.sender = peer.id;
      else if (peer.kind === 'topic') when.topic = `topic:${peer.id}`;
      else when.chat = `${String(peer.kind)}:${peer.id}`;
    } else if (typeof match.guild_id === 'string') when.space = `guild:${match.guild_id}`;
    else if (typeof match.team_id === 'string') when.space = `team:${match.team_id}`;
    return { name: `legacy-binding-${i}`, agent: String(binding.agent_id ?? 'main'), when };
  });
}

function v2ToV3(doc: Json) {
  const defaults = obj(obj(doc, 'agents'), 'defaults');
  if ('model' in defaults && !('model_name' in defaults)) defaults.model_name = defaults.model;
  delete defaults.model;
  convertBindings(doc);
  delete doc.bindings;
  if (isObject(doc.channels)) {
    const list: Json = isObject(doc.channel_list) ? doc.channel_list : {};
    for (const [name, raw] of Object.entries(doc.channels)) {
      if (!isObject(raw)) continue;
      const channel: Json = { ...raw, type: raw.type ?? name };
      if (!isObject(channel.settings)) {
        const settings: Json = {};
        if (name === 'onebot' && 'group_trigger_prefix' in channel) {
          obj(channel, 'group_trigger').prefixes = channel.group_trigger_prefix;
          delete channel.group_trigger_prefix;
        }
        for (const key of Object.keys(channel)) {
          if (!channelBaseKeys.has(key)) {
            settings[key] = channel[key];
            delete channel[key];
          }
        }
        channel.settings = settings;
      }
      list[name] = channel;
    }
    doc.channel_list = list;
    delete doc.channels;
  }
  doc.version = 3;
}

export interface MigrationResult {
  doc: Json;
  /** The version the document had, when it was migrated. */
  from?: number;
  /** What a person should know about spellings that were read as their current form. */
  notes: string[];
}

/**
 * Brings a raw document to version 3. Returns a new object; the input is not modified.
 * Unknown versions are left to the schema, which names the valid one.
 */
export function migrateConfig(input: Json): MigrationResult {
  const doc = structuredClone(input);
  // A document without `version` but also without any pre-v3 block (`providers`, `channels`) is
  // a hand-written current config such as the MQTT guide's example: nothing to migrate.
  const legacy = 'providers' in doc || 'channels' in doc || 'bindings' in doc;
  const version = doc.version ?? (legacy ? 0 : CONFIG_VERSION);
  const notes: string[] = [];
  if (version === 0 || version === 1 || version === 2) {
    if (version === 0) v0ToV1(doc);
    if ((doc.version as number) <= 1) v1ToV2(doc);
    v2ToV3(doc);
    normalizeV3(doc, notes);
    return { doc, from: version, notes };
  }
  normalizeV3(doc, notes);
  return { doc, notes };
}

/** Legacy spellings version 3 still accepts, rewritten to the current ones; `notes` says what moved. */
function normalizeV3(doc: Json, notes: string[]) {
  const defaults = isObject(doc.agents) && isObject(doc.agents.defaults) ? doc.agents.defaults : undefined;
  if (defaults && typeof defaults.model === 'string') {
    if (!('model_name' in defaults)) defaults.model_name = defaults.model;
    delete defaults.model;
  }
  for (const entry of Array.isArray(doc.model_list) ? doc.model_list : []) if (isObject(entry)) mergeKeys(entry);
  if (defaults) resolveBareModels(defaults, Array.isArray(doc.model_list) ? doc.model_list.filter(isObject) : []);
  if (isObject(doc.channel_list)) {
    for (const [name, channel] of Object.entries(doc.channel_list)) {
      if (!isObject(channel)) continue;
      if (channel.type === undefined) channel.type = name;
      // PicoClaw's channel docs write a channel's settings beside `enabled` (`channel_list.telegram.token`);
      // they belong in `settings`, where the version 2 migration puts them too.
      const flat = Object.keys(channel).filter((key) => !channelBaseKeys.has(key) && key !== 'type' && !key.startsWith('_'));
      if (flat.length) {
        const settings = obj(channel, 'settings');
        for (const key of flat) {
          if (!(key in settings)) settings[key] = channel[key];
          delete channel[key];
        }
        notes.push(`channel_list.${name}: ${flat.join(', ')} ${flat.length === 1 ? 'belongs' : 'belong'} in "settings" and ${flat.length === 1 ? 'was' : 'were'} read from there (PicoClaw ignores ${flat.length === 1 ? 'it' : 'them'} beside "settings")`);
      }
    }
  }
}

/**
 * `"provider": "openai", "model": "gpt-4"` (agents.defaults): a model reference that is not a
 * model_list model_name is looked up, as PicoClaw does, among the model_list models (written bare
 * or as provider/id), then taken as provider/id.
 */
function resolveBareModels(defaults: Json, list: Json[]) {
  const provider = typeof defaults.provider === 'string' ? defaults.provider.trim().toLowerCase() : '';
  const resolve = (ref: unknown) => {
    if (typeof ref !== 'string' || ref === '' || list.some((e) => e.model_name === ref)) return ref;
    const entry = list.find((e) => e.model === ref || (provider !== '' && e.model === `${provider}/${ref}`));
    if (typeof entry?.model_name === 'string') return entry.model_name;
    // An id with a slash may be the model's own (meta-llama/llama-3 on OpenRouter): only a known provider prefix counts.
    return provider !== '' && !findProvider(ref.split('/')[0]!) ? `${provider}/${ref}` : ref;
  };
  if ('model_name' in defaults) defaults.model_name = resolve(defaults.model_name);
  if (Array.isArray(defaults.model_fallbacks)) defaults.model_fallbacks = defaults.model_fallbacks.map(resolve);
}

/**
 * Where a key of the migrated document was in the document as written (before the migration),
 * so that messages name the key as the user wrote it (`channels.telegram.allowFrom`, not
 * `channel_list.telegram.settings.allowFrom`) and point at its line. Paths that did not move, or
 * whose origin is not a simple move, come back unchanged.
 */
export function writtenPath(raw: Json, path: readonly (string | number)[]): (string | number)[] {
  const [head, name, ...rest] = path;
  if (head === 'channel_list' && typeof name === 'string' && isObject(raw.channels) && isObject(raw.channels[name]) && !(isObject(raw.channel_list) && name in raw.channel_list)) {
    const written = raw.channels[name] as Json;
    if (rest[0] === 'settings' && !isObject(written.settings)) return ['channels', name, ...rest.slice(1)];
    if (rest[0] === 'group_trigger' && rest[1] === 'mention_only' && 'mention_only' in written) return ['channels', name, 'mention_only', ...rest.slice(2)];
    return ['channels', name, ...rest];
  }
  if (head === 'agents' && name === 'defaults' && rest[0] === 'model_name') {
    const defaults = isObject(raw.agents) && isObject(raw.agents.defaults) ? raw.agents.defaults : {};
    if ('model' in defaults && !('model_name' in defaults)) return ['agents', 'defaults', 'model', ...rest.slice(1)];
  }
  if (head === 'model_list' && typeof name === 'number' && rest[0] === 'api_keys' && Array.isArray(raw.model_list)) {
    const entry = raw.model_list[name];
    if (isObject(entry) && 'api_key' in entry && !('api_keys' in entry)) return ['model_list', name, 'api_key'];
  }
  return [...path];
}
