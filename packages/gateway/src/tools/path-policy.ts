/**
 * Where the file tools may go, beyond the workspace rules of the config: PicoClaw's own files
 * (config, secrets, launcher settings, logs), every chat's conversation, the channels' state and
 * the scheduled jobs are out of reach, so a chat user (or a page the model read) cannot make the model read or
 * rewrite other people's conversations or the secrets; files a tool server runs are read-only.
 *
 * The policy only ever narrows: the tools still apply `restrict_to_workspace` and
 * `allow_read_outside_workspace`, and a path must pass both.
 */
import { dirname, join, resolve, sep } from 'node:path';
import { forEachSecret, type LoadedConfig } from '@picoclaw/core';
import { stdioProtectedPaths } from '../mcp/stdio-launch.js';
import { realPathSync } from './builtin/real-path.js';

export type PathAccess = 'none' | 'read' | 'full';

/** Where the file tools may go: the longest entry whose path contains the target decides; ties → the more restrictive. Paths absolute and realpath'd where they exist. */
export interface PathPolicy {
  /** `outside`: readable even by tools kept to the workspace (restrict_to_workspace), e.g. the global skills. */
  readonly entries: readonly { path: string; access: PathAccess; why: string; outside?: boolean }[];
}

const RANK: Record<PathAccess, number> = { none: 0, read: 1, full: 2 };

/** Absolute, with every link followed (dangling ones too, as the tools resolve a target). */
const real = (path: string) => realPathSync(resolve(path), { followLeaf: true });

export function createPathPolicy(input: {
  home: string;
  workspace: string;
  configPath: string;
  securityPath: string;
  launcherConfigPath: string;
  /** More places the tools may only read ('read'), or not reach at all ('none'): what MCP servers run and read, secret files. */
  extra?: { path: string; access: 'none' | 'read'; why: string }[];
}): PathPolicy {
  const workspace = real(input.workspace);
  const state = 'conversations and channel state';
  return {
    entries: [
      { path: real(input.home), access: 'none', why: "PicoClaw's own files" },
      // A workspace inside the home stays usable; one equal to the home loses the tie.
      { path: workspace, access: 'full', why: 'the workspace' },
      { path: real(resolve(workspace, 'sessions')), access: 'none', why: state },
      { path: real(resolve(workspace, 'state')), access: 'none', why: state },
      // Written here, a job would reach any chat (the cron tool keeps a turn to its own) and run with every tool.
      { path: real(resolve(workspace, 'cron')), access: 'none', why: 'scheduled jobs (the cron tool changes them)' },
      // The memory tool changes these one section at a time and keeps the previous version; write_file could replace MEMORY.md whole (PicoClaw #3150).
      { path: real(resolve(workspace, 'memory')), access: 'read', why: 'the memory files (the memory tool changes them and keeps earlier versions)' },
      // Skills are instructions the prompt lists in every turn: installed by a person (picoclaw skills, the
      // dashboard), read by the model. A write here would plant instructions for every later chat.
      { path: real(resolve(workspace, 'skills')), access: 'read', why: 'the installed skills (picoclaw skills install/remove or the dashboard change them)' },
      { path: real(join(input.home, 'skills')), access: 'read', why: 'the global skills', outside: true },
      // These may live outside the home (PICOCLAW_CONFIG).
      { path: real(input.configPath), access: 'none', why: "PicoClaw's configuration" },
      { path: real(input.securityPath), access: 'none', why: "PicoClaw's secrets" },
      { path: real(input.launcherConfigPath), access: 'none', why: "the launcher's settings" },
      ...(input.extra ?? []).map((entry) => ({ ...entry, path: real(entry.path) })),
    ],
  };
}

const contains = (dir: string, path: string) => path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/** The access the policy gives an absolute, real path; `undefined` when no entry contains it. */
export function accessOf(policy: PathPolicy, absolutePath: string): { access: PathAccess | undefined; why?: string; outside?: boolean } {
  let best: PathPolicy['entries'][number] | undefined;
  for (const entry of policy.entries) {
    if (!contains(entry.path, absolutePath)) continue;
    if (!best || entry.path.length > best.path.length || (entry.path.length === best.path.length && RANK[entry.access] < RANK[best.access])) best = entry;
  }
  return best ? { access: best.access, why: best.why, ...(best.outside ? { outside: true } : {}) } : { access: undefined };
}

/**
 * The policy of a loaded config: PicoClaw's own files, the conversations, what the stdio MCP
 * servers run (read-only: it would run at their next reconnect) and the secret files the config
 * and the servers read (closed: the model could read the secrets, or write an env file that makes
 * a server run its code).
 */
export function pathPolicyFor(loaded: LoadedConfig): PathPolicy {
  // Built on first use, by the first file tool call: not on the start-up path (each path is a few
  // file system calls), and a workspace created after the start is resolved as it is then.
  let policy: PathPolicy | undefined;
  return {
    get entries() {
      return (policy ??= buildPolicy(loaded)).entries;
    },
  };
}

function buildPolicy(loaded: LoadedConfig): PathPolicy {
  const { config, document, paths } = loaded;
  const workspace = config.agents.defaults.workspace;
  const secretFiles: { path: string; access: 'none'; why: string }[] = [];
  forEachSecret(document, (value) => {
    if (value.startsWith('file://')) secretFiles.push({ path: resolve(dirname(paths.config), value.slice('file://'.length)), access: 'none', why: 'a secret of the config (file://)' });
  });
  return createPathPolicy({
    home: paths.home,
    workspace,
    configPath: paths.config,
    securityPath: paths.security,
    launcherConfigPath: join(dirname(paths.config), 'launcher-config.json'),
    extra: [...(config.tools.mcp.enabled ? stdioProtectedPaths(config.tools.mcp.servers, { home: paths.home, workspace }) : []), ...secretFiles],
  });
}
