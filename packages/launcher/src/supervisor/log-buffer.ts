/**
 * The last log lines of the launcher and the gateway, in memory, for the dashboard's live view:
 * a bounded ring with subscribers (the SSE stream). Lines are masked before they get here.
 */
export interface LogEntry {
  seq: number;
  time: string;
  source: 'launcher' | 'gateway';
  level: string;
  message: string;
}

export interface LogBuffer {
  push(entry: Omit<LogEntry, 'seq'>): void;
  since(seq: number, filter?: { level?: string; source?: string }): LogEntry[];
  subscribe(listener: (entry: LogEntry) => void): () => void;
  clear(): void;
}

const severity: Record<string, number> = { debug: 0, info: 1, warn: 2, error: 3, fatal: 4 };

export function levelAtLeast(level: string, minimum: string | undefined): boolean {
  return !minimum || (severity[level] ?? 1) >= (severity[minimum] ?? 0);
}

export function createLogBuffer(capacity = 2000): LogBuffer {
  const entries: LogEntry[] = [];
  const listeners = new Set<(entry: LogEntry) => void>();
  let seq = 0;
  return {
    push(entry) {
      const full = { ...entry, seq: ++seq };
      entries.push(full);
      if (entries.length > capacity) entries.splice(0, entries.length - capacity);
      for (const listener of listeners) listener(full);
    },
    since: (after, filter = {}) => entries.filter((e) => e.seq > after && levelAtLeast(e.level, filter.level) && (!filter.source || e.source === filter.source)),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    clear() {
      entries.length = 0;
    },
  };
}
