import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { configRoutes } from './config-routes.js';

let server: Server | undefined;
let home: string | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  if (home) await rm(home, { recursive: true, force: true });
  server = home = undefined;
});

const KEY = 'sk-real-key-0123456789';
type Doc = { model_list: { model_name: string; api_keys: string[] }[] } & Record<string, unknown>;

/** The routes on a real HTTP server over a real config.json (its key in .security.yml after a save). */
async function start() {
  home = await mkdtemp(join(tmpdir(), 'picoclaw-config-routes-'));
  const configPath = join(home, 'config.json');
  await writeFile(configPath, JSON.stringify({ agents: { defaults: { model_name: 'm' } }, model_list: [{ model_name: 'm', model: 'groq/llama', api_keys: [KEY] }] }));
  let reloads = 0;
  const app = express();
  app.use(express.json());
  app.use(configRoutes({ configPath, home, launcherToken: () => '', reloadGateway: async () => ({ status: 'reloaded', n: ++reloads }), serializeConfigWrite: (task) => task(), log: () => {} }));
  server = createServer(app);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = async () => {
    const response = await fetch(`${base}/api/config`);
    return { etag: response.headers.get('etag'), body: (await response.json()) as { revision: string; config: Doc } };
  };
  const put = async (body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}/api/config`, { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as { error?: string; conflict?: boolean; status?: string } };
  };
  const validate = async (body: unknown) => {
    const response = await fetch(`${base}/api/config/validate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as { valid: boolean; issues?: { path: string; message: string }[]; warnings: string[] } };
  };
  const onDisk = async () => JSON.parse(await readFile(configPath, 'utf8')) as Doc;
  return { get, put, validate, onDisk, configPath, reloads: () => reloads };
}

describe('config API revisions (If-Match)', () => {
  it('gives the redacted document a revision, also as its ETag, that derives nothing from the secret', async () => {
    const { get } = await start();
    const { etag, body } = await get();
    expect(body.config.model_list[0]!.api_keys).toEqual(['[NOT_HERE]']);
    expect(body.revision).toMatch(/^[\w-]{22}$/);
    expect(etag).toBe(`"${body.revision}"`);
    expect(JSON.stringify(body)).not.toContain(KEY);
  });

  it('saves with a matching If-Match (the stored key kept behind the placeholder) and refuses a stale one with 409, writing nothing', async () => {
    const { get, put, onDisk, configPath, reloads } = await start();
    const first = await get();
    const edited = { ...first.body.config, heartbeat: { enabled: true, interval: 15 } };
    expect(await put(edited, { 'if-match': first.etag! })).toMatchObject({ status: 200, body: { status: 'saved' } });
    expect((await onDisk()).heartbeat).toMatchObject({ interval: 15 });
    expect(await readFile(join(configPath, '..', '.security.yml'), 'utf8')).toContain(KEY);
    expect(reloads()).toBe(1);

    // The old revision no longer matches: a second tab working on the first copy is told, not obeyed.
    const stale = { ...first.body.config, heartbeat: { enabled: true, interval: 45 } };
    const refused = await put(stale, { 'if-match': first.etag! });
    expect(refused.status).toBe(409);
    expect(refused.body.conflict).toBe(true);
    expect(refused.body.error).toMatch(/changed on disk since you loaded it.*nothing was written/);
    expect((await onDisk()).heartbeat).toMatchObject({ interval: 15 });
    expect(reloads()).toBe(1);

    // A change made by hand in the file changes the revision too.
    const now = await get();
    await writeFile(configPath, JSON.stringify({ ...(await onDisk()), heartbeat: { enabled: false, interval: 20 } }));
    expect((await put(now.body.config, { 'if-match': now.etag! })).status).toBe(409);
    expect((await put(now.body.config, { 'if-match': `W/${(await get()).etag!}` })).status).toBe(200);
  });

  it('keeps last-writer-wins for callers without If-Match, or with If-Match: *', async () => {
    const { get, put, onDisk } = await start();
    const { body } = await get();
    await writeFile(join(home!, 'config.json'), JSON.stringify({ ...(await onDisk()), heartbeat: { enabled: false } }));
    expect((await put(body.config)).status).toBe(200);
    expect((await put(body.config, { 'if-match': '*' })).status).toBe(200);
  });
});

describe('POST /api/config/validate', () => {
  it('answers valid with no warnings for the document as loaded, and issues with their paths for a wrong type', async () => {
    const { get, validate } = await start();
    const { config } = (await get()).body;
    expect(await validate(config)).toEqual({ status: 200, body: { valid: true, warnings: [] } });
    const wrong = await validate({ ...config, heartbeat: { enabled: 'yes' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.valid).toBe(false);
    expect(wrong.body.issues).toEqual([expect.objectContaining({ path: 'heartbeat.enabled', message: 'expected boolean, got string' })]);
  });

  it('a renamed model keeps its key (same endpoint); renamed and moved to another address it is refused, never saved empty', async () => {
    const { get, put, validate, configPath } = await start();
    const { config } = (await get()).body;
    const renamed = { ...config, model_list: [{ ...config.model_list[0]!, model_name: 'renamed' }], agents: { defaults: { model_name: 'renamed' } } };
    expect(await validate(renamed)).toEqual({ status: 200, body: { valid: true, warnings: [] } });
    const moved = { ...renamed, model_list: [{ ...renamed.model_list[0]!, api_base: 'http://attacker.example/v1' }] };
    const refused = await validate(moved);
    expect(refused.status).toBe(400);
    expect(refused.body.issues).toEqual([expect.objectContaining({ path: 'model_list.0.api_keys.0', message: expect.stringMatching(/none is stored for model "renamed" at that api_base.*enter the secret again/) })]);
    expect((await put(moved)).status).toBe(400);
    expect(JSON.stringify(refused.body)).not.toContain(KEY);
    expect((await put(renamed)).status).toBe(200);
    expect(await readFile(join(configPath, '..', '.security.yml'), 'utf8')).toContain(KEY);
    expect((await get()).body.config.model_list.map((m) => [m.model_name, m.api_keys])).toEqual([['renamed', ['[NOT_HERE]']]]);
  });

  it("warns as you type about what loading would warn about: keys ignored for PicoClaw's sake, a Telegram bot nobody may use", async () => {
    const { get, validate } = await start();
    const { config } = (await get()).body;
    const answer = await validate({ ...config, channel_list: { tg: { type: 'telegram', enabled: true, settings: { token: '123:abc' } } }, tools: { media_cleanup: { enabled: true } } });
    expect(answer.status).toBe(200);
    expect(answer.body.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^ignored for compatibility with PicoClaw: tools\.media_cleanup/), expect.stringMatching(/channel_list\.tg\.allow_from is empty, so nobody may use the Telegram bot/)]));
  });
});
