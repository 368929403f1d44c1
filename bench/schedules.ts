/**
 * Schedules at scale: a `<workspace>/cron/jobs.json` of 10,000 jobs as a busy household (or a
 * small fleet) might hold after a few years — cron expressions in several time zones, intervals,
 * one-off reminders, on the bench's configured channels — and, in this process, what the
 * scheduler costs with that many jobs in the file store a lone gateway uses: one timer tick with
 * nothing due, and settling 1,000 jobs due at once (plain `deliver` reminders sent with a no-op:
 * the scheduler's and the file's work, not the channels').
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobSchedule, ScheduledJob } from '@picoclaw/core';
import { createFileJobStore } from '../packages/gateway/src/schedules/job-store.js';
import { nextRunAfter } from '../packages/gateway/src/schedules/schedule.js';
import { createScheduler, type Clock } from '../packages/gateway/src/schedules/scheduler.js';

const round = (x: number) => Math.round(x * 10) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

const ZONES = ['Europe/Madrid', 'Europe/London', 'America/New_York', 'America/Los_Angeles', 'Asia/Tokyo', 'Australia/Sydney'];
const HOURS = [6, 7, 8, 12, 18, 20, 22, 23];
const FORMS = (m: number, h: number) => [`${m} ${h} * * *`, `${m} ${h} * * 1-5`, `${m} ${h} * * 0`];
const TARGETS = (i: number) => [{ channel: 'telegram', to: String(100_000 + (i % 20)) }, { channel: 'mqtt', to: `room${i % 10}` }, { channel: 'pico', to: `s${i % 5}` }][i % 3]!;
const TASKS = ['Turn off the porch light', 'Which windows are open? Tell me only if any is', 'Send me the weather for today', 'Take the bins out', 'Water the plants', 'Weekly digest: energy use and open alerts'];
const MIN = 60_000;

/**
 * `count` jobs in PicoClaw's shape with their next runs worked out as the gateway would have
 * written them, none due within 10 minutes of `now` (the bench must not fire them). Cron
 * expressions come from a few hundred (expression, zone) pairs, as people pick round hours.
 */
export function makeJobs(count: number, now: number): ScheduledJob[] {
  const crons: { schedule: JobSchedule; next: number }[] = [];
  for (const tz of ZONES)
    for (const h of HOURS)
      for (const m of [0, 30])
        for (const expr of FORMS(m, h)) {
          const schedule: JobSchedule = { kind: 'cron', expr, tz };
          const next = nextRunAfter(schedule, now);
          if (next !== undefined && next > now + 10 * MIN) crons.push({ schedule, next });
        }
  const jobs: ScheduledJob[] = [];
  for (let i = 0; i < count; i++) {
    const id = `5c4ed0${i.toString(16).padStart(10, '0')}`;
    const target = TARGETS(i);
    const task = TASKS[i % TASKS.length]!;
    const kind = i % 4 < 2 ? 'cron' : i % 4 === 2 ? 'every' : 'at';
    let schedule: JobSchedule;
    let next: number;
    let created = now - 30 * 86_400_000 + i * 1000;
    if (kind === 'cron') {
      ({ schedule, next } = crons[i % crons.length]!);
    } else if (kind === 'every') {
      const everyMs = [60, 120, 360, 720, 1440][i % 5]! * MIN;
      schedule = { kind: 'every', everyMs };
      // Created so that the next run of the interval is 10 minutes to a day away.
      next = now + 10 * MIN + (i % 1440) * (everyMs / 1440);
      created = next - everyMs * (1 + (i % 7));
    } else {
      schedule = { kind: 'at', atMs: now + 60 * MIN + (i % 43_200) * MIN };
      next = schedule.atMs;
      created = now - (i % 1000) * MIN;
    }
    const ran = kind !== 'at' && i % 3 === 0;
    const failing = i % 97 === 0;
    jobs.push({
      id,
      name: task.slice(0, 30),
      enabled: i % 31 !== 0,
      schedule,
      payload: { kind: 'agent_turn', message: `${task} (${i})`, channel: target.channel, to: target.to, deliver: kind === 'at' || i % 2 === 0 },
      state: {
        nextRunAtMs: next,
        ...(ran ? { lastRunAtMs: now - 86_400_000, lastStatus: 'ok' as const, lastDurationMs: 800, lastResult: `Done: ${task.toLowerCase()}.`, runs: 1 + (i % 30) } : {}),
        ...(failing ? { lastRunAtMs: now - 3_600_000, lastStatus: 'error' as const, lastError: 'telegram: chat 100007 is not in allow_from' } : {}),
      },
      createdAtMs: created,
      updatedAtMs: created,
      deleteAfterRun: kind === 'at',
    });
  }
  return jobs;
}

/** PicoClaw's file, written as the job store writes it. */
export const jobsFileText = (jobs: ScheduledJob[]) => `${JSON.stringify({ version: 1, jobs }, null, 2)}\n`;

/**
 * The scheduler in this process with `count` jobs in a jobs.json: a tick with nothing due (what
 * the gateway pays at least once a minute), then `due` deliver jobs due at once and settled
 * (next runs written, each run, its outcome recorded) with a send that does nothing.
 */
export async function schedulerFigures(count = 10_000, due = 1_000) {
  const now = Date.now();
  const all = makeJobs(count, now);
  const chosen = all.filter((j) => j.enabled && j.payload.deliver && j.schedule.kind === 'cron').slice(0, due);
  const dir = await mkdtemp(join(tmpdir(), 'picoclaw-bench-jobs-'));
  await mkdir(join(dir, 'cron'));
  await writeFile(join(dir, 'cron', 'jobs.json'), jobsFileText(all));
  const store = createFileJobStore({ workspace: dir });
  const clock: Clock = { now: () => now, setTimeout: () => undefined, clearTimeout: () => {} };
  const scheduler = createScheduler({ store, clock, log: () => {}, timeZone: () => 'Europe/Madrid', run: async (job) => job.payload.message });
  let started = performance.now();
  await scheduler.start();
  const ticks = [performance.now() - started];
  // More ticks while they are cheap (≤ 3 s in all), for a steadier figure.
  while (ticks.length < 5 && ticks.reduce((a, b) => a + b, 0) < 3000) {
    started = performance.now();
    await scheduler.tick();
    ticks.push(performance.now() - started);
  }
  // Made due as the gateway would find them at their minute: through the file.
  const ids = new Set(chosen.map((j) => j.id));
  for (const job of all) if (ids.has(job.id)) job.state.nextRunAtMs = now - 1000;
  await writeFile(join(dir, 'cron', 'jobs.json'), jobsFileText(all));
  await store.load();
  started = performance.now();
  await scheduler.tick();
  await scheduler.idle();
  await store.flush();
  const settleMs = performance.now() - started;
  const settled = (await store.load()).filter((j) => ids.has(j.id) && j.state.lastRunAtMs === now).length;
  await scheduler.stop();
  await rm(dir, { recursive: true, force: true });
  return { jobs: count, idleTickMs: round(median(ticks)), ticks: ticks.length, due: chosen.length, settled, settleMs: round(settleMs), perJobMs: round((settleMs / Math.max(1, chosen.length)) * 100) / 100 };
}
