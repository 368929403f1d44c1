/**
 * Token usage per model per local day, as the providers report it on each answer (`response-end`
 * usage): requests, prompt and completion tokens, and the requests whose provider reported none.
 *
 * Contract:
 * - `record` is the hot path (every model answer): a Map increment, no I/O, no await.
 * - Nothing is read at start-up: `<workspace>/state/usage.json` is read at the first `report` or
 *   write, and its counts are added to what was counted since start (so counts made before the
 *   read are never lost or doubled).
 * - Writes are debounced (at most one per `flushMs`, 30 s by default) and made on `close`, atomic
 *   with mode 0600; a failed write is logged and retried at the next one.
 * - Days older than `keepDays` (90) are dropped at each read and write.
 * - "Day" is the gateway's local calendar day (its TZ), so "today" matches the clock on the wall.
 * - Each gateway counts what it answered; several gateways of a cluster each keep their own file
 *   (each has its own home), and the dashboard shows the one its launcher runs.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from '@picoclaw/core';
import type { Usage } from '../models/types.js';

export interface UsageCounts {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  /** Requests whose provider reported no usage (their tokens are not in the sums). */
  unreported: number;
}

export interface ModelUsageReport {
  name: string;
  total: UsageCounts;
  /** One entry per day of `UsageReport.dates` with any request, oldest first. */
  days: (UsageCounts & { day: string })[];
}

export interface UsageReport {
  /** Today, in the gateway's time zone (YYYY-MM-DD). */
  today: string;
  /** The days covered, oldest first, today last. */
  dates: string[];
  models: ModelUsageReport[];
}

export interface UsageBook {
  /** Counts one answer of `model` (a model_list name); `usage` undefined when none was reported. */
  record(model: string, usage: Usage | undefined): void;
  /** The last `days` days (1–KEEP_DAYS), today included. */
  report(days: number): Promise<UsageReport>;
  /** Writes now when anything changed since the last write. */
  flush(): Promise<void>;
  /** Stops the timer and writes what is pending. */
  close(): Promise<void>;
}

export interface UsageBookOptions {
  /** The workspace whose `state/usage.json` holds the counts (read at first use, kept after). */
  workspace: () => string;
  now?: () => Date;
  flushMs?: number;
  keepDays?: number;
  log?: (message: string) => void;
}

export const KEEP_DAYS = 90;
const FLUSH_MS = 30_000;

const empty = (): UsageCounts => ({ requests: 0, prompt_tokens: 0, completion_tokens: 0, unreported: 0 });
const pad = (n: number) => String(n).padStart(2, '0');
/** The local calendar day of `date` as YYYY-MM-DD. */
export const localDay = (date: Date) => `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;

/** The `count` local days ending with `date`'s, oldest first (by calendar, so DST days count once). */
export function lastDays(date: Date, count: number): string[] {
  const out: string[] = [];
  for (let i = count - 1; i >= 0; i--) out.push(localDay(new Date(date.getFullYear(), date.getMonth(), date.getDate() - i, 12)));
  return out;
}

const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : 0);
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function createUsageBook(options: UsageBookOptions): UsageBook {
  const now = options.now ?? (() => new Date());
  const flushMs = options.flushMs ?? FLUSH_MS;
  const keepDays = options.keepDays ?? KEEP_DAYS;
  const log = options.log ?? (() => {});
  /** day → model → counts: what was read plus what was counted since. */
  const days = new Map<string, Map<string, UsageCounts>>();
  let file: string | undefined;
  let loading: Promise<void> | undefined;
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  let closed = false;

  const countsOf = (day: string, model: string) => {
    let models = days.get(day);
    if (!models) days.set(day, (models = new Map()));
    let counts = models.get(model);
    if (!counts) models.set(model, (counts = empty()));
    return counts;
  };

  /** Drops the days before the oldest kept one (YYYY-MM-DD compares as text). */
  const prune = () => {
    const oldest = lastDays(now(), keepDays)[0]!;
    for (const day of days.keys()) if (day < oldest) days.delete(day);
  };

  const load = () =>
    (loading ??= (async () => {
      file = join(options.workspace(), 'state', 'usage.json');
      let text: string | undefined;
      try {
        text = await readFileIfExists(file);
      } catch (error) {
        log(`could not read ${file}: ${(error as Error).message}; counting from zero`);
      }
      if (text === undefined) return;
      try {
        const doc = JSON.parse(text) as { days?: Record<string, Record<string, Partial<UsageCounts>>> };
        for (const [day, models] of Object.entries(doc.days ?? {})) {
          if (!DAY.test(day) || !models || typeof models !== 'object') continue;
          for (const [model, stored] of Object.entries(models)) {
            const c = countsOf(day, model);
            c.requests += count(stored?.requests);
            c.prompt_tokens += count(stored?.prompt_tokens);
            c.completion_tokens += count(stored?.completion_tokens);
            c.unreported += count(stored?.unreported);
          }
        }
      } catch (error) {
        // A hand-edited or torn file loses the history, never the gateway: it is rewritten.
        log(`${file} is not valid usage JSON (${(error as Error).message}); it will be rewritten`);
        dirty = true;
      }
      prune();
    })());

  const write = async () => {
    await load();
    if (!dirty) return;
    dirty = false;
    prune();
    const out: Record<string, Record<string, UsageCounts>> = {};
    for (const day of [...days.keys()].sort()) out[day] = Object.fromEntries(days.get(day)!);
    const target = file!;
    try {
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      await writeFileAtomic(target, `${JSON.stringify({ version: 1, days: out })}\n`, { mode: 0o600, durable: false });
    } catch (error) {
      dirty = true;
      log(`could not save token usage: ${(error as Error).message}`);
    }
  };

  const flush = () => (writing = writing.then(write, write));

  return {
    record(model, usage) {
      const c = countsOf(localDay(now()), model);
      c.requests++;
      if (usage) {
        c.prompt_tokens += count(usage.promptTokens);
        c.completion_tokens += count(usage.completionTokens);
      } else c.unreported++;
      dirty = true;
      if (!timer && !closed) {
        timer = setTimeout(() => {
          timer = undefined;
          void flush();
        }, flushMs);
        timer.unref();
      }
    },
    async report(wanted) {
      await load();
      const dates = lastDays(now(), Math.min(Math.max(1, Math.floor(wanted)), keepDays));
      const models = new Map<string, ModelUsageReport>();
      for (const day of dates) {
        for (const [name, c] of days.get(day) ?? []) {
          let m = models.get(name);
          if (!m) models.set(name, (m = { name, total: empty(), days: [] }));
          m.days.push({ day, ...c });
          m.total.requests += c.requests;
          m.total.prompt_tokens += c.prompt_tokens;
          m.total.completion_tokens += c.completion_tokens;
          m.total.unreported += c.unreported;
        }
      }
      return { today: dates.at(-1)!, dates, models: [...models.values()].sort((a, b) => a.name.localeCompare(b.name)) };
    },
    flush,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      // Nothing counted and nothing read: nothing to write (and no file opened at shutdown).
      if (dirty) await flush();
      else await writing;
    },
  };
}
