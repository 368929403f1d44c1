import { PicoError } from '@picoclaw/core';
import { describe, expect, it } from 'vitest';
import { NO_VISION } from '../models/model-registry.js';
import type { ChatMessage, ImagePart, LanguageModel, ModelEvent } from '../models/types.js';
import type { StoredMessage } from '../sessions/session-store.js';
import type { Tool } from '../tools/types.js';
import type { AgentEvent } from './events.js';
import { MAX_TOOL_CALLS_PER_MESSAGE, runTurn, type TurnInput } from './run-turn.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A model that plays one scripted response per call, each after `delayMs`. */
function scripted(responses: (ModelEvent[] | Error)[], delayMs = 0): LanguageModel {
  let call = 0;
  return {
    name: 'm',
    provider: 'test',
    modelId: 'm',
    async *stream() {
      const response = responses[call++]!;
      if (delayMs) await sleep(delayMs);
      if (response instanceof Error) throw response;
      yield* response;
    },
  };
}

function input(model: LanguageModel, saves: StoredMessage[][], tools: Tool[] = []): TurnInput {
  return {
    turnId: 't1',
    model,
    systemPrompt: 'You are a test.',
    history: [],
    userText: 'hello',
    tools,
    maxIterations: 5,
    maxTokens: 100,
    temperature: 0,
    contextWindow: 10_000,
    signal: new AbortController().signal,
    toolContext: { sessionKey: 's', channel: 'pico', chatId: 'c', workspace: '/tmp' },
    persist: async (messages) => {
      saves.push(messages);
    },
    emit: () => {},
  };
}

const answer = (text: string): ModelEvent[] => [{ type: 'text-delta', text }, { type: 'response-end', finishReason: 'stop' }];
const roles = (saves: StoredMessage[][]) => saves.map((batch) => batch.map((m) => m.role));

describe('runTurn saves', () => {
  it('a quick answer: the question and the answer in one write, the question stamped when it came', async () => {
    const saves: StoredMessage[][] = [];
    const before = Date.now();
    const outcome = await runTurn(input(scripted([answer('hi there')]), saves));
    expect(outcome).toMatchObject({ text: 'hi there', reason: 'stop' });
    expect(roles(saves)).toEqual([['user', 'assistant']]);
    expect(saves[0]![0]).toMatchObject({ role: 'user', content: 'hello' });
    expect(Date.parse(saves[0]![0]!.created_at!)).toBeGreaterThanOrEqual(before - 1);
    expect(outcome.saved.map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('a slow model: the question is saved on its own while the model is still thinking', async () => {
    const saves: StoredMessage[][] = [];
    const turn = runTurn(input(scripted([answer('late')], 300), saves));
    await sleep(200);
    expect(roles(saves)).toEqual([['user']]); // a crash now would still find the question
    await turn;
    expect(roles(saves)).toEqual([['user'], ['assistant']]);
  });

  it('a failing model: the question is saved all the same', async () => {
    const saves: StoredMessage[][] = [];
    const outcome = await runTurn(input(scripted([new PicoError('remote', 'boom', { status: 500 })]), saves));
    expect(outcome.reason).toBe('error');
    expect(roles(saves)).toEqual([['user']]);
  });

  it('a tool call: the question goes with the tool call, then the result, then the answer, in order', async () => {
    const saves: StoredMessage[][] = [];
    const tool: Tool = { name: 'echo', description: 'echo', parameters: { type: 'object' }, source: 'builtin', execute: async () => ({ content: 'echoed' }) };
    const model = scripted([
      [{ type: 'tool-call', call: { id: 'c1', name: 'echo', arguments: '{}' } }, { type: 'response-end', finishReason: 'tool-calls' }],
      answer('done'),
    ]);
    const outcome = await runTurn(input(model, saves, [tool]));
    expect(outcome.text).toBe('done');
    expect(roles(saves)).toEqual([['user', 'assistant'], ['tool'], ['assistant']]);
  });

  it('a tool error passes the secret masker before the chat, the session and the model see it; a result does not', async () => {
    const saves: StoredMessage[][] = [];
    const events: AgentEvent[] = [];
    const tool = (name: string, isError: boolean): Tool => ({ name, description: name, parameters: { type: 'object' }, source: 'mcp:ha', execute: async () => ({ content: `401: bad token ha-secret-1234`, isError }) });
    const model = scripted([
      [{ type: 'tool-call', call: { id: 'c1', name: 'fails', arguments: '{}' } }, { type: 'tool-call', call: { id: 'c2', name: 'works', arguments: '{}' } }, { type: 'response-end', finishReason: 'tool-calls' }],
      answer('done'),
    ]);
    await runTurn({ ...input(model, saves, [tool('fails', true), tool('works', false)]), emit: (e) => events.push(e), mask: (text) => text.replaceAll('ha-secret-1234', '[REDACTED]') });
    const results = saves.flat().filter((m) => m.role === 'tool').map((m) => m.content);
    expect(results).toEqual(['401: bad token [REDACTED]', '401: bad token ha-secret-1234']);
    expect(events.filter((e) => e.type === 'tool-result').map((e) => (e as { content: string }).content)).toEqual(results);
  });

  it('the tools reach the model by name in code-point order', async () => {
    const seen: string[][] = [];
    const model: LanguageModel = {
      ...scripted([answer('ok')]),
      async *stream(request) {
        seen.push(request.tools.map((t) => t.name));
        yield* answer('ok');
      },
    };
    const tool = (name: string): Tool => ({ name, description: name, parameters: {}, source: 'builtin', execute: async () => ({ content: '' }) });
    await runTurn(input(model, [], [tool('web_fetch'), tool('Zeta'), tool('exec'), tool('mcp_ha_turn_on')]));
    expect(seen).toEqual([['Zeta', 'exec', 'mcp_ha_turn_on', 'web_fetch']]);
  });
});

describe('runTurn tool calls per model message', () => {
  it('runs at most 20 of 1,000 calls in one message; every call still gets a result, one warning', async () => {
    expect(MAX_TOOL_CALLS_PER_MESSAGE).toBe(20);
    const saves: StoredMessage[][] = [];
    let runs = 0;
    const tool: Tool = { name: 'write_file', description: 'w', parameters: { type: 'object' }, source: 'builtin', execute: async () => ({ content: `wrote ${++runs}` }) };
    const calls: ModelEvent[] = Array.from({ length: 1000 }, (_, i) => ({ type: 'tool-call', call: { id: `c${i}`, name: 'write_file', arguments: '{}' } }));
    const requests: { role: string; tool_call_id?: string; content: string | null }[][] = [];
    const responses = [[...calls, { type: 'response-end', finishReason: 'tool-calls' }] as ModelEvent[], answer('done')];
    const model: LanguageModel = {
      ...scripted([]),
      async *stream(request) {
        requests.push(request.messages.map((m) => ({ role: m.role, content: m.content, ...('tool_call_id' in m && m.tool_call_id ? { tool_call_id: m.tool_call_id } : {}) })));
        yield* responses[requests.length - 1]!;
      },
    };
    const emitted: string[] = [];
    const warnings: string[] = [];
    const outcome = await runTurn({
      ...input(model, saves, [tool]),
      emit: (e) => emitted.push(e.type),
      log: (level, message) => void (level === 'warn' && warnings.push(message)),
    });
    expect(outcome.text).toBe('done');
    expect(runs).toBe(20);
    // The model's next request answers every call, in order: 20 results, then 980 refusals.
    const results = requests[1]!.filter((m) => m.role === 'tool');
    expect(results.map((m) => m.tool_call_id)).toEqual(Array.from({ length: 1000 }, (_, i) => `c${i}`));
    expect(results.slice(0, 20).map((m) => m.content)).toEqual(Array.from({ length: 20 }, (_, i) => `wrote ${i + 1}`));
    for (const m of results.slice(20)) expect(m.content).toBe('not run: a model message may make at most 20 tool calls; make the remaining calls in your next step');
    expect(saves.flat().filter((m) => m.role === 'tool')).toHaveLength(1000);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/1000 tool calls/);
    expect(emitted.filter((t) => t === 'tool-result')).toHaveLength(20);
  });
});

describe('runTurn images', () => {
  /** Records what each call sent, and which model it went to. */
  function recording(name: string, responses: ModelEvent[][], calls: { model: string; messages: ChatMessage[] }[]): LanguageModel {
    let i = 0;
    return {
      name, provider: 'test', modelId: name,
      async *stream(request) {
        calls.push({ model: name, messages: structuredClone(request.messages) });
        yield* responses[i++]!;
      },
    };
  }
  const image = { mime: 'image/png', data: 'iVBORw0KGgo=' };
  const camera = (images: ImagePart[]): Tool => ({
    name: 'camera', description: 'snapshot', parameters: { type: 'object' }, source: 'mcp:ha',
    execute: async () => ({ content: '[MCP returned an image (image/png)]', images }),
  });
  const callCamera: ModelEvent[] = [{ type: 'tool-call', call: { id: 'c1', name: 'camera', arguments: '{}' } }, { type: 'response-end', finishReason: 'tool-calls' }];

  it("the question's images go to the vision model; the session keeps their paths, not their bytes", async () => {
    const calls: { model: string; messages: ChatMessage[] }[] = [];
    const saves: StoredMessage[][] = [];
    const vision = recording('vision', [answer('a red square')], calls);
    const outcome = await runTurn({ ...input(recording('text', [], calls), saves), userText: 'what is this?', userImages: { paths: ['media/images/a.png'], images: [image] }, visionModel: () => vision });
    expect(outcome).toMatchObject({ text: 'a red square', reason: 'stop' });
    expect(calls.map((c) => c.model)).toEqual(['vision']);
    expect(calls[0]!.messages.at(-1)).toEqual({ role: 'user', content: 'what is this?', images: [image] });
    expect(saves[0]![0]).toMatchObject({ role: 'user', content: 'what is this?', media: ['media/images/a.png'] });
    expect(JSON.stringify(saves)).not.toContain(image.data);
  });

  it('with no vision model, an image question is answered with what to set, never sent to a text model', async () => {
    const calls: { model: string; messages: ChatMessage[] }[] = [];
    const saves: StoredMessage[][] = [];
    const outcome = await runTurn({ ...input(recording('text', [answer('I see a cat')], calls), saves), userImages: { paths: ['media/images/a.png'], images: [image] }, visionModel: () => undefined });
    expect(outcome).toMatchObject({ reason: 'error', text: NO_VISION });
    expect(calls).toEqual([]);
    expect(saves.flat()[0]).toMatchObject({ role: 'user', media: ['media/images/a.png'] });
  });

  it("a tool's image is stored, shown after the tool results as a user message, and the turn moves to the vision model", async () => {
    const calls: { model: string; messages: ChatMessage[] }[] = [];
    const saves: StoredMessage[][] = [];
    const events: AgentEvent[] = [];
    const vision = recording('vision', [answer('the garage door is open')], calls);
    const stored: ImagePart[] = [];
    const outcome = await runTurn({
      ...input(recording('text', [callCamera], calls), saves, [camera([image])]),
      emit: (e) => events.push(e),
      visionModel: () => vision,
      saveImage: async (i) => (stored.push(i), 'media/images/snap.png'),
    });
    expect(outcome.text).toBe('the garage door is open');
    expect(calls.map((c) => c.model)).toEqual(['text', 'vision']);
    expect(calls[1]!.messages.slice(-3).map((m) => m.role)).toEqual(['assistant', 'tool', 'user']);
    expect(calls[1]!.messages.at(-1)).toEqual({ role: 'user', content: '[Loaded image from tool result above]', images: [image] });
    expect(stored).toEqual([image]);
    expect(saves.flat().find((m) => m.role === 'tool')).toMatchObject({ media: ['media/images/snap.png'] });
    expect(events.find((e) => e.type === 'tool-result')).toMatchObject({ media: ['media/images/snap.png'] });
  });

  it("without a vision model a tool's image is not shown and the tool's text says why", async () => {
    const calls: { model: string; messages: ChatMessage[] }[] = [];
    const saves: StoredMessage[][] = [];
    await runTurn({ ...input(recording('text', [callCamera, answer('ok')], calls), saves, [camera([image])]), visionModel: () => undefined, saveImage: async () => 'x' });
    expect(calls.map((c) => c.model)).toEqual(['text', 'text']);
    expect(calls[1]!.messages.at(-1)).toMatchObject({ role: 'tool', content: expect.stringContaining('no vision model is configured') });
    expect(calls[1]!.messages.some((m) => m.role === 'user' && m.images)).toBe(false);
  });

  it('at most 4 images of one tool result are shown, and a refused one is named', async () => {
    const calls: { model: string; messages: ChatMessage[] }[] = [];
    let n = 0;
    await runTurn({
      ...input(recording('text', [callCamera], calls), [], [camera(Array.from({ length: 6 }, () => image))]),
      visionModel: () => recording('vision', [answer('ok')], calls),
      saveImage: async () => {
        if (++n === 2) throw new Error('that is not an image a model can read');
        return `media/images/${n}.png`;
      },
    });
    expect((calls[1]!.messages.at(-1) as { images: unknown[] }).images).toHaveLength(3);
    expect(calls[1]!.messages.at(-2)!.content).toMatch(/not shown: that is not an image a model can read[\s\S]*returned 6 images; the first 4 are shown/);
  });
});
