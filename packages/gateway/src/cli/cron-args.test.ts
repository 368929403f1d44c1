import { describe, expect, it } from 'vitest';
import { findCommand } from './cli-help.js';
import { parseCronArgs, parseDuration, resolveSchedule } from './cron-args.js';

const target = ['--channel', 'telegram', '--to', '123456789'];
const errorOf = (argv: string[]) => {
  const parsed = parseCronArgs(argv);
  return 'error' in parsed ? parsed.error : undefined;
};

describe('parseDuration', () => {
  it('units, combinations, and a bare number as seconds (PicoClaw)', () => {
    expect(parseDuration('30m')).toBe(30 * 60_000);
    expect(parseDuration('2h')).toBe(2 * 3_600_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('1w')).toBe(7 * 86_400_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(90 * 60_000);
    expect(parseDuration('1.5h')).toBe(90 * 60_000);
    expect(parseDuration(' 2H ')).toBe(2 * 3_600_000);
    expect(parseDuration('3600')).toBe(3_600_000);
  });

  it('refuses what is not a positive duration', () => {
    for (const bad of ['', '0', '0m', '-5m', 'm', '5x', '30 minutes', 'h1', '1h 30m', 'abc']) {
      expect(parseDuration(bad), bad).toBeUndefined();
    }
  });
});

describe('parseCronArgs', () => {
  it('add with this project’s flags', () => {
    expect(parseCronArgs(['add', '--name', 'Bins', '--message', 'take the bins out', '--at', '2026-12-07 08:00', '--tz', 'Europe/Madrid', ...target, '--deliver', '--missed', 'skip', '--json'])).toEqual({
      sub: 'add',
      json: true,
      job: { name: 'Bins', message: 'take the bins out', schedule: { kind: 'at', text: '2026-12-07 08:00', tz: 'Europe/Madrid' }, channel: 'telegram', to: '123456789', deliver: true, missed: 'skip' },
    });
    expect(parseCronArgs(['add', '-m', 'x', '--in', '20m', ...target])).toMatchObject({ job: { schedule: { kind: 'in', ms: 20 * 60_000 }, deliver: false } });
    expect(parseCronArgs(['add', '-m', 'x', '--at', '20m', ...target])).toMatchObject({ job: { schedule: { kind: 'in', ms: 20 * 60_000 } } });
    expect(parseCronArgs(['add', '-m', 'x', '--at', '8:05', ...target])).toMatchObject({ job: { schedule: { kind: 'at', text: '8:05' } } });
    expect(parseCronArgs(['add', '-m', 'x', '--every', '2h', ...target])).toMatchObject({ job: { schedule: { kind: 'every', ms: 7_200_000 } } });
    expect(parseCronArgs(['add', '-m', 'x', '--cron', '0 23 * * *', '--tz', 'Europe/Madrid', ...target])).toMatchObject({ job: { schedule: { kind: 'cron', expr: '0 23 * * *', tz: 'Europe/Madrid' } } });
    // No name: the scheduler names the job after its message.
    expect(parseCronArgs(['add', '-m', 'x', '--every', '2h', ...target])).not.toHaveProperty('job.name');
  });

  it("add in PicoClaw's spelling: -n -m -e <seconds> | -c <expr>, -d, --flag=value", () => {
    expect(parseCronArgs(['add', '-n', 'Weather', '-m', 'send the weather', '-e', '3600', '--channel', 'telegram', '--to', '42'])).toEqual({
      sub: 'add',
      json: false,
      job: { name: 'Weather', message: 'send the weather', schedule: { kind: 'every', ms: 3_600_000 }, channel: 'telegram', to: '42', deliver: false },
    });
    expect(parseCronArgs(['add', '--name', 'Porch', '--message', 'turn off the porch light', '--every', '7200', ...target])).toMatchObject({ job: { schedule: { kind: 'every', ms: 7_200_000 } } });
    expect(parseCronArgs(['add', '--name=Morning', '--message=report', '-c', '0 9 * * *', '-d', '--channel=telegram', '--to=7'])).toMatchObject({
      job: { name: 'Morning', schedule: { kind: 'cron', expr: '0 9 * * *' }, deliver: true, channel: 'telegram', to: '7' },
    });
  });

  it('list by default, ls and rm, and the id of remove/enable/disable/run', () => {
    expect(parseCronArgs([])).toEqual({ sub: 'list', json: false });
    expect(parseCronArgs(['--json'])).toEqual({ sub: 'list', json: true });
    expect(parseCronArgs(['ls', '--json'])).toEqual({ sub: 'list', json: true });
    expect(parseCronArgs(['targets'])).toEqual({ sub: 'targets', json: false });
    expect(parseCronArgs(['rm', 'abcd1234'])).toEqual({ sub: 'remove', json: false, id: 'abcd1234' });
    for (const sub of ['enable', 'disable', 'run'] as const) expect(parseCronArgs([sub, 'abcd1234', '--json'])).toEqual({ sub, json: true, id: 'abcd1234' });
  });

  it('usage errors say what to change', () => {
    expect(errorOf(['frob'])).toBe('no cron subcommand "frob"; use one of: list, add, remove, enable, disable, run, targets');
    expect(errorOf(['add', '--every', '2h', ...target])).toMatch(/^--message is required/);
    expect(errorOf(['add', '-m', '  ', '--every', '2h', ...target])).toMatch(/^--message is required/);
    expect(errorOf(['add', '-m', 'x', ...target])).toMatch(/^give a schedule: --at .*--in 20m, --every 30m or --cron/);
    expect(errorOf(['add', '-m', 'x', '--every', '3600', '--cron', '0 9 * * *', ...target])).toBe('give one schedule, not --every and --cron');
    expect(errorOf(['add', '-m', 'x', '--every', 'often', ...target])).toBe('--every "often" is not a duration such as 30m, 2h, 1d or 1h30m (a bare number is seconds)');
    expect(errorOf(['add', '-m', 'x', '--in', '-5m', ...target])).toBe('--in needs a value; one that starts with "-" is written --in="-…"');
    expect(errorOf(['add', '-m', 'x', '--in=-5m', ...target])).toMatch(/^--in "-5m" is not a duration/);
    expect(parseCronArgs(['add', '--message=- milk', '--in', '1h', ...target])).toMatchObject({ job: { message: '- milk' } });
    expect(errorOf(['add', '-m', 'x', '--at', 'tomorrow', ...target])).toMatch(/^--at "tomorrow" is not a time; use "YYYY-MM-DD HH:MM"/);
    expect(errorOf(['add', '-m', 'x', '--every', '2h'])).toMatch(/^--channel and --to are required: the chat the job sends to, e\.g\. --channel telegram --to 123456789/);
    expect(errorOf(['add', '-m', 'x', '--every', '2h', '--to', '1'])).toMatch(/^--channel is required with --to/);
    expect(errorOf(['add', '-m', 'x', '--every', '2h', '--channel', 'telegram'])).toMatch(/^--to is required with --channel/);
    expect(errorOf(['add', '-m', 'x', '--every', '2h', ...target, '--missed', 'later'])).toBe('--missed is run or skip, not "later"');
    expect(errorOf(['add', '-m', 'x', '--cron', '0 9 * * *', '--tz', 'Mars/Olympus', ...target])).toMatch(/^--tz "Mars\/Olympus" is not a time zone; use an IANA name/);
    expect(errorOf(['add', '-m', 'x', '--every', '2h', '--tz', 'Europe/Madrid', ...target])).toMatch(/^--tz goes with --cron or --at/);
    expect(errorOf(['add', '-m', 'x', '--every', '2h', ...target, '--colour'])).toBe('unknown flag --colour for picoclaw cron (picoclaw cron --help lists them)');
    expect(errorOf(['add', '-m', 'x', '--every', '2h', ...target, '--name'])).toBe('--name needs a value');
    expect(errorOf(['add', '-m', 'take', 'the bins out', '--every', '2h', ...target])).toMatch(/^picoclaw cron add takes flags only; "the bins out" is extra/);
    expect(errorOf(['list', '--every', '2h'])).toBe('--every goes with picoclaw cron add, not list');
    expect(errorOf(['list', 'extra'])).toBe('picoclaw cron list takes no argument (got "extra")');
    expect(errorOf(['remove'])).toMatch(/^give one job id: picoclaw cron remove <id>/);
    expect(errorOf(['run', 'a', 'b'])).toMatch(/^give one job id: picoclaw cron run <id>/);
  });

  it('knows every flag the help and completion offer', () => {
    for (const flag of findCommand('cron')!.flags) expect(errorOf(['add', flag, 'x']) ?? '', flag).not.toMatch(/unknown flag/);
  });
});

describe('resolveSchedule', () => {
  // 2026-03-28 11:00 in Madrid (CET, UTC+1); Spain moves to CEST (UTC+2) at 02:00 on the 29th.
  const now = Date.UTC(2026, 2, 28, 10, 0);
  const madrid = 'Europe/Madrid';

  it('a wall time in the given zone, or the gateway’s', () => {
    expect(resolveSchedule({ kind: 'at', text: '2026-12-07 08:00', tz: madrid }, now, 'UTC')).toEqual({ kind: 'at', atMs: Date.UTC(2026, 11, 7, 7, 0) });
    expect(resolveSchedule({ kind: 'at', text: '2026-12-07 08:00' }, now, madrid)).toEqual({ kind: 'at', atMs: Date.UTC(2026, 11, 7, 7, 0) });
    expect(resolveSchedule({ kind: 'at', text: '2026-07-07T08:00' }, now, madrid)).toEqual({ kind: 'at', atMs: Date.UTC(2026, 6, 7, 6, 0) });
    expect(resolveSchedule({ kind: 'at', text: '2026-12-07T08:00:00Z' }, now, madrid)).toEqual({ kind: 'at', atMs: Date.UTC(2026, 11, 7, 8, 0) });
  });

  it('"HH:MM" is the next such time: today while it is to come, else tomorrow (across the DST change)', () => {
    expect(resolveSchedule({ kind: 'at', text: '12:00' }, now, madrid)).toEqual({ kind: 'at', atMs: Date.UTC(2026, 2, 28, 11, 0) });
    expect(resolveSchedule({ kind: 'at', text: '8:00' }, now, madrid)).toEqual({ kind: 'at', atMs: Date.UTC(2026, 2, 29, 6, 0) });
    expect(resolveSchedule({ kind: 'at', text: '24:00' }, now, madrid)).toEqual({ error: '--at "24:00" is not a time of day' });
  });

  it('relative, interval and cron schedules; an impossible date is refused, not rolled over', () => {
    expect(resolveSchedule({ kind: 'in', ms: 20 * 60_000 }, now, madrid)).toEqual({ kind: 'at', atMs: now + 20 * 60_000 });
    expect(resolveSchedule({ kind: 'every', ms: 1_800_000 }, now, madrid)).toEqual({ kind: 'every', everyMs: 1_800_000 });
    expect(resolveSchedule({ kind: 'cron', expr: '0 23 * * *', tz: madrid }, now, 'UTC')).toEqual({ kind: 'cron', expr: '0 23 * * *', tz: madrid });
    expect(resolveSchedule({ kind: 'cron', expr: '0 23 * * *' }, now, madrid)).toEqual({ kind: 'cron', expr: '0 23 * * *' });
    expect(resolveSchedule({ kind: 'at', text: '2026-02-31 08:00' }, now, madrid)).toMatchObject({ error: expect.stringMatching(/^--at "2026-02-31 08:00" is not a date and time/) });
  });
});
