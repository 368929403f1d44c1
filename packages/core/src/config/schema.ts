/**
 * The `config.json` document (schema version 3, compatible with PicoClaw's format; see
 * shared/reference/config.md). Every object is strict, so a typo fails with its key path, and every
 * field has its one default here, so consumers get a complete object. Secret fields are tagged
 * with `secret()`; redaction, the `.security.yml` split and the log masker all find them through
 * that tag (secrets.ts), never through a second list.
 */
import * as z from 'zod';
import { findProvider, providerIds } from './providers.js';

// zod compiles a fast path (new Function) for each object schema on its first parse: worth it for
// schemas parsed thousands of times, not for a config parsed once per start (~10 ms of it).
z.config({ jitless: true });

export const CONFIG_VERSION = 3;

/** Schema nodes holding secrets. */
export const secretTag = z.registry<{ secret: true }>();

function secret() {
  const schema = z.string();
  secretTag.add(schema, { secret: true });
  return schema.default('');
}

const str = (value = '') => z.string().default(value);
const bool = (value: boolean) => z.boolean().default(value);
const int = (value: number, min = 0, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max).default(value);
/** A nested block: strict, and filled with its defaults when absent. */
// Generic shapes cannot prove that `{}` is a valid input, but every field of a block has a default.
const block = <T extends z.core.$ZodLooseShape>(shape: T) =>
  z.strictObject(shape).prefault({} as z.input<z.ZodObject<T, z.core.$strict>>);

/**
 * A list of strings that also accepts a comma-separated string (the full-width comma `，` too) and
 * numbers (Telegram user ids are often written as numbers), as the reference does.
 */
const stringList = () =>
  z
    .preprocess((value) => {
      if (typeof value === 'string') return value.split(/[,，]/).map((s) => s.trim()).filter(Boolean);
      if (typeof value === 'number') return [String(value)];
      if (Array.isArray(value)) return value.map((v) => (typeof v === 'number' ? String(v) : v));
      return value;
    }, z.array(z.string()))
    .default([]);

const looseRecord = () => z.record(z.string(), z.unknown()).default({});

// ── agents ──────────────────────────────────────────────────────────────────────────────────────

const agentModelRef = z.union([
  z.string(),
  z.strictObject({ primary: z.string(), fallbacks: stringList() }),
]);

const agentDefaults = block({
  workspace: str(),
  restrict_to_workspace: bool(true),
  allow_read_outside_workspace: bool(false),
  provider: str(),
  model_name: str(),
  model_fallbacks: stringList(),
  image_model: str(),
  image_model_fallbacks: stringList(),
  max_tokens: int(32768, 1),
  context_window: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).default(0.7),
  max_tool_iterations: int(50, 1, 1000),
  summarize_message_threshold: int(20, 1),
  summarize_token_percent: int(75, 1, 100),
  max_media_size: z.number().int().positive().optional(),
  routing: z
    .strictObject({ enabled: bool(false), light_model: str(), threshold: z.number().default(0.35) })
    .optional(),
  steering_mode: z.enum(['one-at-a-time', 'all']).default('one-at-a-time'),
  max_parallel_turns: int(4, 1, 256),
  subturn: block({
    max_depth: int(3),
    max_concurrent: int(5),
    default_timeout_minutes: int(5),
    default_token_budget: int(0),
    concurrency_timeout_sec: int(30),
  }),
  tool_feedback: block({ enabled: bool(false), max_args_length: int(300), separate_messages: bool(false) }),
  split_on_marker: bool(false),
  context_manager: str(),
  context_manager_config: z.unknown().optional(),
  turn_profile: z.record(z.string(), z.unknown()).optional(),
  max_llm_retries: int(2, 0, 10),
  llm_retry_backoff_secs: int(2, 0, 600),
});

const agentEntry = z.strictObject({
  id: z.string().default('main'),
  default: z.boolean().optional(),
  name: z.string().optional(),
  workspace: z.string().optional(),
  model: agentModelRef.optional(),
  skills: stringList(),
  subagents: z.strictObject({ allow_agents: stringList(), model: agentModelRef.optional() }).optional(),
});

const dispatchRule = z.strictObject({
  name: z.string().optional(),
  agent: z.string(),
  when: z
    .strictObject({
      channel: z.string().optional(),
      account: z.string().optional(),
      space: z.string().optional(),
      chat: z.string().optional(),
      topic: z.string().optional(),
      sender: z.string().optional(),
      mentioned: z.boolean().optional(),
    })
    .prefault({}),
  session_dimensions: stringList().optional(),
});

const agents = block({
  defaults: agentDefaults,
  list: z.array(agentEntry).default([]),
  dispatch: z.strictObject({ rules: z.array(dispatchRule).default([]) }).optional(),
});

// ── session ─────────────────────────────────────────────────────────────────────────────────────

const session = block({
  dimensions: z.array(z.enum(['space', 'chat', 'topic', 'sender'])).optional(),
  identity_links: z.record(z.string(), z.array(z.string())).optional(),
  dm_scope: z.enum(['per-channel-peer', 'per-channel', 'per-peer', 'global']).optional(),
  /** Where sessions live: JSONL files under the workspace (default) or Redis for a fleet. */
  store: z.enum(['jsonl', 'redis']).default('jsonl'),
  redis: block({ url: str('redis://127.0.0.1:6379'), username: str(), password: secret(), key_prefix: str('picoclaw:') }),
});

// ── model_list ──────────────────────────────────────────────────────────────────────────────────

const modelId = z
  .string()
  .min(1, 'is required, e.g. "mistral/mistral-small-latest"')
  .refine((s) => !/\s/.test(s), 'must not contain whitespace')
  .refine((s) => !s.startsWith('/'), 'must not start with "/" (write it as vendor/model)')
  .refine((s) => !s.includes('//'), 'must not contain "//" (write it as vendor/model, not a URL)');

export const modelEntrySchema = z
  .strictObject({
    model_name: z.string().min(1, 'is required: the alias agents use to refer to this model'),
    provider: str().refine((p) => p === '' || findProvider(p) !== undefined, {
      message: `is not a known provider; valid: ${providerIds.join(', ')}`,
    }),
    model: modelId,
    api_base: str().transform((s) => s.replace(/\/+$/, '')),
    api_keys: z.array(secret()).default([]),
    proxy: str(),
    fallbacks: stringList(),
    auth_method: str(),
    connect_mode: str(),
    workspace: str(),
    rpm: int(0),
    max_tokens_field: str(),
    /** Seconds for a whole request (non-streaming) or between stream chunks (streaming). */
    request_timeout: int(120, 1, 3600),
    thinking_level: z.enum(['', 'off', 'low', 'medium', 'high', 'xhigh', 'adaptive']).default(''),
    tool_schema_transform: z
      .enum(['', 'off', 'none', 'native', 'simple', 'basic', 'strict', 'flat'])
      .default(''),
    streaming: block({ enabled: bool(true) }),
    extra_body: looseRecord(),
    custom_headers: z.record(z.string(), secret()).default({}),
    user_agent: str(),
    enabled: bool(true),
    /**
     * Whether the model can see images (not a PicoClaw key): unset means known from the model's
     * name (vision-models.ts); set it for a local or new model the list does not know.
     */
    vision: z.boolean().optional(),
  });

// ── channel_list ────────────────────────────────────────────────────────────────────────────────

export const channelTypes = [
  'pico', 'pico_client', 'telegram', 'discord', 'feishu', 'weixin', 'wecom', 'dingtalk', 'slack',
  'matrix', 'line', 'onebot', 'qq', 'irc', 'vk', 'maixcam', 'whatsapp', 'whatsapp_native',
  'teams_webhook', 'mqtt', 'slack_webhook',
  // Removed from PicoClaw on 2026-03-24 (merged into wecom); configs of that time still name them.
  'wecom_app', 'wecom_aibot',
] as const;
export type ChannelType = (typeof channelTypes)[number];
/** The channel types this project runs; the others parse (so configs round-trip) but do not start. */
export const implementedChannelTypes = ['pico', 'telegram', 'mqtt'] as const satisfies readonly ChannelType[];

const streaming = (enabled: boolean, throttle: number, growth: number) =>
  block({ enabled: bool(enabled), throttle_seconds: int(throttle), min_growth_chars: int(growth) });

const picoSettings = block({
  token: secret(),
  allow_token_query: bool(false),
  allow_origins: stringList(),
  streaming: streaming(true, 0, 1),
  ping_interval: int(30, 1),
  read_timeout: int(60, 1),
  write_timeout: int(10, 1),
  max_connections: int(100, 1),
  /** Largest accepted inbound frame; bigger frames get an error frame. */
  max_frame_bytes: int(256 * 1024, 1024),
});

const telegramSettings = block({
  token: secret(),
  base_url: str().transform((s) => s.replace(/\/+$/, '')),
  proxy: str(),
  use_markdown_v2: bool(false),
  media_group_delay_ms: int(500),
  streaming: streaming(false, 3, 200),
});

const mqttBrokerSchemes = ['tcp', 'ssl', 'tls', 'mqtt', 'mqtts', 'ws', 'wss'];
const mqttSettings = block({
  broker: str().refine((url) => url === '' || isBrokerUrl(url), {
    message: `must be a broker URL such as tcp://localhost:1883 or ssl://broker:8883 (schemes: ${mqttBrokerSchemes.join(', ')})`,
  }),
  agent_id: str().refine((id) => !/[/+#]/.test(id), 'must not contain "/", "+" or "#" (it is one topic segment)'),
  topic_prefix: str('/picoclaw')
    .refine((p) => !/[+#]/.test(p), 'must not contain the wildcards "+" or "#"')
    .transform((p) => (p.length > 1 ? p.replace(/\/+$/, '') : p)),
  username: secret(),
  password: secret(),
  client_id: str(),
  keep_alive: z.number().int().default(60).transform((s) => (s <= 0 ? 60 : s)),
  qos: z.literal([0, 1, 2], { error: 'must be 0, 1 or 2' }).default(0),
  /** MQTT protocol version: 4 = 3.1.1 (the reference's paho default), 5 = MQTT 5. */
  protocol_version: z.literal([4, 5], { error: 'must be 4 (MQTT 3.1.1) or 5 (MQTT 5)' }).default(4),
  /** Verify the broker's TLS certificate (the reference never does; off by default for compatibility). */
  tls_verify: bool(false),
  /** PEM file with the CA that signed the broker certificate, for tls_verify. */
  ca_file: str(),
  /** Join an MQTT 5 shared subscription group ($share/<group>/…) so several gateways split requests. */
  shared_group: str().refine((g) => !/[/+#]/.test(g), 'must be one topic segment'),
  /** Largest accepted request payload. */
  max_payload_bytes: int(64 * 1024, 16),
});

function isBrokerUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return mqttBrokerSchemes.includes(parsed.protocol.replace(/:$/, '')) && parsed.hostname !== '';
  } catch {
    return false;
  }
}

const channelBase = {
  enabled: bool(false),
  allow_from: stringList(),
  reasoning_channel_id: str(),
  group_trigger: block({ mention_only: bool(false), prefixes: stringList() }),
  typing: block({ enabled: bool(true) }),
  placeholder: block({
    enabled: bool(false),
    text: z
      .union([z.string(), z.number(), z.array(z.union([z.string(), z.number()]))])
      .transform((t) => (Array.isArray(t) ? t.map(String) : [String(t)]))
      .default(['Thinking... 💭']),
  }),
};

const otherChannelTypes = channelTypes.filter(
  (t): t is Exclude<ChannelType, 'pico' | 'telegram' | 'mqtt'> => !['pico', 'telegram', 'mqtt'].includes(t),
);

export const channelSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...channelBase, type: z.literal('pico'), settings: picoSettings }),
  z.strictObject({
    ...channelBase,
    type: z.literal('telegram'),
    placeholder: block({
      enabled: bool(true),
      text: channelBase.placeholder.def.innerType.shape.text,
    }),
    settings: telegramSettings,
  }),
  z.strictObject({ ...channelBase, type: z.literal('mqtt'), settings: mqttSettings }),
  // Types this project does not run: keep their settings as written so the file round-trips.
  z.strictObject({ ...channelBase, type: z.enum(otherChannelTypes), settings: looseRecord() }),
]);

// ── tools ───────────────────────────────────────────────────────────────────────────────────────

const toolSwitch = (enabled: boolean) => block({ enabled: bool(enabled) });

export const mcpTransportTypes = ['stdio', 'sse', 'http', 'streamable-http', 'streamable_http', 'streamablehttp'];

export const mcpServerSchema = z.strictObject({
  enabled: bool(true),
  deferred: z.boolean().optional(),
  /** Not PicoClaw keys: the server's tools offered (empty: all) and withheld, by name or `*` pattern (mcp/tool-filter.ts). */
  allow_tools: stringList(),
  deny_tools: stringList(),
  type: z
    .string()
    .transform((t) => t.trim().toLowerCase())
    .refine((t) => mcpTransportTypes.includes(t), {
      message: 'must be one of stdio, sse, http, streamable-http',
    })
    .optional(),
  command: str(),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), secret()).default({}),
  env_file: str(),
  url: str(),
  headers: z.record(z.string(), secret()).default({}),
  /** Seconds to connect and list tools before the server is reported failed (the reference has none). */
  connect_timeout: int(15, 1, 600),
  /** Seconds one tool call may take (Home Assistant's own limit is 60 s). */
  call_timeout: int(60, 1, 3600),
});

const webBackend = <T extends z.core.$ZodLooseShape>(extra: T = {} as T) =>
  block({ enabled: bool(false), max_results: int(5, 1, 50), ...extra });

const tools = block({
  allow_read_paths: z.array(z.string()).nullable().default(null),
  allow_write_paths: z.array(z.string()).nullable().default(null),
  // Off here where PicoClaw has them on: these features do not exist here yet (picoclaw-keys.ts).
  filter_sensitive_data: bool(false),
  filter_min_length: int(8),
  read_file: block({ enabled: bool(true), mode: z.enum(['bytes', 'lines']).default('bytes'), max_read_file_size: int(65536, 1) }),
  write_file: toolSwitch(true),
  edit_file: toolSwitch(true),
  append_file: toolSwitch(true),
  list_dir: toolSwitch(true),
  // Off by default, unlike the reference: a homelab assistant reachable from chat should not
  // run shell commands or fetch arbitrary URLs unless its owner turns that on.
  exec: block({
    enabled: bool(false),
    enable_deny_patterns: bool(true),
    allow_remote: bool(true),
    custom_deny_patterns: z.array(z.string()).default([]),
    custom_allow_patterns: z.array(z.string()).default([]),
    timeout_seconds: int(60),
  }),
  // web_search (web/web-search.ts) is offered when `enabled` is on and one of brave, tavily, searxng
  // or duckduckgo is ready; off by default here (PicoClaw: on): a search sends what the model asks
  // to a third party, so the owner turns it on (the dashboard's "web search" switch).
  // The other backends load and are reported (picoclaw-keys.ts). web_fetch is `web_fetch` below.
  web: block({
    enabled: bool(false),
    provider: str('auto'),
    prefer_native: bool(true),
    proxy: str(),
    fetch_limit_bytes: int(10 * 1024 * 1024, 1),
    format: z.enum(['plaintext', 'markdown']).default('plaintext'),
    private_host_whitelist: z.array(z.string()).default([]),
    brave: webBackend({ api_keys: z.array(secret()).default([]) }),
    tavily: webBackend({ base_url: str(), api_keys: z.array(secret()).default([]) }),
    kagi: webBackend({ base_url: str('https://kagi.com/api/v1/search'), api_keys: z.array(secret()).default([]) }),
    sogou: webBackend(),
    duckduckgo: webBackend(),
    gemini: webBackend({ model: str('gemini-2.5-flash'), api_key: secret() }),
    perplexity: webBackend({ api_keys: z.array(secret()).default([]) }),
    searxng: webBackend({ base_url: str() }),
    glm_search: webBackend({
      base_url: str('https://open.bigmodel.cn/api/paas/v4/web_search'),
      search_engine: str('search_std'),
      api_key: secret(),
    }),
    baidu_search: webBackend({
      base_url: str('https://qianfan.baidubce.com/v2/ai_search/web_search'),
      max_results: int(10, 1, 50),
      api_key: secret(),
    }),
  }),
  web_fetch: toolSwitch(false),
  // `allow_targets`: chats a turn may message besides its own ("telegram:12345", "mqtt:*", "*").
  message: block({ enabled: bool(true), media_enabled: bool(false), allow_targets: stringList() }),
  // On, as in PicoClaw: it reaches what read_file reads (same path policy) and only the turn's own chat.
  send_file: toolSwitch(true),
  // On, as in PicoClaw; offered only in chats that have images (agent-runtime.ts), so other prompts do not carry it.
  load_image: toolSwitch(true),
  cron: block({ enabled: bool(true), exec_timeout_minutes: int(5), allow_command: bool(true) }),
  spawn: toolSwitch(false),
  spawn_status: toolSwitch(false),
  subagent: toolSwitch(false),
  skills: block({
    enabled: bool(false),
    registries: z
      .record(z.string(), z.strictObject({ enabled: bool(true), base_url: str(), auth_token: secret() }).catchall(z.unknown()))
      .default({}),
    max_concurrent_searches: int(2, 1),
    search_cache: block({ max_size: int(50), ttl_seconds: int(300) }),
  }),
  find_skills: toolSwitch(false),
  install_skill: toolSwitch(false),
  media_cleanup: block({ enabled: bool(false), max_age_minutes: int(30), interval_minutes: int(5) }),
  send_tts: toolSwitch(false),
  i2c: toolSwitch(false),
  spi: toolSwitch(false),
  serial: toolSwitch(false),
  mcp: block({
    enabled: bool(false),
    discovery: block({
      enabled: bool(false),
      ttl: int(5, 1),
      max_search_results: int(5, 1),
      use_bm25: bool(true),
      use_regex: bool(false),
    }),
    max_inline_text_chars: int(16384, 1),
    servers: z.record(z.string(), mcpServerSchema).default({}),
  }),
});

// ── gateway and the other blocks ────────────────────────────────────────────────────────────────

export const logLevels = ['debug', 'info', 'warn', 'error', 'fatal'] as const;

const gateway = block({
  host: str('127.0.0.1'),
  port: int(18790, 1, 65535),
  hot_reload: bool(false),
  // `info` rather than the reference's `warn`: start-up and reload lines are worth seeing.
  log_level: z.enum(logLevels).catch('info').default('info'),
});

const config = z.strictObject({
  version: z.literal(CONFIG_VERSION).default(CONFIG_VERSION),
  agents,
  session,
  model_list: z.array(modelEntrySchema).default([]),
  channel_list: z.record(z.string(), channelSchema).default({}),
  tools,
  gateway,
  // Off unless configured (PicoClaw: on). `active_hours` "08:00-22:00" (the gateway's time zone;
  // may wrap midnight), `target` "<channel>:<chat>" (empty: the last chat that wrote).
  heartbeat: block({
    enabled: bool(false),
    interval: z.number().int().default(30).transform((m) => (m <= 0 ? 30 : Math.max(5, m))),
    active_hours: str().refine((v) => v === '' || /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/.test(v), 'must be "HH:MM-HH:MM", e.g. "08:00-22:00", or empty for all day'),
    target: str().refine((v) => v === '' || /^[^:\s]+:\S+$/.test(v), 'must be "<channel>:<chat>", e.g. "telegram:123456789", or empty for the last chat that wrote'),
  }),
  devices: block({ enabled: bool(false), monitor_usb: bool(true) }),
  // model_name (then model_fallbacks) transcribes voice notes: model_list entries served at
  // <api_base>/audio/transcriptions. The limits are checked before anything is downloaded.
  // tts_model_name (with tts_voice) speaks send_tts replies through <api_base>/audio/speech.
  voice: block({
    model_name: str(),
    model_fallbacks: stringList(),
    tts_model_name: str(),
    /** Not PicoClaw keys: speech models tried after tts_model_name; when answers are also spoken (voice-replies.ts). */
    tts_model_fallbacks: stringList(),
    tts_voice: str('alloy'),
    voice_replies: z.enum(['off', 'voice_notes', 'always']).default('off'),
    echo_transcription: bool(false),
    elevenlabs_api_key: secret(),
    max_duration_seconds: int(300, 1, 3600),
    max_bytes: int(20 * 1024 * 1024, 1024, 20 * 1024 * 1024),
  }),
  hooks: block({
    enabled: bool(true),
    defaults: block({ observer_timeout_ms: int(500), interceptor_timeout_ms: int(5000), approval_timeout_ms: int(60000) }),
    builtins: looseRecord(),
    processes: looseRecord(),
  }),
  events: block({
    logging: block({
      enabled: bool(true),
      include: z.array(z.string()).default(['agent.*']),
      exclude: z.array(z.string()).default([]),
      min_severity: str('info'),
      include_payload: bool(false),
    }),
  }),
  evolution: looseRecord(),
  isolation: block({ enabled: bool(false), expose_paths: z.array(z.unknown()).default([]) }),
  /** Output-only in the reference; accepted and ignored. */
  build_info: z.unknown().optional(),
});

export const configSchema = config.superRefine((cfg, ctx) => {
  // Whether model references resolve is a warning of the loader (load-config.ts runtimeWarnings):
  // PicoClaw loads such a config, and the gateway starts degraded and says what to set.
  const enabledPico = Object.entries(cfg.channel_list).filter(([, c]) => c.type === 'pico' && c.enabled).map(([name]) => name);
  if (enabledPico.length > 1) {
    ctx.addIssue({ code: 'custom', path: ['channel_list'], message: `channel type "pico" is a singleton, but ${enabledPico.length} instances are enabled: ${enabledPico.join(', ')}` });
  }
  for (const [name, channel] of Object.entries(cfg.channel_list)) {
    if (channel.type !== 'mqtt') continue;
    const at = (key: string) => ['channel_list', name, 'settings', key];
    if (channel.settings.shared_group && channel.settings.protocol_version !== 5) ctx.addIssue({ code: 'custom', path: at('shared_group'), message: 'needs protocol_version 5 (shared subscriptions are an MQTT 5 feature)' });
    if (!channel.settings.tls_verify && channel.settings.ca_file) ctx.addIssue({ code: 'custom', path: at('ca_file'), message: 'is only used with tls_verify: true; set tls_verify to true or remove ca_file' });
  }

  for (const [name, server] of Object.entries(cfg.tools.mcp.servers)) {
    const type = effectiveMcpTransport(server);
    const at = (key: string) => ['tools', 'mcp', 'servers', name, key];
    if (type === undefined) ctx.addIssue({ code: 'custom', path: at('url'), message: 'either url (for http/sse) or command (for stdio) is required' });
    else if (type === 'stdio' && !server.command) ctx.addIssue({ code: 'custom', path: at('command'), message: 'is required for a stdio server' });
    else if (type !== 'stdio') {
      if (!server.url) ctx.addIssue({ code: 'custom', path: at('url'), message: `is required for a ${type} server, e.g. "http://homeassistant.local:8123/api/mcp"` });
      else if (!/^https?:\/\/[^/]/.test(server.url)) ctx.addIssue({ code: 'custom', path: at('url'), message: 'must be an http:// or https:// URL' });
    }
  }
});

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type ModelEntry = Config['model_list'][number];
export type ChannelConfig = Config['channel_list'][string];
export type McpServerConfig = Config['tools']['mcp']['servers'][string];
export type AgentDefaults = Config['agents']['defaults'];

/**
 * The transport a server uses: its `type` (the streamable aliases all mean `http`), or, as in the
 * reference, `sse` when only a url is set and `stdio` when only a command is set.
 */
export function effectiveMcpTransport(server: Partial<Pick<McpServerConfig, 'type' | 'url' | 'command'>>): 'stdio' | 'sse' | 'http' | undefined {
  const type = server.type?.trim().toLowerCase();
  if (type === 'stdio' || type === 'sse') return type;
  if (type) return 'http';
  if (server.url) return 'sse';
  if (server.command) return 'stdio';
  return undefined;
}
