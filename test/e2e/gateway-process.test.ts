/**
 * The gateway as a real process: `picoclaw gateway` started from the CLI, talking to a fake
 * model server and a fake Home Assistant, driven over its HTTP API and the pico WebSocket.
 */
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnGateway, startFakeHomeAssistant, startFakeLlm, type FakeHomeAssistant, type FakeLlm, type GatewayProcess } from '@picoclaw/test-fakes';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const PICO = 'e2e-pico-token';
let home: string;
let llm: FakeLlm | undefined;
let ha: FakeHomeAssistant | undefined;
let gateway: GatewayProcess | undefined;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'picoclaw-e2e-'));
});
afterEach(async () => {
  gateway?.child.kill('SIGKILL');
  await gateway?.child;
  await llm?.close();
  await ha?.close();
  gateway = llm = ha = undefined;
  await rm(home, { recursive: true, force: true });
});

async function writeConfig(extra: Record<string, unknown> = {}) {
  await writeFile(join(home, 'config.json'), JSON.stringify({
    version: 3,
    agents: { defaults: { model_name: 'mistral-small' } },
    model_list: [{ model_name: 'mistral-small', model: 'mistral/mistral-small-latest', api_base: `${llm!.url}/v1`, api_keys: ['[NOT_HERE]'] }],
    channel_list: { pico: { enabled: true, type: 'pico', settings: { token: '[NOT_HERE]' } } },
    ...extra,
  }, null, 2));
  await writeFile(join(home, '.security.yml'), `model_list:\n  mistral-small:\n    api_keys: ["mk-e2e-key"]\nchannel_list:\n  pico:\n    settings:\n      token: ${PICO}\n`);
}

async function chat(port: number, text: string, session = 'e2e') {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/pico/ws?session_id=${session}`, [`token.${PICO}`]);
  const frames: { type: string; payload?: Record<string, unknown> }[] = [];
  socket.on('message', (d) => frames.push(JSON.parse(d.toString())));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  socket.send(JSON.stringify({ type: 'message.send', payload: { content: text } }));
  return {
    socket,
    frames,
    async done(ms = 10_000) {
      const end = Date.now() + ms;
      while (!frames.some((f) => f.type === 'typing.stop')) {
        if (Date.now() > end) throw new Error(`no answer: ${JSON.stringify(frames)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      socket.close();
      const messages = frames.filter((f) => f.type === 'message.create' || f.type === 'message.update');
      return String(messages.at(-1)?.payload?.content ?? '');
    },
  };
}

describe('picoclaw gateway (process)', () => {
  it('turns on the kitchen light through Home Assistant and streams the answer to pico', async () => {
    ha = await startFakeHomeAssistant();
    llm = await startFakeLlm([
      { toolCalls: [{ id: 'c1', name: 'mcp_homeassistant_hassturnon', arguments: '{"name":"kitchen light"}' }] },
      { text: ['Done: the kitchen ', 'light is on.'] },
    ]);
    await writeConfig({ tools: { mcp: { enabled: true, servers: { homeassistant: { type: 'http', url: ha.url, headers: { Authorization: '[NOT_HERE]' } } } } } });
    await writeFile(join(home, '.security.yml'), `${await readFile(join(home, '.security.yml'), 'utf8')}tools:\n  mcp:\n    servers:\n      homeassistant:\n        headers:\n          Authorization: Bearer ${ha.token}\n`);
    gateway = spawnGateway({ home });
    const port = await gateway.ready();
    // MCP connects in the background; wait for its tools before asking.
    const token = JSON.parse(await readFile(join(home, '.picoclaw.pid'), 'utf8')).token as string;
    for (let i = 0; i < 200; i++) {
      const status = (await (await fetch(`http://127.0.0.1:${port}/status`, { headers: { authorization: `Bearer ${token}` } })).json()) as { tools: { name: string }[] };
      if (status.tools.some((t) => t.name === 'mcp_homeassistant_hassturnon')) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const answer = await (await chat(port, 'turn on the kitchen light')).done();
    expect(answer).toBe('Done: the kitchen light is on.');
    expect(ha.calls).toEqual([{ tool: 'HassTurnOn', args: { name: 'kitchen light' } }]);
    expect(llm.requests[0]!.authorization).toBe('Bearer mk-e2e-key');
    expect(gateway.output()).not.toMatch(/mk-e2e-key|e2e-pico-token|ha-test-token/);
  });

  it('exits cleanly on SIGTERM in the middle of a turn, leaving a valid session file', async () => {
    llm = await startFakeLlm([{ text: ['one ', 'two ', 'three ', 'four'], delayMs: 400 }]);
    await writeConfig();
    gateway = spawnGateway({ home });
    const port = await gateway.ready();
    const turn = await chat(port, 'count slowly', 'sigterm');
    while (llm.requests.length === 0) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    gateway.child.kill('SIGTERM');
    const result = await gateway.child;
    expect(result.exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(gateway.output()).toMatch(/gateway stopped/);
    turn.socket.close();
    const files = await readdir(join(home, 'workspace', 'sessions'));
    const jsonl = files.find((f) => f.endsWith('.jsonl'))!;
    const lines = (await readFile(join(home, 'workspace', 'sessions', jsonl), 'utf8')).trim().split('\n');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(JSON.parse(lines[0]!)).toMatchObject({ role: 'user', content: 'count slowly' });
    await expect(readFile(join(home, '.picoclaw.pid'))).rejects.toThrow();
  });

  it('after SIGKILL mid-turn, the session stays valid and the next turn works', async () => {
    llm = await startFakeLlm([{ text: ['never ', 'finished'], delayMs: 1000 }, { text: ['back again'] }]);
    await writeConfig();
    gateway = spawnGateway({ home });
    const port = await gateway.ready();
    const turn = await chat(port, 'first', 'kill');
    while (llm.requests.length === 0) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    gateway.child.kill('SIGKILL');
    await gateway.child;
    turn.socket.close();
    gateway = spawnGateway({ home });
    const port2 = await gateway.ready();
    expect(await (await chat(port2, 'second', 'kill')).done()).toBe('back again');
    expect(llm.requests[1]!.body.messages.map((m) => m.content)).toEqual([expect.any(String), 'first', 'second']);
  });

  it('starts on a brand-new empty home: makes workspace/, workspace/sessions and logs/ (0700), ready but degraded until a model is set', async () => {
    const fresh = join(home, 'new-home');
    gateway = spawnGateway({ home: fresh });
    const port = await gateway.ready();
    for (const dir of ['', 'workspace', 'workspace/sessions', 'logs']) {
      const info = await stat(join(fresh, dir));
      expect(info.isDirectory(), dir).toBe(true);
      expect((info.mode & 0o777).toString(8), dir).toBe('700');
    }
    expect(await (await fetch(`http://127.0.0.1:${port}/ready`)).json()).toEqual({ status: 'degraded', reasons: ['no_model'] });
    expect(gateway.output()).toMatch(/no model is configured: add a model to model_list and set agents\.defaults\.model_name/);
    gateway.child.kill('SIGTERM');
    expect((await gateway.child).exitCode).toBe(0);
    // The folders it made are there for the next start.
    gateway = spawnGateway({ home: fresh });
    await gateway.ready();
  });

  it('refuses an invalid config with the line of the problem and exit code 78', async () => {
    llm = await startFakeLlm();
    await writeFile(join(home, 'config.json'), '{\n  "agents": { "defaults": { "model_name": "m" } },\n  "gateway": { "port": "eighty" }\n}\n');
    gateway = spawnGateway({ home });
    const result = await gateway.child;
    expect(result.exitCode).toBe(78);
    expect(gateway.output()).toMatch(/gateway\.port \(config\.json:3:16\): expected number, got string/);
  });

  it('keeps its jobs across a SIGKILL; a reminder that fell due while it was down is sent once when it is back', async () => {
    llm = await startFakeLlm();
    await writeConfig();
    const api = async (port: number, method: string, path: string, body?: unknown) => {
      const token = JSON.parse(await readFile(join(home, '.picoclaw.pid'), 'utf8')).token as string;
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
      return (await res.json()) as { job?: { id: string; state: { nextRunAtMs?: number } }; jobs?: { id: string; name: string; state: { nextRunAtMs?: number } }[]; messages?: { role: string; content: string }[] };
    };
    gateway = spawnGateway({ home });
    let port = await gateway.ready();
    // Far enough ahead that the first gateway is surely dead by then, on a loaded CI machine too.
    const dueAt = Date.now() + 4000;
    const reminder = (await api(port, 'POST', '/schedules', { message: 'Take the bins out', deliver: true, schedule: { kind: 'at', atMs: dueAt }, channel: 'pico', to: 'e2e' })).job!;
    const weekly = (await api(port, 'POST', '/schedules', { name: 'weekly digest', message: 'digest', schedule: { kind: 'cron', expr: '0 9 * * 1', tz: 'UTC' }, channel: 'pico', to: 'e2e' })).job!;
    gateway.child.kill('SIGKILL');
    await gateway.child.catch(() => {});
    expect(Date.now(), 'the first gateway was killed before the reminder was due').toBeLessThan(dueAt);
    await new Promise((r) => setTimeout(r, Math.max(0, dueAt - Date.now()) + 200));

    gateway = spawnGateway({ home });
    port = await gateway.ready();
    let history: { role: string; content: string }[] = [];
    for (let i = 0; i < 600 && !history.some((m) => m.content === 'Take the bins out'); i++) {
      await new Promise((r) => setTimeout(r, 25));
      history = (await api(port, 'GET', `/sessions/${encodeURIComponent('pico:e2e')}`)).messages ?? [];
    }
    expect(history.filter((m) => m.content === 'Take the bins out'), gateway.output()).toHaveLength(1);
    const { jobs } = await api(port, 'GET', '/schedules');
    // The one-time reminder ran and is gone; the weekly job is as it was.
    expect(jobs!.map((j) => j.id)).toEqual([weekly.id]);
    expect(jobs![0]!.state.nextRunAtMs).toBe(weekly.state.nextRunAtMs);
    expect(reminder.id).toMatch(/^[0-9a-f]{16}$/);
    expect(gateway.output()).toContain(`job ${reminder.id} \\"Take the bins out\\" running`); // (JSON log lines)
  }, 30_000);

  it('refuses to start a second gateway on the same home', async () => {
    llm = await startFakeLlm();
    await writeConfig();
    gateway = spawnGateway({ home });
    await gateway.ready();
    const second = spawnGateway({ home });
    const result = await second.child;
    expect(result.exitCode).toBe(78);
    expect(second.output()).toMatch(/a gateway is already running/);
  });
});
