/**
 * The heartbeat (PicoClaw's): every `heartbeat.interval` minutes, within `active_hours`, the
 * tasks in `<workspace>/HEARTBEAT.md` are given to the model in a turn with no history. A file
 * with no tasks costs no model call; an answer of HEARTBEAT_OK means nothing to report and is only
 * logged (`<workspace>/heartbeat.log`); any other answer is sent to the heartbeat's chat — where
 * PicoClaw drops it unless the model used the `message` tool.
 */
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '@picoclaw/core';
import { isQuiet, QUIET, runBackgroundTurn, type Outbound, type OwnChatDeliveries, type TurnRunner } from './job-runner.js';
import type { Clock } from './scheduler.js';
import { formatIn } from './wall-clock.js';
import { parseTarget, type Target } from './targets.js';

export const HEARTBEAT_OK = QUIET;
const TASKS_MARKER = 'Add your heartbeat tasks below this line:';

export const heartbeatTemplate = `# Heartbeat

The assistant reads this file every heartbeat interval (heartbeat.interval minutes, when
heartbeat.enabled is true) and does what the tasks below ask. When there is nothing to report
it stays silent; otherwise its answer is sent to you. With no tasks, no model is called.

Examples:
- If any window sensor is open after 22:00, tell me which.
- If the washing machine finished, remind me to empty it.

${TASKS_MARKER}
`;

/** The task lines: after the marker when there is one, without blank lines and `#` headings. */
export function heartbeatTasks(file: string): string[] {
  const at = file.indexOf(TASKS_MARKER);
  const body = at >= 0 ? file.slice(at + TASKS_MARKER.length) : file;
  return body
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** Whether `hhmm` minutes-of-day lie within "HH:MM-HH:MM" (which may wrap midnight; empty = always). */
export function withinActiveHours(range: string, minuteOfDay: number): boolean {
  const m = /^(\d\d):(\d\d)-(\d\d):(\d\d)$/.exec(range);
  if (!m) return true;
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = Number(m[3]) * 60 + Number(m[4]);
  if (start === end) return true;
  return start < end ? minuteOfDay >= start && minuteOfDay < end : minuteOfDay >= start || minuteOfDay < end;
}

export type BeatOutcome = 'off' | 'not-runner' | 'outside-hours' | 'no-tasks' | 'ok' | 'sent' | 'no-target';

export interface Heartbeat {
  /** Follows the config (interval, on/off); call after each reload. */
  configure(): void;
  /** One beat now (the timer calls it; tests too). */
  beat(): Promise<BeatOutcome>;
  stop(): void;
}

export function createHeartbeat(deps: {
  config(): Config;
  runtime: TurnRunner;
  outbound: Outbound;
  deliveries: OwnChatDeliveries;
  /** The last chat that wrote, for a heartbeat without a `target`. */
  lastChat(): Target | undefined;
  isRunner(): boolean;
  timeZone(): string;
  clock: Clock;
  log: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
}): Heartbeat {
  let timer: unknown;
  let armedFor: number | undefined;
  let beating = false;
  const controller = new AbortController();
  const workspace = () => deps.config().agents.defaults.workspace;

  async function tasks(): Promise<string[]> {
    const path = join(workspace(), 'HEARTBEAT.md');
    try {
      return heartbeatTasks(await readFile(path, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await writeFile(path, heartbeatTemplate, { flag: 'wx', mode: 0o644 }).catch(() => {});
      deps.log('info', `heartbeat: wrote ${path}; add tasks below its last line for the heartbeat to act on`);
      return [];
    }
  }

  function minuteOfDay(): number {
    const hm = formatIn(deps.clock.now(), deps.timeZone()).split(' ')[1]!;
    return Number(hm.slice(0, 2)) * 60 + Number(hm.slice(3, 5));
  }

  async function beat(): Promise<BeatOutcome> {
    const hb = deps.config().heartbeat;
    if (!hb.enabled) return 'off';
    if (!deps.isRunner()) return 'not-runner';
    if (!withinActiveHours(hb.active_hours, minuteOfDay())) return 'outside-hours';
    const list = await tasks();
    if (list.length === 0) {
      deps.log('debug', 'heartbeat: HEARTBEAT.md has no tasks; no model call');
      return 'no-tasks';
    }
    if (beating) return 'ok';
    beating = true;
    try {
      const target = (hb.target ? parseTarget(hb.target) : undefined) ?? deps.lastChat();
      const sessionKey = 'heartbeat';
      const prompt = [
        '# Heartbeat Check',
        '',
        `Current time: ${formatIn(deps.clock.now(), deps.timeZone())}`,
        '',
        'You are a proactive AI assistant. This is a scheduled heartbeat check.',
        'Review the following tasks and execute any necessary actions using available tools.',
        `If there is nothing that requires attention, respond ONLY with: ${HEARTBEAT_OK}`,
        '',
        list.join('\n'),
      ].join('\n');
      const { answer, sent } = await runBackgroundTurn(deps.runtime, deps.deliveries, { channel: target?.channel ?? 'heartbeat', chatId: target?.to ?? 'heartbeat', sessionKey, senderId: 'heartbeat', text: prompt }, controller.signal);
      const log = (text: string) => appendFile(join(workspace(), 'heartbeat.log'), `${new Date(deps.clock.now()).toISOString()} ${text.replace(/\n/g, ' ').slice(0, 500)}\n`).catch(() => {});
      if (!answer || isQuiet(answer)) {
        await log(sent ? `${HEARTBEAT_OK} (after a message tool send)` : HEARTBEAT_OK);
        return sent ? 'sent' : 'ok';
      }
      // Sent already with the message tool: not a second time.
      if (sent) {
        await log(`sent with the message tool; answer not sent again: ${answer}`);
        return 'sent';
      }
      if (!target) {
        deps.log('warn', 'heartbeat: the model has something to report but there is no chat to send it to; set heartbeat.target (e.g. "telegram:123456789") or write to the assistant once');
        await log(`(not sent: no target) ${answer}`);
        return 'no-target';
      }
      const { sessionKey: chatSession } = await deps.outbound.send(target.channel, target.to, answer, controller.signal);
      await deps.runtime.record(chatSession, answer);
      await log(`sent to ${target.channel}:${target.to}: ${answer}`);
      return 'sent';
    } finally {
      beating = false;
    }
  }

  function arm() {
    const hb = deps.config().heartbeat;
    if (timer !== undefined) deps.clock.clearTimeout(timer);
    timer = undefined;
    armedFor = hb.enabled ? hb.interval : undefined;
    if (!hb.enabled || controller.signal.aborted) return;
    timer = deps.clock.setTimeout(() => {
      beat()
        .catch((error: Error) => deps.log('warn', `heartbeat failed: ${error.message}`))
        .finally(arm);
    }, hb.interval * 60_000);
  }

  return {
    configure() {
      const hb = deps.config().heartbeat;
      if ((hb.enabled ? hb.interval : undefined) !== armedFor || timer === undefined) arm();
    },
    beat,
    stop() {
      controller.abort();
      if (timer !== undefined) deps.clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}
