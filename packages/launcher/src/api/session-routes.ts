/** The dashboard's conversations (pico sessions), read from the gateway's session store. */
import { Router } from 'express';

const SESSION_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
/** The gateway's MAX_SEARCH_QUERY: longer searches are refused here, before they reach it. */
const MAX_SEARCH = 200;

export function sessionRoutes(deps: { gateway(path: string, method: string, body?: unknown): Promise<{ status: number; body: unknown }>; running(): boolean }): Router {
  const router = Router();
  router.use('/api/sessions', (_req, res, next) => {
    if (deps.running()) next();
    else res.status(503).json({ error: 'the gateway is not running' });
  });
  router.get('/api/sessions', async (_req, res) => {
    const { status, body } = await deps.gateway('/sessions?prefix=pico%3A', 'GET');
    const sessions = ((body as { sessions?: { key: string }[] }).sessions ?? []).map((s) => ({ ...s, id: s.key.slice('pico:'.length) }));
    res.status(status).json({ sessions });
  });
  /**
   * The conversation search: the text of `q` in a pico conversation's title or messages (the
   * gateway's GET /sessions/search, pico sessions only, at most 20). Before the /:id routes,
   * which would take "search" for an id.
   */
  router.get('/api/sessions/search', async (req, res) => {
    const q = req.query.q;
    if (typeof q !== 'string' || !q.trim()) return void res.status(400).json({ error: 'send q=<text to find>' });
    if (q.trim().length > MAX_SEARCH) return void res.status(400).json({ error: `the search text is at most ${MAX_SEARCH} characters` });
    const { status, body } = await deps.gateway(`/sessions/search?${new URLSearchParams({ prefix: 'pico:', q: q.trim(), limit: '20' }).toString()}`, 'GET');
    if (status !== 200) return void res.status(status).json(body);
    const found = body as { results?: { key: string }[]; truncated?: boolean };
    const results = (found.results ?? []).filter((r) => r.key.startsWith('pico:')).map((r) => ({ ...r, id: r.key.slice('pico:'.length) }));
    res.json({ results, truncated: found.truncated === true });
  });
  for (const method of ['GET', 'DELETE', 'PATCH'] as const) {
    router[method.toLowerCase() as 'get' | 'delete' | 'patch']('/api/sessions/:id', async (req, res) => {
      if (!SESSION_ID.test(req.params.id)) return void res.status(400).json({ error: 'invalid session id' });
      const { status, body } = await deps.gateway(`/sessions/${encodeURIComponent(`pico:${req.params.id}`)}`, method, method === 'PATCH' ? req.body : undefined);
      res.status(status).json(body);
    });
  }
  return router;
}
