/**
 * The installed skills: every `<root>/<folder>/SKILL.md` of the skill roots, workspace first, then
 * global (`<home>/skills`); the first skill of a name wins, as in PicoClaw. Nothing is read at
 * start-up: the first list() reads the folders, later ones within `freshMs` answer from memory,
 * and after that only what changed (a root's mtime, a SKILL.md's mtime or size) is read again.
 * A broken SKILL.md is skipped with one log line naming it (again only when it changes).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_SKILL_FILE_BYTES, parseSkillFile, type SkillFile } from './skill-file.js';

export type SkillSource = 'workspace' | 'global';

export interface SkillRoot {
  dir: string;
  source: SkillSource;
}

export interface SkillInfo {
  name: string;
  description: string;
  source: SkillSource;
  /** The skill's folder. */
  dir: string;
  /** Its SKILL.md. */
  path: string;
  metadata: Record<string, unknown>;
}

export interface SkillCatalog {
  /** The installed skills, by source then folder name; each name once. */
  list(): Promise<SkillInfo[]>;
  /** The skill of that name, if installed. */
  find(name: string): Promise<SkillInfo | undefined>;
  /** Forgets the fresh listing: the next list() looks at the disk (after an install or removal here). */
  invalidate(): void;
}

export interface SkillCatalogOptions {
  /** Asked at each refresh: the workspace may change on a reload. */
  roots(): SkillRoot[];
  warn(message: string): void;
  /** How long a listing is reused without looking at the disk (default 2 s). */
  freshMs?: number;
  now?: () => number;
}

type Parsed = { key: string; file?: SkillFile };

export function createSkillCatalog(options: SkillCatalogOptions): SkillCatalog {
  const now = options.now ?? Date.now;
  const freshMs = options.freshMs ?? 2_000;
  /** Per root: its mtime when its folders were last read, and those folder names. */
  const folders = new Map<string, { mtime: number; names: string[] }>();
  /** Per SKILL.md path: the mtime+size it was parsed at, and the result (none when broken). */
  const files = new Map<string, Parsed>();
  let checkedAt = -Infinity;
  let current: Promise<SkillInfo[]> | undefined;

  async function namesIn(dir: string): Promise<string[]> {
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) {
      folders.delete(dir);
      return [];
    }
    const known = folders.get(dir);
    if (known && known.mtime === info.mtimeMs) return known.names;
    // Dot folders are PicoClaw's and ours (.removed, .installing-*): never skills.
    const names = (await readdir(dir, { withFileTypes: true }).catch(() => []))
      .filter((e) => !e.name.startsWith('.') && (e.isDirectory() || e.isSymbolicLink()))
      .map((e) => e.name)
      .sort();
    folders.set(dir, { mtime: info.mtimeMs, names });
    return names;
  }

  async function parsed(path: string, folder: string): Promise<SkillFile | undefined> {
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) {
      files.delete(path);
      return undefined;
    }
    const key = `${info.mtimeMs}:${info.size}`;
    const known = files.get(path);
    if (known?.key === key) return known.file;
    let file: SkillFile | undefined;
    try {
      if (info.size > MAX_SKILL_FILE_BYTES) throw new Error(`SKILL.md is larger than ${MAX_SKILL_FILE_BYTES / 1024} KB`);
      file = await parseSkillFile(await readFile(path, 'utf8'), folder);
    } catch (error) {
      options.warn(`skill ${path} skipped: ${(error as Error).message}`);
    }
    files.set(path, { key, ...(file ? { file } : {}) });
    return file;
  }

  async function scan(): Promise<SkillInfo[]> {
    const seen = new Set<string>();
    const skills: SkillInfo[] = [];
    const live = new Set<string>();
    for (const root of options.roots()) {
      const names = await namesIn(root.dir);
      const found = await Promise.all(names.map(async (folder) => {
        const path = join(root.dir, folder, 'SKILL.md');
        live.add(path);
        return { folder, path, file: await parsed(path, folder) };
      }));
      for (const { folder, path, file } of found) {
        if (!file || seen.has(file.name)) continue;
        seen.add(file.name);
        skills.push({ name: file.name, description: file.description, source: root.source, dir: join(root.dir, folder), path, metadata: file.metadata });
      }
    }
    for (const path of files.keys()) if (!live.has(path)) files.delete(path);
    return skills;
  }

  function list(): Promise<SkillInfo[]> {
    if (current && now() - checkedAt < freshMs) return current;
    checkedAt = now();
    const next = scan();
    // A failed scan (it should not: every read is guarded) is not kept.
    next.catch(() => (checkedAt = -Infinity));
    return (current = next);
  }

  return {
    list,
    async find(name) {
      return (await list()).find((s) => s.name === name);
    },
    invalidate() {
      checkedAt = -Infinity;
    },
  };
}
