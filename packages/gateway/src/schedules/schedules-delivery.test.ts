/**
 * Schedules through a real gateway: jobs made by the model with the cron tool or through the
 * API, delivered through the fake Telegram Bot API, a real mosquitto and a pico WebSocket; the
 * heartbeat's silent paths; jobs surviving a restart.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayStatus, ScheduledJob } from '@picoclaw/core';
import { startFakeLlm, startFakeTelegram, startMosquitto, type FakeLlm, type FakeTelegram, type Mosquitto } from '@picoclaw/test-fakes';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from '../testing/start-test-gateway.js';

const control = { authorization: 'Bearer control-token', 'content-type': 'application/json' };
const PICO_TOKEN = 'pico-token-for-schedules';
let llm: FakeLlm;
let gw: TestGateway | undefined;
let home: string;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'picoclaw-sched-gw-'));
});
afterEach(async () => {
  await gw?.close();
  gw = undefined;
  await llm?.close();
  await rm(home, { recursive: true, force: true });
});

function config(channels: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    agents: { defaults: { model_name: 'm', workspace: join(home, 'workspace') } },
    model_list: [{ model_name: 'm', model: 'openai/gpt-test', api_base: `${llm.url}/v1`, api_keys: ['k'] }],
    channel_list: channels,
    ...extra,
  };
}

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${gw!.base}${path}`, { method, headers: control, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests read loosely shaped JSON
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const jobsFile = async () => JSON.parse(await readFile(join(home, 'workspace', 'cron', 'jobs.json'), 'utf8')) as { version: number; jobs: ScheduledJob[] };

describe('schedules through Telegram', () => {
  let telegram: FakeTelegram;
  beforeEach(async () => {
    telegram = await startFakeTelegram();
  });
  afterEach(async () => telegram.close());

  it('the model makes a reminder with the cron tool; it reaches the chat it came from and is kept in its history', async () => {
    llm = await startFakeLlm([
      { toolCalls: [{ id: 'c1', name: 'cron', arguments: JSON.stringify({ action: 'add', message: 'Take the bins out 🗑️', deliver: true, at_seconds: 3600 }) }] },
      { text: ['Done: I will remind you in an hour.'] },
    ]);
    gw = await startTestGateway({ home, config: config({ telegram: { type: 'telegram', enabled: true, allow_from: ['42'], settings: { token: telegram.token, base_url: telegram.url } } }) });
    telegram.pushMessage('remind me in an hour to take the bins out', { id: 42 });
    await until('the answer', () => telegram.messages().find((m) => m.text.includes('remind you in an hour')));
    const { jobs } = await jobsFile();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ schedule: { kind: 'at' }, payload: { kind: 'agent_turn', message: 'Take the bins out 🗑️', channel: 'telegram', to: '42', deliver: true }, deleteAfterRun: true });
    expect(jobs[0]!.schedule.kind === 'at' && jobs[0]!.schedule.atMs - Date.now()).toBeGreaterThan(3500_000);
    // The tool result the model read.
    // A chat's own turn has cron; `message` only with tools.message.allow_targets (its answer goes to its chat anyway).
    expect(llm.requests[0]!.body.tools!.map((t) => t.function.name)).toEqual(expect.arrayContaining(['cron']));
    expect(llm.requests[0]!.body.tools!.map((t) => t.function.name)).not.toContain('message');
    const toolResult = llm.requests[1]!.body.messages.find((m) => m.role === 'tool');
    expect(String(toolResult?.content)).toMatch(/^Cron job added: .*\(id: [0-9a-f]{16}\)/);

    expect((await api('POST', `/schedules/${jobs[0]!.id}/run`)).status).toBe(202);
    await until('the reminder', () => telegram.messages().find((m) => m.chat_id === 42 && m.text.includes('Take the bins out')));
    const history = await until('the reminder in the history', async () => {
      const { body } = await api('GET', `/sessions/${encodeURIComponent('telegram:42')}`);
      return (body.messages as { role: string; content: string }[]).find((m) => m.role === 'assistant' && m.content === 'Take the bins out 🗑️') ? body : undefined;
    });
    expect(history).toBeTruthy();
    expect(llm.requests).toHaveLength(2); // a `deliver` job makes no model call
  });

  it('a job for a chat outside allow_from fails with the reason, keeps its schedule and shows in the status', async () => {
    llm = await startFakeLlm();
    gw = await startTestGateway({ home, config: config({ telegram: { type: 'telegram', enabled: true, allow_from: ['42'], settings: { token: telegram.token, base_url: telegram.url } } }) });
    const { body } = await api('POST', '/schedules', { message: 'hi', deliver: true, schedule: { kind: 'every', everyMs: 3_600_000 }, channel: 'telegram', to: '999' });
    await api('POST', `/schedules/${body.job.id}/run`);
    const job = await until('the failure', async () => ((await api('GET', `/schedules/${body.job.id}`)).body.job as ScheduledJob).state.lastStatus === 'error' && (await api('GET', `/schedules/${body.job.id}`)).body.job);
    expect(job.state.lastError).toMatch(/999.*allow_from/);
    expect(job.enabled).toBe(true);
    expect(job.state.nextRunAtMs).toBe(body.job.state.nextRunAtMs);
    expect(telegram.sent().filter((c) => c.body.chat_id === 999 || c.body.chat_id === '999')).toEqual([]);
    const status = (await (await fetch(`${gw.base}/status`, { headers: control })).json()) as GatewayStatus;
    expect(status.schedules!.failing).toEqual([expect.objectContaining({ id: body.job.id, error: expect.stringMatching(/allow_from/) })]);
  });
});

describe('schedules through MQTT and pico', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => broker.close());

  it('an agent job runs a turn with no history and its answer goes to the device’s response topic', async () => {
    llm = await startFakeLlm([{ text: ['The porch light is off.'] }]);
    gw = await startTestGateway({
      home,
      config: config({ mqtt: { type: 'mqtt', enabled: true, settings: { broker: broker.tcpUrl, agent_id: 'home', topic_prefix: '/picoclaw' } } }),
    });
    const device = await mqtt.connectAsync(broker.url);
    const received: Record<string, unknown>[] = [];
    await device.subscribeAsync('/picoclaw/home/kitchen/response');
    device.on('message', (_t, payload) => received.push(JSON.parse(payload.toString())));
    await until('the channel', async () => ((await (await fetch(`${gw!.base}/status`, { headers: control })).json()) as GatewayStatus).channels[0]!.state === 'running');
    const { status, body } = await api('POST', '/schedules', { name: 'porch', message: 'Turn off the porch light', schedule: { kind: 'cron', expr: '0 23 * * *', tz: 'Europe/Madrid' }, channel: 'mqtt', to: 'kitchen' });
    expect(status).toBe(201);
    await api('POST', `/schedules/${body.job.id}/run`);
    await until('the answer on the response topic', () => received.find((m) => m.text === 'The porch light is off.'));
    const request = llm.requests[0]!.body;
    expect(request.messages.filter((m) => m.role === 'user' || m.role === 'assistant')).toHaveLength(1);
    expect(String(request.messages.at(-1)!.content)).toMatch(/^\[Scheduled task "porch".*\]\nTurn off the porch light$/s);
    expect(request.tools!.map((t) => t.function.name)).toEqual(expect.arrayContaining(['cron', 'message']));
    const job = await until('the result', async () => ((await api('GET', `/schedules/${body.job.id}`)).body.job as ScheduledJob).state.lastStatus && (await api('GET', `/schedules/${body.job.id}`)).body.job);
    expect(job.state).toMatchObject({ lastStatus: 'ok', lastResult: 'The porch light is off.', runs: 1 });
    await device.endAsync();
  });

  it('a reminder reaches an open dashboard chat, and is in its history for when it was closed', async () => {
    llm = await startFakeLlm();
    gw = await startTestGateway({ home, config: config({ pico: { type: 'pico', enabled: true, settings: { token: PICO_TOKEN } } }) });
    const socket = new WebSocket(`ws://127.0.0.1:${gw.port}/pico/ws?session_id=s1`, [`token.${PICO_TOKEN}`]);
    const frames: { type: string; payload?: Record<string, unknown> }[] = [];
    socket.on('message', (d) => frames.push(JSON.parse(d.toString())));
    await new Promise((r, j) => (socket.once('open', r), socket.once('error', j)));
    const { body } = await api('POST', '/schedules', { message: 'Stretch your legs', deliver: true, schedule: { kind: 'every', everyMs: 3_600_000 }, channel: 'pico', to: 's1' });
    await api('POST', `/schedules/${body.job.id}/run`);
    await until('the frame', () => frames.find((f) => f.type === 'message.create' && f.payload?.content === 'Stretch your legs'));
    socket.close();
    const { body: history } = await api('GET', `/sessions/${encodeURIComponent('pico:s1')}`);
    expect(history.messages).toEqual([expect.objectContaining({ role: 'assistant', content: 'Stretch your legs' })]);
  });
});

describe('the heartbeat', () => {
  let telegram: FakeTelegram;
  beforeEach(async () => {
    telegram = await startFakeTelegram();
  });
  afterEach(async () => telegram.close());

  const heartbeatConfig = () =>
    config({ telegram: { type: 'telegram', enabled: true, allow_from: ['42'], settings: { token: telegram.token, base_url: telegram.url } } }, { heartbeat: { enabled: true, interval: 30, target: 'telegram:42' } });

  it('makes no model call while HEARTBEAT.md has no tasks (it writes the template), and sends nothing for HEARTBEAT_OK', async () => {
    llm = await startFakeLlm([{ text: ['HEARTBEAT_OK'] }]);
    gw = await startTestGateway({ home, config: heartbeatConfig() });
    expect((await api('POST', '/schedules/heartbeat')).body).toEqual({ outcome: 'no-tasks' });
    const template = await readFile(join(home, 'workspace', 'HEARTBEAT.md'), 'utf8');
    expect(template).toMatch(/Add your heartbeat tasks below this line:\n$/);
    expect((await api('POST', '/schedules/heartbeat')).body).toEqual({ outcome: 'no-tasks' });
    expect(llm.requests).toHaveLength(0);

    await writeFile(join(home, 'workspace', 'HEARTBEAT.md'), `${template}- Tell me if the garage door is open\n`);
    expect((await api('POST', '/schedules/heartbeat')).body).toEqual({ outcome: 'ok' });
    expect(llm.requests).toHaveLength(1);
    expect(String(llm.requests[0]!.body.messages.at(-1)!.content)).toMatch(/# Heartbeat Check[\s\S]*respond ONLY with: HEARTBEAT_OK[\s\S]*- Tell me if the garage door is open$/);
    expect(telegram.sent()).toEqual([]);
    expect(await readFile(join(home, 'workspace', 'heartbeat.log'), 'utf8')).toMatch(/HEARTBEAT_OK/);
  });

  it('sends anything else to its target', async () => {
    llm = await startFakeLlm([{ text: ['The garage door has been open for 2 hours.'] }]);
    const cfg = heartbeatConfig();
    await mkdir(join(home, 'workspace'), { recursive: true });
    await writeFile(join(home, 'workspace', 'HEARTBEAT.md'), '- Tell me if the garage door is open\n');
    gw = await startTestGateway({ home, config: cfg });
    expect((await api('POST', '/schedules/heartbeat')).body).toEqual({ outcome: 'sent' });
    await until('the report', () => telegram.messages().find((m) => m.chat_id === 42 && m.text.includes('garage door has been open')));
  });
  it('does not send its answer again after the model used the message tool', async () => {
    llm = await startFakeLlm([
      { toolCalls: [{ id: 'm1', name: 'message', arguments: JSON.stringify({ content: 'The garage door is open!' }) }] },
      { text: ['I told the user that the garage door is open.'] },
    ]);
    await mkdir(join(home, 'workspace'), { recursive: true });
    await writeFile(join(home, 'workspace', 'HEARTBEAT.md'), '- Use the message tool to tell me if the garage door is open\n');
    gw = await startTestGateway({ home, config: heartbeatConfig() });
    expect((await api('POST', '/schedules/heartbeat')).body).toEqual({ outcome: 'sent' });
    await until('the message', () => telegram.messages().find((m) => m.text.includes('garage door is open!')));
    await new Promise((r) => setTimeout(r, 200));
    expect(telegram.messages().map((m) => m.text)).toEqual(['The garage door is open!']);
  });
});

describe('a task with nothing to report', () => {
  it('sends nothing when the model answers HEARTBEAT_OK, and records that', async () => {
    const telegram = await startFakeTelegram();
    try {
      llm = await startFakeLlm([{ text: ['HEARTBEAT_OK'] }]);
      gw = await startTestGateway({ home, config: config({ telegram: { type: 'telegram', enabled: true, allow_from: ['42'], settings: { token: telegram.token, base_url: telegram.url } } }) });
      const { body } = await api('POST', '/schedules', { message: 'Tell me only if a window is open', schedule: { kind: 'cron', expr: '0 22 * * *' }, channel: 'telegram', to: '42' });
      await api('POST', `/schedules/${body.job.id}/run`);
      const job = await until('the run', async () => ((await api('GET', `/schedules/${body.job.id}`)).body.job as ScheduledJob).state.runs && (await api('GET', `/schedules/${body.job.id}`)).body.job);
      expect(job.state).toMatchObject({ lastStatus: 'ok', lastResult: '(nothing to report)' });
      expect(telegram.sent()).toEqual([]);
      expect(String(llm.requests[0]!.body.messages.at(-1)!.content)).toMatch(/answer only HEARTBEAT_OK and nothing is sent/);
    } finally {
      await telegram.close();
    }
  });
});

describe('jobs across a restart', () => {
  it('are read back from jobs.json with their next runs', async () => {
    llm = await startFakeLlm();
    const cfg = config({ pico: { type: 'pico', enabled: true, settings: { token: PICO_TOKEN } } });
    gw = await startTestGateway({ home, config: cfg });
    const { body } = await api('POST', '/schedules', { message: 'weekly digest', schedule: { kind: 'cron', expr: '0 9 * * 1', tz: 'UTC' }, channel: 'pico', to: 's1' });
    await gw.close();
    gw = await startTestGateway({ home, config: cfg });
    let last: unknown;
    const { body: list } = await until('the jobs', async () => {
      const r = await api('GET', '/schedules');
      last = r;
      return r.body.jobs?.length ? r : undefined;
    }).catch((error: Error) => {
      throw new Error(`${error.message}; last answer ${JSON.stringify(last)}; its log about jobs ${JSON.stringify(gw!.logs().split('\n').filter((l) => /job|cron/.test(l)))}`);
    });
    expect(list.jobs).toEqual([expect.objectContaining({ id: body.job.id, name: 'weekly digest', state: expect.objectContaining({ nextRunAtMs: body.job.state.nextRunAtMs }) })]);
    expect((await jobsFile()).version).toBe(1);
  });

  it('refuses bad jobs with a sentence, and unknown routes and ids with 404', async () => {
    llm = await startFakeLlm();
    gw = await startTestGateway({ home, config: config({ pico: { type: 'pico', enabled: true, settings: { token: PICO_TOKEN } } }) });
    expect(await api('POST', '/schedules', { message: 'x', schedule: { kind: 'cron', expr: 'every day' }, channel: 'pico', to: 's1' })).toEqual({ status: 400, body: { error: expect.stringMatching(/needs 5 fields/) } });
    expect(await api('POST', '/schedules', { message: 'x', schedule: { kind: 'every', everyMs: 600_000 }, channel: 'telegram', to: '1' })).toEqual({ status: 400, body: { error: 'no channel named "telegram" in channel_list' } });
    expect((await api('POST', '/schedules', { message: 'x', schedule: { kind: 'weekly' }, channel: 'pico', to: 's1' })).status).toBe(400);
    expect((await api('GET', '/schedules/0123456789abcdef')).status).toBe(404);
    expect((await api('POST', '/schedules/preview', { schedule: { kind: 'cron', expr: '0 8 * * 1-5', tz: 'Europe/Madrid' } })).body).toMatchObject({ ok: true, timezone: 'Europe/Madrid', next: expect.any(Array) });
    expect((await fetch(`${gw.base}/schedules`)).status).toBe(401);
  });
});
