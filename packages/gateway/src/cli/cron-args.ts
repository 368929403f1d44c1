/**
 * The arguments of `picoclaw cron …`, read without touching the gateway or the disk, so that a
 * typo is refused before anything changes. Two spellings of `add` are accepted: this one
 * (`--at`, `--in`, `--every 30m`, `--cron` with `--tz`) and PicoClaw's (`-n -m -e <seconds> -c
 * <expr> -d`), where a bare number given to `--every` is seconds.
 */
import { parseArgs } from 'node:util';
import type { JobSchedule } from '@picoclaw/core';
import { formatIn, parseLocalTime, validTimeZone } from '../schedules/wall-clock.js';

export const cronSubcommands = ['list', 'add', 'remove', 'enable', 'disable', 'run', 'targets'] as const;
export type CronSubcommand = (typeof cronSubcommands)[number];

/** Every flag of `picoclaw cron`, for parsing, help and completion. */
export const cronFlags = ['--json', '--name', '--message', '--at', '--in', '--every', '--cron', '--tz', '--channel', '--to', '--deliver', '--missed', '-n', '-m', '-e', '-c', '-d'];

const options = {
  json: { type: 'boolean' },
  name: { type: 'string', short: 'n' },
  message: { type: 'string', short: 'm' },
  at: { type: 'string' },
  in: { type: 'string' },
  every: { type: 'string', short: 'e' },
  cron: { type: 'string', short: 'c' },
  tz: { type: 'string' },
  channel: { type: 'string' },
  to: { type: 'string' },
  deliver: { type: 'boolean', short: 'd' },
  missed: { type: 'string' },
} as const;

/** When a new job runs, as typed; the wall-clock forms need the gateway's zone (resolveSchedule). */
export type ScheduleSpec =
  | { kind: 'at'; text: string; tz?: string }
  | { kind: 'in'; ms: number }
  | { kind: 'every'; ms: number }
  | { kind: 'cron'; expr: string; tz?: string };

export interface NewJobArgs {
  name?: string;
  message: string;
  schedule: ScheduleSpec;
  channel: string;
  to: string;
  deliver: boolean;
  missed?: 'run' | 'skip';
}

export type CronArgs =
  | { sub: 'list' | 'targets'; json: boolean }
  | { sub: 'add'; json: boolean; job: NewJobArgs }
  | { sub: 'remove' | 'enable' | 'disable' | 'run'; json: boolean; id: string };

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * "20m", "2h", "1d", "1h30m", "90s", "1w" to milliseconds; a bare number is seconds (PicoClaw's
 * `--every N`). Undefined when it is not such a duration or is not positive.
 */
export function parseDuration(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (/^\d+$/.test(t)) return Number(t) > 0 ? Number(t) * 1000 : undefined;
  if (!/^(\d+(\.\d+)?[smhdw])+$/.test(t)) return undefined;
  let ms = 0;
  for (const [, n, unit] of t.matchAll(/(\d+(?:\.\d+)?)([smhdw])/g)) ms += Number(n) * UNIT_MS[unit!]!;
  return ms > 0 && Number.isFinite(ms) ? Math.round(ms) : undefined;
}

const durationHelp = 'a duration such as 30m, 2h, 1d or 1h30m (a bare number is seconds)';

/** The arguments after `picoclaw cron`, or a sentence saying what is wrong (a usage error). */
export function parseCronArgs(argv: string[]): CronArgs | { error: string } {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const e = error as Error & { code?: string };
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return { error: `unknown flag ${/'([^']+)'/.exec(e.message)?.[1] ?? ''} for picoclaw cron (picoclaw cron --help lists them)` };
    const flag = /--[a-z]+/.exec(e.message)?.[0] ?? 'a flag';
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && /argument missing/.test(e.message)) return { error: `${flag} needs a value` };
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && /ambiguous/.test(e.message)) return { error: `${flag} needs a value; one that starts with "-" is written ${flag}="-…"` };
    return { error: e.message };
  }
  const { values: v, positionals } = parsed;
  const [typed, ...rest] = positionals;
  // As `models` and `mcp`: no subcommand lists. `ls` and `rm` for the fingers of shell users.
  const named = typed === undefined || typed === 'ls' ? 'list' : typed === 'rm' ? 'remove' : typed;
  const json = v.json === true;
  if (!(cronSubcommands as readonly string[]).includes(named)) return { error: `no cron subcommand "${named}"; use one of: ${cronSubcommands.join(', ')}` };
  const sub = named as CronSubcommand;
  const given = (Object.keys(v) as (keyof typeof options)[]).filter((k) => k !== 'json' && v[k] !== undefined);
  if (sub !== 'add' && given.length) return { error: `--${given[0]} goes with picoclaw cron add, not ${sub}` };

  if (sub === 'list' || sub === 'targets') {
    if (rest.length) return { error: `picoclaw cron ${sub} takes no argument (got "${rest[0]}")` };
    return { sub, json };
  }
  if (sub !== 'add') {
    if (rest.length !== 1 || !rest[0]) return { error: `give one job id: picoclaw cron ${sub} <id> (picoclaw cron list shows them)` };
    return { sub, json, id: rest[0] };
  }

  if (rest.length) return { error: `picoclaw cron add takes flags only; "${rest[0]}" is extra (quote a message with spaces: --message "…")` };
  const message = v.message?.trim();
  if (!message) return { error: '--message is required: the reminder text (with --deliver) or what the assistant should do when the job runs' };
  const kinds = (['at', 'in', 'every', 'cron'] as const).filter((k) => v[k] !== undefined);
  if (kinds.length === 0) return { error: 'give a schedule: --at "2026-12-07 08:00", --in 20m, --every 30m or --cron "0 23 * * *"' };
  if (kinds.length > 1) return { error: `give one schedule, not ${kinds.map((k) => `--${k}`).join(' and ')}` };
  const tz = v.tz?.trim() || undefined;
  if (tz && !validTimeZone(tz)) return { error: `--tz "${tz}" is not a time zone; use an IANA name such as "Europe/Madrid" or "America/New_York"` };
  let schedule: ScheduleSpec;
  switch (kinds[0]!) {
    case 'at': {
      const text = v.at!.trim();
      const relative = parseDuration(text);
      if (relative !== undefined && !/^\d+$/.test(text)) schedule = { kind: 'in', ms: relative };
      else if (/^\d{1,2}:\d{2}$/.test(text) || /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$/.test(text) || /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(text)) schedule = { kind: 'at', text, ...(tz ? { tz } : {}) };
      else return { error: `--at "${text}" is not a time; use "YYYY-MM-DD HH:MM" (local time), "HH:MM" (the next one) or a duration such as 20m` };
      break;
    }
    case 'in': {
      const ms = parseDuration(v.in!);
      if (ms === undefined) return { error: `--in "${v.in}" is not ${durationHelp}` };
      schedule = { kind: 'in', ms };
      break;
    }
    case 'every': {
      const ms = parseDuration(v.every!);
      if (ms === undefined) return { error: `--every "${v.every}" is not ${durationHelp}` };
      schedule = { kind: 'every', ms };
      break;
    }
    case 'cron':
      schedule = { kind: 'cron', expr: v.cron!.trim(), ...(tz ? { tz } : {}) };
      break;
  }
  if (tz && schedule.kind !== 'cron' && schedule.kind !== 'at') return { error: '--tz goes with --cron or --at (a time of day); --in and --every do not depend on the zone' };
  const channel = v.channel?.trim() ?? '';
  const to = v.to?.trim() ?? '';
  const example = 'e.g. --channel telegram --to 123456789 (picoclaw cron targets lists the chats a running gateway can send to)';
  if (!channel && !to) return { error: `--channel and --to are required: the chat the job sends to, ${example}` };
  if (!channel) return { error: `--channel is required with --to: the channel_list name the chat is on, ${example}` };
  if (!to) return { error: `--to is required with --channel: the chat id on that channel, ${example}` };
  if (v.missed !== undefined && v.missed !== 'run' && v.missed !== 'skip') return { error: `--missed is run or skip, not "${v.missed}"` };
  return {
    sub,
    json,
    job: {
      ...(v.name?.trim() ? { name: v.name.trim() } : {}),
      message,
      schedule,
      channel,
      to,
      deliver: v.deliver === true,
      ...(v.missed ? { missed: v.missed } : {}),
    },
  };
}

/** YYYY-MM-DD of a moment in a zone. */
function dateIn(ms: number, tz: string): string {
  return formatIn(ms, tz).slice(0, 10);
}

/**
 * The schedule to store, with wall-clock times read in `tz` (the job's `--tz`, else the
 * gateway's zone); "HH:MM" is the next such time. Moments in the past are left for the
 * scheduler to refuse with its own sentence.
 */
export function resolveSchedule(spec: ScheduleSpec, nowMs: number, defaultTz: string): JobSchedule | { error: string } {
  switch (spec.kind) {
    case 'in':
      return { kind: 'at', atMs: nowMs + spec.ms };
    case 'every':
      return { kind: 'every', everyMs: spec.ms };
    case 'cron':
      return { kind: 'cron', expr: spec.expr, ...(spec.tz ? { tz: spec.tz } : {}) };
    case 'at': {
      const tz = spec.tz ?? defaultTz;
      if (/^\d{1,2}:\d{2}$/.test(spec.text)) {
        const [h, m] = spec.text.split(':').map(Number) as [number, number];
        if (h > 23 || m > 59) return { error: `--at "${spec.text}" is not a time of day` };
        const hhmm = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
        const today = parseLocalTime(`${dateIn(nowMs, tz)} ${hhmm}`, tz)!;
        if (today > nowMs) return { kind: 'at', atMs: today };
        // Tomorrow's date in the zone: noon today plus a day stays on the right date across DST.
        const noon = parseLocalTime(`${dateIn(nowMs, tz)} 12:00`, tz)!;
        return { kind: 'at', atMs: parseLocalTime(`${dateIn(noon + 86_400_000, tz)} ${hhmm}`, tz)! };
      }
      const atMs = parseLocalTime(spec.text, tz);
      if (atMs === undefined) return { error: `--at "${spec.text}" is not a date and time; use "YYYY-MM-DD HH:MM" (local time in ${tz})` };
      return { kind: 'at', atMs };
    }
  }
}
