import { Router } from 'express';
import type { Response } from 'express';
import { ACCOUNT, authenticate, clearSessionCookie, readCookie, COOKIE, sameSecret, setSessionCookie, tooManyAttempts, type AuthDeps } from '../auth/auth.js';
import { hashPassword, passwordProblem, verifyPassword } from '../auth/password.js';
import type { Attempt } from '../auth/rate-limiter.js';
import { setupCodeMatches } from '../auth/setup-code.js';

export interface AuthRouteDeps extends AuthDeps {
  setPasswordHash(hash: string): Promise<void>;
  /**
   * The one-time code first-run setup needs on a launcher reachable from other machines
   * (undefined: setup is open, or done). Printed in the log at start; see setup-code.ts.
   */
  setupCode(): string | undefined;
  /** Ends the setup code once a password is being set. */
  endSetupCode(): void;
  log: (level: 'info' | 'warn', message: string) => void;
}

/** Answers 429 when the limiter refused the attempt; true when it did. */
function refused(res: Response, attempt: Attempt): boolean {
  if (attempt.waitMs === 0) return false;
  res.status(429).set('retry-after', String(Math.ceil(attempt.waitMs / 1000))).json({ error: tooManyAttempts(attempt.waitMs, attempt.account) });
  return true;
}

const SETUP_CODE_HELP = "it is printed in the launcher's log at start (in a container: podman logs picoclaw, or docker logs picoclaw)";

export function authRoutes(deps: AuthRouteDeps): Router {
  const router = Router();

  router.get('/api/auth/status', (req, res) => {
    const who = authenticate(req, deps);
    res.json({
      authenticated: !!who,
      ...(who ? { method: who.method } : {}),
      setup_required: !deps.passwordHash() && !deps.token(),
      setup_code_required: !deps.passwordHash() && !deps.token() && deps.setupCode() !== undefined,
      password_set: !!deps.passwordHash(),
      token_configured: !!deps.token(),
    });
  });

  // One first-run setup at a time: two racing requests must not both set a password.
  let settingUp = false;
  router.post('/api/auth/setup', async (req, res) => {
    const who = authenticate(req, deps);
    // First run (no password, no token) is open on loopback, needs the setup code elsewhere;
    // otherwise only a logged-in user may set one.
    if (deps.passwordHash() || (deps.token() && !who) || settingUp) {
      res.status(409).json({ error: settingUp ? 'a password is being set right now' : deps.passwordHash() ? 'a password is already set; change it from the settings' : 'log in with the token first' });
      return;
    }
    const body = (req.body ?? {}) as { password?: unknown; setup_code?: unknown };
    const code = deps.token() ? undefined : deps.setupCode();
    if (code !== undefined) {
      if (typeof body.setup_code !== 'string' || !body.setup_code.trim()) {
        res.status(403).json({ error: `this launcher is reachable from other machines, so setting the first password needs the setup code: ${SETUP_CODE_HELP}` });
        return;
      }
      const client = deps.client(req);
      const attempt = deps.limiter.attempt(client.key, [ACCOUNT.setupCode]);
      if (refused(res, attempt)) return;
      if (!setupCodeMatches(body.setup_code, code)) {
        deps.log('warn', `wrong setup code from ${client.label}`);
        res.status(403).json({ error: `wrong setup code: ${SETUP_CODE_HELP}` });
        return;
      }
      attempt.succeed();
    }
    const problem = passwordProblem(body.password);
    if (problem) {
      res.status(400).json({ error: problem });
      return;
    }
    settingUp = true;
    try {
      await deps.setPasswordHash(await hashPassword(body.password as string));
      deps.endSetupCode();
    } finally {
      settingUp = false;
    }
    deps.log('info', 'dashboard password set');
    setSessionCookie(req, res, await deps.sessions.create('password'));
    res.json({ status: 'ok' });
  });

  router.post('/api/auth/login', async (req, res) => {
    const body = (req.body ?? {}) as { password?: unknown; token?: unknown };
    const hash = deps.passwordHash();
    const client = deps.client(req);
    // Counted before the (slow) check, against every credential this guess is compared with.
    const accounts = [
      ...(typeof body.password === 'string' && hash ? [ACCOUNT.password] : []),
      ...((typeof body.token === 'string' || typeof body.password === 'string') && deps.token() ? [ACCOUNT.token] : []),
    ];
    const attempt = deps.limiter.attempt(client.key, accounts);
    if (refused(res, attempt)) return;
    let method: 'password' | 'token' | undefined;
    if (typeof body.password === 'string' && hash && (await verifyPassword(body.password, hash))) method = 'password';
    else if (typeof body.token === 'string' && deps.token() && sameSecret(body.token, deps.token())) method = 'token';
    // The token also works in the password field, as the homelab's "login token" does.
    else if (typeof body.password === 'string' && deps.token() && sameSecret(body.password, deps.token())) method = 'token';
    if (!method) {
      deps.log('warn', `failed dashboard login from ${client.label}`);
      res.status(401).json({ error: 'wrong password or token' });
      return;
    }
    attempt.succeed();
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
    if (hash) {
      // The current password is a credential check like a login: limited the same way.
      const client = deps.client(req);
      const attempt = deps.limiter.attempt(client.key, [ACCOUNT.password]);
      if (refused(res, attempt)) return;
      if (!(typeof body.current === 'string' && (await verifyPassword(body.current, hash)))) {
        deps.log('warn', `wrong current password in a password change from ${client.label}`);
        res.status(403).json({ error: 'the current password is wrong' });
        return;
      }
      attempt.succeed();
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
