/**
 * The launcher assembled: settings → logger → auth → gateway supervisor → express app with the
 * auth gate, APIs, the pico proxy and the dashboard files, on port 18800. A broken config.json
 * does not stop the launcher: the dashboard stays reachable to fix it, and the status says why
 * the gateway is not running.
 */
import { createServer, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { collectSecrets, jsonNestingTooDeep, loadConfig, loadGatewaySettings, MAX_JSON_DEPTH, parseRequestTarget, picoCredential, picoFrameLimitsOf, requestJson, runtimeEnv, type HttpRequestOptions, type LauncherSettings, type LoadedConfig, type Logger, type SecretMasker } from '@picoclaw/core';
import { authRoutes } from './api/auth-routes.js';
import { configRoutes } from './api/config-routes.js';
import { gatewayRoutes } from './api/gateway-routes.js';
import { mediaRoutes } from './api/media-routes.js';
import { resourceRoutes } from './api/resource-routes.js';
import { scheduleRoutes } from './api/schedule-routes.js';
import { memoryRoutes } from './api/memory-routes.js';
import { skillRoutes } from './api/skill-routes.js';
import { usageRoutes } from './api/usage-routes.js';
import { channelTestRoutes } from './api/channel-test-routes.js';
import { sessionRoutes } from './api/session-routes.js';
import { setupRoutes } from './api/setup-routes.js';
import { authGate, checkBearer, suspiciousPath, type AuthDeps } from './auth/auth.js';
import { createClientResolver } from './auth/client-address.js';
import { createHostGuard } from './auth/host-check.js';
import { createRateLimiter } from './auth/rate-limiter.js';
import { createSessionStore } from './auth/session-store.js';
import { newSetupCode, reachableHost, setupCodeNotice } from './auth/setup-code.js';
import { ensurePicoChannel } from './ensure-pico.js';
import { readLauncherFile, updateLauncherFile } from './launcher-config.js';
import { createPicoProxy } from './pico-proxy.js';
import { createGatewaySupervisor, inheritedEnv, type GatewayAddress, type GatewaySupervisor } from './supervisor/gateway-supervisor.js';
import type { LogBuffer } from './supervisor/log-buffer.js';
import { placeholderPage } from './placeholder-page.js';

export interface LauncherOptions {
  settings: LauncherSettings;
  log: Logger;
  masker: SecretMasker;
  logs: LogBuffer;
  /** Command that runs the gateway, e.g. [node, …/picoclaw.js, 'gateway']. */
  gatewayCommand: readonly string[];
  /** Built dashboard files, served when present. */
  dashboardDir?: string;
  version: string;
}

export interface Launcher {
  start(): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
  readonly supervisor: GatewaySupervisor;
}

/** Variables of the launcher's environment that the gateway child does not get. */
const launcherOnlyEnv = /^PICOCLAW_(LAUNCHER_\w+|RENDER_TEMPLATE|ENV_FILE|GATEWAY_TOKEN|GATEWAY_BIN)$/;

export async function createLauncher(options: LauncherOptions): Promise<Launcher> {
  const { settings, log, masker } = options;
  const launcherFile = join(settings.home, 'launcher-config.json');
  let file = (await readLauncherFile(launcherFile)).file;
  const sessions = await createSessionStore(join(settings.home, 'launcher-sessions.json'), { token: settings.token });
  const clients = createClientResolver(settings.trustedProxies);
  const authDeps: AuthDeps = {
    sessions,
    limiter: createRateLimiter(),
    token: () => settings.token,
    passwordHash: () => (typeof file.password_hash === 'string' ? file.password_hash : undefined),
    client: (req) => clients.resolve(req),
  };
  const hostRefusal = createHostGuard({ allowed: settings.allowedHosts, log: (message) => log.warn(message) });
  // First run on a launcher other machines can reach (a public bind, or behind a proxy): the
  // password can only be set with a code printed in the log, new at each start until then.
  let setupCode = !settings.token && !authDeps.passwordHash() && (settings.public || settings.trustedProxies.length > 0) ? newSetupCode() : undefined;
  if (settings.token) masker.add(settings.token);
  const logFn = (level: 'info' | 'warn' | 'error' | 'debug', message: string) => log.log(level, message);

  const childEnv: Record<string, string> = {
    ...Object.fromEntries(inheritedEnv.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]!])),
    ...runtimeEnv(process.env),
    // The gateway's own settings and config overrides; never the launcher's (its login token
    // above all), nor what only the launcher reads (render template, env file).
    ...Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k.startsWith('PICOCLAW_') && !launcherOnlyEnv.test(k) && v !== undefined) as [string, string][]),
    PICOCLAW_HOME: settings.home,
    PICOCLAW_CONFIG: settings.config,
    PICOCLAW_PARENT_PID: String(process.pid),
  };
  /** The config read by start(), used once by the first start instead of reading it again. */
  let startConfig: LoadedConfig | undefined;
  /**
   * Where the gateway will listen, worked out as the gateway does it (its cli.ts): config.json's
   * `gateway` block as the file layer under PICOCLAW_GATEWAY_HOST/PORT, read again for every
   * start so a changed gateway.port takes effect at the next (re)start. The child always gets a
   * token, so the check of a non-loopback host is made as for a child that has one. Undefined
   * when the config does not load or the address would be refused: the gateway, started
   * without one, then says why in its own words (exit 78).
   */
  const gatewayAddress = async (): Promise<GatewayAddress | undefined> => {
    try {
      const loaded = startConfig ?? (await loadConfig({ configPath: settings.config, home: settings.home, env: process.env }));
      const { host, port } = loaded.config.gateway;
      const resolved = loadGatewaySettings({ env: { ...childEnv, PICOCLAW_GATEWAY_TOKEN: 'set-for-each-start' }, file: { host, port } });
      return { host: resolved.host, port: resolved.port };
    } catch {
      return undefined;
    } finally {
      startConfig = undefined;
    }
  };

  const supervisor = createGatewaySupervisor({
    command: options.gatewayCommand,
    env: childEnv,
    address: gatewayAddress,
    logs: options.logs,
    log: logFn,
    mask: (text) => masker.mask(text),
  });

  /**
   * A control call that keeps the gateway's status code (for proxied resources). Made only to a
   * gateway that proved it is our child: its token goes nowhere else.
   */
  const gatewayCall = async (path: string, method = 'GET', body?: unknown, timeoutMs = 30_000) => {
    const token = supervisor.token();
    if (!token) throw new Error(`the gateway is not running (${supervisor.status().state})`);
    const answer = await requestJson(`${supervisor.url}${path}`, {
      method: method as HttpRequestOptions['method'],
      headers: { authorization: `Bearer ${token}` },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: answer.status, body: answer.body };
  };
  const gatewayFetch = async (path: string, method = 'GET', body?: unknown) => (await gatewayCall(path, method, body, 60_000)).body;
  const reloadGateway = async () => (supervisor.status().state === 'running' ? gatewayFetch('/reload', 'POST') : undefined);
  // Config writes (read, save, reload) run one at a time: two at once could lose a change, or
  // leave the gateway running the document that lost.
  let configWrites: Promise<void> = Promise.resolve();
  const serializeConfigWrite = (task: () => Promise<void>): Promise<void> => {
    const next = configWrites.then(task);
    configWrites = next.catch(() => {});
    return next;
  };

  const app = express();
  app.disable('x-powered-by');
  // X-Forwarded-Proto (req.secure, the cookie's Secure flag) only from trusted proxies.
  app.set('trust proxy', (address: string) => clients.isTrusted(address));
  app.use((_req: Request, res: Response, next: NextFunction) => {
    res.set({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    });
    next();
  });
  app.use(function hostGuard(req: Request, res: Response, next: NextFunction) {
    const refusal = hostRefusal(req);
    if (!refusal) return next();
    if (req.path === '/api' || req.path.startsWith('/api/')) res.status(403).json({ error: refusal });
    else res.status(403).type('text/plain').send(refusal);
  });
  app.use(authGate(authDeps));
  app.use('/api', (_req, res, next) => {
    res.set('cache-control', 'no-store');
    next();
  });
  app.use(express.json({
    limit: '1mb',
    // Refused before parsing: later recursive code (secret restore, schema checks) would overflow the stack.
    verify: (_req, _res, body) => {
      if (jsonNestingTooDeep(body) >= 0) throw Object.assign(new Error(`the JSON body is nested more than ${MAX_JSON_DEPTH} levels deep; nothing this API takes is nested like that`), { status: 400, type: 'entity.too.deep' });
    },
  }));
  app.get('/api/health', (_req, res) => void res.json({ status: 'ok', version: options.version, gateway: supervisor.status().state }));
  app.use(authRoutes({
    ...authDeps,
    setPasswordHash: async (hash) => void (file = await updateLauncherFile(launcherFile, { password_hash: hash })),
    setupCode: () => setupCode,
    endSetupCode: () => void (setupCode = undefined),
    log: logFn,
  }));
  app.use(configRoutes({
    configPath: settings.config,
    home: settings.home,
    launcherToken: () => settings.token,
    reloadGateway,
    serializeConfigWrite,
    log: logFn,
  }));
  app.use(resourceRoutes({
    configPath: settings.config,
    home: settings.home,
    launcherToken: () => settings.token,
    reloadGateway,
    serializeConfigWrite,
    gateway: (path, body) => gatewayFetch(path, body === undefined ? 'GET' : 'POST', body),
    gatewayRunning: () => supervisor.status().state === 'running',
  }));
  app.use(sessionRoutes({ gateway: gatewayCall, running: () => supervisor.status().state === 'running' }));
  app.use(scheduleRoutes({ gateway: gatewayCall, running: () => supervisor.status().state === 'running' }));
  app.use(memoryRoutes({ gateway: gatewayCall, running: () => supervisor.status().state === 'running' }));
  app.use(skillRoutes({ gateway: gatewayCall, running: () => supervisor.status().state === 'running' }));
  app.use(usageRoutes({ gateway: gatewayCall, running: () => supervisor.status().state === 'running' }));
  app.use(channelTestRoutes({ gateway: gatewayCall, running: () => supervisor.status().state === 'running' }));
  app.use(setupRoutes({ gateway: gatewayCall, running: () => supervisor.status().state === 'running', configPath: settings.config, home: settings.home }));
  app.use(mediaRoutes({ gatewayUrl: () => supervisor.url, token: () => supervisor.token() }));
  app.use(gatewayRoutes({ supervisor, logs: options.logs, gatewayStatus: () => gatewayFetch('/status') }));
  app.get('/api/system/version', (_req, res) => void res.json({ version: options.version }));
  app.use('/api', (req, res) => void res.status(404).json({ error: `no route ${req.method} ${req.path}` }));
  const dashboard = options.dashboardDir && existsSync(join(options.dashboardDir, 'index.html')) ? options.dashboardDir : undefined;
  if (dashboard) {
    app.use(express.static(dashboard, { index: false, maxAge: '1h' }));
    app.get(/.*/, (_req, res) => void res.sendFile(join(dashboard, 'index.html')));
  } else {
    app.get(/.*/, (req, res) => void res.type('html').send(placeholderPage(req.path, options.version)));
  }
  // Errors (bad JSON bodies included) are answered as JSON, never with a stack trace.
  app.use((error: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = error.status && error.status < 500 ? error.status : 500;
    if (status >= 500) log.error(`request failed: ${error.message}`);
    res.status(status).json({ error: status === 400 && error.type === 'entity.parse.failed' ? 'the body is not valid JSON' : status >= 500 ? 'internal error' : error.message });
  });

  const server: Server = createServer(app);
  server.headersTimeout = 20_000;
  // A body sent byte by byte must not hold a connection for node's default 5 minutes.
  server.requestTimeout = 60_000;
  const pico = createPicoProxy({
    ...authDeps,
    gatewayUrl: () => supervisor.url,
    credential: () => { const token = supervisor.token(); return token ? picoCredential(token) : undefined; },
    // Read at each chat connection (the env as the gateway child gets it): a config change applies to the next one.
    frameLimits: async () => picoFrameLimitsOf(await loadConfig({ configPath: settings.config, home: settings.home, env: childEnv }).then((l) => l.config, () => undefined)),
    log: logFn,
  });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {});
    const refuse = (status: string, text: string, extra = '') =>
      socket.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\n${extra}connection: close\r\n\r\n${text}`);
    const hostProblem = hostRefusal(req);
    if (hostProblem) return void refuse('403 Forbidden', hostProblem);
    const bearer = checkBearer(req, authDeps);
    if (bearer.waitMs > 0) return void refuse('429 Too Many Requests', 'too many failed attempts', `retry-after: ${Math.ceil(bearer.waitMs / 1000)}\r\n`);
    const path = parseRequestTarget(req.url)?.pathname.replace(/\/+$/, '');
    if (path === '/pico/ws' && !suspiciousPath(req.url ?? '')) {
      pico(req, socket, head).catch((error: Error) => {
        log.warn(`chat WebSocket upgrade failed: ${error.message}`);
        socket.destroy();
      });
    } else socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
  });

  return {
    supervisor,
    async start() {
      const address = await new Promise<AddressInfo>((resolve, reject) => {
        server.once('error', (error: NodeJS.ErrnoException) =>
          reject(error.code === 'EADDRINUSE' ? new Error(`port ${settings.port} is already in use: is another launcher running? (set --port)`) : error),
        );
        server.listen(settings.port, settings.host, () => resolve(server.address() as AddressInfo));
      });
      const url = `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${address.port}`;
      log.info(`dashboard on ${url}${!authDeps.passwordHash() && !settings.token && !setupCode ? ' — first run: open it to set a password' : ''}`);
      // A warning, so it shows at the default log levels; the code is meant to be read here.
      if (setupCode) log.warn(setupCodeNotice(setupCode, `http://${reachableHost(settings.host)}:${address.port}`));
      try {
        // Never written to config.json: the chat's channel rides the gateway's environment.
        const pico = await ensurePicoChannel({ configPath: settings.config, home: settings.home, launcherToken: settings.token, env: childEnv });
        Object.assign(childEnv, pico.env);
        if (pico.reason) log.info(pico.reason);
        const loaded = await loadConfig({ configPath: settings.config, home: settings.home, env: { ...process.env, ...pico.env } });
        masker.add(...collectSecrets(loaded.config));
        startConfig = loaded;
        void supervisor.start();
      } catch (error) {
        log.error(`the gateway is not started: ${(error as Error).message}\nFix the config from the dashboard or in ${settings.config}, then start the gateway.`);
      }
      return { url, port: address.port };
    },
    async close() {
      await supervisor.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
