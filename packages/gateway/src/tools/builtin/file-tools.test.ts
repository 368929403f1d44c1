import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPathPolicy } from '../path-policy.js';
import type { ToolContext, ToolResult } from '../types.js';
import { createFileTools } from './file-tools.js';

/**
 * A home as the gateway has it: <base>/home with config files, the workspace inside with two
 * chats' sessions and the channel state, and <base>/user standing for the user's own folders
 * (~/.ssh) outside both.
 */
let base: string;
let home: string;
let ws: string;
let user: string;
const OTHER_CHAT = '{"role":"user","content":"my bank PIN is 1234"}\n';

beforeEach(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), 'picoclaw-file-tools-')));
  home = join(base, 'home');
  ws = join(home, 'workspace');
  user = join(base, 'user');
  await mkdir(join(ws, 'sessions'), { recursive: true });
  await mkdir(join(ws, 'state'), { recursive: true });
  await mkdir(join(ws, 'memory'), { recursive: true });
  await mkdir(join(user, '.ssh'), { recursive: true });
  await writeFile(join(ws, 'sessions', 'pico_other.jsonl'), OTHER_CHAT);
  await writeFile(join(ws, 'state', 'channels.json'), '{"telegram":{"offset":1}}');
  await writeFile(join(ws, 'memory', 'MEMORY.md'), '# memory\n');
  await writeFile(join(home, 'config.json'), '{}');
  await writeFile(join(home, '.security.yml'), 'model_list: {}');
  await writeFile(join(home, 'launcher-config.json'), '{}');
  await writeFile(join(user, 'secret.txt'), 'outside secret');
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

function tools(options: { restrictToWorkspace?: boolean; allowReadOutside?: boolean } = {}) {
  const policy = createPathPolicy({ home, workspace: ws, configPath: join(home, 'config.json'), securityPath: join(home, '.security.yml'), launcherConfigPath: join(home, 'launcher-config.json') });
  const set = createFileTools({ restrictToWorkspace: options.restrictToWorkspace ?? true, allowReadOutside: options.allowReadOutside ?? false, policy, maxReadBytes: 1000 });
  const context: ToolContext = { signal: new AbortController().signal, sessionKey: 'pico:me', channel: 'pico', chatId: 'me', workspace: ws };
  const call = (name: keyof typeof set, args: Record<string, unknown>): Promise<ToolResult> => set[name].execute(args, context);
  return { call };
}

/** Every file under a folder, as relative paths (links listed, not followed). */
async function tree(dir: string, prefix = ''): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    out.push(prefix + e.name + (e.isDirectory() ? '/' : ''));
    if (e.isDirectory()) out.push(...(await tree(join(dir, e.name), `${prefix}${e.name}/`)));
  }
  return out.sort();
}

describe('file tools in the workspace', () => {
  it('write, append, edit, read and list as before', async () => {
    const { call } = tools();
    expect(await call('write_file', { path: 'notes/a.md', content: 'hello' })).toEqual({ content: 'wrote 5 bytes to notes/a.md' });
    expect(await call('append_file', { path: 'notes/a.md', content: ' world' })).toEqual({ content: 'appended 6 bytes to notes/a.md' });
    expect(await call('edit_file', { path: 'notes/a.md', old_text: 'world', new_text: 'there, world' })).toEqual({ content: 'edited notes/a.md' });
    expect(await call('read_file', { path: 'notes/a.md' })).toEqual({ content: 'hello there, world' });
    expect(await call('write_file', { path: 'notes/a.md', content: 'short' })).toEqual({ content: 'wrote 5 bytes to notes/a.md' });
    expect(await readFile(join(ws, 'notes', 'a.md'), 'utf8')).toBe('short');
    expect(((await lstat(join(ws, 'notes', 'a.md'))).mode & 0o777).toString(8)).toBe('600');
    expect(await call('read_file', { path: 'notes/a.md', offset: 2 })).toEqual({ content: 'ort' });
  });

  it('read_file reads only its slice of a large file and says how much is left', async () => {
    await writeFile(join(ws, 'big.txt'), 'a'.repeat(2500));
    expect((await call()).content).toBe(`${'a'.repeat(1000)}\n\n[1500 more bytes; call read_file with offset 1000]`);
    async function call() {
      return tools().call('read_file', { path: 'big.txt' });
    }
  });

  it('a FIFO is refused instead of hanging the turn', async () => {
    execFileSync('mkfifo', [join(ws, 'pipe')]);
    const { call } = tools();
    expect(await call('read_file', { path: 'pipe' })).toMatchObject({ isError: true, content: 'pipe is not a regular file' });
    expect(await call('append_file', { path: 'pipe', content: 'x' })).toMatchObject({ isError: true });
  });
});

describe('file tools and symbolic links', () => {
  it('a dangling link at the leaf (to a not-yet-existing ~/.ssh/authorized_keys) is never written through', async () => {
    await symlink(join(user, '.ssh', 'authorized_keys'), join(ws, 'keys'));
    for (const restrictToWorkspace of [true, false]) {
      const { call } = tools({ restrictToWorkspace });
      for (const [name, args] of [
        ['write_file', { path: 'keys', content: 'ssh-ed25519 AAAA attacker' }],
        ['append_file', { path: 'keys', content: 'ssh-ed25519 AAAA attacker' }],
        ['edit_file', { path: 'keys', old_text: 'a', new_text: 'b' }],
      ] as const) {
        const result = await call(name, args);
        expect(result.isError, `${name} restrict=${restrictToWorkspace}: ${result.content}`).toBe(true);
      }
    }
    expect(existsSync(join(user, '.ssh', 'authorized_keys'))).toBe(false);
    expect(await tree(user)).toEqual(['.ssh/', 'secret.txt']);
  });

  it('a dangling link to a folder in the middle of the path does not lead a write out', async () => {
    await symlink(join(user, '.ssh'), join(ws, 'ssh')); // exists
    await symlink(join(user, 'new-dir'), join(ws, 'later')); // dangling
    const { call } = tools();
    for (const path of ['ssh/authorized_keys', 'later/authorized_keys', 'later/deeper/authorized_keys']) {
      for (const name of ['write_file', 'append_file'] as const) {
        const result = await call(name, { path, content: 'ssh-ed25519 AAAA attacker' });
        expect(result, `${name} ${path}`).toMatchObject({ isError: true, content: expect.stringMatching(/outside the workspace/) });
      }
    }
    expect(await tree(user)).toEqual(['.ssh/', 'secret.txt']);
  });

  it('a link to an existing file outside is neither changed nor read', async () => {
    await symlink(join(user, 'secret.txt'), join(ws, 'secret-link'));
    const { call } = tools();
    for (const [name, args] of [
      ['write_file', { path: 'secret-link', content: 'overwritten' }],
      ['append_file', { path: 'secret-link', content: 'appended' }],
      ['edit_file', { path: 'secret-link', old_text: 'outside', new_text: 'changed' }],
      ['read_file', { path: 'secret-link' }],
    ] as const) {
      expect((await call(name, args)).isError, name).toBe(true);
    }
    expect(await readFile(join(user, 'secret.txt'), 'utf8')).toBe('outside secret');
    // With restrict_to_workspace off the tools may go outside, but still not write through a link.
    const open = tools({ restrictToWorkspace: false });
    expect(await open.call('write_file', { path: 'secret-link', content: 'overwritten' })).toMatchObject({ isError: true, content: expect.stringMatching(/is a symbolic link/) });
    expect(await readFile(join(user, 'secret.txt'), 'utf8')).toBe('outside secret');
  });

  it('links inside the workspace still work for reading; a loop of links is an error, not a hang', async () => {
    await mkdir(join(ws, 'notes'));
    await writeFile(join(ws, 'notes', 'todo.md'), '# todo\n');
    await symlink(join(ws, 'notes'), join(ws, 'mem'));
    await symlink(join(ws, 'loop-b'), join(ws, 'loop-a'));
    await symlink(join(ws, 'loop-a'), join(ws, 'loop-b'));
    const { call } = tools();
    expect(await call('read_file', { path: 'mem/todo.md' })).toEqual({ content: '# todo\n' });
    expect(await call('append_file', { path: 'mem/todo.md', content: 'more\n' })).toEqual({ content: 'appended 5 bytes to mem/todo.md' });
    expect(await readFile(join(ws, 'notes', 'todo.md'), 'utf8')).toBe('# todo\nmore\n');
    expect(await call('write_file', { path: 'loop-a/x', content: 'x' })).toMatchObject({ isError: true, content: expect.stringMatching(/symbolic links/) });
  });
});

describe('file tools and the path policy', () => {
  const message = (path: string) => `access denied: ${path} holds conversations and channel state; the file tools cannot read or write it`;

  it("another chat's session and the channel state cannot be read, listed, written, appended to or edited", async () => {
    const { call } = tools();
    expect(await call('read_file', { path: 'sessions/pico_other.jsonl' })).toEqual({ isError: true, content: message('sessions/pico_other.jsonl') });
    expect(await call('read_file', { path: './memory/../sessions/pico_other.jsonl' })).toEqual({ isError: true, content: message('sessions/pico_other.jsonl') });
    expect(await call('read_file', { path: join(ws, 'sessions', 'pico_other.jsonl') })).toEqual({ isError: true, content: message('sessions/pico_other.jsonl') });
    expect(await call('read_file', { path: 'state/channels.json' })).toEqual({ isError: true, content: message('state/channels.json') });
    expect(await call('list_dir', { path: 'sessions' })).toEqual({ isError: true, content: message('sessions') });
    expect(await call('write_file', { path: 'sessions/pico_other.jsonl', content: '{"role":"user","content":"forged"}\n' })).toEqual({ isError: true, content: message('sessions/pico_other.jsonl') });
    expect(await call('write_file', { path: 'sessions/pico_new.jsonl', content: '{}' })).toMatchObject({ isError: true });
    expect(await call('append_file', { path: 'sessions/pico_other.jsonl', content: '{"role":"assistant","content":"forged"}\n' })).toMatchObject({ isError: true });
    expect(await call('edit_file', { path: 'sessions/pico_other.jsonl', old_text: '1234', new_text: '0000' })).toMatchObject({ isError: true });
    expect(await call('write_file', { path: 'state/channels.json', content: '{}' })).toMatchObject({ isError: true });
    expect(await call('write_file', { path: 'sessions', content: 'x' })).toMatchObject({ isError: true });
    expect(await readFile(join(ws, 'sessions', 'pico_other.jsonl'), 'utf8')).toBe(OTHER_CHAT);
    expect(await readFile(join(ws, 'state', 'channels.json'), 'utf8')).toBe('{"telegram":{"offset":1}}');
    expect(await tree(join(ws, 'sessions'))).toEqual(['pico_other.jsonl']);
  });

  it('a link in the workspace to the sessions is refused where it leads', async () => {
    await symlink(join(ws, 'sessions'), join(ws, 'chats'));
    const { call } = tools();
    expect(await call('read_file', { path: 'chats/pico_other.jsonl' })).toEqual({ isError: true, content: message('sessions/pico_other.jsonl') });
    expect(await call('append_file', { path: 'chats/pico_other.jsonl', content: 'x' })).toEqual({ isError: true, content: message('sessions/pico_other.jsonl') });
    expect(await call('list_dir', { path: 'chats' })).toMatchObject({ isError: true });
    expect(await readFile(join(ws, 'sessions', 'pico_other.jsonl'), 'utf8')).toBe(OTHER_CHAT);
  });

  it('list_dir leaves out what the tools may not touch', async () => {
    const { call } = tools();
    expect(await call('list_dir', {})).toEqual({ content: 'memory/' });
    const outside = tools({ restrictToWorkspace: false });
    expect(await outside.call('list_dir', { path: base })).toEqual({ content: 'user/' });
  });

  it("PicoClaw's own files stay closed with restrict_to_workspace off or allow_read_outside_workspace on", async () => {
    for (const options of [{ allowReadOutside: true }, { restrictToWorkspace: false }]) {
      const { call } = tools(options);
      for (const file of ['config.json', '.security.yml', 'launcher-config.json']) {
        for (const path of [`../${file}`, join(home, file)]) {
          expect(await call('read_file', { path }), `${JSON.stringify(options)} ${path}`).toMatchObject({ isError: true, content: expect.stringMatching(/^access denied: .* holds (PicoClaw's configuration|PicoClaw's secrets|the launcher's settings); the file tools cannot read or write it$/) });
        }
      }
      expect(await call('list_dir', { path: '..' })).toMatchObject({ isError: true });
      expect(await call('read_file', { path: join(user, 'secret.txt') })).toEqual({ content: 'outside secret' });
    }
    const { call } = tools({ restrictToWorkspace: false });
    expect(await call('write_file', { path: '../config.json', content: '{"tools":{"exec":{"enabled":true}}}' })).toMatchObject({ isError: true });
    expect(await call('append_file', { path: '../.security.yml', content: 'x' })).toMatchObject({ isError: true });
    expect(await call('write_file', { path: '../logs/gateway.log', content: 'x' })).toMatchObject({ isError: true });
    expect(await readFile(join(home, 'config.json'), 'utf8')).toBe('{}');
    expect(await readFile(join(home, '.security.yml'), 'utf8')).toBe('model_list: {}');
    expect(existsSync(join(home, 'logs'))).toBe(false);
  });

  it('a read-only entry may be read but not written', async () => {
    await mkdir(join(ws, 'mcp-server'));
    await writeFile(join(ws, 'mcp-server', 'index.js'), 'run()');
    const policy = createPathPolicy({ home, workspace: ws, configPath: join(home, 'config.json'), securityPath: join(home, '.security.yml'), launcherConfigPath: join(home, 'launcher-config.json'), extra: [{ path: join(ws, 'mcp-server'), access: 'read', why: 'the program of MCP server "fs"' }] });
    const set = createFileTools({ restrictToWorkspace: true, allowReadOutside: false, policy, maxReadBytes: 1000 });
    const context: ToolContext = { signal: new AbortController().signal, sessionKey: 's', channel: 'pico', chatId: 'c', workspace: ws };
    expect(await set.read_file.execute({ path: 'mcp-server/index.js' }, context)).toEqual({ content: 'run()' });
    expect(await set.write_file.execute({ path: 'mcp-server/index.js', content: 'evil()' }, context)).toEqual({ isError: true, content: 'access denied: mcp-server/index.js holds the program of MCP server "fs"; the file tools can read it but not write it' });
    expect(await readFile(join(ws, 'mcp-server', 'index.js'), 'utf8')).toBe('run()');
  });

  it('memory/ is read-only to the file tools: MEMORY.md cannot be replaced whole (PicoClaw #3150), only the memory tool changes it', async () => {
    const { call } = tools();
    const refused = 'access denied: memory/MEMORY.md holds the memory files (the memory tool changes them and keeps earlier versions); the file tools can read it but not write it';
    expect(await call('read_file', { path: 'memory/MEMORY.md' })).toEqual({ content: '# memory\n' });
    expect(await call('write_file', { path: 'memory/MEMORY.md', content: 'wiped' })).toEqual({ isError: true, content: refused });
    expect(await call('edit_file', { path: 'memory/MEMORY.md', old_text: '# memory', new_text: '' })).toEqual({ isError: true, content: refused });
    expect(await call('append_file', { path: 'memory/MEMORY.md', content: 'x' })).toEqual({ isError: true, content: refused });
    expect(await call('write_file', { path: 'memory/.history/MEMORY.md.20261206T000000000Z', content: 'forged' })).toMatchObject({ isError: true });
    expect(await readFile(join(ws, 'memory', 'MEMORY.md'), 'utf8')).toBe('# memory\n');
  });
});
