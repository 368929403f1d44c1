/**
 * The memory files of one workspace (`<workspace>/memory/`, memory-layout.ts), read and changed
 * only through here: the model's tool, the gateway API and the CLI share these rules.
 *
 * - Every change is an atomic write (temp file, fsync, rename) with mode 0600, and the previous
 *   content is kept first in `memory/.history/<name>.<time>` (the newest KEEP_VERSIONS per file):
 *   PicoClaw's agent overwrote its own MEMORY.md (#3150), here a bad change can be undone.
 * - The model can only append, or replace the body of ONE section; a whole file is written only
 *   by `save` (the dashboard's editor and `picoclaw memory`), never by the tool.
 * - Sizes are capped (MAX_FILE_BYTES per file, MAX_TEXT_CHARS per change): a looping or hostile
 *   model cannot fill the disk or the prompt through memory.
 * - Nothing is followed through a symbolic link: the memory folder, a month folder or a file that
 *   is a link is refused, so memory/ cannot be made to point at PicoClaw's config or secrets.
 * - Changes of one folder run one after the other (in this process), so two appends never lose one.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@picoclaw/core';
import { dailyName, dayOf, dayOfName, findSection, isMemoryName, LONG_TERM, sectionsOf } from './memory-layout.js';

/** A memory file's size limit: far above any sensible MEMORY.md, far below a disk or prompt problem. */
export const MAX_FILE_BYTES = 128 * 1024;
/** The longest text one append or section edit may bring. */
export const MAX_TEXT_CHARS = 8_000;
/** Earlier versions kept per file. */
export const KEEP_VERSIONS = 20;
const HISTORY = '.history';

/** A refusal with the sentence to show and the HTTP status that fits it. */
export class MemoryError extends Error {
  constructor(message: string, readonly status: 400 | 404 | 409 | 413 = 400) {
    super(message);
  }
}

export interface MemoryFileInfo {
  /** `MEMORY.md` or `YYYYMM/YYYYMMDD.md`. */
  name: string;
  /** `YYYY-MM-DD` for a daily note. */
  day?: string;
  bytes: number;
  modifiedMs: number;
}

export interface MemoryChange {
  name: string;
  bytes: number;
  /** The earlier version's file under memory/.history (absent when the file is new). */
  previous?: string;
}

export interface MemoryStore {
  readonly dir: string;
  /** MEMORY.md first (when it exists), then the daily notes, newest first. */
  list(): Promise<MemoryFileInfo[]>;
  /** A file's text; undefined when it does not exist. */
  read(name: string): Promise<string | undefined>;
  /** Appends to a section of MEMORY.md (made at the end when missing) or to a day's note (today's by default). */
  append(text: string, where?: { section: string } | { day: string }): Promise<MemoryChange>;
  /** Replaces the body of one existing section of MEMORY.md; the others stay as they are. */
  editSection(section: string, body: string): Promise<MemoryChange>;
  /** Writes a whole file (dashboard, CLI); the previous version is kept. */
  save(name: string, content: string): Promise<MemoryChange>;
  /** The kept versions of a file, newest first (names under memory/.history). */
  versions(name: string): Promise<string[]>;
  /** One kept version's text (a name `versions` listed); undefined when there is no such version. */
  readVersion(name: string, version: string): Promise<string | undefined>;
  /** Today's `YYYY-MM-DD` (local time). */
  today(): string;
}

const { O_RDONLY } = constants;
const SAFE = (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
/** One queue per memory folder, shared by every store of it in this process (tool, API). */
const queues = new Map<string, Promise<unknown>>();

/** Versions made in the same millisecond get -0001, -0002…: names stay unique and sort by age. */
let lastStamp = '';
let seq = 0;

const bytes = (text: string) => Buffer.byteLength(text);
const flat = (name: string) => name.replace('/', '-');

export function createMemoryStore(options: { workspace: string; now?: () => Date }): MemoryStore {
  const dir = join(options.workspace, 'memory');
  const now = options.now ?? (() => new Date());

  function serial<T>(work: () => Promise<T>): Promise<T> {
    const previous = queues.get(dir) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => {});
    queues.set(dir, settled);
    void settled.then(() => {
      if (queues.get(dir) === settled) queues.delete(dir);
    });
    return next;
  }

  /** Refuses a folder on the way that is a link or not a folder; true when it exists. */
  async function folderOk(path: string, shown: string): Promise<boolean> {
    const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!info) return false;
    if (info.isSymbolicLink() || !info.isDirectory()) throw new MemoryError(`${shown} is not a plain folder (a link?); the memory files are not read or written through it`, 409);
    return true;
  }

  function check(name: string): void {
    if (!isMemoryName(name)) throw new MemoryError(`no memory file "${name}": the names are MEMORY.md and daily notes YYYYMM/YYYYMMDD.md`, 404);
  }

  async function foldersOf(name: string, create: boolean): Promise<boolean> {
    const month = name.includes('/') ? name.split('/')[0]! : undefined;
    if (!(await folderOk(dir, 'memory/'))) {
      if (!create) return false;
      await mkdir(dir, { recursive: true, mode: 0o700 });
    }
    if (month && !(await folderOk(join(dir, month), `memory/${month}/`))) {
      if (!create) return false;
      await mkdir(join(dir, month), { mode: 0o700 });
    }
    return true;
  }

  async function readRaw(name: string): Promise<string | undefined> {
    check(name);
    if (!(await foldersOf(name, false))) return undefined;
    return readAt(name);
  }

  /** Reads `memory/<path>` (a checked name, or a listed version) up to twice the cap, through no link. */
  async function readAt(path: string): Promise<string | undefined> {
    let handle;
    try {
      handle = await open(join(dir, path), O_RDONLY | SAFE);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code === 'ELOOP') throw new MemoryError(`memory/${path} is a symbolic link; memory files are not read through links`, 409);
      throw error;
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new MemoryError(`memory/${path} is not a regular file`, 409);
      // A file grown past the cap by other means is read up to the cap: never a huge read.
      const buffer = Buffer.alloc(Math.min(info.size, MAX_FILE_BYTES * 2));
      const { bytesRead } = buffer.length ? await handle.read(buffer, 0, buffer.length, 0) : { bytesRead: 0 };
      return buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  }

  async function versions(name: string): Promise<string[]> {
    check(name);
    const prefix = `${flat(name)}.`;
    const entries = await readdir(join(dir, HISTORY)).catch(() => [] as string[]);
    return entries.filter((e) => e.startsWith(prefix) && /^\d{8}T\d{9}Z(-\d{4})?$/.test(e.slice(prefix.length))).sort().reverse();
  }

  /** Keeps `previous` under .history, then trims the oldest beyond KEEP_VERSIONS. */
  async function keep(name: string, previous: string): Promise<string> {
    if (await folderOk(join(dir, HISTORY), 'memory/.history/')) {
      /* exists */
    } else await mkdir(join(dir, HISTORY), { mode: 0o700 });
    const stamp = now().toISOString().replace(/[-:.]/g, '').replace(/^(\d{8}T\d{6})(\d{3})Z$/, '$1$2Z');
    seq = stamp === lastStamp ? seq + 1 : 0;
    lastStamp = stamp;
    const file = `${flat(name)}.${stamp}${seq ? `-${String(seq).padStart(4, '0')}` : ''}`;
    await writeFileAtomic(join(dir, HISTORY, file), previous, { mode: 0o600 });
    const old = (await versions(name)).slice(KEEP_VERSIONS);
    await Promise.all(old.map((f) => rm(join(dir, HISTORY, f), { force: true })));
    return `${HISTORY}/${file}`;
  }

  /** Writes `next` over `name` (whose current text is `current`), keeping the current text first. */
  async function write(name: string, current: string | undefined, next: string): Promise<MemoryChange> {
    const size = bytes(next);
    if (size > MAX_FILE_BYTES) {
      throw new MemoryError(`memory/${name} would be ${size} bytes, over the ${MAX_FILE_BYTES}-byte limit of a memory file; shorten a section first (or move old notes out)`, 413);
    }
    await foldersOf(name, true);
    const previous = current !== undefined && current !== next ? await keep(name, current) : undefined;
    await writeFileAtomic(join(dir, name), next, { mode: 0o600 });
    return { name, bytes: size, ...(previous ? { previous } : {}) };
  }

  const checkText = (text: string) => {
    if (!text.trim()) throw new MemoryError('the text is empty');
    if (text.length > MAX_TEXT_CHARS) throw new MemoryError(`the text is ${text.length} characters; one change takes at most ${MAX_TEXT_CHARS}`, 413);
  };

  return {
    dir,
    today: () => dayOf(now()),
    async list() {
      const files: MemoryFileInfo[] = [];
      if (!(await folderOk(dir, 'memory/'))) return files;
      const stat = async (name: string) => {
        const info = await lstat(join(dir, name)).catch(() => undefined);
        if (info?.isFile()) files.push({ name, ...(dayOfName(name) ? { day: dayOfName(name)! } : {}), bytes: info.size, modifiedMs: info.mtimeMs });
      };
      const months = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && /^\d{6}$/.test(e.name));
      await stat(LONG_TERM);
      await Promise.all(months.map(async (m) => {
        const names = (await readdir(join(dir, m.name)).catch(() => [] as string[])).map((n) => `${m.name}/${n}`).filter(isMemoryName);
        await Promise.all(names.map(stat));
      }));
      return files.sort((a, b) => (a.name === LONG_TERM ? -1 : b.name === LONG_TERM ? 1 : b.name.localeCompare(a.name)));
    },
    read: readRaw,
    versions,
    async readVersion(name, version) {
      if (!(await versions(name)).includes(version) || !(await folderOk(join(dir, HISTORY), 'memory/.history/'))) return undefined;
      return readAt(`${HISTORY}/${version}`);
    },
    append(text, where) {
      return serial(async () => {
        checkText(text);
        const clean = text.replace(/\s+$/, '');
        if (where && 'section' in where) {
          const title = where.section.replace(/^#+\s*/, '').trim();
          if (!title || /[\r\n]/.test(title)) throw new MemoryError('name the section with one line of text, e.g. "Preferences"');
          const current = (await readRaw(LONG_TERM)) ?? '';
          const found = findSection(current, title);
          let next: string;
          if (found) {
            const before = current.slice(0, found.end).replace(/\s+$/, '');
            const empty = before.length < found.bodyStart;
            next = `${before}\n${empty ? '\n' : ''}${clean}\n${found.end < current.length ? `\n${current.slice(found.end)}` : ''}`;
          } else {
            next = `${current.replace(/\s+$/, '')}${current.trim() ? '\n\n' : ''}## ${title}\n\n${clean}\n`;
          }
          return write(LONG_TERM, current || undefined, next);
        }
        const day = where && 'day' in where ? where.day : dayOf(now());
        const name = dailyName(day);
        if (!name) throw new MemoryError(`"${day}" is not a day: write it as YYYY-MM-DD`);
        const current = await readRaw(name);
        // PicoClaw's daily note: the first append of the day writes the date as its title.
        const next = current?.trim() ? `${current.replace(/\s+$/, '')}\n${clean}\n` : `# ${day}\n\n${clean}\n`;
        return write(name, current, next);
      });
    },
    editSection(section, body) {
      return serial(async () => {
        if (body.length > MAX_TEXT_CHARS) throw new MemoryError(`the text is ${body.length} characters; one change takes at most ${MAX_TEXT_CHARS}`, 413);
        const current = (await readRaw(LONG_TERM)) ?? '';
        const found = section.trim() ? findSection(current, section) : undefined;
        if (!found) {
          const titles = sectionsOf(current).map((s) => s.title).filter(Boolean);
          throw new MemoryError(`MEMORY.md has no section "${section}"${titles.length ? `; its sections: ${titles.join(', ')}` : ' (it has no sections yet: append to make one)'}. Only one section's body is ever replaced`, 404);
        }
        // Headings inside the new body would split it into sections the caller did not name.
        const cleaned = body.replace(/\s+$/, '').replace(/^##(?=\s)/gm, '###');
        const rest = current.slice(found.end);
        const next = `${current.slice(0, found.bodyStart)}${cleaned ? `\n${cleaned}\n` : ''}${rest ? `\n${rest}` : ''}`;
        return write(LONG_TERM, current, next);
      });
    },
    save(name, content) {
      return serial(async () => {
        check(name);
        return write(name, await readRaw(name), content);
      });
    },
  };
}
