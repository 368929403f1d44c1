/**
 * Where and how a stdio MCP server starts. Not in the workspace: the model's file tools write
 * there, and a server configured as `python3 -m homelab_mcp`, `node server.js` or with a relative
 * `env_file` would pick up a file the model just wrote, and run it at the next (automatic)
 * reconnect. So a server starts in PicoClaw's home, which the file tools cannot write (see
 * tools/path-policy.ts); its relative command, file arguments and env_file are resolved against
 * the home once, when the config is read; and the folders of what it runs, and its env file, are
 * handed to the path policy as read-only, wherever they are.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { effectiveMcpTransport, type McpServerConfig } from '@picoclaw/core';

export interface StdioLaunch {
  command: string;
  args: string[];
  /** The working directory: PicoClaw's home. */
  cwd: string;
  /** Absolute, or undefined when the server has none. */
  envFile?: string;
  /** What the file tools must never write (what the server runs) or even read (its env file, which may hold secrets). */
  protect: { path: string; access: 'none' | 'read'; why: string }[];
  /** Something the user should know (a file the server runs inside the workspace). */
  warnings: string[];
}

const expandTilde = (path: string) => (path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path);
/** A path, as opposed to a bare word, a flag, a URL or code (`node -e '…'`). */
const pathLike = (arg: string) =>
  !arg.startsWith('-') && !/^[a-z][a-z0-9+.-]*:/i.test(arg) && !/[\s;'"`(){}<>|&$*?=]/.test(arg) && (arg.includes('/') || /\.(m?js|cjs|ts|py|sh|rb|pl|php|jar|json|ya?ml|toml|env|ini|conf)$/i.test(arg));
const inside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!isAbsolute(dir)) continue; // a relative PATH entry would resolve against the working directory
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function resolveStdioLaunch(server: McpServerConfig, options: { home: string; workspace: string; env?: NodeJS.ProcessEnv }): StdioLaunch {
  const { home, workspace } = options;
  const protect: StdioLaunch['protect'] = [];
  const warnings: string[] = [];
  const against = (path: string) => resolve(home, expandTilde(path));
  /** The folder of a file the server runs (siblings get imported too), or the file alone when that folder holds the workspace. */
  const guard = (file: string, what: string) => {
    const folder = dirname(file);
    if (inside(folder, workspace)) {
      protect.push({ path: file, access: 'read', why: `${what} of an MCP server` });
      if (inside(workspace, file)) warnings.push(`${what} ${file} is inside the workspace, where the model's file tools write; it is kept read-only for them, but files beside it are not: move it out of the workspace (e.g. to ${home})`);
    } else protect.push({ path: folder, access: 'read', why: `where ${what} of an MCP server lives` });
  };

  const given = expandTilde(server.command);
  const command = given.includes('/') ? against(given) : given;
  const found = command.includes('/') ? command : onPath(command, options.env ?? process.env);
  if (found) guard(found, 'the command');
  const args = server.args.map((arg) => {
    if (!pathLike(arg)) return arg;
    const absolute = against(arg);
    // A bare file name counts as a file only when it is one; anything with a slash is a path.
    if (!arg.includes('/') && !existsSync(absolute)) return arg;
    guard(absolute, 'a file');
    return absolute;
  });
  const envFile = server.env_file ? against(server.env_file) : undefined;
  if (envFile) {
    protect.push({ path: envFile, access: 'none', why: 'the env_file of an MCP server (it may hold secrets)' });
    if (inside(workspace, envFile)) warnings.push(`env_file ${envFile} is inside the workspace; it is kept read-only for the file tools, but better kept out of it (e.g. in ${home})`);
  }
  return { command, args, cwd: home, ...(envFile ? { envFile } : {}), protect, warnings };
}

/**
 * Why an env_file cannot be read, in words a PicoClaw user can act on: PicoClaw read a relative
 * env_file from the workspace; here it is read from the home.
 */
export function envFileProblem(server: McpServerConfig, launch: StdioLaunch, workspace: string): string | undefined {
  if (!launch.envFile || existsSync(launch.envFile)) return undefined;
  const inWorkspace = !isAbsolute(expandTilde(server.env_file)) && existsSync(resolve(workspace, server.env_file));
  return `env_file ${launch.envFile} does not exist${inWorkspace ? `. A relative env_file is read from PicoClaw's home (${launch.cwd}), not from the workspace where the model's file tools write: move ${resolve(workspace, server.env_file)} there, or give an absolute path` : ''}`;
}

/** The path-policy entries of every enabled stdio server (tools/path-policy.ts). */
export function stdioProtectedPaths(servers: Record<string, McpServerConfig>, options: { home: string; workspace: string }): StdioLaunch['protect'] {
  return Object.values(servers)
    .filter((s) => s.enabled && effectiveMcpTransport(s) === 'stdio')
    .flatMap((s) => resolveStdioLaunch(s, options).protect);
}
