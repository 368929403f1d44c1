/**
 * The gateway process assembled: config → session store, models, tools (built-in and MCP), agent
 * runtime, HTTP server, channels. Ready as soon as the channels have started; MCP servers connect
 * in the background and the Mistral SDK is warmed after readiness. Reload swaps what changed and
 * keeps the running config when the new one is invalid.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  collectSecrets,
  ConfigError,
  defaultModelProblem,
  loadConfig,
  picoCredential,
  resolveModelTarget,
  type Config,
  type GatewaySettings,
  type GatewayStatus,
  type HealthResponse,
  type LoadedConfig,
  type Logger,
  type ModelStatus,
  type ReadyReason,
  type ReadyResponse,
  type ReloadResponse,
  type SecretMasker,
} from '@picoclaw/core';
import { createAgentRuntime, type AgentRuntime, type InboundMessage } from './agent/agent-runtime.js';
import type { ChannelFactory } from './channels/channel.js';
import { createChannelManager, type ChannelManager } from './channels/channel-manager.js';
import { channelsApi } from './channels/channels-api.js';
import { createMedia, type Media } from './media/media.js';
import { createMemory } from './memory/memory.js';
import { createSkills } from './skills/skills.js';
import { usageApi } from './usage/usage-api.js';
import { createUsageBook } from './usage/usage-book.js';
import { createGatewayServer, type GatewayServer } from './http/gateway-server.js';
import { sessionsApi } from './http/sessions-api.js';
import { testEndpoints } from './http/test-endpoints.js';
import { createToolDiscovery } from './mcp/tool-discovery.js';
import { createMcpManager, type McpManager } from './mcp/mcp-manager.js';
import { createHealthBook } from './models/fallback-chain.js';
import { loadMistralSdk } from './models/mistral.js';
import { createModelRegistry, type ModelRegistry } from './models/model-registry.js';
import { makeGatewayFolders } from './home-folders.js';
import { assertHomeFree, releasePidFile, writePidFile } from './pid-file.js';
import { createJsonlSessionStore } from './sessions/jsonl-session-store.js';
import type { SessionStore } from './sessions/session-store.js';
import { createFileChannelState, type ChannelStateStore } from './channels/channel-state.js';
import { deferSchedules } from './schedules/deferred-schedules.js';
import { createBuiltinTools } from './tools/builtin-tools.js';
import type { Tool } from './tools/types.js';
import { version } from './version.js';

export interface GatewayOptions {
  settings: GatewaySettings;
  log: Logger;
  masker: SecretMasker;
  env?: NodeJS.ProcessEnv;
  /** Channel implementations by type (the CLI passes the real ones; tests may pass fakes). */
  channelFactories?: Partial<Record<Config['channel_list'][string]['type'], ChannelFactory>>;
  /** Launcher token, to refuse a pico token equal to it. */
  launcherToken?: string;
  /** Milliseconds a shutdown waits for running turns. */
  shutdownGraceMs?: number;
  /** A config already loaded by the caller (the CLI reads it for the settings), to skip a second load. */
  preloaded?: LoadedConfig;
}

export interface Gateway {
  start(): Promise<{ host: string; port: number; token: string }>;
  reload(): Promise<{ ok: true; body: ReloadResponse } | { ok: false; body: ReloadResponse }>;
  status(): GatewayStatus;
  close(): Promise<void>;
}

export function createGateway(options: GatewayOptions): Gateway {
  const { settings, log, masker } = options;
  const env = options.env ?? process.env;
  const startedAt = new Date();
  const token = settings.token || randomBytes(24).toString('hex');
  const health = createHealthBook();
  const logFn = (level: 'debug' | 'info' | 'warn' | 'error', message: string, meta?: Record<string, unknown>) => log.log(level, message, meta);

  let loaded: LoadedConfig;
  let loadedAt = new Date();
  let models: ModelRegistry;
  /** Why no model can answer (defaultModelProblem), set at start and reload; undefined when one can. */
  let modelProblem: string | undefined;
  let builtins: Tool[] = [];
  let mcp: McpManager | undefined;
  let runtime: AgentRuntime;
  let channels: ChannelManager;
  let server: GatewayServer;
  const schedules = deferSchedules((message) => log.error(message));
  let media: Media;
  const memory = createMemory({ workspace: () => config().agents.defaults.workspace });
  // Token usage per model per day: counted in memory, state/usage.json read at first use.
  const usage = createUsageBook({ workspace: () => config().agents.defaults.workspace, log: (message) => log.warn(message) });
  const onUsage = usage.record;
  const skills = createSkills({ config: () => config(), home: settings.home, log: (level, message) => log.log(level, message) });
  let phase: 'starting' | 'running' | 'stopping' = 'starting';

  const config = () => loaded.config;
  const discovery = createToolDiscovery({ config, list: () => mcp?.list() ?? [], warn: (message) => log.warn(message) });
  const tools = (turn?: InboundMessage, afterStep?: boolean): Tool[] => [...builtins, ...media.tools(), ...memory.tools(), ...schedules.tools(turn), ...discovery.tools(turn?.sessionKey, afterStep)];
  const updateSecrets = () => masker.replaceAll([...collectSecrets(loaded.config), token, ...(options.launcherToken ? [options.launcherToken] : [])]);

  // No model is not an error: the gateway runs without one (degraded, reason `no_model`) and
  // every message is answered with what to set, as `picoclaw config validate` warns.
  function load(): Promise<LoadedConfig> {
    return loadConfig({ configPath: settings.config, home: settings.home, env, ...(options.launcherToken ? { launcherToken: options.launcherToken } : {}) });
  }

  function mcpFor(cfg: Config) {
    return cfg.tools.mcp.enabled && Object.keys(cfg.tools.mcp.servers).length > 0;
  }

  function startMcp(cfg: Config) {
    mcp = createMcpManager({
      servers: cfg.tools.mcp.servers,
      home: settings.home,
      workspace: cfg.agents.defaults.workspace,
      maxInlineTextChars: cfg.tools.mcp.max_inline_text_chars,
      discovery: () => config().tools.mcp.discovery.enabled,
      log: logFn,
    });
    mcp.start();
  }

  function readyState(): ReadyResponse {
    const checks: ReadyResponse['checks'] = {
      config: { ok: true, detail: loaded ? loaded.paths.config : 'loading' },
      agent: { ok: phase === 'running' },
    };
    if (phase !== 'starting' && channels) {
      for (const c of channels.status()) if (c.enabled) checks[`channel:${c.name}`] = { ok: c.state === 'running' || c.state === 'standby', ...(c.lastError ? { detail: c.lastError } : c.detail ? { detail: c.detail } : {}) };
    }
    for (const s of mcp?.status() ?? []) if (s.state !== 'disabled') checks[`mcp:${s.name}`] = { ok: s.state === 'connected', detail: s.lastError ?? s.state };
    if (modelProblem) checks.model = { ok: false, detail: modelProblem };
    const failing = Object.entries(checks).filter(([, c]) => !c.ok).map(([name]) => name);
    const status = phase === 'running' ? (failing.length === 0 ? 'ready' : 'degraded') : phase;
    const reasons = [...new Set(failing.map((name): ReadyReason => (name === 'model' ? 'no_model' : name.startsWith('mcp:') ? 'mcp_down' : name.startsWith('channel:') ? 'channel_down' : phase === 'stopping' ? 'stopping' : 'starting')))];
    return { status, ...(reasons.length ? { reasons } : {}), checks };
  }

  function modelStatus(): GatewayStatus['models'] {
    const d = config().agents.defaults;
    const live = new Map(models.status().map((s) => [s.name, s]));
    const list: ModelStatus[] = models.list().map((m) => {
      const s = live.get(m.name);
      return {
        ...m,
        role: m.name === d.model_name ? 'primary' : d.model_fallbacks.includes(m.name) ? 'fallback' : 'other',
        state: s?.state ?? 'unused',
        failures: s?.failures ?? 0,
        ...(s?.cooldownUntil ? { cooldownUntil: s.cooldownUntil } : {}),
        ...(s?.lastError ? { lastError: s.lastError } : {}),
        ...(s?.lastSuccessAt ? { lastSuccessAt: s.lastSuccessAt } : {}),
        ...(s?.lastLatencyMs !== undefined ? { lastLatencyMs: s.lastLatencyMs } : {}),
      };
    });
    return { primary: d.model_name, fallbacks: d.model_fallbacks, list, ...(modelProblem ? { problem: modelProblem } : {}) };
  }

  function status(): GatewayStatus {
    const scheduled = schedules.status();
    return {
      version,
      pid: process.pid,
      uptime_s: Math.round((Date.now() - startedAt.getTime()) / 1000),
      ready: readyState().status,
      config: { path: loaded.paths.config, loaded_at: loadedAt.toISOString(), warnings: loaded.warnings },
      channels: channels.status(),
      mcp: { enabled: config().tools.mcp.enabled, servers: mcp?.status() ?? [] },
      models: modelStatus(),
      tools: tools().map((t) => ({ name: t.name, source: t.source })),
      active_turns: runtime.activeTurns,
      cluster: joined?.cluster.status() ?? { store: 'jsonl', members: [], leaders: {} },
      ...(scheduled ? { schedules: scheduled } : {}),
    };
  }

  function describeStatus(): string {
    const s = status();
    const lines = [`PicoClaw gateway ${s.version}, up ${s.uptime_s} s, ${s.ready}`];
    lines.push(`Model: ${s.models.primary || '(none)'}${s.models.fallbacks.length ? `, then ${s.models.fallbacks.join(', ')}` : ''}${s.models.problem ? ` — ${s.models.problem}` : ''}`);
    for (const c of s.channels) lines.push(`Channel ${c.name} (${c.type}): ${c.state}${c.lastError ? ` — ${c.lastError}` : ''}`);
    for (const m of s.mcp.servers) lines.push(`MCP ${m.name}: ${m.state}${m.lastError ? ` — ${m.lastError}` : ''}`);
    return lines.join('\n');
  }

  function describeMcp(): string {
    const servers = mcp?.status() ?? [];
    if (!config().tools.mcp.enabled) return 'MCP is off (tools.mcp.enabled is false).';
    if (servers.length === 0) return 'No MCP servers are configured.';
    return servers
      .map((m) => `${m.state === 'connected' ? '✓' : '✗'} ${m.name} (${m.transport} ${m.target}): ${m.state}${m.tools.length ? `, ${m.tools.length} tools` : ''}${m.lastError ? `\n  ${m.lastError}${m.hint ? `\n  ${m.hint}` : ''}` : ''}`)
      .join('\n');
  }

  let store: SessionStore;
  /** Present with `session.store: "redis"` (cluster/join-cluster.ts). */
  let joined: Awaited<ReturnType<typeof import('./cluster/join-cluster.js').joinCluster>> | undefined;

  /**
   * Reloads run one after the other, each reading the files when its turn comes: whichever order
   * requests arrive in (HTTP, SIGHUP), the last one leaves the gateway running what the files hold.
   */
  let reloads: Promise<unknown> = Promise.resolve();
  function reload(): ReturnType<typeof reloadNow> {
    const next = reloads.then(reloadNow, reloadNow);
    reloads = next.catch(() => {});
    return next;
  }

  async function reloadNow(): Promise<{ ok: true; body: ReloadResponse } | { ok: false; body: ReloadResponse }> {
    let next: LoadedConfig;
    try {
      next = await load();
    } catch (error) {
      const issues = error instanceof ConfigError ? error.issues : [];
      const message = error instanceof Error ? error.message : String(error);
      log.warn(`reload refused, keeping the running config: ${message}`);
      return { ok: false, body: { error: `the new config is invalid; the running config is kept. ${message}`, issues } };
    }
    const previous = loaded.config;
    loaded = next;
    loadedAt = new Date();
    updateSecrets();
    const changes: string[] = [];
    const restart: string[] = [];
    if (next.config.gateway.host !== previous.gateway.host || next.config.gateway.port !== previous.gateway.port) {
      restart.push('gateway.host/port take effect after a restart');
    }
    if (JSON.stringify(next.config.session.store) !== JSON.stringify(previous.session.store) || JSON.stringify(next.config.session.redis) !== JSON.stringify(previous.session.redis)) {
      restart.push('session.store/redis take effect after a restart');
    }
    if (JSON.stringify(next.config.model_list) !== JSON.stringify(previous.model_list) || JSON.stringify(next.config.agents) !== JSON.stringify(previous.agents)) {
      models = createModelRegistry(next.config, { health, version, onUsage });
      modelProblem = defaultModelProblem(next.config);
      if (modelProblem) log.warn(`${modelProblem} (${next.paths.config}); until then every message is answered with this explanation`);
      changes.push('models and agent settings updated');
    }
    const [nd, pd] = [next.config.agents.defaults, previous.agents.defaults];
    if (nd.workspace !== pd.workspace) {
      await makeGatewayFolders(settings.home, next.config, false).catch((error: Error) => log.warn(error.message));
      restart.push("scheduled jobs are read from the new workspace's cron/jobs.json after a restart");
    }
    if (JSON.stringify(next.config.tools) !== JSON.stringify(previous.tools) || nd.workspace !== pd.workspace || nd.restrict_to_workspace !== pd.restrict_to_workspace || nd.allow_read_outside_workspace !== pd.allow_read_outside_workspace || nd.max_media_size !== pd.max_media_size) {
      builtins = createBuiltinTools(next, (message) => log.warn(message), () => channels);
      if (mcpFor(next.config)) {
        if (mcp) await mcp.reload(next.config.tools.mcp.servers);
        else startMcp(next.config);
      } else if (mcp) {
        await mcp.close();
        mcp = undefined;
      }
      changes.push('tools updated');
    }
    changes.push(...(await channels.reload(next.config.channel_list)));
    schedules.configure();
    if (next.config.gateway.log_level !== previous.gateway.log_level && !env.PICOCLAW_LOG_LEVEL && settings.logLevel !== 'debug') {
      // The config's log level applies unless a flag or the environment chose one.
      log.level = next.config.gateway.log_level === 'fatal' ? 'error' : next.config.gateway.log_level;
      changes.push(`log level ${log.level}`);
    }
    log.info(`config reloaded: ${changes.join('; ') || 'no changes'}`);
    return { ok: true, body: { status: 'reloaded', changes, restart_required: restart, warnings: next.warnings } };
  }

  return {
    status: () => status(),
    reload,
    async start() {
      loaded = options.preloaded ?? (await load());
      loadedAt = new Date();
      updateSecrets();
      for (const warning of loaded.warnings) log.warn(warning);
      if (loaded.migratedFrom !== undefined) log.info(`config.json is in the version ${loaded.migratedFrom} format; it was migrated in memory (save it from the dashboard to upgrade the file)`);
      log.info(`config loaded from ${loaded.paths.config}${loaded.exists ? '' : ' (not found: defaults)'}`);

      const cfg = loaded.config;
      let factories = options.channelFactories ?? {};
      let channelState: ChannelStateStore;
      if (cfg.session.store === 'redis') {
        joined = await (await import('./cluster/join-cluster.js')).joinCluster(cfg, factories, { version, log: logFn });
        ({ store, factories, channelState } = joined);
      } else {
        channelState = createFileChannelState(cfg.agents.defaults.workspace);
        store = createJsonlSessionStore({
          dir: join(cfg.agents.defaults.workspace, 'sessions'),
          onBadLine: (key, line) => log.warn(`session ${key}: skipped unreadable line ${line}`),
        });
      }
      media = createMedia({ config, version, outbound: () => channels, state: channelState, log: logFn });
      models = createModelRegistry(cfg, { health, version, onUsage });
      for (const m of models.list()) if (m.problem) log.warn(`model ${m.name}: ${m.problem}`);
      // (the loader's warnings, logged above, already say it)
      modelProblem = defaultModelProblem(cfg);
      builtins = createBuiltinTools(loaded, (message) => log.warn(message), () => channels);
      runtime = createAgentRuntime({
        config,
        models: () => models,
        tools,
        store,
        images: media.images,
        voice: (message, args) => media.voiceReplies.command(message, args),
        skills,
        describe: { status: describeStatus, mcp: describeMcp },
        log: logFn,
        mask: (text) => masker.mask(text),
        version,
      });
      server = createGatewayServer({
        token,
        log: (level, message) => log.log(level, message),
        mask: (text) => masker.mask(text),
        handlers: {
          health: (): HealthResponse => ({ status: 'ok', version, pid: process.pid, uptime_s: Math.round((Date.now() - startedAt.getTime()) / 1000), started_at: startedAt.toISOString() }),
          ready: () => {
            const body = readyState();
            return { ok: body.status === 'ready' || body.status === 'degraded', body };
          },
          status,
          reload,
          ...testEndpoints({ models: () => models, mcp: () => mcp, home: settings.home, workspace: () => config().agents.defaults.workspace }),
          sessions: sessionsApi({ store, stop: (key) => runtime.stop(key) }),
          apis: { schedules: schedules.http, memory: memory.http, skills: skills.http, usage: usageApi(usage), channels: channelsApi(() => channels) },
          image: (name) => media.images.file(name),
          mcpRetry: (name) => {
            if (!mcp?.status().some((s) => s.name === name)) return false;
            mcp.retryNow(name);
            return true;
          },
        },
      });
      channels = createChannelManager({
        factories,
        deps: { state: channelState, picoCredential: picoCredential(token), ...media.channelDeps },
        submit: (message, sink) => schedules.admit(message).then(() => runtime.submit(message, media.voiceReplies.sink(message, sink))),
        mountUpgrade: server.mountUpgrade,
        log: logFn,
      });
      // Independent steps side by side (each is a few file or socket operations): the port, the
      // home and its folders are checked together (a home in use is the more telling error when
      // several fail), then the PID file is written while the channels start.
      const [listened, free, folders] = await Promise.allSettled([server.listen(settings.host, settings.port), assertHomeFree(settings.home), makeGatewayFolders(settings.home, cfg, true)]);
      if (free.status === 'rejected') throw free.reason;
      if (folders.status === 'rejected') throw folders.reason;
      if (listened.status === 'rejected') throw listened.reason;
      const address = listened.value;
      await Promise.all([writePidFile(settings.home, { pid: process.pid, token, version, host: settings.host, port: address.port }), channels.start(cfg.channel_list)]);
      phase = 'running';
      // MCP servers connect in the background after the channels are up: loading the MCP SDK
      // would otherwise compete with the channels for the start-up time.
      if (mcpFor(cfg)) startMcp(cfg);
      log.info(`gateway ${version} ready on http://${settings.host}:${address.port}`, { pid: process.pid });
      // Jobs are read after readiness: ten thousand of them must not delay the channels.
      void schedules.start(() => ({ config, runtime, outbound: channels, log: logFn, ...(joined ? { store: joined.jobs, cluster: joined.cluster } : {}) }));
      // Warm the Mistral SDK now rather than on the first message.
      if (cfg.model_list.some((m) => resolveModelTarget(m).provider.wire === 'mistral')) void loadMistralSdk().catch(() => {});
      return { host: settings.host, port: address.port, token };
    },
    async close() {
      if (phase === 'stopping') return;
      phase = 'stopping';
      log.info('gateway stopping: finishing running turns');
      await schedules.close();
      await runtime?.close(options.shutdownGraceMs ?? 10_000);
      await store?.flush?.().catch((error: Error) => log.warn(`syncing the sessions to disk failed: ${error.message}`));
      await usage.close();
      await channels?.stop();
      await joined?.close();
      await mcp?.close();
      await server?.close();
      await releasePidFile(settings.home).catch(() => {});
      log.info('gateway stopped');
    },
  };
}
