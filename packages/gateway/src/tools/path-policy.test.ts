import { mkdir, mkdtemp, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessOf, createPathPolicy, type PathPolicy } from './path-policy.js';

let base: string;
beforeAll(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), 'picoclaw-path-policy-')));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

const policyFor = (home: string, workspace: string, extra: Partial<Parameters<typeof createPathPolicy>[0]> = {}) =>
  createPathPolicy({
    home,
    workspace,
    configPath: join(home, 'config.json'),
    securityPath: join(home, '.security.yml'),
    launcherConfigPath: join(home, 'launcher-config.json'),
    ...extra,
  });

const access = (policy: PathPolicy, path: string) => accessOf(policy, path).access;

describe('accessOf', () => {
  const policy: PathPolicy = {
    entries: [
      { path: '/a', access: 'none', why: 'a' },
      { path: '/a/b', access: 'full', why: 'b' },
      { path: '/a/b/c', access: 'read', why: 'c' },
      { path: '/a/b/c', access: 'none', why: 'c again' },
      { path: '/a/b/d', access: 'read', why: 'd' },
      { path: '/a/b/d', access: 'full', why: 'd again' },
    ],
  };

  it('the longest entry containing the path decides', () => {
    expect(accessOf(policy, '/a')).toEqual({ access: 'none', why: 'a' });
    expect(accessOf(policy, '/a/x/y')).toEqual({ access: 'none', why: 'a' });
    expect(accessOf(policy, '/a/b')).toEqual({ access: 'full', why: 'b' });
    expect(accessOf(policy, '/a/b/x')).toEqual({ access: 'full', why: 'b' });
    expect(accessOf(policy, '/a/b/d/deep/file')).toMatchObject({ access: 'read' });
  });

  it('ties go to the more restrictive entry', () => {
    expect(accessOf(policy, '/a/b/c/file')).toEqual({ access: 'none', why: 'c again' });
    expect(accessOf(policy, '/a/b/d')).toEqual({ access: 'read', why: 'd' });
  });

  it('a name that merely starts like an entry is not inside it; no entry → undefined', () => {
    expect(accessOf(policy, '/ab')).toEqual({ access: undefined });
    expect(accessOf(policy, '/a/bc')).toMatchObject({ access: 'none', why: 'a' });
    expect(accessOf(policy, '/elsewhere/file')).toEqual({ access: undefined });
    expect(accessOf({ entries: [{ path: '/', access: 'read', why: 'root' }] }, '/etc/passwd')).toMatchObject({ access: 'read' });
  });
});

describe('createPathPolicy', () => {
  it('workspace inside the home: the workspace is usable, its sessions and state and the rest of the home are not', () => {
    const home = join(base, 'home1');
    const policy = policyFor(home, join(home, 'workspace'));
    expect(access(policy, join(home, 'workspace', 'notes', 'todo.md'))).toBe('full');
    // The memory tool writes memory/ (one section at a time, keeping the previous version).
    expect(access(policy, join(home, 'workspace', 'memory', 'MEMORY.md'))).toBe('read');
    expect(access(policy, join(home, 'workspace'))).toBe('full');
    expect(accessOf(policy, join(home, 'workspace', 'sessions', 'pico_x.jsonl'))).toEqual({ access: 'none', why: 'conversations and channel state' });
    expect(access(policy, join(home, 'workspace', 'sessions'))).toBe('none');
    expect(access(policy, join(home, 'workspace', 'state', 'channels.json'))).toBe('none');
    expect(access(policy, join(home, 'workspace', 'sessions-notes.md'))).toBe('full');
    for (const file of ['config.json', '.security.yml', 'launcher-config.json', 'launcher-sessions.json', 'logs/gateway.log', '.picoclaw.pid']) {
      expect(accessOf(policy, join(home, file)), file).toMatchObject({ access: 'none' });
    }
    expect(accessOf(policy, join(home, 'logs', 'gateway.log')).why).toBe("PicoClaw's own files");
    expect(access(policy, join(base, 'elsewhere'))).toBeUndefined();
  });

  it('workspace outside the home: both rules hold, the home stays closed', () => {
    const home = join(base, 'home2');
    const workspace = join(base, 'ws2');
    const policy = policyFor(home, workspace);
    expect(access(policy, join(workspace, 'notes.md'))).toBe('full');
    expect(access(policy, join(workspace, 'sessions', 'a.jsonl'))).toBe('none');
    expect(access(policy, join(home, 'config.json'))).toBe('none');
    expect(access(policy, join(home, 'workspace', 'x'))).toBe('none');
  });

  it('workspace equal to the home: the home wins the tie, nothing is reachable', () => {
    const home = join(base, 'home3');
    const policy = policyFor(home, home);
    expect(access(policy, home)).toBe('none');
    expect(access(policy, join(home, 'notes.md'))).toBe('none');
  });

  it('home inside the workspace (workspace = the user\'s home folder): the PicoClaw home stays closed', () => {
    const user = join(base, 'user');
    const policy = policyFor(join(user, '.picoclaw'), user);
    expect(access(policy, join(user, 'documents', 'a.txt'))).toBe('full');
    expect(access(policy, join(user, '.picoclaw', 'config.json'))).toBe('none');
  });

  it('config files outside the home (PICOCLAW_CONFIG) are closed too; read-only entries are read-only', () => {
    const home = join(base, 'home4');
    const etc = join(base, 'etc-picoclaw');
    const policy = policyFor(home, join(home, 'workspace'), {
      configPath: join(etc, 'config.json'),
      securityPath: join(etc, '.security.yml'),
      launcherConfigPath: join(etc, 'launcher-config.json'),
      extra: [{ path: join(home, 'workspace', 'mcp-server'), access: 'read', why: 'the program of MCP server files' }, { path: join(base, 'cwd'), access: 'read', why: 'the working directory' }],
    });
    expect(access(policy, join(etc, 'config.json'))).toBe('none');
    expect(access(policy, join(etc, '.security.yml'))).toBe('none');
    expect(access(policy, join(etc, 'launcher-config.json'))).toBe('none');
    expect(access(policy, join(etc, 'other.txt'))).toBeUndefined();
    expect(accessOf(policy, join(home, 'workspace', 'mcp-server', 'index.js'))).toEqual({ access: 'read', why: 'the program of MCP server files' });
    expect(access(policy, join(base, 'cwd', 'x'))).toBe('read');
  });

  it('paths are real: a workspace reached through a link, and a sessions folder that is a link, are covered where they lead', async () => {
    const home = join(base, 'home5');
    const realWs = join(base, 'real-ws5');
    await mkdir(join(realWs), { recursive: true });
    await mkdir(home, { recursive: true });
    await symlink(realWs, join(home, 'workspace'));
    await symlink(join(base, 'sessions-elsewhere'), join(realWs, 'sessions')); // dangling: not created yet
    const policy = policyFor(home, join(home, 'workspace'));
    expect(access(policy, join(realWs, 'notes.md'))).toBe('full');
    expect(access(policy, join(base, 'sessions-elsewhere', 'pico_a.jsonl'))).toBe('none');
  });
});
