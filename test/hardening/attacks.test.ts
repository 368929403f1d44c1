/**
 * Attacks against a real launcher (token + password set) and the gateway it supervises: login
 * brute force, the token in a URL, path traversal and auth-bypass paths, cross-site requests,
 * oversized bodies, slow clients, secrets at rest and in answers, and the gateway's exposure on
 * a non-loopback address. Clients are told apart with X-Forwarded-For: the launcher is started
 * with PICOCLAW_LAUNCHER_TRUSTED_PROXIES=127.0.0.1, as it would be behind a reverse proxy on the
 * same machine (without it, X-Forwarded-For is ignored: launcher-front.test.ts).
 */
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join, relative } from 'node:path';
import { freePort, spawnLauncher, startFakeLlm, type FakeLlm, type LauncherProcess } from '@picoclaw/test-fakes';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { nonLoopbackIpv4, rawGet, rawHttp, root, tcpProbe, tempHome, waitFor, walk } from './harness.js';

const SECRETS = {
  apiKey: 'mk-attack-apikey-5d1e9b',
  token: 'launcher-attack-token-8c4f2a71',
  password: 'attack-password-3e7b!',
  mcpHeader: 'ha-attack-header-secret-a9f0',
};
/** Set after start: the generated pico token (in the gateway's environment) and every session cookie we got. */
const runtimeSecrets: string[] = [];
/** Every API/page response body seen, scanned for secrets at the end. */
const bodies: string[] = [];

/** The launcher's slow-header timeout (server.headersTimeout in packages/launcher/src/launcher.ts). */
const HEADERS_TIMEOUT_MS = 20_000;

let home: string;
let llm: FakeLlm;
let launcher: LauncherProcess;
let port: number;
let gatewayPort: number;
let base: string;
let stopped = false;

interface Call {
  status: number;
  headers: Headers;
  body: string;
}

/** fetch without redirects, as client `xff` (an address behind the "proxy"), body kept. */
async function call(path: string, init: { method?: string; json?: unknown; body?: string; headers?: Record<string, string>; xff?: string; cookie?: string; bearer?: string } = {}): Promise<Call> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.xff) headers['x-forwarded-for'] = init.xff;
  if (init.cookie) headers.cookie = init.cookie;
  if (init.bearer) headers.authorization = `Bearer ${init.bearer}`;
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers,
    redirect: 'manual',
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : init.body !== undefined ? { body: init.body } : {}),
  });
  const body = await response.text();
  bodies.push(body);
  const cookie = /picoclaw_launcher_auth=([^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1];
  if (cookie) runtimeSecrets.push(cookie);
  return { status: response.status, headers: response.headers, body };
}

const cookieOf = (c: Call) => {
  const value = /picoclaw_launcher_auth=([^;]+)/.exec(c.headers.get('set-cookie') ?? '')?.[1];
  if (!value) throw new Error(`no session cookie (status ${c.status})`);
  return `picoclaw_launcher_auth=${value}`;
};

async function login(xff: string): Promise<string> {
  const response = await call('/api/auth/login', { method: 'POST', json: { password: SECRETS.password }, xff });
  expect(response.status).toBe(200);
  return cookieOf(response);
}

// Slow clients: opened as soon as the launcher listens, dribbling header bytes for the whole file.
interface Slow {
  socket: Socket;
  openedAt: number;
  closedAt?: number;
  timer?: NodeJS.Timeout;
}
const slow: Slow[] = [];

function startSlowClient(): Slow {
  const entry: Slow = { socket: connect(port, '127.0.0.1'), openedAt: Date.now() };
  const bytes = Buffer.from(`GET /api/health HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: ${'a'.repeat(1000)}`);
  let i = 0;
  entry.socket.on('error', () => {});
  entry.socket.on('close', () => {
    entry.closedAt = Date.now();
    clearInterval(entry.timer);
  });
  entry.timer = setInterval(() => {
    if (!entry.socket.destroyed && i < bytes.length) entry.socket.write(bytes.subarray(i, ++i));
  }, 500);
  return entry;
}

beforeAll(async () => {
  llm = await startFakeLlm([], { echo: true });
  home = await tempHome('attacks');
  await writeFile(join(home, 'config.json'), JSON.stringify({
    agents: { defaults: { model_name: 'mistral-small' } },
    model_list: [{ model_name: 'mistral-small', model: 'mistral/mistral-small-latest', api_base: `${llm.url}/v1`, api_keys: ['[NOT_HERE]'] }],
    tools: { mcp: { enabled: true, servers: { homeassistant: { enabled: false, type: 'http', url: 'http://127.0.0.1:9/api/mcp', headers: { Authorization: '[NOT_HERE]' } } } } },
  }, null, 2));
  await writeFile(join(home, '.security.yml'), `model_list:\n  mistral-small:\n    api_keys: ["${SECRETS.apiKey}"]\ntools:\n  mcp:\n    servers:\n      homeassistant:\n        headers:\n          Authorization: ${SECRETS.mcpHeader}\n`);
  gatewayPort = await freePort();
  launcher = spawnLauncher({ home, gatewayPort, env: { PICOCLAW_LAUNCHER_TOKEN: SECRETS.token, PICOCLAW_LAUNCHER_TRUSTED_PROXIES: '127.0.0.1' } });
  port = await launcher.listening();
  base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 5; i++) slow.push(startSlowClient());
  // A script with the token sets the password, then waits for the gateway.
  expect((await call('/api/auth/setup', { method: 'POST', json: { password: SECRETS.password }, bearer: SECRETS.token })).status).toBe(200);
  await waitFor(async () => (JSON.parse((await call('/api/gateway/status', { bearer: SECRETS.token })).body) as { process: { state: string } }).process.state === 'running' || undefined, 20_000, 'the gateway');
  // The launcher gives the gateway its pico channel through the environment (config.json is never rewritten at start).
  const gatewayPid = (JSON.parse(await readFile(join(home, '.picoclaw.pid'), 'utf8')) as { pid: number }).pid;
  const picoToken = /(?:^|\0)PICOCLAW_CHANNELS_PICO_TOKEN=([^\0]+)/.exec(await readFile(`/proc/${gatewayPid}/environ`, 'utf8'))?.[1];
  expect(picoToken).toBeTruthy();
  runtimeSecrets.push(picoToken!);
}, 40_000);

afterAll(async () => {
  for (const s of slow) {
    clearInterval(s.timer);
    s.socket.destroy();
  }
  if (!stopped) {
    launcher?.child.kill('SIGTERM');
    await launcher?.child;
  }
  await llm?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('login brute force', () => {
  it('rate-limits wrong passwords from one client with a growing delay; another client still logs in', async () => {
    const attacker = '203.0.113.66';
    const started = Date.now();
    const attempts: { status: number; retryAfter: number }[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await call('/api/auth/login', { method: 'POST', json: { password: `guess-${i}` }, xff: attacker });
      attempts.push({ status: r.status, retryAfter: Number(r.headers.get('retry-after') ?? 0) });
    }
    const statuses = attempts.map((a) => a.status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5).every((s) => s === 429)).toBe(true);
    expect(attempts[5]!.retryAfter).toBeGreaterThan(0);
    // While blocked, even the right password is refused for this client.
    expect((await call('/api/auth/login', { method: 'POST', json: { password: SECRETS.password }, xff: attacker })).status).toBe(429);
    // After the wait, one more wrong guess is judged (401), and the next wait is longer.
    await new Promise((r) => setTimeout(r, attempts[5]!.retryAfter * 1000 + 100));
    expect((await call('/api/auth/login', { method: 'POST', json: { password: 'guess-late' }, xff: attacker })).status).toBe(401);
    const next = await call('/api/auth/login', { method: 'POST', json: { password: 'guess-later' }, xff: attacker });
    expect(next.status).toBe(429);
    expect(Number(next.headers.get('retry-after'))).toBeGreaterThan(attempts[5]!.retryAfter);
    // The /?token= links count against the same limit.
    expect((await call(`/?token=${SECRETS.token}`, { xff: attacker })).status).toBe(429);
    const elapsed = Date.now() - started;
    console.log(`brute force: ${attempts.length + 4} attempts in ${elapsed} ms; statuses ${statuses.join(',')}, first retry-after ${attempts[5]!.retryAfter} s, then ${next.headers.get('retry-after')} s`);
    // Another client is not affected.
    const cookie = await login('203.0.113.77');
    expect(JSON.parse((await call('/api/auth/status', { cookie })).body)).toMatchObject({ authenticated: true, method: 'password' });
  });

  // Was DEFECT L4 (FINDINGS.md, fixed): `Authorization: Bearer <guess>` failures never reach the rate limiter
  // (authenticate() in packages/launcher/src/auth/auth.ts only compares), so the launcher token
  // can be guessed at full speed on any /api route.
  it('rate-limits wrong bearer tokens from one client', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await call('/api/config', { bearer: `guess-${i}`, xff: '203.0.113.99' })).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5).every((s) => s === 429)).toBe(true);
    // The blocked client is blocked, not the token.
    expect((await call('/api/config', { bearer: SECRETS.token, xff: '203.0.113.98' })).status).toBe(200);
  });
});

describe('token in the URL', () => {
  it('logs in from /?token=, redirects (303) to the address without it, and sends no referrer', async () => {
    const client = '203.0.113.88';
    for (const [path, target] of [
      [`/?token=${SECRETS.token}`, '/'],
      [`/chat?x=1&token=${SECRETS.token}`, '/chat?x=1'],
      [`/launcher-login?token=${encodeURIComponent(SECRETS.token)}&next=a`, '/'],
    ] as const) {
      const r = await call(path, { xff: client });
      expect(r.status).toBe(303);
      expect(r.headers.get('location')).toBe(target);
      expect(r.headers.get('location')).not.toContain(SECRETS.token);
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
      expect(r.headers.get('cache-control')).toBe('no-store');
      const page = await call(target, { cookie: cookieOf(r), xff: client });
      expect(page.status).toBe(200);
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.body).not.toContain(SECRETS.token);
    }
    // A wrong token goes to the login page and does not log in.
    const wrong = await call('/?token=not-the-token', { xff: '203.0.113.89' });
    expect([wrong.status, wrong.headers.get('location'), wrong.headers.get('set-cookie')]).toEqual([302, '/launcher-login', null]);
  });
});

describe('path traversal and auth bypass', () => {
  let dist: Set<string>;
  const markers = ['"name": "@picoclaw/dashboard"', '"name": "picoclaw-ts"', 'root:x:0:0', SECRETS.apiKey, SECRETS.token, 'model_list'];
  const results = new Map<number, number>();

  beforeAll(async () => {
    const dir = join(root, 'packages/dashboard/dist');
    dist = new Set(await Promise.all((await walk(dir)).map((f) => readFile(f, 'utf8'))));
    expect(dist.size).toBeGreaterThan(0);
  });

  const check = (path: string, status: number, body: string) => {
    results.set(status, (results.get(status) ?? 0) + 1);
    for (const marker of markers) expect(body, `${path} leaked ${marker}`).not.toContain(marker);
    if (status === 200) expect(dist.has(body), `${path} served something outside the dashboard dist`).toBe(true);
    expect(status, path).toBeLessThan(500);
  };

  const dots = fc.constantFrom('..', '%2e%2e', '%2E%2E', '.%2e', '%2e.', '%252e%252e', '%c0%ae%c0%ae', '..%00', '..%01', '....', '.', '%u002e%u002e');
  const seps = fc.constantFrom('/', '%2f', '%2F', '\\', '%5c', '%5C', '%252f', '//', '/./', '%c0%af');
  const prefixes = fc.constantFrom('/', '/assets/', '/api/', '/launcher-login/', '/pico/', '/assets/%2e/', '');
  const targets = fc.constantFrom('package.json', 'etc/passwd', 'packages/dashboard/package.json', 'HOME/.security.yml', 'config.json', '.security.yml', 'index.html');
  const traversal = fc.record({ prefix: prefixes, dot: dots, sep: seps, depth: fc.integer({ min: 1, max: 10 }), target: targets, suffix: fc.constantFrom('', '%00', '%00.html', '?x=1', '#frag', '/') })
    .map(({ prefix, dot, sep, depth, target, suffix }) => `${prefix}${`${dot}${sep}`.repeat(depth)}${target.replace('HOME', relative('/', home)).replace(/\//g, sep)}${suffix}`)
    .map((p) => (p.startsWith('/') ? p : `/${p}`));

  it('never serves a file outside the dashboard dist, with or without auth', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(traversal, fc.boolean(), async (path, authenticated) => {
        runs++;
        const r = await rawGet(port, path, authenticated ? { authorization: `Bearer ${SECRETS.token}` } : {});
        bodies.push(r.body);
        check(path, r.status, r.body);
      }),
      { numRuns: 300, interruptAfterTimeLimit: 10_000 },
    );
    for (const path of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2f..%2fpackage.json', '/%252e%252e%252fpackage.json', '/assets\\..\\..\\package.json', '/assets/..%5c..%5cpackage.json', '/assets/%00../../package.json', '/assets/index.html%00.js', `/assets/${'../'.repeat(12)}${relative('/', home)}/.security.yml`]) {
      for (const auth of [{}, { authorization: `Bearer ${SECRETS.token}` }] as Record<string, string>[]) {
        const r = await rawGet(port, path, auth);
        bodies.push(r.body);
        check(path, r.status, r.body);
        runs++;
      }
    }
    console.log(`traversal: ${runs} requests, statuses ${JSON.stringify(Object.fromEntries(results))}`);
  });

  it('never answers /api tricks with config data without auth', async () => {
    const paths = ['//api/config', '/API/config', '/Api/Config', '/api/./config', '/api/%2e/config', '/api/config;x', '/api/config/', '/api/config//', '/api//config', '/api/config%2f', '/api/config%00', '/api/config?', '/api/config#x', '/%61pi/config', '/api/%63onfig', '/./api/config', '/api/config/.', '/api/auth/../config', '/api/auth/status/../../config', '/api/health/..%2fconfig', '/assets/../api/config', '/api/config.json', '/api/config%20', '/api/config\t', '/api/auth/status;/../../config', '/launcher-login/..;/api/config'];
    const tried: string[] = [];
    for (const path of paths) {
      for (const method of ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']) {
        for (const extra of [{}, { 'x-original-url': '/api/config', 'x-rewrite-url': '/api/config' }, { 'x-forwarded-for': '127.0.0.1', cookie: 'picoclaw_launcher_auth=forged' }]) {
          const headers = Object.entries(extra).map(([k, v]) => `${k}: ${v}\r\n`).join('');
          const r = await rawHttp(port, `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n${headers}content-length: 0\r\nconnection: close\r\n\r\n`);
          bodies.push(r.body);
          tried.push(`${method} ${path} → ${r.status}`);
          expect([400, 401, 302, 404, 405], `${method} ${path} ${JSON.stringify(extra)}`).toContain(r.status);
          expect(r.body).not.toMatch(/model_list|api_base|mistral-small/);
        }
      }
    }
    console.log(`auth bypass: ${tried.length} requests, all refused`);
    // The same config is there for a real login (the checks above are not vacuous).
    expect((await call('/api/config', { bearer: SECRETS.token })).body).toMatch(/model_list/);
  });
});

describe('cross-site requests', () => {
  let cookie: string;
  const client = '203.0.113.21';

  beforeAll(async () => {
    cookie = await login(client);
  });

  it('refuses cookie-authenticated writes from a foreign Origin with 403 and changes nothing', async () => {
    const before = await readFile(join(home, 'config.json'), 'utf8');
    const { config } = JSON.parse((await call('/api/config', { cookie, xff: client })).body) as { config: Record<string, unknown> };
    for (const origin of ['http://evil.example', `http://127.0.0.1.evil.example:${port}`, `http://localhost:${port + 1}`, 'https://evil.example']) {
      for (const [method, path, json] of [
        ['PUT', '/api/config', { ...config, agents: { defaults: { model_name: 'pwned' } } }],
        ['POST', '/api/models', { model_name: 'evil', model: 'openai/gpt', api_base: 'http://evil.example', api_keys: ['x'] }],
        ['POST', '/api/auth/password', { current: SECRETS.password, password: 'pwned-password' }],
        ['POST', '/api/gateway/restart', {}],
        // A schedule made by another site would run turns (with the user's tools) for ever.
        ['POST', '/api/schedules', { message: 'open the garage door', schedule: { kind: 'every', everyMs: 3_600_000 }, channel: 'pico', to: 'evil', deliver: false }],
      ] as const) {
        const r = await call(path, { method, json, cookie, xff: client, headers: { origin } });
        expect(r.status, `${method} ${path} from ${origin}`).toBe(403);
      }
    }
    expect(await readFile(join(home, 'config.json'), 'utf8')).toBe(before);
    expect(JSON.parse((await call('/api/schedules', { cookie, xff: client })).body)).toMatchObject({ jobs: [] });
    // The same session from our own origin may write (the 403s above are about the origin).
    const own = await call('/api/config/validate', { method: 'POST', json: config, cookie, xff: client, headers: { origin: base } });
    expect(own.status).toBe(200);
    expect(JSON.parse((await call('/api/auth/status', { cookie, xff: client })).body)).toMatchObject({ authenticated: true });
  });

  it('refuses a WebSocket upgrade to the chat proxy from a foreign Origin or without a session', async () => {
    const attempt = (headers: Record<string, string>) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(`${base.replace('http', 'ws')}/pico/ws`, { headers });
        ws.on('unexpected-response', (_req, res) => {
          resolve(String(res.statusCode));
          ws.terminate();
        });
        ws.on('open', () => {
          resolve('open');
          ws.close();
        });
        ws.on('error', () => resolve('error'));
      });
    for (const origin of ['http://evil.example', `http://localhost:${port + 1}`]) expect(await attempt({ cookie, origin, 'x-forwarded-for': client })).toBe('403');
    expect(await attempt({ origin: base })).toBe('401');
    expect(await attempt({ cookie: 'picoclaw_launcher_auth=forged', origin: base })).toBe('401');
    // Our own origin with the session works (so the refusals above are about origin and session).
    expect(await attempt({ cookie, origin: base, 'x-forwarded-for': client })).toBe('open');
  });

  // Was DEFECT L1 (FINDINGS.md, fixed): `new URL(origin)` in authGate throws for `Origin: null` (sent by
  // sandboxed iframes and file: pages) → 500 "internal error" instead of 403. The write is not
  // performed, but the answer is a server error.
  it('refuses cookie-authenticated writes with `Origin: null` with 403', async () => {
    const r = await call('/api/config/validate', { method: 'POST', json: {}, cookie, xff: client, headers: { origin: 'null' } });
    expect(r.status).toBe(403);
  });

  // Was DEFECT L2 (FINDINGS.md, fixed): the same `new URL(origin)` in the pico proxy's upgrade handler
  // rejects the async handler; the rejection is unhandled and the launcher process exits (1).
  it('refuses a chat WebSocket with `Origin: null` and keeps running', async () => {
    const r = await rawHttp(port, `GET /pico/ws HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncookie: ${cookie}\r\norigin: null\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n`);
    expect(r.status).toBe(403);
    expect(launcher.child.exitCode).toBeNull();
  });

  // Was DEFECT L3 (FINDINGS.md, fixed): `new URL(req.url, base)` in the launcher's 'upgrade' listener throws
  // synchronously for a request target of `//`: one unauthenticated request kills the launcher.
  it('survives an unauthenticated WebSocket upgrade for `//`', async () => {
    const upgrade = (host: string) => rawHttp(port, `GET // HTTP/1.1\r\nhost: ${host}\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n`);
    const r = await upgrade(`127.0.0.1:${port}`);
    expect([400, 404]).toContain(r.status);
    // A Host that is not ours is refused first (DNS rebinding protection), also without crashing.
    expect((await upgrade('x')).status).toBe(403);
    expect(launcher.child.exitCode).toBeNull();
  });
});

describe('oversized bodies', () => {
  /** Streams `size` bytes as the body (content-length or chunked); resolves with the answer as soon as it comes. */
  function bigUpload(path: string, size: number, headers: string, chunked: boolean): Promise<{ status: number; ms: number; body: string }> {
    return new Promise((resolve) => {
      const started = Date.now();
      const socket = connect(port, '127.0.0.1');
      let received = '';
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        socket.destroy();
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0);
        resolve({ status, ms: Date.now() - started, body: received.slice(received.indexOf('\r\n\r\n') + 4) });
      };
      socket.on('error', finish);
      socket.on('close', finish);
      socket.on('data', (d) => {
        received += d.toString('latin1');
        if (/\r\n\r\n/.test(received) && (/content-length: (\d+)/i.exec(received) ? received.length - received.indexOf('\r\n\r\n') - 4 >= Number(/content-length: (\d+)/i.exec(received)![1]) : true)) finish();
      });
      socket.write(`PUT ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\n${headers}${chunked ? 'transfer-encoding: chunked' : `content-length: ${size}`}\r\nconnection: close\r\n\r\n`);
      // A JSON document of exactly `size` bytes: {"a":"<spaces>"}.
      const body = Buffer.alloc(size, 0x20);
      body.write('{"a":"', 0);
      body.write('"}', size - 2);
      let sent = 0;
      const pump = () => {
        while (!done && sent < size) {
          const chunk = body.subarray(sent, Math.min(size, sent + 64 * 1024));
          sent += chunk.length;
          const ok = socket.write(chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk);
          if (!ok) return void socket.once('drain', pump);
        }
        if (!done && chunked) socket.write('0\r\n\r\n');
      };
      pump();
      setTimeout(finish, 30_000);
    });
  }

  it('answers a 10 MB JSON body to /api/config with 413 quickly and leaves the config unchanged', async () => {
    const before = await readFile(join(home, 'config.json'), 'utf8');
    const auth = `authorization: Bearer ${SECRETS.token}\r\n`;
    const declared = await bigUpload('/api/config', 10 * 1024 * 1024, auth, false);
    const chunked = await bigUpload('/api/config', 10 * 1024 * 1024, auth, true);
    const anonymous = await bigUpload('/api/config', 10 * 1024 * 1024, '', false);
    bodies.push(declared.body, chunked.body, anonymous.body);
    console.log(`oversized: 10 MB with content-length → ${declared.status} in ${declared.ms} ms; chunked → ${chunked.status} in ${chunked.ms} ms; without auth → ${anonymous.status} in ${anonymous.ms} ms`);
    expect(declared.status).toBe(413);
    expect(chunked.status).toBe(413);
    // Refused before the body is read; the 401 can be lost to the TCP reset while we keep writing.
    expect([0, 401]).toContain(anonymous.status);
    for (const r of [declared, chunked, anonymous]) expect(r.ms).toBeLessThan(10_000);
    expect(await readFile(join(home, 'config.json'), 'utf8')).toBe(before);
    expect((await call('/api/health')).status).toBe(200);
  });
});

describe('network exposure', () => {
  const addresses = nonLoopbackIpv4();
  it.skipIf(addresses.length === 0)('does not expose the gateway (or the launcher) on a non-loopback address by default', async () => {
    // (Skipped when this machine has no non-loopback IPv4 interface: nothing to connect to.)
    expect(await tcpProbe('127.0.0.1', gatewayPort)).toBe('connected');
    for (const address of addresses) {
      expect(await tcpProbe(address, gatewayPort), `${address}:${gatewayPort}`).toBe('ECONNREFUSED');
      expect(await tcpProbe(address, port), `${address}:${port}`).toBe('ECONNREFUSED');
    }
    console.log(`exposure: gateway ${gatewayPort} and launcher ${port} refused on ${addresses.join(', ')}`);
  });
});

describe('slow clients', () => {
  it('times out clients that send headers byte by byte, while serving others', async () => {
    expect(slow.length).toBeGreaterThan(0);
    // Others are served while the slow sockets are open.
    const during = await Promise.all(Array.from({ length: 10 }, () => call('/api/health')));
    expect(during.map((r) => r.status)).toEqual(Array(10).fill(200));
    const bound = 2 * HEADERS_TIMEOUT_MS;
    await waitFor(() => slow.every((s) => s.closedAt !== undefined) || undefined, Math.max(1, Math.max(...slow.map((s) => s.openedAt)) + bound - Date.now()), 'the server to close the slow sockets');
    const lifetimes = slow.map((s) => s.closedAt! - s.openedAt);
    console.log(`slow clients: ${slow.length} closed after ${lifetimes.map((ms) => `${Math.round(ms / 100) / 10} s`).join(', ')} (headersTimeout ${HEADERS_TIMEOUT_MS / 1000} s)`);
    for (const ms of lifetimes) expect(ms).toBeLessThanOrEqual(bound);
    expect((await call('/api/health')).status).toBe(200);
  }, 60_000);
});

describe('secrets', () => {
  it('appear in no response body and no file of the home except .security.yml', async () => {
    // Chat once through the proxy so sessions and logs have content, then read what the API shows.
    const cookie = await login('203.0.113.31');
    const ws = new WebSocket(`${base.replace('http', 'ws')}/pico/ws?session_id=secrets`, { headers: { cookie, origin: base, 'x-forwarded-for': '203.0.113.31' } });
    const frames: string[] = [];
    ws.on('message', (d) => frames.push(d.toString()));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ type: 'message.send', payload: { content: `my key is not ${SECRETS.apiKey.slice(0, 4)}` } }));
    await waitFor(() => frames.some((f) => f.includes('typing.stop')) || undefined, 10_000, 'the chat answer');
    ws.close();
    bodies.push(...frames);
    for (const path of ['/api/config', '/api/models', '/api/mcp', '/api/tools', '/api/gateway/status', '/api/logs', '/api/auth/status', '/api/sessions', '/api/system/version', `/api/nope?token=${SECRETS.token}`]) await call(path, { cookie, xff: '203.0.113.31' });
    const security = await readFile(join(home, '.security.yml'), 'utf8');
    for (const secret of [SECRETS.apiKey, SECRETS.mcpHeader]) expect(security).toContain(secret);
    expect(await readFile(join(home, 'launcher-config.json'), 'utf8')).toMatch(/"password_hash": "scrypt\$/);

    launcher.child.kill('SIGTERM');
    await launcher.child;
    stopped = true;
    const files = (await walk(home)).filter((f) => !f.endsWith('/.security.yml'));
    expect(files.some((f) => f.endsWith('launcher.log'))).toBe(true);
    expect(files.some((f) => f.endsWith('gateway.log'))).toBe(true);
    expect(files.some((f) => f.includes('sessions'))).toBe(true);
    const secrets = [...Object.values(SECRETS), ...new Set(runtimeSecrets)];
    const texts: [string, string][] = [...(await Promise.all(files.map(async (f) => [relative(home, f), await readFile(f, 'utf8')] as [string, string]))), ['launcher output', launcher.output()], ...bodies.map((b, i) => [`response body #${i}`, b] as [string, string])];
    const leaks = texts.flatMap(([where, text]) => secrets.filter((s) => text.includes(s)).map((s) => `${where} contains ${s.slice(0, 6)}…`));
    console.log(`secrets: ${secrets.length} secrets × ${files.length} files, ${bodies.length} bodies and the launcher output: ${leaks.length} leaks`);
    expect(leaks).toEqual([]);
    // The scan is not vacuous: files were read and the home holds the chat.
    expect((await readdir(home)).length).toBeGreaterThan(3);
  });
});
