/**
 * Runs the gateway as a child process: an allowlisted environment (never the launcher's own
 * secrets), readiness through `/ready`, restarts after a crash with capped exponential backoff,
 * crash-loop detection, and SIGTERM → grace → SIGKILL on stop. Exit code 78 (invalid config) is
 * not restarted: only the user can fix it, and the status says why.
 *
 * Each start gets a fresh control token (PICOCLAW_GATEWAY_TOKEN), and the gateway counts as
 * running only once the process answering `/ready` has proved it holds that token (core
 * gateway-trust.ts): another local process that took the port while the gateway was down gets a
 * challenge, never a credential, and the status says that something else answers there.
 *
 * Where the gateway listens is asked for again before every start (`address`): config.json's
 * `gateway.host`/`port` may have changed since the last one. The child is told the same address
 * (PICOCLAW_GATEWAY_HOST/PORT), so the launcher and the gateway cannot disagree about it.
 */
import { randomBytes } from 'node:crypto';
import { backoffDelay, CHALLENGE_HEADER, gatewayExitCodes, gatewayUrl, httpRequest, newChallenge, proofMatches, PROOF_HEADER, sleep } from '@picoclaw/core';
import { execa, type ResultPromise } from 'execa';
import type { LogBuffer } from './log-buffer.js';

export type SupervisorState = 'stopped' | 'starting' | 'running' | 'restarting' | 'config-error' | 'crash-loop' | 'stopping';

export interface SupervisorStatus {
  state: SupervisorState;
  pid?: number;
  startedAt?: string;
  restarts: number;
  lastExit?: { code: number | null; signal: string | null; at: string };
  lastError?: string;
  nextRestartAt?: string;
  url: string;
}

export interface GatewayAddress {
  host: string;
  port: number;
}

export interface SupervisorOptions {
  /** Executable and arguments, e.g. [node, gateway bundle, 'gateway']. */
  command: readonly string[];
  /**
   * The child's environment; PICOCLAW_GATEWAY_TOKEN is added, fresh for each start, and
   * PICOCLAW_GATEWAY_HOST/PORT from `address`.
   */
  env: Record<string, string>;
  /**
   * Where the gateway is to listen, asked before each start. Undefined when it cannot be worked
   * out (the config does not load, or the gateway would refuse the address): the child is then
   * started without one, and says what is wrong itself as it exits 78.
   */
  address: () => Promise<GatewayAddress | undefined>;
  readyTimeoutMs?: number;
  stopGraceMs?: number;
  backoff?: { baseMs: number; maxMs: number };
  logs: LogBuffer;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** Masks secrets in the gateway's lines before they are kept. */
  mask: (text: string) => string;
  /** Injectable for tests. */
  request?: typeof httpRequest;
}

export interface GatewaySupervisor {
  start(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  status(): SupervisorStatus;
  /** The control token of the running gateway, once it has proved it holds it; else undefined. */
  token(): string | undefined;
  /** Where the gateway of the current (or last) start listens, e.g. http://127.0.0.1:18790. */
  readonly url: string;
}

/** Environment variables passed through to the gateway; everything else is left behind. */
export const inheritedEnv = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'NODE_EXTRA_CA_CERTS', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'];

const CRASH_WINDOW_MS = 2 * 60_000;
const CRASH_LIMIT = 5;

export function createGatewaySupervisor(options: SupervisorOptions): GatewaySupervisor {
  let address: GatewayAddress | undefined;
  let url = '';
  const request = options.request ?? httpRequest;
  let child: ResultPromise | undefined;
  let state: SupervisorState = 'stopped';
  let wanted = false;
  let restarts = 0;
  let crashes: number[] = [];
  let startedAt: Date | undefined;
  let lastExit: SupervisorStatus['lastExit'];
  let lastError: string | undefined;
  let nextRestartAt: Date | undefined;
  let wake = new AbortController();
  let tail: string[] = [];
  let childToken: string | undefined;

  function record(line: string, stream: 'stdout' | 'stderr') {
    const text = options.mask(line);
    tail = [...tail, text].slice(-20);
    let level = stream === 'stderr' ? 'error' : 'info';
    let message = text;
    let time = new Date().toISOString();
    try {
      const json = JSON.parse(text) as { level?: string; message?: string; time?: string };
      if (typeof json.message === 'string') {
        message = json.message;
        level = json.level ?? level;
        time = json.time ?? time;
      }
    } catch {
      // not a JSON line: keep it as it is
    }
    options.logs.push({ time, source: 'gateway', level, message });
    // Problems also show in the launcher's own output; the rest is in gateway.log and the dashboard.
    if (level === 'warn' || level === 'error') options.log(level, `gateway: ${message}`);
  }

  async function waitReady(spawned: ResultPromise, token: string): Promise<boolean> {
    const end = Date.now() + (options.readyTimeoutMs ?? 30_000);
    while (Date.now() < end) {
      if (spawned.exitCode !== null || spawned.signalCode !== null) return false;
      try {
        const challenge = newChallenge();
        const response = await request(`${url}/ready`, { method: 'GET', headers: { [CHALLENGE_HEADER]: challenge }, signal: AbortSignal.timeout(1000) });
        await response.text();
        if (!proofMatches(token, challenge, response.header(PROOF_HEADER))) {
          // Not our child (ours does not listen before it can answer): it gets nothing more.
          if (lastError !== impostor()) options.log('warn', (lastError = impostor()));
        } else if (response.ok) return true;
      } catch {
        // not listening yet
      }
      await sleep(10); // a local GET is cheap; a coarser poll would add its interval to every start
    }
    return false;
  }
  const impostor = () =>
    `another process answers on ${url}: it is not the gateway this launcher started, and gets no credentials. Stop whatever uses port ${address?.port}, or set gateway.port in config.json (or PICOCLAW_GATEWAY_PORT) to a free port.`;

  function spawn(token: string, at: GatewayAddress | undefined): ResultPromise {
    const [file, ...args] = options.command;
    const spawned = execa(file!, args, {
      env: { ...options.env, ...(at ? { PICOCLAW_GATEWAY_HOST: at.host, PICOCLAW_GATEWAY_PORT: String(at.port) } : {}), PICOCLAW_GATEWAY_TOKEN: token },
      extendEnv: false,
      reject: false,
      cleanup: true,
      forceKillAfterDelay: options.stopGraceMs ?? 12_000,
      stdin: 'ignore',
      lines: false,
      buffer: false,
    });
    for (const [stream, name] of [[spawned.stdout, 'stdout'], [spawned.stderr, 'stderr']] as const) {
      let pending = '';
      stream?.on('data', (chunk: Buffer) => {
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) record(line, name);
      });
    }
    return spawned;
  }

  async function run(): Promise<void> {
    while (wanted) {
      state = restarts === 0 && state !== 'restarting' ? 'starting' : 'restarting';
      tail = [];
      const next = await options.address().catch(() => undefined);
      if (next) {
        address = next;
        url = gatewayUrl(next);
      }
      const token = randomBytes(24).toString('hex');
      const spawned = spawn(token, next);
      child = spawned;
      startedAt = new Date();
      options.log('info', `gateway started (pid ${spawned.pid})`);
      const readiness = waitReady(spawned, token).then((ok) => {
        if (ok && child === spawned && wanted) {
          childToken = token;
          state = 'running';
          lastError = undefined;
          options.log('info', `gateway ready on ${url}`);
        } else if (!ok && child === spawned && spawned.exitCode === null && lastError !== impostor()) {
          lastError = `the gateway did not become ready within ${Math.round((options.readyTimeoutMs ?? 30_000) / 1000)} s`;
          options.log('warn', lastError);
        }
      });
      const result = await spawned;
      await readiness;
      child = undefined;
      childToken = undefined;
      lastExit = { code: result.exitCode ?? null, signal: result.signal ?? null, at: new Date().toISOString() };
      if (!wanted) break;
      const squatted = lastError === impostor();
      if (result.exitCode === gatewayExitCodes.config) {
        state = 'config-error';
        lastError = (tail.filter((l) => !l.startsWith('{')).join('\n') || tail.join('\n') || 'the gateway refused its configuration') + (squatted ? `\n${impostor()}` : '');
        options.log('error', `gateway refused its configuration; fix it and start the gateway again:\n${lastError}`);
        wanted = false;
        break;
      }
      const now = Date.now();
      crashes = [...crashes.filter((t) => now - t < CRASH_WINDOW_MS), now];
      restarts++;
      lastError = `gateway exited (${result.signal ?? `code ${result.exitCode}`})${tail.length ? `: ${tail.at(-1)}` : ''}${squatted ? `. ${impostor()}` : ''}`;
      const loop = crashes.length >= CRASH_LIMIT;
      const delay = loop ? (options.backoff?.maxMs ?? 60_000) : backoffDelay(crashes.length, { baseMs: options.backoff?.baseMs ?? 1_000, maxMs: options.backoff?.maxMs ?? 60_000, jitter: 0 });
      state = loop ? 'crash-loop' : 'restarting';
      nextRestartAt = new Date(now + delay);
      options.log(loop ? 'error' : 'warn', `${lastError}; restarting in ${Math.round(delay / 1000)} s${loop ? ` (crash loop: ${crashes.length} crashes in 2 minutes)` : ''}`);
      wake = new AbortController();
      await sleep(delay, wake.signal).catch(() => {});
      nextRestartAt = undefined;
    }
    if (state !== 'config-error') state = 'stopped';
  }

  let loop: Promise<void> | undefined;
  const supervisor: GatewaySupervisor = {
    get url() {
      return url;
    },
    async start() {
      if (wanted && loop) return;
      wanted = true;
      crashes = [];
      lastError = undefined;
      loop = run().finally(() => (loop = undefined));
      // Resolve once the first attempt is ready or has failed.
      const end = Date.now() + (options.readyTimeoutMs ?? 30_000) + 1000;
      while (Date.now() < end && (state === 'starting' || (state === 'restarting' && restarts === 0))) await sleep(25);
    },
    async stop() {
      wanted = false;
      wake.abort();
      if (child) {
        state = 'stopping';
        child.kill('SIGTERM');
        await child.catch(() => undefined);
      }
      await loop;
      state = 'stopped';
    },
    async restart() {
      await supervisor.stop();
      restarts = 0;
      await supervisor.start();
    },
    token: () => (state === 'running' ? childToken : undefined),
    status: () => ({
      state,
      ...(child?.pid ? { pid: child.pid } : {}),
      ...(startedAt && child ? { startedAt: startedAt.toISOString() } : {}),
      restarts,
      ...(lastExit ? { lastExit } : {}),
      ...(lastError ? { lastError } : {}),
      ...(nextRestartAt ? { nextRestartAt: nextRestartAt.toISOString() } : {}),
      url,
    }),
  };
  return supervisor;
}
