import { Router } from 'express';
import { authenticate, clearSessionCookie, clientOf, readCookie, COOKIE, sameSecret, setSessionCookie, type AuthDeps } from '../auth/auth.js';
import { hashPassword, passwordProblem, verifyPassword } from '../auth/password.js';

export interface AuthRouteDeps extends AuthDeps {
  setPasswordHash(hash: string): Promise<void>;
  log: (level: 'info' | 'warn', message: string) => void;
}

export function authRoutes(deps: AuthRouteDeps): Router {
  const router = Router();

  router.get('/api/auth/status', (req, res) => {
    const who = authenticate(req, deps);
    res.json({
      authenticated: !!who,
      ...(who ? { method: who.method } : {}),
      setup_required: !deps.passwordHash() && !deps.token(),
      password_set: !!deps.passwordHash(),
      token_configured: !!deps.token(),
    });
  });

  router.post('/api/auth/setup', async (req, res) => {
    const who = authenticate(req, deps);
    // First run (no password, no token) is open; otherwise only a logged-in user may set one.
    if (deps.passwordHash() || (deps.token() && !who)) {
      res.status(409).json({ error: deps.passwordHash() ? 'a password is already set; change it from the settings' : 'log in with the token first' });
      return;
    }
    const password = (req.body as { password?: unknown } | undefined)?.password;
    const problem = passwordProblem(password);
    if (problem) {
      res.status(400).json({ error: problem });
      return;
    }
    await deps.setPasswordHash(await hashPassword(password as string));
    deps.log('info', 'dashboard password set');
    setSessionCookie(req, res, await deps.sessions.create('password'));
    res.json({ status: 'ok' });
  });

  router.post('/api/auth/login', async (req, res) => {
    const client = clientOf(req);
    const wait = deps.limiter.blockedFor(client);
    if (wait > 0) {
      res.status(429).set('retry-after', String(Math.ceil(wait / 1000))).json({ error: `too many failed logins; try again in ${Math.ceil(wait / 1000)} s` });
      return;
    }
    const body = (req.body ?? {}) as { password?: unknown; token?: unknown };
    let method: 'password' | 'token' | undefined;
    const hash = deps.passwordHash();
    if (typeof body.password === 'string' && hash && (await verifyPassword(body.password, hash))) method = 'password';
    else if (typeof body.token === 'string' && deps.token() && sameSecret(body.token, deps.token())) method = 'token';
    // The token also works in the password field, as the homelab's "login token" does.
    else if (typeof body.password === 'string' && deps.token() && sameSecret(body.password, deps.token())) method = 'token';
    if (!method) {
      deps.limiter.fail(client);
      deps.log('warn', `failed dashboard login from ${client}`);
      res.status(401).json({ error: 'wrong password or token' });
      return;
    }
    deps.limiter.succeed(client);
    setSessionCookie(req, res, await deps.sessions.create(method));
    res.json({ status: 'ok', method });
  });

  router.post('/api/auth/logout', async (req, res) => {
    const id = readCookie(req.headers.cookie, COOKIE);
    if (id) await deps.sessions.revoke(id);
    clearSessionCookie(req, res);
    res.json({ status: 'ok' });
  });

  router.post('/api/auth/password', async (req, res) => {
    const body = (req.body ?? {}) as { current?: unknown; password?: unknown };
    const hash = deps.passwordHash();
    if (hash && !(typeof body.current === 'string' && (await verifyPassword(body.current, hash)))) {
      deps.limiter.fail(clientOf(req));
      res.status(403).json({ error: 'the current password is wrong' });
      return;
    }
    const problem = passwordProblem(body.password);
    if (problem) {
      res.status(400).json({ error: problem });
      return;
    }
    await deps.setPasswordHash(await hashPassword(body.password as string));
    await deps.sessions.revokeAll(readCookie(req.headers.cookie, COOKIE));
    deps.log('info', 'dashboard password changed; other sessions ended');
    res.json({ status: 'ok' });
  });

  return router;
}
