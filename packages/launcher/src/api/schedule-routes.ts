/**
 * Schedules (reminders, cron jobs) for the dashboard: a thin proxy to the gateway's `/schedules`
 * API, which owns the jobs, validates them and answers with sentences a user can act on. The
 * launcher only checks what it can without the gateway (a running gateway, a well-formed job id,
 * a JSON object body) so that nothing else reaches the gateway's URL space.
 */
import type { Request, Response, Router } from 'express';
import { gatewayProxy, objectBody, type GatewayProxyDeps } from './gateway-proxy.js';

/** Job ids are made by the gateway: 16 lowercase hex characters. */
const JOB_ID = /^[0-9a-f]{16}$/;

export type ScheduleRoutesDeps = GatewayProxyDeps;

export function scheduleRoutes(deps: ScheduleRoutesDeps): Router {
  const { router, forward } = gatewayProxy(deps, '/api/schedules', 'see and change schedules');
  const withId = (handler: (req: Request<{ id: string }>, res: Response, id: string) => Promise<void>) => async (req: Request<{ id: string }>, res: Response) => {
    const id = req.params.id;
    if (!JOB_ID.test(id)) return void res.status(400).json({ error: 'invalid schedule id (16 hex characters expected)' });
    await handler(req, res, id);
  };

  router.get('/api/schedules', (_req, res) => forward(res, '/schedules', 'GET'));
  router.post('/api/schedules', async (req, res) => {
    const body = objectBody(req, res);
    if (body) await forward(res, '/schedules', 'POST', body);
  });
  router.post('/api/schedules/preview', async (req, res) => {
    const body = objectBody(req, res);
    if (body) await forward(res, '/schedules/preview', 'POST', body);
  });
  router.get('/api/schedules/targets', (_req, res) => forward(res, '/schedules/targets', 'GET'));
  // One heartbeat now ("test my heartbeat"): what came of it, e.g. no-tasks, ok, sent.
  router.post('/api/schedules/heartbeat', (_req, res) => forward(res, '/schedules/heartbeat', 'POST'));
  router.get('/api/schedules/:id', withId((_req, res, id) => forward(res, `/schedules/${id}`, 'GET')));
  router.patch('/api/schedules/:id', withId(async (req, res, id) => {
    const body = objectBody(req, res);
    if (body) await forward(res, `/schedules/${id}`, 'PATCH', body);
  }));
  router.delete('/api/schedules/:id', withId((_req, res, id) => forward(res, `/schedules/${id}`, 'DELETE')));
  router.post('/api/schedules/:id/run', withId((_req, res, id) => forward(res, `/schedules/${id}/run`, 'POST', {})));
  return router;
}
