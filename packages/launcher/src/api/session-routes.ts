/** The dashboard's conversations (pico sessions), read from the gateway's session store. */
import { Router } from 'express';

const SESSION_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

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
  for (const method of ['GET', 'DELETE', 'PATCH'] as const) {
    router[method.toLowerCase() as 'get' | 'delete' | 'patch']('/api/sessions/:id', async (req, res) => {
      if (!SESSION_ID.test(req.params.id)) return void res.status(400).json({ error: 'invalid session id' });
      const { status, body } = await deps.gateway(`/sessions/${encodeURIComponent(`pico:${req.params.id}`)}`, method, method === 'PATCH' ? req.body : undefined);
      res.status(status).json(body);
    });
  }
  return router;
}
