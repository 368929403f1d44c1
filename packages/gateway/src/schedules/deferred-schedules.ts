/**
 * The schedules as the gateway holds them from its start. Their code (croner, the job store, the
 * tools: some 70 KB to parse, and the garbage collection it brings on) loads after readiness, so
 * it costs the start-up nothing; a message that arrives before it is loaded waits for it (a few
 * milliseconds), so that every turn has the cron tool.
 */
import type { FeatureApi } from '../http/feature-api.js';
import type { SchedulesStatus } from '@picoclaw/core';
import type { InboundMessage } from '../agent/agent-runtime.js';
import type { Tool } from '../tools/types.js';
import type { Schedules, SchedulesDeps } from './schedules.js';

export interface DeferredSchedules {
  /** Loads the schedules and starts them; `deps` is asked for then. Never rejects (logs instead). */
  start(deps: () => SchedulesDeps): Promise<void>;
  /** Resolves when `message` may go to the agent: the schedules are loaded, its chat noted. */
  admit(message: InboundMessage): Promise<void>;
  tools(turn?: InboundMessage): Tool[];
  configure(): void;
  /** Undefined until they are loaded. */
  status(): SchedulesStatus | undefined;
  /** `/schedules…` of the gateway's HTTP API (503 while they load). */
  http: FeatureApi;
  close(): Promise<void>;
}

const admitted = Promise.resolve();

export function deferSchedules(log: (message: string) => void): DeferredSchedules {
  let current: Schedules | undefined;
  let settle!: (schedules: Schedules | undefined) => void;
  /** Undefined inside when they could not be loaded: messages go on without them. */
  const loaded = new Promise<Schedules | undefined>((resolve) => (settle = resolve));
  let started: Promise<void> | undefined;

  return {
    start(deps) {
      started ??= import('./schedules.js')
        .then(async ({ createSchedules }) => {
          current = createSchedules(deps());
          settle(current);
          await current.start();
        })
        .catch((error: Error) => {
          settle(undefined);
          log(`schedules could not start: ${error.message}`);
        });
      return started;
    },
    admit(message) {
      if (current) {
        current.seen(message.channel, message.chatId);
        return admitted;
      }
      return loaded.then((schedules) => schedules?.seen(message.channel, message.chatId));
    },
    tools: (turn) => current?.tools(turn) ?? [],
    configure: () => current?.configure(),
    status: () => current?.status(),
    http: {
      bodies: ['POST', 'PATCH'],
      async handle(method, path, _query, body) {
        const schedules = current ?? (started ? await loaded : undefined);
        return schedules ? schedules.api(method, path, body) : { status: 503, body: { error: 'schedules are not available yet: the gateway is starting' } };
      },
    },
    async close() {
      await started;
      await current?.close();
    },
  };
}
