/**
 * Bad input against ONE real gateway process (pico + MQTT on a real mosquitto, a fake model in
 * echo mode): property-based barrages on the pico WebSocket, the MQTT request topic and the HTTP
 * API, then checks that the gateway is alive and well-behaved clients are unaffected. Also garbled
 * config.json files through `picoclaw config validate`.
 */
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_MAX_MEDIA_SIZE, picoFrameLimits } from '@picoclaw/core';
import { spawnGateway, startFakeLlm, startMosquitto, type FakeLlm, type GatewayProcess, type Mosquitto } from '@picoclaw/test-fakes';
import { execa } from 'execa';
import fc from 'fast-check';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayBundle, picoClient, rawGet, rawHttp, root, STACK_LINE, tempHome, waitFor, type PicoClient } from './harness.js';

const PICO_TOKEN = 'hardening-pico-token-7f3a';
const API_KEY = 'mk-hardening-key-91c2';
const AGENT = 'hard';
const MAX_FRAME = 256 * 1024; // pico default
const MAX_PAYLOAD = 64 * 1024; // mqtt default
const SESSION_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

let home: string;
let llm: FakeLlm;
let broker: Mosquitto;
let gateway: GatewayProcess;
let port: number;
let controlToken: string;
let observer: MqttClient;
/** Every message seen on any response topic, by device. */
const responses = new Map<string, Record<string, unknown>[]>();
const homes: string[] = [];

const wsUrl = (session?: string) => `ws://127.0.0.1:${port}/pico/ws${session ? `?session_id=${session}` : ''}`;
const openPico = (session?: string) => picoClient(wsUrl(session), [`token.${PICO_TOKEN}`]);
const health = async () => (await fetch(`http://127.0.0.1:${port}/health`)).status;
const alive = () => gateway.child.exitCode === null && gateway.child.signalCode === null;

beforeAll(async () => {
  llm = await startFakeLlm([], { echo: true });
  broker = await startMosquitto();
  home = await tempHome('bad-input');
  await writeFile(join(home, 'config.json'), JSON.stringify({
    version: 3,
    agents: { defaults: { model_name: 'm' } },
    model_list: [{ model_name: 'm', model: 'mistral/mistral-small-latest', api_base: `${llm.url}/v1`, api_keys: ['[NOT_HERE]'] }],
    channel_list: {
      pico: { enabled: true, type: 'pico', settings: { token: '[NOT_HERE]' } },
      mqtt: { enabled: true, type: 'mqtt', settings: { broker: broker.tcpUrl, agent_id: AGENT } },
    },
  }, null, 2));
  await writeFile(join(home, '.security.yml'), `model_list:\n  m:\n    api_keys: ["${API_KEY}"]\nchannel_list:\n  pico:\n    settings:\n      token: ${PICO_TOKEN}\n`);
  gateway = spawnGateway({ home });
  port = await gateway.ready();
  controlToken = (JSON.parse(await readFile(join(home, '.picoclaw.pid'), 'utf8')) as { token: string }).token;
  await waitFor(async () => {
    const status = (await (await fetch(`http://127.0.0.1:${port}/status`, { headers: { authorization: `Bearer ${controlToken}` } })).json()) as { channels: { name: string; state: string }[] };
    return status.channels.find((c) => c.name === 'mqtt')?.state === 'running' || undefined;
  }, 15_000, 'the mqtt channel');
  observer = await mqtt.connectAsync(broker.url, { clientId: 'hardening-observer' });
  await observer.subscribeAsync(`/picoclaw/${AGENT}/+/response`, { qos: 1 });
  observer.on('message', (topic, payload) => {
    const device = topic.slice(`/picoclaw/${AGENT}/`.length, -'/response'.length);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
    } catch {
      body = { unparsable: payload.toString('utf8') };
    }
    responses.set(device, [...(responses.get(device) ?? []), body]);
  });
}, 40_000);

afterAll(async () => {
  await observer?.endAsync().catch(() => {});
  gateway?.child.kill('SIGTERM');
  await gateway?.child;
  await broker?.close();
  await llm?.close();
  for (const dir of [home, ...homes]) if (dir) await rm(dir, { recursive: true, force: true });
});

// ── pico ────────────────────────────────────────────────────────────────────────────────────────

type Expected = { kind: 'error'; code: string; requestId?: string } | { kind: 'pong' } | { kind: 'turn'; session?: string };

/**
 * Whether a payload's `media`/`attachments` are refused (pico-media.ts, PicoClaw's rules), and if
 * not, whether they hold an image. An entry that passes the shape checks goes to the image store,
 * which refuses anything but real image bytes: random input never makes it through.
 */
function mediaOf(payload: Record<string, unknown>): 'refused' | 'images' | 'none' {
  const inline = (item: unknown): string | undefined => {
    if (typeof item === 'string') return item.trim() || undefined;
    if (item && typeof item === 'object' && !Array.isArray(item)) {
      for (const key of ['url', 'data_url']) {
        const raw = (item as Record<string, unknown>)[key];
        if (typeof raw === 'string' && raw.trim()) return raw.trim();
      }
    }
    return undefined;
  };
  let found = false;
  const { media, attachments } = payload;
  if (typeof media === 'string' || Array.isArray(media)) {
    for (const item of typeof media === 'string' ? [media] : media) {
      const url = inline(item);
      if (!url?.startsWith('data:image/')) return 'refused';
      found = true;
    }
  } else if (media !== undefined && media !== null) return 'refused';
  if (attachments !== undefined && attachments !== null) {
    if (!Array.isArray(attachments)) return 'refused';
    for (const item of attachments) {
      if (!item || typeof item !== 'object' || Array.isArray(item)) return 'refused';
      const declared = (item as { type?: unknown }).type;
      const type = typeof declared === 'string' ? declared.trim().toLowerCase() : '';
      // A file or a recording (our additions) needs a base64 data URL and more: random input never is one.
      if (type === 'file' || type === 'audio') return 'refused';
      if (type !== '' && type !== 'image') continue;
      const url = inline(item);
      if (url === undefined) {
        if (type === 'image') return 'refused';
        continue;
      }
      if (!url.startsWith('data:')) continue;
      if (!url.startsWith('data:image/')) return 'refused';
      found = true;
    }
  }
  return found ? 'images' : 'none';
}

/** What the pico protocol (pico-frames.ts, reference §4.3) says a text frame must produce. */
function expectedFor(text: string): Expected {
  if (Buffer.byteLength(text) > MAX_FRAME) return { kind: 'error', code: 'message_too_large' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'error', code: 'invalid_message' };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { kind: 'error', code: 'invalid_message' };
  const f = value as Record<string, unknown>;
  const id = typeof f.id === 'string' && f.id ? f.id.slice(0, 128) : undefined;
  const error = (code: string): Expected => ({ kind: 'error', code, ...(id ? { requestId: id } : {}) });
  if (typeof f.type !== 'string') return error('invalid_message');
  if (f.session_id !== undefined && (typeof f.session_id !== 'string' || !SESSION_ID.test(f.session_id))) return error('invalid_session');
  if (f.payload !== undefined && (typeof f.payload !== 'object' || f.payload === null || Array.isArray(f.payload))) return error('invalid_message');
  if (f.type === 'ping') return { kind: 'pong' };
  if (f.type === 'message.send' || f.type === 'media.send') {
    const payload = (f.payload ?? {}) as Record<string, unknown>;
    const media = mediaOf(payload);
    // 'images' from random input cannot be real image bytes: the store refuses them.
    if (media !== 'none') return error('invalid_media');
    if (typeof payload.content !== 'string' || !payload.content.trim()) return error('empty_content');
    return { kind: 'turn', ...(typeof f.session_id === 'string' ? { session: f.session_id } : {}) };
  }
  return error('unknown_type');
}

/** Sends one text frame and checks the answers against the protocol; the socket must stay open. */
async function checkFrame(client: PicoClient, text: string, connectionSession: string) {
  const from = client.frames.length;
  client.socket.send(text);
  const answers = await client.sync(from);
  const expected = expectedFor(text);
  const errors = answers.filter((f) => f.type === 'error');
  if (expected.kind === 'error') {
    expect(errors.map((e) => e.payload?.code), text.slice(0, 200)).toEqual([expected.code]);
    if (expected.requestId) expect(errors[0]!.payload?.request_id).toBe(expected.requestId);
  } else {
    expect(errors, text.slice(0, 200)).toEqual([]);
    if (expected.kind === 'pong') expect(answers.filter((f) => f.type === 'pong')).toHaveLength(1);
    else {
      // Let the turn finish so its frames do not spill into the next run.
      const session = expected.session ?? connectionSession;
      await client.next((f) => f.type === 'typing.stop' && f.session_id === session, from);
    }
  }
  expect(client.open).toBe(true);
}

const frameTypes = fc.oneof(fc.constantFrom('ping', 'message.send', 'media.send', 'session.ready', 'message.create', 'error', ''), fc.string({ maxLength: 20 }), fc.anything({ maxDepth: 2 }));
/** Frames shaped like the protocol, with wrong types for every known field. */
const wrongTypedFrame = fc.record(
  {
    type: frameTypes,
    id: fc.oneof(fc.string({ maxLength: 200 }), fc.anything({ maxDepth: 1 })),
    session_id: fc.oneof(fc.constantFrom('ok-session', 'a/b', '', 'x'.repeat(129)), fc.string({ maxLength: 20 }), fc.anything({ maxDepth: 1 })),
    payload: fc.oneof(
      fc.record({ content: fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('   ', '\n\t'), fc.anything({ maxDepth: 1 })), media: fc.anything({ maxDepth: 1 }), attachments: fc.anything({ maxDepth: 1 }) }, { requiredKeys: [] }),
      fc.anything({ maxDepth: 2 }),
    ),
    timestamp: fc.anything({ maxDepth: 1 }),
  },
  { requiredKeys: [] },
).map((f) => JSON.stringify(f));

const validFrame = fc.record({ type: fc.constant('message.send'), id: fc.string({ maxLength: 8 }), payload: fc.record({ content: fc.string({ minLength: 1, maxLength: 20 }) }) }).map((f) => JSON.stringify(f));
const truncatedJson = fc.tuple(validFrame, fc.nat()).map(([s, n]) => s.slice(0, n % s.length));

describe('pico WebSocket frames', () => {
  let client: PicoClient;
  const picoStats = { runs: 0, bytes: 0 };

  it('answers random strings, truncated JSON and wrong-typed frames with an error frame, keeping the socket open', async () => {
    client = await openPico('barrage');
    const property = fc.asyncProperty(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), truncatedJson, wrongTypedFrame, wrongTypedFrame), async (text) => {
      picoStats.runs++;
      picoStats.bytes += Buffer.byteLength(text);
      await checkFrame(client, text, 'barrage');
    });
    await fc.assert(property, { numRuns: 300, interruptAfterTimeLimit: 12_000 });
    console.log(`pico barrage: ${picoStats.runs} frames, ${picoStats.bytes} bytes`);
    expect(picoStats.runs).toBeGreaterThanOrEqual(50);
  });

  it('refuses deeply nested JSON, oversized frames, binary and invalid UTF-8 frames without crashing', async () => {
    client ??= await openPico('barrage');
    for (const text of [
      '['.repeat(100_000) + ']'.repeat(100_000),
      '['.repeat(100_000),
      '{"a":'.repeat(40_000) + '1' + '}'.repeat(40_000),
      `{"type":"message.send","payload":${'{"content":'.repeat(10_000)}"x"${'}'.repeat(10_000)}}`,
      JSON.stringify({ type: 'message.send', payload: { content: 'x'.repeat(MAX_FRAME) } }),
    ]) await checkFrame(client, text, 'barrage');

    // A binary frame: refused with an error frame, socket open.
    let from = client.frames.length;
    client.socket.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]), { binary: true });
    expect((await client.sync(from)).filter((f) => f.type === 'error').map((f) => f.payload?.code)).toEqual(['invalid_message']);

    // Invalid UTF-8 in a text frame is a protocol error (RFC 6455 §8.1): the server closes with 1007.
    const bad = await openPico();
    bad.socket.send(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0xc0, 0xaf, 0x22, 0x7d]), { binary: false });
    expect(await bad.closed).toBe(1007);

    // Past max_frame_bytes, a frame without images is refused with an error frame, unread, even
    // where the ceiling now leaves room for images (base64 of max_media_size).
    const limits = picoFrameLimits(MAX_FRAME, DEFAULT_MAX_MEDIA_SIZE);
    await checkFrame(client, JSON.stringify({ type: 'message.send', payload: { content: 'y'.repeat(MAX_FRAME * 4 + 10) } }), 'barrage');
    // Past the library's hard limit (4 × max_frame_bytes or 1 MB, plus the images' room) the server closes with 1009.
    const huge = await openPico();
    huge.socket.send(JSON.stringify({ type: 'message.send', payload: { content: 'y'.repeat(limits.payload + 10) } }));
    expect(await huge.closed).toBe(1009);

    from = client.frames.length;
    await client.sync(from);
    expect(client.open).toBe(true);
    expect(alive()).toBe(true);
  });

  it('after the barrage: /health is 200 and a new, well-behaved session gets a normal answer', async () => {
    expect(await health()).toBe(200);
    const good = await openPico('well-behaved');
    good.socket.send(JSON.stringify({ type: 'message.send', id: 'm1', payload: { content: 'hello after the storm' } }));
    await good.next((f) => f.type === 'typing.stop');
    const answer = await good.next((f) => (f.type === 'message.update' || f.type === 'message.create') && f.payload?.content === 'you said: hello after the storm');
    expect(answer.session_id).toBe('well-behaved');
    expect(good.frames.filter((f) => f.type === 'error')).toEqual([]);
    good.close();
    client?.close();
    // Nothing in the barrage reached the catch-all of the frame handler.
    expect(gateway.output().split('\n').filter((l) => /frame handling failed|uncaught|unhandled/i.test(l))).toEqual([]);
  });
});

// ── MQTT ────────────────────────────────────────────────────────────────────────────────────────

let devices = 0;
const BROKER_REFUSED = /[\p{Cc}\p{Noncharacter_Code_Point}\p{Cs}]/u;
const publisher = () => mqtt.connectAsync(broker.url, { clientId: `hardening-pub-${++devices}` });

/** What the MQTT channel must answer on the device's response topic. */
function mqttExpected(payload: Buffer): 'error' | 'answer' {
  if (payload.length > MAX_PAYLOAD) return 'error';
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return 'error';
  }
  const text = body && typeof body === 'object' && typeof (body as { text?: unknown }).text === 'string' ? (body as { text: string }).text.trim() : '';
  return text ? 'answer' : 'error';
}

async function oneRequest(client: MqttClient, device: string, payload: Buffer) {
  const before = responses.get(device)?.length ?? 0;
  await client.publishAsync(`/picoclaw/${AGENT}/${device}/request`, payload, { qos: 1 });
  const reply = await waitFor(() => responses.get(device)?.[before], 10_000, `a response for ${device}`);
  if (mqttExpected(payload) === 'error') {
    expect(typeof reply.error, payload.toString('utf8').slice(0, 200)).toBe('string');
    expect(reply.text).toBeUndefined();
  } else {
    expect(reply.error).toBeUndefined();
    expect(String(reply.text)).toMatch(/^you said: /);
  }
}

const textObject = fc.record({ text: fc.oneof(fc.string({ maxLength: 30 }), fc.anything({ maxDepth: 2 })) }, { requiredKeys: [] });
const mqttGarbage = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
  fc.tuple(textObject.map((o) => JSON.stringify(o)), fc.nat()).map(([s, n]) => Buffer.from(s.slice(0, n % (s.length + 1)))),
  textObject.map((o) => Buffer.from(JSON.stringify(o))),
  fc.json({ maxDepth: 3 }).map((s) => Buffer.from(s)),
);

describe('MQTT request payloads', () => {
  let good: MqttClient;
  let attacker: MqttClient;
  const stats = { runs: 0, errors: 0, answers: 0 };

  it('answers every garbage payload on that device\'s response topic; another device\'s conversation is unaffected', async () => {
    good = await publisher();
    attacker = await publisher();
    await oneRequest(good, 'good-device', Buffer.from(JSON.stringify({ text: 'first' })));
    let run = 0;
    await fc.assert(
      fc.asyncProperty(mqttGarbage, async (payload) => {
        stats.runs++;
        stats[mqttExpected(payload) === 'error' ? 'errors' : 'answers']++;
        await oneRequest(attacker, `dev-${++run}`, payload);
      }),
      { numRuns: 80, interruptAfterTimeLimit: 12_000 },
    );
    for (const payload of [
      Buffer.alloc(MAX_PAYLOAD + 1, 0x61),
      Buffer.from(JSON.stringify({ text: 'z'.repeat(MAX_PAYLOAD) })),
      Buffer.from('['.repeat(30_000) + ']'.repeat(30_000)),
      Buffer.from(`{"text":${'['.repeat(30_000)}`),
      Buffer.from([0xff, 0xfe, 0x00, 0x7b]),
      Buffer.alloc(0),
    ]) {
      stats.runs++;
      await oneRequest(attacker, `dev-${++run}`, payload);
    }
    console.log(`mqtt barrage: ${stats.runs} payloads (${stats.errors} expected errors, ${stats.answers} valid)`);
    expect(stats.runs).toBeGreaterThanOrEqual(30);

    await oneRequest(good, 'good-device', Buffer.from(JSON.stringify({ text: 'second' })));
    expect(responses.get('good-device')!.map((r) => r.text)).toEqual(['you said: first', 'you said: second']);
    // The model saw only this device's own history for its second turn.
    const request = llm.requests.findLast((r) => r.body.messages.at(-1)?.content === 'second')!;
    expect(request.body.messages.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(['first', 'second']);
  });

  it('serves device ids of any shape on their own response topic', async () => {
    // Topic characters the broker itself refuses (control characters, non-characters: MQTT 3.1.1
    // §1.5.3) never reach the gateway; they are checked separately below.
    const ids = fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }).filter((s) => !/[/+#]/.test(s) && !BROKER_REFUSED.test(s));
    await fc.assert(
      fc.asyncProperty(ids, async (id) => {
        await oneRequest(attacker, `x-${id}`, Buffer.from(JSON.stringify({ text: 'hi' })));
      }),
      { numRuns: 20, interruptAfterTimeLimit: 8_000 },
    );
    // The broker itself drops a client that publishes to a topic with a control character; the
    // gateway's own connection is not affected.
    const rogue = await mqtt.connectAsync(broker.url, { clientId: 'hardening-rogue', reconnectPeriod: 0 });
    const rogueClosed = new Promise<void>((resolve) => rogue.once('close', () => resolve()));
    rogue.publish(`/picoclaw/${AGENT}/a\u0001b/request`, JSON.stringify({ text: 'hi' }));
    await rogueClosed;
    rogue.end(true);
    await oneRequest(good, 'good-device', Buffer.from(JSON.stringify({ text: 'third' })));
    const status = (await (await fetch(`http://127.0.0.1:${port}/status`, { headers: { authorization: `Bearer ${controlToken}` } })).json()) as { channels: { name: string; state: string }[] };
    expect(status.channels.find((c) => c.name === 'mqtt')?.state).toBe('running');
    expect(alive()).toBe(true);
    expect(await health()).toBe(200);
    await good.endAsync();
    await attacker.endAsync();
  });
});

// ── HTTP ────────────────────────────────────────────────────────────────────────────────────────

const knownPaths = ['/health', '/ready', '/status', '/reload', '/models/test', '/mcp/test', '/mcp/x/call', '/mcp/x/retry', '/mcp/%ff/retry', '/sessions', '/sessions/abc', '/sessions/%E0%A4%A', '/pico/ws', '/', '//status', '/status/', '/%2e%2e/status'];
const token = fc.oneof(fc.constant('valid'), fc.constant('none'), fc.constant('Bearer wrong'), fc.string({ unit: 'grapheme-ascii', maxLength: 40 }));
const headerName = fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/);
// Mostly well-formed requests (so they reach the routes), some malformed ones (the parser).
const httpRequest = fc.record({
  method: fc.oneof({ arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND'), weight: 8 }, { arbitrary: fc.stringMatching(/^[A-Z]{1,10}$/), weight: 1 }, { arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 8 }), weight: 1 }),
  path: fc.oneof({ arbitrary: fc.constantFrom(...knownPaths), weight: 6 }, { arbitrary: fc.webPath(), weight: 3 }, { arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 40 }), weight: 1 }),
  query: fc.oneof(fc.constant(''), fc.webQueryParameters().map((q) => `?${q}`)),
  auth: token,
  headers: fc.array(fc.tuple(headerName, fc.oneof({ arbitrary: fc.stringMatching(/^[\x21-\x7e]{0,60}$/), weight: 4 }, { arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 60 }), weight: 1 })), { maxLength: 6 }),
  body: fc.oneof(fc.constant(''), fc.json({ maxDepth: 3 }), fc.string({ unit: 'binary', maxLength: 200 })),
});

describe('HTTP API', () => {
  const statuses = new Map<number, number>();
  const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);

  it('answers random methods, paths, headers and bodies with a status below 500', async () => {
    await fc.assert(
      fc.asyncProperty(httpRequest, async (r) => {
        const body = Buffer.from(r.body);
        const auth = r.auth === 'valid' ? `Bearer ${controlToken}` : r.auth === 'none' ? undefined : r.auth;
        const lines = [`${r.method} ${r.path}${r.query} HTTP/1.1`, `host: 127.0.0.1:${port}`, ...r.headers.filter(([k]) => !/^(content-length|transfer-encoding|connection|host|expect|upgrade)$/i.test(k)).map(([k, v]) => `${k}: ${v}`)];
        if (auth !== undefined) lines.push(`authorization: ${auth}`);
        if (body.length) lines.push('content-type: application/json', `content-length: ${body.length}`);
        lines.push('connection: close');
        const response = await rawHttp(port, Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]), { timeoutMs: 10_000 });
        count(response.status);
        // No answer at all is acceptable only if the server closed the connection (e.g. CONNECT).
        expect(response.closed, JSON.stringify(r)).toBe(true);
        expect(response.status, `${JSON.stringify(r)} → ${response.head}`).toBeLessThan(500);
        if (response.status && r.auth !== 'valid' && /^\/(status|reload|sessions)/.test(r.path)) expect(response.status).not.toBe(200);
      }),
      { numRuns: 250, interruptAfterTimeLimit: 12_000 },
    );
    console.log(`http fuzz statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(50);
  });

  it('refuses huge headers, oversized and malformed bodies with 4xx', async () => {
    const request = (head: string, body: Buffer | string = '') => rawHttp(port, Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(body)]), { timeoutMs: 10_000 });
    const auth = `authorization: Bearer ${controlToken}\r\n`;
    // 100 kB in one header: past node's 16 kB header limit (the gateway's clientError handler
    // answers 400 rather than node's 431).
    expect([400, 431]).toContain((await request(`GET /health HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(100_000)}\r\nconnection: close\r\n\r\n`)).status);
    // Many small headers: node keeps the first 2000 (maxHeadersCount); answered normally.
    const many = await request(`GET /health HTTP/1.1\r\nhost: x\r\n${Array.from({ length: 3000 }, (_, i) => `x-h${i}: v\r\n`).join('')}connection: close\r\n\r\n`);
    expect(many.status).toBeGreaterThan(0);
    expect(many.status).toBeLessThan(500);
    // A control body past its 256 kB limit.
    const big = Buffer.from(JSON.stringify({ model: 'm', pad: 'p'.repeat(300_000) }));
    expect((await request(`POST /models/test HTTP/1.1\r\nhost: x\r\n${auth}content-type: application/json\r\ncontent-length: ${big.length}\r\nconnection: close\r\n\r\n`, big)).status).toBe(413);
    const chunked = `POST /models/test HTTP/1.1\r\nhost: x\r\n${auth}transfer-encoding: chunked\r\nconnection: close\r\n\r\n`;
    expect((await request(chunked, `${(300_000).toString(16)}\r\n${'q'.repeat(300_000)}\r\n0\r\n\r\n`)).status).toBe(413);
    // Without the token, the same body is refused before it is read.
    expect((await request(`POST /models/test HTTP/1.1\r\nhost: x\r\ncontent-length: ${big.length}\r\nconnection: close\r\n\r\n`, big)).status).toBe(401);
    // 5 MB to an open route that reads no body: answered, body drained or connection closed.
    const five = Buffer.alloc(5 * 1024 * 1024, 0x7b);
    const drained = await request(`POST /health HTTP/1.1\r\nhost: x\r\ncontent-length: ${five.length}\r\nconnection: close\r\n\r\n`, five);
    // (The 405 may be lost to a TCP reset when the server closes while we are still writing.)
    expect(drained.closed).toBe(true);
    expect([0, 405]).toContain(drained.status);
    expect(await health()).toBe(200);
    // Malformed framing: invalid chunk size, both content-length and chunked, bad JSON, bad content-length.
    expect((await request(chunked, 'zz\r\nabc\r\n0\r\n\r\n')).status).toBe(400);
    expect((await request(`POST /models/test HTTP/1.1\r\nhost: x\r\n${auth}content-length: 4\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n`, '0\r\n\r\n')).status).toBe(400);
    expect((await request(`POST /models/test HTTP/1.1\r\nhost: x\r\n${auth}content-length: 5\r\nconnection: close\r\n\r\n`, '{"a":')).status).toBe(400);
    expect((await request(`POST /models/test HTTP/1.1\r\nhost: x\r\n${auth}content-length: -1\r\nconnection: close\r\n\r\n`)).status).toBe(400);
    expect((await request('\x00\x01\x02 garbage \xff\r\n\r\n')).status).toBe(400);
    // The WebSocket path refuses bad upgrades.
    expect((await request(`GET /pico/ws HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n`)).status).toBe(401);
    expect((await request(`GET /pico/ws HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-protocol: token.${PICO_TOKEN}\r\n\r\n`)).status).toBe(400);
    expect((await rawGet(port, '/nope')).status).toBe(404);
  });

  // Was DEFECT G1 (FINDINGS.md, fixed): `new URL(req.url, base)` throws for request targets such as `//` or
  // `//:99/x`; route() turns that into a 500 instead of a 400.
  it('answers unparsable request targets such as `//` with 400 or 404, not 500', async () => {
    for (const path of ['//', '//:99/x']) expect([400, 404]).toContain((await rawGet(port, path)).status);
  });

  // Was DEFECT G2 (FINDINGS.md, fixed): decodeURIComponent() on /sessions/<key> and /mcp/<name>/… throws
  // URIError for malformed escapes; the answer is 500 instead of 400.
  it('answers malformed %-escapes in control paths with 400, not 500', async () => {
    const auth = { authorization: `Bearer ${controlToken}` };
    expect((await rawGet(port, '/sessions/%E0%A4%A', auth)).status).toBe(400);
    expect((await rawHttp(port, `POST /mcp/%ff/retry HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${controlToken}\r\nconnection: close\r\n\r\n`)).status).toBe(400);
  });

  // Was DEFECT G3 (FINDINGS.md, fixed): the same `new URL()` in the server's 'upgrade' listener throws
  // synchronously: one unauthenticated request kills the gateway process (exit 1).
  it('survives a WebSocket upgrade request for `//`', async () => {
    const response = await rawHttp(port, 'GET // HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n');
    expect([400, 404]).toContain(response.status);
    await new Promise((r) => setTimeout(r, 300));
    expect(alive()).toBe(true);
  });

  // Was: JSON.parse takes any depth, and what comes after recurses: an MCP test call with
  // 40,000-deep arguments answered "Maximum call stack size exceeded" (the SDK's JSON.stringify).
  it('answers JSON nested 100,000 deep on the control endpoints with 400 and a clear message', async () => {
    const deep = Buffer.from('['.repeat(100_000) + ']'.repeat(100_000));
    const deepArgs = Buffer.from(`{"tool":"t","arguments":${'{"a":'.repeat(40_000)}1${'}'.repeat(40_000)}}`);
    for (const [method, path, body] of [['POST', '/models/test', deep], ['POST', '/mcp/test', deep], ['POST', '/mcp/x/call', deepArgs], ['PATCH', '/sessions/abc', deep]] as const) {
      const head = `${method} ${path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${controlToken}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`;
      const r = await rawHttp(port, Buffer.concat([Buffer.from(head), body]), { timeoutMs: 10_000 });
      expect(r.status, `${method} ${path}`).toBe(400);
      expect(r.body).toMatch(/nested more than 64 levels deep/);
    }
    expect(alive()).toBe(true);
  });

  it('is still alive and logged no internal error', async () => {
    expect(alive()).toBe(true);
    expect(await health()).toBe(200);
    expect(gateway.output().split('\n').filter((l) => /request \S+ \S+ failed|uncaught|unhandled/i.test(l))).toEqual([]);
    // The secrets of this home never reached its output or its log file.
    const log = await readFile(join(home, 'logs', 'gateway.log'), 'utf8');
    for (const secret of [PICO_TOKEN, API_KEY, controlToken]) {
      expect(gateway.output()).not.toContain(secret);
      expect(log).not.toContain(secret);
    }
  });
});

// ── config.json ─────────────────────────────────────────────────────────────────────────────────

const validConfig = JSON.stringify({
  version: 3,
  agents: { defaults: { model_name: 'm', temperature: 0.7 } },
  model_list: [{ model_name: 'm', model: 'mistral/mistral-small-latest', api_keys: ['[NOT_HERE]'] }],
  channel_list: { pico: { enabled: true, type: 'pico', settings: { token: '[NOT_HERE]' } }, mqtt: { enabled: false, type: 'mqtt', settings: { broker: 'tcp://127.0.0.1:1883', agent_id: 'a' } } },
  gateway: { port: 18790, log_level: 'info' },
  tools: { mcp: { enabled: true, servers: { ha: { type: 'http', url: 'http://127.0.0.1:1/api/mcp' } } } },
}, null, 2);

const keys = ['version', 'agents', 'model_list', 'channel_list', 'gateway', 'tools', 'defaults', 'model_name', 'settings', 'type', 'port', 'token', 'servers', 'api_keys', '__proto__', 'constructor'];
const structured = fc.oneof(
  // Garbage bytes and strings.
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.string({ unit: 'binary', maxLength: 300 }).map((s) => Buffer.from(s)),
  // The valid file cut anywhere, or with a byte replaced.
  fc.nat().map((n) => Buffer.from(validConfig.slice(0, n % validConfig.length))),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([n, b]) => {
    const buf = Buffer.from(validConfig);
    buf[n % buf.length] = b;
    return buf;
  }),
  // Known keys with values of any type.
  fc.dictionary(fc.constantFrom(...keys), fc.anything({ maxDepth: 3 }), { maxKeys: 5 }).map((o) => Buffer.from(JSON.stringify(o))),
  fc.record({ version: fc.anything({ maxDepth: 1 }), agents: fc.record({ defaults: fc.dictionary(fc.constantFrom('model_name', 'temperature', 'max_tokens'), fc.anything({ maxDepth: 1 })) }), gateway: fc.dictionary(fc.constantFrom('port', 'host', 'log_level'), fc.anything({ maxDepth: 1 })), channel_list: fc.dictionary(fc.string({ maxLength: 5 }), fc.record({ type: fc.constantFrom('pico', 'mqtt', 'telegram', 'nope'), enabled: fc.anything({ maxDepth: 0 }), settings: fc.anything({ maxDepth: 2 }) }, { requiredKeys: [] })) }, { requiredKeys: [] }).map((o) => Buffer.from(JSON.stringify(o))),
  // Deep nesting and a byte-order mark.
  fc.integer({ min: 1, max: 3000 }).map((n) => Buffer.from(`{"agents":${'['.repeat(n)}${']'.repeat(n)}}`)),
  fc.constant(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(validConfig)])),
);

describe('config.json through `picoclaw config validate`', () => {
  const stats = { runs: 0, valid: 0, refused: 0 };

  it('exits 78 with a message (or 0 if the content is valid), never a crash, and leaves the file unchanged', async () => {
    const dir = await tempHome('config');
    homes.push(dir);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(structured, async (content) => {
        stats.runs++;
        const caseHome = join(dir, String(++n));
        await rm(caseHome, { recursive: true, force: true });
        await execa('mkdir', ['-p', caseHome]);
        const file = join(caseHome, 'config.json');
        await writeFile(file, content);
        const before = await readdir(caseHome);
        const result = await execa(process.execPath, [gatewayBundle, 'config', 'validate'], { cwd: root, reject: false, extendEnv: false, env: { PATH: process.env.PATH, HOME: caseHome, PICOCLAW_HOME: caseHome }, timeout: 15_000 });
        const output = `${result.stdout}\n${result.stderr}`;
        expect([0, 78], output).toContain(result.exitCode);
        expect(output).not.toMatch(STACK_LINE);
        expect(output).not.toMatch(/(TypeError|RangeError|ReferenceError|SyntaxError): /);
        if (result.exitCode === 78) {
          stats.refused++;
          expect(result.stderr).toMatch(/config\.json/);
        } else {
          stats.valid++;
          expect(result.stdout).toMatch(/valid/);
        }
        expect(Buffer.compare(await readFile(file), content)).toBe(0);
        expect(await readdir(caseHome)).toEqual(before);
      }),
      { numRuns: 20, interruptAfterTimeLimit: 12_000 },
    );
    console.log(`config validate: ${stats.runs} files (${stats.refused} refused with 78, ${stats.valid} valid)`);
    expect(stats.refused).toBeGreaterThan(0);
  }, 30_000);

  // Was DEFECT C1 (FINDINGS.md, fixed): jsonc-parser's parseTree recurses once per nesting level; loadConfig
  // lets the RangeError escape, so the CLI exits 1 ("Maximum call stack size exceeded") instead of
  // 78, and `picoclaw gateway` under the launcher is restarted as a crash instead of a config error.
  it('refuses a deeply nested config.json with exit 78', async () => {
    const dir = await tempHome('config-deep');
    homes.push(dir);
    const content = `{"agents":${'['.repeat(5_000)}${']'.repeat(5_000)}}`;
    await writeFile(join(dir, 'config.json'), content);
    const result = await execa(process.execPath, [gatewayBundle, 'config', 'validate'], { cwd: root, reject: false, extendEnv: false, env: { PATH: process.env.PATH, HOME: dir, PICOCLAW_HOME: dir } });
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toMatch(/config\.json/);
    expect(await readFile(join(dir, 'config.json'), 'utf8')).toBe(content);
  });
});
