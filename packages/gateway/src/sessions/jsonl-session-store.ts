/**
 * Sessions as JSONL files under `<workspace>/sessions/` (one message per line, as the reference
 * stores them), plus a small `.meta.json` with the original key and the summary. Appends are
 * serialised per session and fsynced within a second (see `syncMs`); a torn last line from a crash is skipped on read and never
 * glued to the next append.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from '@picoclaw/core';
import type { SessionInfo, SessionStore, StoredMessage } from './session-store.js';

const MAX_LINE = 10 * 1024 * 1024;

/** A file name for a session key: readable when the key is tame, hashed when it is not. */
export function sessionFileName(key: string): string {
  const safe = key.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 100);
  if (safe === key) return safe;
  return `${safe}-${createHash('sha256').update(key).digest('hex').slice(0, 10)}`;
}

interface Meta {
  key: string;
  summary?: string;
  created_at: string;
  updated_at: string;
  title?: string;
}

export function parseJsonl(text: string, onBadLine?: (line: number) => void): StoredMessage[] {
  const messages: StoredMessage[] = [];
  text.split('\n').forEach((line, index) => {
    if (!line.trim()) return;
    if (line.length > MAX_LINE) return onBadLine?.(index + 1);
    try {
      const value = JSON.parse(line) as StoredMessage;
      if (value && typeof value === 'object' && typeof value.role === 'string' && typeof value.content === 'string') messages.push(value);
      else onBadLine?.(index + 1);
    } catch {
      onBadLine?.(index + 1);
    }
  });
  return messages;
}

export function createJsonlSessionStore(options: {
  dir: string;
  now?: () => Date;
  onBadLine?: (key: string, line: number) => void;
  /**
   * Appends reach the file (and survive the process being killed) before they resolve; they are
   * fsynced to the disk within this many milliseconds, in the background — like Redis's
   * `appendfsync everysec`. 0: fsync every append before it resolves (slow disks make every turn
   * wait for it).
   */
  syncMs?: number;
}): SessionStore {
  const now = options.now ?? (() => new Date());
  const syncMs = options.syncMs ?? 1_000;
  const dirty = new Set<string>();
  let syncTimer: NodeJS.Timeout | undefined;
  let syncing: Promise<void> = Promise.resolve();
  async function syncDirty() {
    syncTimer = undefined;
    const files = [...dirty];
    dirty.clear();
    for (const file of files) {
      const handle = await open(file, 'r').catch(() => undefined); // cleared meanwhile: nothing to sync
      if (!handle) continue;
      await handle.sync().catch(() => {});
      await handle.close();
    }
  }
  function scheduleSync(file: string) {
    dirty.add(file);
    syncTimer ??= setTimeout(() => (syncing = syncing.then(syncDirty).catch(() => {})), syncMs);
    syncTimer.unref();
  }
  const queues = new Map<string, Promise<unknown>>();
  /** Sessions known to have a title already: appends need not read their meta file. */
  const titled = new Set<string>();
  /** Sessions whose file this process last wrote whole, so the torn-line check can be skipped. */
  const clean = new Set<string>();
  let ready: Promise<unknown> | undefined;
  const ensureDir = () => (ready ??= mkdir(options.dir, { recursive: true, mode: 0o700 }));
  // File names hash unusual keys; a turn asks for them several times.
  const named = new Map<string, { jsonl: string; meta: string }>();
  const paths = (key: string) => {
    let found = named.get(key);
    if (!found) {
      const base = join(options.dir, sessionFileName(key));
      found = { jsonl: `${base}.jsonl`, meta: `${base}.meta.json` };
      if (named.size >= 10_000) named.clear();
      named.set(key, found);
    }
    return found;
  };

  /** Runs `task` after every earlier task of the same session. */
  function serial<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = queues.get(key) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(task);
    queues.set(key, next);
    void next.finally(() => {
      if (queues.get(key) === next) queues.delete(key);
    }).catch(() => {});
    return next;
  }

  async function readMeta(key: string): Promise<Meta | undefined> {
    const text = await readFileIfExists(paths(key).meta);
    if (!text) return undefined;
    try {
      return JSON.parse(text) as Meta;
    } catch {
      return undefined;
    }
  }

  /** The summary must survive a crash; a title or a date may fall back to the previous one. */
  async function writeMeta(key: string, change: Partial<Meta>) {
    const stamp = now().toISOString();
    const current = (await readMeta(key)) ?? { key, created_at: stamp, updated_at: stamp };
    await writeFileAtomic(paths(key).meta, JSON.stringify({ ...current, ...change, key, updated_at: stamp }), { mode: 0o600, durable: 'summary' in change });
  }

  return {
    load: (key) =>
      serial(key, async () => {
        const text = await readFileIfExists(paths(key).jsonl);
        // No messages, no summary: a new session needs no second read.
        if (text === undefined) return { messages: [] };
        const messages = parseJsonl(text, (line) => options.onBadLine?.(key, line));
        const meta = await readMeta(key);
        return { messages, ...(meta?.summary ? { summary: meta.summary } : {}) };
      }),

    append: (key, messages) =>
      serial(key, async () => {
        if (messages.length === 0) return;
        await ensureDir();
        const { jsonl } = paths(key);
        const stamp = now().toISOString();
        let lines = messages.map((m) => JSON.stringify({ ...m, created_at: m.created_at ?? stamp })).join('\n') + '\n';
        const handle = await open(jsonl, 'a+', 0o600);
        try {
          // Once this process has appended to a file it knows the file ends with a newline.
          if (!clean.has(key)) {
            const { size } = await handle.stat();
            if (size > 0) {
              const last = Buffer.alloc(1);
              await handle.read(last, 0, 1, size - 1);
              if (last[0] !== 0x0a) lines = `\n${lines}`; // a crash left a torn line: keep it apart
            }
          }
          await handle.appendFile(lines);
          if (syncMs === 0) await handle.sync();
          else scheduleSync(jsonl);
          if (clean.size >= 10_000) clean.clear();
          clean.add(key);
        } catch (error) {
          clean.delete(key);
          throw error;
        } finally {
          await handle.close();
        }
        if (titled.has(key)) return;
        const first = messages.find((m) => m.role === 'user');
        const meta = await readMeta(key);
        if (!meta || (!meta.title && first)) await writeMeta(key, first ? { title: first.content.slice(0, 80) } : {});
        if (meta?.title || first) {
          if (titled.size >= 10_000) titled.clear();
          titled.add(key);
        }
      }),

    rewrite: (key, snapshot) =>
      serial(key, async () => {
        await ensureDir();
        const text = snapshot.messages.map((m) => JSON.stringify(m)).join('\n') + (snapshot.messages.length ? '\n' : '');
        clean.delete(key);
        await writeMeta(key, { summary: snapshot.summary ?? '' });
        await writeFileAtomic(paths(key).jsonl, text, { mode: 0o600 });
      }),

    clear: (key) =>
      serial(key, async () => {
        const { jsonl, meta } = paths(key);
        clean.delete(key);
        titled.delete(key);
        const archive = join(options.dir, 'archive');
        await mkdir(archive, { recursive: true, mode: 0o700 });
        const stamp = now().toISOString().replace(/[:.]/g, '-');
        const name = sessionFileName(key);
        await rename(jsonl, join(archive, `${name}.${stamp}.jsonl`)).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') throw e;
        });
        await rm(meta, { force: true });
      }),

    async flush() {
      clearTimeout(syncTimer);
      const done = syncing.then(syncDirty);
      syncing = done.catch(() => {});
      await done;
    },

    setTitle: (key, title) => serial(key, () => writeMeta(key, { title: title.slice(0, 120) })),

    async list(): Promise<SessionInfo[]> {
      const entries = await readdir(options.dir).catch(() => [] as string[]);
      const infos = await Promise.all(
        entries.filter((f) => f.endsWith('.meta.json')).map(async (file) => {
          try {
            const meta = JSON.parse(await readFile(join(options.dir, file), 'utf8')) as Meta;
            const jsonl = join(options.dir, file.replace(/\.meta\.json$/, '.jsonl'));
            const text = await readFile(jsonl, 'utf8').catch(() => '');
            const info: SessionInfo = { key: meta.key, messages: parseJsonl(text).length, updatedAt: (await stat(jsonl).catch(() => undefined))?.mtime.toISOString() ?? meta.updated_at };
            if (meta.title) info.title = meta.title;
            return info;
          } catch {
            return undefined;
          }
        }),
      );
      return infos.filter((i): i is SessionInfo => i !== undefined).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
    },
  };
}
