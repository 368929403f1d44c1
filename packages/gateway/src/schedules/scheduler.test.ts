import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScheduledJob } from '@picoclaw/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileJobStore, type JobStore } from './job-store.js';
import { createScheduler, type Clock, type JobRun } from './scheduler.js';

/** A clock moved by hand; timers fire only through `advance`. */
function fakeClock(start: string) {
  let now = Date.parse(start);
  const timers = new Set<{ at: number; fn: () => void }>();
  const clock: Clock & { set(iso: string): void; advance(ms: number): void; nextTimer(): number | undefined } = {
    now: () => now,
    setTimeout(fn, ms) {
      const t = { at: now + ms, fn };
      timers.add(t);
      return t;
    },
    clearTimeout: (t) => void timers.delete(t as { at: number; fn: () => void }),
    set(iso) {
      now = Date.parse(iso);
    },
    advance(ms) {
      now += ms;
      for (const t of [...timers].filter((x) => x.at <= now)) {
        timers.delete(t);
        t.fn();
      }
    },
    nextTimer: () => Math.min(...[...timers].map((t) => t.at)),
  };
  return clock;
}

function memoryStore(claims?: Set<string>): JobStore & { jobs: Map<string, ScheduledJob> } {
  const jobs = new Map<string, ScheduledJob>();
  return {
    jobs,
    load: async () => [...jobs.values()],
    put: async (...list) => void list.forEach((job) => jobs.set(job.id, job)),
    remove: async (id) => jobs.delete(id),
    flush: async () => {},
    ...(claims ? { claim: async (id: string, at: number) => !claims.has(`${id}@${at}`) && !!claims.add(`${id}@${at}`) } : {}),
  };
}

const quiet = () => {};
const target = { channel: 'telegram', to: '42' };

function setup(options: { start?: string; store?: JobStore; run?: JobRun; tz?: string } = {}) {
  const clock = fakeClock(options.start ?? '2026-12-06T10:00:00Z');
  const runs: { id: string; at: number; nextWritten: number | undefined }[] = [];
  const store = options.store ?? memoryStore();
  const scheduler = createScheduler({
    store,
    clock,
    log: quiet,
    timeZone: () => options.tz ?? 'Europe/Madrid',
    run:
      options.run ??
      (async (job) => {
        // What the store holds while the job runs: its next run must already be there.
        const stored = (await store.load()).find((j) => j.id === job.id);
        runs.push({ id: job.id, at: clock.now(), nextWritten: stored?.state.nextRunAtMs });
        return `ran ${job.name}`;
      }),
  });
  return { clock, scheduler, runs, store };
}

async function settle(s: ReturnType<typeof setup>['scheduler']) {
  await s.tick();
  await s.idle();
}

describe('scheduler: adding jobs', () => {
  it('refuses what would never fire, with a sentence naming the problem', async () => {
    const { scheduler } = setup();
    await scheduler.start();
    await expect(scheduler.add({ message: 'x', schedule: { kind: 'cron', expr: '61 * * * *' }, ...target })).rejects.toThrow(/not a valid cron expression.*minute/);
    await expect(scheduler.add({ message: 'x', schedule: { kind: 'cron', expr: '0 8 * *' }, ...target })).rejects.toThrow(/needs 5 fields/);
    await expect(scheduler.add({ message: 'x', schedule: { kind: 'cron', expr: '0 8 * * *', tz: 'Mars/Olympus' }, ...target })).rejects.toThrow(/not a time zone/);
    await expect(scheduler.add({ message: 'x', schedule: { kind: 'at', atMs: Date.parse('2026-12-06T09:00:00Z') }, ...target })).rejects.toThrow(/in the past/);
    await expect(scheduler.add({ message: 'x', schedule: { kind: 'every', everyMs: 1000 }, ...target })).rejects.toThrow(/at least 1 minute/);
    await expect(scheduler.add({ message: '  ', schedule: { kind: 'every', everyMs: 60_000 }, ...target })).rejects.toThrow(/message is empty/);
    // Seconds are fine for a plain message, not for a task (a model call each time).
    await expect(scheduler.add({ message: 'x', schedule: { kind: 'cron', expr: '*/10 * * * * *' }, ...target })).rejects.toThrow(/more often than once a minute/);
    await scheduler.add({ message: 'x', deliver: true, schedule: { kind: 'cron', expr: '*/10 * * * * *' }, ...target });
    await scheduler.remove((await scheduler.list())[0]!.id);
    expect(await scheduler.list()).toEqual([]);
  });

  it('honours the time zone across a daylight-saving change', async () => {
    const { scheduler } = setup({ start: '2026-10-24T12:00:00Z' });
    await scheduler.start();
    const job = await scheduler.add({ message: 'porch light off', schedule: { kind: 'cron', expr: '0 23 * * *', tz: 'Europe/Madrid' }, ...target });
    // 23:00 in Madrid is 21:00 UTC in summer time (CEST)…
    expect(new Date(job.state.nextRunAtMs!).toISOString()).toBe('2026-10-24T21:00:00.000Z');
    const ny = await scheduler.add({ message: 'x', schedule: { kind: 'cron', expr: '30 7 * * 1-5', tz: 'America/New_York' }, ...target });
    expect(new Date(ny.state.nextRunAtMs!).toISOString()).toBe('2026-10-26T11:30:00.000Z');
  });
});

describe('scheduler: running', () => {
  it('runs a due job once, with its next run written before it starts', async () => {
    const { scheduler, clock, runs, store } = setup({ start: '2026-10-24T20:59:00Z' });
    await scheduler.start();
    const job = await scheduler.add({ message: 'porch light off', schedule: { kind: 'cron', expr: '0 23 * * *', tz: 'Europe/Madrid' }, ...target });
    await settle(scheduler);
    expect(runs).toEqual([]);
    clock.set('2026-10-24T21:00:00Z');
    await settle(scheduler);
    await settle(scheduler); // a second tick at the same moment does not run it again
    expect(runs).toHaveLength(1);
    // …and after the clocks go back, 23:00 is 22:00 UTC.
    expect(new Date(runs[0]!.nextWritten!).toISOString()).toBe('2026-10-25T22:00:00.000Z');
    const stored = (await store.load()).find((j) => j.id === job.id)!;
    expect(stored.state).toMatchObject({ lastStatus: 'ok', lastResult: 'ran porch light off', runs: 1, lastRunAtMs: Date.parse('2026-10-24T21:00:00Z') });
  });

  it('sets its one timer for the earliest next run', async () => {
    const { scheduler, clock, runs } = setup({ start: '2026-12-06T10:00:00Z' });
    await scheduler.start();
    await scheduler.add({ message: 'soon', schedule: { kind: 'at', atMs: Date.parse('2026-12-06T10:00:30Z') }, ...target });
    expect(clock.nextTimer()).toBe(Date.parse('2026-12-06T10:00:30Z'));
    clock.advance(30_000);
    await scheduler.idle();
    await new Promise((r) => setTimeout(r, 10));
    await scheduler.idle();
    expect(runs).toHaveLength(1);
  });

  it('deletes a one-time job after it ran, and disables it (keeping the error) when it failed', async () => {
    const { scheduler, clock, store } = setup({
      run: async (job) => {
        if (job.name === 'bad') throw new Error('telegram: chat 42 is not in allow_from');
        return 'ok';
      },
    });
    await scheduler.start();
    await scheduler.add({ name: 'good', message: 'bins', schedule: { kind: 'at', atMs: Date.parse('2026-12-06T11:00:00Z') }, ...target });
    const bad = await scheduler.add({ name: 'bad', message: 'bins', schedule: { kind: 'at', atMs: Date.parse('2026-12-06T11:00:00Z') }, ...target });
    clock.set('2026-12-06T11:00:00Z');
    await settle(scheduler);
    const left = await store.load();
    expect(left.map((j) => j.name)).toEqual(['bad']);
    expect(left[0]).toMatchObject({ id: bad.id, enabled: false, state: { lastStatus: 'error', lastError: 'telegram: chat 42 is not in allow_from' } });
    expect(scheduler.status().failing).toEqual([expect.objectContaining({ id: bad.id, error: 'telegram: chat 42 is not in allow_from' })]);
    expect(scheduler.status().jobs).toBe(1);
  });

  it('a failing repeating job keeps its schedule and runs again next time', async () => {
    let calls = 0;
    const { scheduler, clock, store } = setup({
      run: async () => {
        calls++;
        throw new Error('model down');
      },
    });
    await scheduler.start();
    const job = await scheduler.add({ message: 'weather', schedule: { kind: 'every', everyMs: 3_600_000 }, ...target });
    clock.advance(3_600_000);
    await settle(scheduler);
    clock.advance(3_600_000);
    await settle(scheduler);
    expect(calls).toBe(2);
    const stored = (await store.load())[0]!;
    expect(stored).toMatchObject({ id: job.id, enabled: true, state: { lastStatus: 'error', lastError: 'model down', runs: 2 } });
    expect(stored.state.nextRunAtMs).toBe(job.createdAtMs + 3 * 3_600_000);
  });

  it('skips an occurrence while the previous run is still going', async () => {
    let release!: () => void;
    const { scheduler, clock, store } = setup({ run: () => new Promise<string>((r) => (release = () => r('done'))) });
    await scheduler.start();
    await scheduler.add({ message: 'slow', schedule: { kind: 'every', everyMs: 60_000 }, ...target });
    clock.advance(60_000);
    await scheduler.tick();
    clock.advance(60_000);
    await scheduler.tick();
    expect((await store.load())[0]!.state).toMatchObject({ lastStatus: 'skipped', lastError: 'its previous run was still going' });
    release();
    await scheduler.idle();
    expect((await store.load())[0]!.state).toMatchObject({ lastStatus: 'ok', runs: 1 });
  });

  it('runs an occurrence only on the gateway that claims it', async () => {
    const claims = new Set<string>();
    const a = setup({ store: memoryStore(claims) });
    const b = setup({ store: memoryStore(claims) });
    for (const s of [a, b]) await s.scheduler.start();
    const job = await a.scheduler.add({ message: 'x', schedule: { kind: 'every', everyMs: 60_000 }, ...target });
    await b.store.put(structuredClone(job));
    for (const s of [a, b]) s.clock.advance(60_000);
    await Promise.all([settle(a.scheduler), settle(b.scheduler)]);
    expect(a.runs.length + b.runs.length).toBe(1);
  });

  it('does not run while paused or when another gateway is the runner', async () => {
    const { scheduler, clock, runs } = setup();
    await scheduler.start();
    await scheduler.add({ message: 'x', schedule: { kind: 'every', everyMs: 60_000 }, ...target });
    scheduler.setPaused('tools.cron.enabled is false');
    clock.advance(60_000);
    await settle(scheduler);
    scheduler.setRunner(false);
    scheduler.setPaused(undefined);
    clock.advance(60_000);
    await settle(scheduler);
    expect(runs).toEqual([]);
    expect(scheduler.status()).toMatchObject({ runner: false, jobs: 1, enabled: 1 });
  });
});

describe('scheduler: downtime', () => {
  let dir: string;
  afterEach(async () => dir && rm(dir, { recursive: true, force: true }));

  it('keeps jobs in jobs.json across a restart and settles missed runs once, by policy', async () => {
    dir = await mkdtemp(join(tmpdir(), 'picoclaw-sched-'));
    const first = setup({ start: '2026-12-06T10:00:00Z', store: createFileJobStore({ workspace: dir }) });
    await first.scheduler.start();
    const reminder = await first.scheduler.add({ message: 'bins', deliver: true, schedule: { kind: 'at', atMs: Date.parse('2026-12-06T12:00:00Z') }, ...target });
    const hourly = await first.scheduler.add({ message: 'hourly', schedule: { kind: 'every', everyMs: 3_600_000 }, ...target });
    const catchUp = await first.scheduler.add({ message: 'daily report', missed: 'run', schedule: { kind: 'cron', expr: '0 8 * * *', tz: 'UTC' }, ...target });
    await first.scheduler.stop();
    const file = JSON.parse(await readFile(join(dir, 'cron', 'jobs.json'), 'utf8')) as { version: number; jobs: ScheduledJob[] };
    expect(file.version).toBe(1);
    expect(file.jobs.map((j) => j.id)).toEqual([reminder.id, hourly.id, catchUp.id]);

    // Down for two days: the reminder is late, the hourly job missed 46 runs, the daily report two.
    const second = setup({ start: '2026-12-08T09:30:00Z', store: createFileJobStore({ workspace: dir }) });
    await second.scheduler.start();
    await second.scheduler.idle();
    expect(second.runs.map((r) => r.id).sort()).toEqual([reminder.id, catchUp.id].sort());
    const after = await second.store.load();
    expect(after.find((j) => j.id === hourly.id)!.state).toMatchObject({ lastStatus: 'skipped', nextRunAtMs: hourly.createdAtMs + 48 * 3_600_000 });
    expect(after.find((j) => j.id === catchUp.id)!.state).toMatchObject({ lastStatus: 'ok', runs: 1, nextRunAtMs: Date.parse('2026-12-09T08:00:00Z') });
    expect(after.find((j) => j.id === reminder.id)).toBeUndefined();
  });

  it('reads a PicoClaw jobs.json: a shell job and a broken expression are reported, never run; other jobs are scheduled', async () => {
    dir = await mkdtemp(join(tmpdir(), 'picoclaw-sched-'));
    await mkdir(join(dir, 'cron'));
    const base = { enabled: true, createdAtMs: Date.parse('2026-12-01T00:00:00Z'), updatedAtMs: 0, deleteAfterRun: false, state: {} };
    await writeFile(
      join(dir, 'cron', 'jobs.json'),
      JSON.stringify({
        version: 1,
        jobs: [
          { ...base, id: 'a1b2c3d4e5f60718', name: 'backup', schedule: { kind: 'cron', expr: '0 3 * * *' }, payload: { kind: 'agent_turn', message: '', command: 'tar czf /tmp/b.tgz ~', channel: 'telegram', to: '42' } },
          { ...base, id: 'b1b2c3d4e5f60718', name: 'typo', schedule: { kind: 'cron', expr: '0 25 * * *' }, payload: { kind: 'agent_turn', message: 'x', channel: 'telegram', to: '42' } },
          { ...base, id: 'c1b2c3d4e5f60718', name: 'ok', schedule: { kind: 'cron', expr: '0 12 * * *', tz: 'UTC' }, payload: { kind: 'agent_turn', message: 'lunch', channel: 'telegram', to: '42' } },
          { id: 'not a job' },
        ],
      }),
    );
    const warnings: string[] = [];
    const s = setup({ store: createFileJobStore({ workspace: dir, warn: (m) => warnings.push(m) }) });
    await s.scheduler.start();
    await s.scheduler.idle();
    expect(s.runs).toEqual([]);
    const jobs = await s.scheduler.list();
    expect(jobs.find((j) => j.name === 'backup')!.state.lastError).toMatch(/shell-command job.*does not run it/);
    expect(jobs.find((j) => j.name === 'typo')!.state.lastError).toMatch(/not a valid cron expression/);
    expect(jobs.find((j) => j.name === 'ok')!.state.nextRunAtMs).toBe(Date.parse('2026-12-06T12:00:00Z'));
    expect(warnings.join('\n')).toMatch(/job not a job/);
    // The unreadable entry is kept in the file when it is written again.
    await s.scheduler.update(jobs.find((j) => j.name === 'ok')!.id, { name: 'lunch' });
    expect(await readFile(join(dir, 'cron', 'jobs.json'), 'utf8')).toContain('"not a job"');
  });

  it('moves a jobs.json that is not JSON aside instead of overwriting it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'picoclaw-sched-'));
    await mkdir(join(dir, 'cron'));
    await writeFile(join(dir, 'cron', 'jobs.json'), '{"version":1, "jobs": [');
    const warnings: string[] = [];
    const s = setup({ store: createFileJobStore({ workspace: dir, warn: (m) => warnings.push(m) }) });
    await s.scheduler.start();
    expect(warnings.join('\n')).toMatch(/not valid JSON.*moved it to .*jobs\.json\.bad-/);
    expect(await s.scheduler.list()).toEqual([]);
  });

  it('sees a job another process added to the file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'picoclaw-sched-'));
    const s = setup({ store: createFileJobStore({ workspace: dir }) });
    await s.scheduler.start();
    await s.scheduler.add({ message: 'mine', schedule: { kind: 'every', everyMs: 60_000 }, ...target });
    const other = createFileJobStore({ workspace: dir });
    const [mine] = await other.load();
    await new Promise((r) => setTimeout(r, 20)); // a different mtime
    await other.put({ ...mine!, id: 'ffffffffffffffff', name: 'theirs' });
    expect((await s.scheduler.list()).map((j) => j.name).sort()).toEqual(['mine', 'theirs']);
  });
});

describe('scheduler: status', () => {
  it('lists the five earliest next runs, and counts', async () => {
    const { scheduler } = setup();
    await scheduler.start();
    for (const minutes of [50, 10, 40, 20, 60, 30, 70]) await scheduler.add({ name: `in ${minutes}`, message: 'x', schedule: { kind: 'at', atMs: NOW_PLUS(minutes) }, ...target });
    await scheduler.update((await scheduler.list()).find((j) => j.name === 'in 10')!.id, { enabled: false });
    expect(scheduler.status().next.map((n) => n.name)).toEqual(['in 20', 'in 30', 'in 40', 'in 50', 'in 60']);
    expect(scheduler.status()).toMatchObject({ jobs: 7, enabled: 6, runner: true, failing: [] });
  });
});

function NOW_PLUS(minutes: number) {
  return Date.parse('2026-12-06T10:00:00Z') + minutes * 60_000;
}

describe('scheduler: targets', () => {
  it('checks the channel when a job is made or moved, but lets a job whose channel went away be disabled', async () => {
    let configured = new Set(['telegram']);
    const store = memoryStore();
    const scheduler = createScheduler({ store, clock: fakeClock('2026-12-06T10:00:00Z'), log: quiet, run: async () => '', targetProblem: (c) => (configured.has(c) ? undefined : `no channel named "${c}" in channel_list`) });
    await scheduler.start();
    await expect(scheduler.add({ message: 'x', schedule: { kind: 'every', everyMs: 60_000 }, channel: 'matrix', to: '1' })).rejects.toThrow('no channel named "matrix" in channel_list');
    const job = await scheduler.add({ message: 'x', schedule: { kind: 'every', everyMs: 60_000 }, ...target });
    configured = new Set();
    expect((await scheduler.update(job.id, { enabled: false })).enabled).toBe(false);
    await expect(scheduler.update(job.id, { channel: 'mqtt' })).rejects.toThrow('no channel named "mqtt"');
  });
});

describe('scheduler: edits', () => {
  it('an edit of the schedule or payload clears a failure (the banner stops); enabling alone does not', async () => {
    const { scheduler, clock } = setup({ run: async () => { throw new Error('model down'); } });
    await scheduler.start();
    const job = await scheduler.add({ message: 'weather', schedule: { kind: 'every', everyMs: 3_600_000 }, ...target });
    clock.advance(3_600_000);
    await settle(scheduler);
    expect(scheduler.status().failing).toHaveLength(1);
    await scheduler.update(job.id, { enabled: false });
    await scheduler.update(job.id, { enabled: true });
    expect(scheduler.status().failing).toHaveLength(1);
    await scheduler.update(job.id, { message: 'the weather, briefly' });
    expect(scheduler.status().failing).toEqual([]);
    expect((await scheduler.get(job.id))!.state).toMatchObject({ runs: 1 });
  });
});
