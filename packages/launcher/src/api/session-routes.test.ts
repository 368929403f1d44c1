import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { sessionRoutes } from './session-routes.js';

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  servers = [];
});

async function start(options: { running?: boolean; answer?: { status: number; body: unknown } } = {}) {
  const calls: { path: string; method: string }[] = [];
  const app = express();
  app.use(express.json());
  app.use(sessionRoutes({
    running: () => options.running ?? true,
    gateway: async (path, method) => {
      calls.push({ path, method });
      return options.answer ?? { status: 200, body: { results: [{ key: 'pico:web-1', title: 'Tomatoes', in: 'message', snippet: { before: 'never ', match: 'soggy', after: '' } }, { key: 'telegram:1', in: 'title', snippet: { before: '', match: 'x', after: '' } }], truncated: false } };
    },
  }));
  const server = createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = async (path: string) => {
    const response = await fetch(`${base}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return { calls, call };
}

describe('GET /api/sessions/search', () => {
  it('asks the gateway for pico conversations only (at most 20), with the text as a query parameter, and gives their ids', async () => {
    const { calls, call } = await start();
    expect(await call('/api/sessions/search?q=%20soggy%20%26prefix%3Dtelegram%3A')).toEqual({
      status: 200,
      body: { results: [{ key: 'pico:web-1', id: 'web-1', title: 'Tomatoes', in: 'message', snippet: { before: 'never ', match: 'soggy', after: '' } }], truncated: false },
    });
    // The text cannot add parameters of its own (prefix stays pico:).
    expect(calls).toEqual([{ path: '/sessions/search?prefix=pico%3A&q=soggy+%26prefix%3Dtelegram%3A&limit=20', method: 'GET' }]);
  });

  it('refuses an empty, repeated or too long text without asking the gateway; passes on its refusals; 503 when it is down', async () => {
    const { calls, call } = await start();
    expect(await call('/api/sessions/search')).toEqual({ status: 400, body: { error: 'send q=<text to find>' } });
    expect((await call('/api/sessions/search?q=%20%20')).status).toBe(400);
    expect((await call('/api/sessions/search?q=a&q=b')).status).toBe(400);
    expect(await call(`/api/sessions/search?q=${'x'.repeat(201)}`)).toEqual({ status: 400, body: { error: 'the search text is at most 200 characters' } });
    expect(calls).toEqual([]);
    expect((await call(`/api/sessions/search?q=${'x'.repeat(200)}`)).status).toBe(200);
    const refused = await start({ answer: { status: 501, body: { error: 'this session store cannot search conversations' } } });
    expect(await refused.call('/api/sessions/search?q=x')).toEqual({ status: 501, body: { error: 'this session store cannot search conversations' } });
    expect(await (await start({ running: false })).call('/api/sessions/search?q=x')).toEqual({ status: 503, body: { error: 'the gateway is not running' } });
  });
});
