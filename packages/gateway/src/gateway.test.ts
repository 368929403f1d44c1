import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { CHALLENGE_HEADER, createLogger, createSecretMasker, loadGatewaySettings, newChallenge, proofMatches, PROOF_HEADER, type GatewayStatus } from '@picoclaw/core';
import { startFakeHomeAssistant, startFakeLlm, type FakeHomeAssistant, type FakeLlm } from '@picoclaw/test-fakes';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { channelFactories } from './channels/index.js';
import { createGateway, type Gateway } from './gateway.js';

const PICO_TOKEN = 'pico-internal-token-123';
let home: string;
let llm: FakeLlm;
let ha: FakeHomeAssistant | undefined;
let gateway: Gateway | undefined;
let logs: string;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'picoclaw-gw-'));
  logs = '';
});
afterEach(async () => {
  await gateway?.close();
  await llm?.close();
  await ha?.close();
  gateway = ha = undefined;
  await rm(home, { recursive: true, force: true });
});

function configFor(extra: Record<string, unknown> = {}) {
  return {
    agents: { defaults: { model_name: 'mistral-small' } },
    model_list: [{ model_name: 'mistral-small', model: 'mistral/mistral-small-latest', api_base: `${llm.url}/v1`, api_keys: ['mk-secret-key'] }],
    channel_list: { pico: { enabled: true, type: 'pico', settings: { token: PICO_TOKEN, max_frame_bytes: 2048 } } },
    ...extra,
  };
}

/** `gatewayHome`: another home than the one config.json is written to (PICOCLAW_CONFIG points at it). */
async function startGateway(config: unknown, gatewayHome = home) {
  await writeFile(join(home, 'config.json'), JSON.stringify(config));
  const settings = loadGatewaySettings({ env: { PICOCLAW_HOME: gatewayHome, PICOCLAW_CONFIG: join(home, 'config.json'), PICOCLAW_GATEWAY_TOKEN: 'control-token' }, argv: ['--port', '0'] });
  const stream = new PassThrough();
  stream.on('data', (c: Buffer) => (logs += c.toString()));
  const masker = createSecretMasker();
  gateway = createGateway({ settings, log: createLogger({ name: 'gateway', console: 'json', stream, masker }), masker, env: {}, channelFactories, shutdownGraceMs: 2000 });
  const { port } = await gateway.start();
  return { base: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}/pico/ws` };
}

const control = { authorization: 'Bearer control-token' };

/** A pico client that records frames and can wait for one. */
async function connect(url: string, protocols: string[] = [`token.${PICO_TOKEN}`]) {
  const socket = new WebSocket(url, protocols);
  const frames: { type: string; payload?: Record<string, unknown>; id?: string; session_id?: string }[] = [];
  socket.on('message', (data) => frames.push(JSON.parse(data.toString())));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const waitFor = async (predicate: (f: (typeof frames)[number]) => boolean, ms = 5000) => {
    const end = Date.now() + ms;
    for (;;) {
      const found = frames.find(predicate);
      if (found) return found;
      if (Date.now() > end) throw new Error(`no such frame; got ${JSON.stringify(frames.map((f) => f.type))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { socket, frames, waitFor, send: (f: unknown) => socket.send(typeof f === 'string' ? f : JSON.stringify(f)) };
}

describe('gateway', () => {
  it('serves health, readiness and (with the token) status', async () => {
    llm = await startFakeLlm();
    const { base } = await startGateway(configFor());
    const health = await (await fetch(`${base}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', pid: process.pid });
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    expect(ready.headers.get(PROOF_HEADER)).toBeNull();
    const challenge = newChallenge();
    const proved = await fetch(`${base}/ready`, { headers: { ...control, [CHALLENGE_HEADER]: challenge } });
    expect(await proved.json()).toMatchObject({ status: 'ready', checks: { 'channel:pico': { ok: true } } });
    expect(proofMatches('control-token', challenge, proved.headers.get(PROOF_HEADER) ?? undefined)).toBe(true);
    expect(proofMatches('another-token', challenge, proved.headers.get(PROOF_HEADER) ?? undefined)).toBe(false);
    expect((await fetch(`${base}/status`)).status).toBe(401);
    expect((await fetch(`${base}/status`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const status = (await (await fetch(`${base}/status`, { headers: control })).json()) as GatewayStatus;
    expect(status.channels).toEqual([expect.objectContaining({ name: 'pico', type: 'pico', state: 'running' })]);
    expect(status.models).toMatchObject({ primary: 'mistral-small', list: [{ name: 'mistral-small', role: 'primary', keys: 1 }] });
    expect(JSON.stringify(status)).not.toContain('mk-secret-key');
    expect((await fetch(`${base}/reload`)).status).toBe(405);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const pid = JSON.parse(await readFile(join(home, '.picoclaw.pid'), 'utf8'));
    expect(pid).toMatchObject({ pid: process.pid, token: 'control-token' });
  });

  it('streams an answer over pico frames', async () => {
    llm = await startFakeLlm([{ text: ['Hello', ', ', 'Ana!'] }]);
    const { ws } = await startGateway(configFor());
    const client = await connect(`${ws}?session_id=s1`);
    client.send({ type: 'message.send', id: 'm1', payload: { content: 'hi, I am Ana' } });
    await client.waitFor((f) => f.type === 'typing.stop');
    const types = client.frames.map((f) => f.type);
    expect(types[0]).toBe('session.ready');
    expect(types).toContain('typing.start');
    const created = client.frames.find((f) => f.type === 'message.create')!;
    const last = client.frames.filter((f) => f.type === 'message.update').at(-1)!;
    expect(last.payload).toMatchObject({ message_id: created.payload!.message_id, content: 'Hello, Ana!', model_name: 'mistral-small' });
    expect(created.session_id).toBe('s1');
    expect(llm.requests[0]!.body.messages.at(-1)).toEqual({ role: 'user', content: 'hi, I am Ana' });
    client.socket.close();
  });

  it('says in the frames when a fallback answered (the primary failed)', async () => {
    llm = await startFakeLlm([{ status: 503 }]);
    const backup = await startFakeLlm([{ text: ['From the backup.'] }]);
    try {
      const config = configFor();
      config.model_list.push({ model_name: 'backup', model: 'openai/gpt-4o-mini', api_base: `${backup.url}/v1`, api_keys: ['bk'] });
      const { ws } = await startGateway({ ...config, agents: { defaults: { model_name: 'mistral-small', model_fallbacks: ['backup'] } } });
      const client = await connect(`${ws}?session_id=s1`);
      client.send({ type: 'message.send', id: 'm1', payload: { content: 'hi' } });
      await client.waitFor((f) => f.type === 'typing.stop');
      const answer = client.frames.filter((f) => f.type === 'message.create' || f.type === 'message.update').at(-1)!;
      expect(answer.payload).toMatchObject({ content: 'From the backup.', model_name: 'backup', fallback: true });
      client.socket.close();
    } finally {
      await backup.close();
    }
  });

  it('refuses a wrong or missing pico token before the upgrade', async () => {
    llm = await startFakeLlm();
    const { ws } = await startGateway(configFor());
    for (const protocols of [['token.wrong'], []]) {
      const error = await connect(ws, protocols).catch((e: Error) => e);
      expect((error as Error).message).toMatch(/401/);
    }
    const bearer = new WebSocket(ws, { headers: { authorization: `Bearer ${PICO_TOKEN}` } });
    await new Promise((resolve, reject) => bearer.once('open', resolve).once('error', reject));
    bearer.close();
  });

  it('answers bad frames with error frames and keeps the connection', async () => {
    llm = await startFakeLlm();
    const { ws } = await startGateway(configFor());
    const client = await connect(ws);
    const cases: [unknown, string][] = [
      ['not json {', 'invalid_message'],
      ['[1,2]', 'invalid_message'],
      [{ type: 42 }, 'invalid_message'],
      [{ type: 'launch.missiles', id: 'x1' }, 'unknown_type'],
      [{ type: 'message.send', id: 'x2', payload: { content: '   ' } }, 'empty_content'],
      [{ type: 'message.send', payload: { content: 'x'.repeat(5000) } }, 'message_too_large'],
      [{ type: 'message.send', session_id: '../../etc', payload: { content: 'hi' } }, 'invalid_session'],
      [{ type: 'message.send', payload: { content: 'hi', media: ['data:image/png;base64,AAAA'] } }, 'invalid_media'],
    ];
    for (const [i, [frame, code]] of cases.entries()) {
      client.send(frame);
      await client.waitFor((f) => f.type === 'error' && client.frames.filter((x) => x.type === 'error').length > i);
      expect(client.frames.filter((f) => f.type === 'error')[i]!.payload).toMatchObject({ code });
    }
    expect(client.frames.find((f) => f.payload?.code === 'unknown_type')!.payload!.request_id).toBe('x1');
    client.socket.send(Buffer.from([1, 2, 3]));
    client.send({ type: 'ping', id: 'p1' });
    await client.waitFor((f) => f.type === 'pong' && f.id === 'p1');
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('refuses an invalid config on reload and keeps running with the old one', async () => {
    llm = await startFakeLlm([{ text: ['still here'] }]);
    const { base, ws } = await startGateway(configFor());
    await writeFile(join(home, 'config.json'), '{"channel_list": {"mqtt": {"type": "mqtt", "settings": {"qos": 7}}}}');
    const response = await fetch(`${base}/reload`, { method: 'POST', headers: control });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { error: string; issues: { path: string }[] };
    expect(body.error).toMatch(/running config is kept/);
    expect(body.issues[0]!.path).toBe('channel_list.mqtt.settings.qos');
    const client = await connect(ws);
    client.send({ type: 'message.send', payload: { content: 'are you there?' } });
    const end = await client.waitFor((f) => f.type === 'message.update' || (f.type === 'message.create' && f.payload?.content === 'still here'));
    expect(end.payload!.content).toBe('still here');
    client.socket.close();
  });

  it('applies a valid reload: a channel is stopped without a restart', async () => {
    llm = await startFakeLlm();
    const { base } = await startGateway(configFor());
    const next = configFor();
    (next.channel_list.pico as { enabled: boolean }).enabled = false;
    await writeFile(join(home, 'config.json'), JSON.stringify(next));
    const response = await fetch(`${base}/reload`, { method: 'POST', headers: control });
    expect(await response.json()).toMatchObject({ status: 'reloaded', changes: ['channel pico stopped'] });
    const status = (await (await fetch(`${base}/status`, { headers: control })).json()) as GatewayStatus;
    expect(status.channels[0]).toMatchObject({ name: 'pico', state: 'disabled' });
  });

  it('is ready while Home Assistant is down, and gets its tools once it comes up', async () => {
    llm = await startFakeLlm();
    ha = await startFakeHomeAssistant();
    const url = ha.url;
    await ha.stop();
    const { base } = await startGateway(configFor({ tools: { mcp: { enabled: true, servers: { homeassistant: { type: 'http', url, headers: { Authorization: `Bearer ${ha.token}` } } } } } }));
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    for (let i = 0; i < 100; i++) {
      const s = (await (await fetch(`${base}/status`, { headers: control })).json()) as GatewayStatus;
      if (s.mcp.servers[0]?.state === 'failed') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    // Open: the status and a reason code, nothing that names hosts or quotes errors.
    const open = await (await fetch(`${base}/ready`)).text();
    expect(JSON.parse(open)).toEqual({ status: 'degraded', reasons: ['mcp_down'] });
    expect(open).not.toMatch(/refused|127\.0\.0\.1|homeassistant|config\.json/);
    const degraded = (await (await fetch(`${base}/ready`, { headers: control })).json()) as { status: string; checks: Record<string, { ok: boolean; detail?: string }> };
    expect(degraded.status).toBe('degraded');
    expect(degraded.checks['mcp:homeassistant']).toMatchObject({ ok: false, detail: expect.stringMatching(/connection refused/) });
    const failed = ((await (await fetch(`${base}/status`, { headers: control })).json()) as GatewayStatus).mcp.servers[0]!;
    expect(failed.hint).toMatch(/host network/);
    await ha.start();
    expect((await fetch(`${base}/mcp/homeassistant/retry`, { method: 'POST', headers: control })).status).toBe(202);
    let tools: string[] = [];
    for (let i = 0; i < 200 && tools.length === 0; i++) {
      const s = (await (await fetch(`${base}/status`, { headers: control })).json()) as GatewayStatus;
      tools = s.tools.filter((t) => t.source === 'mcp:homeassistant').map((t) => t.name);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(tools).toContain('mcp_homeassistant_hassturnon');
  });

  it('runs without a usable model: ready but degraded (no_model), says what to set, and answers every message with it', async () => {
    llm = await startFakeLlm([{ text: ['a model at last'] }]);
    const none = configFor();
    none.agents.defaults.model_name = '';
    const { base, ws } = await startGateway(none);
    const open = await fetch(`${base}/ready`);
    expect(open.status).toBe(200);
    expect(await open.json()).toEqual({ status: 'degraded', reasons: ['no_model'] });
    const what = 'no model is configured: set agents.defaults.model_name to one of: mistral-small';
    const checked = (await (await fetch(`${base}/ready`, { headers: control })).json()) as { checks: Record<string, { ok: boolean; detail?: string }> };
    expect(checked.checks.model).toEqual({ ok: false, detail: what });
    const status = (await (await fetch(`${base}/status`, { headers: control })).json()) as GatewayStatus;
    expect(status).toMatchObject({ ready: 'degraded', models: { primary: '', problem: what } });
    expect(logs).toContain(what);
    const ask = async (text: string) => {
      const client = await connect(ws);
      client.send({ type: 'message.send', payload: { content: text } });
      await client.waitFor((f) => f.type === 'typing.stop');
      client.socket.close();
      return client.frames.filter((f) => f.type === 'message.create' || f.type === 'message.update').map((f) => String(f.payload?.content)).at(-1);
    };
    expect(await ask('hello?')).toContain(what);
    expect(await ask('anyone?')).toContain(what);
    expect(llm.requests).toHaveLength(0);

    // A default that names a model model_list does not have: the same, with its name.
    await writeFile(join(home, 'config.json'), JSON.stringify(configFor({ agents: { defaults: { model_name: 'gone' } } })));
    const missing = (await (await fetch(`${base}/reload`, { method: 'POST', headers: control })).json()) as { warnings: string[] };
    const gone = 'no usable model: agents.defaults.model_name is "gone", which is not in model_list; add it to model_list (for a bare model id, set agents.defaults.provider, e.g. "openai") or set agents.defaults.model_name to one of: mistral-small';
    expect(missing.warnings.join('\n')).toContain(gone);
    expect(await (await fetch(`${base}/ready`)).json()).toEqual({ status: 'degraded', reasons: ['no_model'] });
    expect(await ask('and now?')).toContain(gone);

    // A default whose model_list entry is disabled: the same, naming it.
    const disabled = configFor();
    (disabled.model_list[0] as { enabled?: boolean }).enabled = false;
    await writeFile(join(home, 'config.json'), JSON.stringify(disabled));
    const reloaded = (await (await fetch(`${base}/reload`, { method: 'POST', headers: control })).json()) as { warnings: string[] };
    const off = 'no usable model: agents.defaults.model_name is "mistral-small", whose model_list entry is disabled; set "enabled": true on its model_list entry';
    expect(reloaded.warnings.join('\n')).toContain(off);
    expect(await (await fetch(`${base}/ready`)).json()).toEqual({ status: 'degraded', reasons: ['no_model'] });
    expect(await ask('and then?')).toContain(off);
    expect(llm.requests).toHaveLength(0);

    // Set it, and it is ready and answers.
    await writeFile(join(home, 'config.json'), JSON.stringify(configFor()));
    expect((await fetch(`${base}/reload`, { method: 'POST', headers: control })).status).toBe(200);
    expect(await (await fetch(`${base}/ready`)).json()).toEqual({ status: 'ready' });
    expect(((await (await fetch(`${base}/status`, { headers: control })).json()) as GatewayStatus).models.problem).toBeUndefined();
    expect(await ask('there?')).toBe('a model at last');
  });

  it('starts on a home that does not exist yet, making its folders with mode 0700', async () => {
    llm = await startFakeLlm([{ text: ['hi'] }]);
    const fresh = join(home, 'brand-new');
    await startGateway(configFor(), fresh);
    for (const dir of [fresh, join(fresh, 'workspace'), join(fresh, 'workspace', 'sessions'), join(fresh, 'logs')]) {
      const info = await stat(dir);
      expect(info.isDirectory(), dir).toBe(true);
      expect((info.mode & 0o777).toString(8), dir).toBe('700');
    }
    expect(JSON.parse(await readFile(join(fresh, '.picoclaw.pid'), 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('never writes a secret to its log, and never sends one back in an error (chat, status API)', async () => {
    llm = await startFakeLlm([{ status: 401, body: { message: 'bad key mk-secret-key' } }]);
    const { ws, base } = await startGateway(configFor());
    const client = await connect(ws);
    client.send({ type: 'message.send', payload: { content: 'hi' } });
    await client.waitFor((f) => f.type === 'typing.stop');
    const said = JSON.stringify(client.frames);
    expect(said).toMatch(/HTTP 401: bad key \[REDACTED\]/); // the provider's words, without the key it echoed
    expect(said).not.toContain('mk-secret-key');
    const status = await (await fetch(`${base}/status`, { headers: control })).text();
    expect(status).toMatch(/\[REDACTED\]/);
    expect(status).not.toContain('mk-secret-key');
    client.socket.close();
    await gateway!.close();
    gateway = undefined;
    expect(logs).toContain('[REDACTED]');
    expect(logs).not.toMatch(/mk-secret-key|pico-internal-token-123|control-token/);
  });
});
