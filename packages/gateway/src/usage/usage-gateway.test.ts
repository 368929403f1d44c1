/**
 * Token usage through an in-process gateway: chats over the pico channel answered by fake models
 * that report usage, one by the primary and one by the fallback after the primary fails; `/usage`
 * gives each model what it answered, and a gateway restarted on the same home still has it.
 */
import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeLlm, type FakeLlm } from '@picoclaw/test-fakes';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from '../testing/start-test-gateway.js';

let fast: FakeLlm | undefined;
let smart: FakeLlm | undefined;
let gw: TestGateway | undefined;
let home: string | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  sockets.splice(0).forEach((s) => s.close());
  await gw?.close();
  await Promise.all([fast?.close(), smart?.close()]);
  if (home) await rm(home, { recursive: true, force: true });
  fast = smart = gw = home = undefined;
});

async function start() {
  gw = await startTestGateway({
    home,
    config: {
      agents: { defaults: { model_name: 'fast', model_fallbacks: ['smart'], workspace: join(home!, 'workspace') } },
      model_list: [
        { model_name: 'fast', model: 'openai/fast-model', api_base: `${fast!.url}/v1`, api_keys: ['k1'] },
        { model_name: 'smart', model: 'openai/smart-model', api_base: `${smart!.url}/v1`, api_keys: ['k2'] },
      ],
      channel_list: { pico: { enabled: true, type: 'pico', settings: { token: 'pico-token' } } },
    },
  });
  const socket = new WebSocket(`ws://127.0.0.1:${gw.port}/pico/ws?session_id=usage`, ['token.pico-token']);
  sockets.push(socket);
  const frames: { type: string }[] = [];
  socket.on('message', (data) => frames.push(JSON.parse(data.toString())));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return async (content: string) => {
    const before = frames.filter((f) => f.type === 'typing.stop').length;
    socket.send(JSON.stringify({ type: 'message.send', id: `q${before}`, payload: { content } }));
    for (let i = 0; i < 250 && frames.filter((f) => f.type === 'typing.stop').length === before; i++) await new Promise((r) => setTimeout(r, 20));
  };
}

const usage = async (query = '?days=7') => {
  const response = await fetch(`${gw!.base}/usage${query}`, { headers: { authorization: 'Bearer control-token' } });
  return { status: response.status, body: (await response.json()) as { today: string; models: { name: string; total: Record<string, number> }[] } };
};

describe('token usage in the gateway', () => {
  it('counts each answer for the model that gave it (the fallback when the primary fails), and keeps it across a restart', async () => {
    home = await mkdtemp(join(tmpdir(), 'picoclaw-usage-'));
    fast = await startFakeLlm([{ text: ['Hello.'], usage: { prompt_tokens: 120, completion_tokens: 7 } }, { status: 503 }]);
    smart = await startFakeLlm([{ text: ['Hi from smart.'], usage: { prompt_tokens: 300, completion_tokens: 40 } }]);
    const ask = await start();
    expect((await usage()).body.models).toEqual([]);
    await ask('hello');
    await ask('again');
    expect(fast.requests).toHaveLength(2);
    expect(smart.requests).toHaveLength(1);

    const answer = await usage();
    expect(answer.status).toBe(200);
    expect(answer.body.models).toEqual([
      expect.objectContaining({ name: 'fast', total: { requests: 1, prompt_tokens: 120, completion_tokens: 7, unreported: 0 } }),
      expect.objectContaining({ name: 'smart', total: { requests: 1, prompt_tokens: 300, completion_tokens: 40, unreported: 0 } }),
    ]);
    expect((await usage('?days=500')).status).toBe(400);
    expect((await fetch(`${gw!.base}/usage`)).status).toBe(401);

    // Closing writes state/usage.json; a new gateway on the same home reads it at first use.
    await gw!.close();
    gw = undefined;
    const saved = JSON.parse(await readFile(join(home, 'workspace', 'state', 'usage.json'), 'utf8')) as { days: Record<string, unknown> };
    expect(Object.values(saved.days)[0]).toMatchObject({ fast: { requests: 1 }, smart: { prompt_tokens: 300 } });
    await start();
    expect((await usage('?days=1')).body.models.map((m) => [m.name, m.total.prompt_tokens])).toEqual([['fast', 120], ['smart', 300]]);
  });
});
