import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type Config } from '@picoclaw/core';
import { startFakeHomeAssistant, startFakeLlm, type FakeHomeAssistant, type FakeLlm } from '@picoclaw/test-fakes';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMcpManager, type McpManager } from '../mcp/mcp-manager.js';
import { createModelRegistry } from '../models/model-registry.js';
import { createJsonlSessionStore } from '../sessions/jsonl-session-store.js';
import { MAX_SUMMARY_CHARS } from './summarize.js';
import { createAgentRuntime, type AgentRuntime } from './agent-runtime.js';
import type { AgentEvent } from './events.js';

let dir: string;
let llm: FakeLlm;
let backup: FakeLlm | undefined;
let ha: FakeHomeAssistant | undefined;
let mcp: McpManager | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'picoclaw-agent-'));
});
afterEach(async () => {
  await mcp?.close();
  await ha?.close();
  await llm?.close();
  await backup?.close();
  mcp = ha = backup = undefined;
  await rm(dir, { recursive: true, force: true });
});

function setup(extra: Record<string, unknown> = {}, fallbackUrl?: string) {
  const config: Config = configSchema.parse({
    agents: { defaults: { workspace: dir, model_name: 'mistral-small', model_fallbacks: fallbackUrl ? ['groq'] : [], ...extra } },
    model_list: [
      { model_name: 'mistral-small', model: 'mistral/mistral-small-latest', api_base: `${llm.url}/v1`, api_keys: ['mk'] },
      ...(fallbackUrl ? [{ model_name: 'groq', model: 'groq/llama-3.3-70b-versatile', api_base: fallbackUrl, api_keys: ['gk'] }] : []),
    ],
  });
  const models = createModelRegistry(config);
  const store = createJsonlSessionStore({ dir: join(dir, 'sessions') });
  const runtime = createAgentRuntime({ config: () => config, models: () => models, tools: () => mcp?.list() ?? [], store, describe: { status: () => 'all good', mcp: () => 'none' } });
  return { runtime, store };
}

async function ask(runtime: AgentRuntime, text: string, sessionKey = 'pico:s1') {
  const events: AgentEvent[] = [];
  await runtime.submit({ channel: 'pico', chatId: 's1', sessionKey, text }, (e) => events.push(e));
  const end = events.find((e) => e.type === 'turn-end') as Extract<AgentEvent, { type: 'turn-end' }>;
  const streamed = events.flatMap((e) => (e.type === 'text-delta' ? [e.text] : [])).join('');
  return { events, end, streamed };
}

describe('agent runtime', () => {
  it('"turn on the kitchen light": the tool call reaches Home Assistant and the answer streams back', async () => {
    ha = await startFakeHomeAssistant();
    mcp = createMcpManager({ servers: configSchema.parse({ tools: { mcp: { servers: { homeassistant: { type: 'http', url: ha.url, headers: { Authorization: `Bearer ${ha.token}` } } } } } }).tools.mcp.servers, home: dir, workspace: dir });
    mcp.start();
    for (let i = 0; i < 100 && mcp.list().length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    llm = await startFakeLlm([
      { toolCalls: [{ id: 'call_1', name: 'mcp_homeassistant_hassturnon', arguments: '{"name":"kitchen light"}' }] },
      { text: ['The kitchen ', 'light is on.'] },
    ]);
    const { runtime, store } = setup();
    const { events, end, streamed } = await ask(runtime, 'turn on the kitchen light');
    expect(ha.calls).toEqual([{ tool: 'HassTurnOn', args: { name: 'kitchen light' } }]);
    expect(events.map((e) => e.type)).toEqual(['turn-start', 'model', 'tool-call', 'tool-result', 'text-delta', 'text-delta', 'turn-end']);
    expect(events.find((e) => e.type === 'tool-result')).toMatchObject({ name: 'mcp_homeassistant_hassturnon', content: 'turned on kitchen light', isError: false });
    expect(streamed).toBe('The kitchen light is on.');
    expect(end).toMatchObject({ reason: 'stop', text: 'The kitchen light is on.', model: 'mistral-small' });
    expect(end.fallback).toBeUndefined();
    // The model saw the HA tools and, on the second call, the tool result.
    expect(llm.requests[0]!.body.tools?.map((t) => t.function.name)).toContain('mcp_homeassistant_hassturnon');
    expect(llm.requests[1]!.body.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'call_1', content: 'turned on kitchen light' });
    // Everything is in the session, in order.
    const { messages } = await store.load('pico:s1');
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
  });

  it('continues the conversation with the history of the same session only', async () => {
    llm = await startFakeLlm([{ text: ['Nice to meet you, Ana.'] }, { text: ['Your name is Ana.'] }, { text: ['I do not know.'] }]);
    const { runtime } = setup();
    await ask(runtime, 'My name is Ana', 'mqtt:device1');
    await ask(runtime, 'What is my name?', 'mqtt:device1');
    await ask(runtime, 'What is my name?', 'mqtt:device2');
    const contents = (i: number) => llm.requests[i]!.body.messages.map((m) => m.content);
    expect(contents(1)).toEqual([expect.any(String), 'My name is Ana', 'Nice to meet you, Ana.', 'What is my name?']);
    expect(contents(2)).toEqual([expect.any(String), 'What is my name?']);
  });

  it('falls back when the primary answers 429 and keeps the primary cooled down', async () => {
    llm = await startFakeLlm([{ status: 429, headers: { 'retry-after': '30' } }]);
    backup = await startFakeLlm([{ text: ['from groq'] }, { text: ['groq again'] }]);
    const { runtime, store } = setup({}, backup.url);
    const first = await ask(runtime, 'hi');
    expect(first.end).toMatchObject({ reason: 'stop', text: 'from groq', model: 'groq', fallback: true });
    expect(first.events.find((e) => e.type === 'model')).toEqual({ type: 'model', name: 'groq', fallback: true });
    // Saved with the answer, so the chat still says so after a reload.
    expect((await store.load('pico:s1')).messages.at(-1)).toMatchObject({ role: 'assistant', model_name: 'groq', fallback: true });
    expect((await ask(runtime, 'hi again')).end).toMatchObject({ text: 'groq again' });
    expect(llm.requests).toHaveLength(1);
  });

  it('tells the user clearly when every model fails', async () => {
    llm = await startFakeLlm([{ status: 503 }]);
    backup = await startFakeLlm([{ status: 401 }]);
    const { runtime } = setup({}, backup.url);
    const { end } = await ask(runtime, 'hi');
    expect(end.reason).toBe('error');
    expect(end.text).toMatch(/^No model could answer\.\n- model mistral-small: HTTP 503.*\n- model groq: HTTP 401.*check the API key/);
  });

  it('stops at max_tool_iterations with an explanation', async () => {
    llm = await startFakeLlm(Array.from({ length: 5 }, (_, i) => ({ toolCalls: [{ id: `c${i}`, name: 'nope', arguments: '{}' }] })));
    const { runtime } = setup({ max_tool_iterations: 2 });
    const { end, events } = await ask(runtime, 'loop');
    expect(end).toMatchObject({ reason: 'max-iterations' });
    expect(end.text).toMatch(/max_tool_iterations/);
    expect(events.find((e) => e.type === 'tool-result')).toMatchObject({ content: 'tool "nope" not found', isError: true });
  });

  it('/stop cancels the running turn; the session stays valid', async () => {
    llm = await startFakeLlm([{ text: ['slow ', 'answer ', 'never ', 'finished'], delayMs: 300 }, { text: ['next'] }]);
    const { runtime, store } = setup();
    const running = ask(runtime, 'tell me a story');
    await new Promise((r) => setTimeout(r, 450));
    const stopped = await ask(runtime, '/stop');
    expect(stopped.end).toMatchObject({ reason: 'command', text: 'Stopped.' });
    expect((await running).end.reason).toBe('aborted');
    expect((await ask(runtime, 'hello')).end.text).toBe('next');
    const { messages } = await store.load('pico:s1');
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(messages[1]!.content).toMatch(/\[stopped\]$/);
  });

  it('runs one turn at a time per session, in arrival order', async () => {
    llm = await startFakeLlm([{ text: ['one'], delayMs: 100 }, { text: ['two'] }]);
    const { runtime } = setup();
    const [a, b] = await Promise.all([ask(runtime, 'first'), ask(runtime, 'second')]);
    expect([a.end.text, b.end.text]).toEqual(['one', 'two']);
    expect(llm.requests[1]!.body.messages.map((m) => m.content)).toContain('one');
  });

  it('answers slash commands without a model call', async () => {
    llm = await startFakeLlm([{ text: ['x'] }]);
    const { runtime } = setup();
    expect((await ask(runtime, '/help')).end.text).toMatch(/\/new — start a new conversation/);
    expect((await ask(runtime, '/model')).end.text).toBe('Model: mistral-small');
    expect((await ask(runtime, '/model nope')).end.text).toMatch(/Unknown model "nope". Available: mistral-small/);
    expect((await ask(runtime, '/models')).end.text).toMatch(/▸ mistral-small \(mistral\/mistral-small-latest\) — ready/);
    expect((await ask(runtime, '/status@picoclaw_bot')).end.text).toBe('all good');
    expect(llm.requests).toHaveLength(0);
    expect((await ask(runtime, '/unknowncommand please')).end.text).toBe('x');
  });

  it('/new archives the conversation', async () => {
    llm = await startFakeLlm([{ text: ['a'] }, { text: ['b'] }]);
    const { runtime } = setup();
    await ask(runtime, 'remember this');
    expect((await ask(runtime, '/new')).end.text).toBe('Started a new conversation.');
    await ask(runtime, 'fresh');
    expect(llm.requests[1]!.body.messages.map((m) => m.content)).not.toContain('remember this');
  });

  it('summarises a long conversation and sends the summary with the next turns', async () => {
    llm = await startFakeLlm([
      { text: ['a1'] }, { text: ['a2'] }, { text: ['a3'] },
      { text: ['The user is Ana and likes tea.'] }, // the summary request after the third turn
      { text: ['a4'] },
    ]);
    const { runtime, store } = setup({ summarize_message_threshold: 5 });
    await ask(runtime, 'I am Ana');
    await ask(runtime, 'I like tea');
    await ask(runtime, 'what do I like?');
    const summaryRequest = llm.requests[3]!.body;
    expect(summaryRequest.tools).toBeUndefined();
    expect(String(summaryRequest.messages[0]!.content)).toMatch(/CONVERSATION:\nuser: I am Ana\nassistant: a1$/);
    const snapshot = await store.load('pico:s1');
    expect(snapshot.summary).toBe('The user is Ana and likes tea.');
    // The latest turns stay verbatim (at least four messages).
    expect(snapshot.messages.map((m) => m.content)).toEqual(['I like tea', 'a2', 'what do I like?', 'a3']);
    await ask(runtime, 'and my name?');
    const next = llm.requests[4]!.body.messages;
    expect(String(next[0]!.content)).toMatch(/CONTEXT_SUMMARY: .*\n\nThe user is Ana and likes tea\.$/s);
    expect(next.slice(1).map((m) => m.content)).toEqual(['I like tea', 'a2', 'what do I like?', 'a3', 'and my name?']);
  });

  it('keeps the summary bounded however long the conversation, even when the model ignores max_tokens', async () => {
    // An echo model "summarises" by repeating its whole prompt, previous summary included.
    llm = await startFakeLlm([], { echo: true });
    const { runtime, store } = setup({ summarize_message_threshold: 5 });
    for (let i = 0; i < 12; i++) await ask(runtime, `message ${i} ${'x'.repeat(300)}`);
    const { summary } = await store.load('pico:s1');
    expect(summary!.length).toBeLessThanOrEqual(MAX_SUMMARY_CHARS);
    expect(summary).toMatch(/^…/);
    // The kept tail is the newest context.
    expect(summary).toContain('message 9');
  });

  it('on close, waits for running turns within the grace period', async () => {
    llm = await startFakeLlm([{ text: ['done'], delayMs: 100 }]);
    const { runtime } = setup();
    const turn = ask(runtime, 'hi');
    await new Promise((r) => setTimeout(r, 20));
    await runtime.close(5_000);
    expect((await turn).end.text).toBe('done');
    expect((await ask(runtime, 'late')).end).toMatchObject({ reason: 'error', text: expect.stringMatching(/shutting down/) });
  });
});
