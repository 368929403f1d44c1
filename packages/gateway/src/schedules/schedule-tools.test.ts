import type { ScheduledJob } from '@picoclaw/core';
import { describe, expect, it } from 'vitest';
import type { ToolContext } from '../tools/types.js';
import { createCronTool } from './cron-tool.js';
import { heartbeatTasks, withinActiveHours } from './heartbeat.js';
import { isQuiet } from './job-runner.js';
import type { JobStore } from './job-store.js';
import { createMessageTool } from './message-tool.js';
import { parseLocalTime } from './wall-clock.js';
import { createScheduler } from './scheduler.js';

const NOW = Date.parse('2026-12-06T10:00:00Z');

function tools(allowTargets: string[] = []) {
  const jobs = new Map<string, ScheduledJob>();
  const store: JobStore = { load: async () => [...jobs.values()], put: async (...list) => void list.forEach((j) => jobs.set(j.id, j)), remove: async (id) => jobs.delete(id), flush: async () => {} };
  const clock = { now: () => NOW, setTimeout: () => 0, clearTimeout: () => {} };
  const scheduler = createScheduler({ store, clock, log: () => {}, timeZone: () => 'Europe/Madrid', run: async () => 'ok', targetProblem: (c) => (c === 'telegram' || c === 'mqtt' ? undefined : `no channel named "${c}" in channel_list`) });
  const sent: { channel: string; to: string; text: string }[] = [];
  const recorded: { key: string; text: string }[] = [];
  const deliveries = new Map<string, boolean>();
  const cron = createCronTool({ scheduler, timeZone: () => 'Europe/Madrid', allowTargets: () => allowTargets, now: () => NOW });
  const message = createMessageTool({
    outbound: { send: async (channel, to, text) => (sent.push({ channel, to, text }), { sessionKey: `${channel}:${to}` }) },
    runtime: { record: async (key, text) => void recorded.push({ key, text }) },
    deliveries,
    allowTargets: () => allowTargets,
  });
  return { cron, message, jobs, sent, recorded, deliveries, scheduler };
}

const chat = (channel: string, chatId: string, sessionKey = `${channel}:${chatId}`): ToolContext => ({ signal: new AbortController().signal, channel, chatId, sessionKey, workspace: '/tmp' });
const alice = chat('telegram', '42');
const bob = chat('telegram', '77');

describe('cron tool', () => {
  it('adds a reminder for this chat from a local time in the server zone, as PicoClaw names its arguments', async () => {
    const t = tools();
    const result = await t.cron.execute({ action: 'add', message: 'bins', deliver: true, at: '2026-12-07T08:00' }, alice);
    expect(result.isError).toBeFalsy();
    expect(result.content).toMatch(/^Cron job added: bins \(id: [0-9a-f]{16}\); once at 2026-12-07 08:00 Europe\/Madrid, next 2026-12-07 08:00 Europe\/Madrid, sent as is$/);
    const [job] = t.jobs.values();
    expect(job).toMatchObject({ schedule: { kind: 'at', atMs: Date.parse('2026-12-07T07:00:00Z') }, payload: { channel: 'telegram', to: '42', deliver: true } });
    // at_seconds wins over every_seconds and cron_expr (PicoClaw's order)
    await t.cron.execute({ action: 'add', message: 'x', at_seconds: 60, every_seconds: 600, cron_expr: '0 8 * * *' }, alice);
    expect([...t.jobs.values()][1]!.schedule).toEqual({ kind: 'at', atMs: NOW + 60_000 });
  });

  it('refuses shell jobs, missing schedules and other chats not in tools.message.allow_targets', async () => {
    const t = tools();
    expect((await t.cron.execute({ action: 'add', message: 'x', command: 'rm -rf ~', every_seconds: 600 }, alice)).content).toMatch(/no shell tool/);
    expect((await t.cron.execute({ action: 'add', message: 'x' }, alice)).content).toMatch(/give a schedule/);
    expect((await t.cron.execute({ action: 'add', message: 'x', every_seconds: 600, channel: 'telegram', to: '77' }, alice)).content).toMatch(/not allowed from this chat.*allow_targets/);
    expect((await t.cron.execute({ action: 'add', message: 'x', cron_expr: '0 8 * * *', tz: 'Europe/Nowhere' }, alice)).content).toMatch(/not a time zone/);
    expect(t.jobs.size).toBe(0);
    const allowed = tools(['telegram:*']);
    expect((await allowed.cron.execute({ action: 'add', message: 'x', every_seconds: 600, channel: 'telegram', to: '77' }, alice)).isError).toBeFalsy();
  });

  it('lets a chat see and change only its own jobs', async () => {
    const t = tools();
    await t.cron.execute({ action: 'add', name: 'alice job', message: 'x', every_seconds: 3600 }, alice);
    const id = [...t.jobs.keys()][0]!;
    expect((await t.cron.execute({ action: 'list' }, bob)).content).toBe('No scheduled jobs for this chat.');
    expect((await t.cron.execute({ action: 'list' }, alice)).content).toMatch(new RegExp(`- ${id} "alice job": every 1 hour, next 2026-12-06 12:00 Europe/Madrid`));
    for (const action of ['remove', 'disable', 'run', 'get', 'update'] as const) {
      expect((await t.cron.execute({ action, job_id: id, message: 'changed' }, bob)).content).toMatch(/no job .* in this chat/);
    }
    expect((await t.cron.execute({ action: 'disable', job_id: id }, alice)).content).toMatch(/^Cron job disabled: /);
    expect(t.jobs.get(id)!.enabled).toBe(false);
    expect((await t.cron.execute({ action: 'remove', job_id: id }, alice)).content).toMatch(/^Cron job removed/);
    expect(t.jobs.size).toBe(0);
  });
});

describe('message tool', () => {
  it('sends to its own chat, and to another only when allow_targets lists it; the other chat keeps it in its history', async () => {
    const t = tools(['mqtt:*']);
    expect((await t.message.execute({ content: 'hello' }, alice)).content).toBe('Message sent to telegram:42');
    expect((await t.message.execute({ content: 'psst', channel: 'telegram', chat_id: '77' }, alice)).content).toMatch(/not allowed/);
    expect((await t.message.execute({ content: 'lights on', channel: 'mqtt', chat_id: 'kitchen' }, alice)).content).toBe('Message sent to mqtt:kitchen');
    expect(t.sent).toEqual([
      { channel: 'telegram', to: '42', text: 'hello' },
      { channel: 'mqtt', to: 'kitchen', text: 'lights on' },
    ]);
    expect(t.recorded).toEqual([{ key: 'mqtt:kitchen', text: 'lights on' }]);
  });

  it('tells a watched background turn that its own chat has been messaged', async () => {
    const t = tools();
    t.deliveries.set('cron:abc', false);
    await t.message.execute({ content: 'done' }, chat('telegram', '42', 'cron:abc'));
    expect(t.deliveries.get('cron:abc')).toBe(true);
    expect(t.recorded).toEqual([{ key: 'telegram:42', text: 'done' }]);
  });
});

describe('heartbeat file and hours', () => {
  it('reads tasks below the marker, without headings and blank lines; a file without the marker is all tasks', () => {
    expect(heartbeatTasks('# Heartbeat\n- example\nAdd your heartbeat tasks below this line:\n\n# later\n')).toEqual([]);
    expect(heartbeatTasks('intro\nAdd your heartbeat tasks below this line:\n- check the garage\n')).toEqual(['- check the garage']);
    expect(heartbeatTasks('- check the garage\n\n# note\n')).toEqual(['- check the garage']);
  });

  it('takes HEARTBEAT_OK alone (quotes, Markdown, a full stop forgiven) as nothing to report, never a report that mentions it', () => {
    for (const quiet of ['HEARTBEAT_OK', ' **HEARTBEAT_OK** ', '`HEARTBEAT_OK`.', '"HEARTBEAT_OK"']) expect(isQuiet(quiet), quiet).toBe(true);
    for (const report of ['All fine, HEARTBEAT_OK', 'The garage is open (not HEARTBEAT_OK)', 'HEARTBEAT_OK but the garage is open', '']) expect(isQuiet(report), report).toBe(false);
  });

  it('active hours, wrapping midnight or not', () => {
    expect(withinActiveHours('', 3 * 60)).toBe(true);
    expect(withinActiveHours('08:00-22:00', 7 * 60 + 59)).toBe(false);
    expect(withinActiveHours('08:00-22:00', 8 * 60)).toBe(true);
    expect(withinActiveHours('08:00-22:00', 22 * 60)).toBe(false);
    expect(withinActiveHours('22:00-06:00', 23 * 60)).toBe(true);
    expect(withinActiveHours('22:00-06:00', 12 * 60)).toBe(false);
  });
});

describe('local times', () => {
  it('reads a wall-clock time in a zone, moving a time in the spring-forward gap ahead as phones do', () => {
    expect(parseLocalTime('2026-12-07T08:00', 'Europe/Madrid')).toBe(Date.parse('2026-12-07T07:00:00Z'));
    expect(parseLocalTime('2026-07-01 08:00', 'America/New_York')).toBe(Date.parse('2026-07-01T12:00:00Z'));
    expect(parseLocalTime('2026-03-29T02:30', 'Europe/Madrid')).toBe(Date.parse('2026-03-29T01:30:00Z')); // 03:30 CEST
    expect(parseLocalTime('2026-12-07T08:00:00Z', 'Europe/Madrid')).toBe(Date.parse('2026-12-07T08:00:00Z'));
    expect(parseLocalTime('tomorrow at 8', 'Europe/Madrid')).toBeUndefined();
    expect(parseLocalTime('2026-02-31T08:00', 'Europe/Madrid')).toBeUndefined();
  });
});
