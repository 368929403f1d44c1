/**
 * Dashboard authentication: a stored password (scrypt) and/or the static token from
 * PICOCLAW_LAUNCHER_TOKEN, sessions in an HttpOnly SameSite=Lax cookie, `Authorization: Bearer
 * <token>` for scripts, `/?token=…` links that log in and redirect to the same URL without the
 * token, rate-limited failures, and path normalisation before any decision.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { sameOriginOrNone } from '@picoclaw/core';
import type { NextFunction, Request, Response } from 'express';
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

const secure = (req: Request) => req.secure || /^https$/i.test(String(req.headers['x-forwarded-proto'] ?? ''));

export interface AuthDeps {
  sessions: SessionStore;
  limiter: RateLimiter;
  token(): string;
  passwordHash(): string | undefined;
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

export const clientOf = (req: Pick<Request, 'ip' | 'socket'>) => req.ip ?? req.socket.remoteAddress ?? 'unknown';

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
      const client = clientOf(req);
      const wait = deps.limiter.blockedFor(client);
      res.set('cache-control', 'no-store');
      if (wait > 0) {
        res.status(429).set('retry-after', String(Math.ceil(wait / 1000))).type('text/plain').send('too many login attempts');
        return;
      }
      const token = deps.token();
      if (token && sameSecret(tokenParam, token)) {
        deps.limiter.succeed(client);
        if (!authenticate(req, deps)) setSessionCookie(req, res, await deps.sessions.create('token'));
        const url = new URL(req.originalUrl, 'http://launcher');
        url.searchParams.delete('token');
        const target = /^\/launcher-(login|setup)$/.test(url.pathname) ? '/' : `${url.pathname}${url.search}`;
        res.redirect(303, target);
        return;
      }
      deps.limiter.fail(client);
      res.redirect(302, '/launcher-login');
      return;
    }
    // A bearer token is a credential like a password: wrong guesses are rate-limited the same way.
    const bearer = /^Bearer\s/i.test(req.headers.authorization ?? '');
    if (bearer) {
      const wait = deps.limiter.blockedFor(clientOf(req));
      if (wait > 0) {
        res.status(429).set('retry-after', String(Math.ceil(wait / 1000))).json({ error: 'too many failed attempts; try again later' });
        return;
      }
    }
    const who = authenticate(req, deps);
    if (bearer && !who) deps.limiter.fail(clientOf(req));
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
