/** Gateway control and logs for the dashboard: status, start/stop/restart, log tail and live stream. */
import { Router } from 'express';
import type { GatewaySupervisor } from '../supervisor/gateway-supervisor.js';
import { levelAtLeast, type LogBuffer } from '../supervisor/log-buffer.js';

export function gatewayRoutes(deps: { supervisor: GatewaySupervisor; logs: LogBuffer; gatewayStatus(): Promise<unknown> }): Router {
  const router = Router();
  router.get('/api/gateway/status', async (_req, res) => {
    const process = deps.supervisor.status();
    const gateway = process.state === 'running' ? await deps.gatewayStatus().catch((error: Error) => ({ error: error.message })) : undefined;
    res.json({ process, ...(gateway ? { gateway } : {}) });
  });
  for (const action of ['start', 'stop', 'restart'] as const) {
    router.post(`/api/gateway/${action}`, async (_req, res) => {
      await deps.supervisor[action]();
      res.json({ process: deps.supervisor.status() });
    });
  }
  router.get('/api/logs', (req, res) => {
    const since = Number(req.query.since ?? 0) || 0;
    const level = typeof req.query.level === 'string' ? req.query.level : undefined;
    const source = typeof req.query.source === 'string' ? req.query.source : undefined;
    res.json({ entries: deps.logs.since(since, { ...(level ? { level } : {}), ...(source ? { source } : {}) }) });
  });
  router.get('/api/logs/stream', (req, res) => {
    const level = typeof req.query.level === 'string' ? req.query.level : undefined;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(': connected\n\n');
    const unsubscribe = deps.logs.subscribe((entry) => {
      if (levelAtLeast(entry.level, level)) res.write(`id: ${entry.seq}\ndata: ${JSON.stringify(entry)}\n\n`);
    });
    const ping = setInterval(() => res.write(': ping\n\n'), 25_000);
    req.on('close', () => {
      clearInterval(ping);
      unsubscribe();
    });
  });
  router.post('/api/logs/clear', (_req, res) => {
    deps.logs.clear();
    res.json({ status: 'ok' });
  });
  return router;
}
