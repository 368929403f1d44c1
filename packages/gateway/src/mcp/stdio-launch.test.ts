import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mcpServerSchema } from '@picoclaw/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envFileProblem, resolveStdioLaunch, stdioProtectedPaths } from './stdio-launch.js';

let home: string;
let workspace: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'picoclaw-stdio-'));
  workspace = join(home, 'workspace');
  await mkdir(workspace);
});
afterEach(() => rm(home, { recursive: true, force: true }));

const server = (fields: Record<string, unknown>) => mcpServerSchema.parse({ type: 'stdio', ...fields });

describe('resolveStdioLaunch', () => {
  it('starts in the home, with a relative command, file arguments and env_file resolved against it', async () => {
    await writeFile(join(home, 'server.mjs'), '');
    const launch = resolveStdioLaunch(server({ command: './bin/run', args: ['server.mjs', 'lib/x.py', '-m', 'homelab_mcp', '--port=1', 'https://ha.lan/api', 'missing.js', '-e', "import('./x.js')"], env_file: 'mcp.env' }), { home, workspace, env: {} });
    expect(launch.cwd).toBe(home);
    expect(launch.command).toBe(join(home, 'bin/run'));
    // A bare name counts as a file only when it is one; module names, flags and URLs stay as they are.
    expect(launch.args).toEqual([join(home, 'server.mjs'), join(home, 'lib/x.py'), '-m', 'homelab_mcp', '--port=1', 'https://ha.lan/api', 'missing.js', '-e', "import('./x.js')"]);
    expect(launch.protect.filter((p) => p.path === join(home, 'server.mjs'))).toEqual([{ path: join(home, 'server.mjs'), access: 'read', why: 'a file of an MCP server' }]);
    expect(launch.envFile).toBe(join(home, 'mcp.env'));
    expect(launch.protect).toEqual(expect.arrayContaining([
      { path: join(home, 'bin'), access: 'read', why: 'where the command of an MCP server lives' },
      { path: join(home, 'lib'), access: 'read', why: 'where a file of an MCP server lives' },
      { path: join(home, 'mcp.env'), access: 'none', why: 'the env_file of an MCP server (it may hold secrets)' },
    ]));
    expect(launch.warnings).toEqual([]);
  });

  it('finds a bare command on the PATH and keeps its folder read-only; ~ is the user home', () => {
    const bin = join(home, 'tools');
    const launch = resolveStdioLaunch(server({ command: 'node', args: ['~/mcp/server.js'] }), { home, workspace, env: { PATH: `relative/bin:${process.execPath.replace(/\/node$/, '')}:${bin}` } });
    expect(launch.command).toBe('node');
    expect(launch.protect[0]).toEqual({ path: process.execPath.replace(/\/node$/, ''), access: 'read', why: 'where the command of an MCP server lives' });
    expect(launch.args[0]).toMatch(/^\/.*\/mcp\/server\.js$/);
  });

  it('warns about a file run from inside the workspace and protects the file alone', () => {
    const launch = resolveStdioLaunch(server({ command: 'python3', args: [join(workspace, 'tools/server.py')], env_file: join(workspace, 'x.env') }), { home, workspace, env: {} });
    expect(launch.protect).toContainEqual({ path: join(workspace, 'tools'), access: 'read', why: 'where a file of an MCP server lives' });
    expect(launch.warnings.join('\n')).toMatch(/x\.env is inside the workspace/);
  });

  it('explains a relative env_file that PicoClaw would have read from the workspace', async () => {
    await writeFile(join(workspace, 'mcp.env'), 'A=1\n');
    const config = server({ command: 'node', env_file: 'mcp.env' });
    const problem = envFileProblem(config, resolveStdioLaunch(config, { home, workspace, env: {} }), workspace);
    expect(problem).toBe(`env_file ${join(home, 'mcp.env')} does not exist. A relative env_file is read from PicoClaw's home (${home}), not from the workspace where the model's file tools write: move ${join(workspace, 'mcp.env')} there, or give an absolute path`);
    await writeFile(join(home, 'mcp.env'), 'A=1\n');
    expect(envFileProblem(config, resolveStdioLaunch(config, { home, workspace, env: {} }), workspace)).toBeUndefined();
  });

  it('protects only enabled stdio servers', () => {
    const paths = stdioProtectedPaths({
      on: server({ command: './a/run' }),
      off: server({ command: './b/run', enabled: false }),
      http: mcpServerSchema.parse({ type: 'http', url: 'http://ha.lan/api/mcp' }),
    }, { home, workspace });
    expect(paths.map((p) => p.path)).toEqual([join(home, 'a')]);
  });
});
