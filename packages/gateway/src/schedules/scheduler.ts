/**
 * Runs jobs when they are due. One timer, set for the earliest next run (and at least once a
 * minute, to see jobs another process added and a clock that jumped); a due job gets its next
 * run written before it starts, so a crash in the middle never runs it again, and a gateway
 * that was down runs a missed job once or skips it (the job's `missed` policy), never once per
 * missed occurrence. A failing run is logged and recorded on the job, which keeps its schedule.
 * The clock is injected: tests move time by hand.
 */
import { randomBytes } from 'node:crypto';
import { PicoError, type JobSchedule, type ScheduledJob, type SchedulesStatus } from '@picoclaw/core';
import type { JobStore } from './job-store.js';
import { describeSchedule, nextRunAfter, scheduleProblem, taskScheduleProblem } from './schedule.js';

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

type Log = (level: 'debug' | 'info' | 'warn' | 'error', message: string, meta?: Record<string, unknown>) => void;

/** What a job's run delivered (its start is kept on the job), or an Error thrown. */
export type JobRun = (job: ScheduledJob, signal: AbortSignal) => Promise<string>;

export interface NewJob {
  name?: string;
  message: string;
  schedule: JobSchedule;
  channel: string;
  to: string;
  deliver?: boolean;
  missed?: 'run' | 'skip';
  enabled?: boolean;
}

export type JobPatch = Partial<NewJob>;

export interface SchedulerOptions {
  store: JobStore;
  run: JobRun;
  log: Log;
  clock?: Clock;
  /** The zone of jobs without one. */
  timeZone?: () => string;
  /** A run later than this after its time counts as missed (the gateway was down or paused). */
  graceMs?: number;
  /** Runs at the same time at most (more due jobs wait their turn). */
  concurrency?: number;
  /** False: another gateway may be running the jobs; wait for setRunner(true). Default true. */
  runner?: boolean;
  /** Why a job cannot target this channel (not configured, disabled), checked when a job is made or edited. */
  targetProblem?: (channel: string) => string | undefined;
}

export interface Scheduler {
  /** Reads the jobs, settles missed runs and starts the timer (when this gateway is the runner). */
  start(): Promise<void>;
  /** Stops the timer and aborts running jobs. */
  stop(): Promise<void>;
  /** Whether this gateway runs the jobs: in a cluster only the lease holder does. */
  setRunner(runner: boolean): void;
  /** Why jobs do not run (undefined: they do), e.g. tools.cron.enabled is false. */
  setPaused(reason: string | undefined): void;
  list(): Promise<ScheduledJob[]>;
  get(id: string): Promise<ScheduledJob | undefined>;
  /** Rejects with a PicoError (`invalid_input`, status 400 or 404) whose message says what to fix. */
  add(input: NewJob): Promise<ScheduledJob>;
  update(id: string, patch: JobPatch): Promise<ScheduledJob>;
  remove(id: string): Promise<boolean>;
  /** Starts a run now, out of schedule; resolves once it has started. */
  runNow(id: string): Promise<void>;
  status(): SchedulesStatus;
  /** Runs what is due now (the timer calls it; tests too). Resolves when the due runs have started. */
  tick(): Promise<void>;
  /** Resolves when every run started so far has finished. */
  idle(): Promise<void>;
}

/** A request the user must change: `invalid_input` with the HTTP status to answer. */
const refuse = (message: string, status: 400 | 404 = 400) => new PicoError('invalid_input', message, { status });

const MAX_SLEEP_MS = 60_000;
const RESULT_CHARS = 500;

export function createScheduler(options: SchedulerOptions): Scheduler {
  const { store, log } = options;
  const clock = options.clock ?? systemClock;
  const tz = options.timeZone ?? (() => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  const graceMs = options.graceMs ?? 120_000;
  const concurrency = options.concurrency ?? 4;
  const controller = new AbortController();
  const running = new Map<string, Promise<void>>();
  const waiting: (() => void)[] = [];
  let active = 0;
  let timer: unknown;
  let runner = options.runner ?? true;
  let paused: string | undefined;
  let started = false;
  let stopped = false;
  /** The last jobs read, for status() (which must not wait). */
  let snapshot: ScheduledJob[] = [];
  let ticking: Promise<void> | undefined;

  const label = (job: ScheduledJob) => `job ${job.id}${job.name ? ` "${job.name}"` : ''}`;
  const nextAfter = (job: ScheduledJob, afterMs: number) => nextRunAfter(job.schedule, afterMs, { anchorMs: job.createdAtMs || undefined, defaultTz: tz() });
  const missedPolicy = (job: ScheduledJob) => job.missed ?? (job.schedule.kind === 'at' ? 'run' : 'skip');

  async function load(): Promise<ScheduledJob[]> {
    snapshot = await store.load();
    return snapshot;
  }

  async function find(id: string): Promise<ScheduledJob> {
    const job = (await load()).find((j) => j.id === id);
    if (!job) throw refuse(`no job with id ${id}`, 404);
    return job;
  }

  /** A job that cannot run (PicoClaw wrote it without checking): recorded once, never retried. */
  function unusable(job: ScheduledJob, now: number): string | undefined {
    if (job.payload.command) return 'this is a shell-command job (PicoClaw); PicoClaw TS has no shell tool and does not run it — recreate it as a message job';
    if (!job.payload.channel || !job.payload.to) return 'the job has no target chat (payload.channel and payload.to); edit it to choose one';
    if (job.schedule.kind === 'at') return undefined; // a passed moment is a missed run, not a broken job
    return scheduleProblem(job.schedule, now, tz()) ?? (job.payload.deliver ? undefined : taskScheduleProblem(job.schedule, now, tz()));
  }

  async function acquire() {
    if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
  }
  function release() {
    active--;
    waiting.shift()?.();
  }

  /** Starts one run of a job; the job's next run must already be written. */
  function launch(job: ScheduledJob, reason: string) {
    const id = job.id;
    const task = (async () => {
      await acquire();
      const startedAt = clock.now();
      let outcome: Partial<Pick<ScheduledJob['state'], 'lastStatus' | 'lastError' | 'lastResult'>>;
      try {
        if (controller.signal.aborted) throw new Error('the gateway stopped before the job ran');
        log('info', `${label(job)} running (${reason})`, { job: id });
        const result = await options.run(job, controller.signal);
        outcome = { lastStatus: 'ok', lastResult: result.slice(0, RESULT_CHARS) };
        log('info', `${label(job)} done in ${clock.now() - startedAt} ms`, { job: id });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        outcome = { lastStatus: 'error', lastError: message };
        log('warn', `${label(job)} failed: ${message}; it keeps its schedule`, { job: id });
      } finally {
        release();
      }
      // The job may have been edited or deleted meanwhile: record on what is there now.
      const current = (await load().catch(() => [] as ScheduledJob[])).find((j) => j.id === id);
      if (!current) return;
      const { lastError: _e, lastResult: _r, ...state } = current.state;
      current.state = { ...state, ...outcome, lastRunAtMs: startedAt, lastDurationMs: clock.now() - startedAt, runs: (state.runs ?? 0) + 1 };
      current.updatedAtMs = clock.now();
      if (current.schedule.kind === 'at' && current.state.nextRunAtMs === undefined) {
        if (current.deleteAfterRun && outcome.lastStatus === 'ok') {
          await store.remove(id);
          await load(); // status() counts from the snapshot
          return;
        }
        current.enabled = false;
      }
      await store.put(current);
    })().catch((error: Error) => log('error', `job ${id}: recording its run failed: ${error.message}`, { job: id }));
    running.set(id, task);
    void task.finally(() => {
      if (running.get(id) === task) running.delete(id);
      arm();
    });
  }

  /**
   * What one job needs now, decided without I/O: `changed` when its state must be written (a
   * next run, a skip, a problem), `run` with the occurrence to run. The job is changed in place.
   */
  function plan(job: ScheduledJob, now: number): { changed: boolean; run?: { at: number; reason: string } } {
    const due = job.state.nextRunAtMs ?? (job.schedule.kind === 'at' && job.state.lastRunAtMs === undefined ? job.schedule.atMs : undefined);
    // The common case first, and without parsing anything: a job waiting for its next run.
    if (due !== undefined && due > now) return { changed: false };
    const problem = unusable(job, now);
    if (problem) {
      if (job.state.lastError === problem && job.state.nextRunAtMs === undefined) return { changed: false };
      job.state = { ...job.state, lastStatus: 'error', lastError: problem };
      delete job.state.nextRunAtMs;
      log('warn', `${label(job)}: ${problem}`, { job: job.id });
      return { changed: true };
    }
    if (due === undefined) {
      // A job without a next run (new from a file, or after an edit) gets one.
      const next = nextAfter(job, now);
      if (next === undefined) return { changed: false };
      job.state = { ...job.state, nextRunAtMs: next };
      return { changed: true };
    }
    const late = now - due > graceMs;
    const next = job.schedule.kind === 'at' ? undefined : nextAfter(job, now);
    job.state = { ...job.state };
    if (next === undefined) delete job.state.nextRunAtMs;
    else job.state.nextRunAtMs = next;
    if (running.has(job.id) || (late && missedPolicy(job) === 'skip')) {
      const why = running.has(job.id) ? 'its previous run was still going' : `it was due at ${new Date(due).toISOString()} while no gateway ran it (missed: skip)`;
      job.state = { ...job.state, lastStatus: 'skipped', lastError: why };
      if (job.schedule.kind === 'at') job.enabled = false;
      log('info', `${label(job)} skipped: ${why}`, { job: job.id });
      return { changed: true };
    }
    return { changed: true, run: { at: due, reason: late ? `missed at ${new Date(due).toISOString()}, run once` : describeSchedule(job.schedule, tz()) } };
  }

  async function tickNow() {
    if (!runner || paused || stopped) return;
    const now = clock.now();
    const changed: ScheduledJob[] = [];
    const due: { job: ScheduledJob; at: number; reason: string }[] = [];
    for (const job of await load()) {
      if (!job.enabled) continue;
      try {
        const { changed: dirty, run } = plan(job, now);
        if (dirty) changed.push(job);
        if (run) due.push({ job, ...run });
      } catch (error) {
        log('error', `${label(job)}: ${(error as Error).message}`, { job: job.id });
      }
    }
    // One write for all (ten thousand jobs read from a PicoClaw file get their next runs in one),
    // and before any run starts: a crash during a run does not run it twice.
    if (changed.length > 0) await store.put(...changed);
    for (const { job, at, reason } of due) {
      if (store.claim && !(await store.claim(job.id, at))) continue;
      launch(job, reason);
    }
  }

  function tick(): Promise<void> {
    ticking ??= tickNow().finally(() => {
      ticking = undefined;
      arm();
    });
    return ticking;
  }

  /** Sets the one timer for the earliest next run, at most a minute away. */
  function arm() {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    if (!started || stopped || !runner || paused) return;
    const now = clock.now();
    let earliest = now + MAX_SLEEP_MS;
    for (const job of snapshot) if (job.enabled && job.state.nextRunAtMs !== undefined && job.state.nextRunAtMs < earliest) earliest = job.state.nextRunAtMs;
    timer = clock.setTimeout(() => void tick(), Math.max(0, earliest - now));
  }

  function build(input: NewJob, now: number, base?: ScheduledJob): ScheduledJob {
    const message = input.message.trim();
    if (!message) throw refuse('the message is empty: say what to send or what the assistant should do');
    if (!input.channel || !input.to) throw refuse('a job needs a target chat: channel and to');
    // Checked when the target is new: a job whose channel was removed since can still be disabled or deleted.
    const target = !base || base.payload.channel !== input.channel ? options.targetProblem?.(input.channel) : undefined;
    if (target) throw refuse(target);
    const problem = scheduleProblem(input.schedule, now, tz()) ?? (input.deliver ? undefined : taskScheduleProblem(input.schedule, now, tz()));
    if (problem) throw refuse(problem);
    const schedule = input.schedule.kind === 'cron' ? { kind: 'cron' as const, expr: input.schedule.expr.trim(), ...(input.schedule.tz ? { tz: input.schedule.tz } : {}) } : input.schedule;
    const job: ScheduledJob = {
      id: base?.id ?? randomBytes(8).toString('hex'),
      name: (input.name?.trim() || message).slice(0, 60),
      enabled: input.enabled ?? true,
      schedule,
      payload: { kind: 'agent_turn', message, channel: input.channel, to: input.to, ...(input.deliver ? { deliver: true } : {}) },
      state: base ? { ...base.state } : {},
      createdAtMs: base?.createdAtMs ?? now,
      updatedAtMs: now,
      deleteAfterRun: schedule.kind === 'at',
      ...(input.missed ? { missed: input.missed } : {}),
    };
    // An edited schedule starts over from now (and keeps `every`'s phase from the edit).
    if (!base || JSON.stringify(base.schedule) !== JSON.stringify(schedule)) {
      if (base && schedule.kind === 'every') job.createdAtMs = now;
      const next = nextAfter(job, now);
      if (next === undefined) delete job.state.nextRunAtMs;
      else job.state.nextRunAtMs = next;
    }
    // A failure belongs to the job as it was: an edit of what or where to send, or when, may well
    // have fixed it, so the banner stops saying it failed (its next run will tell).
    if (base?.state.lastStatus === 'error' && (JSON.stringify(base.schedule) !== JSON.stringify(job.schedule) || JSON.stringify(base.payload) !== JSON.stringify(job.payload))) {
      delete job.state.lastStatus;
      delete job.state.lastError;
    }
    return job;
  }

  function status(): SchedulesStatus {
    // The five earliest in one pass (the dashboard polls this; a store may hold ten thousand jobs).
    const soonest: ScheduledJob[] = [];
    let enabled = 0;
    for (const j of snapshot) {
      if (!j.enabled) continue;
      enabled++;
      const at = j.state.nextRunAtMs;
      if (at === undefined || (soonest.length === 5 && at >= soonest[4]!.state.nextRunAtMs!)) continue;
      const later = soonest.findIndex((o) => o.state.nextRunAtMs! > at);
      soonest.splice(later < 0 ? soonest.length : later, 0, j);
      if (soonest.length > 5) soonest.pop();
    }
    const next = soonest.map((j) => ({ id: j.id, name: j.name, at: new Date(j.state.nextRunAtMs!).toISOString() }));
    const failing = snapshot
      .filter((j) => j.state.lastStatus === 'error')
      .slice(0, 5)
      .map((j) => ({ id: j.id, name: j.name, error: j.state.lastError ?? 'failed', at: new Date(j.state.lastRunAtMs ?? j.updatedAtMs).toISOString() }));
    return { jobs: snapshot.length, enabled, runner, ...(paused ? { paused } : {}), next, failing };
  }

  return {
    async start() {
      started = true;
      await load();
      await tick();
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      controller.abort();
      await Promise.allSettled([...running.values()]);
      await store.flush();
    },
    setRunner(next) {
      if (runner === next) return;
      runner = next;
      log('info', next ? 'this gateway runs the scheduled jobs now' : 'another gateway runs the scheduled jobs');
      if (started) void tick();
    },
    setPaused(reason) {
      if (paused === reason) return;
      paused = reason;
      if (reason) log('warn', `scheduled jobs are paused: ${reason}`);
      if (started) void tick();
    },
    list: load,
    get: async (id) => (await load()).find((j) => j.id === id),
    async add(input) {
      const job = build(input, clock.now());
      await store.put(job);
      snapshot = await store.load();
      log('info', `${label(job)} added: ${describeSchedule(job.schedule, tz())} → ${job.payload.channel}:${job.payload.to}`, { job: job.id });
      arm();
      return job;
    },
    async update(id, patch) {
      const base = await find(id);
      const merged: NewJob = {
        name: patch.name ?? base.name,
        message: patch.message ?? base.payload.message,
        schedule: patch.schedule ?? base.schedule,
        channel: patch.channel ?? base.payload.channel,
        to: patch.to ?? base.payload.to,
        deliver: patch.deliver ?? base.payload.deliver ?? false,
        enabled: patch.enabled ?? base.enabled,
        ...((patch.missed ?? base.missed) ? { missed: patch.missed ?? base.missed } : {}),
      };
      const now = clock.now();
      // Enabling a job again (or editing a disabled once-job) only checks the moment when it matters.
      const job = build(merged, now, base);
      if (patch.enabled === true && !base.enabled) {
        const next = nextAfter(job, now);
        if (next === undefined) delete job.state.nextRunAtMs;
        else job.state.nextRunAtMs = next;
      }
      if (base.payload.command && patch.message === undefined) job.payload.command = base.payload.command;
      await store.put(job);
      snapshot = await store.load();
      arm();
      return job;
    },
    async remove(id) {
      const removed = await store.remove(id);
      snapshot = await store.load();
      arm();
      return removed;
    },
    async runNow(id) {
      const job = await find(id);
      const problem = unusable(job, clock.now());
      if (problem) throw refuse(problem);
      if (running.has(id)) throw refuse(`${label(job)} is running already`);
      launch(job, 'run now');
    },
    status,
    tick,
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running.values()]);
    },
  };
}
