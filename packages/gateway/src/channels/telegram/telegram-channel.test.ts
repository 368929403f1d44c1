import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeLlm, startFakeTelegram, type FakeLlm, type FakeTelegram } from '@picoclaw/test-fakes';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../testing/start-test-gateway.js';
import { senderAllowed } from './telegram-channel.js';

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
      expect(JSON.parse(await readFile(join(home, 'workspace', 'state', 'channels.json'), 'utf8'))).toEqual({ 'telegram:1:offset': '3' });
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
    expect(toStranger.map((c) => c.body.text)).toEqual(['Sorry, this is a private assistant and you are not on its list of users.']);
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
    [[], { id: 42 }, true],
    [['*'], { id: 42 }, true],
  ])('%j allows %j: %s', (list, from, expected) => {
    expect(senderAllowed(from, list)).toBe(expected);
  });
});
