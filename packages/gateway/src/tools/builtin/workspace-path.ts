/**
 * Confines file tools to the workspace: a path is resolved against it, symlinks included, and
 * refused when it lands outside (unless the config allows reading outside).
 */
import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, basename, join } from 'node:path';

export class OutsideWorkspaceError extends Error {}

const inside = (root: string, path: string) => {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** Resolves the deepest existing ancestor through realpath, so a symlink cannot lead out. */
async function realish(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    const parent = dirname(path);
    if (parent === path) return path;
    return join(await realish(parent), basename(path));
  }
}

export async function resolveInWorkspace(workspace: string, path: string, allowOutside = false): Promise<string> {
  const root = await realish(resolve(workspace));
  const target = await realish(resolve(root, path));
  if (!allowOutside && !inside(root, target)) {
    throw new OutsideWorkspaceError(`access denied: ${path} is outside the workspace (${root})`);
  }
  return target;
}
