/**
 * `/api/media/images/<name>`: the images of the dashboard's conversations, fetched from the
 * gateway's `GET /media/images/<name>` with its token (behind the launcher's login like every
 * /api route). Only names the gateway's image store makes are asked for, and only an image type
 * is passed on: the browser gets a picture or a JSON error, never another kind of file.
 */
import { pipeline } from 'node:stream/promises';
import { httpRequest } from '@picoclaw/core';
import { Router } from 'express';

const NAME = /^[0-9a-f]{32}\.(jpg|png|gif|webp)$/;
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

export function mediaRoutes(deps: { gatewayUrl(): string; token(): string | undefined }): Router {
  const router = Router();
  // express answers HEAD with the GET route (without the body).
  router.get('/api/media/images/:name', async (req, res) => {
    const name = req.params.name;
    if (!NAME.test(name)) return void res.status(404).json({ error: 'no such image' });
    const token = deps.token();
    if (!token) return void res.status(503).json({ error: 'the gateway is not running' });
    // A browser that goes away stops the transfer from the gateway too.
    const abort = new AbortController();
    res.once('close', () => abort.abort());
    const answer = await httpRequest(`${deps.gatewayUrl()}/media/images/${name}`, {
      method: 'GET',
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.any([abort.signal, AbortSignal.timeout(60_000)]),
    }).catch((error: Error) => error);
    if (answer instanceof Error) return void (res.headersSent || res.status(502).json({ error: `Gateway unavailable: ${answer.message}` }));
    const type = answer.header('content-type') ?? '';
    if (answer.status !== 200 || !IMAGE_TYPES.has(type)) {
      await answer.text().catch(() => '');
      if (answer.status === 404) return void res.status(404).json({ error: 'no such image' });
      return void res.status(502).json({ error: `the gateway answered HTTP ${answer.status}${answer.status === 200 ? ` with ${type || 'no type'}` : ''}` });
    }
    res.status(200).set({
      'content-type': type,
      ...(answer.header('content-length') ? { 'content-length': answer.header('content-length') } : {}),
      'content-disposition': 'inline',
      'x-content-type-options': 'nosniff',
      // Named by their content: the bytes behind a name never change (and only this user may keep them).
      'cache-control': 'private, max-age=31536000, immutable',
    });
    await pipeline(answer.body, res).catch(() => res.destroy());
  });
  return router;
}
