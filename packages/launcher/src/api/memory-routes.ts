/**
 * Memory (MEMORY.md and the daily notes) for the dashboard: a thin proxy to the gateway's
 * `/memory` API, which owns the files, keeps the previous version of each change and answers with
 * sentences a user can act on. The launcher checks what it can without the gateway (a running
 * gateway, a well-formed file name, a string body under the size cap) so that nothing else
 * reaches the gateway's URL space.
 */
import type { Response, Router } from 'express';
import { gatewayProxy, type GatewayProxyDeps } from './gateway-proxy.js';

/** MEMORY.md or a daily note YYYYMM/YYYYMMDD.md (the gateway checks the date). */
const NAME = /^(MEMORY\.md|\d{6}\/\d{8}\.md)$/;
const VERSION = /^(MEMORY\.md|\d{6}-\d{8}\.md)\.\d{8}T\d{9}Z(-\d{4})?$/;
/** The gateway's cap on a memory file (memory-store.ts MAX_FILE_BYTES). */
const MAX_FILE_BYTES = 128 * 1024;

export type MemoryRoutesDeps = GatewayProxyDeps;

export function memoryRoutes(deps: MemoryRoutesDeps): Router {
  const { router, forward } = gatewayProxy(deps, '/api/memory', 'see and edit the memory');
  const nameOf = (raw: unknown, res: Response): string | undefined => {
    if (typeof raw === 'string' && NAME.test(raw)) return raw;
    res.status(400).json({ error: 'invalid memory file name: MEMORY.md or a daily note YYYYMM/YYYYMMDD.md' });
    return undefined;
  };

  router.get('/api/memory', (_req, res) => forward(res, '/memory', 'GET'));
  router.get('/api/memory/search', async (req, res) => {
    const q = req.query.q;
    if (typeof q !== 'string' || !q.trim() || q.length > 500) return void res.status(400).json({ error: 'give the words to search for (at most 500 characters): ?q=…' });
    const limit = typeof req.query.limit === 'string' && /^\d{1,2}$/.test(req.query.limit) ? `&limit=${req.query.limit}` : '';
    await forward(res, `/memory/search?q=${encodeURIComponent(q)}${limit}`, 'GET');
  });
  router.get('/api/memory/file', async (req, res) => {
    const name = nameOf(req.query.name, res);
    if (!name) return;
    // A kept version: `<name with - for />.<UTC time>` (memory-store.ts); the gateway reads only one it listed.
    const version = req.query.version;
    if (version !== undefined && (typeof version !== 'string' || !VERSION.test(version))) return void res.status(400).json({ error: 'invalid version name' });
    await forward(res, `/memory/file?name=${encodeURIComponent(name)}${version ? `&version=${encodeURIComponent(version)}` : ''}`, 'GET');
  });
  router.put('/api/memory/file', async (req, res) => {
    const name = nameOf(req.query.name, res);
    if (!name) return;
    const content = (req.body as { content?: unknown } | undefined)?.content;
    if (typeof content !== 'string') return void res.status(400).json({ error: 'the body must be {"content": "<the whole file>"}' });
    if (Buffer.byteLength(content) > MAX_FILE_BYTES) return void res.status(413).json({ error: `the file is ${Buffer.byteLength(content)} bytes; a memory file holds at most ${MAX_FILE_BYTES}` });
    await forward(res, `/memory/file?name=${encodeURIComponent(name)}`, 'PUT', { content });
  });
  return router;
}
