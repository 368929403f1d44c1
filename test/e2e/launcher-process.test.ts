/**
 * The launcher as a real process spawning the real gateway: auth, the config API, supervision and
 * chat through the /pico/ws proxy, against a fake model server.
 */
import { readdir, readFile, rm, mkdtemp, writeFile, stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnLauncher, startFakeHomeAssistant, startFakeLlm, type FakeHomeAssistant, type FakeLlm, type LauncherProcess } from '@picoclaw/test-fakes';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

let home: string;
let llm: FakeLlm | undefined;
let launcher: LauncherProcess | undefined;
let base = '';

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'picoclaw-launcher-'));
});
afterEach(async () => {
  launcher?.child.kill('SIGTERM');
  await launcher?.child;
  await llm?.close();
  launcher = llm = undefined;
  await rm(home, { recursive: true, force: true });
});

const SECRETS = { mistral: 'mk-launcher-secret-1', token: 'homelab-master-token-123' };

/** `gatewayPort` null: no PICOCLAW_GATEWAY_PORT, so config.json's gateway.port decides. */
async function start(env: NodeJS.ProcessEnv = {}, withModel = true, extra: Record<string, unknown> = {}, gatewayPort?: number | null) {
  llm ??= await startFakeLlm([], { echo: true });
  if (withModel) {
    await writeFile(join(home, 'config.json'), JSON.stringify({
      agents: { defaults: { model_name: 'mistral-small' } },
      model_list: [{ model_name: 'mistral-small', model: 'mistral/mistral-small-latest', api_base: `${llm.url}/v1`, api_keys: ['[NOT_HERE]'] }],
      ...extra,
    }));
    await writeFile(join(home, '.security.yml'), `model_list:\n  mistral-small:\n    api_keys: ["${SECRETS.mistral}"]\n`);
  }
  launcher = spawnLauncher({ home, gatewayPort: gatewayPort === undefined ? await freePort() : gatewayPort, env });
  const port = await launcher.listening();
  base = `http://127.0.0.1:${port}`;
  return port;
}

/** A tiny cookie-keeping client. */
function client() {
  let cookie = '';
  const call = async (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const response = await fetch(`${base}${path}`, {
      ...init,
      redirect: 'manual',
      headers: { ...(cookie ? { cookie } : {}), ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string>) },
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
    });
    const set = response.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0]!;
    return response;
  };
  return { call, cookie: () => cookie };
}

async function waitFor<T>(check: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    // The launcher's last lines say why (the gateway's state, its last error).
    if (Date.now() > end) throw new Error(`timed out; the launcher's last output:\n${launcher?.output().slice(-4000) ?? '(none)'}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A request with the path sent exactly as written (fetch would normalise it). */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<number> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

async function chat(cookie: string, text: string, session = 'web1') {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/pico/ws?session_id=${session}`, { headers: { cookie, origin: base } });
  const frames: { type: string; payload?: Record<string, unknown> }[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(JSON.stringify({ type: 'message.send', payload: { content: text } }));
  await waitFor(async () => frames.some((f) => f.type === 'typing.stop') || undefined);
  ws.close();
  return frames;
}

describe('picoclaw-launcher (process)', () => {
  it('first run: set a password, log in, see the gateway running; wrong passwords are refused then rate-limited', async () => {
    await start();
    const c = client();
    expect(await (await c.call('/api/auth/status')).json()).toMatchObject({ authenticated: false, setup_required: true });
    expect((await c.call('/api/config')).status).toBe(401);
    expect((await c.call('/')).headers.get('location')).toBe('/launcher-login');
    expect((await c.call('/api/auth/setup', { method: 'POST', json: { password: 'short' } })).status).toBe(400);
    expect((await c.call('/api/auth/setup', { method: 'POST', json: { password: 'correct horse battery' } })).status).toBe(200);
    expect(await (await c.call('/api/auth/status')).json()).toMatchObject({ authenticated: true, method: 'password' });
    const status = await waitFor(async () => {
      const s = (await (await c.call('/api/gateway/status')).json()) as { process: { state: string }; gateway?: { channels: { name: string; state: string }[] } };
      return s.process.state === 'running' && s.gateway ? s : undefined;
    });
    expect(status.gateway!.channels).toEqual([expect.objectContaining({ name: 'pico', state: 'running' })]);
    expect((await c.call('/api/auth/logout', { method: 'POST' })).status).toBe(200);
    expect((await c.call('/api/config')).status).toBe(401);
    // A second setup is refused once a password exists.
    expect((await client().call('/api/auth/setup', { method: 'POST', json: { password: 'another password' } })).status).toBe(409);

    const stranger = client();
    for (let i = 0; i < 5; i++) expect((await stranger.call('/api/auth/login', { method: 'POST', json: { password: `wrong-${i}` } })).status).toBe(401);
    const limited = await stranger.call('/api/auth/login', { method: 'POST', json: { password: 'correct horse battery' } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const fileMode = (await stat(join(home, 'launcher-config.json'))).mode & 0o777;
    expect(fileMode).toBe(0o600);
    expect(await readFile(join(home, 'launcher-config.json'), 'utf8')).toMatch(/"password_hash": "scrypt\$/);
  });

  it('logs in from a /?token= link and redirects to the same address without the token', async () => {
    await start({ PICOCLAW_LAUNCHER_TOKEN: SECRETS.token });
    const c = client();
    const response = await c.call(`/chat?x=1&token=${SECRETS.token}`);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/chat?x=1');
    expect(c.cookie()).toMatch(/^picoclaw_launcher_auth=/);
    expect(await (await c.call('/api/auth/status')).json()).toMatchObject({ authenticated: true, method: 'token' });
    const wrong = await client().call('/?token=nope');
    expect([wrong.status, wrong.headers.get('location')]).toEqual([302, '/launcher-login']);
    // Scripts use the token as a bearer header.
    expect((await fetch(`${base}/api/gateway/status`, { headers: { authorization: `Bearer ${SECRETS.token}` } })).status).toBe(200);
  });

  it('refuses path tricks before any auth decision', async () => {
    await start();
    for (const path of ['/api/../api/config', '/assets/../api/config', '/api/%2e%2e/api/config', '/launcher-login/../api/config', '//api/config', '/./api/config']) {
      expect([400, 401]).toContain(await rawGet(path));
      expect(await rawGet(path)).not.toBe(200);
    }
  });

  it('streams the model answer through the /pico/ws proxy, and refuses the socket without a session', async () => {
    await start();
    const c = client();
    await c.call('/api/auth/setup', { method: 'POST', json: { password: 'correct horse battery' } });
    await waitFor(async () => ((await (await c.call('/api/gateway/status')).json()) as { process: { state: string } }).process.state === 'running' || undefined);
    const frames = await chat(c.cookie(), 'hello from the browser');
    const last = frames.filter((f) => f.type === 'message.update' || f.type === 'message.create').at(-1)!;
    expect(last.payload!.content).toBe('you said: hello from the browser');
    expect(llm!.requests.at(-1)!.authorization).toBe(`Bearer ${SECRETS.mistral}`);
    const refused = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/pico/ws`);
      ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      ws.on('error', () => {});
    });
    expect(refused).toBe('401');
    const foreign = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/pico/ws`, { headers: { cookie: c.cookie(), origin: 'http://evil.example' } });
      ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      ws.on('error', () => {});
    });
    expect(foreign).toBe('403');
  });

  it('never rewrites the config.json and .security.yml it was given: chat works through a pico channel only the gateway environment has', async () => {
    await start({ PICOCLAW_LAUNCHER_TOKEN: SECRETS.token });
    const c = client();
    await c.call(`/?token=${SECRETS.token}`);
    await waitFor(async () => ((await (await c.call('/api/gateway/status')).json()) as { process: { state: string } }).process.state === 'running' || undefined);
    expect((await chat(c.cookie(), 'hello, unchanged files')).some((f) => f.payload?.content === 'you said: hello, unchanged files')).toBe(true);
    // start() wrote a one-line config.json (a save would write it out, with every default, on many lines).
    const config = await readFile(join(home, 'config.json'), 'utf8');
    expect(config.includes('\n') || /"pico"|"version"/.test(config), config.slice(0, 300)).toBe(false);
    expect(await readFile(join(home, '.security.yml'), 'utf8')).toBe(`model_list:\n  mistral-small:\n    api_keys: ["${SECRETS.mistral}"]\n`);
    expect((await readdir(home)).filter((f) => f.endsWith('.bak'))).toEqual([]);
  });

  it('restarts the gateway after SIGKILL, and chat works again', async () => {
    await start();
    const c = client();
    await c.call('/api/auth/setup', { method: 'POST', json: { password: 'correct horse battery' } });
    const first = await waitFor(async () => {
      const s = ((await (await c.call('/api/gateway/status')).json()) as { process: { state: string; pid?: number } }).process;
      return s.state === 'running' && s.pid ? s : undefined;
    });
    // runtimeEnv (packages/core): the launcher gives its gateway two malloc arenas.
    expect((await readFile(`/proc/${first.pid}/environ`, 'utf8')).split('\0')).toContain('MALLOC_ARENA_MAX=2');
    process.kill(first.pid!, 'SIGKILL');
    const second = await waitFor(async () => {
      const s = ((await (await c.call('/api/gateway/status')).json()) as { process: { state: string; pid?: number; restarts: number } }).process;
      return s.state === 'running' && s.pid && s.pid !== first.pid ? s : undefined;
    });
    expect(second.restarts).toBe(1);
    const frames = await chat(c.cookie(), 'still there?');
    expect(frames.some((f) => f.payload?.content === 'you said: still there?')).toBe(true);
  });

  it.each(['SIGTERM', 'SIGKILL'] as const)('leaves no gateway behind when the launcher gets %s', async (signal) => {
    await start();
    const c = client();
    await c.call('/api/auth/setup', { method: 'POST', json: { password: 'correct horse battery' } });
    const { pid } = await waitFor(async () => {
      const s = ((await (await c.call('/api/gateway/status')).json()) as { process: { state: string; pid?: number } }).process;
      return s.state === 'running' && s.pid ? s : undefined;
    });
    const alive = () => {
      try {
        process.kill(pid!, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive()).toBe(true);
    launcher!.child.kill(signal);
    await launcher!.child;
    launcher = undefined;
    // SIGTERM: stopped by the launcher; SIGKILL: the gateway notices its parent is gone (within ~2 s).
    await waitFor(async () => !alive() || undefined, 10_000);
  });

  it('refuses an invalid config with 400 and the key paths, leaving the file unchanged; a valid one is saved and applied', async () => {
    await start();
    const c = client();
    await c.call('/api/auth/setup', { method: 'POST', json: { password: 'correct horse battery' } });
    await waitFor(async () => ((await (await c.call('/api/gateway/status')).json()) as { process: { state: string } }).process.state === 'running' || undefined);
    const before = await readFile(join(home, 'config.json'), 'utf8');
    const { config } = (await (await c.call('/api/config')).json()) as { config: Record<string, unknown> & { model_list: { api_keys: string[] }[] } };
    expect(config.model_list[0]!.api_keys).toEqual(['[NOT_HERE]']);
    const bad = await c.call('/api/config', { method: 'PUT', json: { ...config, gateway: { port: 'eighty' } }, headers: { origin: base } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { issues: { path: string }[] }).issues[0]!.path).toBe('gateway.port');
    expect(await readFile(join(home, 'config.json'), 'utf8')).toBe(before);
    const cross = await c.call('/api/config', { method: 'PUT', json: config, headers: { origin: 'http://evil.example' } });
    expect(cross.status).toBe(403);
    (config.agents as { defaults: { temperature: number } }).defaults.temperature = 0.2;
    const good = await c.call('/api/config', { method: 'PUT', json: config, headers: { origin: base } });
    expect(good.status).toBe(200);
    expect(await good.json()).toMatchObject({ status: 'saved', reload: { status: 'reloaded' } });
    expect(JSON.parse(await readFile(join(home, 'config.json'), 'utf8')).agents.defaults.temperature).toBe(0.2);
    // The redacted key sent back kept the stored one.
    expect(await readFile(join(home, '.security.yml'), 'utf8')).toContain(SECRETS.mistral);
  });

  it('manages models, Home Assistant and tools through the focused endpoints', async () => {
    const ha: FakeHomeAssistant = await startFakeHomeAssistant();
    try {
      await start();
      const c = client();
      const post = (path: string, json: unknown, method = 'POST') => c.call(path, { method, json, headers: { origin: base } });
      await post('/api/auth/setup', { password: 'correct horse battery' });
      await waitFor(async () => ((await (await c.call('/api/gateway/status')).json()) as { process: { state: string } }).process.state === 'running' || undefined);

      expect((await post('/api/models', { model_name: 'groq', model: 'groq/llama-3.3-70b-versatile', api_base: llm!.url, api_keys: ['gsk-added-key'] })).status).toBe(200);
      expect((await post('/api/models-order', { primary: 'groq', fallbacks: ['mistral-small'] }, 'PUT')).status).toBe(200);
      const models = (await (await c.call('/api/models')).json()) as { primary: string; fallbacks: string[]; models: { model_name: string; api_keys: string[] }[] };
      expect(models).toMatchObject({ primary: 'groq', fallbacks: ['mistral-small'] });
      expect(models.models.map((m) => m.api_keys)).toEqual([['[NOT_HERE]'], ['[NOT_HERE]']]);
      const tested = (await (await post('/api/models/groq/test', {})).json()) as { ok: boolean; latency_ms: number; reply: string };
      expect(tested).toMatchObject({ ok: true, reply: 'you said: Reply with the single word: pong' });
      expect(llm!.requests.at(-1)!.authorization).toBe('Bearer gsk-added-key');

      const wrong = (await (await post('/api/mcp/test', { url: ha.url, token: 'not-the-token' })).json()) as { ok: boolean; hint?: string };
      expect(wrong).toMatchObject({ ok: false, hint: expect.stringMatching(/long-lived access token/) });
      const probe = (await (await post('/api/mcp/test', { url: ha.url, token: ha.token })).json()) as { ok: boolean; tools: { tool: string }[] };
      expect(probe.ok).toBe(true);
      expect(probe.tools.map((t) => t.tool)).toContain('HassTurnOn');
      expect((await post('/api/mcp/homeassistant', { url: ha.url, token: ha.token }, 'PUT')).status).toBe(200);
      await waitFor(async () => {
        const m = (await (await c.call('/api/mcp')).json()) as { status?: { state: string }[] };
        return m.status?.[0]?.state === 'connected' || undefined;
      });
      const mcp = (await (await c.call('/api/mcp')).json()) as { servers: Record<string, { headers: Record<string, string> }> };
      expect(mcp.servers.homeassistant!.headers.Authorization).toBe('[NOT_HERE]');
      const called = (await (await post('/api/mcp/homeassistant/call', { tool: 'HassTurnOn', arguments: { name: 'kitchen light' } })).json()) as { ok: boolean; result: string };
      expect(called).toMatchObject({ ok: true, result: 'turned on kitchen light' });

      expect((await post('/api/tools/web_fetch', { enabled: true }, 'PUT')).status).toBe(200);
      const tools = (await (await c.call('/api/tools')).json()) as { tools: { name: string; enabled: boolean }[] };
      expect(tools.tools.find((t) => t.name === 'web_fetch')).toEqual({ name: 'web_fetch', enabled: true });
      expect((await post('/api/tools/nope', { enabled: true }, 'PUT')).status).toBe(404);
      const security = await readFile(join(home, '.security.yml'), 'utf8');
      expect(security).toContain('gsk-added-key');
      expect(security).toContain(`Bearer ${ha.token}`);
      expect(await readFile(join(home, 'config.json'), 'utf8')).not.toMatch(/gsk-added-key|ha-test-token/);
    } finally {
      await ha.close();
    }
  });

  it('runs the gateway where config.json gateway.port says, again after a change and a restart; PICOCLAW_GATEWAY_PORT wins over it', async () => {
    const [fromFile, changed, fromEnv] = [await freePort(), await freePort(), await freePort()];
    await start({ PICOCLAW_LAUNCHER_TOKEN: SECRETS.token }, true, { gateway: { port: fromFile } }, null);
    const c = client();
    await c.call(`/?token=${SECRETS.token}`);
    type Status = { process: { state: string; pid?: number; url: string } };
    const runningOn = (port: number) => waitFor(async () => {
      const s = (await (await c.call('/api/gateway/status')).json()) as Status;
      return s.process.state === 'running' && s.process.url === `http://127.0.0.1:${port}` ? s.process : undefined;
    });
    const listening = async (port: number) => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.json() as Promise<{ pid: number }>, () => undefined);
    const first = await runningOn(fromFile);
    expect(await listening(fromFile)).toMatchObject({ pid: first.pid });
    expect((await chat(c.cookie(), 'on the configured port')).some((f) => f.payload?.content === 'you said: on the configured port')).toBe(true);

    // A new gateway.port is read again when the launcher restarts the gateway.
    const config = JSON.parse(await readFile(join(home, 'config.json'), 'utf8')) as { gateway: { port: number } };
    config.gateway.port = changed;
    await writeFile(join(home, 'config.json'), JSON.stringify(config));
    expect((await c.call('/api/gateway/restart', { method: 'POST', headers: { origin: base } })).status).toBe(200);
    const second = await runningOn(changed);
    expect(await listening(changed)).toMatchObject({ pid: second.pid });
    expect(await listening(fromFile)).toBeUndefined();
    expect((await chat(c.cookie(), 'after the move')).some((f) => f.payload?.content === 'you said: after the move')).toBe(true);

    // The environment overrides the file.
    launcher!.child.kill('SIGTERM');
    await launcher!.child;
    launcher = spawnLauncher({ home, gatewayPort: fromEnv, env: { PICOCLAW_LAUNCHER_TOKEN: SECRETS.token } });
    base = `http://127.0.0.1:${await launcher.listening()}`;
    await c.call(`/?token=${SECRETS.token}`);
    const third = await runningOn(fromEnv);
    expect(await listening(fromEnv)).toMatchObject({ pid: third.pid });
    expect(await listening(changed)).toBeUndefined();
    expect((await chat(c.cookie(), 'from the environment')).some((f) => f.payload?.content === 'you said: from the environment')).toBe(true);
  });

  it('never puts a secret in an API response or in a file it writes (other than .security.yml)', async () => {
    await start({ PICOCLAW_LAUNCHER_TOKEN: SECRETS.token });
    const c = client();
    await c.call(`/?token=${SECRETS.token}`);
    await waitFor(async () => ((await (await c.call('/api/gateway/status')).json()) as { process: { state: string } }).process.state === 'running' || undefined);
    await chat(c.cookie(), 'hi');
    const bodies = await Promise.all(['/api/config', '/api/gateway/status', '/api/logs', '/api/auth/status'].map(async (p) => (await c.call(p)).text()));
    // The dashboard chat's pico token lives only in the gateway's environment (config.json is never rewritten at start).
    const gatewayPid = (JSON.parse(await readFile(join(home, '.picoclaw.pid'), 'utf8')) as { pid: number }).pid;
    const picoToken = /(?:^|\0)PICOCLAW_CHANNELS_PICO_TOKEN=([^\0]+)/.exec(await readFile(`/proc/${gatewayPid}/environ`, 'utf8'))![1]!;
    launcher!.child.kill('SIGTERM');
    await launcher!.child;
    launcher = undefined;
    const files: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.name !== '.security.yml') files.push(path);
      }
    };
    await walk(home);
    expect(files.some((f) => f.endsWith('launcher.log'))).toBe(true);
    expect(files.some((f) => f.endsWith('gateway.log'))).toBe(true);
    for (const secret of [SECRETS.mistral, SECRETS.token, picoToken]) {
      for (const body of bodies) expect(body).not.toContain(secret);
      for (const file of files) expect(await readFile(file, 'utf8'), file).not.toContain(secret);
    }
  });
});
