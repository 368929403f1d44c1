/**
 * `picoclaw skills list|show|install|remove` from the gateway bundle: installs from a git
 * repository made by the test and from a folder, the refusals and their exit code, an unreachable
 * registry, and a running gateway seeing the change at its next turn without a restart.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commitGitRepo, spawnGateway, startFakeLlm, writeTree, type FakeLlm, type GatewayProcess } from '@picoclaw/test-fakes';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const bundle = fileURLToPath(new URL('../../packages/gateway/dist/picoclaw.js', import.meta.url));
let home: string;
let llm: FakeLlm | undefined;
let gateway: GatewayProcess | undefined;
let closedPort: number;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'picoclaw-cli-skills-'));
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closedPort = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
});
afterEach(async () => {
  gateway?.child.kill('SIGTERM');
  await gateway?.child;
  await llm?.close();
  gateway = llm = undefined;
  await rm(home, { recursive: true, force: true });
});

const picoclaw = (...args: string[]) => execa(process.execPath, [bundle, ...args], { reject: false, cwd: home, env: { PATH: process.env.PATH, HOME: home, PICOCLAW_HOME: home }, extendEnv: false });

const folder = (path: string, files: Record<string, string>) => writeTree(path, files);
const commit = commitGitRepo;

const md = (name: string, description: string, body = 'Steps.') => `---\nname: ${name}\ndescription: ${description}\n---\n\n${body}\n`;

describe('picoclaw skills', () => {
  it('list, install from a local git repository and a folder, show, refuse with exit 2, remove (moved aside)', async () => {
    await writeFile(join(home, 'config.json'), JSON.stringify({ tools: { skills: { registries: { github: { base_url: `http://127.0.0.1:${closedPort}` }, clawhub: { base_url: `http://127.0.0.1:${closedPort}` } } } } }));
    expect(await picoclaw('skills', 'list')).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/^No skills installed \(.*workspace\/skills, .*\/skills\)\. Install one with: picoclaw skills install <folder or git URL>$/) });

    const url = commit(await folder(join(home, 'src', 'weather'), { 'SKILL.md': md('weather', 'Weather for a city', 'Use wttr.in.'), 'scripts/get.sh': 'curl wttr.in\n' }));
    const installed = await picoclaw('skills', 'install', url);
    expect(installed.exitCode).toBe(0);
    expect(installed.stdout).toBe(`✓ skill weather installed in ${join(home, 'workspace', 'skills', 'weather')} (2 files, from ${url})\n    Weather for a city`);
    await folder(join(home, 'src', 'porch'), { 'SKILL.md': md('porch', 'Porch light routine') });
    expect(await picoclaw('skills', 'install', './src/porch')).toMatchObject({ exitCode: 0, stdout: expect.stringContaining('✓ skill porch installed') });

    const list = await picoclaw('skills', 'list', '--json');
    expect(JSON.parse(list.stdout)).toMatchObject({ skills: [{ name: 'porch', source: 'workspace', origin: join(home, 'src', 'porch') }, { name: 'weather', description: 'Weather for a city', origin: url }] });
    expect((await picoclaw('skills', 'list')).stdout).toContain(`✓ weather (workspace, from ${url})\n    Weather for a city`);
    expect((await picoclaw('skills', 'show', 'weather')).stdout).toContain('Use wttr.in.');

    // Refusals: the reason on stderr, exit 2, nothing written.
    await folder(join(home, 'src', 'bad'), { 'SKILL.md': md('Bad_Name', 'x') });
    await folder(join(home, 'src', 'none'), { 'README.md': 'hi' });
    const refusals = await Promise.all([
      picoclaw('skills', 'install', url),
      picoclaw('skills', 'install', join(home, 'src', 'bad')),
      picoclaw('skills', 'install', join(home, 'src', 'none')),
      picoclaw('skills', 'install', '--registry', 'github', 'acme/weather'),
      picoclaw('skills', 'install', 'clawhub:weather'),
      picoclaw('skills', 'remove', 'nope'),
      picoclaw('skills', 'install'),
    ]);
    expect(refusals.map((r) => r.exitCode)).toEqual([2, 2, 2, 2, 2, 2, 2]);
    expect(refusals[0]!.stderr).toContain('a skill named "weather" is already installed');
    expect(refusals[1]!.stderr).toContain('skill name "Bad_Name" is not valid');
    expect(refusals[2]!.stderr).toContain('has no SKILL.md at its top');
    expect(refusals[3]!.stderr).toContain(`the github skill registry (http://127.0.0.1:${closedPort}/acme/weather.git) could not be reached`);
    expect(refusals[4]!.stderr).toContain(`the clawhub skill registry (http://127.0.0.1:${closedPort}/api/v1/skills/weather) could not be reached: ECONNREFUSED; check tools.skills.registries.clawhub.base_url`);
    expect(refusals[5]!.stderr).toContain('no skill named "nope" is installed');
    expect(refusals[6]!.stderr).toMatch(/^usage: picoclaw skills/);
    expect((await readdir(join(home, 'workspace', 'skills'))).sort()).toEqual(['porch', 'weather']);

    const removed = await picoclaw('skills', 'remove', 'porch');
    expect(removed).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/^✓ skill porch removed \(moved to .*workspace\/skills\/\.removed\/porch-.*; move it back to restore it\)$/) });
    expect((await readdir(join(home, 'workspace', 'skills'))).sort()).toEqual(['.removed', 'weather']);
    expect((await picoclaw('skills', '--help')).stdout).toContain('picoclaw skills list|show|install|remove');
  }, 60_000);

  it('a running gateway offers a skill installed by the CLI at its next turn, and forgets a removed one', async () => {
    llm = await startFakeLlm([], { echo: true });
    await writeFile(join(home, 'config.json'), JSON.stringify({
      agents: { defaults: { model_name: 'm' } },
      model_list: [{ model_name: 'm', model: 'groq/llama', api_base: llm.url, api_keys: ['k'] }],
      channel_list: { pico: { enabled: true, type: 'pico', settings: { token: 'cli-skills-pico-token' } } },
    }));
    gateway = spawnGateway({ home });
    const port = await gateway.ready();
    const ask = async (text: string) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/pico/ws?session_id=cli-skills`, ['token.cli-skills-pico-token']);
      await new Promise((r, j) => ws.once('open', r).once('error', j));
      const done = new Promise<void>((resolve) => ws.on('message', (raw) => {
        if ((JSON.parse(String(raw)) as { type: string }).type === 'typing.stop') resolve();
      }));
      ws.send(JSON.stringify({ type: 'message.send', payload: { content: text } }));
      await done;
      ws.close();
      return String(llm!.requests.at(-1)!.body.messages[0]!.content);
    };
    expect(await ask('one')).not.toContain('# Skills');
    await folder(join(home, 'src', 'porch'), { 'SKILL.md': md('porch', 'Porch light routine') });
    expect((await picoclaw('skills', 'install', join(home, 'src', 'porch'))).exitCode).toBe(0);
    await new Promise((r) => setTimeout(r, 2_100)); // the catalog looks at the disk at most every 2 s
    expect(await ask('two')).toContain('<name>porch</name><description>Porch light routine</description>');
    expect((await picoclaw('skills', 'remove', 'porch')).exitCode).toBe(0);
    await new Promise((r) => setTimeout(r, 2_100));
    expect(await ask('three')).not.toContain('porch');
  }, 60_000);
});
