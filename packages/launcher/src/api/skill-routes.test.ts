import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { skillRoutes } from './skill-routes.js';

interface Call { path: string; method: string; body?: unknown; timeoutMs?: number }

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function start(options: { running?: boolean; answer?: (call: Call) => { status: number; body: unknown }; fail?: boolean } = {}) {
  const calls: Call[] = [];
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  app.use(skillRoutes({
    running: () => options.running ?? true,
    gateway: async (path, method, body, timeoutMs) => {
      if (options.fail) throw new Error('connect ECONNREFUSED');
      const call = { path, method, ...(body !== undefined ? { body } : {}), ...(timeoutMs ? { timeoutMs } : {}) };
      calls.push(call);
      return options.answer?.(call) ?? { status: 200, body: { path } };
    },
  }));
  app.use('/api', (req, res) => void res.status(404).json({ error: `no route ${req.method} ${req.path}` }));
  server = createServer(app);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = async (path: string, method = 'GET', body?: unknown) => {
    const response = await fetch(`${base}${path}`, { method, ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return { calls, call };
}

describe('skill routes', () => {
  it('forward list, show, install (with a longer timeout) and remove to the gateway, keeping its status and sentence', async () => {
    const { calls, call } = await start({ answer: ({ path, method }) => (method === 'POST' ? { status: 422, body: { error: 'the github skill registry (https://github.com/a/b.git) could not be reached' } } : { status: 200, body: { path, method } }) });
    expect(await call('/api/skills')).toEqual({ status: 200, body: { path: '/skills', method: 'GET' } });
    expect(await call('/api/skills/weather')).toEqual({ status: 200, body: { path: '/skills/weather', method: 'GET' } });
    expect(await call('/api/skills/weather', 'DELETE')).toEqual({ status: 200, body: { path: '/skills/weather', method: 'DELETE' } });
    expect(await call('/api/skills/install', 'POST', { source: 'github:a/b', extra: 'dropped' })).toEqual({ status: 422, body: { error: 'the github skill registry (https://github.com/a/b.git) could not be reached' } });
    expect(calls.at(-1)).toEqual({ path: '/skills/install', method: 'POST', body: { source: 'github:a/b', force: false }, timeoutMs: 90_000 });
  });

  it('refuse what the gateway should never see, and say when the gateway is down', async () => {
    const { calls, call } = await start();
    expect((await call('/api/skills/..%2f..%2fstatus')).status).toBe(400);
    expect((await call('/api/skills/a_b', 'DELETE')).status).toBe(400);
    expect((await call('/api/skills/install', 'POST', { source: 42 })).status).toBe(400);
    expect((await call('/api/skills/install', 'POST', { source: 'x', registry: '../x' })).status).toBe(400);
    expect((await call('/api/skills/install', 'POST', ['x'])).status).toBe(400);
    expect(calls).toEqual([]);
    const down = await start({ running: false });
    expect(await down.call('/api/skills')).toMatchObject({ status: 503, body: { error: expect.stringContaining('the gateway is not running') } });
    const broken = await start({ fail: true });
    expect(await broken.call('/api/skills')).toEqual({ status: 502, body: { error: 'the gateway did not answer: connect ECONNREFUSED' } });
  });
});
