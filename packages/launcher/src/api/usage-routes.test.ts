import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { usageRoutes } from './usage-routes.js';

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  servers = [];
});

async function start(options: { running?: boolean; fail?: boolean } = {}) {
  const calls: { path: string; method: string }[] = [];
  const app = express();
  app.use(usageRoutes({
    running: () => options.running ?? true,
    gateway: async (path, method) => {
      if (options.fail) throw new Error('connect ECONNREFUSED');
      calls.push({ path, method });
      return { status: 200, body: { today: '2026-12-06', models: [] } };
    },
  }));
  app.use('/api', (req, res) => void res.status(404).json({ error: `no route ${req.method} ${req.path}` }));
  const server = createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = async (path: string, method = 'GET') => {
    const response = await fetch(`${base}${path}`, { method });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return { calls, call };
}

describe('usage routes', () => {
  it('forward GET /api/usage to the gateway with a checked days (30 by default)', async () => {
    const { calls, call } = await start();
    expect(await call('/api/usage')).toEqual({ status: 200, body: { today: '2026-12-06', models: [] } });
    expect(await call('/api/usage?days=7')).toMatchObject({ status: 200 });
    expect(calls).toEqual([{ path: '/usage?days=30', method: 'GET' }, { path: '/usage?days=7', method: 'GET' }]);
  });

  it('refuse a bad days without calling the gateway, and say when the gateway is down', async () => {
    const { calls, call } = await start();
    for (const q of ['0', '91', '7%26x=1', 'x', '1.5', '-3']) expect((await call(`/api/usage?days=${q}`)).status).toBe(400);
    expect((await call('/api/usage?days=1&days=2')).status).toBe(400);
    expect((await call('/api/usage', 'POST')).status).toBe(404);
    expect(calls).toEqual([]);
    expect(await (await start({ running: false })).call('/api/usage')).toMatchObject({ status: 503, body: { error: 'the gateway is not running: start it to see token usage' } });
    expect(await (await start({ fail: true })).call('/api/usage')).toEqual({ status: 502, body: { error: 'the gateway did not answer: connect ECONNREFUSED' } });
  });
});
