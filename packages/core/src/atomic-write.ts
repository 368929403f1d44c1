/**
 * Crash-safe file writes: write a temp file in the same directory, fsync it, rename it over the
 * target, fsync the directory. A reader sees the old file or the new one, never a torn mix; a
 * failure at any step leaves the old file intact and removes the temp file.
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PicoError } from './errors.js';

/** The part of `node:fs/promises` the writer uses; injectable so tests can fail any step. */
export type AtomicFs = Pick<typeof fsp, 'open' | 'rename' | 'rm' | 'chmod' | 'stat'>;

export interface WriteFileAtomicOptions {
  /** File mode; e.g. 0o600 for anything holding a secret. Default: the target's, or 0o644. */
  mode?: number;
  fs?: AtomicFs;
  /**
   * false: skip the fsyncs. The write is still all-or-nothing (temp file + rename), but a power
   * cut may bring back the previous version. For data that is cheap to lose (a session title).
   */
  durable?: boolean;
}

const reasons: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'directory does not exist',
  EDQUOT: 'disk quota exceeded',
  EISDIR: 'it is a directory',
};

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ? `${reasons[code] ?? (error as Error).message} (${code})` : String((error as Error).message ?? error);
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, options: WriteFileAtomicOptions = {}): Promise<void> {
  const fs = options.fs ?? fsp;
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let mode = options.mode;
  if (mode === undefined) {
    mode = await fs.stat(path).then((s) => s.mode & 0o777, () => 0o644);
  }
  try {
    const handle = await fs.open(temp, 'wx', mode);
    try {
      await handle.writeFile(data);
      if (options.durable !== false) await handle.sync();
    } finally {
      await handle.close();
    }
    // The umask may have narrowed the mode given to open(): group and other bits (0644) are the
    // ones a usual umask takes away; a user-only mode (0600) needs no second call.
    if (mode & 0o077) await fs.chmod(temp, mode);
    await fs.rename(temp, path);
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => {});
    throw new PicoError('config_write', `cannot write ${path}: ${describe(error)}`, { cause: error });
  }
  if (options.durable === false) return;
  // Persist the rename itself; not every platform or file system can fsync a directory.
  const dirHandle = await fs.open(dir, 'r').catch(() => undefined);
  if (dirHandle) {
    await dirHandle.sync().catch(() => {});
    await dirHandle.close();
  }
}

/** Reads a text file, or undefined when it does not exist (any other error is thrown). */
export async function readFileIfExists(path: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
