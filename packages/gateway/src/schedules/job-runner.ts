/**
 * One run of a job: a plain reminder is sent as it is; any other job is an agent turn with the
 * full toolset (Home Assistant included) and no history, whose answer is sent to the job's chat
 * — unless the turn already sent it there with the `message` tool. What is sent is also kept in
 * that chat's history, so "done, thanks" or "again in an hour" after a reminder makes sense to
 * the model.
 */
import type { ScheduledJob } from '@picoclaw/core';
import type { InboundMessage } from '../agent/agent-runtime.js';
import type { AgentEvent } from '../agent/events.js';
import type { JobRun } from './scheduler.js';
import { formatIn } from './wall-clock.js';

export interface Outbound {
  /** Sends to a chat (channels/channel-manager.ts); rejects with a sentence fit for the user. */
  send(channel: string, chatId: string, text: string, signal?: AbortSignal): Promise<{ sessionKey: string }>;
}

export interface TurnRunner {
  submit(message: InboundMessage, sink: (event: AgentEvent) => void): Promise<void>;
  stop(sessionKey: string): boolean;
  record(sessionKey: string, text: string): Promise<void>;
}

/**
 * Background turns (jobs, the heartbeat) being watched, by session key: true once the turn has
 * messaged its own chat with the `message` tool, so its answer is not sent a second time.
 */
export type OwnChatDeliveries = Map<string, boolean>;

/** Runs an ephemeral agent turn and resolves with its answer; rejects with the turn's error. */
export async function runEphemeralTurn(runtime: TurnRunner, message: Omit<InboundMessage, 'ephemeral'>, signal: AbortSignal): Promise<string> {
  let end: Extract<AgentEvent, { type: 'turn-end' }> | undefined;
  const abort = () => runtime.stop(message.sessionKey);
  signal.addEventListener('abort', abort, { once: true });
  try {
    await runtime.submit({ ...message, ephemeral: true }, (event) => {
      if (event.type === 'turn-end') end = event;
    });
  } finally {
    signal.removeEventListener('abort', abort);
  }
  if (!end) throw new Error('the turn ended without an answer');
  if (end.reason === 'error' || end.reason === 'command') throw new Error(end.reason === 'command' ? `the message was taken as a command: ${end.text}` : end.text);
  if (end.reason === 'aborted') throw new Error('the run was stopped');
  return end.text.trim();
}

/**
 * The answer by which a background turn (the heartbeat, a job's task) says there is nothing to
 * tell the user, so nothing is sent: PicoClaw's heartbeat marker, alone (Markdown or quotes
 * around it, a full stop after it are forgiven; a report that mentions it is still a report).
 */
export const QUIET = 'HEARTBEAT_OK';
export const isQuiet = (answer: string) => answer.trim().replace(/^[*_`"'\s]+|[*_`"'.!\s]+$/g, '') === QUIET;

/**
 * A background turn (a job, the heartbeat) watched for the `message` tool: `sent` when the turn
 * already messaged its own chat with it, so its answer must not go out a second time.
 */
export async function runBackgroundTurn(runtime: TurnRunner, deliveries: OwnChatDeliveries, message: Omit<InboundMessage, 'ephemeral'>, signal: AbortSignal): Promise<{ answer: string; sent: boolean }> {
  deliveries.set(message.sessionKey, false);
  try {
    const answer = await runEphemeralTurn(runtime, message, signal);
    return { answer, sent: deliveries.get(message.sessionKey) === true };
  } finally {
    deliveries.delete(message.sessionKey);
  }
}

export function createJobRunner(deps: { runtime: TurnRunner; outbound: Outbound; deliveries: OwnChatDeliveries; timeZone(): string; now?: () => number }): JobRun {
  const now = deps.now ?? Date.now;

  async function deliver(job: ScheduledJob, text: string, signal: AbortSignal) {
    const { sessionKey } = await deps.outbound.send(job.payload.channel, job.payload.to, text, signal);
    await deps.runtime.record(sessionKey, text);
  }

  return async (job, signal) => {
    if (job.payload.deliver) {
      await deliver(job, job.payload.message, signal);
      return job.payload.message;
    }
    // The model is told what this turn is, so it acts instead of asking back, and answers for the chat.
    const text = [
      `[Scheduled task "${job.name}" (job ${job.id}), run at ${formatIn(now(), deps.timeZone())}. Nobody is waiting for a reply in real time: do what it asks, then write what the user should read; it is sent to them. If there is nothing worth telling them this time, answer only ${QUIET} and nothing is sent.]`,
      job.payload.message,
    ].join('\n');
    const { answer, sent } = await runBackgroundTurn(deps.runtime, deps.deliveries, { channel: job.payload.channel, chatId: job.payload.to, sessionKey: `cron:${job.id}`, senderId: 'cron', senderName: 'scheduler', text }, signal);
    if (sent) return answer && !isQuiet(answer) ? `(sent with the message tool) ${answer}` : '(sent with the message tool)';
    if (isQuiet(answer)) return '(nothing to report)';
    if (!answer) throw new Error('the model gave an empty answer; nothing was sent');
    await deliver(job, answer, signal);
    return answer;
  };
}
