import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { channelSchema, configSchema } from '@picoclaw/core';
import { makePng } from '@picoclaw/test-fakes';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { InboundMessage } from '../../agent/agent-runtime.js';
import type { AgentSink } from '../../agent/events.js';
import { createImageStore, type ImageStore } from '../../media/image-store.js';
import { createMediaInbox, type MediaInbox } from '../../media/media-inbox.js';
import type { Channel, ChannelDeps, UpgradeHandler } from '../channel.js';
import { createPicoChannel } from './pico-channel.js';

let channel: Channel | undefined;
let server: Server | undefined;
let workspace: string | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await channel?.stop();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  if (workspace) await rm(workspace, { recursive: true, force: true });
  channel = server = workspace = undefined;
});

/** A real image store in a fresh workspace (agents.defaults.max_media_size = `maxMediaSize`). */
async function imageStore(maxMediaSize?: number): Promise<ImageStore> {
  workspace = await mkdtemp(join(tmpdir(), 'pico-images-'));
  const config = configSchema.parse({ agents: { defaults: { workspace, ...(maxMediaSize ? { max_media_size: maxMediaSize } : {}) } } });
  return createImageStore(() => config);
}

/** A real image store and inbox in one fresh workspace. */
async function mediaStores(maxMediaSize?: number): Promise<{ images: ImageStore; inbox: MediaInbox }> {
  const images = await imageStore(maxMediaSize);
  const config = configSchema.parse({ agents: { defaults: { workspace, ...(maxMediaSize ? { max_media_size: maxMediaSize } : {}) } } });
  return { images, inbox: createMediaInbox(() => config) };
}

/** The pico channel on a real HTTP server, as the gateway mounts it. */
async function start(options: { deps?: ChannelDeps; settings?: Record<string, unknown>; submit?: (message: InboundMessage, sink: AgentSink) => void } = {}) {
  channel = await createPicoChannel('pico', channelSchema.parse({ type: 'pico', enabled: true, settings: { token: 'pico-token', ...options.settings } }), options.deps ?? {});
  let upgrade: UpgradeHandler | undefined;
  const submit = async (message: InboundMessage, sink: AgentSink) => void options.submit?.(message, sink);
  await channel.start({ signal: new AbortController().signal, submit, log: () => {}, mountUpgrade: (_path, handler) => (upgrade = handler), afterStart: Promise.resolve() });
  server = createServer();
  server.on('upgrade', (request, socket, head) => upgrade!(request, socket, head));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/pico/ws`;
}

type Frame = { type: string; session_id?: string; payload?: Record<string, unknown> };

async function open(url: string, session: string) {
  const ws = new WebSocket(`${url}?session_id=${session}`, { headers: { authorization: 'Bearer pico-token' } });
  sockets.push(ws);
  const frames: Frame[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return { ws, frames };
}

async function connect(url: string, session: string) {
  return (await open(url, session)).frames;
}

async function until(check: () => boolean, ms = 3000) {
  for (const end = Date.now() + ms; !check(); await new Promise((r) => setTimeout(r, 10))) if (Date.now() > end) throw new Error('timed out');
}

describe('pico send (schedules speak first)', () => {
  it("pushes a finished assistant message to every socket of the session, and to no other session's", async () => {
    const url = await start();
    const [tab1, tab2, other] = [await connect(url, 'web-abc'), await connect(url, 'web-abc'), await connect(url, 'web-other')];
    await until(() => [tab1, tab2, other].every((f) => f.some((x) => x.type === 'session.ready')));
    expect(channel!.targets!().sort((a, b) => a.to.localeCompare(b.to))).toEqual([
      { to: 'web-abc', label: 'web-abc' },
      { to: 'web-other', label: 'web-other' },
    ]);
    await expect(channel!.send!('pico:web-abc', 'Time for the **meeting**')).resolves.toEqual({ sessionKey: 'pico:web-abc' });
    await until(() => tab1.length === 2 && tab2.length === 2);
    for (const frames of [tab1, tab2]) {
      // The frame the dashboard renders as an assistant message (Chat.tsx: message.create).
      expect(frames[1]).toMatchObject({ type: 'message.create', session_id: 'web-abc', payload: { message_id: expect.any(String), content: 'Time for the **meeting**' } });
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(other.map((f) => f.type)).toEqual(['session.ready']);
    expect(channel!.status().messages.out).toBe(1);
  });

  it('resolves with no socket connected, and rejects an invalid session id', async () => {
    await start();
    await expect(channel!.send!('abc', 'nobody is here')).resolves.toEqual({ sessionKey: 'pico:abc' });
    await expect(channel!.send!('../etc', 'x')).rejects.toThrow(/pico: "..\/etc" is not a session id/);
    await expect(channel!.send!('', 'x')).rejects.toThrow(/is not a session id/);
    expect(channel!.targets!()).toEqual([]);
  });
});

const png = makePng();
const pngUrl = `data:image/png;base64,${png.toString('base64')}`;

describe('pico images (payload.media and payload.attachments, as PicoClaw takes them)', () => {
  it('stores each inline image first, then submits {text, images} with the stored paths; a text-only message is unchanged', async () => {
    const images = await imageStore();
    const submitted: InboundMessage[] = [];
    const url = await start({ deps: { images }, submit: (m) => submitted.push(m) });
    const { ws, frames } = await open(url, 'web-img');
    const payloads = [
      { content: ' what is this? ', media: pngUrl },
      { content: '', media: [pngUrl, { url: pngUrl }, { data_url: pngUrl }] },
      { content: 'attached', attachments: [{ type: 'image', url: pngUrl }, { type: 'video', url: 'data:video/mp4;base64,aGk=' }, { url: 'https://example.com/x.png' }] },
      { content: 'just text' },
    ];
    for (const [i, payload] of payloads.entries()) ws.send(JSON.stringify({ type: i === 1 ? 'media.send' : 'message.send', id: `f${i}`, payload }));
    await until(() => submitted.length === 4);
    const path = expect.stringMatching(/^media\/images\/[0-9a-f]{32}\.png$/);
    // In the order sent, although the first three waited for the store.
    expect(submitted.map((m) => [m.text, m.images])).toEqual([
      ['what is this?', [path]],
      ['', [path, path, path]],
      ['attached', [path]],
      ['just text', undefined],
    ]);
    expect(submitted[0]).toMatchObject({ chatId: 'pico:web-img', sessionKey: 'pico:web-img', senderId: 'pico-user' });
    // Named by content: the same picture is one file, with the bytes sent.
    const files = await readdir(join(workspace!, 'media', 'images'));
    expect(files).toHaveLength(1);
    expect(await readFile(join(workspace!, submitted[0]!.images![0]!))).toEqual(png);
    expect(frames.filter((f) => f.type === 'error')).toEqual([]);
  });

  const tiff = 'data:image/tiff;base64,AAAA';
  const cases: [string, Record<string, unknown>, string][] = [
    ['media of the wrong type', { media: 5 }, 'media must be a string or array of strings'],
    ['a URL to fetch', { media: ['https://example.com/cat.png'] }, 'media[0]: only inline image data URLs are supported'],
    ['a data URL that is not an image', { media: 'data:text/plain;base64,aGk=' }, 'only inline image data URLs are supported'],
    ['an empty entry', { media: [pngUrl, ' '] }, 'media[1]: image payload is empty'],
    ['an object without url', { media: [{ href: pngUrl }] }, 'media[0]: image payload must include url or data_url'],
    ['a number in the list', { media: [7] }, 'media[0]: image payload must be a string or object'],
    ['no comma', { media: ['data:image/png;base64'] }, 'media[0]: image data URL is malformed'],
    ['not base64', { media: ['data:image/png,%89PNG'] }, 'media[0]: image data URL must be base64 encoded'],
    ['an unsupported format', { media: [tiff] }, 'media[0]: unsupported image format: image/tiff (send JPEG, PNG, GIF or WebP)'],
    ['broken base64', { media: ['data:image/png;base64,iVBO$$$$'] }, 'media[0]: invalid base64 image data'],
    ['bytes that are no picture', { media: [`data:image/png;base64,${Buffer.from('<svg onload=alert(1)>').toString('base64')}`] }, 'media[0]: that is not an image a model can read: send a JPEG, PNG, GIF or WebP picture'],
    ['attachments not a list', { attachments: { type: 'image', url: pngUrl } }, 'attachments must be an array'],
    ['an attachment not an object', { attachments: ['x'] }, 'attachments[0]: attachment must be an object'],
    ['an image attachment without url', { attachments: [{ type: 'image' }] }, 'attachments[0]: image payload must include url or data_url'],
    ['an image attachment of another format', { attachments: [{ type: 'Image', data_url: tiff }] }, 'attachments[0]: unsupported image format: image/tiff (send JPEG, PNG, GIF or WebP)'],
  ];
  it.each(cases)('refuses %s with an invalid_media frame naming the problem and the frame id; nothing is stored or submitted', async (_what, media, message) => {
    const images = await imageStore();
    const submitted: InboundMessage[] = [];
    const url = await start({ deps: { images }, submit: (m) => submitted.push(m) });
    const { ws, frames } = await open(url, 'web-bad');
    ws.send(JSON.stringify({ type: 'message.send', id: 'req-7', payload: { content: 'look', ...media } }));
    await until(() => frames.some((f) => f.type === 'error'));
    expect(frames.find((f) => f.type === 'error')!.payload).toEqual({ code: 'invalid_media', message, request_id: 'req-7' });
    await new Promise((r) => setTimeout(r, 30));
    expect(submitted).toEqual([]);
    expect(await readdir(join(workspace!, 'media', 'images')).catch(() => [])).toEqual([]);
  });

  it('refuses an image over agents.defaults.max_media_size before decoding it', async () => {
    const images = await imageStore(1024);
    const url = await start({ deps: { images } });
    const { ws, frames } = await open(url, 'web-big');
    const big = Buffer.concat([png, randomBytes(2000)]).toString('base64');
    ws.send(JSON.stringify({ type: 'message.send', id: 'big', payload: { media: [`data:image/png;base64,${big}`] } }));
    await until(() => frames.some((f) => f.type === 'error'));
    expect(frames.find((f) => f.type === 'error')!.payload).toEqual({ code: 'invalid_media', message: 'media[0]: image exceeds 1024 byte limit (agents.defaults.max_media_size)', request_id: 'big' });
  });

  it('empty_content when there is neither text nor an image (skipped attachments do not count)', async () => {
    const url = await start({ deps: { images: await imageStore() } });
    const { ws, frames } = await open(url, 'web-empty');
    ws.send(JSON.stringify({ type: 'message.send', id: 'e1', payload: { content: '  ' } }));
    ws.send(JSON.stringify({ type: 'message.send', id: 'e2', payload: { content: '', media: [], attachments: [{ type: 'video', url: 'data:video/mp4;base64,aGk=' }] } }));
    await until(() => frames.filter((f) => f.type === 'error').length === 2);
    expect(frames.filter((f) => f.type === 'error').map((f) => f.payload)).toEqual([
      { code: 'empty_content', message: 'message content is empty', request_id: 'e1' },
      { code: 'empty_content', message: 'message content is empty', request_id: 'e2' },
    ]);
  });

  it('says so when the gateway has no image store', async () => {
    const url = await start();
    const { ws, frames } = await open(url, 'web-none');
    ws.send(JSON.stringify({ type: 'message.send', id: 'n1', payload: { content: 'hi', media: pngUrl } }));
    await until(() => frames.some((f) => f.type === 'error'));
    expect(frames.find((f) => f.type === 'error')!.payload).toEqual({ code: 'invalid_media', message: 'images are not available on this gateway', request_id: 'n1' });
  });

  it('only a frame with images may pass max_frame_bytes, by the base64 size of max_media_size at most', async () => {
    const images = await imageStore(64 * 1024);
    const submitted: InboundMessage[] = [];
    const url = await start({ deps: { images }, settings: { max_frame_bytes: 1024 }, submit: (m) => submitted.push(m) });
    const { ws, frames } = await open(url, 'web-size');
    const errors = () => frames.filter((f) => f.type === 'error').map((f) => f.payload);
    // Text alone: the text limit, as before.
    ws.send(JSON.stringify({ type: 'message.send', id: 't1', payload: { content: 'x'.repeat(2000) } }));
    // A 60 KiB picture (80 KB as base64) in a 1 KiB-frame channel: taken.
    const photo = Buffer.concat([png, randomBytes(60 * 1024)]);
    ws.send(JSON.stringify({ type: 'message.send', id: 'p1', payload: { content: 'photo', media: [`data:image/png;base64,${photo.toString('base64')}`] } }));
    // Images do not make room for more text.
    ws.send(JSON.stringify({ type: 'message.send', id: 't2', payload: { content: 'y'.repeat(2000), media: pngUrl } }));
    // Two such pictures are more than max_media_size in one message.
    ws.send(JSON.stringify({ type: 'message.send', id: 'p2', payload: { media: [1, 2].map(() => `data:image/png;base64,${photo.toString('base64')}`) } }));
    await until(() => errors().length === 3 && submitted.length === 1);
    expect(errors()).toEqual([
      { code: 'message_too_large', message: expect.stringMatching(/^frame of 20\d\d bytes exceeds the 1024 byte limit \(channel_list\.pico\.settings\.max_frame_bytes; only a message with images or files may be larger\)$/) },
      { code: 'message_too_large', message: 'message content exceeds the 1024 byte limit (channel_list.pico.settings.max_frame_bytes)', request_id: 't2' },
      { code: 'message_too_large', message: expect.stringMatching(/^frame of \d+ bytes exceeds the \d+ byte limit \(the images and files of one message may total 65536 bytes: agents\.defaults\.max_media_size\)$/) },
    ]);
    expect(submitted.map((m) => [m.text, m.images?.length])).toEqual([['photo', 1]]);
    // Past the ceiling the library closes the socket (1009) instead of holding more in memory.
    const closed = new Promise<number>((resolve) => ws.once('close', resolve));
    ws.send(JSON.stringify({ type: 'message.send', payload: { media: 'x'.repeat(1024 * 1024 + 120 * 1024) } }));
    expect(await closed).toBe(1009);
  });

  it('with the default limits a 5 MiB photo gets through (the text ceiling was 1 MiB)', async () => {
    const images = await imageStore();
    const submitted: InboundMessage[] = [];
    const url = await start({ deps: { images }, submit: (m) => submitted.push(m) });
    const { ws, frames } = await open(url, 'web-photo');
    const photo = Buffer.concat([png, randomBytes(5 * 1024 * 1024)]);
    ws.send(JSON.stringify({ type: 'message.send', id: 'big', payload: { content: 'my garden', media: `data:image/png;base64,${photo.toString('base64')}` } }));
    await until(() => submitted.length === 1 || frames.some((f) => f.type === 'error'), 10_000);
    expect(frames.filter((f) => f.type === 'error')).toEqual([]);
    expect((await readFile(join(workspace!, submitted[0]!.images![0]!))).equals(photo)).toBe(true);
  });
});

const today = () => new Date().toISOString().slice(0, 10);
const fileUrl = (text: string, mime = 'text/csv') => `data:${mime};base64,${Buffer.from(text).toString('base64')}`;

describe('pico files (attachments of type file, our addition: PicoClaw skips them)', () => {
  it('stores each file in media/inbox (safe name, 0600, the bytes sent) and tells the model its path as Telegram does; images and files in one message', async () => {
    const stores = await mediaStores();
    const submitted: InboundMessage[] = [];
    const url = await start({ deps: stores, submit: (m) => submitted.push(m) });
    const { ws, frames } = await open(url, 'web-files');
    const csv = 'name,kWh\nkitchen,1.5\n';
    ws.send(JSON.stringify({ type: 'message.send', id: 'f1', payload: { content: ' sum this ', attachments: [{ type: 'file', url: fileUrl(csv), filename: 'power.csv' }] } }));
    ws.send(JSON.stringify({ type: 'message.send', id: 'f2', payload: { content: '', media: [pngUrl], attachments: [{ type: 'File', data_url: fileUrl('%PDF-1.4', 'application/pdf'), filename: '../../.ssh/authorized_keys' }, { type: 'file', url: fileUrl('x', ''), filename: 'notes' }] } }));
    await until(() => submitted.length === 2);
    expect(frames.filter((f) => f.type === 'error')).toEqual([]);
    const d = today();
    expect(submitted[0]).toMatchObject({ chatId: 'pico:web-files', text: `[file received: media/inbox/${d}-power.csv (1 KB, text/csv)]\n\nsum this`, files: [`media/inbox/${d}-power.csv`] });
    expect(submitted[0]!.images).toBeUndefined();
    expect(submitted[1]).toMatchObject({
      text: `[file received: media/inbox/${d}-authorized_keys (1 KB, application/pdf)]\n[file received: media/inbox/${d}-notes (1 KB, application/octet-stream)]`,
      images: [expect.stringMatching(/^media\/images\/[0-9a-f]{32}\.png$/)],
      files: [`media/inbox/${d}-authorized_keys`, `media/inbox/${d}-notes`],
    });
    expect(await readFile(join(workspace!, `media/inbox/${d}-power.csv`), 'utf8')).toBe(csv);
    expect((await stat(join(workspace!, `media/inbox/${d}-power.csv`))).mode & 0o777).toBe(0o600);
    expect((await readdir(join(workspace!, 'media', 'inbox'))).sort()).toEqual([`${d}-authorized_keys`, `${d}-notes`, `${d}-power.csv`]);
  });

  const big = Buffer.alloc(1100, 7).toString('base64');
  const cases: [string, Record<string, unknown>, string][] = [
    ['a file without url', { type: 'file', filename: 'a.txt' }, 'attachments[1]: file payload must include url or data_url'],
    ['a URL to fetch', { type: 'file', url: 'https://example.com/a.txt', filename: 'a.txt' }, 'attachments[1]: only inline file data URLs are supported'],
    ['no filename', { type: 'file', url: fileUrl('hi') }, 'attachments[1]: file attachment must include filename'],
    ['a blank filename', { type: 'file', url: fileUrl('hi'), filename: ' ' }, 'attachments[1]: file attachment must include filename'],
    ['no comma', { type: 'file', url: 'data:text/plain;base64', filename: 'a.txt' }, 'attachments[1]: file data URL is malformed'],
    ['not base64', { type: 'file', url: 'data:text/plain,hello', filename: 'a.txt' }, 'attachments[1]: file data URL must be base64 encoded'],
    ['broken base64', { type: 'file', url: 'data:text/plain;base64,aGk$$$', filename: 'a.txt' }, 'attachments[1]: invalid base64 file data'],
    ['an empty file', { type: 'file', url: 'data:text/plain;base64,', filename: 'a.txt' }, 'attachments[1]: file is empty'],
    ['a file over max_media_size', { type: 'file', url: `data:application/zip;base64,${big}`, filename: 'a.zip' }, 'attachments[1]: file exceeds 1024 byte limit (agents.defaults.max_media_size)'],
  ];
  it.each(cases)('refuses %s with an invalid_media frame naming the entry; nothing of the message is stored or submitted', async (_what, attachment, message) => {
    const stores = await mediaStores(1024);
    const submitted: InboundMessage[] = [];
    const url = await start({ deps: stores, submit: (m) => submitted.push(m) });
    const { ws, frames } = await open(url, 'web-badfile');
    ws.send(JSON.stringify({ type: 'message.send', id: 'req-9', payload: { content: 'look', media: [pngUrl], attachments: [{ type: 'file', url: fileUrl('ok'), filename: 'ok.txt' }, attachment] } }));
    await until(() => frames.some((f) => f.type === 'error'));
    expect(frames.find((f) => f.type === 'error')!.payload).toEqual({ code: 'invalid_media', message, request_id: 'req-9' });
    await new Promise((r) => setTimeout(r, 30));
    expect(submitted).toEqual([]);
    for (const sub of ['images', 'inbox']) expect(await readdir(join(workspace!, 'media', sub)).catch(() => [])).toEqual([]);
  });

  it('says so when the gateway has no inbox', async () => {
    const url = await start({ deps: { images: await imageStore() } });
    const { ws, frames } = await open(url, 'web-noinbox');
    ws.send(JSON.stringify({ type: 'message.send', id: 'n2', payload: { attachments: [{ type: 'file', url: fileUrl('hi'), filename: 'a.txt' }] } }));
    await until(() => frames.some((f) => f.type === 'error'));
    expect(frames.find((f) => f.type === 'error')!.payload).toEqual({ code: 'invalid_media', message: 'files are not available on this gateway', request_id: 'n2' });
  });
});

describe('pico tool cards with images', () => {
  it("a tool result that brought images updates its card with their stored paths as media; one without has none", async () => {
    let sink: AgentSink | undefined;
    const url = await start({ submit: (_m, s) => (sink = s) });
    const { ws, frames } = await open(url, 'web-cam');
    ws.send(JSON.stringify({ type: 'message.send', payload: { content: 'garage?' } }));
    await until(() => sink !== undefined);
    const image = `media/images/${'a'.repeat(32)}.png`;
    sink!({ type: 'tool-call', id: 'c1', name: 'mcp_homeassistant_camerasnapshot', arguments: { name: 'garage' } });
    sink!({ type: 'tool-result', id: 'c1', name: 'mcp_homeassistant_camerasnapshot', content: 'snapshot of garage', isError: false, media: [image] });
    sink!({ type: 'tool-call', id: 'c2', name: 'current_time', arguments: {} });
    sink!({ type: 'tool-result', id: 'c2', name: 'current_time', content: '10:00', isError: false });
    await until(() => frames.filter((f) => f.type === 'message.update').length === 2);
    const [card, plain] = frames.filter((f) => f.type === 'message.update').map((f) => f.payload!);
    expect(card).toMatchObject({ kind: 'tool_calls', media: [image], tool_calls: [{ id: 'c1', result: { content: 'snapshot of garage', is_error: false } }] });
    expect(card!.message_id).toBe(frames.find((f) => f.type === 'message.create')!.payload!.message_id);
    expect(plain).not.toHaveProperty('media');
  });
});

describe('pico recordings (attachments of type audio: the dashboard microphone)', () => {
  const webm = Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 1, 2, 3, 4, 5, 6]);
  const audioUrl = `data:audio/webm;codecs=opus;base64,${webm.toString('base64')}`;
  /** A transcriber that hears `text` (or fails with `fail`), with the limits given. */
  function transcriber(options: { text?: string; fail?: string; echo?: boolean; maxBytes?: number; available?: boolean } = {}) {
    const calls: { bytes: Buffer; filename: string; mimeType: string }[] = [];
    return {
      calls,
      available: () => options.available ?? true,
      limits: () => ({ maxBytes: options.maxBytes ?? 1000, maxDurationSeconds: 60, echo: options.echo ?? false }),
      async transcribe(bytes: Uint8Array, o: { filename: string; mimeType: string }) {
        calls.push({ bytes: Buffer.from(bytes), filename: o.filename, mimeType: o.mimeType });
        if (options.fail) throw new Error(options.fail);
        return { text: options.text ?? 'turn on the kitchen light', model: 'whisper' };
      },
    };
  }

  it('transcribes the recording as Telegram does a voice note: the typed text first, voice: true, "heard" echoed before the turn', async () => {
    const stt = transcriber({ echo: true });
    const submitted: InboundMessage[] = [];
    const url = await start({ deps: { ...(await mediaStores()), transcriber: stt }, submit: (m) => submitted.push(m) });
    const { ws, frames } = await open(url, 'web-voice');
    ws.send(JSON.stringify({ type: 'message.send', id: 'v1', payload: { content: 'please', attachments: [{ type: 'audio', url: audioUrl, duration: 2.4 }] } }));
    ws.send(JSON.stringify({ type: 'message.send', id: 'v2', payload: { attachments: [{ type: 'audio', data_url: audioUrl.replace('audio/webm;codecs=opus', 'audio/ogg') }] } }));
    await until(() => submitted.length === 2);
    expect(submitted.map((m) => [m.text, m.voice])).toEqual([
      ['please\n\nturn on the kitchen light', true],
      ['turn on the kitchen light', true],
    ]);
    expect(stt.calls.map((c) => [c.filename, c.mimeType, c.bytes.equals(webm)])).toEqual([
      ['voice.webm', 'audio/webm', true],
      ['voice.ogg', 'audio/ogg', true],
    ]);
    const echo = frames.find((f) => f.type === 'message.create')!;
    expect(echo.payload).toMatchObject({ content: '🎙 heard: turn on the kitchen light', kind: 'transcript' });
    expect(frames.filter((f) => f.type === 'error')).toEqual([]);
  });

  const cases: [string, unknown[], ReturnType<typeof transcriber> | undefined, string][] = [
    ['no transcription model', [{ type: 'audio', url: audioUrl }], transcriber({ available: false }), 'attachments[0]: Voice notes need a transcription model: set voice.model_name in config.json.'],
    ['no transcriber at all', [{ type: 'audio', url: audioUrl }], undefined, 'attachments[0]: Voice notes need a transcription model'],
    ['a recording too long', [{ type: 'audio', url: audioUrl, duration: 75.2 }], transcriber(), 'attachments[0]: That recording is 1 min 16 s long; I transcribe up to 1 min (voice.max_duration_seconds).'],
    ['a recording too large (told before decoding)', [{ type: 'audio', url: `data:audio/webm;base64,${'A'.repeat(4000)}` }], transcriber(), 'attachments[0]: That recording is 3 KB; I transcribe up to 1 KB (voice.max_bytes).'],
    ['two recordings', [{ type: 'audio', url: audioUrl }, { type: 'audio', url: audioUrl }], transcriber(), 'attachments[1]: only one audio attachment per message'],
    ['a recording without url', [{ type: 'audio' }], transcriber(), 'attachments[0]: audio payload must include url or data_url'],
    ['a data URL that is not audio', [{ type: 'audio', url: 'data:text/plain;base64,aGk=' }], transcriber(), 'attachments[0]: only inline audio data URLs are supported'],
    ['an audio format no API reads', [{ type: 'audio', url: 'data:audio/midi;base64,aGk=' }], transcriber(), 'attachments[0]: unsupported audio format: audio/midi (send WebM, OGG, MP3, M4A or WAV)'],
    ['a duration that is not a number', [{ type: 'audio', url: audioUrl, duration: '2' }], transcriber(), 'attachments[0]: audio duration must be a number of seconds'],
    ['broken base64', [{ type: 'audio', url: 'data:audio/webm;base64,aGk$$$' }], transcriber(), 'attachments[0]: invalid base64 audio data'],
  ];
  it.each(cases)('refuses %s with invalid_media before anything is stored or transcribed', async (_what, attachments, stt, message) => {
    const submitted: InboundMessage[] = [];
    const url = await start({ deps: { ...(await mediaStores()), ...(stt ? { transcriber: stt } : {}) }, submit: (m) => submitted.push(m) });
    const { ws, frames } = await open(url, 'web-badvoice');
    ws.send(JSON.stringify({ type: 'message.send', id: 'a1', payload: { content: 'hi', media: [pngUrl], attachments } }));
    await until(() => frames.some((f) => f.type === 'error'));
    const answer = frames.find((f) => f.type === 'error')!.payload!;
    expect([answer.code, answer.request_id]).toEqual(['invalid_media', 'a1']);
    expect(String(answer.message)).toContain(message);
    await new Promise((r) => setTimeout(r, 30));
    expect(submitted).toEqual([]);
    expect(stt?.calls ?? []).toEqual([]);
    expect(await readdir(join(workspace!, 'media', 'images')).catch(() => [])).toEqual([]);
  });

  it('no words, or a failing transcription API: transcription_failed with the reason, typing stopped, nothing submitted', async () => {
    for (const [stt, message] of [
      [transcriber({ text: '' }), 'I could not make out any words in that recording.'],
      [transcriber({ fail: 'whisper: HTTP 503 from the provider' }), 'I could not transcribe that recording: whisper: HTTP 503 from the provider'],
    ] as const) {
      const submitted: InboundMessage[] = [];
      const url = await start({ deps: { transcriber: stt }, submit: (m) => submitted.push(m) });
      const { ws, frames } = await open(url, 'web-deaf');
      ws.send(JSON.stringify({ type: 'message.send', id: 'd1', payload: { attachments: [{ type: 'audio', url: audioUrl }] } }));
      await until(() => frames.some((f) => f.type === 'error'));
      expect(frames.find((f) => f.type === 'error')!.payload).toEqual({ code: 'transcription_failed', message, request_id: 'd1' });
      expect(frames.map((f) => f.type).filter((t) => t.startsWith('typing'))).toEqual(['typing.start', 'typing.stop']);
      expect(submitted).toEqual([]);
      for (const s of sockets.splice(0)) s.terminate();
      await channel?.stop();
      await new Promise((r) => (server ? server.close(r) : r(undefined)));
      channel = server = undefined;
    }
  });
});
