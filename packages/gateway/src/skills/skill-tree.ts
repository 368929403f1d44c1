/**
 * Copies a skill's folder into place, checking it on the way: only regular files and folders
 * (a symbolic link, a FIFO or a device refuses the whole install: a link could make the copy read
 * or later expose a file outside the skill), `.git` left out, and caps on the number of files,
 * each file's size, the total and the depth, so a hostile repository cannot fill the disk. Names
 * come from readdir, so they never hold a separator or `..`; the copy is written below `dest` only.
 */
import { copyFile, lstat, mkdir, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

export interface TreeLimits {
  maxFiles: number;
  maxFileBytes: number;
  maxTotalBytes: number;
  maxDepth: number;
}

export const DEFAULT_TREE_LIMITS: TreeLimits = { maxFiles: 500, maxFileBytes: 2 * 1024 * 1024, maxTotalBytes: 8 * 1024 * 1024, maxDepth: 8 };

export class SkillInstallError extends Error {}

/** Checks the whole tree first (nothing is written for a refused skill), then copies it. */
export async function copySkillTree(source: string, dest: string, limits: TreeLimits = DEFAULT_TREE_LIMITS): Promise<{ files: number; bytes: number }> {
  const dirs: string[] = [];
  const files: string[] = [];
  let bytes = 0;
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > limits.maxDepth) throw new SkillInstallError(`the skill's folders nest deeper than ${limits.maxDepth} levels (${relative(source, dir)})`);
    for (const entry of (await readdir(dir)).sort()) {
      if (entry === '.git') continue;
      const path = join(dir, entry);
      const shown = relative(source, path);
      const info = await lstat(path);
      if (info.isSymbolicLink()) throw new SkillInstallError(`the skill contains a symbolic link (${shown}); skills may only hold plain files and folders`);
      if (info.isDirectory()) {
        dirs.push(shown);
        await walk(path, depth + 1);
      } else if (info.isFile()) {
        if (info.size > limits.maxFileBytes) throw new SkillInstallError(`${shown} is larger than ${limits.maxFileBytes / 1024 / 1024} MB, the limit for one file of a skill`);
        bytes += info.size;
        files.push(shown);
        if (files.length > limits.maxFiles) throw new SkillInstallError(`the skill has more than ${limits.maxFiles} files`);
        if (bytes > limits.maxTotalBytes) throw new SkillInstallError(`the skill is larger than ${limits.maxTotalBytes / 1024 / 1024} MB in all`);
      } else {
        throw new SkillInstallError(`${shown} is not a plain file or folder (a FIFO, socket or device); skills may only hold plain files and folders`);
      }
    }
  };
  await walk(source, 0);
  await mkdir(dest, { recursive: true, mode: 0o755 });
  for (const dir of dirs) await mkdir(join(dest, dir), { recursive: true, mode: 0o755 });
  // COPYFILE_EXCL: nothing already there is overwritten (dest is a fresh staging folder).
  for (const file of files) await copyFile(join(source, file), join(dest, file), 1);
  return { files: files.length, bytes };
}
