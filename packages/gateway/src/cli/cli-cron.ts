/**
 * `picoclaw cron list|add|remove|enable|disable|run|targets`: scheduled jobs from the terminal.
 * With a gateway running for this home, every change goes through its `/schedules` API, so its
 * timer sees it at once and a cluster's shared store is used; without one, the jobs file
 * (`<workspace>/cron/jobs.json`) is changed through the same job store and scheduler the gateway
 * uses (their checks included), whose timer is never started here.
 */
import { readFile, stat } from 'node:fs/promises';
import { isPicoError, loadConfig, type Config, type ScheduledJob } from '@picoclaw/core';
import { createFileJobStore, jobsPath } from '../schedules/job-store.js';
import { describeSchedule, nextRuns } from '../schedules/schedule.js';
import { defaultTimeZone, formatIn } from '../schedules/wall-clock.js';
import { createScheduler, type JobPatch, type NewJob } from '../schedules/scheduler.js';
import { channelProblem } from '../schedules/targets.js';
import { findGateway, load, type CliIo } from './cli-commands.js';
import { withProgress } from './cli-style.js';
import { parseCronArgs, resolveSchedule, type CronArgs } from './cron-args.js';

/** A request the user must change (a bad schedule, an unknown channel or job): exit 2. */
class Refused extends Error {}
/** Something else went wrong (no gateway where one is needed, the gateway failed): exit 1. */
class Failed extends Error {}

interface Target {
  channel: string;
  type: string;
  to: string;
  label: string;
}

/** Where the jobs are: a running gateway's API, or the jobs file. */
interface Jobs {
  source: 'gateway' | 'file';
  /** The gateway's URL or the file's path. */
  where: string;
  /** The zone of jobs without one, and of times printed. */
  timeZone: string;
  /** Why jobs do not run, when they do not. */
  paused?: string;
  /** This gateway runs the jobs (false: another member of its cluster does). */
  runner?: boolean;
  list(): Promise<ScheduledJob[]>;
  add(job: NewJob): Promise<ScheduledJob>;
  update(id: string, patch: JobPatch): Promise<ScheduledJob>;
  remove(id: string): Promise<void>;
  run(id: string): Promise<void>;
  targets(): Promise<Target[]>;
}

type Gateway = { url: string; token: string };

/** One call to the gateway's `/schedules` API; its refusals (400, 404, 409) carry its sentence. */
async function request<T>(gateway: Gateway, method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${gateway.url}/schedules${path}`, {
      method,
      headers: { authorization: `Bearer ${gateway.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    throw new Failed(`cannot reach the gateway at ${gateway.url}: ${(error as Error).message}`);
  }
  const data = (await response.json().catch(() => ({}))) as { error?: unknown };
  if (response.ok) return data as T;
  const error = typeof data.error === 'string' ? data.error : `HTTP ${response.status}`;
  if (response.status === 404 && error.startsWith('no route')) throw new Failed('the running gateway has no /schedules API (an older version?); update it and restart it');
  if (response.status === 400 || response.status === 404 || response.status === 409) throw new Refused(error);
  throw new Failed(`the gateway answered HTTP ${response.status}: ${error}`);
}

/** `GET /schedules`: the jobs, the gateway's zone, whether it runs them. */
interface SchedulesList {
  jobs: ScheduledJob[];
  timezone: string;
  runner?: boolean;
  paused?: string;
}

function gatewayJobs(gateway: Gateway, info: SchedulesList): Jobs {
  const call = <T>(method: string, path: string, body?: unknown) => request<T>(gateway, method, path, body);
  const seg = (id: string) => `/${encodeURIComponent(id)}`;
  return {
    source: 'gateway',
    where: gateway.url,
    timeZone: info.timezone,
    ...(info.paused ? { paused: info.paused } : {}),
    ...(info.runner === undefined ? {} : { runner: info.runner }),
    list: async () => info.jobs,
    add: async (job) => (await call<{ job: ScheduledJob }>('POST', '', job)).job,
    update: async (id, patch) => (await call<{ job: ScheduledJob }>('PATCH', seg(id), patch)).job,
    remove: async (id) => void (await call('DELETE', seg(id))),
    run: async (id) => void (await call('POST', `${seg(id)}/run`)),
    targets: async () => (await call<{ targets: Target[] }>('GET', '/targets')).targets,
  };
}

const noGateway = (what: string) => new Failed(`${what} needs a running gateway, and none runs for this home; start one (picoclaw gateway, or the launcher) and try again`);

/** A job must target a configured, enabled channel: the gateway's own check, for the file path. */
function fileJobs(config: Config, io: CliIo): Jobs {
  const workspace = config.agents.defaults.workspace;
  const timeZone = defaultTimeZone();
  const store = createFileJobStore({ workspace, warn: (message) => io.err(`warning: ${message}`) });
  // Only list/get/add/update/remove are used: start() (the timer) and runNow() never are.
  const scheduler = createScheduler({
    store,
    run: () => Promise.reject(new Error('jobs run in the gateway')),
    log: () => {},
    timeZone: () => timeZone,
    targetProblem: (channel) => channelProblem(config, channel),
  });
  const refusals = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw isPicoError(error, 'invalid_input') ? new Refused(error.message) : error;
    }
  };
  return {
    source: 'file',
    where: jobsPath(workspace),
    timeZone,
    ...(config.tools.cron.enabled ? {} : { paused: 'tools.cron.enabled is false' }),
    list: () => scheduler.list(),
    add: (job) => refusals(() => scheduler.add(job)),
    update: (id, patch) => refusals(() => scheduler.update(id, patch)),
    async remove(id) {
      if (!(await scheduler.remove(id))) throw new Refused(`no job with id ${id}`);
    },
    run: () => Promise.reject(noGateway('running a job now')),
    targets: () => Promise.reject(noGateway('the list of chats a job can send to')),
  };
}

async function openJobs(io: CliIo, sub: CronArgs['sub']): Promise<Jobs> {
  const gateway = await withProgress(io.progress, 'looking for the gateway', () => findGateway(io));
  if (gateway) {
    // Read first: it gives the gateway's zone (for --at and every time printed) and the ids.
    const info = await request<SchedulesList>(gateway, 'GET', '');
    if (!Array.isArray(info.jobs)) throw new Failed('the gateway answered GET /schedules without a job list');
    return gatewayJobs(gateway, { ...info, timezone: info.timezone || defaultTimeZone() });
  }
  const { config } = await load(io);
  if (config.session.store === 'redis') throw new Failed('with session.store "redis" the jobs live in Redis, which this command reaches through a gateway only, and none runs for this home; start one (picoclaw gateway, or the launcher) and try again');
  // Before anything is read: a wrong id should not hide that this cannot work at all.
  if (sub === 'run') throw noGateway('running a job now');
  if (sub === 'targets') throw noGateway('the list of chats a job can send to');
  if (sub !== 'list') await sameOwner(config.agents.defaults.workspace);
  return fileJobs(config, io);
}

/**
 * The jobs file is replaced on every write, so it takes the owner of whoever writes it: root
 * editing a non-root gateway's workspace would leave a file (mode 0600) that gateway cannot read.
 */
async function sameOwner(workspace: string) {
  const uid = process.getuid?.();
  const owner = await stat(workspace).then(
    (s) => s.uid,
    () => undefined,
  );
  if (uid !== undefined && owner !== undefined && owner !== uid) throw new Failed(`${workspace} belongs to another user (uid ${owner}); run this as that user (e.g. sudo -u '#${owner}' picoclaw cron …) so that the gateway can still read the jobs file`);
}

/** The job an id names: the whole id, or a start of it (4 characters or more) that only one job has. */
function findJob(jobs: ScheduledJob[], typed: string): ScheduledJob {
  const exact = jobs.find((j) => j.id === typed);
  if (exact) return exact;
  const matches = typed.length >= 4 ? jobs.filter((j) => j.id.startsWith(typed)) : [];
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new Refused(`"${typed}" is the start of ${matches.length} job ids (${matches.map((j) => j.id).join(', ')}); give more of it`);
  throw new Refused(`no job with id ${typed} (picoclaw cron list shows them)`);
}

/** "2026-12-07 08:00": a moment on the wall clock of `tz` (the zone is said once, in a header). */
const wall = (ms: number, tz: string) => formatIn(ms, tz).slice(0, 16);
const zoneOf = (job: ScheduledJob, fallback: string) => (job.schedule.kind === 'cron' && job.schedule.tz) || fallback;
/** Up to 5 runs to come, as the gateway's scheduler reckons them (same code, same zone). */
const upcoming = (job: ScheduledJob, tz: string) => (job.enabled ? nextRuns(job.schedule, Date.now(), 5, { anchorMs: job.createdAtMs || undefined, defaultTz: tz }) : []);
const label = (job: ScheduledJob) => `${job.id} "${job.name}"`;
const target = (job: ScheduledJob) => `${job.payload.channel}:${job.payload.to}`;

function lastResult(job: ScheduledJob, tz: string): { text: string; tone: 'ok' | 'bad' | 'warn' | 'dim' } {
  const s = job.state;
  if (!s.lastStatus) return { text: 'never run', tone: 'dim' };
  const when = s.lastRunAtMs !== undefined ? ` ${wall(s.lastRunAtMs, tz)}` : '';
  const why = s.lastStatus !== 'ok' && s.lastError ? `: ${s.lastError.length > 100 ? `${s.lastError.slice(0, 99)}…` : s.lastError}` : '';
  return { text: `${s.lastStatus}${when}${why}`, tone: s.lastStatus === 'ok' ? 'ok' : s.lastStatus === 'error' ? 'bad' : 'warn' };
}

function printList(io: CliIo, jobs: Jobs, list: ScheduledJob[]) {
  const tz = jobs.timeZone;
  if (!list.length) io.out('no scheduled jobs; add one with picoclaw cron add (picoclaw cron --help shows how)');
  else {
    const rows = list.map((job) => {
      const next = job.enabled ? (job.state.nextRunAtMs !== undefined ? wall(job.state.nextRunAtMs, tz) : '—') : 'disabled';
      const name = job.name.length > 30 ? `${job.name.slice(0, 29)}…` : job.name;
      return { cells: [job.id, name, describeSchedule(job.schedule, tz), `${target(job)}${job.payload.deliver ? ' (as is)' : ''}`, next], enabled: job.enabled, last: lastResult(job, tz) };
    });
    const header = ['ID', 'NAME', 'SCHEDULE', 'TARGET', `NEXT RUN (${tz})`];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
    io.out(io.style.dim(`${line(header)}  LAST RESULT`));
    for (const row of rows) {
      const text = line(row.cells);
      io.out(`${row.enabled ? text : io.style.dim(text)}  ${io.style[row.last.tone](row.last.text)}`);
    }
  }
  notes(io, jobs, 'read');
}

/** What the reader should know about where the jobs are and whether they run. */
function notes(io: CliIo, jobs: Jobs, verb: 'read' | 'changed') {
  if (jobs.paused) io.out(io.style.warn(`jobs do not run: ${jobs.paused}`));
  if (jobs.source === 'file') io.out(io.style.dim(`no gateway is running: ${verb} ${jobs.where}; jobs run once a gateway starts`));
}

/** The job and its next runs; `shownTz`: the zone an `--at` time was given in, to show it back so. */
function printJob(io: CliIo, jobs: Jobs, job: ScheduledJob, verb: string, shownTz?: string) {
  const tz = shownTz ?? zoneOf(job, jobs.timeZone);
  io.out(`${io.style.ok('✓')} ${verb} ${label(job)}: ${describeSchedule(job.schedule, shownTz ?? jobs.timeZone)} → ${target(job)}${job.payload.deliver ? ', sent as is' : ', the assistant runs it'}`);
  const runs = upcoming(job, jobs.timeZone);
  if (!job.enabled) io.out(`  ${io.style.warn('disabled')}: picoclaw cron enable ${job.id} to run it again`);
  else if (!runs.length) io.out(`  ${io.style.warn('no run to come')}`);
  else io.out(`  next run${runs.length === 1 ? '' : 's'} (${tz}): ${runs.map((ms) => wall(ms, tz)).join(', ')}`);
}

export async function cronCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseCronArgs(argv);
  if ('error' in args) {
    io.err(`${args.error}\n(picoclaw cron --help for the flags and examples)`);
    return 2;
  }
  const out = (value: unknown) => io.out(JSON.stringify(value, null, 2));
  try {
    const jobs = await openJobs(io, args.sub);
    switch (args.sub) {
      case 'list': {
        const list = await jobs.list();
        if (args.json) out({ source: jobs.source, timezone: jobs.timeZone, ...(jobs.source === 'file' ? { path: jobs.where } : {}), ...(jobs.runner === undefined ? {} : { runner: jobs.runner }), ...(jobs.paused ? { paused: jobs.paused } : {}), jobs: list });
        else printList(io, jobs, list);
        return 0;
      }
      case 'targets': {
        const targets = await jobs.targets();
        if (args.json) out({ targets });
        else if (!targets.length) io.out('no chat to send to yet: a channel lists its chats once it runs (and, for Telegram, once an allowed user wrote)');
        else for (const t of targets) io.out(`--channel ${t.channel} --to ${t.to}   ${io.style.dim(`${t.type}: ${t.label}`)}`);
        return 0;
      }
      case 'add': {
        const schedule = resolveSchedule(args.job.schedule, Date.now(), jobs.timeZone);
        if ('error' in schedule) throw new Refused(schedule.error);
        const { schedule: _spec, ...rest } = args.job;
        const job = await jobs.add({ ...rest, schedule });
        if (args.json) out({ source: jobs.source, job, next: upcoming(job, jobs.timeZone).map((ms) => new Date(ms).toISOString()) });
        else {
          printJob(io, jobs, job, 'added', args.job.schedule.kind === 'at' ? args.job.schedule.tz : undefined);
          notes(io, jobs, 'changed');
        }
        return 0;
      }
      case 'remove':
      case 'enable':
      case 'disable':
      case 'run': {
        const job = findJob(await jobs.list(), args.id);
        if (args.sub === 'remove') {
          await jobs.remove(job.id);
          if (args.json) out({ status: 'deleted', id: job.id });
          else io.out(`${io.style.ok('✓')} removed ${label(job)}`);
        } else if (args.sub === 'run') {
          await jobs.run(job.id);
          if (args.json) out({ status: 'started', id: job.id });
          else io.out(`${io.style.ok('✓')} started ${label(job)}; what it sends goes to ${target(job)} (picoclaw cron list shows how it went)`);
        } else {
          const updated = await jobs.update(job.id, { enabled: args.sub === 'enable' });
          if (args.json) out({ source: jobs.source, job: updated });
          else printJob(io, jobs, updated, `${args.sub}d`);
        }
        return 0;
      }
    }
  } catch (error) {
    if (error instanceof Refused) {
      io.err(error.message);
      return 2;
    }
    if (error instanceof Failed) {
      io.err(error.message);
      return 1;
    }
    throw error;
  }
}

/** Job ids for shell completion: from the jobs file, quietly nothing when it cannot be read. */
export async function jobIdsForCompletion(env: NodeJS.ProcessEnv): Promise<string[]> {
  try {
    const { config } = await loadConfig({ env });
    if (config.session.store === 'redis') return [];
    const doc = JSON.parse(await readFile(jobsPath(config.agents.defaults.workspace), 'utf8')) as { jobs?: { id?: unknown }[] };
    return (doc.jobs ?? []).map((j) => j.id).filter((id): id is string => typeof id === 'string');
  } catch {
    return [];
  }
}
