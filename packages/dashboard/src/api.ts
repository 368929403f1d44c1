/** JSON calls to the launcher API; errors carry the API's own sentence. */
export class ApiError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(path, {
    method: init.method ?? 'GET',
    credentials: 'same-origin',
    headers: init.body !== undefined ? { 'content-type': 'application/json' } : {},
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await response.text();
  const data = text ? (JSON.parse(text) as unknown) : {};
  if (!response.ok) {
    // A refused config change names what is wrong per key: say it, not just "invalid".
    const { error, issues } = data as { error?: string; issues?: { path?: string; message?: string }[] };
    const details = Array.isArray(issues) ? issues.map((i) => i.message).filter(Boolean).join('; ') : '';
    throw new ApiError(`${error ?? `HTTP ${response.status}`}${details && !error?.includes(details) ? `: ${details}` : ''}`, response.status);
  }
  return data as T;
}

export interface AuthStatus {
  authenticated: boolean;
  method?: string;
  setup_required: boolean;
  /** First run on a launcher reachable from other machines: setup needs the code from its log. */
  setup_code_required?: boolean;
  password_set: boolean;
  token_configured: boolean;
}

/** The gateway's `cluster` status (present with `session.store: "redis"`). */
export interface ClusterInfo {
  store: 'jsonl' | 'redis';
  member?: string;
  redis?: { url: string; connected: boolean };
  members: { id: string; host: string; pid: number; version: string }[];
  leaders: Record<string, string>;
}

export interface GatewayProcess {
  state: string;
  pid?: number;
  restarts: number;
  lastError?: string;
  startedAt?: string;
}

/** When a job runs (see the gateway's schedules contract): once, at an interval, or on a cron expression. */
export type ScheduleSpec =
  | { kind: 'at'; atMs: number }
  | { kind: 'every'; everyMs: number }
  | { kind: 'cron'; expr: string; tz?: string };

export interface ScheduleJob {
  id: string;
  name: string;
  enabled: boolean;
  schedule: ScheduleSpec;
  payload: { kind: 'agent_turn'; message: string; command?: string; channel: string; to: string; deliver?: boolean };
  state: {
    nextRunAtMs?: number;
    lastRunAtMs?: number;
    lastStatus?: 'ok' | 'error' | 'skipped';
    lastError?: string;
    lastDurationMs?: number;
    lastResult?: string;
    runs?: number;
  };
  createdAtMs: number;
  updatedAtMs: number;
  deleteAfterRun: boolean;
  missed?: 'run' | 'skip';
}

export interface ScheduleTarget { channel: string; type: string; to: string; label: string }
export interface ScheduleList { jobs: ScheduleJob[]; timezone: string; runner: boolean; paused?: string }
export type SchedulePreview = { ok: true; next: string[]; timezone: string } | { ok: false; error: string };
export interface NewSchedule {
  name?: string;
  message: string;
  schedule: ScheduleSpec;
  channel: string;
  to: string;
  deliver?: boolean;
  missed?: 'run' | 'skip';
  enabled?: boolean;
}

/** The launcher's `/api/schedules` routes (proxied to the gateway). */
export const schedulesApi = {
  list: () => api<ScheduleList>('/api/schedules'),
  targets: () => api<{ targets: ScheduleTarget[] }>('/api/schedules/targets'),
  preview: (schedule: ScheduleSpec) => api<SchedulePreview>('/api/schedules/preview', { method: 'POST', body: { schedule } }),
  create: (job: NewSchedule) => api<{ job: ScheduleJob }>('/api/schedules', { method: 'POST', body: job }),
  update: (id: string, patch: Partial<NewSchedule>) => api<{ job: ScheduleJob }>(`/api/schedules/${id}`, { method: 'PATCH', body: patch }),
  remove: (id: string) => api<{ status: string }>(`/api/schedules/${id}`, { method: 'DELETE' }),
  run: (id: string) => api<{ status: string }>(`/api/schedules/${id}/run`, { method: 'POST' }),
  /** One heartbeat now (the gateway's `POST /schedules/heartbeat`). */
  heartbeat: () => api<{ outcome: HeartbeatOutcome }>('/api/schedules/heartbeat', { method: 'POST' }),
};

/** What one heartbeat came to: 'ok' = the model answered HEARTBEAT_OK (nothing sent). */
export type HeartbeatOutcome = 'off' | 'not-runner' | 'outside-hours' | 'no-tasks' | 'ok' | 'sent' | 'no-target';
/** The config's `heartbeat` block (core schema). */
export interface HeartbeatConfig { enabled: boolean; interval: number; active_hours: string; target: string }

/** `status.gateway.schedules` (GatewayStatus['schedules'] in core). */
export interface SchedulesStatus {
  jobs: number;
  enabled: number;
  runner: boolean;
  next: { id: string; name: string; at: string }[];
  failing: { id: string; name: string; error: string; at: string }[];
}
