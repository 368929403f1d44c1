import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '@picoclaw/core';
import { makePng } from '@picoclaw/test-fakes';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createImageStore, type ImageStore } from '../media/image-store.js';
import type { SessionStore, StoredMessage } from '../sessions/session-store.js';
import { createGatewayServer, type GatewayHandlers, type GatewayServer } from './gateway-server.js';
import { sessionsApi } from './sessions-api.js';

const TOKEN = 'gateway-token';
const auth = { authorization: `Bearer ${TOKEN}` };
let workspace: string;
let images: ImageStore;
let server: GatewayServer;
let base: string;
let history: StoredMessage[] = [];
/** Stands in for ImageStore.file when set: what the store answered just before a link was swapped in. */
let found: { path: string; mime: string } | undefined;

beforeEach(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'gw-images-'));
  const config = configSchema.parse({ agents: { defaults: { workspace } } });
  images = createImageStore(() => config);
  const unused = () => Promise.reject(new Error('not used in this test'));
  const store = { load: async () => ({ messages: history }) } as unknown as SessionStore;
  const handlers: GatewayHandlers = {
    health: () => ({}),
    ready: () => ({ ok: true, body: { status: 'ready' } as never }),
    status: () => ({}),
    reload: unused,
    mcpRetry: () => false,
    testModel: unused,
    testMcp: unused,
    callMcp: unused,
    sessions: sessionsApi({ store, stop: () => {} }),
    apis: {},
    image: (name) => (found ? Promise.resolve(found) : images.file(name)),
  };
  server = createGatewayServer({ token: TOKEN, handlers });
  const { port } = await server.listen('127.0.0.1', 0);
  base = `http://127.0.0.1:${port}`;
});
afterEach(async () => {
  await server.close();
  await rm(workspace, { recursive: true, force: true });
  history = [];
  found = undefined;
});

describe('GET /media/images/<name>', () => {
  it('serves a stored image with its sniffed type, nosniff, inline, cached privately; HEAD without the body', async () => {
    const png = makePng();
    const { path } = await images.save(png);
    const name = path.slice('media/images/'.length);
    const answer = await fetch(`${base}/media/images/${name}`, { headers: auth });
    expect(answer.status).toBe(200);
    expect(Object.fromEntries(['content-type', 'content-length', 'x-content-type-options', 'cache-control', 'content-disposition'].map((h) => [h, answer.headers.get(h)]))).toEqual({
      'content-type': 'image/png',
      'content-length': String(png.length),
      'x-content-type-options': 'nosniff',
      'cache-control': 'private, max-age=31536000, immutable',
      'content-disposition': 'inline',
    });
    expect(Buffer.from(await answer.arrayBuffer()).equals(png)).toBe(true);
    const head = await fetch(`${base}/media/images/${name}`, { method: 'HEAD', headers: auth });
    expect([head.status, head.headers.get('content-length'), (await head.arrayBuffer()).byteLength]).toEqual([200, String(png.length), 0]);
  });

  it('needs the gateway token, before saying whether an image exists; only GET', async () => {
    const { path } = await images.save(makePng());
    for (const headers of [{}, { authorization: 'Bearer wrong' }] as Record<string, string>[]) {
      const answer = await fetch(`${base}/${path}`, { headers });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    }
    expect((await fetch(`${base}/media/images/${'0'.repeat(32)}.png`)).status).toBe(401);
    expect((await fetch(`${base}/${path}`, { method: 'POST', headers: auth })).status).toBe(405);
  });

  it('404 for every name the store did not make: traversal (encoded or not), other folders, other types, other spellings', async () => {
    await writeFile(join(workspace, 'secret.txt'), 'the workspace');
    await mkdir(join(workspace, 'media', 'inbox'), { recursive: true });
    await writeFile(join(workspace, 'media', 'inbox', `${'a'.repeat(32)}.png`), makePng());
    const { path } = await images.save(makePng());
    const name = path.slice('media/images/'.length);
    for (const target of [
      `..%2f..%2fsecret.txt`,
      `..%2finbox%2f${'a'.repeat(32)}.png`,
      `%2e%2e%2f%2e%2e%2fsecret.txt`,
      `..%5c..%5csecret.txt`,
      `${'0'.repeat(32)}.png`, // well formed, not stored
      name.toUpperCase(),
      `${name}.txt`,
      `${name.slice(0, -4)}.svg`,
      `${name}%00`,
      `${name.slice(1)}`,
    ]) {
      const answer = await fetch(`${base}/media/images/${target}`, { headers: auth });
      expect([target, answer.status]).toEqual([target, 404]);
      expect(await answer.text()).not.toContain('the workspace');
    }
    // A path the URL parser resolves is another route (none), not a file.
    expect((await fetch(`${base}/media/images/../../secret.txt`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${base}/media/images/%E0%A4%A`, { headers: auth })).status).toBe(400);
  });

  it('a link with a stored image name is not followed, whether it points out of the workspace or at another file in it', async () => {
    await writeFile(join(workspace, 'notes.png'), makePng());
    await mkdir(join(workspace, 'media', 'images'), { recursive: true });
    const outside = `${'b'.repeat(32)}.png`;
    const inside = `${'c'.repeat(32)}.png`;
    await symlink('/etc/passwd', join(workspace, 'media', 'images', outside));
    await symlink(join(workspace, 'notes.png'), join(workspace, 'media', 'images', inside));
    for (const name of [outside, inside]) {
      const answer = await fetch(`${base}/media/images/${name}`, { headers: auth });
      expect(answer.status).toBe(404);
      expect(await answer.text()).not.toMatch(/root:|PNG/);
    }
  });

  it('a file swapped for a link after the store looked at it is not followed either (opened with O_NOFOLLOW)', async () => {
    const { path } = await images.save(makePng());
    await rm(join(workspace, path));
    await symlink('/etc/passwd', join(workspace, path));
    found = { path: join(workspace, path), mime: 'image/png' };
    const answer = await fetch(`${base}/${path}`, { headers: auth });
    expect(answer.status).toBe(404);
    expect(await answer.text()).not.toContain('root:');
  });

  it('a media/images folder that is a link out of the workspace serves nothing', async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'gw-elsewhere-'));
    try {
      const name = `${'d'.repeat(32)}.png`;
      await writeFile(join(elsewhere, name), makePng());
      await mkdir(join(workspace, 'media'), { recursive: true });
      await symlink(elsewhere, join(workspace, 'media', 'images'));
      const answer = await fetch(`${base}/media/images/${name}`, { headers: auth });
      expect(answer.status).toBe(500);
      expect(await answer.json()).toEqual({ error: 'internal error' });
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});

describe('GET /sessions/<key> with images', () => {
  it("lists a user message's stored image paths as media, shows an image-only message, and drops anything else in media", async () => {
    const image = `media/images/${'e'.repeat(32)}.jpg`;
    history = [
      { role: 'user', content: '', media: [image] },
      { role: 'assistant', content: 'A cat.' },
      { role: 'user', content: 'and this?', media: [image, '../config.json', 'media/inbox/x.png', 42 as unknown as string] },
      { role: 'user', content: 'text only' },
      { role: 'user', content: '', media: ['/etc/passwd'] },
    ];
    const answer = await fetch(`${base}/sessions/pico%3Aweb-1`, { headers: auth });
    expect(await answer.json()).toEqual({
      key: 'pico:web-1',
      messages: [
        { role: 'user', content: '', media: [image] },
        { role: 'assistant', content: 'A cat.' },
        { role: 'user', content: 'and this?', media: [image] },
        { role: 'user', content: 'text only' },
      ],
    });
  });
});
