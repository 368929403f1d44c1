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
