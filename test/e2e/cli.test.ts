/** `picoclaw config|models|mcp|status` from the gateway bundle, against fakes. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnGateway, startFakeHomeAssistant, startFakeLlm, type FakeHomeAssistant, type FakeLlm, type GatewayProcess } from '@picoclaw/test-fakes';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const bundle = fileURLToPath(new URL('../../packages/gateway/dist/picoclaw.js', import.meta.url));
let home: string;
let llm: FakeLlm;
let ha: FakeHomeAssistant;
let gateway: GatewayProcess | undefined;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'picoclaw-cli-'));
  llm = await startFakeLlm([{ text: ['pong'] }, { status: 401, body: { message: 'invalid key' } }]);
  ha = await startFakeHomeAssistant();
  await writeFile(join(home, 'config.json'), JSON.stringify({
    agents: { defaults: { model_name: 'mistral-small' } },
    model_list: [{ model_name: 'mistral-small', model: 'groq/llama', api_base: llm.url, api_keys: ['[NOT_HERE]'] }],
    channel_list: { pico: { enabled: true, type: 'pico', settings: { token: '[NOT_HERE]' } } },
    tools: { mcp: { enabled: true, servers: { homeassistant: { type: 'http', url: ha.url, headers: { Authorization: '[NOT_HERE]' } } } } },
  }));
  await writeFile(join(home, '.security.yml'), `model_list:\n  mistral-small:\n    api_keys: ["cli-secret-key"]\nchannel_list:\n  pico:\n    settings: { token: "cli-pico-token" }\ntools:\n  mcp:\n    servers:\n      homeassistant:\n        headers: { Authorization: "Bearer ${ha.token}" }\n`);
});
afterEach(async () => {
  gateway?.child.kill('SIGTERM');
  await gateway?.child;
  gateway = undefined;
  await Promise.all([llm.close(), ha.close()]);
  await rm(home, { recursive: true, force: true });
});

const picoclaw = (...args: string[]) => execa(process.execPath, [bundle, ...args], { reject: false, env: { PATH: process.env.PATH, HOME: home, PICOCLAW_HOME: home }, extendEnv: false });

describe('picoclaw CLI', () => {
  it('config path, validate and show (secrets redacted)', async () => {
    expect((await picoclaw('config', 'path')).stdout).toBe(join(home, 'config.json'));
    const valid = await picoclaw('config', 'validate');
    expect(valid.exitCode).toBe(0);
    expect(valid.stdout).toMatch(/config\.json: valid/);
    const shown = await picoclaw('config', 'show');
    expect(JSON.parse(shown.stdout).model_list[0].api_keys).toEqual(['[NOT_HERE]']);
    expect(shown.stdout).not.toMatch(/cli-secret-key|cli-pico-token/);
    await writeFile(join(home, 'config.json'), '{"gateway": {"port": "x"}}');
    const invalid = await picoclaw('config', 'validate');
    expect(invalid.exitCode).toBe(78);
    expect(invalid.stderr).toMatch(/gateway\.port \(config\.json:1:14\): expected number, got string/);
  });

  it('models list and test: latency, or the exact failure', async () => {
    const list = await picoclaw('models', 'list');
    expect(list.stdout).toMatch(/^mistral-small\s+groq\/llama\s+primary\s+1 key$/m);
    const ok = await picoclaw('models', 'test', 'mistral-small');
    expect(ok.stdout).toMatch(/^mistral-small: answered in \d+ ms: "pong"$/);
    const failed = await picoclaw('models', 'test', 'mistral-small');
    expect(failed.exitCode).toBe(1);
    expect(failed.stdout).toMatch(/failed after \d+ ms: model mistral-small: HTTP 401: invalid key \(check the API key\)/);
    expect((await picoclaw('models', 'test', 'nope')).stderr).toMatch(/no enabled model named "nope"/);
    const json = JSON.parse((await picoclaw('models', 'list', '--json')).stdout);
    expect(json).toEqual({ primary: 'mistral-small', fallbacks: [], models: [{ name: 'mistral-small', provider: 'groq', model: 'groq/llama', enabled: true, keys: 1 }] });
  });

  it('mcp list and test: tools, or the reason with a hint', async () => {
    expect((await picoclaw('mcp', 'list')).stdout).toMatch(/^homeassistant\s+http\s+http:\/\/127\.0\.0\.1:\d+\/api\/mcp$/m);
    const listed = JSON.parse((await picoclaw('mcp', 'list', '--json')).stdout);
    expect(listed).toEqual({ enabled: true, servers: [{ name: 'homeassistant', transport: 'http', target: ha.url, enabled: true, headers: ['Authorization'], env: [] }] });
    const ok = await picoclaw('mcp', 'test', 'homeassistant');
    expect(ok.stdout).toMatch(/homeassistant: connected in \d+ ms, 4 tools: .*HassTurnOn/);
    await ha.stop();
    const down = await picoclaw('mcp', 'test', 'homeassistant');
    expect(down.exitCode).toBe(1);
    expect(down.stdout).toMatch(/failed: MCP server homeassistant: cannot reach .*connection refused\n {2}hint: .*host network/);
  });

  it('status: not running, then running with its channels and models', async () => {
    const stopped = await picoclaw('status');
    expect(stopped.exitCode).toBe(1);
    expect(JSON.parse((await picoclaw('status', '--json')).stdout)).toEqual({ running: false });
    expect(stopped.stdout).toMatch(/gateway: not running/);
    gateway = spawnGateway({ home });
    await gateway.ready();
    const status = await picoclaw('status');
    expect(status.stdout).toMatch(/^gateway [\d.]+: (ready|degraded), up \d+ s/m);
    expect(status.stdout).toMatch(/^channel pico \(pico\): running/m);
    expect(status.stdout).toMatch(/^model mistral-small \(groq\/llama\) primary:/m);
    const json = JSON.parse((await picoclaw('status', '--json')).stdout);
    expect(json).toMatchObject({ running: true, channels: [{ name: 'pico', state: 'running' }], models: { primary: 'mistral-small' } });
    expect(JSON.stringify(json)).not.toMatch(/cli-secret-key|cli-pico-token|ha-test-token/);
  });

  it('agent -m: one turn in the terminal, with the Home Assistant tool call', async () => {
    await llm.close();
    llm = await startFakeLlm([
      { toolCalls: [{ id: 'c1', name: 'mcp_homeassistant_hassturnon', arguments: '{"name":"kitchen light"}' }] },
      { text: ['The kitchen ', 'light is on.'] },
    ]);
    await writeFile(join(home, 'config.json'), JSON.stringify({
      agents: { defaults: { model_name: 'mistral-small' } },
      model_list: [{ model_name: 'mistral-small', model: 'groq/llama', api_base: llm.url, api_keys: ['[NOT_HERE]'] }],
      tools: { mcp: { enabled: true, servers: { homeassistant: { type: 'http', url: ha.url, headers: { Authorization: '[NOT_HERE]' } } } } },
    }));
    const result = await picoclaw('agent', '-m', 'turn on the kitchen light');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('The kitchen light is on.');
    expect(result.stderr).toContain('… mcp_homeassistant_hassturnon');
    expect(ha.calls).toEqual([{ tool: 'HassTurnOn', args: { name: 'kitchen light' } }]);
    expect(llm.requests[0]!.authorization).toBe('Bearer cli-secret-key');
    // The model failing: exit 1 and the reason on stderr, without the key.
    llm.push({ status: 401, body: { message: 'bad key cli-secret-key' } });
    const failed = await picoclaw('agent', '-m', 'again');
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toMatch(/HTTP 401/);
    expect(failed.stderr).not.toContain('cli-secret-key');
  });

  it('interactive agent in a real terminal (tmux): streamed answer, Ctrl-C stops the answer and not the program', async () => {
    await llm.close();
    llm = await startFakeLlm([{ text: ['Hello ', 'there.'] }, { text: ['slow ', 'slow ', 'slow ', 'never'], delayMs: 700 }, { text: ['Still here.'] }]);
    await writeFile(join(home, 'config.json'), JSON.stringify({ agents: { defaults: { model_name: 'm' } }, model_list: [{ model_name: 'm', model: 'groq/llama', api_base: llm.url, api_keys: ['k'] }] }));
    await rm(join(home, '.security.yml'));
    const session = `picoclaw-test-${process.pid}-${Date.now()}`;
    const command = `env -i PATH="${process.env.PATH}" HOME="${home}" PICOCLAW_HOME="${home}" TERM=xterm ${process.execPath} ${bundle} agent`;
    await execa('tmux', ['new-session', '-d', '-s', session, '-x', '120', '-y', '30', command]);
    const screen = async () => (await execa('tmux', ['capture-pane', '-p', '-t', session], { reject: false })).stdout;
    const waitFor = async (pattern: RegExp, ms = 10_000) => {
      const end = Date.now() + ms;
      while (!pattern.test(await screen())) {
        if (Date.now() > end) throw new Error(`no ${pattern} on the screen:\n${await screen()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const keys = (...k: string[]) => execa('tmux', ['send-keys', '-t', session, ...k]);
    try {
      // Type only at a fresh prompt (a line holding just "you ›"), as a person would.
      const freshPrompts = async () => (await screen()).split('\n').filter((l) => /^you ›\s*$/.test(l)).length;
      await waitFor(/^you ›\s*$/m);
      await keys('hi', 'Enter');
      await waitFor(/picoclaw › Hello there\./);
      const end0 = Date.now() + 5000;
      while ((await freshPrompts()) < 1 && Date.now() < end0) await new Promise((r) => setTimeout(r, 50));
      await keys('tell me slowly', 'Enter');
      await waitFor(/picoclaw › slow/);
      await keys('C-c');
      await waitFor(/\(stopped\)/);
      await waitFor(/\(stopped\)\s*\n\s*you ›\s*$/m);
      await keys('are you there?', 'Enter');
      await waitFor(/picoclaw › Still here\./);
      await keys('/exit', 'Enter');
      const end = Date.now() + 5000;
      while ((await execa('tmux', ['has-session', '-t', session], { reject: false })).exitCode === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect((await execa('tmux', ['has-session', '-t', session], { reject: false })).exitCode).not.toBe(0);
    } finally {
      await execa('tmux', ['kill-session', '-t', session], { reject: false });
    }
  });
});
