import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { scheduleRoutes } from './schedule-routes.js';

interface Call { path: string; method: string; body?: unknown }

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** The routes on a real HTTP server, before the same JSON parser the launcher uses, with a recording gateway. */
async function start(options: { running?: boolean; answer?: (call: Call) => { status: number; body: unknown } } = {}) {
  const calls: Call[] = [];
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  app.use(scheduleRoutes({
    running: () => options.running ?? true,
    gateway: async (path, method, body) => {
      const call = { path, method, ...(body !== undefined ? { body } : {}) };
      calls.push(call);
      return options.answer?.(call) ?? { status: 200, body: { ok: true } };
    },
  }));
  app.use('/api', (req, res) => void res.status(404).json({ error: `no route ${req.method} ${req.path}` }));
  app.use((error: Error & { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => void res.status(error.status ?? 500).json({ error: error.message }));
  server = createServer(app);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = async (path: string, method = 'GET', body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return { calls, call };
}

const ID = '0123456789abcdef';

describe('schedule routes', () => {
  it('forward each route to the gateway with its method and body, keeping the status code', async () => {
    const { calls, call } = await start({
      answer: ({ path, method }) =>
        method === 'POST' && path === '/schedules' ? { status: 201, body: { job: { id: ID } } }
        : path.endsWith('/run') ? { status: 202, body: { status: 'started' } }
        : method === 'DELETE' ? { status: 200, body: { status: 'deleted' } }
        : { status: 200, body: { path } },
    });
    const job = { message: 'take the bins out', schedule: { kind: 'cron', expr: '0 20 * * 2', tz: 'Europe/Madrid' }, channel: 'pico', to: 'web-1' };
    expect(await call('/api/schedules')).toEqual({ status: 200, body: { path: '/schedules' } });
    expect(await call('/api/schedules', 'POST', job)).toEqual({ status: 201, body: { job: { id: ID } } });
    expect((await call('/api/schedules/preview', 'POST', { schedule: job.schedule })).status).toBe(200);
    expect(await call('/api/schedules/targets')).toEqual({ status: 200, body: { path: '/schedules/targets' } });
    expect(await call('/api/schedules/heartbeat', 'POST')).toEqual({ status: 200, body: { path: '/schedules/heartbeat' } });
    expect(await call(`/api/schedules/${ID}`)).toEqual({ status: 200, body: { path: `/schedules/${ID}` } });
    expect((await call(`/api/schedules/${ID}`, 'PATCH', { enabled: false })).status).toBe(200);
    expect(await call(`/api/schedules/${ID}/run`, 'POST')).toEqual({ status: 202, body: { status: 'started' } });
    expect(await call(`/api/schedules/${ID}`, 'DELETE')).toEqual({ status: 200, body: { status: 'deleted' } });
    expect(calls).toEqual([
      { path: '/schedules', method: 'GET' },
      { path: '/schedules', method: 'POST', body: job },
      { path: '/schedules/preview', method: 'POST', body: { schedule: job.schedule } },
      { path: '/schedules/targets', method: 'GET' },
      { path: '/schedules/heartbeat', method: 'POST' },
      { path: `/schedules/${ID}`, method: 'GET' },
      { path: `/schedules/${ID}`, method: 'PATCH', body: { enabled: false } },
      { path: `/schedules/${ID}/run`, method: 'POST', body: {} },
      { path: `/schedules/${ID}`, method: 'DELETE' },
    ]);
  });

  it("pass the gateway's refusals through: its sentence reaches the dashboard", async () => {
    const { call } = await start({ answer: () => ({ status: 400, body: { error: 'unknown time zone "Mars/Olympus": use an IANA name such as Europe/Madrid' } }) });
    expect(await call('/api/schedules', 'POST', { message: 'x' })).toEqual({ status: 400, body: { error: 'unknown time zone "Mars/Olympus": use an IANA name such as Europe/Madrid' } });
  });

  it('answer 503 and call nothing while the gateway is not running', async () => {
    const { calls, call } = await start({ running: false });
    for (const [path, method] of [['/api/schedules', 'GET'], ['/api/schedules', 'POST'], ['/api/schedules/targets', 'GET'], [`/api/schedules/${ID}/run`, 'POST'], [`/api/schedules/${ID}`, 'DELETE']] as const) {
      const answer = await call(path, method, method === 'POST' ? {} : undefined);
      expect(answer.status, `${method} ${path}`).toBe(503);
      expect(answer.body.error).toMatch(/gateway is not running/);
    }
    expect(calls).toEqual([]);
  });

  it('refuse ids that are not 16 hex characters, so nothing else of the gateway can be reached', async () => {
    const { calls, call } = await start();
    for (const id of ['0123456789ABCDEF', '0123456789abcde', '0123456789abcdef0', '..%2F..%2Fstatus', '%2e%2e', 'g123456789abcdef', '0123456789abcde%0A']) {
      for (const [method, suffix] of [['GET', ''], ['PATCH', ''], ['DELETE', ''], ['POST', '/run']] as const) {
        const answer = await call(`/api/schedules/${id}${suffix}`, method, method === 'PATCH' ? {} : undefined);
        // 404 where fetch itself resolved a dot segment away.
        expect([400, 404], `${method} ${id}${suffix}`).toContain(answer.status);
      }
    }
    // Paths with more segments match no route at all.
    expect((await call(`/api/schedules/${ID}/../../reload`, 'POST')).status).toBe(404);
    expect((await call(`/api/schedules/${ID}%2F..%2F..%2Freload/run`, 'POST')).status).toBe(400);
    expect(calls).toEqual([]);
  });

  it('refuse bodies that are not a JSON object', async () => {
    const { calls, call } = await start();
    for (const body of ['[1,2]', '"text"', '42', 'null']) {
      expect((await call('/api/schedules', 'POST', body)).status, body).toBe(400);
      expect((await call(`/api/schedules/${ID}`, 'PATCH', body)).status, body).toBe(400);
      expect((await call('/api/schedules/preview', 'POST', body)).status, body).toBe(400);
    }
    expect(calls).toEqual([]);
  });

  it('answer 502 with the reason when the gateway cannot be reached in between', async () => {
    const { call } = await start({
      answer: () => {
        throw new Error('the gateway is not running (stopping)');
      },
    });
    expect(await call('/api/schedules')).toEqual({ status: 502, body: { error: 'the gateway did not answer: the gateway is not running (stopping)' } });
  });
});
