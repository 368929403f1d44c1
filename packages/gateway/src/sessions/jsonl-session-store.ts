/**
 * Sessions as JSONL files under `<workspace>/sessions/` (one message per line, as the reference
 * stores them), plus a small `.meta.json` with the original key and the summary. Appends are
 * serialised per session and fsynced within a second (see `syncMs`); a torn last line from a crash is skipped on read and never
 * glued to the next append.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from '@picoclaw/core';
import { findIn, findInMessages, foldCase, jsonNeedle, SEARCH_BYTE_BUDGET, type SessionSearchHit, type SessionSearchResult } from './session-search.js';
import type { SessionInfo, SessionStore, StoredMessage } from './session-store.js';

const MAX_LINE = 10 * 1024 * 1024;
/** Sessions kept in memory, by the size of their JSON lines. */
const MAX_CACHED_BYTES = 1024 * 1024;
/** Append handles kept open (each is one file descriptor). */
const MAX_OPEN_FILES = 64;

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
  const queues = new Map<string, Promise<unknown>>();
  /**
   * Append handles of recent sessions, least recently used first: a turn appends once or more and
   * the background sync fsyncs once, so opening and closing the file each time would triple the
   * file operations of a turn. Closed when idle for a sync period, on rewrite/clear and on flush.
   */
  const files = new Map<string, { handle: FileHandle; used: boolean }>();
  /** Sessions with appends not yet fsynced. */
  const dirty = new Set<string>();
  /** Metadata known to this process (null: no meta file), and changes not yet written. */
  const metas = new Map<string, Meta | null>();
  const pendingMeta = new Map<string, Meta>();
  let syncTimer: NodeJS.Timeout | undefined;
  let syncing: Promise<void> = Promise.resolve();
  /** Sessions known to have a title already: appends need not look at their meta. */
  const titled = new Set<string>();
  /** Sessions whose file this process last wrote whole (or found missing), so the torn-line check can be skipped. */
  const clean = new Set<string>();
  const remember = <T>(set: Set<T> | Map<T, unknown>, limit = 10_000) => {
    if (set.size >= limit) set.clear();
  };
  const knowMeta = (key: string, meta: Meta | null) => {
    remember(metas, 2_000);
    metas.set(key, meta);
  };
  /**
   * Recent sessions in memory (least recently used first), so a turn does not read and parse the
   * whole file again: each session is written only through this store while the gateway runs
   * (the home's pid file keeps other gateways out). Bounded by the size of their JSON.
   */
  const cache = new Map<string, { messages: StoredMessage[]; summary?: string; bytes: number }>();
  let cachedBytes = 0;
  const uncache = (key: string) => {
    cachedBytes -= cache.get(key)?.bytes ?? 0;
    cache.delete(key);
  };
  const cacheSet = (key: string, messages: StoredMessage[], bytes: number, summary?: string) => {
    uncache(key);
    if (bytes > MAX_CACHED_BYTES / 4) return;
    cache.set(key, { messages, bytes, ...(summary ? { summary } : {}) });
    cachedBytes += bytes;
    for (const old of cache.keys()) {
      if (cachedBytes <= MAX_CACHED_BYTES) break;
      uncache(old);
    }
  };
  /** The session files in the directory, listed once: a new session is known to be new without a read. */
  let existing: Promise<Set<string>> | undefined;
  const sessionFiles = () => (existing ??= readdir(options.dir).then((names) => new Set(names.filter((n) => n.endsWith('.jsonl'))), () => new Set<string>()));
  const fileName = (key: string) => basename(paths(key).jsonl);
  let ready: Promise<unknown> | undefined;
  const ensureDir = () => (ready ??= mkdir(options.dir, { recursive: true, mode: 0o700 }));
  // File names hash unusual keys; a turn asks for them several times.
  const named = new Map<string, { jsonl: string; meta: string }>();
  const paths = (key: string) => {
    let found = named.get(key);
    if (!found) {
      const base = join(options.dir, sessionFileName(key));
      found = { jsonl: `${base}.jsonl`, meta: `${base}.meta.json` };
      remember(named);
      named.set(key, found);
    }
    return found;
  };

  async function appendHandle(key: string): Promise<FileHandle> {
    const known = files.get(key);
    if (known) {
      files.delete(key); // re-inserted: most recently used last
      files.set(key, known);
      known.used = true;
      return known.handle;
    }
    const handle = await open(paths(key).jsonl, 'a+', 0o600);
    files.set(key, { handle, used: true });
    if (files.size > MAX_OPEN_FILES) {
      // The least recently used one that no task of its session is using.
      for (const old of files.keys()) {
        if (old !== key && !queues.has(old)) {
          void closeFile(old);
          break;
        }
      }
    }
    return handle;
  }
  async function closeFile(key: string) {
    const file = files.get(key);
    if (!file) return;
    files.delete(key);
    await file.handle.close().catch(() => {});
  }

  async function syncDirty() {
    syncTimer = undefined;
    const keys = [...dirty];
    dirty.clear();
    for (const key of keys) {
      const file = files.get(key);
      if (file) {
        await file.handle.sync().catch(() => {}); // closed meanwhile by a rewrite or clear, which write durably
        continue;
      }
      const handle = await open(paths(key).jsonl, 'r').catch(() => undefined); // cleared meanwhile: nothing to sync
      if (!handle) continue;
      await handle.sync().catch(() => {});
      await handle.close();
    }
    await writePendingMeta();
    for (const [key, file] of [...files]) {
      if (!file.used && !queues.has(key)) await closeFile(key);
      else file.used = false;
    }
    if (files.size && syncMs > 0) armSync(); // to close the ones still open once they are idle
  }
  function armSync() {
    syncTimer ??= setTimeout(() => (syncing = syncing.then(syncDirty).catch(() => {})), syncMs);
    syncTimer.unref();
  }
  function scheduleSync(key: string) {
    dirty.add(key);
    armSync();
  }

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
    const known = pendingMeta.get(key) ?? metas.get(key);
    if (known !== undefined) return known ?? undefined;
    const text = await readFileIfExists(paths(key).meta);
    let meta: Meta | null = null;
    try {
      if (text) meta = JSON.parse(text) as Meta;
    } catch {
      // unreadable: written anew on the next change
    }
    knowMeta(key, meta);
    return meta ?? undefined;
  }

  function changedMeta(current: Meta | undefined, key: string, change: Partial<Meta>): Meta {
    const stamp = now().toISOString();
    const meta = { ...(current ?? { key, created_at: stamp, updated_at: stamp }), ...change, key, updated_at: stamp };
    knowMeta(key, meta);
    return meta;
  }

  /** The summary must survive a crash: written (durably) before the call resolves. */
  async function writeMeta(key: string, change: Partial<Meta>) {
    const meta = changedMeta(await readMeta(key), key, change);
    pendingMeta.delete(key);
    await writeFileAtomic(paths(key).meta, JSON.stringify(meta), { mode: 0o600, durable: 'summary' in change });
  }

  /** Titles and dates may fall back to the previous ones after a crash: written with the next sync. */
  async function writePendingMeta() {
    const pending = [...pendingMeta];
    pendingMeta.clear();
    for (const [key, meta] of pending) {
      await writeFileAtomic(paths(key).meta, JSON.stringify(meta), { mode: 0o600, durable: false }).catch(() => {
        if (!pendingMeta.has(key)) pendingMeta.set(key, meta); // tried again with the next sync
      });
    }
  }

  return {
    load: (key) =>
      serial(key, async () => {
        const hit = cache.get(key);
        if (hit) {
          cache.delete(key); // re-inserted: most recently used last
          cache.set(key, hit);
          return { messages: hit.messages.slice(), ...(hit.summary ? { summary: hit.summary } : {}) };
        }
        const text = (await sessionFiles()).has(fileName(key)) ? await readFileIfExists(paths(key).jsonl) : undefined;
        // No messages, no summary: a new session needs no second read, and its file starts clean.
        if (text === undefined) {
          remember(clean);
          clean.add(key);
          knowMeta(key, null); // nor a meta file: the first append need not look for one
          cacheSet(key, [], 0);
          return { messages: [] };
        }
        const messages = parseJsonl(text, (line) => options.onBadLine?.(key, line));
        const meta = await readMeta(key);
        cacheSet(key, messages, text.length, meta?.summary);
        return { messages: messages.slice(), ...(meta?.summary ? { summary: meta.summary } : {}) };
      }),

    append: (key, messages) =>
      serial(key, async () => {
        if (messages.length === 0) return;
        await ensureDir();
        const stamp = now().toISOString();
        const stored = messages.map((m) => ({ ...m, created_at: m.created_at ?? stamp }));
        let lines = stored.map((m) => JSON.stringify(m)).join('\n') + '\n';
        try {
          const handle = await appendHandle(key);
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
          else scheduleSync(key);
          remember(clean);
          clean.add(key);
          (await sessionFiles()).add(fileName(key));
          const cached = cache.get(key);
          if (cached) {
            cached.messages.push(...stored);
            cached.bytes += lines.length;
            cachedBytes += lines.length;
          }
        } catch (error) {
          clean.delete(key);
          uncache(key); // what reached the file is unknown: read it again
          await closeFile(key);
          throw error;
        }
        if (titled.has(key)) return;
        const first = messages.find((m) => m.role === 'user');
        const meta = await readMeta(key);
        if (!meta || (!meta.title && first)) {
          pendingMeta.set(key, changedMeta(meta, key, first ? { title: first.content.slice(0, 80) } : {}));
          if (syncMs === 0) await writePendingMeta();
          else scheduleSync(key);
        }
        if (meta?.title || first) {
          remember(titled);
          titled.add(key);
        }
      }),

    rewrite: (key, snapshot) =>
      serial(key, async () => {
        await ensureDir();
        const text = snapshot.messages.map((m) => JSON.stringify(m)).join('\n') + (snapshot.messages.length ? '\n' : '');
        clean.delete(key);
        uncache(key);
        await closeFile(key); // the file is replaced: later appends open the new one
        await writeMeta(key, { summary: snapshot.summary ?? '' });
        await writeFileAtomic(paths(key).jsonl, text, { mode: 0o600 });
        (await sessionFiles()).add(fileName(key));
        cacheSet(key, snapshot.messages.slice(), text.length, snapshot.summary);
      }),

    clear: (key) =>
      serial(key, async () => {
        const { jsonl, meta } = paths(key);
        clean.delete(key);
        titled.delete(key);
        await closeFile(key);
        uncache(key);
        (await sessionFiles()).delete(fileName(key));
        pendingMeta.delete(key);
        metas.delete(key);
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
      const done = syncing.then(syncDirty).then(async () => {
        for (const key of [...files.keys()]) if (!queues.has(key)) await closeFile(key);
      });
      syncing = done.catch(() => {});
      await done;
    },

    setTitle: (key, title) => serial(key, () => writeMeta(key, { title: title.slice(0, 120) })),

    async search({ prefix, query, limit, maxBytes = SEARCH_BYTE_BUDGET }): Promise<SessionSearchResult> {
      await writePendingMeta();
      const q = foldCase(query);
      const needle = jsonNeedle(q);
      // The sessions of the prefix, newest first: their meta files are small; the JSONL is read
      // one file at a time, only when the title does not match, and skipped unparsed when its
      // raw text cannot have the query.
      const entries = await readdir(options.dir).catch(() => [] as string[]);
      const found: { meta: Meta; jsonl: string; mtime: number; size: number }[] = [];
      for (const file of entries) {
        if (!file.endsWith('.meta.json')) continue;
        try {
          const meta = JSON.parse(await readFile(join(options.dir, file), 'utf8')) as Meta;
          if (typeof meta.key !== 'string' || !meta.key.startsWith(prefix)) continue;
          const jsonl = join(options.dir, file.replace(/\.meta\.json$/, '.jsonl'));
          const info = await stat(jsonl).catch(() => undefined);
          found.push({ meta, jsonl, mtime: info?.mtimeMs ?? Date.parse(meta.updated_at), size: info?.size ?? 0 });
        } catch {
          // an unreadable meta file: not listed either
        }
      }
      found.sort((a, b) => b.mtime - a.mtime);
      const hits: SessionSearchHit[] = [];
      let read = 0;
      for (const { meta, jsonl, mtime, size } of found) {
        if (hits.length >= limit) break;
        const base = { key: meta.key, ...(meta.title ? { title: meta.title } : {}), updatedAt: new Date(mtime).toISOString() };
        const inTitle = meta.title ? findIn(meta.title, q) : undefined;
        if (inTitle) {
          hits.push({ ...base, in: 'title', snippet: inTitle });
          continue;
        }
        if (read + size > maxBytes) return { hits, truncated: true };
        const text = await readFile(jsonl, 'utf8').catch(() => '');
        read += size || text.length;
        if (needle !== undefined && !foldCase(text).includes(needle)) continue;
        const match = findInMessages(parseJsonl(text), q);
        if (match) hits.push({ ...base, in: 'message', ...match });
      }
      return { hits, truncated: false };
    },

    async list(): Promise<SessionInfo[]> {
      await writePendingMeta();
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
