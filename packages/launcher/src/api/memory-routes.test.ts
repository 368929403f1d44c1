import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryRoutes } from './memory-routes.js';

interface Call { path: string; method: string; body?: unknown }

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** The routes on a real HTTP server, behind the launcher's JSON parser, with a recording gateway. */
async function start(options: { running?: boolean; unreachable?: boolean } = {}) {
  const calls: Call[] = [];
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  app.use(memoryRoutes({
    running: () => options.running ?? true,
    gateway: async (path, method, body) => {
      if (options.unreachable) throw new Error('connect ECONNREFUSED');
      calls.push({ path, method, ...(body !== undefined ? { body } : {}) });
      return { status: 200, body: { path } };
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

describe('memory routes', () => {
  it('forward list, search, read and save to the gateway', async () => {
    const { calls, call } = await start();
    expect(await call('/api/memory')).toEqual({ status: 200, body: { path: '/memory' } });
    expect(await call('/api/memory/search?q=boiler%20service&limit=5')).toEqual({ status: 200, body: { path: '/memory/search?q=boiler%20service&limit=5' } });
    expect(await call('/api/memory/file?name=202612%2F20261206.md')).toEqual({ status: 200, body: { path: '/memory/file?name=202612%2F20261206.md' } });
    expect(await call('/api/memory/file?name=MEMORY.md&version=MEMORY.md.20261206T093000000Z-0001')).toEqual({ status: 200, body: { path: '/memory/file?name=MEMORY.md&version=MEMORY.md.20261206T093000000Z-0001' } });
    expect((await call('/api/memory/file?name=MEMORY.md', 'PUT', { content: '# Memory\n' })).status).toBe(200);
    expect(calls.at(-1)).toEqual({ path: '/memory/file?name=MEMORY.md', method: 'PUT', body: { content: '# Memory\n' } });
  });

  it('refuse, without asking the gateway, other names, a missing query, a non-string or oversized body', async () => {
    const { calls, call } = await start();
    for (const name of ['..%2Fconfig.json', 'MEMORY.md%2F..%2F..%2Fconfig.json', '.history%2FMEMORY.md.1', '%2Fetc%2Fpasswd', '']) {
      expect((await call(`/api/memory/file?name=${name}`)).status).toBe(400);
      expect((await call(`/api/memory/file?name=${name}`, 'PUT', { content: 'x' })).status).toBe(400);
    }
    expect((await call('/api/memory/file?name=MEMORY.md&name=x')).status).toBe(400);
    for (const version of ['..%2F..%2Fconfig.json', 'MEMORY.md.1', '.history%2FMEMORY.md.20261206T093000000Z']) expect((await call(`/api/memory/file?name=MEMORY.md&version=${version}`)).status).toBe(400);
    expect((await call('/api/memory/search')).status).toBe(400);
    expect((await call(`/api/memory/search?q=${'a'.repeat(501)}`)).status).toBe(400);
    expect((await call('/api/memory/file?name=MEMORY.md', 'PUT', { content: 42 })).status).toBe(400);
    expect(await call('/api/memory/file?name=MEMORY.md', 'PUT', { content: 'x'.repeat(128 * 1024 + 1) })).toMatchObject({ status: 413 });
    expect(calls).toEqual([]);
  });

  it('say when the gateway is stopped or does not answer', async () => {
    expect(await (await start({ running: false })).call('/api/memory')).toEqual({ status: 503, body: { error: 'the gateway is not running: start it to see and edit the memory' } });
    await new Promise((resolve) => server?.close(resolve));
    expect(await (await start({ unreachable: true })).call('/api/memory')).toEqual({ status: 502, body: { error: 'the gateway did not answer: connect ECONNREFUSED' } });
  });
});
