import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FeatureApi } from './feature-api.js';
import { createGatewayServer, type GatewayHandlers, type GatewayServer } from './gateway-server.js';

const TOKEN = 'feature-api-token';
let server: GatewayServer;
let base: string;
const calls: { method: string; path: string; query: string; body: unknown }[] = [];

beforeEach(async () => {
  calls.length = 0;
  const notes: FeatureApi = {
    bodies: ['POST'],
    maxBody: 64,
    handle: async (method, path, query, body) => {
      calls.push({ method, path, query: query.toString(), body });
      return { status: 200, body: { ok: true } };
    },
  };
  const unused = () => Promise.reject(new Error('not used in this test'));
  const handlers = { health: () => ({}), ready: () => ({ ok: true, body: { status: 'ready' } as never }), status: () => ({}), reload: unused, mcpRetry: () => false, testModel: unused, testMcp: unused, callMcp: unused, sessions: unused, image: async () => undefined, apis: { notes } } as GatewayHandlers;
  server = createGatewayServer({ token: TOKEN, handlers });
  base = `http://127.0.0.1:${(await server.listen('127.0.0.1', 0)).port}`;
});
afterEach(() => server.close());

const auth = { authorization: `Bearer ${TOKEN}` };

describe('feature APIs on the gateway server', () => {
  it('hand over the rest of the path, the query and the JSON body of the methods that take one', async () => {
    expect((await fetch(`${base}/notes/a/b?q=1`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${base}/notes`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"x":1}' })).status).toBe(200);
    // A body sent with a method that takes none is drained, not read.
    expect((await fetch(`${base}/notes/x`, { method: 'DELETE', headers: auth, body: '{"ignored":true}' })).status).toBe(200);
    expect(calls).toEqual([
      { method: 'GET', path: '/a/b', query: 'q=1', body: {} },
      { method: 'POST', path: '', query: '', body: { x: 1 } },
      { method: 'DELETE', path: '/x', query: '', body: {} },
    ]);
  });

  it('need the token, refuse a body past maxBody or not JSON, and know only their own names', async () => {
    expect((await fetch(`${base}/notes`)).status).toBe(401);
    const big = await fetch(`${base}/notes`, { method: 'POST', headers: auth, body: JSON.stringify({ text: 'x'.repeat(100) }) });
    expect(big.status).toBe(413);
    expect((await fetch(`${base}/notes`, { method: 'POST', headers: auth, body: '{oops' })).status).toBe(400);
    for (const path of ['/constructor', '/__proto__', '/hasOwnProperty', '/notesx', '/Notes']) expect((await fetch(`${base}${path}`, { headers: auth })).status, path).toBe(404);
    expect(calls).toEqual([]);
  });
});
