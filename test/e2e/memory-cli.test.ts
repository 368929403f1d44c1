/**
 * `picoclaw memory search|show|list` from the gateway bundle: without a gateway (the files) and
 * with one (its `/memory` API, which needs the gateway token and keeps the previous version of a save).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnGateway, type GatewayProcess } from '@picoclaw/test-fakes';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bundle = fileURLToPath(new URL('../../packages/gateway/dist/picoclaw.js', import.meta.url));
const TOKEN = 'memory-cli-gateway-token';
let home: string;
let gateway: GatewayProcess | undefined;

const MEMORY_MD = '# Long-term Memory\n\n## Preferences\n\n- Coffee: café con leche, no sugar.\n\n## Home\n\n- The boiler is a Vaillant ecoTEC; service due in March.\n';
const DAY = '# 2026-12-05\n\nReplaced the batteries of the smoke detector in the hallway.\n';

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'picoclaw-memory-cli-'));
  await mkdir(join(home, 'workspace', 'memory', '202612'), { recursive: true });
  await writeFile(join(home, 'workspace', 'memory', 'MEMORY.md'), MEMORY_MD);
  await writeFile(join(home, 'workspace', 'memory', '202612', '20261205.md'), DAY);
  await writeFile(join(home, 'config.json'), JSON.stringify({ channel_list: { pico: { enabled: true, type: 'pico', settings: { token: 'memory-cli-pico' } } } }));
});
afterAll(async () => {
  gateway?.child.kill('SIGTERM');
  await gateway?.child;
  await rm(home, { recursive: true, force: true });
});

const picoclaw = (...args: string[]) => execa(process.execPath, [bundle, ...args], { reject: false, env: { PATH: process.env.PATH, HOME: home, PICOCLAW_HOME: home }, extendEnv: false });

describe('picoclaw memory', () => {
  it('without a gateway: search ranks the right note first, show prints a file or a day, list the files; bad usage exits 2', async () => {
    const search = await picoclaw('memory', 'search', 'smoke', 'detector');
    expect(search.exitCode).toBe(0);
    expect(search.stdout.split('\n')[0]).toMatch(/^2026-12-05\s/);
    expect(search.stdout).toContain('Replaced the batteries of the smoke detector');
    const json = JSON.parse((await picoclaw('memory', 'search', 'boiler', '--json')).stdout) as { hits: { name: string; section: string }[] };
    expect(json.hits[0]).toMatchObject({ name: 'MEMORY.md', section: 'Home' });
    expect((await picoclaw('memory', 'show')).stdout).toBe(MEMORY_MD.trimEnd());
    expect((await picoclaw('memory', 'show', '2026-12-05')).stdout).toBe(DAY.trimEnd());
    expect(await picoclaw('memory', 'show', '2026-12-01')).toMatchObject({ exitCode: 1, stderr: 'no 202612/20261201.md yet' });
    expect((await picoclaw('memory', 'list')).stdout).toMatch(/^MEMORY\.md .*\n2026-12-05 /);
    expect(await picoclaw('memory', 'show', '../config.json')).toMatchObject({ exitCode: 2 });
    expect(await picoclaw('memory', 'search')).toMatchObject({ exitCode: 2 });
    expect(await picoclaw('memory', 'wipe')).toMatchObject({ exitCode: 2 });
  });

  it("with a gateway: the CLI answers through its /memory API; the API wants the token, saves with the previous version kept and refuses other files", async () => {
    gateway = spawnGateway({ home, env: { PICOCLAW_GATEWAY_TOKEN: TOKEN } });
    const port = await gateway.ready();
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/memory`)).status).toBe(401);
    const auth = { authorization: `Bearer ${TOKEN}` };
    const saved = await fetch(`${base}/memory/file?name=MEMORY.md`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ content: `${MEMORY_MD}\n## Car\n\n- Blue Seat Ibiza, ITV due in February.\n` }) });
    expect(saved.status).toBe(200);
    const kept = await readdir(join(home, 'workspace', 'memory', '.history'));
    expect(kept).toHaveLength(1);
    expect(await readFile(join(home, 'workspace', 'memory', '.history', kept[0]!), 'utf8')).toBe(MEMORY_MD);
    expect((await fetch(`${base}/memory/file?name=..%2Fconfig.json`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${base}/memory/file?name=MEMORY.md`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ content: 'x'.repeat(200_000) }) })).status).toBe(413);

    // The search index notices the change (the file's time and size), through the CLI.
    const search = await picoclaw('memory', 'search', 'ITV', '--json');
    expect(JSON.parse(search.stdout)).toMatchObject({ hits: [{ name: 'MEMORY.md', section: 'Car' }] });
    const list = JSON.parse((await picoclaw('memory', 'list', '--json')).stdout) as { source: string; files: { name: string }[] };
    expect(list).toMatchObject({ source: 'gateway', files: [{ name: 'MEMORY.md' }, { name: '202612/20261205.md' }] });
    expect((await picoclaw('memory', 'show', 'memory.md')).stdout).toContain('Blue Seat Ibiza');
  }, 30_000);
});
