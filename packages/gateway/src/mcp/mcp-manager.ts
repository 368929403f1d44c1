/**
 * MCP client manager: one connection loop per enabled server, started in the background so a slow
 * or dead server never blocks the gateway or the other servers. Each server's tools are exposed as
 * `mcp_<server>_<tool>` once it connects; a failed server is retried with capped backoff and its
 * status says why, with a hint a person can act on.
 */
import { backoffDelay, effectiveMcpTransport, PicoError, sleep, type McpServerConfig, type McpServerStatus } from '@picoclaw/core';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JsonSchemaType, JsonSchemaValidator, jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation';
import { mkdir } from 'node:fs/promises';
import { fetchFailure } from '../models/http-errors.js';
import type { ImagePart } from '../models/types.js';
import type { Tool, ToolProvider, ToolResult } from '../tools/types.js';
import { readEnvFile } from './env-file.js';
import { envFileProblem, resolveStdioLaunch, type StdioLaunch } from './stdio-launch.js';
import { isDeferred } from './tool-discovery.js';
import { toolFilter } from './tool-filter.js';
import { mcpToolName } from './tool-name.js';

export type { McpServerStatus } from '@picoclaw/core';
export type McpState = McpServerStatus['state'];

export interface McpManagerOptions {
  servers: Record<string, McpServerConfig>;
  /** PicoClaw's home: stdio servers start there, and their relative paths resolve against it (stdio-launch.ts). */
  home: string;
  /** The default agent's workspace, where stdio servers never start. */
  workspace: string;
  maxInlineTextChars?: number;
  log?: (level: 'info' | 'warn' | 'error' | 'debug', message: string, meta?: Record<string, unknown>) => void;
  /** Called whenever a server's state or tool list changes. */
  onChange?: () => void;
  /** Whether `tools.mcp.discovery.enabled` (read when asked: a reload changes it), for each server's `deferred`. */
  discovery?: () => boolean;
  /** Retry backoff bounds (ms); tests shorten them. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

export interface McpManager extends ToolProvider {
  start(): void;
  /** Applies a new set of servers: unchanged ones keep their connection. */
  reload(servers: Record<string, McpServerConfig>): Promise<void>;
  status(): McpServerStatus[];
  /** Connects the server now if it is waiting to retry. */
  retryNow(name: string): void;
  close(): Promise<void>;
}

type Log = NonNullable<McpManagerOptions['log']>;

/** What a person can do about a connection failure. */
export function mcpErrorHint(message: string, server: Partial<Pick<McpServerConfig, 'url' | 'command' | 'type'>>): string | undefined {
  const m = message.toLowerCase();
  if (/econnrefused|connection refused/.test(m)) {
    return `nothing is listening at ${server.url || server.command}. Is the server running? If PicoClaw runs in a container, it needs the host network (--network=host) to reach services on the host.`;
  }
  if (/enotfound|eai_again|host not found|getaddrinfo/.test(m)) return 'the host name does not resolve from here; try the IP address.';
  if (/\b401\b|unauthorized/.test(m)) return 'the server refused the credentials: check the Authorization header (for Home Assistant, a long-lived access token as "Bearer <token>").';
  if (/\b403\b|forbidden/.test(m)) return 'the token is valid but not allowed (Home Assistant: "require admin" needs an admin user).';
  if (/\b404\b|not found/.test(m)) return 'no MCP endpoint at this URL. Home Assistant serves it at /api/mcp once the "Model Context Protocol Server" integration is added.';
  if (/\b405\b|method not allowed/.test(m)) return 'the server does not accept this transport; for Home Assistant use "type": "http".';
  if (/enoent|spawn/.test(m) && server.command) return `cannot start "${server.command}": is it installed and on the PATH?`;
  if (/timed out|timeout/.test(m)) return 'the server did not answer in time; check the URL and the network.';
  return undefined;
}

function describeTarget(config: McpServerConfig, launch?: StdioLaunch): string {
  return config.url || (launch ? [launch.command, ...launch.args] : [config.command, ...config.args]).join(' ');
}

/**
 * One sentence for a connection failure: the SDK reports HTTP errors with a numeric `code` and
 * network errors as a bare "fetch failed" with the reason in `cause`.
 */
function describeFailure(error: unknown, what: string, target: string): PicoError {
  if (error instanceof PicoError) return error;
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'number' && code >= 400 && code < 600) {
    const detail = message.replace(/^Streamable HTTP error: |^SSE error: /, '');
    return new PicoError('remote', `${what}: HTTP ${code}: ${detail}`, { status: code, cause: error });
  }
  // fetch (the legacy SSE transport) wraps socket errors in `cause`; node:http throws them as they are.
  if (/fetch failed/i.test(message) || (error as { cause?: unknown }).cause || typeof code === 'string') return fetchFailure(error, what, target);
  return new PicoError('network', `${what}: ${message}`, { cause: error });
}

const sameConfig = (a: McpServerConfig, b: McpServerConfig) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Text and images for the model from an MCP tool result (reference A8). Images (a camera snapshot)
 * are passed on with their declared type; the image store checks their bytes before any model sees them.
 */
export function mapToolResult(result: { content?: unknown; isError?: unknown; structuredContent?: unknown }, maxChars: number): ToolResult {
  const parts: string[] = [];
  const images: ImagePart[] = [];
  for (const item of Array.isArray(result.content) ? (result.content as Record<string, unknown>[]) : []) {
    switch (item.type) {
      case 'text': if (typeof item.text === 'string' && item.text.trim()) parts.push(item.text.trim()); break;
      case 'image':
        if (typeof item.data === 'string' && item.data) {
          images.push({ mime: String(item.mimeType), data: item.data });
          parts.push(`[MCP returned an image (${String(item.mimeType)})]`);
        } else parts.push(`[MCP returned an empty image]`);
        break;
      case 'audio': parts.push(`[MCP returned audio content (${String(item.mimeType)}); not shown to the model]`); break;
      case 'resource_link': parts.push(`[MCP returned resource link, name="${String(item.name ?? '')}", uri="${String(item.uri ?? '')}"]`); break;
      case 'resource': {
        const resource = (item.resource ?? {}) as Record<string, unknown>;
        parts.push(typeof resource.text === 'string' ? resource.text : `[MCP returned embedded resource "${String(resource.uri)}" (${String(resource.mimeType ?? 'binary')})]`);
        break;
      }
      default: parts.push(`[MCP returned unsupported content type ${String(item.type)}]`);
    }
  }
  if (parts.length === 0 && result.structuredContent !== undefined) parts.push(JSON.stringify(result.structuredContent));
  let text = parts.join('\n');
  if (text.length > maxChars) text = `${text.slice(0, maxChars)}\n[… ${text.length - maxChars} more characters omitted]`;
  if (result.isError === true) return { content: `MCP tool returned error: ${text || '(no details)'}`, isError: true };
  return { content: text || '(empty result)', ...(images.length ? { images } : {}) };
}

/**
 * The MCP SDK is loaded only when a server is configured, and of its transports only the one a
 * server uses: streamable HTTP (the usual one, Home Assistant's) is ours over node:http.
 */
const loadClient = once(async () => (await import('@modelcontextprotocol/sdk/client/index.js')).Client);
const loadStdio = once(() => import('@modelcontextprotocol/sdk/client/stdio.js'));
const loadSse = once(async () => (await import('@modelcontextprotocol/sdk/client/sse.js')).SSEClientTransport);
const loadStreamableHttp = once(async () => (await import('./streamable-http-transport.js')).createStreamableHttpTransport);

/**
 * Tool results are checked against a tool's output schema with the SDK's ajv validator, which
 * loads only for a server whose tools declare one: ajv is ~290 KB of source, parsed right after
 * start-up otherwise (the bundle gives the SDK's Client a stand-in for its own default). The SDK
 * asks for a validator while it lists the tools; it is compiled on first use, in a call, after
 * connect() has loaded ajv.
 */
let ajv: jsonSchemaValidator | undefined;
const loadAjv = once(async () => (ajv = new (await import('@modelcontextprotocol/sdk/validation/ajv')).AjvJsonSchemaValidator()));
const outputValidator: jsonSchemaValidator = {
  getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
    let compiled: JsonSchemaValidator<T> | undefined;
    return (input) => {
      if (!ajv) throw new Error('the output schema validator is not loaded');
      return (compiled ??= ajv.getValidator<T>(schema))(input);
    };
  },
};

function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
}

class ServerConnection {
  state: McpState = 'connecting';
  lastError?: string;
  hint?: string;
  tools: Tool[] = [];
  /** Tools withheld by allow_tools / deny_tools at the last listing. */
  withheld = 0;
  connectedAt?: Date;
  nextRetryAt?: Date;
  attempts = 0;
  private client?: Client;
  private readonly stop = new AbortController();
  private wake?: AbortController;
  private closed?: () => void;
  private loop?: Promise<void>;
  /** A stdio server's command line, resolved once, with the config. */
  private readonly launch?: StdioLaunch;

  constructor(
    readonly name: string,
    readonly config: McpServerConfig,
    private readonly options: McpManagerOptions,
    private readonly log: Log,
  ) {
    if (!config.enabled) this.state = 'disabled';
    if (effectiveMcpTransport(config) === 'stdio') {
      this.launch = resolveStdioLaunch(config, options);
      if (config.enabled) for (const warning of this.launch.warnings) log('warn', `MCP server ${name}: ${warning}`, { server: name });
    }
  }

  start() {
    if (this.config.enabled) this.loop ??= this.run();
  }

  retryNow() {
    this.wake?.abort();
  }

  status(): McpServerStatus {
    return {
      name: this.name,
      transport: effectiveMcpTransport(this.config) ?? 'unknown',
      target: describeTarget(this.config, this.launch),
      state: this.state,
      ...(this.lastError ? { lastError: this.lastError } : {}),
      ...(this.hint ? { hint: this.hint } : {}),
      tools: this.tools.map((t) => ({ name: t.name, tool: (t as Tool & { original: string }).original, description: t.description })),
      withheld: this.withheld,
      schemaBytes: this.tools.reduce((sum, t) => sum + Buffer.byteLength(JSON.stringify({ name: t.name, description: t.description, parameters: t.parameters })), 0),
      deferred: isDeferred(this.config, this.options.discovery?.() ?? false),
      ...(this.connectedAt ? { connectedAt: this.connectedAt.toISOString() } : {}),
      ...(this.nextRetryAt && this.state === 'failed' ? { nextRetryAt: this.nextRetryAt.toISOString() } : {}),
      attempts: this.attempts,
    };
  }

  private setState(state: McpState, error?: unknown) {
    this.state = state;
    if (error !== undefined) {
      this.lastError = (error instanceof Error ? error.message : String(error)) || 'unknown error';
      this.hint = mcpErrorHint(this.lastError, this.config);
    } else if (state === 'connected') {
      this.lastError = undefined;
      this.hint = undefined;
    }
    this.options.onChange?.();
  }

  private async run() {
    const signal = this.stop.signal;
    while (!signal.aborted) {
      this.attempts++;
      this.setState('connecting');
      try {
        await this.connect(signal);
        this.setState('connected');
        this.log('info', `MCP server ${this.name} connected with ${this.tools.length} tool(s)`, { server: this.name, tools: this.tools.map((t) => t.name) });
        // Wait until the connection closes (stdio exit, stream lost) or a call finds it broken.
        await new Promise<void>((done) => {
          this.closed = done;
          signal.addEventListener('abort', () => done(), { once: true });
        });
        if (signal.aborted) break;
        this.attempts = 0;
      } catch (error) {
        if (signal.aborted) break;
        this.tools = [];
        const stderr = this.stderrTail.length ? ` (stderr: ${this.stderrTail.join(' | ').slice(0, 300)})` : '';
        this.setState('failed', stderr && error instanceof Error ? new Error(`${error.message}${stderr}`) : error);
        this.log('warn', `MCP server ${this.name} failed: ${this.lastError}${this.hint ? ` — ${this.hint}` : ''}`, { server: this.name });
      }
      await this.client?.close().catch(() => {});
      this.client = undefined;
      const delay = backoffDelay(this.attempts, { baseMs: this.options.retryBaseMs ?? 2_000, maxMs: this.options.retryMaxMs ?? 60_000 });
      this.nextRetryAt = new Date(Date.now() + delay);
      this.wake = new AbortController();
      await sleep(delay, AbortSignal.any([signal, this.wake.signal])).catch(() => {});
    }
    await this.client?.close().catch(() => {});
    this.client = undefined;
  }

  /** The last lines the stdio server wrote to stderr, to explain why it exited. */
  private stderrTail: string[] = [];

  private async transport(): Promise<Transport[]> {
    const type = effectiveMcpTransport(this.config);
    if (type === 'stdio' && this.launch) {
      const launch = this.launch;
      const problem = envFileProblem(this.config, launch, this.options.workspace);
      if (problem) throw new PicoError('invalid_input', `MCP server ${this.name}: ${problem}`);
      const { StdioClientTransport, getDefaultEnvironment } = await loadStdio();
      const fileEnv = launch.envFile ? await readEnvFile(launch.envFile) : {};
      // An allowlisted environment (PATH, HOME, …) rather than the gateway's own, which holds secrets.
      const env = { ...getDefaultEnvironment(), ...fileEnv, ...this.config.env };
      // The home exists once the gateway runs; a CLI test on a fresh machine may come first.
      await mkdir(launch.cwd, { recursive: true, mode: 0o700 });
      const transport = new StdioClientTransport({ command: launch.command, args: launch.args, env, stderr: 'pipe', cwd: launch.cwd });
      this.stderrTail = [];
      transport.stderr?.on('data', (chunk: Buffer) => {
        this.stderrTail = [...this.stderrTail, ...chunk.toString('utf8').split('\n').filter(Boolean)].slice(-5);
        this.log('debug', `MCP server ${this.name} stderr: ${chunk.toString('utf8').trimEnd()}`, { server: this.name });
      });
      return [transport];
    }
    const url = new URL(this.config.url);
    const streamable = (await loadStreamableHttp())(url, { headers: this.config.headers });
    // "sse" servers may be legacy HTTP+SSE ones: try that transport when streamable HTTP fails.
    return type === 'sse' ? [streamable, new (await loadSse())(url, { requestInit: { headers: this.config.headers } })] : [streamable];
  }

  private async connect(signal: AbortSignal) {
    const Client = await loadClient();
    const timeout = this.config.connect_timeout * 1000;
    let lastError: unknown;
    for (const transport of await this.transport()) {
      const client = new Client({ name: 'picoclaw-ts', version: '0.1.0' }, { jsonSchemaValidator: outputValidator });
      client.onclose = () => this.closed?.();
      try {
        await client.connect(transport, { signal, timeout });
        const tools = [];
        let cursor: string | undefined;
        do {
          const page = await client.listTools(cursor ? { cursor } : {}, { signal, timeout });
          tools.push(...page.tools);
          cursor = page.nextCursor;
        } while (cursor);
        if (tools.some((t) => t.outputSchema)) await loadAjv();
        this.client = client;
        const offered = toolFilter(this.config);
        this.tools = tools.filter((t) => offered(t.name)).map((t) => this.adapt(t));
        this.withheld = tools.length - this.tools.length;
        this.connectedAt = new Date();
        return;
      } catch (error) {
        lastError = error;
        await client.close().catch(() => {});
      }
    }
    const what = `MCP server ${this.name}`;
    const target = describeTarget(this.config, this.launch);
    throw lastError instanceof Error && /timed out|timeout/i.test(lastError.message)
      ? new PicoError('timeout', `${what}: no answer from ${target} within ${this.config.connect_timeout} s`, { cause: lastError })
      : describeFailure(lastError, what, target);
  }

  private adapt(tool: { name: string; description?: string; inputSchema?: unknown }): Tool & { original: string } {
    const schema = (tool.inputSchema && typeof tool.inputSchema === 'object' ? tool.inputSchema : { type: 'object', properties: {} }) as Record<string, unknown>;
    return {
      name: mcpToolName(this.name, tool.name),
      original: tool.name,
      description: `[MCP:${this.name}] ${tool.description || `MCP tool from ${this.name} server`}`,
      parameters: schema,
      source: `mcp:${this.name}`,
      execute: async (args, context) => {
        const client = this.client;
        if (!client || this.state !== 'connected') {
          return { content: `MCP server ${this.name} is not connected${this.lastError ? `: ${this.lastError}` : ''}`, isError: true };
        }
        try {
          const result = await client.callTool({ name: tool.name, arguments: args ?? {} }, undefined, {
            signal: context.signal,
            timeout: this.config.call_timeout * 1000,
          });
          return mapToolResult(result as { content?: unknown; isError?: unknown; structuredContent?: unknown }, this.options.maxInlineTextChars ?? 16384);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          if (!context.signal.aborted && /fetch failed|ECONNREFUSED|ECONNRESET|socket|closed|not connected/i.test(message)) {
            // The server went away: mark it failed and let the loop reconnect in the background.
            this.tools = [];
            this.setState('failed', error);
            this.closed?.();
          }
          return { content: `MCP tool execution failed: ${message}`, isError: true };
        }
      },
    };
  }

  async close() {
    this.stop.abort();
    await this.loop;
  }
}

export function createMcpManager(options: McpManagerOptions): McpManager {
  const log: Log = options.log ?? (() => {});
  let connections = new Map<string, ServerConnection>();
  const build = (servers: Record<string, McpServerConfig>) =>
    new Map(Object.entries(servers).map(([name, config]) => [name, new ServerConnection(name, config, options, log)]));
  connections = build(options.servers);
  let started = false;

  return {
    list: () => [...connections.values()].flatMap((c) => (c.state === 'connected' ? c.tools : [])),
    start() {
      started = true;
      for (const c of connections.values()) c.start();
    },
    async reload(servers) {
      const next = new Map<string, ServerConnection>();
      const stale: ServerConnection[] = [];
      for (const [name, config] of Object.entries(servers)) {
        const current = connections.get(name);
        if (current && sameConfig(current.config, config)) next.set(name, current);
        else next.set(name, new ServerConnection(name, config, options, log));
      }
      for (const [name, c] of connections) if (next.get(name) !== c) stale.push(c);
      connections = next;
      if (started) for (const c of connections.values()) c.start();
      await Promise.all(stale.map((c) => c.close()));
      options.onChange?.();
    },
    status: () => [...connections.values()].map((c) => c.status()),
    retryNow: (name) => connections.get(name)?.retryNow(),
    async close() {
      await Promise.all([...connections.values()].map((c) => c.close()));
    },
  };
}

/** Waits, up to `ms`, while any server is still connecting; returns the statuses at that point. */
export async function settledStatus(manager: McpManager, ms: number): Promise<McpServerStatus[]> {
  const end = Date.now() + ms;
  let status = manager.status();
  while (Date.now() < end && status.some((s) => s.state === 'connecting')) {
    await new Promise((r) => setTimeout(r, 50));
    status = manager.status();
  }
  return status;
}

/**
 * Connects to one server config without keeping it (the dashboard's and the CLI's "test"):
 * its status once connected or failed, or when its connect_timeout has run out.
 */
export async function probeMcpServer(name: string, server: McpServerConfig, dirs: { home: string; workspace: string }): Promise<McpServerStatus> {
  const probe = createMcpManager({ servers: { [name]: { ...server, enabled: true } }, ...dirs, retryBaseMs: 60_000 });
  probe.start();
  try {
    return (await settledStatus(probe, server.connect_timeout * 1000 + 1000))[0]!;
  } finally {
    await probe.close();
  }
}
