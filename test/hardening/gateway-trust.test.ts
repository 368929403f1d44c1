/**
 * The launcher and its gateway as real processes, attacked from the same machine: a local process
 * that takes the gateway port while the gateway is down (it must get no credential, and the
 * launcher must not take it for its gateway), the chat credential the launcher hands the gateway
 * (it must die with that gateway process), and the gateway child's environment (it must not hold
 * the launcher's login token).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { picoCredential } from '@picoclaw/core';
import { freePort, spawnLauncher, startFakeLlm, type FakeLlm, type LauncherProcess } from '@picoclaw/test-fakes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { picoClient, picoTurn, tempHome, waitFor } from './harness.js';

const TOKEN = 'trust-launcher-token-41c9e2';
const PICO_TOKEN = 'trust-permanent-pico-token-77d0';
const API_KEY = 'mk-trust-api-key-19af';

interface ProcessStatus {
  state: string;
  pid?: number;
  lastError?: string;
}

let llm: FakeLlm;
let home: string;
let gatewayPort: number;
let launcher: LauncherProcess;
let base: string;

const api = (path: string, method = 'GET') => fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } });
const processStatus = async () => ((await (await api('/api/gateway/status')).json()) as { process: ProcessStatus }).process;
const running = () => waitFor(async () => {
  const s = await processStatus();
  return s.state === 'running' && s.pid ? s : undefined;
}, 20_000, 'the gateway running');
const environOf = async (pid: number) => (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0').filter(Boolean);
const childToken = async (pid: number) => (await environOf(pid)).find((v) => v.startsWith('PICOCLAW_GATEWAY_TOKEN='))!.split('=')[1]!;

/** What a squatting process receives: every request and upgrade, headers and body, as text. */
async function startSquatter(port: number) {
  const seen: string[] = [];
  const record = (req: IncomingMessage, body = '') => seen.push(`${req.method} ${req.url}\n${JSON.stringify(req.headers)}\n${body}`);
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      record(req, body);
      // It plays the gateway as well as it can without the token: a ready answer with no proof.
      res.writeHead(200, { 'content-type': 'application/json' }).end(req.url?.startsWith('/ready') ? '{"status":"ready"}' : '{}');
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket) => {
    record(req);
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  return { seen, close: () => new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections()) };
}

beforeAll(async () => {
  llm = await startFakeLlm([], { echo: true });
  home = await tempHome('trust');
  await writeFile(join(home, 'config.json'), JSON.stringify({
    agents: { defaults: { model_name: 'm' } },
    model_list: [{ model_name: 'm', model: 'mistral/mistral-small-latest', api_base: `${llm.url}/v1`, api_keys: ['[NOT_HERE]'] }],
    channel_list: { pico: { type: 'pico', enabled: true, settings: { token: '[NOT_HERE]' } } },
  }));
  await writeFile(join(home, '.security.yml'), `model_list:\n  m:\n    api_keys: ["${API_KEY}"]\nchannel_list:\n  pico:\n    settings:\n      token: ${PICO_TOKEN}\n`);
  gatewayPort = await freePort();
});

afterAll(async () => {
  launcher?.child.kill('SIGTERM');
  await launcher?.child;
  await llm?.close();
});

describe('a local process on the gateway port', () => {
  it('gets a challenge and nothing secret; the launcher says something else answers there, and starts its gateway once the port is free', async () => {
    const squatter = await startSquatter(gatewayPort);
    launcher = spawnLauncher({ home, gatewayPort, env: { PICOCLAW_LAUNCHER_TOKEN: TOKEN, PICOCLAW_LAUNCHER_ALLOWED_HOSTS: 'squat.example' } });
    base = `http://127.0.0.1:${await launcher.listening()}`;
    const status = await waitFor(async () => {
      const s = await processStatus();
      return /another process answers/.test(s.lastError ?? '') ? s : undefined;
    }, 20_000, 'the launcher to notice the squatter');
    expect(status.state).not.toBe('running');
    expect(status.lastError).toMatch(/not the gateway this launcher started/);
    // What would reach the gateway: the status, the model list (asks the gateway for live state), a chat socket.
    expect((await api('/api/gateway/status')).status).toBe(200);
    expect((await api('/api/models')).status).toBe(200);
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/pico/ws`, { headers: { authorization: `Bearer ${TOKEN}` } });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => {});
    });
    expect(refused).toBe(503);

    const seen = squatter.seen.join('\n');
    expect(squatter.seen.length).toBeGreaterThan(0); // it was asked: /ready with a challenge
    expect(squatter.seen.every((r) => r.startsWith('GET /ready'))).toBe(true);
    for (const secret of [TOKEN, PICO_TOKEN, API_KEY]) expect(seen).not.toContain(secret);
    expect(seen).not.toMatch(/authorization|sec-websocket-protocol|token\./i);
    await squatter.close();

    // The port is free again: the user restarts the gateway, and it proves itself.
    expect((await api('/api/gateway/restart', 'POST')).status).toBe(200);
    const up = await running();
    expect(up.pid).toBeGreaterThan(0);
  });
});

describe('what the launcher gives its gateway', () => {
  it('no launcher login token and no launcher-only settings in the child environment', async () => {
    const { pid } = await running();
    const environ = await environOf(pid!);
    expect(environ.join('\n')).not.toContain(TOKEN);
    expect(environ.filter((v) => /^PICOCLAW_(LAUNCHER_|RENDER_TEMPLATE|ENV_FILE)/.test(v))).toEqual([]);
    expect(environ.some((v) => v.startsWith('PICOCLAW_GATEWAY_TOKEN='))).toBe(true);
  });

  it('a chat credential that dies with the gateway process: a captured one is refused by the next gateway', async () => {
    const first = await running();
    const captured = picoCredential(await childToken(first.pid!));
    const gatewayWs = `ws://127.0.0.1:${gatewayPort}/pico/ws`;
    const direct = await picoClient(gatewayWs, [`token.${captured}`]);
    expect((await picoTurn(direct, 'hello')).answer).toBe('you said: hello');
    direct.close();

    process.kill(first.pid!, 'SIGKILL');
    const second = await waitFor(async () => {
      const s = await processStatus();
      return s.state === 'running' && s.pid && s.pid !== first.pid ? s : undefined;
    }, 20_000, 'the restarted gateway');
    const stale = await new Promise<number>((resolve) => {
      const ws = new WebSocket(gatewayWs, [`token.${captured}`]);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => {});
    });
    expect(stale).toBe(401);
    // The dashboard chat goes on with the new process's credential.
    const chat = await picoClient(`${base.replace('http', 'ws')}/pico/ws`, [], { authorization: `Bearer ${TOKEN}` });
    expect((await picoTurn(chat, 'still there?')).answer).toBe('you said: still there?');
    chat.close();
    expect(second.pid).not.toBe(first.pid);
  });
});
