/**
 * When a job runs: the next run of a schedule after a moment, its check (an expression croner
 * cannot read, an unknown time zone, a moment in the past are refused when a job is made, never
 * found later as a job that silently does not fire), and a sentence for listings.
 */
import { Cron } from 'croner';
import type { JobSchedule } from '@picoclaw/core';
import { defaultTimeZone, formatIn, validTimeZone } from './wall-clock.js';

/** Shortest interval for `every` jobs: a tighter loop would be a model-call storm. */
export const MIN_EVERY_MS = 60_000;

function cron(expr: string, tz: string): Cron {
  // `legacyMode` (the default) keeps the usual OR of day-of-month and day-of-week.
  return new Cron(expr, { timezone: tz, paused: true });
}

/**
 * The problem with a schedule, as a sentence naming the field, or undefined when it is usable.
 * `nowMs` decides whether an `at` moment is already past.
 */
export function scheduleProblem(schedule: JobSchedule, nowMs: number, defaultTz = defaultTimeZone()): string | undefined {
  switch (schedule.kind) {
    case 'at':
      if (!Number.isFinite(schedule.atMs)) return 'the time to run at is not a valid date';
      if (schedule.atMs <= nowMs) return `${new Date(schedule.atMs).toISOString()} is in the past; give a moment still to come`;
      return undefined;
    case 'every':
      if (!Number.isFinite(schedule.everyMs) || schedule.everyMs < MIN_EVERY_MS) return `an interval must be at least ${MIN_EVERY_MS / 60_000} minute`;
      return undefined;
    case 'cron': {
      const tz = schedule.tz || defaultTz;
      if (!validTimeZone(tz)) return `"${tz}" is not a time zone; use an IANA name such as "Europe/Madrid" or "America/New_York"`;
      const fields = schedule.expr.trim().split(/\s+/).length;
      if (fields < 5 || fields > 6) return `"${schedule.expr}" is not a cron expression: it needs 5 fields (minute hour day-of-month month day-of-week), e.g. "0 23 * * *" for every day at 23:00`;
      try {
        if (!cron(schedule.expr, tz).nextRun(new Date(nowMs))) return `"${schedule.expr}" never matches a date to come`;
      } catch (error) {
        return `"${schedule.expr}" is not a valid cron expression: ${(error as Error).message.replace(/^CronPattern: /, '')}`;
      }
      return undefined;
    }
    default:
      return `unknown schedule kind "${(schedule as { kind: string }).kind}"; use at, every or cron`;
  }
}

/**
 * The first run strictly after `afterMs`, or undefined when there is none (an `at` moment that
 * has passed, an unusable expression). `every` keeps its phase from `anchorMs` (the job's
 * creation), so a late run does not shift the ones after it.
 */
export function nextRunAfter(schedule: JobSchedule, afterMs: number, options: { anchorMs?: number; defaultTz?: string } = {}): number | undefined {
  switch (schedule.kind) {
    case 'at':
      return schedule.atMs > afterMs ? schedule.atMs : undefined;
    case 'every': {
      if (!(schedule.everyMs > 0)) return undefined;
      const anchor = options.anchorMs ?? afterMs;
      if (anchor > afterMs) return anchor;
      return anchor + (Math.floor((afterMs - anchor) / schedule.everyMs) + 1) * schedule.everyMs;
    }
    case 'cron':
      try {
        return cron(schedule.expr, schedule.tz || options.defaultTz || defaultTimeZone()).nextRun(new Date(afterMs))?.getTime();
      } catch {
        return undefined;
      }
    default:
      return undefined;
  }
}

/**
 * Why a task (a job that calls the model) may not run on this schedule: runs closer than a
 * minute apart, which a 6-field expression with seconds allows, would be a model-call storm.
 * Plain messages (`deliver`) are not held to it.
 */
export function taskScheduleProblem(schedule: JobSchedule, nowMs: number, defaultTz?: string): string | undefined {
  if (schedule.kind !== 'cron') return undefined;
  const [a, b] = nextRuns(schedule, nowMs, 2, defaultTz ? { defaultTz } : {});
  if (a !== undefined && b !== undefined && b - a < MIN_EVERY_MS) return `"${schedule.expr}" runs more often than once a minute, which a task (a model call each time) may not; send a plain message (deliver) or run it less often`;
  return undefined;
}

/** Up to `count` runs after `afterMs`. */
export function nextRuns(schedule: JobSchedule, afterMs: number, count: number, options: { anchorMs?: number; defaultTz?: string } = {}): number[] {
  const runs: number[] = [];
  let from = afterMs;
  while (runs.length < count) {
    const next = nextRunAfter(schedule, from, options);
    if (next === undefined) break;
    runs.push(next);
    from = next;
  }
  return runs;
}

const UNITS: [ms: number, one: string][] = [
  [86_400_000, 'day'],
  [3_600_000, 'hour'],
  [60_000, 'minute'],
  [1000, 'second'],
];

/** "3 hours", "90 minutes", "1 day": the largest unit that divides the interval. */
export function describeInterval(ms: number): string {
  const [unit, name] = UNITS.find(([u]) => ms % u === 0) ?? [1, 'millisecond'];
  const n = ms / unit;
  return `${n} ${name}${n === 1 ? '' : 's'}`;
}

/** A short English description for logs, the CLI and tool results (the dashboard words its own). */
export function describeSchedule(schedule: JobSchedule, defaultTz = defaultTimeZone()): string {
  switch (schedule.kind) {
    case 'at':
      return `once at ${formatIn(schedule.atMs, defaultTz)}`;
    case 'every':
      return `every ${describeInterval(schedule.everyMs)}`;
    case 'cron':
      return `cron "${schedule.expr}" (${schedule.tz || defaultTz})`;
    default:
      return 'unknown schedule';
  }
}

