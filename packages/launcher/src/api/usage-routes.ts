/**
 * Token usage for the dashboard's Models page: a thin proxy to the gateway's `/usage` API, which
 * counts per model per day. The launcher checks `days` (1–90) itself, so only a well-formed
 * query reaches the gateway.
 */
import type { Router } from 'express';
import { gatewayProxy, type GatewayProxyDeps } from './gateway-proxy.js';

export type UsageRoutesDeps = GatewayProxyDeps;

export function usageRoutes(deps: UsageRoutesDeps): Router {
  const { router, forward } = gatewayProxy(deps, '/api/usage', 'see token usage');
  router.get('/api/usage', async (req, res) => {
    const days = req.query.days ?? '30';
    if (typeof days !== 'string' || !/^\d{1,2}$/.test(days) || Number(days) < 1 || Number(days) > 90) return void res.status(400).json({ error: 'days must be a whole number from 1 to 90' });
    await forward(res, `/usage?days=${Number(days)}`, 'GET');
  });
  return router;
}
