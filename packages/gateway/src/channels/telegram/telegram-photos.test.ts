/**
 * Photos and images on Telegram. The channel on its own first (the fake Bot API, the real image
 * store in a temporary workspace, a submit that records what the agent would be given): which
 * size is fetched, the limits before and during download, image documents, what is refused.
 * Then through a whole gateway: the fake LLM is sent the photo's exact bytes as an image part.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { channelSchema, type Config } from '@picoclaw/core';
import { makePng, startFakeTelegram, type FakeTelegram } from '@picoclaw/test-fakes';
import { afterEach, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../agent/agent-runtime.js';
import { createImageStore } from '../../media/image-store.js';
import { createMediaInbox } from '../../media/media-inbox.js';
import type { Channel } from '../channel.js';
import { startTelegramHarness, type TelegramHarness } from '../../testing/telegram-harness.js';
import { createTelegramChannel } from './telegram-channel.js';
import { pickPhotoSize } from './telegram-media.js';

let tg: FakeTelegram | undefined;
let channel: Channel | undefined;
let ws: string | undefined;
let h: TelegramHarness | undefined;
afterEach(async () => {
  await channel?.stop();
  await tg?.close();
  await h?.close();
  if (ws) await rm(ws, { recursive: true, force: true });
  tg = channel = ws = h = undefined;
});

type Submitted = Omit<InboundMessage, 'channel'>;

/** The Telegram channel on the fake Bot API with the real image store and inbox in a temporary workspace; `submitted` is what reached the agent. */
async function start(options: { maxMediaSize?: number; images?: boolean } = {}) {
  tg = await startFakeTelegram();
  ws = await mkdtemp(join(tmpdir(), 'picoclaw-photos-'));
  const workspace = ws;
  const config = () => ({ agents: { defaults: { workspace, ...(options.maxMediaSize ? { max_media_size: options.maxMediaSize } : {}) } } }) as Config;
  const submitted: Submitted[] = [];
  const logs: string[] = [];
  channel = await createTelegramChannel('telegram', channelSchema.parse({ type: 'telegram', enabled: true, allow_from: ['42'], settings: { token: tg.token, base_url: tg.url } }), {
    inbox: createMediaInbox(config),
    ...(options.images === false ? {} : { images: createImageStore(config) }),
  });
  await channel.start({
    signal: new AbortController().signal,
    submit: async (message) => void submitted.push(message),
    log: (level, message) => void logs.push(`${level} ${message}`),
    mountUpgrade: () => {},
    afterStart: Promise.resolve(),
  });
  const fake = tg;
  const until = async <T,>(check: () => T | undefined | false, ms = 8000): Promise<T> => {
    for (const end = Date.now() + ms; ; await new Promise((r) => setTimeout(r, 20))) {
      const v = check();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out; calls: ${JSON.stringify(fake.calls.map((c) => [c.method, c.body.text]))}; submitted: ${JSON.stringify(submitted)}`);
    }
  };
  const texts = () => fake.sent().map((c) => String(c.body.text));
  const stored = async () => (await readdir(join(workspace, 'media', 'images')).catch(() => [] as string[])).sort();
  return { tg: fake, workspace, submitted, logs, until, texts, stored };
}

const red = makePng(2, 2);
const big = makePng(64, 64, { noise: true }); // ~12 KB: does not compress

describe('Telegram photos reach the agent as stored images', () => {
  it('the largest size is fetched, stored in media/images (0600, named by its hash) and submitted with the caption as its text', async () => {
    const t = await start();
    const small = t.tg.addFile(red, 'photos/file_1.jpg');
    const large = t.tg.addFile(big, 'photos/file_2.jpg');
    t.tg.pushPhoto([{ fileId: small, width: 90, height: 90 }, { fileId: large, width: 1280, height: 1280 }], { caption: '  what is this?  ' });
    const [message] = await t.until(() => t.submitted.length === 1 && t.submitted);
    const [name] = await t.stored();
    expect(name).toMatch(/^[0-9a-f]{32}\.png$/);
    expect(message).toMatchObject({ chatId: '42', sessionKey: 'telegram:42', senderId: '42', text: 'what is this?', images: [`media/images/${name}`] });
    expect((await readFile(join(t.workspace, 'media', 'images', name!))).equals(big)).toBe(true);
    expect((await stat(join(t.workspace, 'media', 'images', name!))).mode & 0o777).toBe(0o600);
    expect(t.tg.downloads).toEqual(['photos/file_2.jpg']);
    expect(t.texts()).toEqual([]);
    expect(t.logs.join('\n')).not.toContain(t.tg.token);
  });

  it('a photo without a caption is submitted with the text empty', async () => {
    const t = await start();
    t.tg.pushPhoto([{ fileId: t.tg.addFile(red, 'photos/file_1.jpg'), width: 2, height: 2 }]);
    const [message] = await t.until(() => t.submitted.length === 1 && t.submitted);
    expect(message!.text).toBe('');
    expect(message!.images).toEqual([`media/images/${(await t.stored())[0]}`]);
  });

  it('over agents.defaults.max_media_size the largest size that fits is taken; when none fits, a reply and nothing is fetched', async () => {
    const t = await start({ maxMediaSize: 1000 });
    const small = t.tg.addFile(red, 'photos/file_1.jpg');
    const large = t.tg.addFile(big, 'photos/file_2.jpg');
    t.tg.pushPhoto([{ fileId: small, width: 90, height: 90 }, { fileId: large, width: 1280, height: 1280 }]);
    await t.until(() => t.submitted.length === 1);
    expect(t.tg.downloads).toEqual(['photos/file_1.jpg']);

    const only = t.tg.addFile(big, 'photos/file_3.jpg');
    t.tg.pushPhoto([{ fileId: only, width: 1280, height: 1280 }, { fileId: only, width: 800, height: 800, file_size: 5000 }]);
    await t.until(() => t.texts().length === 1);
    expect(t.texts()).toEqual(['That photo is 5 KB; I accept images up to 1 KB (agents.defaults.max_media_size).']);
    expect(t.tg.calls.filter((c) => c.method === 'getFile')).toHaveLength(1);
    expect(t.tg.downloads).toEqual(['photos/file_1.jpg']);
    expect(t.submitted).toHaveLength(1);
  });

  it('a photo larger than Telegram announced is cut off at the limit while downloading, and nothing is stored', async () => {
    const t = await start({ maxMediaSize: 1000 });
    t.tg.pushPhoto([{ fileId: t.tg.addFile(big, 'photos/file_1.jpg'), width: 1280, height: 1280, file_size: 900 }]);
    await t.until(() => t.texts().length === 1);
    expect(t.texts()).toEqual(['I could not receive that photo: it is larger than 1 KB (agents.defaults.max_media_size).']);
    expect(await t.stored()).toEqual([]);
    expect(t.submitted).toHaveLength(0);
  });

  it('a photo whose bytes are no image a model reads gets the store’s sentence, and nothing is stored', async () => {
    const t = await start();
    t.tg.pushPhoto([{ fileId: t.tg.addFile(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'photos/file_1.jpg'), width: 10, height: 10 }]);
    await t.until(() => t.texts().length === 1);
    expect(t.texts()).toEqual(['I could not receive that photo: that is not an image a model can read: send a JPEG, PNG, GIF or WebP picture.']);
    expect(await t.stored()).toEqual([]);
    expect(t.submitted).toHaveLength(0);
  });

  it('a failed download is explained without the bot token, and nothing reaches the agent', async () => {
    const t = await start();
    const id = t.tg.addFile(red, 'photos/file_1.jpg');
    t.tg.loseFile(id);
    t.tg.pushPhoto([{ fileId: id, width: 2, height: 2 }]);
    await t.until(() => t.texts().length === 1);
    expect(t.texts()).toEqual(['I could not receive that photo: downloading it from Telegram failed (HTTP 404).']);
    expect(t.submitted).toHaveLength(0);
    expect(JSON.stringify(t.tg.calls.map((c) => c.body)) + t.logs.join('\n')).not.toContain(t.tg.token.split(':')[1]);
  });

  it('a photo from a user not in allow_from is not downloaded', async () => {
    const t = await start();
    t.tg.pushPhoto([{ fileId: t.tg.addFile(red, 'photos/file_1.jpg'), width: 2, height: 2 }], { caption: 'look' }, { id: 7 });
    await t.until(() => t.texts().length === 1);
    expect(t.texts()).toEqual(['Sorry, this is a private assistant and you are not on its list of users. Your Telegram user id is 7: its owner can add it to allow_from.']);
    expect(t.tg.calls.some((c) => c.method === 'getFile')).toBe(false);
    expect(await t.stored()).toEqual([]);
  });

  it('in a group a photo counts only when its caption mentions the bot (the mention is taken out)', async () => {
    const t = await start();
    const group = { id: -100, type: 'group', title: 'Home' };
    t.tg.pushPhoto([{ fileId: t.tg.addFile(red, 'photos/file_1.jpg'), width: 2, height: 2 }], { caption: 'holiday' }, { id: 42 }, group);
    t.tg.pushPhoto([{ fileId: t.tg.addFile(big, 'photos/file_2.jpg'), width: 2, height: 2 }], { caption: '@fake_bot what is on it?' }, { id: 42 }, group);
    const [message] = await t.until(() => t.submitted.length === 1 && t.submitted);
    expect(message).toMatchObject({ chatId: '-100', text: 'what is on it?' });
    expect(t.tg.downloads).toEqual(['photos/file_2.jpg']);
  });

  it('keeps the chat’s order: a text sent right after a photo reaches the agent after it', async () => {
    const t = await start();
    t.tg.pushPhoto([{ fileId: t.tg.addFile(big, 'photos/file_1.jpg'), width: 2, height: 2 }], { caption: 'first' });
    t.tg.pushMessage('second');
    await t.until(() => t.submitted.length === 2);
    expect(t.submitted.map((m) => [m.text, m.images?.length ?? 0])).toEqual([['first', 1], ['second', 0]]);
  });

  it('without an image store (no media), the user is told images cannot be received', async () => {
    const t = await start({ images: false });
    t.tg.pushPhoto([{ fileId: t.tg.addFile(red, 'photos/file_1.jpg'), width: 2, height: 2 }]);
    await t.until(() => t.texts().length === 1);
    expect(t.texts()).toEqual(['Images cannot be received here: this gateway has no place to store them.']);
    expect(t.tg.downloads).toEqual([]);
  });
});

describe('Telegram image documents, stickers and videos', () => {
  it('an image sent as a file (image/png) is an image, not an inbox file; another file still goes to the inbox', async () => {
    const t = await start();
    t.tg.pushDocument(t.tg.addFile(red, 'documents/file_1.png'), { file_name: 'red.png', mime_type: 'image/png', caption: 'and this one?' });
    const [message] = await t.until(() => t.submitted.length === 1 && t.submitted);
    expect(message).toMatchObject({ text: 'and this one?', images: [`media/images/${(await t.stored())[0]}`] });
    expect(await readdir(join(t.workspace, 'media', 'inbox')).catch(() => [])).toEqual([]);

    t.tg.pushDocument(t.tg.addFile(Buffer.from('a,b\n1,2\n'), 'documents/file_2.csv'), { file_name: 'data.csv', mime_type: 'text/csv' });
    const second = await t.until(() => t.submitted[1]);
    expect(second.text).toMatch(/^\[file received: media\/inbox\/\d{4}-\d\d-\d\d-data\.csv \(1 KB, text\/csv\)\]$/);
    expect(second.images).toBeUndefined();
  });

  it('an image document over the limit is refused before download, naming the setting', async () => {
    const t = await start({ maxMediaSize: 1000 });
    t.tg.pushDocument(t.tg.addFile(big, 'documents/file_1.png'), { file_name: 'big.png', mime_type: 'image/png' });
    await t.until(() => t.texts().length === 1);
    expect(t.texts()[0]).toMatch(/^That image is \d+ KB; I accept images up to 1 KB \(agents\.defaults\.max_media_size\)\.$/);
    expect(t.tg.calls.some((c) => c.method === 'getFile')).toBe(false);
  });

  it.each([
    ['sticker', { sticker: { file_id: 's1', file_unique_id: 'us1', width: 512, height: 512, is_animated: false, is_video: false, type: 'regular' } }, 'stickers'],
    ['video', { video: { file_id: 'v1', file_unique_id: 'uv1', width: 640, height: 480, duration: 3 } }, 'videos'],
    ['GIF', { animation: { file_id: 'a1', file_unique_id: 'ua1', width: 320, height: 240, duration: 2 }, document: { file_id: 'a1', file_unique_id: 'ua1', mime_type: 'video/mp4' } }, 'GIFs'],
    ['video message', { video_note: { file_id: 'n1', file_unique_id: 'un1', length: 240, duration: 3 } }, 'video messages'],
  ])('a %s gets a short reply; nothing is downloaded or submitted', async (_kind, extra, noun) => {
    const t = await start();
    t.tg.pushMessage(undefined as unknown as string, { id: 42 }, undefined, extra);
    await t.until(() => t.texts().length === 1);
    expect(t.texts()).toEqual([`I cannot take ${noun}; send text, a photo, a voice note or a file.`]);
    expect(t.tg.calls.some((c) => c.method === 'getFile')).toBe(false);
    expect(t.submitted).toHaveLength(0);
  });
});

describe('Telegram photos through the gateway', () => {
  type Part = { type: string; text?: string; image_url?: { url: string } };

  it('a vision model gets the caption and the photo’s exact bytes as an image_url part; the answer reaches the chat and the session keeps the path', async () => {
    h = await startTelegramHarness({ turns: [{ text: ['A red square.'] }], model: { model: 'openai/gpt-4o' } });
    const png = makePng(3, 3);
    h.tg.pushPhoto([{ fileId: h.tg.addFile(png, 'photos/file_1.jpg'), width: 3, height: 3 }], { caption: 'what is this?' });
    await h.until(() => h!.texts().includes('A red square.'));
    const content = h.llm.requests[0]!.body.messages.at(-1)!.content as Part[];
    expect(Array.isArray(content)).toBe(true);
    expect(content.find((p) => p.type === 'text')?.text).toContain('what is this?');
    const url = content.find((p) => p.type === 'image_url')!.image_url!.url;
    expect(url.startsWith('data:image/png;base64,')).toBe(true);
    expect(Buffer.from(url.slice('data:image/png;base64,'.length), 'base64').equals(png)).toBe(true);
    const [name] = await readdir(join(h.workspace, 'media', 'images'));
    const session = await readFile(join(h.workspace, 'sessions', (await readdir(join(h.workspace, 'sessions'))).find((f) => f.endsWith('.jsonl'))!), 'utf8');
    expect(session).toContain(`"media":["media/images/${name}"]`);
    expect(h.everything()).not.toContain(h.tg.token);
  });

  it('a caption-less photo reaches the model as an image part alone; with no vision model the chat is told and no model is called', async () => {
    h = await startTelegramHarness({ turns: [{ text: ['Looks like a red square.'] }], model: { model: 'openai/gpt-4o' } });
    h.tg.pushPhoto([{ fileId: h.tg.addFile(makePng(2, 2), 'photos/file_1.jpg'), width: 2, height: 2 }]);
    await h.until(() => h!.texts().includes('Looks like a red square.'));
    const content = h.llm.requests[0]!.body.messages.at(-1)!.content as Part[];
    expect(content.some((p) => p.type === 'image_url' && p.image_url!.url.startsWith('data:image/'))).toBe(true);
    await h.close();

    h = await startTelegramHarness(); // groq/llama: no vision
    h.tg.pushPhoto([{ fileId: h.tg.addFile(makePng(2, 2), 'photos/file_1.jpg'), width: 2, height: 2 }], { caption: 'what is this?' });
    const answer = await h.until(() => h!.texts().find((t) => t.startsWith('No vision model is configured')));
    expect(answer).toContain('agents.defaults.image_model');
    expect(h.llm.requests).toHaveLength(0);
  });
});

describe('pickPhotoSize', () => {
  const sizes = [
    { file_id: 'b', width: 800, height: 800, file_size: 80_000 },
    { file_id: 'a', width: 90, height: 90, file_size: 1_000 },
    { file_id: 'c', width: 1280, height: 1280, file_size: 200_000 },
  ];
  it('takes the most pixels that fit, in whatever order the sizes come', () => {
    expect(pickPhotoSize(sizes, 1_000_000)).toEqual({ size: sizes[2] });
    expect(pickPhotoSize(sizes, 100_000)).toEqual({ size: sizes[0] });
    expect(pickPhotoSize(sizes, 999)).toEqual({ tooLarge: 1_000 });
    expect(pickPhotoSize([], 1)).toBeUndefined();
  });
});
