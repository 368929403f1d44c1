import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { freePort, startFakeTelegram, startMosquitto, type FakeTelegram, type Mosquitto } from '@picoclaw/test-fakes';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setupRoutes } from './setup-routes.js';

let servers: Server[] = [];
let home: string;
let tg: FakeTelegram;
let broker: Mosquitto;
beforeAll(async () => {
  [tg, broker] = await Promise.all([startFakeTelegram({ username: 'kitchen_helper_bot' }), startMosquitto({ users: { house: 'broker-secret-pw' } })]);
});
afterAll(async () => {
  await Promise.all([tg?.close(), broker?.close()]);
});
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  servers = [];
  if (home) await rm(home, { recursive: true, force: true });
});

async function start(config: Record<string, unknown>, options: { security?: string; running?: boolean; timeoutMs?: number } = {}) {
  home = await mkdtemp(join(tmpdir(), 'picoclaw-setup-routes-'));
  await writeFile(join(home, 'config.json'), JSON.stringify(config));
  if (options.security) await writeFile(join(home, '.security.yml'), options.security, { mode: 0o600 });
  const forwarded: { path: string; method: string }[] = [];
  const app = express();
  app.use(express.json());
  app.use(setupRoutes({
    configPath: join(home, 'config.json'),
    home,
    timeoutMs: options.timeoutMs ?? 3_000,
    running: () => options.running ?? true,
    gateway: async (path, method) => {
      forwarded.push({ path, method });
      return { status: 200, body: { channel: 'telegram', refused: [{ id: 7001, username: 'owner', first_name: 'Ana', at: '2026-12-06T10:00:00.000Z' }] } };
    },
  }));
  const server = createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = async (path: string, body?: unknown, method = 'POST', signal?: AbortSignal) => {
    const response = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}), ...(signal ? { signal } : {}) });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown>, text };
  };
  return { call, forwarded };
}

const telegramAt = (url: string, extra: Record<string, unknown> = {}) => ({ channel_list: { telegram: { type: 'telegram', enabled: false, settings: { base_url: url, ...extra } } } });

describe('POST /api/setup/telegram/check', () => {
  it("asks Telegram's getMe at the configured Bot API base and answers the bot's name", async () => {
    const { call } = await start(telegramAt(tg.url));
    const before = tg.calls.length;
    expect(await call('/api/setup/telegram/check', { token: ` ${tg.token} ` })).toMatchObject({ status: 200, body: { ok: true, id: 1, username: 'kitchen_helper_bot' } });
    expect(tg.calls.slice(before).map((c) => c.method)).toEqual(['getMe']);
  });

  it('uses the stored token when none is sent (returning to the step)', async () => {
    const { call } = await start(telegramAt(tg.url), { security: `channel_list:\n  telegram:\n    settings:\n      token: "${tg.token}"\n` });
    expect(await call('/api/setup/telegram/check', {})).toMatchObject({ status: 200, body: { ok: true, username: 'kitchen_helper_bot' } });
  });

  it('says a rejected token is rejected, and never echoes the token', async () => {
    const { call } = await start(telegramAt(tg.url));
    const wrong = '999999:WRONG-secret-token-value';
    const answer = await call('/api/setup/telegram/check', { token: wrong });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ ok: false, error: expect.stringMatching(/^Telegram rejected this token \(401 Unauthorized\): copy it again from @BotFather/) });
    expect(answer.text).not.toContain('WRONG-secret');
    // Telegram's own error text comes back scrubbed of the token too.
    tg.failNext('getMe', { error_code: 500, description: `Internal: bot${tg.token} overloaded` });
    const failed = await call('/api/setup/telegram/check', { token: tg.token });
    expect(failed.body).toEqual({ ok: false, error: 'Telegram answered HTTP 500: Internal: bot<token> overloaded' });
    expect(failed.text).not.toContain(tg.token.split(':')[1]);
  });

  it('refuses what is not a token, and names a Bot API that cannot be reached', async () => {
    const { call } = await start(telegramAt(`http://127.0.0.1:${await freePort()}`));
    expect(await call('/api/setup/telegram/check', { token: 'hello' })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^this is not a bot token/) } });
    expect(await call('/api/setup/telegram/check', {})).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^paste the bot token/) } });
    expect(await call('/api/setup/telegram/check', ['x'])).toMatchObject({ status: 400 });
    const answer = await call('/api/setup/telegram/check', { token: '123:secret-value-xyz' });
    expect(answer.body).toEqual({ ok: false, error: expect.stringMatching(/^nothing is listening at 127\.0\.0\.1:\d+ \(connection refused\).*Telegram's Bot API must be reachable from this machine$/) });
    expect(answer.text).not.toContain('secret-value-xyz');
  });
});

describe('POST /api/setup/mqtt/check', () => {
  it('connects to the broker with the username and password, and says which part is wrong', async () => {
    const { call } = await start({});
    expect(await call('/api/setup/mqtt/check', { broker: broker.tcpUrl, username: 'house', password: 'broker-secret-pw' })).toEqual(expect.objectContaining({ status: 200, body: { ok: true, broker: `tcp://127.0.0.1:${broker.port}` } }));
    const wrong = await call('/api/setup/mqtt/check', { broker: broker.tcpUrl, username: 'house', password: 'not-the-password' });
    expect(wrong.body).toEqual({ ok: false, error: `the broker at 127.0.0.1:${broker.port} refused the username or password` });
    expect(wrong.text).not.toContain('not-the-password');
    expect((await call('/api/setup/mqtt/check', { broker: broker.tcpUrl })).body).toEqual({ ok: false, error: `the broker at 127.0.0.1:${broker.port} wants a username and password (it refused a connection without them)` });
    // The broker's log saw a connect and a clean disconnect, not a client left hanging.
    expect(broker.log()).toMatch(/picoclaw-setup-check-[0-9a-f]+/);
  });

  it('uses the stored credentials only for the stored broker', async () => {
    const security = 'channel_list:\n  mqtt:\n    settings:\n      username: "house"\n      password: "broker-secret-pw"\n';
    const { call } = await start({ channel_list: { mqtt: { type: 'mqtt', settings: { broker: broker.tcpUrl, agent_id: 'assistant' } } } }, { security });
    expect((await call('/api/setup/mqtt/check', { broker: broker.tcpUrl })).body).toMatchObject({ ok: true });
    // Another address: the stored password is not sent there.
    expect((await call('/api/setup/mqtt/check', { broker: broker.url })).body).toMatchObject({ ok: false });
  });

  it('refuses a URL that is not a broker, and names a broker that is not there', async () => {
    const { call } = await start({});
    for (const bad of ['localhost:1883', 'http://h:1883', '', 'tcp://']) {
      expect(await call('/api/setup/mqtt/check', { broker: bad })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^the broker must be a URL such as tcp:\/\//) } });
    }
    const port = await freePort();
    expect((await call('/api/setup/mqtt/check', { broker: `tcp://127.0.0.1:${port}` })).body).toEqual({ ok: false, error: expect.stringMatching(new RegExp(`^nothing is listening at 127\\.0\\.0\\.1:${port} \\(connection refused\\)`)) });
  });
  it('gives up when the browser goes away, not only after the timeout', async () => {
    // A "broker" that takes the connection and never answers.
    const sockets: { socket: Socket; closedAt?: number }[] = [];
    const silent = createTcpServer((socket) => {
      const entry: { socket: Socket; closedAt?: number } = { socket };
      sockets.push(entry);
      socket.on('close', () => (entry.closedAt = Date.now()));
      socket.on('error', () => {});
      socket.resume(); // reads (and drops) the CONNECT, so the client's close is seen
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { call } = await start({}, { timeoutMs: 8_000 });
      const port = (silent.address() as AddressInfo).port;
      const abort = new AbortController();
      const asked = Date.now();
      const request = call('/api/setup/mqtt/check', { broker: `tcp://127.0.0.1:${port}` }, 'POST', abort.signal).catch((e: Error) => e);
      await expect.poll(() => sockets.length).toBe(1);
      abort.abort();
      expect(await request).toBeInstanceOf(Error);
      await expect.poll(() => sockets[0]!.closedAt, { timeout: 3_000 }).toBeDefined();
      expect(sockets[0]!.closedAt! - asked).toBeLessThan(4_000);
    } finally {
      for (const { socket } of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('GET /api/channels/<name>/refused', () => {
  it("forwards to the gateway's channels API, and says to start the gateway when it is stopped", async () => {
    const { call, forwarded } = await start({});
    expect(await call('/api/channels/telegram/refused', undefined, 'GET')).toMatchObject({ status: 200, body: { refused: [{ id: 7001, username: 'owner' }] } });
    expect(forwarded).toEqual([{ path: '/channels/telegram/refused', method: 'GET' }]);
    expect((await call('/api/channels/bad%20name/refused', undefined, 'GET')).status).toBe(400);
    const stopped = await start({}, { running: false });
    expect(await stopped.call('/api/channels/telegram/refused', undefined, 'GET')).toMatchObject({ status: 503, body: { error: 'the gateway is not running: start it to see who wrote to the bot' } });
  });
});
