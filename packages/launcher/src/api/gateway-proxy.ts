/**
 * What every dashboard route that fronts a gateway feature API (schedules, memory, skills) shares:
 * a router that answers 503 with what to do while the gateway is stopped, and `forward`, which
 * passes a checked request on and the gateway's answer back (502 with the reason when the gateway
 * stops or hangs in between). The routes themselves check what they can without the gateway, so
 * that nothing else reaches its URL space.
 */
import { Router, type Request, type Response } from 'express';

export interface GatewayProxyDeps {
  /** A call to the gateway that keeps its status code; throws when it cannot be reached. */
  gateway(path: string, method: string, body?: unknown, timeoutMs?: number): Promise<{ status: number; body: unknown }>;
  running(): boolean;
}

/** `mount`: the dashboard path (`/api/skills`); `stopped`: what starting the gateway is for ("see and change skills"). */
export function gatewayProxy(deps: GatewayProxyDeps, mount: string, stopped: string) {
  const router = Router();
  router.use(mount, (_req, res, next) => {
    if (deps.running()) next();
    else res.status(503).json({ error: `the gateway is not running: start it to ${stopped}` });
  });
  const forward = async (res: Response, path: string, method: string, body?: unknown, timeoutMs?: number) => {
    try {
      const answer = await deps.gateway(path, method, body, timeoutMs);
      res.status(answer.status).json(answer.body ?? {});
    } catch (error) {
      res.status(502).json({ error: `the gateway did not answer: ${(error as Error).message}` });
    }
  };
  return { router, forward };
}

/** The JSON body when it is an object; otherwise answers 400 and gives undefined. */
export function objectBody(req: Request, res: Response): Record<string, unknown> | undefined {
  const body: unknown = req.body ?? {};
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body as Record<string, unknown>;
  res.status(400).json({ error: 'the body must be a JSON object' });
  return undefined;
}
