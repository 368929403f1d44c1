/**
 * Dashboard authentication: a stored password (scrypt) and/or the static token from
 * PICOCLAW_LAUNCHER_TOKEN, sessions in an HttpOnly SameSite=Lax cookie, `Authorization: Bearer
 * <token>` for scripts, `/?token=…` links that log in and redirect to the same URL without the
 * token, rate-limited failures, and path normalisation before any decision.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { sameOriginOrNone } from '@picoclaw/core';
import type { NextFunction, Request, Response } from 'express';
import type { ClientAddress } from './client-address.js';
import type { RateLimiter } from './rate-limiter.js';
import { SESSION_MAX_AGE_S, type LoginMethod, type SessionStore } from './session-store.js';

export const COOKIE = 'picoclaw_launcher_auth';

const digest = (s: string) => createHash('sha256').update(s).digest();
export const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/** Paths that could mean something else after normalisation are refused outright. */
export function suspiciousPath(rawUrl: string): boolean {
  const path = rawUrl.split('?')[0] ?? '';
  return /(^|\/)\.\.?(\/|$)|\/\/|\\|%2e|%2f|%5c|%00/i.test(path);
}

// req.secure believes X-Forwarded-Proto only from a trusted proxy (express's `trust proxy`, set
// from trusted_proxy_cidrs in launcher.ts): anyone else could otherwise choose the cookie flags.
const secure = (req: Request) => req.secure;

export interface AuthDeps {
  sessions: SessionStore;
  limiter: RateLimiter;
  token(): string;
  passwordHash(): string | undefined;
  /** Who is asking: a validated address, from X-Forwarded-For only behind a trusted proxy. */
  client(req: Pick<IncomingMessage, 'headers' | 'socket'>): ClientAddress;
}

/** The limiter's accounts: one per credential, so guesses spread over many addresses are limited too. */
export const ACCOUNT = { password: 'password', token: 'token', setupCode: 'setup-code' } as const;

/** The text of a 429: whose budget ran out, and for how long. */
export function tooManyAttempts(waitMs: number, account?: string): string {
  const seconds = Math.ceil(waitMs / 1000);
  const what = account === ACCOUNT.password ? 'the dashboard password' : account === ACCOUNT.token ? 'the launcher token' : account === ACCOUNT.setupCode ? 'the setup code' : undefined;
  return what ? `too many failed attempts for ${what} from several addresses; try again in ${seconds} s` : `too many failed attempts; try again in ${seconds} s`;
}

/**
 * An `Authorization: Bearer` header is a credential like a password: it is counted by the
 * limiter before it is compared. Nothing to do without the header; a wait when refused.
 */
export function checkBearer(req: Pick<IncomingMessage, 'headers' | 'socket'>, deps: AuthDeps): { present: boolean; waitMs: number; account?: string } {
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (!bearer && !/^Bearer\s/i.test(req.headers.authorization ?? '')) return { present: false, waitMs: 0 };
  const token = deps.token();
  const attempt = deps.limiter.attempt(deps.client(req).key, token ? [ACCOUNT.token] : []);
  if (attempt.waitMs > 0) return { present: true, waitMs: attempt.waitMs, ...(attempt.account ? { account: attempt.account } : {}) };
  if (bearer && token && sameSecret(bearer[1]!.trim(), token)) attempt.succeed();
  return { present: true, waitMs: 0 };
}

export function setSessionCookie(req: Request, res: Response, id: string) {
  res.cookie(COOKIE, id, { httpOnly: true, sameSite: 'lax', secure: secure(req), path: '/', maxAge: SESSION_MAX_AGE_S * 1000 });
}
export function clearSessionCookie(req: Request, res: Response) {
  res.clearCookie(COOKIE, { httpOnly: true, sameSite: 'lax', secure: secure(req), path: '/' });
}

/** Who is asking: a session cookie, or the token as a bearer header. */
export function authenticate(req: Pick<Request, 'headers'>, deps: AuthDeps): { method: LoginMethod | 'bearer'; sessionId?: string } | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  const token = deps.token();
  if (bearer && token && sameSecret(bearer[1]!.trim(), token)) return { method: 'bearer' };
  const id = readCookie(req.headers.cookie, COOKIE);
  const session = deps.sessions.check(id);
  return session ? { method: session.method, ...(id ? { sessionId: id } : {}) } : undefined;
}

const publicRoutes: [string, RegExp][] = [
  ['GET', /^\/(launcher-login|launcher-setup|favicon\.ico|favicon\.svg|robots\.txt|site\.webmanifest)$/],
  ['GET', /^\/assets\//],
  ['GET', /^\/api\/auth\/status$/],
  ['GET', /^\/api\/health$/],
  ['POST', /^\/api\/auth\/(login|logout|setup)$/],
];

export function isPublic(method: string, path: string): boolean {
  const m = method === 'HEAD' ? 'GET' : method;
  return publicRoutes.some(([allowed, pattern]) => allowed === m && pattern.test(path));
}

/** The gate in front of every route. */
export function authGate(deps: AuthDeps) {
  return async function gate(req: Request, res: Response, next: NextFunction) {
    if (suspiciousPath(req.originalUrl)) {
      res.status(400).json({ error: 'bad request path' });
      return;
    }
    const path = req.path;
    // `/?token=…` links (GET pages only): log in, then drop the token from the address bar.
    const tokenParam = typeof req.query.token === 'string' ? req.query.token : undefined;
    if (tokenParam !== undefined && req.method === 'GET' && !path.startsWith('/api/') && !path.startsWith('/pico/')) {
      const token = deps.token();
      const attempt = deps.limiter.attempt(deps.client(req).key, token ? [ACCOUNT.token] : []);
      res.set('cache-control', 'no-store');
      if (attempt.waitMs > 0) {
        res.status(429).set('retry-after', String(Math.ceil(attempt.waitMs / 1000))).type('text/plain').send('too many login attempts');
        return;
      }
      if (token && sameSecret(tokenParam, token)) {
        attempt.succeed();
        if (!authenticate(req, deps)) setSessionCookie(req, res, await deps.sessions.create('token'));
        const url = new URL(req.originalUrl, 'http://launcher');
        url.searchParams.delete('token');
        const target = /^\/launcher-(login|setup)$/.test(url.pathname) ? '/' : `${url.pathname}${url.search}`;
        res.redirect(303, target);
        return;
      }
      // A wrong token stays counted (the attempt was reserved before the comparison).
      res.redirect(302, '/launcher-login');
      return;
    }
    const bearer = checkBearer(req, deps);
    if (bearer.waitMs > 0) {
      res.status(429).set('retry-after', String(Math.ceil(bearer.waitMs / 1000))).json({ error: tooManyAttempts(bearer.waitMs, bearer.account) });
      return;
    }
    const who = authenticate(req, deps);
    if (who) {
      res.locals.auth = who;
      // Cookie-authenticated state changes must come from our own pages.
      if (who.method !== 'bearer' && !['GET', 'HEAD', 'OPTIONS'].includes(req.method)) {
        if (!sameOriginOrNone(req.headers.origin, req.headers.host)) {
          res.status(403).json({ error: 'cross-origin request refused' });
          return;
        }
      }
      next();
      return;
    }
    if (isPublic(req.method, path)) {
      next();
      return;
    }
    if (path.startsWith('/api/')) res.status(401).json({ error: 'unauthorized: log in, or send Authorization: Bearer <launcher token>' });
    else if (path.startsWith('/pico/')) res.status(401).type('text/plain').send('unauthorized');
    else res.redirect(302, '/launcher-login');
  };
}
