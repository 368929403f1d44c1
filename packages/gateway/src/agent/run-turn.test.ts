import { PicoError } from '@picoclaw/core';
import { describe, expect, it } from 'vitest';
import type { LanguageModel, ModelEvent } from '../models/types.js';
import type { StoredMessage } from '../sessions/session-store.js';
import type { Tool } from '../tools/types.js';
import { runTurn, type TurnInput } from './run-turn.js';

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
