import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpRequest, requestJson } from './http-request.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('httpRequest', () => {
  it('an abort after the answer was read leaves the pooled keep-alive socket alone', async () => {
    const sockets = new Set<unknown>();
    const url = await listen((req, res) => {
      sockets.add(req.socket);
      res.end('ok');
    });
    const first = new AbortController();
    expect(await (await httpRequest(url, { method: 'GET', headers: {}, signal: first.signal })).text()).toBe('ok');
    first.abort();
    // The same socket serves the next request: the late abort did not destroy it.
    expect(await (await httpRequest(url, { method: 'GET', headers: {}, signal: new AbortController().signal })).text()).toBe('ok');
    expect(sockets.size).toBe(1);
  });

  it('an abort while the body arrives fails the reader; one before the answer rejects the call', async () => {
    const url = await listen((req, res) => {
      if (req.url === '/slow-headers') return;
      res.writeHead(200).write('part');
    });
    const reading = new AbortController();
    const response = await httpRequest(`${url}/body`, { method: 'GET', headers: {}, signal: reading.signal });
    const text = response.text();
    reading.abort();
    await expect(text).rejects.toThrow(/aborted/);
    const waiting = new AbortController();
    const call = httpRequest(`${url}/slow-headers`, { method: 'GET', headers: {}, signal: waiting.signal });
    setTimeout(() => waiting.abort(), 20);
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    await expect(httpRequest(url, { headers: {}, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('requestJson sends JSON and returns the status with the parsed body', async () => {
    const url = await listen(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      res.writeHead(req.method === 'POST' ? 201 : 204, { 'content-type': 'application/json' });
      res.end(req.method === 'POST' ? JSON.stringify({ got: JSON.parse(Buffer.concat(chunks).toString()), type: req.headers['content-type'] }) : '');
    });
    expect(await requestJson(url, { method: 'POST', body: { a: 1 }, signal: AbortSignal.timeout(5000) })).toEqual({ status: 201, ok: true, body: { got: { a: 1 }, type: 'application/json' } });
    expect(await requestJson(url, { signal: AbortSignal.timeout(5000) })).toEqual({ status: 204, ok: true, body: undefined });
  });
});
