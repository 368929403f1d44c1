import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { channelTestRoutes } from './channel-test-routes.js';

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  servers = [];
});

async function start(options: { running?: boolean; fail?: boolean } = {}) {
  const calls: { path: string; method: string; body: unknown }[] = [];
  const app = express();
  app.use(express.json());
  app.use(channelTestRoutes({
    running: () => options.running ?? true,
    gateway: async (path, method, body) => {
      if (options.fail) throw new Error('connect ECONNREFUSED');
      calls.push({ path, method, body });
      const refused = (body as { chat_id: string }).chat_id === '999';
      return refused ? { status: 422, body: { error: 'telegram: chat 999 is not in allow_from (add it to channel_list.telegram.allow_from)' } } : { status: 200, body: { status: 'sent' } };
    },
  }));
  app.use('/api', (req, res) => void res.status(404).json({ error: `no route ${req.method} ${req.path}` }));
  const server = createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = async (path: string, body?: unknown, method = 'POST') => {
    const response = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return { calls, call };
}

describe('channel test routes', () => {
  it("forward a checked test message to the gateway and pass the channel's refusal back", async () => {
    const { calls, call } = await start();
    expect(await call('/api/channels/telegram/test', { chat_id: ' 42 ' })).toEqual({ status: 200, body: { status: 'sent' } });
    expect(await call('/api/channels/telegram/test', { chat_id: '999' })).toEqual({ status: 422, body: { error: 'telegram: chat 999 is not in allow_from (add it to channel_list.telegram.allow_from)' } });
    expect(calls).toEqual([
      { path: '/channels/telegram/test', method: 'POST', body: { chat_id: '42' } },
      { path: '/channels/telegram/test', method: 'POST', body: { chat_id: '999' } },
    ]);
  });

  it('refuse a bad request without calling the gateway, and say when the gateway is down', async () => {
    const { calls, call } = await start();
    expect((await call('/api/channels/telegram/test', {})).status).toBe(400);
    expect((await call('/api/channels/telegram/test', { chat_id: 42 })).status).toBe(400);
    expect((await call('/api/channels/telegram/test', [])).status).toBe(400);
    expect((await call('/api/channels/te%2Fle/test', { chat_id: '42' })).status).toBe(400);
    expect((await call('/api/channels/telegram/test', undefined, 'GET')).status).toBe(404);
    expect(calls).toEqual([]);
    expect(await (await start({ running: false })).call('/api/channels/telegram/test', { chat_id: '42' })).toMatchObject({ status: 503, body: { error: 'the gateway is not running: start it to send a test message' } });
    expect(await (await start({ fail: true })).call('/api/channels/telegram/test', { chat_id: '42' })).toEqual({ status: 502, body: { error: 'the gateway did not answer: connect ECONNREFUSED' } });
  });
});
