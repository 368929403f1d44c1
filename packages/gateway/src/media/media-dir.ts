/**
 * `<workspace>/media/<sub>`, created 0700 on first use. A `media` or `<sub>` that is a link out of
 * the workspace is refused: files from chats are never written (or served) through links.
 */
import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { realPath } from '../tools/builtin/real-path.js';

export async function mediaDir(workspace: string, sub: string): Promise<string> {
  const root = await realPath(resolve(workspace), { followLeaf: true });
  const dir = join(root, 'media', sub);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const real = await realPath(dir, { followLeaf: true });
  if (relative(root, real) !== join('media', sub)) throw new Error(`media/${sub} in the workspace is a link; files are not stored through links`);
  return dir;
}

/**
 * Creates `target` with `bytes`, mode 0600, never over an existing file and never through a link
 * (O_EXCL, O_NOFOLLOW); resolves false when the name is taken.
 */
export async function writeNewFile(target: string, bytes: Buffer): Promise<boolean> {
  let handle;
  try {
    handle = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(bytes);
  } finally {
    await handle.close();
  }
  return true;
}
