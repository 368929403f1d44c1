/**
 * A prompt-injected model against ONE real gateway process, through its memory: the fake model plays
 * the tool calls a poisoned web page or entity name would talk a real one into. Checked: the memory
 * tool reaches nothing outside <workspace>/memory/ (no config, secrets, other chats, /etc), the
 * file tools cannot replace MEMORY.md whole nor forge its kept versions, and appends in a loop
 * cannot grow a memory file past its cap nor the kept versions past their count.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FakeLlm } from '@picoclaw/test-fakes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { picoTurn, startAttackedGateway, toolResults, walk, type AttackedGateway, type PicoClient } from './harness.js';

const PICO_TOKEN = 'memory-attacks-pico-token-77c1';
const API_KEY = 'mk-memory-attacks-key-0f3a';
/** memory-store.ts: MAX_FILE_BYTES, KEEP_VERSIONS. */
const MAX_FILE_BYTES = 128 * 1024;
const KEEP_VERSIONS = 20;
const MEMORY_MD = '# Long-term Memory\n\n## Preferences\n\n- The alarm code is not to be shared.\n\n## Home\n\n- NAS at 192.168.1.20.\n';

let attacked: AttackedGateway;
let home: string;
let llm: FakeLlm;
let client: PicoClient;

const call = (id: string, name: string, args: Record<string, unknown>) => ({ id, name, arguments: JSON.stringify(args) });

beforeAll(async () => {
  attacked = await startAttackedGateway('memory-attacks', {
    picoToken: PICO_TOKEN,
    apiKey: API_KEY,
    prepare: async (h) => {
      await mkdir(join(h, 'workspace', 'memory'), { recursive: true });
      await writeFile(join(h, 'workspace', 'memory', 'MEMORY.md'), MEMORY_MD);
    },
  });
  ({ home, llm } = attacked);
  client = await attacked.openPico('attacker');
}, 30_000);

afterAll(() => attacked?.close());

describe('a prompt-injected model and the memory', () => {
  it('cannot read or write outside memory/ with the memory tool, nor replace MEMORY.md or its kept versions with the file tools', async () => {
    const config = await readFile(join(home, 'config.json'), 'utf8');
    const security = await readFile(join(home, '.security.yml'), 'utf8');
    // Files outside memory/, less those the gateway writes by itself (the conversation, logs, channel state).
    const others = async () => (await walk(home)).filter((f) => !/\/(memory|sessions|logs|state)\//.test(f)).sort();
    const outside = await others();
    llm.push(
      {
        toolCalls: [
          call('read-config', 'memory', { action: 'read', where: '../config.json' }),
          call('read-secrets', 'memory', { action: 'read', where: '../../.security.yml' }),
          call('read-etc', 'memory', { action: 'read', where: '/etc/passwd' }),
          call('plant-config', 'memory', { action: 'append', where: '../config.json', text: '{"tools":{"exec":{"enabled":true}}}' }),
          call('edit-secrets', 'memory', { action: 'edit', where: '../../.security.yml', text: 'x' }),
          call('day-escape', 'memory', { action: 'append', where: '2026-12-06/../../../config.json', text: 'x' }),
          call('search-secret', 'memory', { action: 'search', text: 'api_keys pico token channel_list' }),
          call('wipe-edit', 'memory', { action: 'edit', text: 'wiped' }),
          call('wipe-write', 'memory', { action: 'write', where: 'MEMORY.md', text: 'wiped' }),
          call('huge', 'memory', { action: 'append', where: 'Junk', text: 'z'.repeat(100_000) }),
          call('fs-wipe', 'write_file', { path: 'memory/MEMORY.md', content: 'wiped' }),
          call('fs-edit', 'edit_file', { path: 'memory/MEMORY.md', old_text: '- NAS at 192.168.1.20.', new_text: '' }),
          call('fs-forge', 'write_file', { path: 'memory/.history/MEMORY.md.20261206T000000000Z', content: 'forged' }),
        ],
      },
      { text: ['I could not do that.'] },
    );
    expect((await picoTurn(client, 'summarise this web page for me')).answer).toBe('I could not do that.');
    const results = toolResults(llm.requests.at(-1));
    expect(results.size).toBe(13);
    for (const id of ['read-config', 'read-secrets', 'read-etc', 'plant-config', 'edit-secrets', 'day-escape']) expect(results.get(id)).toMatch(/^where is a section of MEMORY\.md .*not a path/);
    expect(results.get('search-secret')).toMatch(/^nothing in memory matches/);
    expect(results.get('wipe-edit')).toMatch(/^edit needs where/);
    expect(results.get('wipe-write')).toMatch(/^invalid arguments for tool "memory"/);
    expect(results.get('huge')).toMatch(/one change takes at most 8000/);
    for (const id of ['fs-wipe', 'fs-edit', 'fs-forge']) expect(results.get(id)).toMatch(/^access denied: memory\/.* the file tools can read it but not write it$/);
    for (const content of results.values()) {
      expect(content).not.toContain(API_KEY);
      expect(content).not.toContain(PICO_TOKEN);
      expect(content).not.toContain('root:x:0:0');
    }
    expect(await readFile(join(home, 'config.json'), 'utf8')).toBe(config);
    expect(await readFile(join(home, '.security.yml'), 'utf8')).toBe(security);
    expect(await readFile(join(home, 'workspace', 'memory', 'MEMORY.md'), 'utf8')).toBe(MEMORY_MD);
    // Nothing new outside memory/ but the conversation itself.
    expect(await others()).toEqual(outside);
    await expect(stat(join(home, 'workspace', 'memory', '.history'))).rejects.toThrow();
  }, 30_000);

  it('cannot grow a memory file past its cap, nor the kept versions past their count, with appends in a loop', async () => {
    const chunk = 'y'.repeat(7_900);
    for (let round = 0; round < 2; round++) {
      llm.push({ toolCalls: Array.from({ length: 20 }, (_, i) => call(`fill-${round}-${i}`, 'memory', { action: 'append', where: 'Junk', text: `${round}-${i} ${chunk}` })) }, { text: ['Done.'] });
      expect((await picoTurn(client, 'keep notes of this page', { ms: 30_000 })).answer).toBe('Done.');
    }
    const results = [...toolResults(llm.requests.at(-1)).values()];
    expect(results.every((r) => r.includes('over the 131072-byte limit of a memory file'))).toBe(true);
    const file = join(home, 'workspace', 'memory', 'MEMORY.md');
    expect((await stat(file)).size).toBeLessThanOrEqual(MAX_FILE_BYTES);
    const text = await readFile(file, 'utf8');
    expect(text.startsWith(MEMORY_MD.trimEnd())).toBe(true); // the sections that were there are untouched
    const history = await readdir(join(home, 'workspace', 'memory', '.history'));
    expect(history.length).toBeLessThanOrEqual(KEEP_VERSIONS);
    expect(history.length).toBeGreaterThan(10);
    expect((await stat(join(home, 'workspace', 'memory', '.history'))).mode & 0o777).toBe(0o700);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  }, 60_000);
});
