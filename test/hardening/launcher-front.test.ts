/**
 * The launcher's HTTP front against a hostile web page in the user's browser and a device on the
 * same LAN, through real launcher processes: DNS rebinding (a foreign Host), the first visitor
 * of a fresh public install claiming it, credential guessing that dodges the rate limiter
 * (forged X-Forwarded-For, parallel guesses, the current-password check, bearer upgrades), log
 * injection through X-Forwarded-For, deeply nested JSON, and the CSP.
 *
 * Three launchers: `local` (first run on 127.0.0.1, no token, no trusted proxy: every request
 * here is the same client), `proxied` (all interfaces, a token, 127.0.0.1 as a trusted reverse
 * proxy so X-Forwarded-For names clients), `fresh` (all interfaces, no token: the setup code).
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, spawnLauncher, type LauncherProcess } from '@picoclaw/test-fakes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawHttp, tempHome, waitFor } from './harness.js';

const PASSWORD = 'front-password-7c1d';
const TOKEN = 'front-token-5e8a9b3c2d1f';
const started: { home: string; launcher: LauncherProcess }[] = [];

async function start(name: string, options: { args?: string[]; env?: Record<string, string>; home?: string } = {}) {
  const home = options.home ?? (await tempHome(`front-${name}`));
  const launcher = spawnLauncher({ home, gatewayPort: await freePort(), args: options.args ?? [], env: options.env ?? {} });
  const port = await launcher.listening();
  started.push({ home, launcher });
  return { home, launcher, port, base: `http://127.0.0.1:${port}` };
}

async function stop(launcher: LauncherProcess) {
  launcher.child.kill('SIGTERM');
  await launcher.child;
}

afterAll(async () => {
  for (const { home, launcher } of started) {
    if (launcher.child.exitCode === null) await stop(launcher);
    await rm(home, { recursive: true, force: true });
  }
});

interface Answer {
  status: number;
  headers: Headers;
  body: string;
  json: Record<string, unknown>;
}

/** fetch without redirects; JSON body parsed when there is one. */
async function call(base: string, path: string, init: { method?: string; json?: unknown; body?: string; cookie?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.cookie) headers.cookie = init.cookie;
  if (init.json !== undefined || init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, { method: init.method ?? 'GET', headers, redirect: 'manual', ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : init.body !== undefined ? { body: init.body } : {}) });
  const body = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(body) as Record<string, unknown>;
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, body, json };
}

/** A request with a Host header of our choosing (fetch always sends the URL's). */
async function withHost(port: number, host: string | undefined, method: string, path: string, options: { headers?: Record<string, string>; json?: unknown; version?: string } = {}) {
  const body = options.json === undefined ? '' : JSON.stringify(options.json);
  const lines = [`${method} ${path} HTTP/${options.version ?? '1.1'}`, ...(host === undefined ? [] : [`host: ${host}`]), ...Object.entries(options.headers ?? {}).map(([k, v]) => `${k}: ${v}`)];
  if (body) lines.push('content-type: application/json', `content-length: ${Buffer.byteLength(body)}`);
  lines.push('connection: close');
  return rawHttp(port, `${lines.join('\r\n')}\r\n\r\n${body}`);
}

const upgradeRequest = (host: string, headers: Record<string, string> = {}) =>
  `GET /pico/ws HTTP/1.1\r\nhost: ${host}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}upgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n`;

const cookieOf = (a: Answer) => {
  const value = /picoclaw_launcher_auth=([^;]+)/.exec(a.headers.get('set-cookie') ?? '')?.[1];
  if (!value) throw new Error(`no session cookie (status ${a.status}: ${a.body})`);
  return `picoclaw_launcher_auth=${value}`;
};

const retryAfterMs = (a: Answer) => Number(a.headers.get('retry-after')) * 1000 + 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A 100,000-deep JSON document (200 kB), well within the 1 MB body limit. */
const deepArray = '['.repeat(100_000) + ']'.repeat(100_000);
const deepObject = '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000);

describe('a first run on loopback', () => {
  let local: Awaited<ReturnType<typeof start>>;
  let cookie: string;

  beforeAll(async () => {
    local = await start('local', { env: { PICOCLAW_LAUNCHER_ALLOWED_HOSTS: 'homelab.lan,.proxy.example' } });
  }, 30_000);

  // DNS rebinding: evil.example resolves to 127.0.0.1; the page's requests carry its own name as
  // Host and Origin, so the Origin check (Origin = Host) passes. Only the Host tells them apart.
  it('refuses a rebinding page (foreign Host): no password set, no status, no page, no WebSocket', async () => {
    const evil = `evil.example:${local.port}`;
    const origin = { origin: `http://${evil}` };
    const status = await withHost(local.port, evil, 'GET', '/api/auth/status', { headers: origin });
    expect(status.status).toBe(403);
    expect(JSON.parse(status.body).error).toMatch(/allowed_hosts in launcher-config\.json or to PICOCLAW_LAUNCHER_ALLOWED_HOSTS/);
    const setup = await withHost(local.port, evil, 'POST', '/api/auth/setup', { headers: origin, json: { password: 'rebinding-owns-you' } });
    expect(setup.status).toBe(403);
    expect(setup.head).not.toMatch(/set-cookie/i);
    const page = await withHost(local.port, evil, 'GET', '/');
    expect([page.status, page.head]).toEqual([403, expect.stringMatching(/content-type: text\/plain/i)]);
    expect(page.body).toMatch(/DNS rebinding/);
    const ws = await rawHttp(local.port, upgradeRequest(evil, origin));
    expect(ws.status).toBe(403);
    expect(ws.body).toMatch(/allowed_hosts/);
    // Nothing was set: the first run is still open for the owner, on loopback without a code.
    expect((await readFile(join(local.home, 'launcher-config.json'), 'utf8').catch(() => '')).includes('password_hash')).toBe(false);
    expect((await call(local.base, '/api/auth/status')).json).toMatchObject({ setup_required: true, setup_code_required: false });
    // Missing Host: refused on HTTP/1.1 (node's own 400, or ours), accepted from an HTTP/1.0 probe.
    expect([400, 403]).toContain((await withHost(local.port, undefined, 'GET', '/api/health')).status);
    expect((await withHost(local.port, undefined, 'GET', '/api/health', { version: '1.0' })).status).toBe(200);
    expect(local.launcher.output()).toMatch(/refused a request for Host \\"evil\.example:\d+\\"/);
  });

  it('serves localhost names, IP literals, this machine and the names in PICOCLAW_LAUNCHER_ALLOWED_HOSTS', async () => {
    for (const host of [`localhost:${local.port}`, `app.localhost:${local.port}`, `127.0.0.1:${local.port}`, `[::1]:${local.port}`, '192.168.1.20', 'homelab.lan', `HOMELAB.LAN:${local.port}`, 'proxy.example', 'a.proxy.example:443']) {
      expect((await withHost(local.port, host, 'GET', '/api/auth/status')).status, host).toBe(200);
    }
    for (const host of ['x.homelab.lan', 'evil-proxy.example', 'localhost.evil.example', '127.0.0.1.nip.io']) {
      expect((await withHost(local.port, host, 'GET', '/api/auth/status')).status, host).toBe(403);
    }
  });

  it('keeps the first-run setup open on loopback (no setup code), and a session is useless to a rebinding page', async () => {
    expect(local.launcher.output()).not.toMatch(/setup code/);
    const setup = await call(local.base, '/api/auth/setup', { method: 'POST', json: { password: PASSWORD } });
    expect(setup.status).toBe(200);
    cookie = cookieOf(setup);
    expect((await call(local.base, '/api/config', { cookie })).status).toBe(200);
    // The browser sends the session cookie to evil.example:<port> too (cookies ignore ports).
    const evil = `evil.example:${local.port}`;
    expect((await withHost(local.port, evil, 'GET', '/api/config', { headers: { cookie } })).status).toBe(403);
    expect((await withHost(local.port, evil, 'POST', '/api/gateway/restart', { headers: { cookie, origin: `http://${evil}` }, json: {} })).status).toBe(403);
    expect((await rawHttp(local.port, upgradeRequest(evil, { cookie, origin: `http://${evil}` }))).status).toBe(403);
  });

  it('allows connections to its own origin only (CSP connect-src)', async () => {
    const csp = (await call(local.base, '/launcher-login')).headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/connect-src 'self'(;|$)/);
    expect(csp).not.toMatch(/ws:|wss:/);
  });

  it('answers JSON nested 100,000 deep with 400 and a clear message, and logs no stack overflow', async () => {
    for (const [method, path, body] of [
      ['PUT', '/api/config', deepObject],
      ['PUT', '/api/config', deepArray],
      ['POST', '/api/config/validate', deepObject],
      ['POST', '/api/auth/login', deepArray],
      ['POST', '/api/mcp/test', deepObject],
    ] as const) {
      const r = await call(local.base, path, { method, body, cookie });
      expect(r.status, `${method} ${path}`).toBe(400);
      expect(r.json.error).toMatch(/nested more than 64 levels deep/);
    }
    await sleep(200);
    expect(local.launcher.output()).not.toMatch(/Maximum call stack|request failed/);
    expect((await call(local.base, '/api/config', { cookie })).status).toBe(200);
  });

  // Was: express trusted X-Forwarded-For from any loopback peer, so a local process (or a page
  // behind a loopback proxy) rotated it and every guess came from a "new" client.
  it('ignores X-Forwarded-For from a peer that is not a trusted proxy: rotating it does not reset the limit', async () => {
    const statuses: number[] = [];
    let last: Answer | undefined;
    for (let i = 0; i < 7; i++) {
      last = await call(local.base, '/api/auth/login', { method: 'POST', json: { password: `guess-${i}` }, headers: { 'x-forwarded-for': `203.0.113.${i + 1}` } });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    await sleep(retryAfterMs(last!));
    expect((await call(local.base, '/api/auth/login', { method: 'POST', json: { password: PASSWORD } })).status).toBe(200);
  });

  // Was: the limiter was asked before the slow scrypt check and told of the failure after it, so
  // parallel guesses all passed the check before the first failure was counted.
  it('judges at most the free budget of 20 parallel wrong passwords; the rest get 429', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => call(local.base, '/api/auth/login', { method: 'POST', json: { password: `parallel-${i}` } })));
    const statuses = answers.map((a) => a.status);
    console.log(`parallel guesses: ${statuses.filter((s) => s === 401).length} judged (401), ${statuses.filter((s) => s === 429).length} refused (429)`);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    await sleep(Math.max(...answers.map((a) => (a.status === 429 ? retryAfterMs(a) : 0))));
    expect((await call(local.base, '/api/auth/login', { method: 'POST', json: { password: PASSWORD } })).status).toBe(200);
  });

  // Was: POST /api/auth/password counted a wrong current password but never asked the limiter,
  // so a stolen session (or a rebinding page) could guess the password at full speed.
  it('rate-limits guessing the current password in a password change', async () => {
    const change = (current: string) => call(local.base, '/api/auth/password', { method: 'POST', json: { current, password: 'the-new-password-1' }, cookie });
    const statuses: number[] = [];
    let last: Answer | undefined;
    for (let i = 0; i < 8; i++) {
      last = await change(`current-guess-${i}`);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([403, 403, 403, 403, 403, 429, 429, 429]);
    // While blocked even the right current password is refused; after the wait it works.
    expect((await change(PASSWORD)).status).toBe(429);
    await sleep(retryAfterMs(last!));
    expect((await change(PASSWORD)).status).toBe(200);
    expect((await call(local.base, '/api/auth/login', { method: 'POST', json: { password: 'the-new-password-1' } })).status).toBe(200);
  });
});

describe('behind a trusted proxy, with a token, on all interfaces', () => {
  let proxied: Awaited<ReturnType<typeof start>>;

  beforeAll(async () => {
    proxied = await start('proxied', { args: ['--host', '0.0.0.0'], env: { PICOCLAW_LAUNCHER_TOKEN: TOKEN, PICOCLAW_LAUNCHER_TRUSTED_PROXIES: '127.0.0.1' } });
  }, 30_000);

  it('has no first-run setup and prints no setup code when PICOCLAW_LAUNCHER_TOKEN is set', async () => {
    expect((await call(proxied.base, '/api/auth/status')).json).toMatchObject({ setup_required: false, setup_code_required: false, token_configured: true });
    expect((await call(proxied.base, '/api/auth/setup', { method: 'POST', json: { password: PASSWORD, setup_code: 'AAAA-AAAA-AAAA' } })).status).toBe(409);
    expect(proxied.launcher.output()).not.toMatch(/setup code/);
  });

  // Was: "failed dashboard login from <X-Forwarded-For as sent>".
  it('never writes a forged X-Forwarded-For into the log', async () => {
    const forged = Buffer.concat([
      Buffer.from(`POST /api/auth/login HTTP/1.1\r\nhost: 127.0.0.1:${proxied.port}\r\ncontent-type: application/json\r\ncontent-length: 20\r\nx-forwarded-for: 198.51.100.23 FORGED-A`),
      Buffer.from('\u202e<script>', 'utf8'),
      Buffer.from('\r\nconnection: close\r\n\r\n{"password":"wrong"}'),
    ]);
    expect((await rawHttp(proxied.port, forged)).status).toBe(401);
    // A control character or a bare CR in the header: node refuses the request, or we log no trace of it.
    for (const value of ['FORGED-B\u001b[2J', 'FORGED-C\rinjected: 1']) {
      const r = await rawHttp(proxied.port, `POST /api/auth/login HTTP/1.1\r\nhost: 127.0.0.1:${proxied.port}\r\ncontent-type: application/json\r\ncontent-length: 20\r\nx-forwarded-for: ${value}\r\nconnection: close\r\n\r\n{"password":"wrong"}`);
      expect([400, 401]).toContain(r.status);
    }
    await waitFor(() => proxied.launcher.output().includes('failed dashboard login from') || undefined, 5_000, 'the failed login in the log');
    const log = `${proxied.launcher.output()}\n${await readFile(join(proxied.home, 'logs', 'launcher.log'), 'utf8')}`;
    expect(log).not.toMatch(/FORGED|<script>|\u202e|\u00e2\u0080\u00ae/);
    expect(log).toMatch(/failed dashboard login from an invalid forwarded address \(via 127\.0\.0\.1\)/);
    // A well-formed forwarded address from the trusted proxy is the client, and is logged.
    await call(proxied.base, '/api/auth/login', { method: 'POST', json: { password: 'wrong' }, headers: { 'x-forwarded-for': '198.51.100.24' } });
    await waitFor(() => proxied.launcher.output().includes('failed dashboard login from 198.51.100.24') || undefined, 5_000, 'the forwarded client in the log');
  });

  // Was: a bearer token on the chat WebSocket was compared without the limiter.
  it('rate-limits wrong bearer tokens on the WebSocket upgrade', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await rawHttp(proxied.port, upgradeRequest(`127.0.0.1:${proxied.port}`, { authorization: `Bearer guess-${i}`, 'x-forwarded-for': '198.51.100.60' }));
      statuses.push(r.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    // The same client is refused over HTTP as well; another client is not.
    expect((await call(proxied.base, '/api/config', { headers: { authorization: `Bearer ${TOKEN}`, 'x-forwarded-for': '198.51.100.60' } })).status).toBe(429);
    expect((await call(proxied.base, '/api/config', { headers: { authorization: `Bearer ${TOKEN}`, 'x-forwarded-for': '198.51.100.61' } })).status).toBe(200);
  });
});

describe('a fresh install reachable from other machines', () => {
  const codeIn = (output: string) => /setup code ([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})/.exec(output)?.[1];

  // Was: POST /api/auth/setup was open to the first client from any address.
  it('needs the setup code from the log to set the first password; wrong codes count; the code dies with the setup', async () => {
    let fresh = await start('fresh', { args: ['--host', '0.0.0.0'] });
    // Without the code: refused, and the answer says where the code is.
    const without = await call(fresh.base, '/api/auth/setup', { method: 'POST', json: { password: PASSWORD } });
    expect(without.status).toBe(403);
    expect(without.json.error).toMatch(/setup code.*log/);
    expect(without.headers.get('set-cookie')).toBeNull();
    expect((await call(fresh.base, '/api/auth/status')).json).toMatchObject({ setup_required: true, setup_code_required: true });
    const first = await waitFor(() => codeIn(fresh.launcher.output()), 5_000, 'the setup code in the log');
    const line = fresh.launcher.output().split('\n').find((l) => l.includes(first))!;
    expect(line).toMatch(new RegExp(`open http://\\S+:${fresh.port}/launcher-setup and enter the setup code`));

    // A new code at each start while setup is pending; the old one is dead.
    await stop(fresh.launcher);
    fresh = await start('fresh', { args: ['--host', '0.0.0.0'], home: fresh.home });
    const code = await waitFor(() => codeIn(fresh.launcher.output()), 5_000, 'the new setup code');
    expect(code).not.toBe(first);
    const wrong = [first, 'AAAA-BBBB-CCCC', code.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), 'x', code.slice(0, -1)];
    for (const guess of wrong) {
      const r = await call(fresh.base, '/api/auth/setup', { method: 'POST', json: { password: PASSWORD, setup_code: guess } });
      expect(r.status, guess).toBe(403);
      expect(r.json.error).toMatch(/wrong setup code/);
    }
    // Five wrong codes were counted: now even the right one must wait.
    const blocked = await call(fresh.base, '/api/auth/setup', { method: 'POST', json: { password: PASSWORD, setup_code: code } });
    expect(blocked.status).toBe(429);
    await sleep(retryAfterMs(blocked));
    // Typed loosely (case, spaces) it is still the code.
    const ok = await call(fresh.base, '/api/auth/setup', { method: 'POST', json: { password: PASSWORD, setup_code: ` ${code.toLowerCase().replace(/-/g, ' ')} ` } });
    expect(ok.status).toBe(200);
    const cookie = cookieOf(ok);
    expect((await call(fresh.base, '/api/auth/status', { cookie })).json).toMatchObject({ authenticated: true, setup_required: false, setup_code_required: false });
    // The code is gone with the setup: it sets nothing any more.
    expect((await call(fresh.base, '/api/auth/setup', { method: 'POST', json: { password: 'another-password-9', setup_code: code } })).status).toBe(409);
    expect((await call(fresh.base, '/api/auth/login', { method: 'POST', json: { password: PASSWORD } })).status).toBe(200);
    expect(fresh.launcher.output()).toMatch(/wrong setup code from 127\.0\.0\.1/);
    // After a restart with a password set, no code is printed.
    await stop(fresh.launcher);
    fresh = await start('fresh', { args: ['--host', '0.0.0.0'], home: fresh.home });
    await sleep(300);
    expect(fresh.launcher.output()).not.toMatch(/setup code/);
  }, 40_000);
});
