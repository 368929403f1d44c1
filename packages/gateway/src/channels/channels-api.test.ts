import { startFakeTelegram, type FakeTelegram } from '@picoclaw/test-fakes';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../testing/start-test-gateway.js';
import { TEST_MESSAGE } from './channels-api.js';

let tg: FakeTelegram | undefined;
let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  await tg?.close();
  gw = tg = undefined;
});

async function start() {
  tg = await startFakeTelegram();
  gw = await startTestGateway({
    config: {
      agents: { defaults: { model_name: 'm' } },
      model_list: [{ model_name: 'm', model: 'groq/llama', api_base: 'http://127.0.0.1:9', api_keys: ['k'] }],
      channel_list: { telegram: { enabled: true, type: 'telegram', allow_from: ['42'], settings: { token: '[NOT_HERE]', base_url: tg.url } } },
    },
    security: `channel_list:\n  telegram:\n    settings:\n      token: "${tg.token}"\n`,
  });
  const call = async (path: string, body?: unknown, token = 'control-token') => {
    const response = await fetch(`${gw!.base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return call;
}

describe('POST /channels/<name>/test', () => {
  it('sends the fixed test text through the running Telegram channel to a chat in allow_from', async () => {
    const call = await start();
    expect(await call('/channels/telegram/test', { chat_id: '42' })).toEqual({ status: 200, body: { status: 'sent', channel: 'telegram', chat_id: '42' } });
    expect(tg!.sent().map((s) => s.body)).toEqual([expect.objectContaining({ chat_id: 42, text: TEST_MESSAGE })]);
  });

  it("refuses a chat outside allow_from with the channel's own sentence, and sends nothing", async () => {
    const call = await start();
    const answer = await call('/channels/telegram/test', { chat_id: '999' });
    expect(answer.status).toBe(422);
    expect(answer.body.error).toMatch(/^telegram: chat 999 is not in allow_from \(add it to channel_list\.telegram\.allow_from/);
    expect(await call('/channels/telegram/test', {})).toMatchObject({ status: 400, body: { error: expect.stringMatching(/chat_id/) } });
    expect(await call('/channels/nope/test', { chat_id: '42' })).toMatchObject({ status: 404, body: { error: 'no channel named "nope" in channel_list' } });
    expect((await call('/channels/telegram/test', { chat_id: '42' }, 'wrong')).status).toBe(401);
    expect(tg!.sent()).toEqual([]);
  });
});

describe('GET /channels/<name>/refused', () => {
  it('lists who the bot refused (newest first, each once, at most 10), for "find my user id"', async () => {
    await start();
    const get = async (path: string, token = 'control-token') => {
      const response = await fetch(`${gw!.base}${path}`, { headers: { authorization: `Bearer ${token}` } });
      return { status: response.status, body: (await response.json()) as { refused?: { id: number; username?: string; first_name?: string; at: string }[]; error?: string } };
    };
    expect(await get('/channels/telegram/refused')).toEqual({ status: 200, body: { channel: 'telegram', refused: [] } });
    tg!.pushMessage('hello?', { id: 7001, username: 'newowner' });
    tg!.pushMessage('allowed one', { id: 42 });
    await expect.poll(async () => (await get('/channels/telegram/refused')).body.refused?.length, { timeout: 5_000 }).toBe(1);
    const [first] = (await get('/channels/telegram/refused')).body.refused!;
    expect(first).toEqual({ id: 7001, username: 'newowner', first_name: 'T', at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    // The stranger was told their id too (the bot's own answer).
    await expect.poll(() => tg!.sent().some((s) => String(s.body.text).includes('Your Telegram user id is 7001'))).toBe(true);
    // Twelve more strangers and the first again: ten kept, the newest first, 7001 once.
    for (let id = 8000; id < 8012; id++) tg!.pushMessage('hi', { id });
    tg!.pushMessage('me again', { id: 7001, username: 'newowner' });
    await expect.poll(async () => (await get('/channels/telegram/refused')).body.refused?.map((r) => r.id), { timeout: 5_000 }).toEqual([7001, 8011, 8010, 8009, 8008, 8007, 8006, 8005, 8004, 8003]);
    expect(await get('/channels/nope/refused')).toMatchObject({ status: 404, body: { error: expect.stringMatching(/no running channel named "nope"/) } });
    expect((await get('/channels/telegram/refused', 'wrong')).status).toBe(401);
    expect((await fetch(`${gw!.base}/channels/telegram/refused`, { method: 'POST', headers: { authorization: 'Bearer control-token', 'content-type': 'application/json' }, body: '{}' })).status).toBe(405);
  });
});
