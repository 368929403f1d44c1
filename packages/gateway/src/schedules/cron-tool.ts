/**
 * `cron` (PicoClaw's name, actions and arguments, plus `at`, `tz`, `deliver`, `missed`): the
 * model makes, lists and changes jobs. Jobs go to the chat the turn runs in, or to another that
 * `tools.message.allow_targets` allows; a turn sees and changes only its own chat's jobs
 * (PicoClaw's rule for remote channels), so one user's chat cannot list or delete another's.
 */
import type { JobSchedule, ScheduledJob } from '@picoclaw/core';
import * as z from 'zod';
import { defineTool } from '../tools/define-tool.js';
import type { Tool, ToolContext } from '../tools/types.js';
import type { Scheduler } from './scheduler.js';
import { describeSchedule } from './schedule.js';
import { formatIn, parseLocalTime, validTimeZone } from './wall-clock.js';
import { ownTarget, refusedTarget, sameTarget, targetAllowed, type Target } from './targets.js';

/** A prompt-injected model must not be able to fill the store (or the model bill) from one chat. */
export const MAX_JOBS_PER_CHAT = 50;

const actions = ['add', 'list', 'get', 'update', 'remove', 'enable', 'disable', 'run'] as const;

export function createCronTool(deps: { scheduler: Scheduler; timeZone(): string; allowTargets(): readonly string[]; now?: () => number }): Tool {
  const now = deps.now ?? Date.now;
  const { scheduler } = deps;

  /** The schedule the arguments give (PicoClaw's priority: at_seconds, then every_seconds, then cron_expr), or an error. */
  function scheduleOf(args: Args): JobSchedule | string | undefined {
    const tz = args.tz || deps.timeZone();
    if (args.tz && !validTimeZone(args.tz)) return `"${args.tz}" is not a time zone; use an IANA name such as "Europe/Madrid"`;
    if (args.at_seconds) return { kind: 'at', atMs: now() + Math.round(args.at_seconds * 1000) };
    if (args.at) {
      const atMs = parseLocalTime(args.at, tz);
      return atMs === undefined ? `at "${args.at}" is not a date and time; use "YYYY-MM-DDTHH:MM" (local time in ${tz})` : { kind: 'at', atMs };
    }
    if (args.every_seconds) return { kind: 'every', everyMs: Math.round(args.every_seconds * 1000) };
    if (args.cron_expr) {
      if (args.cron_expr.trim().split(/\s+/).length !== 5) return 'cron_expr takes 5 fields: minute hour day-of-month month day-of-week (e.g. "0 8 * * 1-5"); schedules by the second are not offered here';
      return { kind: 'cron', expr: args.cron_expr, ...(args.tz ? { tz: args.tz } : {}) };
    }
    return undefined;
  }

  const line = (job: ScheduledJob) => {
    const tz = job.schedule.kind === 'cron' && job.schedule.tz ? job.schedule.tz : deps.timeZone();
    const next = job.enabled && job.state.nextRunAtMs !== undefined ? `next ${formatIn(job.state.nextRunAtMs, tz)}` : job.enabled ? 'no next run' : 'disabled';
    const last = job.state.lastStatus ? `, last ${job.state.lastStatus}${job.state.lastError ? ` (${job.state.lastError})` : ''}` : '';
    return `- ${job.id} "${job.name}": ${describeSchedule(job.schedule, deps.timeZone())}, ${next}${last}${job.payload.deliver ? ', sent as is' : ''}`;
  };

  /** The job if this chat may see it. */
  async function mine(id: string | undefined, context: ToolContext): Promise<ScheduledJob | string> {
    if (!id) return 'job_id is required for this action';
    const job = await scheduler.get(id);
    if (!job || !visible(job, context)) return `no job ${id} in this chat (list shows this chat's jobs)`;
    return job;
  }
  const visible = (job: ScheduledJob, context: ToolContext) => context.channel === 'cli' || sameTarget(ownTarget(context), { channel: job.payload.channel, to: job.payload.to });

  type Args = {
    action: (typeof actions)[number];
    name?: string | undefined;
    message?: string | undefined;
    command?: string | undefined;
    at_seconds?: number | undefined;
    at?: string | undefined;
    every_seconds?: number | undefined;
    cron_expr?: string | undefined;
    tz?: string | undefined;
    deliver?: boolean | undefined;
    missed?: 'run' | 'skip' | undefined;
    channel?: string | undefined;
    to?: string | undefined;
    job_id?: string | undefined;
  };

  return defineTool({
    name: 'cron',
    // Short: this definition travels with every turn.
    description:
      'Reminders and recurring tasks for this chat. add: message + one of at (local "YYYY-MM-DDTHH:MM"), at_seconds, every_seconds, cron_expr (5 fields; tz). deliver: send as is; else a task you do then, your answer sent. missed: run|skip. Others: job_id.',
    input: {
      action: z.enum(actions),
      name: z.string().optional(),
      message: z.string().optional(),
      command: z.string().optional(),
      at_seconds: z.number().nonnegative().optional(),
      at: z.string().optional(),
      every_seconds: z.number().nonnegative().optional(),
      cron_expr: z.string().optional(),
      tz: z.string().optional(),
      deliver: z.boolean().optional(),
      missed: z.enum(['run', 'skip']).optional(),
      channel: z.string().optional(),
      to: z.string().optional(),
      job_id: z.string().optional(),
    },
    async execute(args, context) {
      const fail = (content: string) => ({ content, isError: true });
      const guard = async <T>(work: () => Promise<T>) => {
        try {
          return await work();
        } catch (error) {
          return fail((error as Error).message);
        }
      };
      switch (args.action) {
        case 'add': {
          if (args.command) return fail('shell-command jobs are not available in PicoClaw TS (there is no shell tool); give a message to send or a task to do instead');
          if (!args.message?.trim()) return fail('message is required: the reminder text, or the task to do when the job runs');
          const schedule = scheduleOf(args);
          if (schedule === undefined) return fail('give a schedule: at, at_seconds, every_seconds or cron_expr');
          if (typeof schedule === 'string') return fail(schedule);
          const own = ownTarget(context);
          const target: Target = args.channel || args.to ? { channel: args.channel || own.channel, to: args.to ?? '' } : own;
          if (context.channel === 'cli' && target === own) return fail('this terminal chat cannot receive messages later; give channel and to (e.g. channel "telegram", to "<chat id>")');
          if (!target.to) return fail('to is required with channel');
          if (!targetAllowed(own, target, deps.allowTargets())) return fail(refusedTarget(target));
          const count = (await scheduler.list()).filter((j) => sameTarget(target, { channel: j.payload.channel, to: j.payload.to })).length;
          if (count >= MAX_JOBS_PER_CHAT) return fail(`this chat has ${count} scheduled jobs, the most the assistant may make for one chat; remove some first (or use the dashboard)`);
          return guard(async () => {
            const job = await scheduler.add({
              message: args.message!,
              schedule,
              channel: target.channel,
              to: target.to,
              ...(args.name ? { name: args.name } : {}),
              ...(args.deliver ? { deliver: true } : {}),
              ...(args.missed ? { missed: args.missed } : {}),
            });
            return `Cron job added: ${job.name} (id: ${job.id}); ${line(job).replace(/^- \S+ "[^"]*": /, '')}`;
          });
        }
        case 'list': {
          const jobs = (await scheduler.list()).filter((j) => visible(j, context));
          return jobs.length ? `Jobs for this chat (times in ${deps.timeZone()} unless noted):\n${jobs.map(line).join('\n')}` : 'No scheduled jobs for this chat.';
        }
        case 'get': {
          const job = await mine(args.job_id, context);
          return typeof job === 'string' ? fail(job) : JSON.stringify(job, null, 2);
        }
        case 'update': {
          const job = await mine(args.job_id, context);
          if (typeof job === 'string') return fail(job);
          if (args.command) return fail('shell-command jobs are not available in PicoClaw TS');
          const schedule = scheduleOf(args);
          if (typeof schedule === 'string') return fail(schedule);
          return guard(async () => {
            const updated = await scheduler.update(job.id, {
              ...(args.name ? { name: args.name } : {}),
              ...(args.message ? { message: args.message } : {}),
              ...(schedule ? { schedule } : {}),
              ...(args.deliver !== undefined ? { deliver: args.deliver } : {}),
              ...(args.missed ? { missed: args.missed } : {}),
            });
            return `Cron job updated: ${line(updated).slice(2)}`;
          });
        }
        case 'remove':
        case 'enable':
        case 'disable':
        case 'run': {
          const job = await mine(args.job_id, context);
          if (typeof job === 'string') return fail(job);
          return guard(async () => {
            if (args.action === 'remove') {
              await scheduler.remove(job.id);
              return `Cron job removed: ${job.name} (id: ${job.id})`;
            }
            if (args.action === 'run') {
              await scheduler.runNow(job.id);
              return `Cron job started: ${job.name} (id: ${job.id}); its result goes to its chat`;
            }
            const updated = await scheduler.update(job.id, { enabled: args.action === 'enable' });
            return `Cron job ${args.action}d: ${line(updated).slice(2)}`;
          });
        }
      }
    },
  });
}
