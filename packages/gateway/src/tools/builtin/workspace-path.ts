/**
 * Where a file tool's path leads, and whether it may go there: the path is resolved against the
 * workspace through every symbolic link (dangling ones too, see real-path.ts), then it must be
 * inside the workspace (unless the config allows leaving it) and the path policy must allow the
 * access. A write never follows a link at the leaf: the leaf is refused when it is one (and the
 * tools open it with O_NOFOLLOW), so a link to a file that does not exist yet, say
 * ~/.ssh/authorized_keys, cannot make a write create it.
 */
import { lstat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { accessOf, type PathPolicy } from '../path-policy.js';
import { realPath } from './real-path.js';

export class AccessDeniedError extends Error {}

export interface PathRules {
  /** `agents.defaults.restrict_to_workspace`. */
  restrictToWorkspace: boolean;
  /** `agents.defaults.allow_read_outside_workspace`. */
  allowReadOutside: boolean;
  policy: PathPolicy;
}

const inside = (root: string, path: string) => {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/**
 * The real path a tool may `access` (a write's leaf is not followed), or an AccessDeniedError
 * that names the path and the reason.
 */
export async function resolveInWorkspace(workspace: string, path: string, access: 'read' | 'write', rules: PathRules): Promise<string> {
  const root = await realPath(resolve(workspace), { followLeaf: true });
  const target = await realPath(resolve(root, path), { followLeaf: access === 'read' });
  const shown = inside(root, target) ? relative(root, target) || '.' : target;
  const { access: granted, why, outside } = accessOf(rules.policy, target);
  const outsideAllowed = !rules.restrictToWorkspace || (access === 'read' && (rules.allowReadOutside || outside === true));
  if (!outsideAllowed && !inside(root, target)) {
    const setting = access === 'read' ? 'agents.defaults.allow_read_outside_workspace' : 'agents.defaults.restrict_to_workspace';
    throw new AccessDeniedError(`access denied: ${path} is outside the workspace (${root}); the file tools stay inside it (${setting})`);
  }
  if (granted === 'none') throw new AccessDeniedError(`access denied: ${shown} holds ${why}; the file tools cannot read or write it`);
  if (granted === 'read' && access === 'write') throw new AccessDeniedError(`access denied: ${shown} holds ${why}; the file tools can read it but not write it`);
  if (access === 'write' && (await lstat(target).catch(() => undefined))?.isSymbolicLink()) {
    throw new AccessDeniedError(`access denied: ${path} is a symbolic link; the file tools do not write through links`);
  }
  return target;
}
