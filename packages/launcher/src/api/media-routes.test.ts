import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makePng } from '@picoclaw/test-fakes';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { mediaRoutes } from './media-routes.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const png = makePng();
const NAME = `${'a'.repeat(32)}.png`;

/** A gateway that answers `/media/images/<NAME>` as the real one does, or as `answer` says; the launcher route in front. */
async function start(options: { token?: string; answer?: (req: IncomingMessage) => { status: number; type: string; body: Buffer | string } } = {}) {
  const seen: { url?: string; authorization?: string }[] = [];
  const gateway = await listen(createServer((req, res) => {
    seen.push({ url: req.url, authorization: req.headers.authorization });
    const answer = options.answer?.(req) ?? (req.url === `/media/images/${NAME}` ? { status: 200, type: 'image/png', body: png } : { status: 404, type: 'application/json', body: '{"error":"no such image"}' });
    res.writeHead(answer.status, { 'content-type': answer.type, 'content-length': Buffer.byteLength(answer.body) });
    res.end(req.method === 'HEAD' ? undefined : answer.body);
  }));
  const app = express();
  app.use(mediaRoutes({ gatewayUrl: () => gateway, token: () => ('token' in options ? options.token : 'gw-token') }));
  app.use('/api', (req, res) => void res.status(404).json({ error: `no route ${req.method} ${req.path}` }));
  return { seen, base: await listen(createServer(app)) };
}

describe('/api/media/images/<name>', () => {
  it("passes the gateway's image on with the gateway token, cached privately, nosniff, inline; HEAD too", async () => {
    const { seen, base } = await start();
    const answer = await fetch(`${base}/api/media/images/${NAME}`);
    expect(answer.status).toBe(200);
    expect(Object.fromEntries(['content-type', 'content-length', 'x-content-type-options', 'cache-control', 'content-disposition'].map((h) => [h, answer.headers.get(h)]))).toEqual({
      'content-type': 'image/png',
      'content-length': String(png.length),
      'x-content-type-options': 'nosniff',
      'cache-control': 'private, max-age=31536000, immutable',
      'content-disposition': 'inline',
    });
    expect(Buffer.from(await answer.arrayBuffer()).equals(png)).toBe(true);
    expect(seen).toEqual([{ url: `/media/images/${NAME}`, authorization: 'Bearer gw-token' }]);
    const head = await fetch(`${base}/api/media/images/${NAME}`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-type')]).toEqual([200, 'image/png']);
  });

  it('asks the gateway only for names its image store makes', async () => {
    const { seen, base } = await start();
    for (const name of ['..%2f..%2fconfig.json', `${'A'.repeat(32)}.png`, `${'a'.repeat(32)}.svg`, `${'a'.repeat(31)}.png`, `${NAME}.html`, 'x']) {
      const answer = await fetch(`${base}/api/media/images/${name}`);
      expect([name, answer.status]).toEqual([name, 404]);
    }
    expect(seen).toEqual([]);
  });

  it('404 when the gateway has no such image; 502 when it refuses or answers with something that is not an image; 503 when it is not running', async () => {
    expect((await fetch(`${(await start()).base}/api/media/images/${'b'.repeat(32)}.png`)).status).toBe(404);
    const refused = await fetch(`${(await start({ answer: () => ({ status: 401, type: 'application/json', body: '{}' }) })).base}/api/media/images/${NAME}`);
    expect([refused.status, await refused.json()]).toEqual([502, { error: 'the gateway answered HTTP 401' }]);
    const html = await fetch(`${(await start({ answer: () => ({ status: 200, type: 'text/html', body: '<script>alert(1)</script>' }) })).base}/api/media/images/${NAME}`);
    expect([html.status, html.headers.get('content-type'), await html.json()]).toEqual([502, 'application/json; charset=utf-8', { error: 'the gateway answered HTTP 200 with text/html' }]);
    const stopped = await fetch(`${(await start({ token: undefined })).base}/api/media/images/${NAME}`);
    expect([stopped.status, await stopped.json()]).toEqual([503, { error: 'the gateway is not running' }]);
  });
});
