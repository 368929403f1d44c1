/**
 * Schedules as the gateway sees them: one object that `gateway.ts` wires to the agent runtime,
 * the channels and the HTTP server — the job store and scheduler, the job runner, the heartbeat,
 * the `cron` and `message` tools, the last chat, and the `/schedules` API.
 */
import type { Config, JobSchedule, SchedulesStatus } from '@picoclaw/core';
import { isPicoError } from '@picoclaw/core';
import * as z from 'zod';
import type { Cluster } from '../cluster/cluster.js';
import type { Tool } from '../tools/types.js';
import { createCronTool } from './cron-tool.js';
import { createHeartbeat, type Heartbeat } from './heartbeat.js';
import { createJobRunner, type Outbound, type OwnChatDeliveries, type TurnRunner } from './job-runner.js';
import { createFileJobStore, jobsPath, type JobStore } from './job-store.js';
import { createLastChat } from './last-chat.js';
import { leadSchedules } from './lead-schedules.js';
import { createMessageTool } from './message-tool.js';
import { nextRuns, scheduleProblem } from './schedule.js';
import { defaultTimeZone } from './wall-clock.js';
import { createScheduler, systemClock, type Clock, type Scheduler } from './scheduler.js';
import { channelProblem } from './targets.js';

type Log = (level: 'debug' | 'info' | 'warn' | 'error', message: string, meta?: Record<string, unknown>) => void;

export interface ScheduleTargets {
  targets(): { channel: string; type: string; to: string; label: string }[];
}

export interface SchedulesDeps {
  config(): Config;
  runtime: TurnRunner;
  outbound: Outbound & ScheduleTargets;
  log: Log;
  /** Where jobs live; default `<workspace>/cron/jobs.json`. Gateways on Redis pass a shared store. */
  store?: JobStore & { changed?(): Promise<boolean> };
  /** Gateways on Redis: jobs run only while this one holds the cluster's `schedules` lease. */
  cluster?: Pick<Cluster, 'leadership'>;
  clock?: Clock;
  /** The zone of jobs without one; default the process's (TZ). */
  timeZone?: string;
}

export interface Schedules {
  /**
   * The `cron` and `message` tools the config enables. A chat's own turn gets `message` only when
   * it may reach other chats (`tools.message.allow_targets`): its answer already goes to its own.
   */
  tools(turn?: { ephemeral?: boolean }): Tool[];
  /** A person wrote from this chat (for the heartbeat's default target). */
  seen(channel: string, chatId: string): void;
  /** Reads the jobs and starts the timers; the gateway calls it once it is ready. */
  start(): Promise<void>;
  /** Follows a reloaded config. */
  configure(): void;
  /** In a cluster: whether this gateway is the one that runs jobs. */
  setRunner(runner: boolean): void;
  status(): SchedulesStatus;
  /** `/schedules…` on the gateway's HTTP server; `path` is what follows `/schedules`. */
  api(method: string, path: string, body: unknown): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
  readonly scheduler: Scheduler;
  readonly heartbeat: Heartbeat;
}

const scheduleInput = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('at'), atMs: z.number().finite() }),
  z.strictObject({ kind: z.literal('every'), everyMs: z.number().finite() }),
  z.strictObject({ kind: z.literal('cron'), expr: z.string().max(200), tz: z.string().max(64).optional() }),
]);
const jobFields = {
  name: z.string().max(200).optional(),
  message: z.string().max(20_000),
  schedule: scheduleInput,
  channel: z.string().max(128),
  to: z.string().max(256),
  deliver: z.boolean().optional(),
  missed: z.enum(['run', 'skip']).optional(),
  enabled: z.boolean().optional(),
};
const newJobInput = z.strictObject(jobFields);
const patchInput = z.strictObject(jobFields).partial();

export function createSchedules(deps: SchedulesDeps): Schedules {
  const clock = deps.clock ?? systemClock;
  // Asked for on first use, after readiness: ICU's time-zone data costs ~120 M instructions to load.
  let tz = deps.timeZone;
  const timeZone = () => (tz ??= defaultTimeZone());
  const workspace = () => deps.config().agents.defaults.workspace;
  const store = deps.store ?? createFileJobStore({ workspace: workspace(), warn: (m) => deps.log('warn', m) });
  const deliveries: OwnChatDeliveries = new Map();
  const lastChat = createLastChat(workspace, (m) => deps.log('warn', m));
  let runner = !deps.cluster;
  let lead: { stop(): Promise<void> } | undefined;
  const targetProblem = (channel: string) => channelProblem(deps.config(), channel);
  const scheduler = createScheduler({
    store,
    runner,
    clock,
    log: deps.log,
    timeZone,
    targetProblem,
    run: createJobRunner({ runtime: deps.runtime, outbound: deps.outbound, deliveries, timeZone, now: () => clock.now() }),
  });
  const heartbeat = createHeartbeat({
    config: deps.config,
    runtime: deps.runtime,
    outbound: deps.outbound,
    deliveries,
    lastChat: () => lastChat.get(),
    isRunner: () => runner,
    timeZone,
    clock,
    log: (level, message) => deps.log(level, message),
  });
  function setRunner(next: boolean) {
    runner = next;
    scheduler.setRunner(next);
  }
  const allowTargets = () => deps.config().tools.message.allow_targets;
  // Made at their first use (their JSON Schemas are built then), not on the way to readiness.
  let cronTool: Tool | undefined;
  let messageTool: Tool | undefined;

  /**
   * A gateway moving to Redis brings the jobs of its jobs.json along, once: while the shared store
   * is empty. (Gateways starting together may each copy the same jobs: same ids, same content.)
   */
  async function importFileJobs() {
    const file = createFileJobStore({ workspace: workspace(), warn: (m) => deps.log('warn', m) });
    const jobs = await file.load();
    if (jobs.length === 0 || (await store.load()).length > 0) return;
    await store.put(...jobs);
    deps.log('info', `copied ${jobs.length} scheduled job(s) from ${jobsPath(workspace())} to Redis, which holds the jobs from now on`);
  }

  function configure() {
    const cfg = deps.config();
    scheduler.setPaused(cfg.tools.cron.enabled ? undefined : 'tools.cron.enabled is false');
    heartbeat.configure();
  }

  const answer = (status: number, body: unknown) => ({ status, body });
  function refusal(error: unknown) {
    if (isPicoError(error, 'invalid_input')) return answer(error.status ?? 400, { error: error.message });
    throw error;
  }
  function parse<T>(schema: z.ZodType<T>, body: unknown): T | { error: string } {
    const parsed = schema.safeParse(body);
    return parsed.success ? parsed.data : { error: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') };
  }
  const isError = (v: unknown): v is { error: string } => !!v && typeof v === 'object' && 'error' in v && Object.keys(v).length === 1;


  async function api(method: string, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
    try {
      if (path === '' || path === '/') {
        if (method === 'GET') return answer(200, { jobs: await scheduler.list(), timezone: timeZone(), runner, ...(scheduler.status().paused ? { paused: scheduler.status().paused } : {}) });
        if (method !== 'POST') return answer(405, { error: 'use GET or POST' });
        const input = parse(newJobInput, body);
        if (isError(input)) return answer(400, input);
        return answer(201, { job: await scheduler.add(input) });
      }
      if (path === '/preview') {
        if (method !== 'POST') return answer(405, { error: 'use POST' });
        const input = parse(z.object({ schedule: scheduleInput }), body);
        if (isError(input)) return answer(400, input);
        const schedule = input.schedule as JobSchedule;
        const now = clock.now();
        const problem = scheduleProblem(schedule, now, timeZone());
        if (problem) return answer(200, { ok: false, error: problem });
        return answer(200, { ok: true, timezone: schedule.kind === 'cron' && schedule.tz ? schedule.tz : timeZone(), next: nextRuns(schedule, now, 5, { defaultTz: timeZone() }).map((ms) => new Date(ms).toISOString()) });
      }
      // "Test my heartbeat": one beat now, with what came of it (no-tasks, ok, sent, …).
      if (path === '/heartbeat') return method === 'POST' ? answer(200, { outcome: await heartbeat.beat() }) : answer(405, { error: 'use POST' });
      if (path === '/targets') return method === 'GET' ? answer(200, { targets: deps.outbound.targets() }) : answer(405, { error: 'use GET' });
      const m = /^\/([A-Za-z0-9_-]{1,64})(\/run)?$/.exec(path);
      if (!m) return answer(404, { error: `no route ${method} /schedules${path}` });
      const id = m[1]!;
      if (m[2]) {
        if (method !== 'POST') return answer(405, { error: 'use POST' });
        await scheduler.runNow(id);
        return answer(202, { status: 'started' });
      }
      if (method === 'GET') {
        const job = await scheduler.get(id);
        return job ? answer(200, { job }) : answer(404, { error: `no job with id ${id}` });
      }
      if (method === 'DELETE') return (await scheduler.remove(id)) ? answer(200, { status: 'deleted' }) : answer(404, { error: `no job with id ${id}` });
      if (method === 'PATCH') {
        const input = parse(patchInput, body);
        if (isError(input)) return answer(400, input);
        return answer(200, { job: await scheduler.update(id, input) });
      }
      return answer(405, { error: 'use GET, PATCH or DELETE' });
    } catch (error) {
      return refusal(error);
    }
  }

  return {
    scheduler,
    heartbeat,
    tools(turn) {
      const t = deps.config().tools;
      const message = t.message.enabled && (!turn || turn.ephemeral === true || t.message.allow_targets.length > 0);
      return [
        ...(t.cron.enabled ? [(cronTool ??= createCronTool({ scheduler, timeZone, allowTargets, now: () => clock.now() }))] : []),
        ...(message ? [(messageTool ??= createMessageTool({ outbound: deps.outbound, runtime: deps.runtime, deliveries, allowTargets }))] : []),
      ];
    },
    seen: (channel, chatId) => lastChat.seen(channel, chatId),
    async start() {
      await lastChat.load();
      if (deps.store) await importFileJobs();
      configure();
      await scheduler.start();
      if (deps.cluster) {
        const changed = async () => (await deps.store?.changed?.()) ?? false;
        lead = leadSchedules({ cluster: deps.cluster, changed, tick: () => scheduler.tick(), refresh: () => scheduler.list(), setRunner, log: deps.log });
      }
    },
    configure,
    setRunner,
    status: () => scheduler.status(),
    api,
    async close() {
      await lead?.stop();
      heartbeat.stop();
      await scheduler.stop();
    },
  };
}
