/**
 * In a cluster, one gateway runs the jobs: the holder of the `schedules` lease. It takes over
 * within one lease TTL (6 s) when the runner dies, loads the jobs from Redis and settles what
 * came due meanwhile by the scheduler's rules (within the grace: run; later: the job's `missed`).
 * While it leads it checks the store's revision every `pollMs` (one GET) and looks at the jobs
 * again when another gateway changed them, so a job added through any gateway's API or tool
 * fires on time instead of when the runner's timer next wakes (up to a minute). The others read
 * changed jobs every `followPollMs`, so their status (next runs, failing jobs) stays current
 * without reading the whole hash every time the runner records a run.
 */
import type { Cluster } from '../cluster/cluster.js';

type Log = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;

export const SCHEDULES_LEASE = 'schedules';

export function leadSchedules(options: {
  cluster: Pick<Cluster, 'leadership'>;
  /** Whether the jobs changed elsewhere since this gateway last read them. */
  changed: () => Promise<boolean>;
  /** Reads the jobs again and settles what is due (Scheduler.tick). */
  tick: () => Promise<void>;
  /** Reads the jobs again, for the status (Scheduler.list). */
  refresh: () => Promise<unknown>;
  setRunner: (runner: boolean) => void;
  log: Log;
  pollMs?: number;
  followPollMs?: number;
}): { stop(): Promise<void> } {
  const pollMs = options.pollMs ?? 2_000;
  const followPollMs = options.followPollMs ?? 15_000;
  let timer: NodeJS.Timeout | undefined;
  let polling = false;
  let stopped = false;

  async function poll(leader: boolean) {
    if (polling) return;
    polling = true;
    try {
      if (await options.changed()) await (leader ? options.tick() : options.refresh());
    } catch (error) {
      options.log('warn', `schedules: cannot check the shared jobs: ${(error as Error).message}`);
    } finally {
      polling = false;
    }
  }

  const follow = (leader: boolean) => {
    clearInterval(timer);
    timer = setInterval(() => void poll(leader), leader ? pollMs : followPollMs).unref();
  };
  follow(false);
  const leadership = options.cluster.leadership(SCHEDULES_LEASE, (leader) => {
    if (stopped) return;
    follow(leader);
    options.setRunner(leader);
  });

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      timer = undefined;
      await leadership.stop();
    },
  };
}
