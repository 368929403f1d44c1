/**
 * Where jobs live. A lone gateway keeps them in `<workspace>/cron/jobs.json`, PicoClaw's file
 * (`{version: 1, jobs}`), written atomically; gateways sharing Redis keep them there (the Redis
 * store, redis-job-store.ts). Each job is read through `readJob`, so a hand-edited or PicoClaw-made
 * file with a broken entry costs that entry (logged), not the others.
 */
import { mkdir, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readFileIfExists, writeFileAtomic, type ScheduledJob } from '@picoclaw/core';
import * as z from 'zod';

export interface JobStore {
  /**
   * Every job, read again only when another process (the CLI, PicoClaw, another gateway) changed
   * them since, so it is cheap to call before each use; the objects are the store's own, to be
   * changed and handed back with `put`.
   */
  load(): Promise<ScheduledJob[]>;
  /** Writes jobs (new or changed) in one go; resolves once they are stored. */
  put(...jobs: ScheduledJob[]): Promise<void>;
  /** False when there was no such job. */
  remove(id: string): Promise<boolean>;
  /**
   * Claims one run of a job so that no other gateway makes it (a lease in Redis); a lone
   * gateway's store always grants it.
   */
  claim?(id: string, atMs: number): Promise<boolean>;
  /** Waits for pending writes. */
  flush(): Promise<void>;
}

const num = z.number().finite();
const scheduleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('at'), atMs: num }).passthrough(),
  z.object({ kind: z.literal('every'), everyMs: num.positive() }).passthrough(),
  z.object({ kind: z.literal('cron'), expr: z.string().min(1), tz: z.string().optional() }).passthrough(),
]);

/** A stored job, lenient where PicoClaw is (missing state, timestamps, names); extra fields kept. */
const jobSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    name: z.string().default(''),
    enabled: z.boolean().default(true),
    schedule: scheduleSchema,
    payload: z
      .object({
        kind: z.literal('agent_turn').default('agent_turn'),
        message: z.string().default(''),
        command: z.string().optional(),
        channel: z.string().default(''),
        to: z.string().default(''),
        deliver: z.boolean().optional(),
      })
      .passthrough(),
    state: z
      .object({
        nextRunAtMs: num.optional(),
        lastRunAtMs: num.optional(),
        lastStatus: z.enum(['ok', 'error', 'skipped']).optional().catch(undefined),
        lastError: z.string().optional(),
        lastDurationMs: num.optional(),
        lastResult: z.string().optional(),
        runs: num.optional(),
      })
      .passthrough()
      .default({}),
    createdAtMs: num.default(0),
    updatedAtMs: num.default(0),
    deleteAfterRun: z.boolean().default(false),
    missed: z.enum(['run', 'skip']).optional().catch(undefined),
  })
  .passthrough();

/** A job read from storage, or why it cannot be used. */
export function readJob(raw: unknown): { job: ScheduledJob } | { error: string } {
  const parsed = jobSchema.safeParse(raw);
  if (parsed.success) return { job: parsed.data as ScheduledJob };
  const id = raw && typeof raw === 'object' && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : '?';
  return { error: `job ${id}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'job'} ${i.message}`).join('; ')}` };
}

export function jobsPath(workspace: string): string {
  return join(workspace, 'cron', 'jobs.json');
}

/**
 * The jobs file. Writes are whole-file and atomic (temp, fsync, rename), queued one behind the
 * other, each writing the latest jobs, so a burst of changes costs few writes. A file that is
 * not JSON is moved aside (`jobs.json.bad-<time>`) with a warning rather than overwritten.
 */
export function createFileJobStore(options: { workspace: string; warn?: (message: string) => void }): JobStore {
  const path = jobsPath(options.workspace);
  const warn = options.warn ?? (() => {});
  let jobs = new Map<string, ScheduledJob>();
  /** Entries the file holds that cannot be read: kept as they are when the file is written again. */
  let unreadable: unknown[] = [];
  let seenMtime = -1;
  let ownMtime = -1;
  let writing: Promise<void> = Promise.resolve();
  let dirty = false;
  /** Writes queued or running: while there is one, memory is newer than the file. */
  let pending = 0;

  async function mtime(): Promise<number> {
    try {
      return (await stat(path)).mtimeMs;
    } catch {
      return 0;
    }
  }

  async function read(): Promise<void> {
    const m = await mtime();
    const text = await readFileIfExists(path);
    seenMtime = m;
    jobs = new Map();
    unreadable = [];
    if (text === undefined || !text.trim()) return;
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      // (JSON.parse's message quotes the file: reminders are nobody's business in a log)
      const aside = `${path}.bad-${Date.now()}`;
      await rename(path, aside).catch(() => {});
      warn(`${path} is not valid JSON; moved it to ${aside} and started with no jobs`);
      seenMtime = 0;
      return;
    }
    const list = doc && typeof doc === 'object' && Array.isArray((doc as { jobs?: unknown }).jobs) ? (doc as { jobs: unknown[] }).jobs : [];
    for (const raw of list) {
      const read = readJob(raw);
      if ('job' in read) jobs.set(read.job.id, read.job);
      else {
        unreadable.push(raw);
        warn(`${path}: ${read.error}; that job is left as it is and does not run`);
      }
    }
  }

  function write(): Promise<void> {
    dirty = true;
    pending++;
    writing = writing
      .catch(() => {})
      .then(async () => {
        try {
          if (!dirty) return;
          dirty = false;
          await mkdir(dirname(path), { recursive: true, mode: 0o700 });
          await writeFileAtomic(path, `${JSON.stringify({ version: 1, jobs: [...jobs.values(), ...unreadable] }, null, 2)}\n`, { mode: 0o600 });
          ownMtime = seenMtime = await mtime();
        } finally {
          pending--;
        }
      });
    return writing;
  }

  /** Whether another process changed the file; never while a write of ours is due (it will overwrite the file anyway). */
  async function changed() {
    if (pending > 0) return false;
    const m = await mtime();
    return m !== seenMtime && m !== ownMtime;
  }

  let loaded = false;
  async function loadNow() {
    if (!loaded || (await changed())) await read();
    loaded = true;
    return [...jobs.values()];
  }
  /**
   * Reads and changes of the map one at a time: a read replaces the map after awaiting the file, so
   * a change made meanwhile (the scheduler starting while the API adds a job) would be wiped, and
   * then written. The writes stay outside: a burst of changes still shares a few of them.
   */
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(operation: () => Promise<T>): Promise<T> => {
    const run = queue.then(operation, operation);
    queue = run.catch(() => {});
    return run;
  };
  return {
    load: () => exclusive(loadNow),
    async put(...list) {
      await exclusive(async () => {
        // Another process's edit is read first, so this write does not undo it.
        await loadNow();
        for (const job of list) jobs.set(job.id, job);
      });
      await write();
    },
    async remove(id) {
      const removed = await exclusive(async () => {
        await loadNow();
        return jobs.delete(id);
      });
      if (removed) await write();
      return removed;
    },
    flush: () => writing.catch(() => {}),
  };
}
