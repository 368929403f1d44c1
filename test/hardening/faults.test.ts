/**
 * Fault injection against ONE real gateway process: the MQTT broker (real mosquitto) stopped and
 * restarted, the Telegram Bot API (fake, behind a TCP relay) refusing connections and answering
 * 5xx, model providers (fake) hanging, cutting streams, rate-limiting, failing and crawling, and
 * MCP servers (fake Home Assistant) hanging on a call, dying and coming back. After each fault the
 * checks are that the gateway is alive, the next turn works, other sessions and channels were not
 * affected, and every session file parses line by line.
 * The gateway killed (SIGKILL) or stopped (SIGTERM) mid-turn is in faults-process.test.ts; the
 * launcher's faults in faults-launcher.test.ts.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GatewayStatus } from '@picoclaw/core';
import {
  spawnGateway,
  startFakeHomeAssistant,
  startFakeLlm,
  startFakeTelegram,
  startMosquitto,
  type FakeHomeAssistant,
  type FakeLlm,
  type FakeTelegram,
  type GatewayProcess,
  type Mosquitto,
  type RecordedRequest,
} from '@picoclaw/test-fakes';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { historyProblems, picoClient, picoTurn, readSession, startTcpProxy, tempHome, waitFor, type PicoClient } from './harness.js';

const PICO_TOKEN = 'faults-pico-token-5d1e';
const API_KEY = 'mk-faults-key-0b7c';
const AGENT = 'faults';
/** Primaries that fail in scripted ways, each with `backup` as its entry fallback (except p-alone). */
const FLAKY = ['p-hang', 'p-cut-early', 'p-cut-mid', 'p-429', 'p-500', 'p-slow'];

const lastUser = (body: RecordedRequest['body']) => String([...body.messages].reverse().find((m) => m.role === 'user')?.content ?? '');

let home: string;
let echo: FakeLlm;
let backup: FakeLlm;
let flaky: FakeLlm;
let tooler: FakeLlm;
let broker: Mosquitto;
let telegram: FakeTelegram;
let telegramRelay: Awaited<ReturnType<typeof startTcpProxy>>;
let ha: FakeHomeAssistant;
let slowHa: FakeHomeAssistant;
let gateway: GatewayProcess;
let port: number;
let controlToken: string;
const sockets: PicoClient[] = [];
const mqttClients: MqttClient[] = [];

const alive = () => gateway.child.exitCode === null && gateway.child.signalCode === null;
const status = async () => (await (await fetch(`http://127.0.0.1:${port}/status`, { headers: { authorization: `Bearer ${controlToken}` } })).json()) as GatewayStatus;
const channelState = async (name: string) => (await status()).channels.find((c) => c.name === name)?.state;
const mcpState = async (name: string) => (await status()).mcp.servers.find((s) => s.name === name)?.state;

async function openPico(session: string) {
  const client = await picoClient(`ws://127.0.0.1:${port}/pico/ws?session_id=${session}`, [`token.${PICO_TOKEN}`]);
  sockets.push(client);
  return client;
}

/** Opens a pico session and switches it to `model` with the /model command. */
async function sessionOn(session: string, model: string) {
  const client = await openPico(session);
  const switched = await picoTurn(client, `/model ${model}`);
  expect(switched.answer).toBe(`Switched this conversation to ${model}.`);
  return client;
}

/** Polls `read` every 50 ms and records each distinct value it returns, until `stop()`. */
function watch<T>(read: () => Promise<T>) {
  const seen: T[] = [];
  let running = true;
  const sample = async () => {
    const value = await read().catch(() => undefined);
    if (value !== undefined && seen.at(-1) !== value) seen.push(value);
  };
  const loop = (async () => {
    while (running) {
      await sample();
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    seen,
    /** Stops polling after one last sample (so the state the caller just saw is included). */
    async stop() {
      running = false;
      await loop;
      await sample();
      return seen;
    },
  };
}

/** Every session file of the home: each line parses, none is torn, each ends with a newline. */
async function allSessionsValid() {
  const dir = join(home, 'workspace', 'sessions');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.jsonl'));
  for (const file of files) {
    const key = file.slice(0, -'.jsonl'.length);
    const check = await readSession(home, key);
    expect(check.torn, file).toEqual([]);
    expect(check.endsClean, file).toBe(true);
  }
  return files.length;
}

beforeAll(async () => {
  const lastTool = (body: RecordedRequest['body']) => {
    const last = body.messages.at(-1);
    return last?.role === 'tool' ? `tool result: ${String(last.content)}` : `tooler heard: ${lastUser(body)}`;
  };
  [echo, backup, flaky, tooler, broker, telegram, ha, slowHa] = await Promise.all([
    startFakeLlm([], { echo: true }),
    startFakeLlm([], { answer: (body) => `backup says: ${lastUser(body)}` }),
    startFakeLlm([], { echo: true }),
    startFakeLlm([], { answer: lastTool }),
    startMosquitto(),
    startFakeTelegram(),
    startFakeHomeAssistant(),
    // A Home Assistant whose tool calls take a minute: a hang as far as a 2 s call_timeout goes.
    startFakeHomeAssistant({ callDelayMs: 60_000 }),
  ]);
  telegramRelay = await startTcpProxy(telegram.port);
  home = await tempHome('faults');
  const entry = (name: string, llm: FakeLlm, extra: Record<string, unknown> = {}) => ({ model_name: name, model: 'mistral/mistral-small-latest', api_base: `${llm.url}/v1`, api_keys: ['[NOT_HERE]'], ...extra });
  const models = [
    entry('m', echo),
    entry('backup', backup),
    entry('tooler', tooler),
    ...FLAKY.map((name) => entry(name, flaky, { request_timeout: 2, fallbacks: ['backup'] })),
    entry('p-alone', flaky, { request_timeout: 2 }),
  ];
  await writeFile(join(home, 'config.json'), JSON.stringify({
    version: 3,
    agents: { defaults: { model_name: 'm' } },
    model_list: models,
    channel_list: {
      pico: { enabled: true, type: 'pico', settings: { token: '[NOT_HERE]' } },
      mqtt: { enabled: true, type: 'mqtt', settings: { broker: broker.tcpUrl, agent_id: AGENT } },
      telegram: { enabled: true, type: 'telegram', allow_from: ['42'], settings: { token: '[NOT_HERE]', base_url: telegramRelay.url } },
    },
    tools: {
      mcp: {
        enabled: true,
        servers: {
          homeassistant: { type: 'http', url: ha.url, headers: { Authorization: '[NOT_HERE]' } },
          slowha: { type: 'http', url: slowHa.url, headers: { Authorization: '[NOT_HERE]' }, call_timeout: 2 },
        },
      },
    },
  }, null, 2));
  await writeFile(join(home, '.security.yml'), [
    'model_list:',
    ...models.flatMap((m) => [`  ${m.model_name}:`, `    api_keys: ["${API_KEY}"]`]),
    'channel_list:',
    '  pico:',
    '    settings:',
    `      token: ${PICO_TOKEN}`,
    '  telegram:',
    '    settings:',
    `      token: "${telegram.token}"`,
    'tools:',
    '  mcp:',
    '    servers:',
    ...['homeassistant', 'slowha'].flatMap((s) => [`      ${s}:`, '        headers:', `          Authorization: Bearer ${ha.token}`]),
    '',
  ].join('\n'));
  gateway = spawnGateway({ home });
  port = await gateway.ready();
  controlToken = (JSON.parse(await readFile(join(home, '.picoclaw.pid'), 'utf8')) as { token: string }).token;
  await waitFor(async () => {
    const s = await status();
    const channels = Object.fromEntries(s.channels.map((c) => [c.name, c.state]));
    const mcp = Object.fromEntries(s.mcp.servers.map((m) => [m.name, m.state]));
    return (channels.mqtt === 'running' && channels.telegram === 'running' && mcp.homeassistant === 'connected' && mcp.slowha === 'connected') || undefined;
  }, 20_000, 'mqtt, telegram and both MCP servers');
}, 60_000);

// A failed test shows what the gateway logged meanwhile (a timed-out test says nothing else).
afterEach(({ task }) => {
  if (task.result?.state === 'fail') console.log(`gateway output, last 40 lines:\n${gateway?.output().trimEnd().split('\n').slice(-40).join('\n')}`);
});

afterAll(async () => {
  for (const client of sockets) client.close();
  for (const client of mqttClients) await client.endAsync(true).catch(() => {});
  gateway?.child.kill('SIGKILL');
  await gateway?.child;
  await telegramRelay?.stop();
  await Promise.all([echo, backup, flaky, tooler, telegram, ha, slowHa].map((s) => s?.close()));
  await broker?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

// ── MQTT ────────────────────────────────────────────────────────────────────────────────────────

describe('MQTT broker outage', () => {
  /** A device client listening on its own response topic. */
  async function device(id: string) {
    const client = await mqtt.connectAsync(broker.url, { clientId: `faults-${id}-${Date.now()}`, reconnectPeriod: 0 });
    mqttClients.push(client);
    const answers: Record<string, unknown>[] = [];
    await client.subscribeAsync(`/picoclaw/${AGENT}/${id}/response`, { qos: 1 });
    client.on('message', (_topic, payload) => answers.push(JSON.parse(payload.toString('utf8')) as Record<string, unknown>));
    return {
      client,
      async ask(text: string) {
        const before = answers.length;
        await client.publishAsync(`/picoclaw/${AGENT}/${id}/request`, JSON.stringify({ text }), { qos: 1 });
        return waitFor(() => answers[before], 15_000, `an answer to ${text}`);
      },
    };
  }

  it('reports reconnecting while mosquitto is down, running after it is back, and answers devices again; the gateway never exits', async () => {
    const first = await device('dev-a');
    expect((await first.ask('before the outage')).text).toBe('you said: before the outage');
    await first.client.endAsync(true);

    const states = watch(() => channelState('mqtt'));
    const stopped = Date.now();
    await broker.stop();
    await waitFor(async () => (await channelState('mqtt')) === 'reconnecting' || undefined, 10_000, 'mqtt reconnecting');
    const noticed = Date.now() - stopped;

    // Another channel is not affected while the broker is gone.
    const pico = await openPico('during-mqtt-outage');
    expect((await picoTurn(pico, 'is pico still fine?')).answer).toBe('you said: is pico still fine?');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await channelState('mqtt')).toBe('reconnecting');

    const restarted = Date.now();
    await broker.restart();
    await waitFor(async () => (await channelState('mqtt')) === 'running' || undefined, 20_000, 'mqtt running again');
    const recovered = Date.now() - restarted;
    expect(await states.stop()).toEqual(['running', 'reconnecting', 'running']);

    // The subscription was restored: a new device and the first one are answered, and the first
    // device's conversation went on where it was.
    const second = await device('dev-b');
    expect((await second.ask('after the outage')).text).toBe('you said: after the outage');
    const again = await device('dev-a');
    expect((await again.ask('me again')).text).toBe('you said: me again');
    const request = echo.requests.findLast((r) => lastUser(r.body) === 'me again')!;
    expect(request.body.messages.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(['before the outage', 'me again']);
    expect(historyProblems(request.body.messages)).toEqual([]);

    expect(alive()).toBe(true);
    expect(gateway.output()).toMatch(/MQTT connection lost/);
    expect(gateway.output()).not.toMatch(/uncaught|unhandled/i);
    console.log(`mqtt outage: reconnecting noticed after ${noticed} ms, running ${recovered} ms after mosquitto restarted`);
  }, 60_000);
  it('an answer produced while the broker is down is delivered after it is back', async () => {
    const asker = await mqtt.connectAsync(broker.url, { clientId: 'faults-inflight', reconnectPeriod: 200, clean: true });
    mqttClients.push(asker);
    const answers: Record<string, unknown>[] = [];
    await asker.subscribeAsync(`/picoclaw/${AGENT}/dev-slow/response`, { qos: 1 });
    asker.on('message', (_topic, payload) => answers.push(JSON.parse(payload.toString('utf8')) as Record<string, unknown>));
    echo.push({ text: ['late ', 'but ', 'delivered'], delayMs: 1_000 });
    const served = echo.served;
    await asker.publishAsync(`/picoclaw/${AGENT}/dev-slow/request`, JSON.stringify({ text: 'slow one' }), { qos: 1 });
    await waitFor(() => echo.served > served || undefined, 10_000, 'the model request');
    await broker.stop();
    await new Promise((r) => setTimeout(r, 4_500));
    await broker.restart();
    // mqtt.js resubscribes the asker on reconnect; the gateway resubscribes and sends what it held.
    const answer = await waitFor(() => answers[0], 20_000, 'the held answer');
    expect(answer.text).toBe('late but delivered');
    await waitFor(async () => (await channelState('mqtt')) === 'running' || undefined, 20_000, 'mqtt running again');
    expect(alive()).toBe(true);
  }, 40_000);
});

// ── Telegram ────────────────────────────────────────────────────────────────────────────────────

describe('Telegram Bot API outage', () => {
  /**
   * The chat's messages that carry the answer to `text`, as the user sees them: an edit retried
   * after its reply was lost (the relay stopped mid-call) is the same message, not a second answer.
   */
  const answersTo = (text: string) => telegram.messages().filter((m) => m.text.includes(`you said: ${text}`));
  const answered = (text: string, ms = 20_000) => waitFor(() => answersTo(text).length > 0 || undefined, ms, `the Telegram answer to ${text}`);

  it('polling resumes after the API refused connections; a message sent meanwhile and one after are each answered exactly once', async () => {
    telegram.pushMessage('tg before');
    await answered('tg before');

    const states = watch(() => channelState('telegram'));
    await telegramRelay.stop();
    const down = Date.now();
    await waitFor(async () => (await channelState('telegram')) === 'reconnecting' || undefined, 10_000, 'telegram reconnecting');
    // Sent by the user while the API is unreachable: Telegram keeps it until it is fetched.
    telegram.pushMessage('tg during');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(answersTo('tg during')).toEqual([]);
    await telegramRelay.start();
    const up = Date.now();
    await answered('tg during');
    const recovered = Date.now() - up;
    telegram.pushMessage('tg after');
    await answered('tg after');
    expect(await states.stop()).toEqual(['running', 'reconnecting', 'running']);

    // Give a duplicate time to show up, then count.
    await new Promise((r) => setTimeout(r, 1_500));
    for (const text of ['tg before', 'tg during', 'tg after']) {
      expect(answersTo(text), text).toHaveLength(1);
      expect(echo.requests.filter((r) => lastUser(r.body) === text), text).toHaveLength(1);
    }
    expect(alive()).toBe(true);
    console.log(`telegram outage: down ${up - down} ms; the queued message was answered ${recovered} ms after the API came back`);
  }, 60_000);

  // Was DEFECT F2 (FINDINGS.md, fixed): an answer finished while the Bot API is unreachable is retried for
  // ~3.5 s (4 attempts), then dropped with an error log; the user is left with "Thinking... 💭"
  // although the answer is in the session. Polling itself recovers (test above).
  it('an answer ready while the API is unreachable for 8 s is delivered once it is back', async () => {
    echo.push({ text: ['late ', 'telegram ', 'answer'], delayMs: 700 });
    const served = echo.served;
    telegram.pushMessage('tg slow');
    await waitFor(() => echo.served > served || undefined, 10_000, 'the model request');
    await telegramRelay.stop();
    await new Promise((r) => setTimeout(r, 8_000));
    await telegramRelay.start();
    await waitFor(async () => (await channelState('telegram')) === 'running' || undefined, 30_000, 'telegram running again');
    const delivered = await waitFor(() => telegram.messages().find((m) => m.text.includes('late telegram answer')), 10_000, 'the held answer').catch(() => undefined);
    expect(delivered, `sent calls: ${JSON.stringify(telegram.sent().map((c) => c.body.text))}`).toBeDefined();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(telegram.messages().filter((m) => m.text.includes('late telegram answer'))).toHaveLength(1);
  }, 60_000);

  it('rides out 502/500 answers from getUpdates and a 500 from sendMessage; the message is answered exactly once', async () => {
    telegram.failNext('getUpdates', { error_code: 502, description: 'Bad Gateway' });
    telegram.failNext('getUpdates', { error_code: 500, description: 'Internal Server Error' });
    telegram.failNext('sendMessage', { error_code: 500, description: 'Internal Server Error' });
    // A long poll already pending is answered normally: let the failures reach the poller first.
    await waitFor(async () => (await channelState('telegram')) === 'reconnecting' || undefined, 10_000, 'telegram reconnecting after a 502');
    telegram.pushMessage('tg after 5xx');
    const started = Date.now();
    await answered('tg after 5xx');
    const took = Date.now() - started;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(answersTo('tg after 5xx')).toHaveLength(1);
    expect(echo.requests.filter((r) => lastUser(r.body) === 'tg after 5xx')).toHaveLength(1);
    expect(gateway.output()).toMatch(/polling failed \(.*502/);
    expect(await channelState('telegram')).toBe('running');
    // The chat's history holds each message once, in order.
    const request = echo.requests.findLast((r) => lastUser(r.body) === 'tg after 5xx')!;
    const users = request.body.messages.filter((m) => m.role === 'user').map((m) => String(m.content));
    expect(new Set(users).size).toBe(users.length);
    expect(users.slice(0, 3)).toEqual(['tg before', 'tg during', 'tg after']);
    expect(users.at(-1)).toBe('tg after 5xx');
    console.log(`telegram 5xx: answered ${took} ms after the message was queued`);
  }, 40_000);
});

// ── model providers ────────────────────────────────────────────────────────────────────────────

describe('model provider faults (request_timeout 2 s, entry fallback `backup`)', () => {
  const figures: string[] = [];
  afterAll(() => console.log(`provider faults:\n  ${figures.join('\n  ')}`));

  it('a primary that never answers: the turn falls back after the timeout', async () => {
    const client = await sessionOn('prov-hang', 'p-hang');
    const served = flaky.served;
    flaky.push({ hang: true });
    const turn = await picoTurn(client, 'hang please');
    expect(turn).toMatchObject({ answer: 'backup says: hang please', model: 'backup' });
    expect(flaky.served).toBe(served + 1);
    expect(turn.ms).toBeGreaterThanOrEqual(1_500);
    expect(turn.ms).toBeLessThan(15_000);
    figures.push(`hang → backup in ${turn.ms} ms`);
  });

  it('a primary that never answers and no fallback: a clear timeout error, then the next turn works', async () => {
    const client = await sessionOn('prov-alone', 'p-alone');
    flaky.push({ hang: true });
    const turn = await picoTurn(client, 'anyone there?');
    expect(turn.kind).toBe('error');
    expect(turn.answer).toMatch(/p-alone: no response from (http:\/\/)?127\.0\.0\.1:\d+ within 2000 ms/);
    expect(turn.ms).toBeLessThan(15_000);
    // The only candidate is cooling down, but it is still tried (and now answers).
    const next = await picoTurn(client, 'second try');
    expect(next).toMatchObject({ answer: 'you said: second try', model: 'p-alone' });
    figures.push(`hang, no fallback → error in ${turn.ms} ms: "${turn.answer.replace(/\s+/g, ' ')}"`);
  });

  it('a stream cut before any text falls back', async () => {
    const client = await sessionOn('prov-cut-early', 'p-cut-early');
    flaky.push({ text: ['never seen'], cutAfter: 0 });
    const turn = await picoTurn(client, 'cut early');
    expect(turn).toMatchObject({ answer: 'backup says: cut early', model: 'backup' });
    figures.push(`cut before text → backup in ${turn.ms} ms`);
  });

  it('a stream cut mid-answer ends the turn with a clear error (streamed text cannot be taken back); the next turn works', async () => {
    const client = await sessionOn('prov-cut-mid', 'p-cut-mid');
    flaky.push({ text: ['half an ', 'answer ', 'never ends'], cutAfter: 1, delayMs: 50 });
    const turn = await picoTurn(client, 'cut me');
    expect(turn.kind).toBe('error');
    expect(turn.answer).toMatch(/p-cut-mid/);
    expect(turn.answer).toMatch(/ended before the answer was complete|connection|terminated|socket/i);
    const next = await picoTurn(client, 'after the cut');
    expect(next).toMatchObject({ answer: 'you said: after the cut', model: 'p-cut-mid' });
    const request = flaky.requests.findLast((r) => lastUser(r.body) === 'after the cut')!;
    expect(historyProblems(request.body.messages)).toEqual([]);
    // The half answer was not stored as if it were complete.
    expect(request.body.messages.some((m) => String(m.content).includes('half an'))).toBe(false);
    figures.push(`cut mid-answer → error in ${turn.ms} ms: "${turn.answer}"`);
  });

  it('429 with retry-after and 500 from the primary: the fallback answers; the rate-limited primary is left alone meanwhile', async () => {
    const limited = await sessionOn('prov-429', 'p-429');
    flaky.push({ status: 429, headers: { 'retry-after': '30' }, body: { error: { message: 'rate limit exceeded' } } });
    const t429 = await picoTurn(limited, 'too many');
    expect(t429).toMatchObject({ answer: 'backup says: too many', model: 'backup' });
    const candidate = (await status()).models.list.find((m) => m.name === 'p-429')!;
    expect(candidate).toMatchObject({ state: 'cooling-down', failures: 1 });
    expect(candidate.lastError).toMatch(/429/);
    const served = flaky.served;
    expect((await picoTurn(limited, 'again')).answer).toBe('backup says: again');
    expect(flaky.served).toBe(served);

    const failing = await sessionOn('prov-500', 'p-500');
    flaky.push({ status: 500 });
    const t500 = await picoTurn(failing, 'server error');
    expect(t500).toMatchObject({ answer: 'backup says: server error', model: 'backup' });
    figures.push(`429 (retry-after 30) → backup in ${t429.ms} ms, primary then skipped; 500 → backup in ${t500.ms} ms`);
  });

  it('a slow primary (one chunk per second, below the 2 s idle timeout) still answers, streamed', async () => {
    const client = await sessionOn('prov-slow', 'p-slow');
    flaky.push({ text: ['one ', 'two ', 'three'], delayMs: 1_000 });
    const turn = await picoTurn(client, 'take your time');
    expect(turn).toMatchObject({ answer: 'one two three', model: 'p-slow' });
    expect(turn.ms).toBeGreaterThanOrEqual(3_000);
    // The text reached the client in pieces as it came (pico streams by default).
    const updates = turn.frames.filter((f) => f.type === 'message.update' || f.type === 'message.create');
    expect(updates.length).toBeGreaterThanOrEqual(3);
    figures.push(`slow (1 chunk/s, 3 chunks) → answered in ${turn.ms} ms with ${updates.length} frames`);
  });

  it('afterwards: every session file parses line by line, every history sent was well-formed, the default model is untouched', async () => {
    for (const llm of [flaky, backup]) for (const request of llm.requests) expect(historyProblems(request.body.messages)).toEqual([]);
    const files = await allSessionsValid();
    expect(files).toBeGreaterThanOrEqual(7);
    const client = await openPico('prov-default');
    expect(await picoTurn(client, 'plain')).toMatchObject({ answer: 'you said: plain', model: 'm' });
    expect(alive()).toBe(true);
  });
});

// ── MCP ─────────────────────────────────────────────────────────────────────────────────────────

describe('MCP server faults', () => {
  let client: PicoClient;
  const call = (id: string, server: string, name: string) => ({ toolCalls: [{ id, name: `mcp_${server}_hassturnon`, arguments: JSON.stringify({ name }) }] });
  const toolResult = (turn: { frames: { type: string; payload?: Record<string, unknown> }[] }) =>
    turn.frames.flatMap((f) => ((f.payload?.tool_calls as { result?: { content: string; is_error: boolean } }[] | undefined) ?? []).map((c) => c.result)).filter(Boolean).at(-1);

  it('a tool call that hangs ends with a tool error after call_timeout, not a hung turn', async () => {
    client = await sessionOn('mcp', 'tooler');
    tooler.push(call('hang-1', 'slowha', 'kitchen light'));
    const turn = await picoTurn(client, 'turn on the kitchen light (slow server)');
    expect(turn.answer).toMatch(/^tool result: MCP tool execution failed: .*timed out/i);
    expect(toolResult(turn)).toMatchObject({ is_error: true });
    expect(turn.ms).toBeLessThan(15_000);
    expect(slowHa.calls).toHaveLength(1);
    // A timeout is not a dead server: it stays connected.
    expect(await mcpState('slowha')).toBe('connected');
    console.log(`mcp hang: tool error after ${turn.ms} ms (call_timeout 2 s)`);
  });

  it('a server that dies mid-session: the call fails with a tool error, status failed; back on the same port: connected again and tools work', async () => {
    const states = watch(() => mcpState('homeassistant'));
    tooler.push(call('live-1', 'homeassistant', 'kitchen light'));
    expect((await picoTurn(client, 'turn on the kitchen light')).answer).toBe('tool result: turned on kitchen light');

    await ha.stop();
    tooler.push(call('dead-1', 'homeassistant', 'living room light'));
    const failed = await picoTurn(client, 'turn on the living room light');
    expect(failed.answer).toMatch(/^tool result: MCP tool execution failed: /);
    expect(toolResult(failed)).toMatchObject({ is_error: true });
    expect(failed.ms).toBeLessThan(15_000);
    const down = await waitFor(async () => (await status()).mcp.servers.find((s) => s.name === 'homeassistant' && s.state === 'failed'), 10_000, 'homeassistant failed');
    expect(down.lastError).toBeTruthy();
    // While it is down, its tools are not offered; the slow server's still are.
    expect((await status()).tools.map((t) => t.name).filter((n) => n.startsWith('mcp_homeassistant_'))).toEqual([]);

    const restarted = Date.now();
    await ha.start();
    await waitFor(async () => (await mcpState('homeassistant')) === 'connected' || undefined, 30_000, 'homeassistant connected again');
    const reconnected = Date.now() - restarted;
    expect((await states.stop()).filter((s) => s !== 'connecting')).toEqual(['connected', 'failed', 'connected']);

    tooler.push(call('back-1', 'homeassistant', 'living room light'));
    expect((await picoTurn(client, 'try the living room light again')).answer).toBe('tool result: turned on living room light');
    expect(ha.calls.map((c) => c.args.name)).toEqual(['kitchen light', 'living room light']);
    for (const request of tooler.requests) expect(historyProblems(request.body.messages)).toEqual([]);
    // The failed call and its error are in the session as a complete call/result pair.
    const session = await readSession(home, 'pico:mcp');
    expect(session.torn).toEqual([]);
    expect(historyProblems([{ role: 'system', content: '' }, ...session.messages.filter((m) => m.role !== 'system')])).toEqual([]);
    const results = session.messages.filter((m) => m.role === 'tool').map((m) => String(m.content));
    expect(results).toHaveLength(4);
    expect(results[0]).toMatch(/^MCP tool execution failed: .*timed out/i);
    expect(results.slice(1)).toEqual(['turned on kitchen light', expect.stringMatching(/^MCP tool execution failed: /), 'turned on living room light']);
    await allSessionsValid();
    expect(alive()).toBe(true);
    console.log(`mcp restart: connected again ${reconnected} ms after the server came back; last error while down: ${down.lastError}`);
  }, 60_000);
});
