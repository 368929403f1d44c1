/**
 * The gateway's HTTP API on 127.0.0.1:18790, as a typed contract shared with the launcher and the
 * CLI. Open: `GET /health`, `GET /ready` (status and reason codes only). Control (need `Authorization: Bearer <token>`):
 * `GET /status`, `POST /reload`, `POST /mcp/<server>/retry`. WebSocket: `/pico/ws` (pico token).
 * Every response is JSON; errors are `{ "error": "<sentence>" }` with an HTTP status.
 */
import type { ConfigIssue } from './config/config-error.js';

export const gatewayRoutes = {
  health: '/health',
  ready: '/ready',
  status: '/status',
  reload: '/reload',
  mcpRetry: (server: string) => `/mcp/${encodeURIComponent(server)}/retry`,
  picoWs: '/pico/ws',
} as const;

/** The URL to reach a gateway bound to `host`:`port` (a wildcard bind is reached on loopback). */
export function gatewayUrl({ host, port }: { host: string; port: number }): string {
  const reach = host === '0.0.0.0' ? '127.0.0.1' : host === '::' || host === '[::]' ? '::1' : host.replace(/^\[(.*)\]$/, '$1');
  return `http://${reach.includes(':') ? `[${reach}]` : reach}:${port}`;
}

/** `GET /health`: the process is alive. */
export interface HealthResponse {
  status: 'ok';
  version: string;
  pid: number;
  uptime_s: number;
  started_at: string;
}

export interface ReadyCheck {
  ok: boolean;
  detail?: string;
}

/**
 * Why a gateway is not fully ready, as anyone may read it: a code, never a detail. `no_model`:
 * no model can answer (none configured, or the default is missing or disabled, fallbacks too);
 * the `model` check's detail (with the token) and `/status` say what to set.
 */
export type ReadyReason = 'starting' | 'stopping' | 'channel_down' | 'mcp_down' | 'no_model';

/**
 * `GET /ready`: 200 once startup finished (config loaded, HTTP up, agent up, every enabled channel
 * started or given up on); 503 before that and while shutting down. A channel or MCP server that
 * is down makes the gateway `degraded`, still ready: it keeps retrying on its own. So does having
 * no usable model: it runs and answers every message with what to set.
 * The route is open, so it says only the status and reason codes; the checks by name, with their
 * details (which can name paths, hosts and error texts), need the control token. A request with
 * the `x-picoclaw-challenge` header gets the gateway's proof of its token (gateway-trust.ts).
 */
export interface ReadyResponse {
  status: 'ready' | 'degraded' | 'starting' | 'stopping';
  reasons?: ReadyReason[];
  checks?: Record<string, ReadyCheck>;
}

/** `standby`: another gateway of the cluster runs this channel (one Telegram poller per bot). */
export type ChannelState = 'disabled' | 'starting' | 'running' | 'standby' | 'reconnecting' | 'failed' | 'stopped';

export interface ChannelStatus {
  name: string;
  type: string;
  enabled: boolean;
  state: ChannelState;
  lastError?: string;
  /** What the channel is connected to or listening on, without secrets. */
  detail?: string;
  lastMessageAt?: string;
  messages: { in: number; out: number };
}

export interface McpServerStatus {
  name: string;
  transport: 'stdio' | 'sse' | 'http' | 'unknown';
  target: string;
  state: 'disabled' | 'connecting' | 'connected' | 'failed';
  lastError?: string;
  hint?: string;
  tools: { name: string; tool: string; description: string }[];
  /** Tools the server has that allow_tools / deny_tools withhold. */
  withheld: number;
  /** Bytes the offered tools' definitions add to a request when all are sent (name, description, schema as JSON). */
  schemaBytes: number;
  /** Behind tool discovery: sent only once a search unlocks them. */
  deferred: boolean;
  connectedAt?: string;
  nextRetryAt?: string;
  attempts: number;
}

export interface ModelStatus {
  name: string;
  provider: string;
  model: string;
  enabled: boolean;
  keys: number;
  problem?: string;
  role: 'primary' | 'fallback' | 'other';
  state: 'ready' | 'cooling-down' | 'unused';
  failures: number;
  cooldownUntil?: string;
  lastError?: string;
  lastSuccessAt?: string;
  lastLatencyMs?: number;
}

/** `GET /status`. */
export interface GatewayStatus {
  version: string;
  pid: number;
  uptime_s: number;
  ready: ReadyResponse['status'];
  config: { path: string; loaded_at: string; warnings: string[] };
  channels: ChannelStatus[];
  mcp: { enabled: boolean; servers: McpServerStatus[] };
  /** `problem`: why no model can answer and what to set (absent when one can). */
  models: { primary: string; fallbacks: string[]; list: ModelStatus[]; problem?: string };
  tools: { name: string; source: string }[];
  active_turns: number;
  cluster: ClusterStatus;
  /** Scheduled jobs: counts, the next runs and the jobs whose last run failed. */
  schedules?: SchedulesStatus;
}

/**
 * A scheduled job as stored in `<workspace>/cron/jobs.json` (PicoClaw's format, `{version: 1,
 * jobs}`; the fields PicoClaw lacks — `deliver`, `missed`, the extra `state` — are ignored by it).
 */
export interface ScheduledJob {
  /** 16 hex characters. */
  id: string;
  name: string;
  enabled: boolean;
  schedule: JobSchedule;
  payload: {
    kind: 'agent_turn';
    /** The agent's prompt, or with `deliver` the text sent as is. */
    message: string;
    /** PicoClaw's shell jobs: kept in the file, never run here (there is no shell tool). */
    command?: string;
    /** Channel instance name (a channel_list key). */
    channel: string;
    /** The chat, as that channel knows it: a Telegram chat id, an MQTT device, a pico session id. */
    to: string;
    /** Send `message` as is, without the model. */
    deliver?: boolean;
  };
  state: {
    nextRunAtMs?: number;
    lastRunAtMs?: number;
    lastStatus?: 'ok' | 'error' | 'skipped';
    lastError?: string;
    lastDurationMs?: number;
    /** The start of what was delivered. */
    lastResult?: string;
    runs?: number;
  };
  createdAtMs: number;
  updatedAtMs: number;
  deleteAfterRun: boolean;
  /** A run missed while no gateway was up: run it once when one is, or skip it. Default: run for `at`, skip for repeating jobs. */
  missed?: 'run' | 'skip';
}

export type JobSchedule = { kind: 'at'; atMs: number } | { kind: 'every'; everyMs: number } | { kind: 'cron'; expr: string; tz?: string };

export interface SchedulesStatus {
  jobs: number;
  enabled: number;
  /** Whether this gateway runs the jobs (in a cluster only the lease holder does). */
  runner: boolean;
  /** Why no job runs, when none does (e.g. tools.cron.enabled is false). */
  paused?: string;
  next: { id: string; name: string; at: string }[];
  failing: { id: string; name: string; error: string; at: string }[];
}

/** Gateways sharing sessions in Redis; a lone gateway on JSONL files reports `store: "jsonl"` only. */
export interface ClusterStatus {
  store: 'jsonl' | 'redis';
  /** This gateway's member id. */
  member?: string;
  redis?: { url: string; connected: boolean };
  /** Live members (heartbeat within the last few seconds), this one included. */
  members: ClusterMember[];
  /** Lease name (e.g. `telegram:<channel>`) → the member holding it. */
  leaders: Record<string, string>;
}

export interface ClusterMember {
  id: string;
  host: string;
  pid: number;
  version: string;
  started_at: string;
  last_seen: string;
}

/** `POST /reload`: 200 with what changed, or 422 with the problems (the running config stays). */
export type ReloadResponse =
  | { status: 'reloaded'; changes: string[]; restart_required: string[]; warnings: string[] }
  | { error: string; issues: ConfigIssue[] };

/**
 * Exit codes of `picoclaw gateway`: a supervisor restarts after `failure` but not after `config`
 * (restarting cannot fix an invalid config.json; the user must).
 */
export const gatewayExitCodes = { ok: 0, failure: 1, config: 78 } as const;
