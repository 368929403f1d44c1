/**
 * Shared setup for the hardening suite: temp homes, raw HTTP over a socket (so paths, methods and
 * headers go out exactly as written), a pico WebSocket client that collects frames, a polling
 * wait, a recursive file walk for secret scans, and this machine's non-loopback IPv4 addresses.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type Socket } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { restartableListener, spawnGateway, startFakeLlm, type FakeLlm, type GatewayProcess, type RecordedRequest } from '@picoclaw/test-fakes';
import WebSocket from 'ws';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const gatewayBundle = join(root, 'packages/gateway/dist/picoclaw.js');

export const tempHome = (prefix: string) => mkdtemp(join(tmpdir(), `picoclaw-hardening-${prefix}-`));

export async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, ms = 15_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await Promise.resolve()
      .then(check)
      .catch(() => undefined);
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface RawResponse {
  /** 0 when the server closed the connection without an HTTP answer. */
  status: number;
  head: string;
  body: string;
  /** The socket was closed (by either side) before `timeoutMs`. */
  closed: boolean;
}

/**
 * Sends `request` (bytes exactly as given) on a fresh TCP connection and reads until the server
 * closes it or `timeoutMs` passes. Requests should carry `connection: close`.
 */
export function rawHttp(port: number, request: string | Buffer, options: { timeoutMs?: number; host?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = connect(port, options.host ?? '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    const finish = () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = split >= 0 ? text.slice(0, split) : text;
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, head, body: split >= 0 ? Buffer.concat(chunks).subarray(Buffer.byteLength(text.slice(0, split + 4), 'latin1')).toString('utf8') : '', closed });
    };
    const timer = setTimeout(() => {
      socket.destroy();
      finish();
    }, options.timeoutMs ?? 5_000);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.write(request);
  });
}

/** A simple GET with the path sent verbatim. */
export const rawGet = (port: number, path: string, headers: Record<string, string> = {}) =>
  rawHttp(port, `GET ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}connection: close\r\n\r\n`);

export interface PicoFrame {
  type: string;
  id?: string;
  session_id?: string;
  payload?: Record<string, unknown>;
}

/** A pico WebSocket that keeps every frame it receives and how it was closed. */
export async function picoClient(url: string, protocols: string[] = [], headers: Record<string, string> = {}) {
  const socket = new WebSocket(url, protocols, { headers });
  const frames: PicoFrame[] = [];
  let closeCode: number | undefined;
  socket.on('message', (data) => {
    try {
      frames.push(JSON.parse(data.toString()) as PicoFrame);
    } catch {
      frames.push({ type: '(not json)' });
    }
  });
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve((closeCode = code))));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  let pings = 0;
  return {
    socket,
    frames,
    closed,
    get closeCode() {
      return closeCode;
    },
    get open() {
      return socket.readyState === WebSocket.OPEN;
    },
    /**
     * Sends a ping frame with a fresh id and resolves with every frame received after `from`
     * up to (excluding) its pong: frames are handled in order, so these are the answers to
     * whatever was sent before the ping. Rejects if the socket closes first.
     */
    async sync(from: number, ms = 5_000): Promise<PicoFrame[]> {
      const id = `sync-${++pings}`;
      socket.send(JSON.stringify({ type: 'ping', id }));
      const end = Date.now() + ms;
      for (;;) {
        const index = frames.findIndex((f, i) => i >= from && f.type === 'pong' && f.id === id);
        if (index >= 0) return frames.slice(from, index);
        if (closeCode !== undefined) throw new Error(`socket closed with ${closeCode} before pong ${id}`);
        if (Date.now() > end) throw new Error(`no pong ${id} within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    /** Waits for a frame matching `match` at index >= from. */
    async next(match: (f: PicoFrame) => boolean, from = 0, ms = 10_000): Promise<PicoFrame> {
      return waitFor(() => frames.find((f, i) => i >= from && match(f)), ms, 'a pico frame');
    },
    close() {
      socket.close();
    },
  };
}

export type PicoClient = Awaited<ReturnType<typeof picoClient>>;

/** Every file under `dir`, recursively. */
export async function walk(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

export const readText = (path: string) => readFile(path, 'utf8');

/** Non-internal IPv4 addresses of this machine (loopback excluded). */
export function nonLoopbackIpv4(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a): a is NonNullable<typeof a> => !!a && a.family === 'IPv4' && !a.internal && !a.address.startsWith('127.'))
    .map((a) => a.address);
}

/** Resolves with 'connected' or the error code of a TCP connect to host:port. */
export function tcpProbe(host: string, port: number, timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve) => {
    const socket: Socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('timeout');
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(e.code ?? 'error');
    });
  });
}

/** A stack trace line as node prints them. */
export const STACK_LINE = /^\s+at .+(\(|\s)(node:|file:|\/).*:\d+:\d+\)?$/m;

// ── faults ──────────────────────────────────────────────────────────────────────────────────────

/**
 * A TCP relay on a fixed loopback port in front of `targetPort`: `stop()` refuses new connections
 * and cuts the open ones (the service looks down: ECONNREFUSED), `start()` listens on the same port
 * again. Used to take a fake API "off the network" without touching it.
 */
export async function startTcpProxy(targetPort: number) {
  const listener = restartableListener(() =>
    createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      for (const socket of [client, upstream]) {
        socket.on('error', () => {});
        socket.on('close', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    }),
  );
  await listener.start();
  return {
    get port() {
      return listener.port;
    },
    get url() {
      return `http://127.0.0.1:${listener.port}`;
    },
    get up() {
      return listener.listening;
    },
    start: listener.start,
    stop: listener.stop,
  };
}

/** The JSONL file of a session key, named as the gateway's store names it (jsonl-session-store.ts). */
export function sessionPath(home: string, key: string): string {
  const safe = key.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 100);
  const name = safe === key ? safe : `${safe}-${createHash('sha256').update(key).digest('hex').slice(0, 10)}`;
  return join(home, 'workspace', 'sessions', `${name}.jsonl`);
}

export interface SessionCheck {
  /** Every line that parsed, in order. */
  messages: { role: string; content?: unknown; tool_calls?: { id: string }[]; tool_call_id?: string }[];
  /** 1-based numbers of lines that did not parse as JSON. */
  torn: number[];
  /** The file ends with a newline (no half-written last line). */
  endsClean: boolean;
}

/** Reads a session JSONL file line by line. */
export async function readSession(home: string, key: string): Promise<SessionCheck> {
  const text = await readFile(sessionPath(home, key), 'utf8');
  const check: SessionCheck = { messages: [], torn: [], endsClean: text === '' || text.endsWith('\n') };
  text.split('\n').forEach((line, index) => {
    if (!line.trim()) return;
    try {
      check.messages.push(JSON.parse(line) as SessionCheck['messages'][number]);
    } catch {
      check.torn.push(index + 1);
    }
  });
  return check;
}

/**
 * Problems with a chat-completions message list as a provider would see them: unknown roles,
 * non-string content, tool results without their call, calls without their results.
 */
export function historyProblems(messages: { role: string; content?: unknown; tool_calls?: unknown; tool_call_id?: string }[]): string[] {
  const problems: string[] = [];
  if (messages[0]?.role !== 'system') problems.push('the first message is not the system prompt');
  const open = new Set<string>();
  messages.forEach((m, i) => {
    if (!['system', 'user', 'assistant', 'tool'].includes(m.role)) problems.push(`#${i}: role ${m.role}`);
    const calls = Array.isArray(m.tool_calls) ? (m.tool_calls as { id: string }[]) : [];
    if (typeof m.content !== 'string' && !(m.role === 'assistant' && calls.length && m.content === null)) problems.push(`#${i}: content is ${typeof m.content}`);
    if (m.role === 'tool') {
      if (!m.tool_call_id || !open.delete(m.tool_call_id)) problems.push(`#${i}: tool result ${m.tool_call_id} without its call`);
    } else {
      if (open.size) problems.push(`#${i}: calls ${[...open].join(', ')} have no result`);
      open.clear();
    }
    for (const call of calls) open.add(call.id);
  });
  if (open.size) problems.push(`calls ${[...open].join(', ')} have no result`);
  return problems;
}

/** Whether a process id is alive (signal 0). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface TurnResult {
  /** Content of the last message.create / message.update of the turn (tool-call cards excluded). */
  answer: string;
  /** `kind` of that message (`error` for a failed turn, `command` for a slash command). */
  kind?: string;
  model?: string;
  frames: PicoFrame[];
  ms: number;
}

/** Sends one message (or slash command) on a pico socket and waits for its `typing.stop`. */
/** `media`: data URLs of images sent with the message (PicoClaw's payload.media). */
export async function picoTurn(client: PicoClient, content: string, options: { session?: string; ms?: number; media?: string[] } = {}): Promise<TurnResult> {
  const from = client.frames.length;
  const started = Date.now();
  client.socket.send(JSON.stringify({ type: 'message.send', ...(options.session ? { session_id: options.session } : {}), payload: { content, ...(options.media ? { media: options.media } : {}) } }));
  await client.next((f) => f.type === 'typing.stop', from, options.ms ?? 20_000);
  const ms = Date.now() - started;
  const frames = await client.sync(from);
  const last = frames.filter((f) => (f.type === 'message.create' || f.type === 'message.update') && f.payload?.kind !== 'tool_calls').at(-1);
  return { answer: String(last?.payload?.content ?? ''), ...(last?.payload?.kind ? { kind: String(last.payload.kind) } : {}), ...(last?.payload?.model_name ? { model: String(last.payload.model_name) } : {}), frames, ms };
}

/** The tool results the model was sent back in a request, by call id. */
export function toolResults(request: RecordedRequest | undefined): Map<string, string> {
  return new Map((request?.body.messages ?? []).filter((m) => m.role === 'tool').map((m) => [m.tool_call_id ?? '', String(m.content)]));
}

export interface AttackedGateway {
  home: string;
  /** The fake model: it echoes unless a test pushes the tool calls a poisoned page would talk a real one into. */
  llm: FakeLlm;
  gateway: GatewayProcess;
  port: number;
  /** A logged-in pico chat in its own session (closed with the gateway). */
  openPico(session: string): Promise<PicoClient>;
  close(): Promise<void>;
}

/**
 * ONE real gateway process for a file of attacks by a prompt-injected model: a vision-capable
 * Mistral model on the fake, the pico channel, the secrets in .security.yml (`security` adds
 * YAML after them), `tools` as config.json's tools; `prepare` writes into the home before start.
 */
export async function startAttackedGateway(name: string, options: { picoToken: string; apiKey: string; tools?: Record<string, unknown>; security?: string; env?: Record<string, string>; prepare?: (home: string) => Promise<void> }): Promise<AttackedGateway> {
  const llm = await startFakeLlm([], { echo: true });
  const home = await tempHome(name);
  await writeFile(join(home, 'config.json'), JSON.stringify({
    version: 3,
    agents: { defaults: { model_name: 'm' } },
    model_list: [{ model_name: 'm', model: 'mistral/mistral-small-latest', api_base: `${llm.url}/v1`, api_keys: ['[NOT_HERE]'] }],
    channel_list: { pico: { enabled: true, type: 'pico', settings: { token: '[NOT_HERE]' } } },
    ...(options.tools ? { tools: options.tools } : {}),
  }, null, 2));
  await writeFile(join(home, '.security.yml'), `model_list:\n  m:\n    api_keys: ["${options.apiKey}"]\nchannel_list:\n  pico:\n    settings:\n      token: ${options.picoToken}\n${options.security ?? ''}`);
  await options.prepare?.(home);
  const gateway = spawnGateway({ home, ...(options.env ? { env: options.env } : {}) });
  const port = await gateway.ready();
  const sockets: PicoClient[] = [];
  return {
    home, llm, gateway, port,
    async openPico(session) {
      const client = await picoClient(`ws://127.0.0.1:${port}/pico/ws?session_id=${session}`, [`token.${options.picoToken}`]);
      sockets.push(client);
      return client;
    },
    async close() {
      for (const client of sockets) client.close();
      gateway.child.kill('SIGTERM');
      await gateway.child;
      await llm.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}
