import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { resourceRoutes } from './resource-routes.js';

let server: Server | undefined;
let home: string | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  if (home) await rm(home, { recursive: true, force: true });
  server = home = undefined;
});

/** The routes on a real HTTP server over a real config.json in a temporary home; reloads counted. */
async function start() {
  home = await mkdtemp(join(tmpdir(), 'picoclaw-resources-'));
  const configPath = join(home, 'config.json');
  await writeFile(configPath, JSON.stringify({ agents: { defaults: { model_name: 'm' } }, model_list: [{ model_name: 'm', model: 'groq/llama', api_keys: ['k'] }] }));
  let reloads = 0;
  const app = express();
  app.use(express.json());
  app.use(resourceRoutes({
    configPath,
    home,
    launcherToken: () => '',
    reloadGateway: async () => ({ status: 'reloaded', n: ++reloads }),
    serializeConfigWrite: (task) => task(),
    gateway: async () => undefined,
    gatewayRunning: () => false,
  }));
  server = createServer(app);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const put = async (body: unknown) => {
    const response = await fetch(`${base}/api/heartbeat`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as { error?: string; issues?: { path: string; message: string }[] } };
  };
  const stored = async () => (JSON.parse(await readFile(configPath, 'utf8')) as { heartbeat?: unknown }).heartbeat;
  const request = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as { error?: string; issues?: { path: string; message: string }[] } };
  };
  return { put, stored, request, home, reloads: () => reloads };
}

describe('PUT /api/models/<name>', () => {
  it('renaming a model (the Models page form sends no key) keeps its stored key and the references to it', async () => {
    const { request, home } = await start();
    expect((await request('PUT', '/api/models/m', { model_name: 'main' })).status).toBe(200);
    const security = await readFile(join(home, '.security.yml'), 'utf8');
    expect(security).toMatch(/main:[\s\S]*api_keys:[\s\S]*- k\b/);
    const config = JSON.parse(await readFile(join(home, 'config.json'), 'utf8')) as { agents: { defaults: { model_name: string } }; model_list: { model_name: string }[] };
    expect(config.agents.defaults.model_name).toBe('main');
    expect(config.model_list.map((m) => m.model_name)).toEqual(['main']);
  });
});

describe('PUT /api/heartbeat', () => {
  it('saves the heartbeat block, keeping what was not sent, and reloads the gateway', async () => {
    const { put, stored, reloads } = await start();
    expect((await put({ enabled: true, interval: 15, active_hours: ' 08:00-22:00 ', target: 'telegram:12345' })).status).toBe(200);
    expect(await stored()).toEqual({ enabled: true, interval: 15, active_hours: '08:00-22:00', target: 'telegram:12345' });
    expect((await put({ enabled: false })).status).toBe(200);
    expect(await stored()).toEqual({ enabled: false, interval: 15, active_hours: '08:00-22:00', target: 'telegram:12345' });
    expect(reloads()).toBe(2);
  });

  it('refuses bad values with a sentence naming the setting, and writes nothing', async () => {
    const { put, stored, reloads } = await start();
    // The schema would quietly raise 3 to 5: said here instead.
    expect(await put({ interval: 3 })).toEqual({ status: 400, body: { error: 'heartbeat.interval must be a whole number of minutes from 5 to 10080 (a week)' } });
    expect((await put({ enabled: 'yes' })).body.error).toBe('heartbeat.enabled must be true or false');
    expect((await put({ interval: 30, model: 'x' })).body.error).toBe('send {"enabled", "interval", "active_hours", "target"}; not "model"');
    const hours = await put({ active_hours: '8-22' });
    expect(hours.status).toBe(400);
    expect(hours.body.issues?.[0]).toMatchObject({ path: 'heartbeat.active_hours', message: expect.stringMatching(/HH:MM-HH:MM/) });
    expect((await put({ target: 'telegram' })).body.issues?.[0]).toMatchObject({ path: 'heartbeat.target' });
    expect(await stored()).toBeUndefined();
    expect(reloads()).toBe(0);
  });
});
