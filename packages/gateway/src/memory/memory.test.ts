import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildSystemPrompt } from '../agent/system-prompt.js';
import type { ToolContext } from '../tools/types.js';
import { createMemory } from './memory.js';
import { memoryApi } from './memory-api.js';
import { MEMORY_EXCERPT_CHARS } from './memory-excerpt.js';
import { createMemorySearch } from './memory-search.js';
import { createMemoryStore, KEEP_VERSIONS, MAX_FILE_BYTES, MAX_TEXT_CHARS } from './memory-store.js';

let ws: string;
const NOW = new Date(2026, 11, 6, 9, 30); // 2026-12-06, local time
const now = () => NOW;

beforeEach(async () => {
  ws = await mkdtemp(join(tmpdir(), 'picoclaw-memory-'));
});
afterEach(async () => {
  await rm(ws, { recursive: true, force: true });
});

const MEMORY_MD = `# Long-term Memory

## User Information

Name: Ana. Lives in Valencia with her partner Luis and a cat called Miso.
Works as a nurse, night shifts on Tuesdays and Wednesdays.

## Preferences

- Likes the living room at 21 °C in winter; the bedroom at 18 °C.
- Prefers answers in Spanish, short.
- Coffee: café con leche, no sugar.

## Home

- The boiler is a Vaillant ecoTEC; service due in March.
- Router admin page: 192.168.1.1; the NAS is a Synology DS220+ at 192.168.1.20.
- Garage door opener: Home Assistant entity cover.garage_door.

## Important Notes

- The car's ITV inspection expires on 2027-02-14.
`;

const DAYS: Record<string, string> = {
  '202612/20261204.md': '# 2026-12-04\n\nAna asked to water the plants on the balcony every Friday.\nThe vet appointment for Miso is on 12 December at 17:00.\n',
  '202612/20261205.md': '# 2026-12-05\n\nReplaced the batteries of the smoke detector in the hallway.\nLuis said the wifi in the garage drops; maybe a mesh extender.\n',
  '202611/20261120.md': '# 2026-11-20\n\nPaid the electricity bill (Iberdrola), 84 euros.\nThe dishwasher makes a loud noise when draining.\n',
};

async function fixture() {
  await mkdir(join(ws, 'memory', '202612'), { recursive: true });
  await mkdir(join(ws, 'memory', '202611'), { recursive: true });
  await writeFile(join(ws, 'memory', 'MEMORY.md'), MEMORY_MD);
  for (const [name, text] of Object.entries(DAYS)) await writeFile(join(ws, 'memory', name), text);
}

const context = (): ToolContext => ({ signal: new AbortController().signal, sessionKey: 'pico:a', channel: 'pico', chatId: 'a', workspace: ws });
function tool() {
  const [memoryTool] = createMemory({ workspace: () => ws, now }).tools();
  return (args: Record<string, unknown>) => memoryTool!.execute(args, context());
}

describe('memory search', () => {
  it('ranks the section or note that answers the question first', async () => {
    await fixture();
    const search = createMemorySearch(createMemoryStore({ workspace: ws, now }));
    const top = async (query: string) => {
      const [hit] = await search.search(query);
      return hit ? `${hit.day ?? hit.name}${hit.section ? ` › ${hit.section}` : ''}` : undefined;
    };
    expect(await top('vet appointment Miso')).toBe('2026-12-04');
    expect(await top('smoke detector batteries')).toBe('2026-12-05');
    expect(await top('boiler service')).toBe('MEMORY.md › Home');
    expect(await top('temperature living room')).toBe('MEMORY.md › Preferences'); // "room" twice, "temperature" nowhere
    expect(await top('NAS ip address')).toBe('MEMORY.md › Home');
    expect(await top('cafe')).toBe('MEMORY.md › Preferences'); // accents folded
    expect(await top('dishwasher noise')).toBe('2026-11-20');
    expect(await top('electricity bill')).toBe('2026-11-20');
    expect(await top('wifi garage')).toBe('2026-12-05'); // "garage" is in Home too: both words win
    expect(await top('night shifts')).toBe('MEMORY.md › User Information');
    expect(await top('inspection')).toBe('MEMORY.md › Important Notes');
    expect(await top('plants')).toBe('2026-12-04'); // prefix: "plant" → "plants"
    expect(await top('vaillant')).toBe('MEMORY.md › Home');
    expect(await top('zebra quantum')).toBeUndefined();
    const [hit] = await search.search('dishwasher');
    expect(hit).toMatchObject({ name: '202611/20261120.md', day: '2026-11-20', section: '' });
    expect(hit!.snippet).toContain('dishwasher makes a loud noise');
  });

  it('loads MiniSearch lazily and re-reads only the files that changed (size or time)', async () => {
    await fixture();
    const store = createMemoryStore({ workspace: ws, now });
    const read = vi.spyOn(store, 'read');
    const search = createMemorySearch(store);
    await search.search('boiler');
    expect(read).toHaveBeenCalledTimes(4);
    await search.search('plants');
    expect(read).toHaveBeenCalledTimes(4); // nothing changed: no file read
    await store.append('The boiler pressure was low (0.8 bar); refilled to 1.5.');
    expect((await search.search('boiler pressure'))[0]).toMatchObject({ day: '2026-12-06' });
    expect(read.mock.calls.slice(4).map(([n]) => n).filter((n) => n !== '202612/20261206.md')).toEqual([]);
    // An edit by hand (dashboard, editor) is seen too; a deleted note leaves the index.
    await writeFile(join(ws, 'memory', '202611', '20261120.md'), '# 2026-11-20\n\nThe fridge light is broken.\n');
    await utimes(join(ws, 'memory', '202611', '20261120.md'), new Date(), new Date(Date.now() + 5000));
    expect(await search.search('dishwasher')).toEqual([]);
    expect((await search.search('fridge'))[0]).toMatchObject({ day: '2026-11-20' });
    await rm(join(ws, 'memory', '202611', '20261120.md'));
    expect(await search.search('fridge')).toEqual([]);
  });
});

describe('the memory tool', () => {
  it('edit replaces one section and leaves the others; the previous version is kept', async () => {
    await fixture();
    const call = tool();
    const result = await call({ action: 'edit', where: 'Preferences', text: '- Likes the living room at 22 °C now.' });
    expect(result.isError).toBeFalsy();
    const after = await readFile(join(ws, 'memory', 'MEMORY.md'), 'utf8');
    expect(after).toBe(MEMORY_MD.replace(/## Preferences\n\n[\s\S]*?\n\n## Home/, '## Preferences\n\n- Likes the living room at 22 °C now.\n\n## Home'));
    for (const kept of ['## User Information', 'Miso', '## Home', 'Vaillant', '## Important Notes', '2027-02-14']) expect(after).toContain(kept);
    expect(after).not.toContain('café con leche');
    const history = await readdir(join(ws, 'memory', '.history'));
    expect(history).toHaveLength(1);
    expect(await readFile(join(ws, 'memory', '.history', history[0]!), 'utf8')).toBe(MEMORY_MD);
    expect((await stat(join(ws, 'memory', 'MEMORY.md'))).mode & 0o777).toBe(0o600);
  });

  it('has no way to replace the whole file: no such action, edit needs a section that exists, a heading in the text stays inside it', async () => {
    await fixture();
    const call = tool();
    expect(await call({ action: 'write', text: 'wiped' })).toMatchObject({ isError: true });
    expect(await call({ action: 'edit', text: 'wiped' })).toMatchObject({ isError: true, content: expect.stringContaining('edit needs where') });
    for (const where of ['../config.json', '../../.security.yml', '/etc/passwd', '~/.ssh/id_rsa', 'sessions\\x', 'memory/../cron/jobs.json']) {
      for (const action of ['read', 'append', 'edit']) expect(await call({ action, where, text: 'x' })).toMatchObject({ isError: true, content: expect.stringContaining('not a path') });
    }
    expect(await call({ action: 'append', where: 'MEMORY.md', text: 'wiped' })).toMatchObject({ isError: true, content: expect.stringContaining('needs where: the title of a section') });
    expect((await call({ action: 'read', where: 'memory/MEMORY.md' })).content).toBe(MEMORY_MD);
    expect(await call({ action: 'edit', where: 'Long-term Memory', text: 'wiped' })).toMatchObject({ isError: true, content: expect.stringContaining('its sections: User Information, Preferences, Home, Important Notes') });
    expect(await call({ action: 'edit', where: 'Home', text: 'Router: 10.0.0.1\n## Preferences\nnone' })).not.toHaveProperty('isError');
    const after = await readFile(join(ws, 'memory', 'MEMORY.md'), 'utf8');
    expect(after).toContain('Coffee: café con leche');
    expect(after).toContain('### Preferences\nnone');
    expect(await readFile(join(ws, 'memory', 'MEMORY.md'), 'utf8')).toContain('## Important Notes\n\n- The car');
  });

  it('append adds to a section (made when missing) or to the daily note; read and search answer', async () => {
    await fixture();
    const call = tool();
    expect(await call({ action: 'append', where: 'Preferences', text: '- Hates notifications after 22:00.' })).toEqual({ content: expect.stringMatching(/^appended to MEMORY\.md › Preferences \(\d+ bytes; the previous version is kept\)$/) });
    let text = await readFile(join(ws, 'memory', 'MEMORY.md'), 'utf8');
    expect(text).toContain('- Coffee: café con leche, no sugar.\n- Hates notifications after 22:00.\n\n## Home');
    await call({ action: 'append', where: 'Cars', text: 'Blue Seat Ibiza, plate 1234 ABC.' });
    text = await readFile(join(ws, 'memory', 'MEMORY.md'), 'utf8');
    expect(text.endsWith('## Important Notes\n\n- The car\'s ITV inspection expires on 2027-02-14.\n\n## Cars\n\nBlue Seat Ibiza, plate 1234 ABC.\n')).toBe(true);
    expect((await call({ action: 'read', where: 'preferences' })).content).toBe(text.slice(text.indexOf('## Preferences'), text.indexOf('## Home')).trim());
    expect((await call({ action: 'read', where: '2026-12-05' })).content).toBe(DAYS['202612/20261205.md']);
    expect((await call({ action: 'read', where: '2026-12-01' })).content).toBe('no note for 2026-12-01');
    expect((await call({ action: 'search', text: 'plate' })).content).toMatch(/^MEMORY\.md › Cars: Blue Seat Ibiza/);
  });

  it("the first append of the day makes today's note YYYYMM/YYYYMMDD.md with PicoClaw's date title", async () => {
    const call = tool();
    expect(await call({ action: 'append', text: 'Ana leaves for Madrid on Friday.' })).toEqual({ content: 'appended to 202612/20261206.md (47 bytes)' });
    await call({ action: 'append', where: 'today', text: 'Luis stays home.' });
    const file = join(ws, 'memory', '202612', '20261206.md');
    expect(await readFile(file, 'utf8')).toBe('# 2026-12-06\n\nAna leaves for Madrid on Friday.\nLuis stays home.\n');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await call({ action: 'read', where: 'today' })).content).toContain('Luis stays home.');
    expect(await call({ action: 'append', where: '2026-02-30', text: 'x' })).toMatchObject({ isError: true });
  });

  it('caps: one change, the file, and the versions kept', async () => {
    const call = tool();
    expect(await call({ action: 'append', where: 'Big', text: 'x'.repeat(MAX_TEXT_CHARS + 1) })).toMatchObject({ isError: true, content: expect.stringContaining(`at most ${MAX_TEXT_CHARS}`) });
    let refused;
    for (let i = 0; i < 40 && !refused; i++) {
      const result = await call({ action: 'append', where: 'Big', text: `${i} ${'y'.repeat(MAX_TEXT_CHARS - 10)}` });
      if (result.isError) refused = result;
    }
    expect(refused?.content).toContain(`over the ${MAX_FILE_BYTES}-byte limit`);
    expect((await stat(join(ws, 'memory', 'MEMORY.md'))).size).toBeLessThanOrEqual(MAX_FILE_BYTES);
    for (let i = 0; i < KEEP_VERSIONS + 5; i++) await call({ action: 'append', text: `note ${i}` });
    const kept = (await readdir(join(ws, 'memory', '.history'))).filter((f) => f.startsWith('202612-20261206.md.'));
    expect(kept).toHaveLength(KEEP_VERSIONS);
    // The newest kept version is the note before the last append.
    expect(await readFile(join(ws, 'memory', '.history', kept.sort().at(-1)!), 'utf8')).toMatch(/note 23\n$/);
  });

  it('follows no link: a MEMORY.md or memory/ that points elsewhere is neither read nor written', async () => {
    await writeFile(join(ws, 'config.json'), '{"secret":"s3cr3t"}');
    await mkdir(join(ws, 'memory'));
    await symlink(join(ws, 'config.json'), join(ws, 'memory', 'MEMORY.md'));
    const call = tool();
    expect(await call({ action: 'read' })).toMatchObject({ isError: true, content: expect.stringContaining('symbolic link') });
    expect(await call({ action: 'append', where: 'X', text: 'y' })).toMatchObject({ isError: true });
    expect(await call({ action: 'search', text: 'secret' })).toEqual({ content: 'nothing in memory matches "secret"' });
    expect(await readFile(join(ws, 'config.json'), 'utf8')).toBe('{"secret":"s3cr3t"}');
    await rm(join(ws, 'memory'), { recursive: true });
    await mkdir(join(ws, 'elsewhere'));
    await symlink(join(ws, 'elsewhere'), join(ws, 'memory'));
    expect(await call({ action: 'append', text: 'y' })).toMatchObject({ isError: true, content: expect.stringContaining('not a plain folder') });
    expect(await readdir(join(ws, 'elsewhere'))).toEqual([]);
    expect((await lstat(join(ws, 'memory'))).isSymbolicLink()).toBe(true);
  });
});

describe('the system prompt', () => {
  const prompt = (hasTools = true) => buildSystemPrompt({ workspace: ws, channel: 'pico', chatId: 'a', hasTools, now: NOW, version: 't' });

  it('carries a bounded excerpt of MEMORY.md, not the whole file, and no file-tool memory rule', async () => {
    await mkdir(join(ws, 'memory'));
    const lines = Array.from({ length: 2000 }, (_, i) => `- fact number ${i} about the house`);
    await writeFile(join(ws, 'memory', 'MEMORY.md'), `# Long-term Memory\n\n## Facts\n\n${lines.join('\n')}\n`);
    const text = await prompt();
    const memory = text.slice(text.indexOf('## Long-term Memory'), text.indexOf('\n\n---\n\n## Current Time'));
    expect(memory.length).toBeLessThan(MEMORY_EXCERPT_CHARS + 120);
    expect(memory).toContain('- fact number 0 about');
    expect(memory).not.toContain('fact number 1999');
    expect(memory).toMatch(/\[… \d+ more characters: the memory tool searches and reads them\]$/);
    expect(text).not.toContain('append it to');
    expect(await prompt(false)).toMatch(/\[… \d+ more characters\]\n/);
  });

  it('a short MEMORY.md goes in whole; an empty one adds nothing', async () => {
    await mkdir(join(ws, 'memory'));
    await writeFile(join(ws, 'memory', 'MEMORY.md'), MEMORY_MD);
    expect(await prompt()).toContain(`# Memory\n\n## Long-term Memory\n\n${MEMORY_MD.trim()}\n\n---`);
  });
});

describe('the /memory API', () => {
  const api = (method: string, path: string, query = '', body: unknown = {}) => {
    const store = createMemoryStore({ workspace: ws, now });
    return memoryApi({ store, search: createMemorySearch(store) }, method, path, new URLSearchParams(query), body);
  };

  it('lists, reads, searches and saves with the previous version kept', async () => {
    await fixture();
    const list = (await api('GET', '')).body as { files: { name: string }[]; today: string };
    expect(list.files.map((f) => f.name)).toEqual(['MEMORY.md', '202612/20261205.md', '202612/20261204.md', '202611/20261120.md']);
    expect(list.today).toBe('2026-12-06');
    expect(await api('GET', '/file', 'name=202612/20261204.md')).toEqual({ status: 200, body: { name: '202612/20261204.md', exists: true, content: DAYS['202612/20261204.md'], versions: [] } });
    expect((await api('GET', '/search', 'q=vet')).body).toMatchObject({ hits: [{ day: '2026-12-04' }] });
    const saved = await api('PUT', '/file', 'name=MEMORY.md', { content: '# Memory\n\n## Home\n\nnew\n' });
    expect(saved).toMatchObject({ status: 200, body: { status: 'saved', name: 'MEMORY.md', previous: expect.stringMatching(/^\.history\/MEMORY\.md\.\d{8}T\d{9}Z(-\d{4})?$/) } });
    expect(await readFile(join(ws, 'memory', (saved.body as { previous: string }).previous), 'utf8')).toBe(MEMORY_MD);
    const file = (await api('GET', '/file', 'name=MEMORY.md')).body as { content: string; versions: string[] };
    expect(file).toMatchObject({ content: '# Memory\n\n## Home\n\nnew\n', versions: [(saved.body as { previous: string }).previous.slice('.history/'.length)] });
    // A kept version is read by its name, and only a listed one.
    expect(await api('GET', '/file', `name=MEMORY.md&version=${file.versions[0]}`)).toEqual({ status: 200, body: { name: 'MEMORY.md', version: file.versions[0], content: MEMORY_MD } });
    for (const version of ['../MEMORY.md', '../../config.json', '202612-20261204.md.20261206T093000000Z', file.versions[0]!.replace('MEMORY.md', '202612-20261204.md')]) {
      expect((await api('GET', '/file', `name=MEMORY.md&version=${encodeURIComponent(version)}`)).status).toBe(404);
    }
  });

  it('refuses names outside the layout, oversized files, bad bodies and methods', async () => {
    for (const name of ['../config.json', 'MEMORY.md/../../config.json', '.history/MEMORY.md.1', '202612/20261306.md', '202611/20261206.md', '/etc/passwd', '']) {
      expect((await api('GET', '/file', `name=${encodeURIComponent(name)}`)).status).toBe(404);
      expect((await api('PUT', '/file', `name=${encodeURIComponent(name)}`, { content: 'x' })).status).toBe(404);
    }
    expect(await api('PUT', '/file', 'name=MEMORY.md', { content: 'x'.repeat(MAX_FILE_BYTES + 1) })).toMatchObject({ status: 413 });
    expect(await api('PUT', '/file', 'name=MEMORY.md', { text: 'x' })).toMatchObject({ status: 400 });
    expect(await api('GET', '/search', 'q=')).toMatchObject({ status: 400 });
    expect(await api('DELETE', '/file', 'name=MEMORY.md')).toMatchObject({ status: 405 });
    expect(await api('GET', '/nope')).toMatchObject({ status: 404 });
    expect(await readdir(ws)).toEqual([]);
  });
});
