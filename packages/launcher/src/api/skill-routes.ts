/**
 * Skills for the dashboard: a thin proxy to the gateway's `/skills` API, which owns the skill
 * folders, checks what is installed and answers with sentences a user can act on. The launcher
 * checks only what it can without the gateway (a running gateway, a well-formed skill name, a
 * JSON object body with a text `source`), so nothing else reaches the gateway's URL space. An
 * install may clone a git repository: it is given longer than other calls.
 */
import type { Request, Response, Router } from 'express';
import { gatewayProxy, type GatewayProxyDeps } from './gateway-proxy.js';

/** Skill names as PicoClaw allows them (letters, digits, single hyphens). */
const NAME = /^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$/;
/** The gateway gives a clone or download 60 s; this leaves room for the copy after it. */
const INSTALL_TIMEOUT_MS = 90_000;

export type SkillRoutesDeps = GatewayProxyDeps;

export function skillRoutes(deps: SkillRoutesDeps): Router {
  const { router, forward } = gatewayProxy(deps, '/api/skills', 'see and change skills (or use picoclaw skills on the server)');
  const withName = (handler: (req: Request<{ name: string }>, res: Response, name: string) => Promise<void>) => async (req: Request<{ name: string }>, res: Response) => {
    const name = req.params.name;
    if (name.length > 64 || !NAME.test(name)) return void res.status(400).json({ error: 'invalid skill name (letters, digits and single hyphens, at most 64)' });
    await handler(req, res, name);
  };

  router.get('/api/skills', (_req, res) => forward(res, '/skills', 'GET'));
  router.post('/api/skills/install', async (req, res) => {
    const { source, registry, force } = (typeof req.body === 'object' && req.body !== null && !Array.isArray(req.body) ? req.body : {}) as Record<string, unknown>;
    if (typeof source !== 'string' || !source.trim() || source.length > 2048) return void res.status(400).json({ error: 'give "source": a git URL, a folder on the server, github:<owner>/<repo>[/<path>] or clawhub:<slug>' });
    if (registry !== undefined && (typeof registry !== 'string' || !NAME.test(registry))) return void res.status(400).json({ error: '"registry" must be a registry name (github, clawhub)' });
    await forward(res, '/skills/install', 'POST', { source, ...(registry ? { registry } : {}), force: force === true }, INSTALL_TIMEOUT_MS);
  });
  router.get('/api/skills/:name', withName((_req, res, name) => forward(res, `/skills/${name}`, 'GET')));
  router.delete('/api/skills/:name', withName((_req, res, name) => forward(res, `/skills/${name}`, 'DELETE')));
  return router;
}
