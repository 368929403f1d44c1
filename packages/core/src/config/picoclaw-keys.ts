/**
 * PicoClaw's keys that do nothing here, in two lists, so that no config key silently does nothing
 * (compat.ts reports them; the configuration reference marks them):
 *
 * - `picoclawOnly`: keys some PicoClaw version knows that this schema does not have. They load,
 *   are set aside before validation and put back after it (so a save keeps them), and are
 *   reported. A key in neither this list nor the schema is an error: typos still fail.
 * - `inactive`: keys this schema accepts (PicoClaw's names and defaults) whose feature does not
 *   exist here yet. They are reported when the document sets them to something that would do
 *   something in PicoClaw (a feature switched on, a value given).
 *
 * A pattern is a dotted key path; `*` is any map key or list index.
 */
type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Something a PicoClaw would act on: on, a non-empty text, list or map, a non-zero number. The
 * schema's defaults for these keys are off, empty or zero, so a config saved here (which writes
 * every default) reports nothing; a PicoClaw config that sets them does.
 */
const given = (v: unknown) => v === true || (typeof v === 'number' && v !== 0) || (typeof v === 'string' && v !== '') || (Array.isArray(v) && v.length > 0) || (isObject(v) && Object.keys(v).length > 0);
const on = (v: unknown) => v === true;
/** Set to something else than this schema's default (for the few keys whose default is not off). */
const not = (fallback: unknown) => (v: unknown) => JSON.stringify(v) !== JSON.stringify(fallback);

/** Why, by feature; the key lists below say which keys each covers. */
export const why = {
  exec: 'no shell tool is offered here (see docs/security.md)',
  webSearch: 'this search backend is not available here; web_search uses brave, tavily, searxng or duckduckgo',
  webOldKey: 'an old PicoClaw spelling, not read here: put the key in api_keys (a list) of the same backend',
  skills: 'the model cannot search for or install skills here (find_skills, install_skill); installed skills, /use and picoclaw skills work (docs/memory-and-skills.md)',
  skillsLegacy: 'an old PicoClaw block, not read here: use tools.skills.registries.github / .clawhub (base_url, auth_token)',
  media: 'this media option is not available here yet (voice notes, images and files work: docs/voice-and-images.md)',
  mediaCleanup: 'images and files are kept here with the conversations that show them (workspace media/); nothing deletes them on a timer',
  subagents: 'sub-agents and spawned turns are not available here',
  multiAgent: 'one agent answers every chat here; named agents and dispatch rules are not available',
  devices: 'device and hardware tools (USB, I2C, SPI, serial) are not available here',
  hooks: 'hooks, event logging and self-evolution are not available here',
  isolation: 'tools run without a sandbox here; the file tools keep to the workspace instead',
  routing: 'one model answers (with fallbacks); light-model routing is not available here',
  sessionScope: 'each chat (channel and chat id) is its own session here; other session scopes are not available',
  modelTuning: 'not used by the providers here',
  channelOption: 'not used by this channel here',
  hotReload: 'the gateway reloads on POST /reload, SIGHUP or a dashboard save; it does not watch the file',
  toolFilter: 'not available here: tool results reach the model as they are; known secrets are masked in errors',
  pathRules: 'the file tools keep to the workspace (agents.defaults.restrict_to_workspace); extra path patterns are not available here',
  retries: 'a failing model is retried through its fallbacks, not by repeating the same call',
  other: 'not available here',
} as const;

/**
 * Keys some PicoClaw version knows and this schema does not; `secret` ones are split into
 * .security.yml and redacted like the schema's secrets (secrets.ts).
 */
const picoclawOnly: [pattern: string, reason: string, secret?: 'secret'][] = [
  ['tools.web.search', 'an old PicoClaw block, not read here: set up a backend under tools.web (brave, tavily, searxng, duckduckgo)'],
  ['tools.web.brave.api_key', why.webOldKey, 'secret'],
  ['tools.web.tavily.api_key', why.webOldKey, 'secret'],
  ['tools.web.perplexity.api_key', why.webSearch, 'secret'],
  ['tools.web.kagi.api_key', why.webSearch, 'secret'],
  ['tools.skills.github', why.skillsLegacy],
  ['tools.skills.github.token', why.skillsLegacy, 'secret'],
  ['tools.skills.clawhub', why.skillsLegacy],
  ['agents.defaults.log_level', 'the log level is gateway.log_level (or PICOCLAW_LOG_LEVEL)'],
];

/** Secret keys among `picoclawOnly`, as path patterns. */
export const picoclawOnlySecrets = (): string[][] => picoclawOnly.filter(([, , secret]) => secret).map(([pattern]) => split(pattern));

/** PicoClaw's search backends that web_search does not have here (web/search-backends.ts has the others). */
const unavailableSearch = ['kagi', 'sogou', 'gemini', 'perplexity', 'glm_search', 'baidu_search'];

/** Keys this schema accepts that do nothing here yet, and what value means "set". */
const inactive: [pattern: string, reason: string, active?: (v: unknown) => boolean][] = [
  ['tools.exec.enabled', why.exec, on],
  ...unavailableSearch.flatMap((b): [string, string, ((v: unknown) => boolean)?][] => [
    [`tools.web.${b}.enabled`, why.webSearch, on],
    [`tools.web.${b}.api_keys`, why.webSearch],
    [`tools.web.${b}.api_key`, why.webSearch],
  ]),
  ['tools.skills.enabled', why.skills, on],
  ['tools.find_skills.enabled', why.skills, on],
  ['tools.install_skill.enabled', why.skills, on],
  ['tools.cron.allow_command', why.exec, not(true)],
  ['tools.cron.exec_timeout_minutes', why.exec, not(5)],
  ['voice.elevenlabs_api_key', why.media],
  ['tools.message.media_enabled', why.media, on],
  ['tools.media_cleanup.enabled', why.mediaCleanup, on],
  ['tools.spawn.enabled', why.subagents, on],
  ['tools.spawn_status.enabled', why.subagents, on],
  ['tools.subagent.enabled', why.subagents, on],
  ['agents.defaults.subturn', why.subagents, not({ max_depth: 3, max_concurrent: 5, default_timeout_minutes: 5, default_token_budget: 0, concurrency_timeout_sec: 30 })],
  ['agents.list', why.multiAgent],
  ['agents.dispatch.rules', why.multiAgent],
  ['devices.enabled', why.devices, on],
  ['tools.i2c.enabled', why.devices, on],
  ['tools.spi.enabled', why.devices, on],
  ['tools.serial.enabled', why.devices, on],
  ['hooks.builtins', why.hooks],
  ['hooks.processes', why.hooks],
  ['evolution', why.hooks],
  ['isolation.enabled', why.isolation, on],
  ['agents.defaults.routing.enabled', why.routing, on],
  ['session.dimensions', why.sessionScope],
  ['session.dm_scope', why.sessionScope],
  ['session.identity_links', why.sessionScope],
  ['agents.defaults.steering_mode', why.other, not('one-at-a-time')],
  ['agents.defaults.split_on_marker', why.other, on],
  ['agents.defaults.context_manager', why.other],
  ['agents.defaults.context_manager_config', why.other],
  ['agents.defaults.turn_profile', why.other],
  ['agents.defaults.tool_feedback.enabled', why.other, on],
  ['agents.defaults.max_llm_retries', why.retries, not(2)],
  ['agents.defaults.llm_retry_backoff_secs', why.retries, not(2)],
  ['model_list.*.auth_method', why.modelTuning],
  ['model_list.*.connect_mode', why.modelTuning],
  ['model_list.*.workspace', why.modelTuning],
  ['model_list.*.rpm', why.modelTuning],
  ['model_list.*.thinking_level', why.modelTuning],
  ['model_list.*.tool_schema_transform', why.modelTuning],
  ['channel_list.*.reasoning_channel_id', why.channelOption],
  ['channel_list.*.settings.use_markdown_v2', why.channelOption, on],
  ['channel_list.*.settings.media_group_delay_ms', why.media, not(500)],
  ['channel_list.*.settings.write_timeout', why.channelOption, not(10)],
  ['gateway.hot_reload', why.hotReload, on],
  ['tools.filter_sensitive_data', why.toolFilter, on],
  ['tools.filter_min_length', why.toolFilter, not(8)],
  ['tools.allow_read_paths', why.pathRules],
  ['tools.allow_write_paths', why.pathRules],
];

const split = (pattern: string) => pattern.split('.');

function matches(pattern: string[], path: readonly (string | number)[]): boolean {
  return pattern.length === path.length && pattern.every((part, i) => part === '*' || part === String(path[i]));
}

/** Why a key that the schema does not have is still fine (a PicoClaw key), or undefined for a typo. */
export function picoclawOnlyKey(path: readonly (string | number)[]): string | undefined {
  return picoclawOnly.find(([pattern]) => matches(split(pattern), path))?.[1];
}

/** Every value of `doc` at `pattern`, with its path. */
function valuesAt(doc: unknown, pattern: string[], path: (string | number)[] = []): { path: (string | number)[]; value: unknown }[] {
  if (pattern.length === 0) return [{ path, value: doc }];
  const [head, ...rest] = pattern;
  if (Array.isArray(doc)) return head === '*' ? doc.flatMap((v, i) => valuesAt(v, rest, [...path, i])) : [];
  if (!isObject(doc)) return [];
  if (head === '*') return Object.entries(doc).flatMap(([k, v]) => valuesAt(v, rest, [...path, k]));
  return head! in doc ? valuesAt(doc[head!], rest, [...path, head!]) : [];
}

/** Envelope keys of a channel that its type does not use here (Telegram uses them all). */
const unusedChannelKeys: Record<string, string[]> = {
  pico: ['allow_from', 'group_trigger', 'placeholder', 'typing'],
  mqtt: ['group_trigger', 'placeholder', 'typing'],
};

/** The inactive keys a raw document sets (see `inactive`), plus enabled channels of types not run here. */
export function activeIgnoredKeys(doc: Json, implementedChannels: readonly string[] = ['pico', 'telegram', 'mqtt']): { path: string; why: string }[] {
  const found: { path: string; why: string }[] = [];
  for (const [pattern, reason, active = given] of inactive) {
    for (const { path, value } of valuesAt(doc, split(pattern))) if (active(value)) found.push({ path: path.join('.'), why: reason });
  }
  for (const { path, value } of valuesAt(doc, ['channel_list', '*'])) {
    const type = isObject(value) ? String(value.type ?? path[1]) : '';
    if (isObject(value) && value.enabled === true && !implementedChannels.includes(type)) {
      found.push({ path: path.join('.'), why: `the ${type} channel is not available here (channels here: ${implementedChannels.join(', ')})` });
    }
    // (typing is on by default, so only the reference lists it)
    for (const key of ((isObject(value) && unusedChannelKeys[type]) || []).filter((k) => k !== 'typing')) {
      const v = (value as Json)[key];
      const set = key === 'allow_from' ? given(v) : isObject(v) && (v.enabled === true || v.mention_only === true || given(v.prefixes));
      if (set) found.push({ path: [...path, key].join('.'), why: `${why.channelOption} (${type})` });
    }
  }
  return found;
}

/** Whole blocks of the schema that do nothing here, for the configuration reference. */
const inactiveBlocks: [prefix: string, reason: string][] = [
  ['tools.exec', why.exec],
  ['tools.web.prefer_native', 'no model provider here searches the web by itself, so web_search is the one search tool'],
  ['tools.web.format', 'web_fetch returns plain text here; markdown is not available'],
  ['tools.web.proxy', 'web_fetch and web_search connect directly; a proxy for the web tools is not available here'],
  ...unavailableSearch.map((b): [string, string] => [`tools.web.${b}`, why.webSearch]),
  // tools.skills.registries works (picoclaw skills install, the dashboard); the rest serves the model's find/install tools.
  ...['skills.enabled', 'skills.max_concurrent_searches', 'skills.search_cache', 'find_skills', 'install_skill'].map((t): [string, string] => [`tools.${t}`, why.skills]),
  ['tools.cron.exec_timeout_minutes', why.exec],
  ['tools.cron.allow_command', why.exec],
  ['tools.message.media_enabled', why.media],
  ['tools.media_cleanup', why.mediaCleanup],
  ['voice.elevenlabs_api_key', why.media],
  ...['spawn', 'spawn_status', 'subagent'].map((t): [string, string] => [`tools.${t}`, why.subagents]),
  ['agents.defaults.subturn', why.subagents],
  ['agents.list', why.multiAgent],
  ['agents.dispatch', why.multiAgent],
  ...['i2c', 'spi', 'serial'].map((t): [string, string] => [`tools.${t}`, why.devices]),
  ['devices', why.devices],
  ['hooks', why.hooks],
  ['events', why.hooks],
  ['evolution', why.hooks],
  ['isolation', why.isolation],
  ['agents.defaults.routing', why.routing],
  ['agents.defaults.tool_feedback', why.other],
  ['tools.read_file.mode', 'read_file reads bytes here (with an offset); the lines mode is not available'],
  ['build_info', 'output only, in PicoClaw too'],
];

/** For the configuration reference: why a schema key (dotted, `<name>`/`[]` for map keys and list items) does nothing here, or undefined when it works. */
export function inactiveReason(key: string): string | undefined {
  const channel = /^channel_list\.<(\w+)>\.(\w+)/.exec(key);
  if (channel?.[1] === 'othertypes') return 'the channel types other than pico, telegram and mqtt are not available here';
  if (channel && unusedChannelKeys[channel[1]!]?.includes(channel[2]!)) return why.channelOption;
  const path = key.replace(/\[\]/g, '.*').replace(/<[^>]+>/g, '*').split('.');
  const under = (prefix: string) => {
    const parts = split(prefix);
    return parts.length <= path.length && parts.every((part, i) => part === '*' || path[i] === '*' || part === path[i]);
  };
  return inactiveBlocks.find(([prefix]) => under(prefix))?.[1] ?? inactive.find(([pattern]) => under(pattern))?.[1];
}

export const picoclawOnlyPatterns = (): readonly (readonly [string, string])[] => picoclawOnly.map(([pattern, reason]) => [pattern, reason] as const);
