/**
 * Where a path really leads, for the file tools' checks: every symbolic link on the way is
 * followed, dangling ones too (a link to a folder that does not exist yet is where mkdir -p and
 * the write would land), and the part that does not exist is appended as written. The leaf link
 * is followed only when asked: writes refuse a link leaf instead of following it.
 *
 * One walk serves both the async resolver of the tools and the sync one the path policy uses
 * when it is built: the walk yields the paths it needs to inspect and a driver answers.
 */
import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { lstat, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, parse, sep } from 'node:path';

/** Links followed in one resolution before giving up (Linux's own bound). */
const MAX_LINKS = 40;

export class LinkLoopError extends Error {}

/** What a path is: missing (or under a file), a link and its text, or anything else. */
type Inspection = { kind: 'missing' } | { kind: 'link'; target: string } | { kind: 'other' };

function* walk(path: string, followLeaf: boolean): Generator<string, string, Inspection> {
  const { root } = parse(path);
  let resolved = root;
  let pending = path.slice(root.length).split(sep).filter(Boolean);
  let links = 0;
  while (pending.length) {
    const name = pending.shift()!;
    if (name === '.') continue;
    if (name === '..') {
      resolved = dirname(resolved); // `resolved` holds no link, so this is its real parent
      continue;
    }
    const candidate = join(resolved, name);
    if (!pending.length && !followLeaf) return candidate;
    const seen = yield candidate;
    if (seen.kind === 'missing') return join(candidate, ...pending);
    if (seen.kind === 'other') {
      resolved = candidate;
      continue;
    }
    if (++links > MAX_LINKS) throw new LinkLoopError(`too many symbolic links (a loop?) in ${path}`);
    if (isAbsolute(seen.target)) resolved = parse(seen.target).root;
    pending = [...seen.target.slice(isAbsolute(seen.target) ? parse(seen.target).root.length : 0).split(sep).filter(Boolean), ...pending];
  }
  return resolved;
}

const missing = (error: unknown) => ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '');

/** The real path of an absolute `path` (see the module comment). */
export async function realPath(path: string, options: { followLeaf: boolean }): Promise<string> {
  // The common case in one call: everything (but perhaps the leaf) exists.
  try {
    return options.followLeaf ? await realpath(path) : join(await realpath(dirname(path)), basename(path));
  } catch (error) {
    if (!missing(error)) throw error;
  }
  const steps = walk(path, options.followLeaf);
  let step = steps.next();
  while (!step.done) {
    let seen: Inspection;
    try {
      const stats = await lstat(step.value);
      seen = stats.isSymbolicLink() ? { kind: 'link', target: await readlink(step.value) } : { kind: 'other' };
    } catch (error) {
      if (!missing(error)) throw error;
      seen = { kind: 'missing' };
    }
    step = steps.next(seen);
  }
  return step.value;
}

/**
 * realPath, synchronously (for the path policy, built once per config). Missing paths are asked
 * about without exceptions (`throwIfNoEntry`): on a fresh home most of the policy's paths do not
 * exist yet, and a thrown fs error (with its stack trace) per path component is costly.
 */
export function realPathSync(path: string, options: { followLeaf: boolean }): string {
  const known = options.followLeaf ? path : dirname(path);
  if (statSync(known, { throwIfNoEntry: false })) {
    const real = realpathSync.native(known);
    return options.followLeaf ? real : join(real, basename(path));
  }
  const steps = walk(path, options.followLeaf);
  let step = steps.next();
  while (!step.done) {
    let seen: Inspection;
    try {
      const stats = lstatSync(step.value, { throwIfNoEntry: false });
      seen = !stats ? { kind: 'missing' } : stats.isSymbolicLink() ? { kind: 'link', target: readlinkSync(step.value) } : { kind: 'other' };
    } catch (error) {
      if (!missing(error)) throw error;
      seen = { kind: 'missing' };
    }
    step = steps.next(seen);
  }
  return step.value;
}
