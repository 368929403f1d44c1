/**
 * `<workspace>/media/<sub>`, created 0700 on first use. A `media` or `<sub>` that is a link out of
 * the workspace is refused: files from chats are never written (or served) through links.
 */
import { mkdir } from 'node:fs/promises';
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
