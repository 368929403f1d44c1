import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { channelSchema } from '@picoclaw/core';
import { startFakeLlm, startFakeTelegram, type FakeLlm, type FakeTelegram } from '@picoclaw/test-fakes';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../testing/start-test-gateway.js';
import type { Channel, ChannelContext } from '../channel.js';
import type { ChannelStateStore } from '../channel-state.js';
import { createTelegramChannel, senderAllowed } from './telegram-channel.js';

let tg: FakeTelegram | undefined;
let llm: FakeLlm | undefined;
let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  await tg?.close();
  await llm?.close();
  gw = tg = llm = undefined;
});

async function start(channel: Record<string, unknown> = {}, settings: Record<string, unknown> = {}, home?: string) {
  gw = await startTestGateway({
    ...(home ? { home } : {}),
    config: {
      agents: { defaults: { model_name: 'm' } },
      model_list: [{ model_name: 'm', model: 'groq/llama', api_base: llm!.url, api_keys: ['k'] }],
      channel_list: { telegram: { enabled: true, type: 'telegram', allow_from: ['42', '@friend'], settings: { token: '[NOT_HERE]', base_url: tg!.url, ...settings }, ...channel } },
    },
    security: `channel_list:\n  telegram:\n    settings:\n      token: "${tg!.token}"\n`,
  });
  return gw;
}

async function until<T>(check: () => T | undefined | false, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out; calls: ${JSON.stringify(tg?.calls.map((c) => c.method))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const finalText = () => tg!.sent().filter((c) => c.body.text !== 'Thinking... 💭').map((c) => c.body);

describe('Telegram channel against a fake Bot API', () => {
  it('a restart does not answer the last messages again (the update offset is kept in the workspace)', async () => {
    tg = await startFakeTelegram();
    llm = await startFakeLlm([], { echo: true });
    const home = await mkdtemp(join(tmpdir(), 'picoclaw-tg-restart-'));
    try {
      await start({}, {}, home);
      tg.pushMessage('first', { id: 42 });
      await until(() => finalText().find((b) => b.text === 'you said: first'));
      await gw!.close();
      const polls = tg.calls.filter((c) => c.method === 'getUpdates').length;
      await start({}, {}, home);
      // Let the new run poll a few times: it must ask past the first update.
      await until(() => tg!.calls.filter((c) => c.method === 'getUpdates').length > polls + 2);
      tg.pushMessage('second', { id: 42 });
      await until(() => finalText().find((b) => b.text === 'you said: second'));
      expect(finalText().map((b) => b.text)).toEqual(['you said: first', 'you said: second']);
      expect(JSON.parse(await readFile(join(home, 'workspace', 'state', 'channels.json'), 'utf8'))).toEqual({
        'telegram:1:offset': '3',
        // The chat user 42 wrote from, kept for schedules (under the bot id of the token).
        'telegram:123456:chats': JSON.stringify({ 42: { label: 'T', by: { id: 42 } } }),
      });
    } finally {
      await gw?.close();
      gw = undefined;
      await rm(home, { recursive: true, force: true });
    }
  });

  it('answers an allowed user in HTML, with typing and a placeholder, and registers the commands', async () => {
    tg = await startFakeTelegram();
    llm = await startFakeLlm([{ text: ['The **kitchen** light is on.'] }]);
    await start();
    tg.pushMessage('turn on the kitchen light', { id: 42 });
    const answer = await until(() => finalText()[0]);
    expect(answer).toMatchObject({ chat_id: 42, text: 'The <b>kitchen</b> light is on.', parse_mode: 'HTML' });
    expect(tg.calls.some((c) => c.method === 'sendChatAction' && c.body.action === 'typing')).toBe(true);
    // The placeholder is edited into the answer rather than left behind.
    expect(tg.calls.find((c) => c.method === 'sendMessage')!.body.text).toBe('Thinking... 💭');
    expect(tg.calls.find((c) => c.body.text === answer.text)!.method).toBe('editMessageText');
    const menu = tg.calls.find((c) => c.method === 'setMyCommands')!.body.commands as { command: string }[];
    expect(menu.map((c) => c.command)).toEqual(expect.arrayContaining(['help', 'new', 'stop', 'model']));
    expect(gw!.logs()).not.toContain(tg.token.split(':')[1]!);
  });

  it('refuses strangers politely, once, without asking the model', async () => {
    tg = await startFakeTelegram();
    llm = await startFakeLlm([], { echo: true });
    await start();
    tg.pushMessage('hi', { id: 666, username: 'stranger' });
    tg.pushMessage('hi again', { id: 666, username: 'stranger' });
    tg.pushMessage('hello', { id: 7, username: 'friend' });
    await until(() => finalText().find((b) => b.chat_id === 7 && b.text === 'you said: hello'));
    const toStranger = tg.sent().filter((c) => c.body.chat_id === 666);
    expect(toStranger.map((c) => c.body.text)).toEqual(['Sorry, this is a private assistant and you are not on its list of users. Your Telegram user id is 666: its owner can add it to allow_from.']);
    expect(llm.requests).toHaveLength(1);
    expect(gw!.logs()).toMatch(/message from user 666 \(@stranger\) refused: not in allow_from/);
  });

  it('splits a 5,000-character answer into messages under 4096 characters', async () => {
    tg = await startFakeTelegram();
    const long = Array.from({ length: 100 }, (_, i) => `Paragraph ${i}: ${'lorem ipsum '.repeat(4)}`).join('\n\n');
    expect(long.length).toBeGreaterThan(5000);
    llm = await startFakeLlm([{ text: [long] }]);
    await start({ placeholder: { enabled: false } });
    tg.pushMessage('write a lot', { id: 42 });
    const parts = await until(() => (finalText().length >= 2 ? finalText() : undefined));
    for (const p of parts) expect(String(p.text).length).toBeLessThanOrEqual(4096);
    const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
    expect(squash(parts.map((p) => String(p.text)).join('\n\n'))).toBe(squash(long));
  });

  it('falls back to plain text when Telegram rejects the HTML', async () => {
    tg = await startFakeTelegram();
    llm = await startFakeLlm([{ text: ['**bold** answer'] }]);
    tg.failNext('sendMessage', { error_code: 400, description: "Bad Request: can't parse entities", when: (b) => b.parse_mode === 'HTML' });
    await start({ placeholder: { enabled: false } });
    tg.pushMessage('hi', { id: 42 });
    const plain = await until(() => finalText().find((b) => b.parse_mode === undefined));
    expect(plain.text).toBe('**bold** answer');
  });

  it('edits the placeholder while the answer streams', async () => {
    tg = await startFakeTelegram();
    llm = await startFakeLlm([{ text: ['First part of the answer. ', 'Second part, ', 'and the end.'], delayMs: 150 }]);
    await start({}, { streaming: { enabled: true, throttle_seconds: 0, min_growth_chars: 5 } });
    tg.pushMessage('stream please', { id: 42 });
    await until(() => tg!.calls.find((c) => c.method === 'editMessageText' && c.body.parse_mode === 'HTML'));
    const edits = tg.calls.filter((c) => c.method === 'editMessageText').map((c) => String(c.body.text));
    expect(edits.length).toBeGreaterThanOrEqual(3);
    expect(edits[0]).toBe('First part of the answer. ');
    expect(edits.at(-1)).toBe('First part of the answer. Second part, and the end.');
    // The last streamed edit already showed the whole answer, so Telegram refuses the final edit
    // as "not modified": that is the answer delivered, not a failure (nor a plain-text retry).
    await new Promise((r) => setTimeout(r, 300));
    expect(tg.messages().map((m) => m.text)).toEqual(['First part of the answer. Second part, and the end.']);
    expect(gw!.logs()).not.toMatch(/sending to chat \d+ failed|HTML rejected/);
  });

  it('waits out a 429 with retry_after and delivers', async () => {
    tg = await startFakeTelegram();
    llm = await startFakeLlm([{ text: ['after the wait'] }]);
    tg.failNext('sendMessage', { error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } });
    await start({ placeholder: { enabled: false } });
    tg.pushMessage('hi', { id: 42 });
    const sent = await until(() => tg!.calls.filter((c) => c.method === 'sendMessage'), 10_000).then(async () => until(() => (tg!.calls.filter((c) => c.method === 'sendMessage').length >= 2 ? tg!.calls.filter((c) => c.method === 'sendMessage') : undefined)));
    expect(sent[1]!.body.text).toBe('after the wait');
    expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(900);
  });

  it('answers in groups only when mentioned', async () => {
    tg = await startFakeTelegram({ username: 'homelab_bot' });
    llm = await startFakeLlm([], { echo: true });
    await start({ placeholder: { enabled: false } });
    const group = { id: -100, type: 'group', title: 'Family' };
    tg.pushMessage('just chatting', { id: 42 }, group);
    tg.pushMessage('@homelab_bot is the garage open?', { id: 42 }, group);
    await until(() => finalText().find((b) => b.chat_id === -100));
    expect(finalText().map((b) => b.text)).toEqual(['you said: is the garage open?']);
  });

  it('keeps polling through a 409 conflict and reports it', async () => {
    tg = await startFakeTelegram();
    llm = await startFakeLlm([], { echo: true });
    tg.failNext('getUpdates', { error_code: 409, description: 'Conflict: terminated by other getUpdates request' });
    await start();
    await until(() => /another bot instance is polling with this token/.test(gw!.logs()));
    const status = (await (await fetch(`${gw!.base}/status`, { headers: { authorization: 'Bearer control-token' } })).json()) as { channels: { state: string; lastError?: string }[] };
    expect(status.channels[0]).toMatchObject({ state: 'reconnecting', lastError: expect.stringMatching(/409|Conflict/) });
  });

  it('fails clearly with a rejected token', async () => {
    tg = await startFakeTelegram();
    llm = await startFakeLlm();
    gw = await startTestGateway({
      config: { agents: { defaults: { model_name: 'm' } }, model_list: [{ model_name: 'm', model: 'groq/x', api_base: llm.url }], channel_list: { telegram: { enabled: true, type: 'telegram', settings: { token: '999:wrong', base_url: tg.url } } } },
    });
    const status = async () => ((await (await fetch(`${gw!.base}/status`, { headers: { authorization: 'Bearer control-token' } })).json()) as { channels: { state: string; lastError?: string }[] }).channels[0]!;
    let channel = await status();
    for (const end = Date.now() + 5000; channel.state !== 'failed' && Date.now() < end; channel = await status()) await new Promise((r) => setTimeout(r, 50));
    expect(channel).toMatchObject({ state: 'failed', lastError: expect.stringMatching(/token was rejected/) });
  });

  it('is ready at once when the Bot API is down at start, and connects when it comes back', async () => {
    tg = await startFakeTelegram();
    llm = await startFakeLlm([], { echo: true });
    tg.failNext('getMe', { error_code: 502, description: 'Bad Gateway' });
    tg.failNext('getMe', { error_code: 502, description: 'Bad Gateway' });
    await start();
    const ready = (await (await fetch(`${gw!.base}/ready`)).json()) as { status: string };
    expect(ready.status).toBe('degraded');
    tg.pushMessage('are you there?', { id: 42 });
    await until(() => finalText().find((b) => b.text === 'you said: are you there?'), 15_000);
    expect(tg.calls.filter((c) => c.method === 'getMe')).toHaveLength(3);
    expect(gw!.logs()).toMatch(/cannot reach the Telegram Bot API.*retrying in \d+ s/);
  }, 20_000);
});

describe('senderAllowed', () => {
  it.each([
    [['42'], { id: 42 }, true],
    [['@Friend'], { id: 1, username: 'friend' }, true],
    [['friend'], { id: 1, username: 'friend' }, true],
    [['1|someone'], { id: 1 }, true],
    [['telegram:42'], { id: 42 }, true],
    [['42'], { id: 43, username: '42' }, true],
    [['43'], { id: 42 }, false],
    // Empty is nobody here (PicoClaw: everyone); "*" opens the bot explicitly.
    [[], { id: 42 }, false],
    [[' '], { id: 42 }, false],
    [['*'], { id: 42 }, true],
  ])('%j allows %j: %s', (list, from, expected) => {
    expect(senderAllowed(from, list)).toBe(expected);
  });
});

describe('Telegram send (schedules speak first)', () => {
  const channels: Channel[] = [];
  afterEach(async () => {
    for (const c of channels.splice(0)) await c.stop();
  });
  const memoryState = (): ChannelStateStore & { values: Map<string, string> } => {
    const values = new Map<string, string>();
    return { values, get: async (k) => values.get(k), set: async (k, v) => void values.set(k, v) };
  };
  async function channel(state: ChannelStateStore, allowFrom = ['42', '@friend']) {
    const config = channelSchema.parse({ type: 'telegram', enabled: true, allow_from: allowFrom, settings: { token: tg!.token, base_url: tg!.url } });
    const c = await createTelegramChannel('telegram', config, { state });
    channels.push(c);
    return c;
  }
  function context(submitted: string[] = []): ChannelContext {
    return { signal: new AbortController().signal, submit: async (m) => void submitted.push(`${m.sessionKey} ${m.text}`), log: () => {}, mountUpgrade: () => {}, afterStart: Promise.resolve() };
  }

  it('sends Markdown as HTML to a chat in allow_from, before any polling, keyed like inbound', async () => {
    tg = await startFakeTelegram();
    const c = await channel(memoryState());
    // Never started: the client is created on demand.
    await expect(c.send!('telegram:42', 'Take the **bins** out')).resolves.toEqual({ sessionKey: 'telegram:42' });
    expect(tg.sent().map((s) => s.body)).toEqual([expect.objectContaining({ chat_id: 42, text: 'Take the <b>bins</b> out', parse_mode: 'HTML' })]);
    expect(tg.calls.some((x) => x.method === 'getUpdates')).toBe(false);
    expect(c.status().messages.out).toBe(1);
    expect(c.targets!()).toEqual([{ to: '42', label: '42' }]);
  });

  it("gives up when the caller's signal says so while the Bot API is unreachable, naming no token", async () => {
    tg = await startFakeTelegram();
    const url = tg.url;
    await tg.close();
    const config = channelSchema.parse({ type: 'telegram', enabled: true, allow_from: ['42'], settings: { token: '123456:SECRET-part', base_url: url } });
    const c = await createTelegramChannel('telegram', config, { state: memoryState() });
    channels.push(c);
    const started = Date.now();
    const error = (await c.send!('42', 'hello', AbortSignal.timeout(1500)).catch((e: Error) => e)) as Error;
    expect(Date.now() - started).toBeLessThan(5000);
    // Why it failed, not just "cancelled".
    expect(error.message).toMatch(/^telegram: sending to chat 42 failed: .*ECONNREFUSED/);
    expect(error.message).not.toContain('SECRET-part');
    tg = undefined;
  });

  it('refuses a chat that is not allowed, with a clear message, and sends nothing', async () => {
    tg = await startFakeTelegram();
    const c = await channel(memoryState());
    await expect(c.send!('999', 'hello')).rejects.toThrow('telegram: chat 999 is not in allow_from (add it to channel_list.telegram.allow_from');
    await expect(c.send!('@someone', 'hello')).rejects.toThrow(/is not a chat id/);
    expect(tg.sent()).toEqual([]);
  });

  it('remembers a group an allowed user wrote from, across a new instance on the same state store', async () => {
    tg = await startFakeTelegram();
    const state = memoryState();
    const submitted: string[] = [];
    const first = await channel(state);
    await first.start(context(submitted));
    tg.pushMessage('/help', { id: 42 }, { id: -100, type: 'group', title: 'Family' });
    // A stranger's group is not remembered.
    tg.pushMessage('/help', { id: 666 }, { id: -200, type: 'group', title: 'Strangers' });
    await until(() => submitted.length === 1 && state.values.has('telegram:123456:chats'));
    expect(first.targets!()).toEqual([{ to: '-100', label: 'Family' }, { to: '42', label: '42' }]);
    await first.stop();

    const second = await channel(state);
    await expect(second.send!('-100', 'Dinner at **7**')).resolves.toEqual({ sessionKey: 'telegram:-100' });
    expect(tg.sent().at(-1)!.body).toMatchObject({ chat_id: -100, text: 'Dinner at <b>7</b>', parse_mode: 'HTML' });
    await expect(second.send!('-200', 'hi')).rejects.toThrow(/chat -200 is not in allow_from/);
    // Taking the user out of allow_from takes their chats with them.
    const revoked = await channel(state, ['7']);
    await expect(revoked.send!('-100', 'hi')).rejects.toThrow(/chat -100 is not in allow_from/);
    expect(revoked.targets!()).toEqual([{ to: '7', label: '7' }]);
  });
});
