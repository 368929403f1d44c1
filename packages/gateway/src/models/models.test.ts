import { startFakeLlm, type FakeLlm, type FakeTurn } from '@picoclaw/test-fakes';
import { PicoError } from '@picoclaw/core';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { createFallbackChain, createHealthBook } from './fallback-chain.js';
import { createMistralModel } from './mistral.js';
import { createOpenAiCompatibleModel } from './openai-compatible.js';
import type { LanguageModel, ModelEvent, ModelRequest } from './types.js';

const request: ModelRequest = {
  messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'turn on the kitchen light' }],
  tools: [{ name: 'mcp_homeassistant_hassturnon', description: 'turn on', parameters: { type: 'object', properties: { name: { type: 'string' } } } }],
  maxTokens: 100,
  temperature: 0.5,
};

async function collect(model: LanguageModel, signal?: AbortSignal): Promise<ModelEvent[]> {
  const events: ModelEvent[] = [];
  for await (const event of model.stream(request, signal)) events.push(event);
  return events;
}
/** A full garbage collection, without starting the test runner with --expose-gc. */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const text = (events: ModelEvent[]) => events.map((e) => (e.type === 'text-delta' ? e.text : '')).join('');

let fakes: FakeLlm[] = [];
const fake = async (...turns: FakeTurn[]) => {
  const f = await startFakeLlm(turns);
  fakes.push(f);
  return f;
};
afterEach(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  fakes = [];
});

const openai = (f: FakeLlm, name = 'groq-llama', extra: Partial<Parameters<typeof createOpenAiCompatibleModel>[0]> = {}) =>
  createOpenAiCompatibleModel({ name, provider: 'groq', modelId: 'llama-3.3-70b', apiBase: `${f.url}/openai/v1`, apiKey: 'gk-test', ...extra });
const mistral = (f: FakeLlm) => createMistralModel({ name: 'mistral-small', modelId: 'mistral-small-latest', apiBase: `${f.url}/v1`, apiKey: 'mk-test' });

describe.each([
  ['OpenAI-compatible', openai, '/openai/v1/chat/completions', 'Bearer gk-test', 'llama-3.3-70b'],
  ['Mistral SDK', mistral, '/v1/chat/completions', 'Bearer mk-test', 'mistral-small-latest'],
] as const)('%s adapter', (_name, make, path, authorization, modelId) => {
  it('streams text and sends model, messages, tools and limits', async () => {
    const f = await fake({ text: ['Hel', 'lo'] });
    const events = await collect(make(f));
    expect(text(events)).toBe('Hello');
    expect(events.at(-1)).toMatchObject({ type: 'response-end', finishReason: 'stop' });
    const sent = f.requests[0]!;
    expect(sent.path).toBe(path);
    expect(sent.authorization).toBe(authorization);
    expect(sent.body).toMatchObject({ model: modelId, stream: true, temperature: 0.5, max_tokens: 100 });
    expect(sent.body.messages).toEqual([{ role: 'system', content: 'be brief' }, { role: 'user', content: 'turn on the kitchen light' }]);
    expect(sent.body.tools?.[0]?.function.name).toBe('mcp_homeassistant_hassturnon');
  });

  it('returns tool calls and replays them with their results', async () => {
    const f = await fake({ toolCalls: [{ id: 'call_1', name: 'mcp_homeassistant_hassturnon', arguments: '{"name":"kitchen light"}' }] }, { text: ['Done'] });
    const model = make(f);
    const events = await collect(model);
    expect(events.filter((e) => e.type === 'tool-call')).toEqual([{ type: 'tool-call', call: { id: 'call_1', name: 'mcp_homeassistant_hassturnon', arguments: '{"name":"kitchen light"}' } }]);
    expect(events.at(-1)).toMatchObject({ finishReason: 'tool-calls' });
    const followUp: ModelRequest = {
      ...request,
      messages: [...request.messages, { role: 'assistant', content: '', tool_calls: [{ id: 'call_1', name: 'mcp_homeassistant_hassturnon', arguments: '{"name":"kitchen light"}' }] }, { role: 'tool', tool_call_id: 'call_1', content: 'turned on kitchen light' }],
    };
    for await (const _ of model.stream(followUp)) void _;
    const replay = f.requests[1]!.body.messages;
    expect(replay[2]).toMatchObject({ role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'mcp_homeassistant_hassturnon' } }] });
    expect(replay[3]).toMatchObject({ role: 'tool', tool_call_id: 'call_1', content: 'turned on kitchen light' });
  });

  it('sends images as image_url content parts with data URLs (the wire form of both APIs)', async () => {
    const f = await fake({ text: ['a red square'] });
    const png = 'iVBORw0KGgoAAAANSUhEUg==';
    const withImage: ModelRequest = { ...request, tools: [], messages: [{ role: 'user', content: 'what is this?', images: [{ mime: 'image/png', data: png }] }] };
    for await (const _ of make(f).stream(withImage)) void _;
    expect(f.requests[0]!.body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } }] },
    ]);
  });

  it('maps an error status to a PicoError with the status and Retry-After', async () => {
    const f = await fake({ status: 429, headers: { 'retry-after': '7' }, body: { message: 'rate limited' } });
    const error = await collect(make(f)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PicoError);
    expect(error).toMatchObject({ code: 'remote', status: 429, retryAfterMs: 7000 });
    expect((error as Error).message).toMatch(/HTTP 429/);
  });

  it('reports a refused connection as a network error naming the host', async () => {
    const f = await fake();
    const model = make(f);
    await f.close();
    fakes = [];
    const error = await collect(model).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'network' });
    expect((error as Error).message).toMatch(/connection refused|cannot reach/);
  });

  it('aborts the HTTP request when the signal aborts', async () => {
    const f = await fake({ hang: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(collect(make(f), controller.signal)).rejects.toMatchObject({ code: 'aborted' });
  });

  it('fails a stream cut before it finished, naming a broken connection (not an unreachable server)', async () => {
    const f = await fake({ text: ['a', 'b', 'c'], cutAfter: 1 });
    await expect(collect(make(f))).rejects.toMatchObject({ code: 'network', message: expect.stringMatching(/: the connection to 127\.0\.0\.1:\d+ broke during the answer: /) });
  });

  // The Mistral SDK clones its fetch Request, and a clone stopped following its signal after a GC
  // (undici #4068): the request then waited for the model forever (the gateway's turn hung).
  it('aborts a request that waits for an answer even after garbage collections', async () => {
    const f = await fake({ hang: true });
    const controller = new AbortController();
    setTimeout(() => {
      for (let i = 0; i < 3; i++) collectGarbage();
      controller.abort();
    }, 100);
    const outcome = await Promise.race([
      collect(make(f), controller.signal).then(() => 'answered', (e: unknown) => e),
      new Promise((resolve) => setTimeout(() => resolve('still waiting 5 s after the abort'), 5_100)),
    ]);
    expect(outcome).toMatchObject({ code: 'aborted' });
  });
});

describe('OpenAI-compatible timeouts and broken streams', () => {
  it('times out when no response arrives', async () => {
    const f = await fake({ hang: true });
    await expect(collect(openai(f, 'slow', { connectTimeoutMs: 100 }))).rejects.toMatchObject({ code: 'timeout' });
  });

  it('times out a stalled stream', async () => {
    const f = await fake({ text: ['a', 'b'], delayMs: 400 });
    await expect(collect(openai(f, 'stall', { idleTimeoutMs: 100 }))).rejects.toMatchObject({ code: 'timeout', message: expect.stringMatching(/stalled/) });
  });

  it('says so when api_base points at an HTML page', async () => {
    const f = await fake({ status: 404, headers: { 'content-type': 'text/html' }, body: undefined });
    const model = createOpenAiCompatibleModel({ name: 'x', provider: 'openai', modelId: 'm', apiBase: f.url });
    const error = (await collect(model).catch((e: Error) => e)) as Error;
    expect(error.message).toMatch(/HTTP 404/);
  });
});

describe('fallback chain', () => {
  it('falls back when the primary answers 429, and cools the primary down', async () => {
    const primary = await fake({ status: 429, headers: { 'retry-after': '120' } });
    const backup = await fake({ text: ['from backup'] }, { text: ['again from backup'] });
    let now = 1_000_000;
    const chain = createFallbackChain([openai(primary, 'primary'), openai(backup, 'backup')], { now: () => now });
    const events = await collect(chain);
    expect(text(events)).toBe('from backup');
    expect(events[0]).toEqual({ type: 'response-start', model: 'backup', fallback: true });
    expect(chain.status()[0]).toMatchObject({ name: 'primary', state: 'cooling-down', failures: 1, lastError: expect.stringMatching(/429/) });
    // Retry-After 120 s beats the 1 min standard cooldown; the primary is skipped meanwhile.
    now += 90_000;
    expect(text(await collect(chain))).toBe('again from backup');
    expect(primary.requests).toHaveLength(1);
    now += 31_000;
    primary.push({ text: ['primary is back'] });
    expect(text(await collect(chain))).toBe('primary is back');
    expect(chain.status()[0]).toMatchObject({ state: 'ready', failures: 0 });
  });

  it('moves on from a rejected key but not from a malformed request', async () => {
    const bad = await fake({ status: 401 });
    const good = await fake({ text: ['ok'] });
    expect(text(await collect(createFallbackChain([openai(bad, 'a'), openai(good, 'b')])))).toBe('ok');
    const malformed = await fake({ status: 400, body: { error: { message: 'bad tool schema' } } });
    const unused = await fake({ text: ['never'] });
    await expect(collect(createFallbackChain([openai(malformed, 'c'), openai(unused, 'd')]))).rejects.toMatchObject({ status: 400 });
    expect(unused.requests).toHaveLength(0);
  });

  it('moves on from a model that refuses images, without cooling it down for text', async () => {
    const a = await fake({ status: 400, body: { error: { message: 'this model does not support image input' } } });
    const b = await fake({ text: ['a red square'] });
    const chain = createFallbackChain([openai(a, 'text-only'), openai(b, 'vision')]);
    let answer = '';
    const withImage: ModelRequest = { ...request, messages: [{ role: 'user', content: 'what is this?', images: [{ mime: 'image/png', data: 'iVBORw0KGgo=' }] }] };
    for await (const e of chain.stream(withImage)) if (e.type === 'text-delta') answer += e.text;
    expect(answer).toBe('a red square');
    expect(chain.status()[0]).toMatchObject({ name: 'text-only', state: 'ready', failures: 0 });
    // The same 400 on a text request is a malformed request: no fallback.
    a.push({ status: 400, body: { error: { message: 'this model does not support image input' } } });
    await expect(collect(chain)).rejects.toThrow(/HTTP 400/);
  });

  it('gives one clear message when every model fails', async () => {
    const a = await fake({ status: 503, body: { error: { message: 'overloaded' } } });
    const b = await fake({ status: 429 });
    const error = (await collect(createFallbackChain([openai(a, 'mistral-small'), openai(b, 'nemotron')])).catch((e: Error) => e)) as Error;
    expect(error).toMatchObject({ code: 'unavailable' });
    expect(error.message).toMatch(/^No model could answer\.\n- model mistral-small: HTTP 503: overloaded\n- model nemotron: HTTP 429/);
  });

  it('does not fall back after output was streamed', async () => {
    const a = await fake({ text: ['partial', 'rest'], cutAfter: 1 });
    const b = await fake({ text: ['never'] });
    await expect(collect(createFallbackChain([openai(a, 'a'), openai(b, 'b')]))).rejects.toMatchObject({ code: 'network' });
    expect(b.requests).toHaveLength(0);
  });

  it('shares health between chains through a health book', async () => {
    const a = await fake({ status: 500 });
    const b = await fake({ text: ['1'] }, { text: ['2'] });
    const health = createHealthBook();
    await collect(createFallbackChain([openai(a, 'a'), openai(b, 'b')], { health }));
    await collect(createFallbackChain([openai(a, 'a'), openai(b, 'b')], { health }));
    expect(a.requests).toHaveLength(1);
  });
});
