import { makePng, startFakeLlm, startMosquitto, type FakeLlm, type Mosquitto } from '@picoclaw/test-fakes';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { channelSchema, type Config } from '@picoclaw/core';
import { startTestGateway, type TestGateway } from '../../testing/start-test-gateway.js';
import type { InboundMessage } from '../../agent/agent-runtime.js';
import { createImageStore } from '../../media/image-store.js';
import type { Channel, ChannelContext } from '../channel.js';
import { brokerClientId, brokerUrl, createMqttChannel, topics } from './mqtt-channel.js';

let broker: Mosquitto | undefined;
let llm: FakeLlm | undefined;
let gateways: TestGateway[] = [];
const devices: mqtt.MqttClient[] = [];
afterEach(async () => {
  for (const d of devices.splice(0)) await d.endAsync(true);
  await Promise.all(gateways.map((g) => g.close()));
  gateways = [];
  await broker?.close();
  await llm?.close();
  broker = llm = undefined;
});

function config(settings: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    agents: { defaults: { model_name: 'm' } },
    model_list: [{ model_name: 'm', model: 'groq/llama', api_base: llm!.url, api_keys: ['k'] }],
    channel_list: { mqtt: { enabled: true, type: 'mqtt', settings: { broker: broker!.tcpUrl, agent_id: 'assistant', ...settings }, ...extra } },
  };
}

async function gateway(settings: Record<string, unknown> = {}, options: { security?: string; extra?: Record<string, unknown> } = {}) {
  const g = await startTestGateway({ config: config(settings, options.extra), ...(options.security ? { security: options.security } : {}) });
  gateways.push(g);
  return g;
}

/** A device: publishes requests and collects the JSON messages on its response topic. */
async function device(client: string, options: mqtt.IClientOptions = {}) {
  const c = await mqtt.connectAsync(broker!.url, { reconnectPeriod: 0, connectTimeout: 3000, ...options });
  devices.push(c);
  const received: Record<string, unknown>[] = [];
  c.on('message', (_t, p) => received.push(JSON.parse(p.toString())));
  await c.subscribeAsync(`/picoclaw/assistant/${client}/response`, { qos: (options.protocolVersion === 5 ? 1 : 0) as 0 | 1 });
  return {
    received,
    ask: (text: string, qos: 0 | 1 | 2 = 0) => c.publishAsync(`/picoclaw/assistant/${client}/request`, JSON.stringify({ text }), { qos }),
    raw: (payload: string | Buffer) => c.publishAsync(`/picoclaw/assistant/${client}/request`, payload),
    async next(count = 1, ms = 8000) {
      const end = Date.now() + ms;
      while (received.length < count) {
        if (Date.now() > end) throw new Error(`${client}: ${received.length}/${count} responses`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return received[count - 1]!;
    },
  };
}

describe('MQTT channel against a real mosquitto', () => {
  it('answers the guide quick start word for word (mosquitto_pub / mosquitto_sub)', async () => {
    broker = await startMosquitto();
    llm = await startFakeLlm([{ text: ['CPU usage is 12%.'] }]);
    await gateway();
    const port = String(broker.port);
    const sub = execa('mosquitto_sub', ['-h', '127.0.0.1', '-p', port, '-t', '/picoclaw/assistant/device1/response', '-C', '1', '-W', '10']);
    await new Promise((r) => setTimeout(r, 300));
    await execa('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-t', '/picoclaw/assistant/device1/request', '-m', '{"text": "What is the CPU usage?"}']);
    const { stdout } = await sub;
    expect(JSON.parse(stdout)).toEqual({ text: 'CPU usage is 12%.' });
    expect(llm.requests[0]!.body.messages.at(-1)).toEqual({ role: 'user', content: 'What is the CPU usage?' });
  });

  it.each([4, 5] as const)('speaks MQTT protocol version %i, with QoS 1 and credentials from .security.yml', async (version) => {
    broker = await startMosquitto({ users: { gateway: 'gw-pass-123', dev: 'dev-pass' } });
    llm = await startFakeLlm([], { echo: true });
    const g = await gateway({ protocol_version: version, qos: 1, username: '[NOT_HERE]', password: '[NOT_HERE]' }, { security: 'channel_list:\n  mqtt:\n    settings:\n      username: gateway\n      password: gw-pass-123\n' });
    const d = await device('sensor', { protocolVersion: version, username: 'dev', password: 'dev-pass' });
    await d.ask('hello', 1);
    expect(await d.next()).toEqual({ text: 'you said: hello' });
    const id = g.logs().match(/connected to 127\.0\.0\.1:\d+ as (picoclaw-mqtt-assistant-[0-9a-f]{8})/)![1]!;
    expect(broker.log()).toMatch(new RegExp(`New client connected from 127\\.0\\.0\\.1:\\d+ as ${id} \\(p${version === 5 ? 5 : 2}, c1, k60, u'gateway'\\)`));
    expect(g.logs()).not.toContain('gw-pass-123');
  });

  it('keeps a separate conversation per device, in parallel', async () => {
    broker = await startMosquitto();
    llm = await startFakeLlm([], { echo: true });
    await gateway();
    const [a, b] = await Promise.all([device('kitchen'), device('garage')]);
    await Promise.all([a.ask('I am the kitchen'), b.ask('I am the garage')]);
    await Promise.all([a.next(1), b.next(1)]);
    await Promise.all([a.ask('who am I?'), b.ask('who am I?')]);
    expect(await a.next(2)).toEqual({ text: 'you said: who am I?' });
    await b.next(2);
    const histories = llm.requests.slice(2).map((r) => r.body.messages.filter((m) => m.role === 'user').map((m) => m.content));
    expect(histories).toEqual(expect.arrayContaining([['I am the kitchen', 'who am I?'], ['I am the garage', 'who am I?']]));
  });

  it('restores the subscription after the broker restarts, with the same broker client id', async () => {
    broker = await startMosquitto();
    llm = await startFakeLlm([], { echo: true });
    const g = await gateway();
    let d = await device('d1');
    await d.ask('before');
    expect(await d.next()).toEqual({ text: 'you said: before' });
    await broker.stop();
    await broker.restart();
    devices.splice(0).forEach((c) => c.end(true));
    // The gateway retries every 5 s; wait until it has subscribed again.
    const end = Date.now() + 15_000;
    while ((g.logs().match(/subscribed to/g) ?? []).length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    d = await device('d1');
    await d.ask('after');
    expect(await d.next()).toEqual({ text: 'you said: after' });
    const ids = [...broker.log().matchAll(/as (picoclaw-mqtt-assistant-[0-9a-f]{8})/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(1);
    expect(g.logs()).toMatch(/MQTT connection lost/);
  }, 30_000);

  it('answers bad payloads with an error on the response topic and keeps serving', async () => {
    broker = await startMosquitto();
    llm = await startFakeLlm([], { echo: true });
    const g = await gateway({ max_payload_bytes: 100 });
    const d = await device('bad');
    await d.raw('not json');
    expect(await d.next(1)).toEqual({ error: 'payload is not JSON; send {"text": "your message"}' });
    await d.raw('{"message": "hi"}');
    expect(await d.next(2)).toEqual({ error: 'payload has no "text"; send {"text": "your message"}' });
    await d.raw(JSON.stringify({ text: 'x'.repeat(200) }));
    expect((await d.next(3)).error).toMatch(/exceeds the 100 byte limit/);
    await d.ask('fine');
    expect(await d.next(4)).toEqual({ text: 'you said: fine' });
    expect(g.logs()).toMatch(/request from bad refused: payload is not JSON/);
  });

  it('a request with an image reaches a vision model as an image_url part with the exact bytes, and its answer the device', async () => {
    broker = await startMosquitto();
    llm = await startFakeLlm([{ text: ['Someone in a blue coat.'] }]);
    const base = config({ max_payload_bytes: 256 * 1024 });
    const g = await startTestGateway({ config: { ...base, model_list: [{ model_name: 'm', model: 'openai/gpt-4o', api_base: llm.url, api_keys: ['k'] }] } });
    gateways.push(g);
    const d = await device('doorcam');
    const png = makePng(32, 24, { noise: true });
    await d.raw(JSON.stringify({ text: 'Who is at the door?', image: png.toString('base64') }));
    expect(await d.next()).toEqual({ text: 'Someone in a blue coat.' });
    const content = llm.requests[0]!.body.messages.at(-1)!.content as { type: string; text?: string; image_url?: { url: string } }[];
    expect(content.find((p) => p.type === 'text')?.text).toContain('Who is at the door?');
    const url = content.find((p) => p.type === 'image_url')!.image_url!.url;
    expect(url.startsWith('data:image/png;base64,')).toBe(true);
    expect(Buffer.from(url.split(',')[1]!, 'base64').equals(png)).toBe(true);
  });

  it('refuses devices outside allow_from', async () => {
    broker = await startMosquitto();
    llm = await startFakeLlm([], { echo: true });
    await gateway({}, { extra: { allow_from: ['trusted'] } });
    const [ok, no] = await Promise.all([device('trusted'), device('stranger')]);
    await Promise.all([ok.ask('hi'), no.ask('hi')]);
    expect(await ok.next()).toEqual({ text: 'you said: hi' });
    expect(await no.next()).toEqual({ error: 'this client is not allowed to use the assistant' });
    expect(llm.requests).toHaveLength(1);
  });

  it('splits requests between two gateways in an MQTT 5 shared subscription, losing and duplicating nothing', async () => {
    broker = await startMosquitto();
    llm = await startFakeLlm([], { echo: true });
    // In separate processes each gateway generates its own broker client id; here they share a
    // process, so they are given distinct ones as the guide advises.
    const shared = { protocol_version: 5, shared_group: 'picoclaw', qos: 1 };
    const [g1, g2] = await Promise.all([gateway({ ...shared, client_id: 'gw1' }), gateway({ ...shared, client_id: 'gw2' })]);
    const clients = await Promise.all(Array.from({ length: 20 }, (_, i) => device(`dev${i}`, { protocolVersion: 5 })));
    await Promise.all(clients.map((c, i) => c.ask(`request ${i}`, 1)));
    for (const [i, c] of clients.entries()) expect(await c.next()).toEqual({ text: `you said: request ${i}` });
    await new Promise((r) => setTimeout(r, 300));
    expect(clients.every((c) => c.received.length === 1)).toBe(true);
    const counts = await Promise.all([g1, g2].map(async (g) => ((await (await fetch(`${g.base}/status`, { headers: { authorization: 'Bearer control-token' } })).json()) as { channels: { messages: { in: number } }[] }).channels[0]!.messages.in));
    expect(counts[0]! + counts[1]!).toBe(20);
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts[1]).toBeGreaterThan(0);
  });

  describe.skipIf(!existsSync('/usr/bin/openssl'))('over TLS (ssl://) with a test CA', () => {
    it('verifies the broker certificate against ca_file when tls_verify is on', async () => {
      broker = await startMosquitto({ tls: true });
      llm = await startFakeLlm([], { echo: true });
      const g = await gateway({ tls_verify: true, ca_file: broker.caFile });
      expect(g.logs()).toMatch(/connected to 127\.0\.0\.1:\d+/);
      const d = await device('secure', { ca: await readFile(broker.caFile!) });
      await d.ask('over tls');
      expect(await d.next()).toEqual({ text: 'you said: over tls' });
    });

    it('refuses an unverifiable broker when tls_verify is on, and connects when it is off (the default)', async () => {
      broker = await startMosquitto({ tls: true });
      llm = await startFakeLlm([], { echo: true });
      const strict = await gateway({ tls_verify: true });
      const status = (await (await fetch(`${strict.base}/status`, { headers: { authorization: 'Bearer control-token' } })).json()) as { channels: { state: string; lastError?: string }[] };
      expect(status.channels[0]).toMatchObject({ state: 'reconnecting', lastError: expect.stringMatching(/certificate|self.signed/i) });
      const lax = await gateway({ client_id: 'lax' });
      expect(lax.logs()).toMatch(/connected to 127\.0\.0\.1:\d+ as lax/);
    });
  });

  it('is ready and keeps retrying when the broker is down at start', async () => {
    broker = await startMosquitto();
    await broker.stop();
    llm = await startFakeLlm([], { echo: true });
    const g = await gateway();
    const ready = await fetch(`${g.base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'degraded', reasons: ['channel_down'] });
    await broker.restart();
    const end = Date.now() + 12_000;
    while (!/subscribed to/.test(g.logs()) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    const d = await device('late');
    await d.ask('there?');
    expect(await d.next()).toEqual({ text: 'you said: there?' });
  }, 30_000);
});

describe('MQTT helpers', () => {
  it('maps the guide URLs and builds the topics', () => {
    expect(brokerUrl('tcp://localhost:1883')).toBe('mqtt://localhost:1883');
    expect(brokerUrl('ssl://your-broker:8883')).toBe('mqtts://your-broker:8883');
    const t = topics({ topic_prefix: '/picoclaw', agent_id: 'assistant', shared_group: '' });
    expect(t.subscription).toBe('/picoclaw/assistant/+/request');
    expect(t.response('device1')).toBe('/picoclaw/assistant/device1/response');
    expect(t.clientOf('/picoclaw/assistant/device1/request')).toBe('device1');
    expect(t.clientOf('/picoclaw/other/device1/request')).toBeUndefined();
    expect(topics({ topic_prefix: '/picoclaw', agent_id: 'a', shared_group: 'g' }).subscription).toBe('$share/g//picoclaw/a/+/request');
  });

  it('generates the broker client id once per process', () => {
    const id = brokerClientId('mqtt', { client_id: '', agent_id: 'assistant' });
    expect(id).toMatch(/^picoclaw-mqtt-assistant-[0-9a-f]{8}$/);
    expect(brokerClientId('mqtt', { client_id: '', agent_id: 'assistant' })).toBe(id);
    expect(brokerClientId('mqtt', { client_id: 'fixed', agent_id: 'assistant' })).toBe('fixed');
  });
});

describe('MQTT send (schedules speak first)', () => {
  const channels: Channel[] = [];
  afterEach(async () => {
    for (const c of channels.splice(0)) await c.stop();
  });
  async function channel(allowFrom: string[], submitted: string[] = []) {
    const config = channelSchema.parse({ type: 'mqtt', enabled: true, allow_from: allowFrom, settings: { broker: broker!.tcpUrl, agent_id: 'assistant' } });
    const c = await createMqttChannel('mqtt', config, {});
    channels.push(c);
    const context: ChannelContext = { signal: new AbortController().signal, submit: async (m) => void submitted.push(m.text), log: () => {}, mountUpgrade: () => {}, afterStart: Promise.resolve() };
    return { c, context };
  }

  it("publishes {text} on the device's response topic; refuses a device outside allow_from and a channel not connected", async () => {
    broker = await startMosquitto();
    const submitted: string[] = [];
    const { c, context } = await channel(['kitchen'], submitted);
    await expect(c.send!('kitchen', 'hi')).rejects.toThrow(/^mqtt: not connected to the broker 127\.0\.0\.1:\d+; the message to kitchen was not sent$/);
    await c.start(context);
    const kitchen = await device('kitchen');
    const garage = await device('garage');
    await expect(c.send!('mqtt:kitchen', 'Time to water the **plants**')).resolves.toEqual({ sessionKey: 'mqtt:kitchen' });
    expect(await kitchen.next()).toEqual({ text: 'Time to water the **plants**' });
    await expect(c.send!('garage', 'open sesame')).rejects.toThrow('mqtt: device garage is not in allow_from (channel_list.mqtt.allow_from)');
    await expect(c.send!('kitchen/+', 'x')).rejects.toThrow(/is not a device id/);
    expect(c.status().messages.out).toBe(1);
    // targets(): allowed devices seen since start.
    expect(c.targets!()).toEqual([]);
    await garage.ask('let me in');
    await kitchen.ask('hello');
    await until(() => submitted.length === 1);
    expect(c.targets!()).toEqual([{ to: 'kitchen', label: 'kitchen' }]);
    await new Promise((r) => setTimeout(r, 200));
    expect(garage.received).toEqual([{ error: 'this client is not allowed to use the assistant' }]);
  });
});

describe('MQTT requests with an image (channel with the real image store, through mosquitto)', () => {
  const channels: Channel[] = [];
  let ws: string | undefined;
  afterEach(async () => {
    for (const c of channels.splice(0)) await c.stop();
    if (ws) await rm(ws, { recursive: true, force: true });
    ws = undefined;
  });
  async function start(options: { allowFrom?: string[]; maxMediaSize?: number; maxPayloadBytes?: number; images?: boolean } = {}) {
    broker = await startMosquitto();
    const workspace = (ws = await mkdtemp(join(tmpdir(), 'picoclaw-mqtt-images-')));
    const store = () => ({ agents: { defaults: { workspace, ...(options.maxMediaSize ? { max_media_size: options.maxMediaSize } : {}) } } }) as Config;
    const config = channelSchema.parse({
      type: 'mqtt', enabled: true, allow_from: options.allowFrom ?? [],
      settings: { broker: broker.tcpUrl, agent_id: 'assistant', client_id: 'gw', ...(options.maxPayloadBytes ? { max_payload_bytes: options.maxPayloadBytes } : {}) },
    });
    const c = await createMqttChannel('mqtt', config, options.images === false ? {} : { images: createImageStore(store) });
    channels.push(c);
    const submitted: Omit<InboundMessage, 'channel'>[] = [];
    await c.start({ signal: new AbortController().signal, submit: async (m) => void submitted.push(m), log: () => {}, mountUpgrade: () => {}, afterStart: Promise.resolve() });
    const stored = async () => (await readdir(join(workspace, 'media', 'images')).catch(() => [] as string[])).sort();
    return { submitted, stored, workspace };
  }
  const png = makePng(4, 4, { rgb: [0, 128, 255] });

  it('{"text", "image": base64} is stored in media/images and submitted with the text; a data URL without text too', async () => {
    const t = await start();
    const d = await device('camera');
    await d.raw(JSON.stringify({ text: ' who is at the door? ', image: png.toString('base64') }));
    await until(() => t.submitted.length === 1);
    const [name] = await t.stored();
    expect(name).toMatch(/^[0-9a-f]{32}\.png$/);
    expect(t.submitted[0]).toEqual({ chatId: 'mqtt:camera', sessionKey: 'mqtt:camera', senderId: 'camera', text: 'who is at the door?', images: [`media/images/${name}`] });
    expect((await readFile(join(t.workspace, 'media', 'images', name!))).equals(png)).toBe(true);

    const other = makePng(3, 3);
    await d.raw(JSON.stringify({ image: `data:image/png;base64,${other.toString('base64')}` }));
    await until(() => t.submitted.length === 2);
    expect(t.submitted[1]).toMatchObject({ text: '', images: [expect.stringMatching(/^media\/images\/[0-9a-f]{32}\.png$/)] });
    expect(await t.stored()).toHaveLength(2);
    expect(d.received).toEqual([]);
  });

  it('a bad image is answered on the response topic with what is wrong, nothing is stored or submitted, and the device is still served', async () => {
    const t = await start({ maxMediaSize: 1000 });
    const d = await device('bad');
    const cases: [unknown, string][] = [
      [{ text: 'x', image: 'not base64 at all!' }, 'invalid base64 image data'],
      [{ text: 'x', image: Buffer.from('just some text, no picture').toString('base64') }, 'that is not an image a model can read: send a JPEG, PNG, GIF or WebP picture'],
      [{ image: 'data:image/svg+xml;base64,PHN2Zy8+' }, 'unsupported image format: image/svg+xml (send JPEG, PNG, GIF or WebP)'],
      [{ image: 'data:image/png,raw' }, 'image data URL must be base64 encoded'],
      [{ text: 'x', image: 42 }, '"image" must be a base64 string or a data:image/…;base64, URL'],
      [{ image: '' }, '"image" must be a base64 string or a data:image/…;base64, URL'],
      [{ image: makePng(40, 40, { noise: true }).toString('base64') }, 'image exceeds 1000 byte limit (agents.defaults.max_media_size)'],
    ];
    for (const [i, [payload, error]] of cases.entries()) {
      await d.raw(JSON.stringify(payload));
      expect(await d.next(i + 1)).toEqual({ error });
    }
    expect(t.submitted).toEqual([]);
    expect(await t.stored()).toEqual([]);
    await d.ask('still there?');
    await until(() => t.submitted.length === 1);
    expect(t.submitted[0]!.text).toBe('still there?');
  });

  it('a payload over max_payload_bytes is refused before it is parsed, naming the setting to raise', async () => {
    const t = await start({ maxPayloadBytes: 1024 });
    const d = await device('cam');
    await d.raw(JSON.stringify({ image: makePng(40, 40, { noise: true }).toString('base64') }));
    expect((await d.next()).error).toMatch(/^payload of \d+ bytes exceeds the 1024 byte limit \(channel_list\.mqtt\.settings\.max_payload_bytes\)$/);
    expect(await t.stored()).toEqual([]);
  });

  it('a device outside allow_from is refused before its image is stored; without an image store the device is told', async () => {
    const t = await start({ allowFrom: ['trusted'] });
    const stranger = await device('stranger');
    await stranger.raw(JSON.stringify({ image: png.toString('base64') }));
    expect(await stranger.next()).toEqual({ error: 'this client is not allowed to use the assistant' });
    expect(await t.stored()).toEqual([]);
    for (const c of channels.splice(0)) await c.stop();
    await broker!.close();

    const none = await start({ images: false });
    const d = await device('cam');
    await d.raw(JSON.stringify({ text: 'look', image: png.toString('base64') }));
    expect(await d.next()).toEqual({ error: 'images cannot be received here: this gateway has no place to store them' });
    expect(none.submitted).toEqual([]);
  });

  it("keeps a device's order: a text sent right after an image reaches the agent after it", async () => {
    const t = await start();
    const d = await device('cam');
    // ~34 KB of noise (under the default 64 KiB payload limit as base64): big enough to take a moment to store.
    await d.raw(JSON.stringify({ text: 'first', image: makePng(105, 105, { noise: true }).toString('base64') }));
    await d.ask('second');
    await until(() => t.submitted.length === 2);
    expect(t.submitted.map((m) => [m.text, m.images?.length ?? 0])).toEqual([['first', 1], ['second', 0]]);
  });
});

async function until(check: () => boolean, ms = 5000) {
  for (const end = Date.now() + ms; !check(); await new Promise((r) => setTimeout(r, 20))) if (Date.now() > end) throw new Error('timed out');
}
