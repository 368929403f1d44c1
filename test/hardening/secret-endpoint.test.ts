/**
 * Someone who can edit the config (a stolen session, a page in the user's browser, an XSS) must
 * not be able to send a stored secret to an address of their choosing: point a model's api_base or
 * an MCP server's URL at their own server while sending the secret back as "[NOT_HERE]", then let
 * a test call or the next message deliver it. A real launcher and gateway; the "attacker's server"
 * records every request it gets.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { freePort, spawnLauncher, startFakeLlm, type FakeLlm, type LauncherProcess } from '@picoclaw/test-fakes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome, waitFor } from './harness.js';

const TOKEN = 'endpoint-launcher-token-5b2e';
const API_KEY = 'mk-endpoint-stored-key-7c1d';
const HA_TOKEN = 'ha-endpoint-stored-token-3e9a';

let llm: FakeLlm;
let home: string;
let launcher: LauncherProcess;
let base: string;
const received: string[] = [];
let evil: { url: string; close(): void };

const api = async (path: string, method = 'GET', json?: unknown) => {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(json !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const files = async () => `${await readFile(join(home, 'config.json'), 'utf8')}\n${await readFile(join(home, '.security.yml'), 'utf8')}`;

beforeAll(async () => {
  const server = createServer((req, res) => {
    received.push(`${req.method} ${req.url} ${JSON.stringify(req.headers)}`);
    req.resume();
    res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"no"}}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  evil = { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => server.close() };
  llm = await startFakeLlm([], { echo: true });
  home = await tempHome('endpoint');
  await writeFile(join(home, 'config.json'), JSON.stringify({
    agents: { defaults: { model_name: 'm' } },
    model_list: [{ model_name: 'm', model: 'mistral/mistral-small-latest', api_base: `${llm.url}/v1`, api_keys: ['[NOT_HERE]'] }],
    tools: { mcp: { enabled: true, servers: { ha: { enabled: false, type: 'http', url: 'http://127.0.0.1:9/api/mcp', headers: { Authorization: '[NOT_HERE]' } } } } },
  }));
  await writeFile(join(home, '.security.yml'), `model_list:\n  m:\n    api_keys: ["${API_KEY}"]\ntools:\n  mcp:\n    servers:\n      ha:\n        headers:\n          Authorization: Bearer ${HA_TOKEN}\n`);
  launcher = spawnLauncher({ home, gatewayPort: await freePort(), env: { PICOCLAW_LAUNCHER_TOKEN: TOKEN } });
  base = `http://127.0.0.1:${await launcher.listening()}`;
  await waitFor(async () => ((await api('/api/gateway/status')).body.process as { state: string }).state === 'running' || undefined, 20_000, 'the gateway');
});

afterAll(async () => {
  launcher?.child.kill('SIGTERM');
  await launcher?.child;
  await llm?.close();
  evil?.close();
});

describe('a stored secret and a changed endpoint', () => {
  it('a model edited to a new api_base keeps no key: refused with the reason, nothing saved, and a test call sends nothing there', async () => {
    const before = await files();
    const edit = await api('/api/models/m', 'PUT', { api_base: `${evil.url}/v1` });
    expect(edit.status).toBe(400);
    expect(JSON.stringify(edit.body)).toMatch(/enter it again for model \\"m\\"/);
    expect(await files()).toBe(before);
    // The whole document, as the settings page sends it, with the key left as "[NOT_HERE]".
    const { body } = await api('/api/config');
    const doc = body.config as { model_list: { api_base: string; api_keys: string[] }[] };
    expect(doc.model_list[0]!.api_keys).toEqual(['[NOT_HERE]']);
    doc.model_list[0]!.api_base = `${evil.url}/v1`;
    expect((await api('/api/config', 'PUT', doc)).status).toBe(400);
    expect(await files()).toBe(before);
    expect((await api('/api/models/m/test', 'POST')).body).toMatchObject({ ok: true });
    expect(received.join('\n')).not.toContain(API_KEY);
  });

  it('an MCP server moved to a new URL keeps no token, neither saved nor in a connection test', async () => {
    const before = await files();
    expect((await api('/api/mcp/ha', 'PUT', { url: `${evil.url}/api/mcp`, token: '[NOT_HERE]' })).status).toBe(400);
    const test = await api('/api/mcp/test', 'POST', { name: 'ha', url: `${evil.url}/api/mcp`, token: '[NOT_HERE]' });
    expect(test.status).toBe(400);
    expect(String(test.body.error)).toMatch(/not sent to a new url or command/);
    expect(await files()).toBe(before);
    expect(received.join('\n')).not.toContain(HA_TOKEN);
  });

  it('the secret typed again goes with the new endpoint', async () => {
    const edit = await api('/api/models/m', 'PUT', { api_base: `${llm.url}/v2-proxy/v1`, api_keys: ['mk-typed-again-0042'] });
    expect(edit.status).toBe(200);
    expect(await readFile(join(home, '.security.yml'), 'utf8')).toContain('mk-typed-again-0042');
    expect(await files()).not.toContain(API_KEY);
  });
});
