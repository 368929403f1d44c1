/**
 * Dashboard sessions: the cookie holds a random id; the launcher keeps only its SHA-256 with the
 * expiry, in `launcher-sessions.json` (0600), so sessions survive restarts and a stolen file
 * cannot be replayed as cookies. Token sessions remember the token's fingerprint and end when
 * the token changes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileIfExists, writeFileAtomic } from '@picoclaw/core';

export type LoginMethod = 'password' | 'token';

interface StoredSession {
  hash: string;
  method: LoginMethod;
  created_at: string;
  expires_at: string;
  token_fp?: string;
}

export interface SessionStore {
  create(method: LoginMethod): Promise<string>;
  /** The session of a cookie value, if valid. */
  check(id: string | undefined): StoredSession | undefined;
  revoke(id: string): Promise<void>;
  revokeAll(except?: string): Promise<void>;
}

export const SESSION_MAX_AGE_S = 31 * 24 * 3600;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
export const tokenFingerprint = (token: string) => sha(`picoclaw-token:${token}`).slice(0, 16);

export async function createSessionStore(file: string, options: { token?: string; now?: () => number } = {}): Promise<SessionStore> {
  const now = options.now ?? Date.now;
  const fp = options.token ? tokenFingerprint(options.token) : undefined;
  let sessions: StoredSession[] = [];
  try {
    const parsed = JSON.parse((await readFileIfExists(file)) ?? '{"sessions":[]}') as { sessions?: StoredSession[] };
    sessions = (parsed.sessions ?? []).filter((s) => Date.parse(s.expires_at) > now() && (s.method !== 'token' || s.token_fp === fp));
  } catch {
    sessions = [];
  }
  const save = () => writeFileAtomic(file, JSON.stringify({ sessions }), { mode: 0o600 });
  return {
    async create(method) {
      const id = randomBytes(32).toString('base64url');
      sessions.push({
        hash: sha(id),
        method,
        created_at: new Date(now()).toISOString(),
        expires_at: new Date(now() + SESSION_MAX_AGE_S * 1000).toISOString(),
        ...(method === 'token' && fp ? { token_fp: fp } : {}),
      });
      await save();
      return id;
    },
    check(id) {
      if (!id) return undefined;
      const hash = sha(id);
      const session = sessions.find((s) => s.hash === hash);
      return session && Date.parse(session.expires_at) > now() ? session : undefined;
    },
    async revoke(id) {
      const hash = sha(id);
      sessions = sessions.filter((s) => s.hash !== hash);
      await save();
    },
    async revokeAll(except) {
      const keep = except ? sha(except) : undefined;
      sessions = sessions.filter((s) => s.hash === keep);
      await save();
    },
  };
}
