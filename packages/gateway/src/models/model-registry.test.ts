import { configSchema, defaultModelProblem } from '@picoclaw/core';
import { startFakeLlm, type FakeLlm } from '@picoclaw/test-fakes';
import { afterEach, describe, expect, it } from 'vitest';
import { createHealthBook } from './fallback-chain.js';
import { createModelRegistry, NO_VISION } from './model-registry.js';

let fakes: FakeLlm[] = [];
afterEach(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  fakes = [];
});

const registry = (doc: Record<string, unknown>) => createModelRegistry(configSchema.parse(doc));

describe('model registry', () => {
  it('chains primary keys, entry fallbacks and model_fallbacks in order, without duplicates', () => {
    const r = registry({
      agents: { defaults: { model_name: 'mistral', model_fallbacks: ['openrouter', 'groq'] } },
      model_list: [
        { model_name: 'mistral', model: 'mistral/mistral-small-latest', api_keys: ['k1', 'k2'], fallbacks: ['groq'] },
        { model_name: 'openrouter', model: 'openrouter/nvidia/nemotron', api_keys: ['o1'] },
        { model_name: 'groq', model: 'groq/llama-3.3-70b-versatile', api_keys: ['g1'] },
      ],
    });
    expect(r.chain().candidates.map((m) => m.name)).toEqual(['mistral', 'mistral#key2', 'groq', 'openrouter']);
    expect(r.chain().candidates.map((m) => [m.provider, m.modelId])).toEqual([
      ['mistral', 'mistral-small-latest'], ['mistral', 'mistral-small-latest'], ['groq', 'llama-3.3-70b-versatile'], ['openrouter', 'nvidia/nemotron'],
    ]);
  });

  it('skips disabled models and explains an unusable primary', () => {
    const r = registry({
      agents: { defaults: { model_name: 'a', model_fallbacks: ['b'] } },
      model_list: [{ model_name: 'a', model: 'groq/x', enabled: false }, { model_name: 'b', model: 'groq/y' }],
    });
    expect(r.chain().candidates.map((m) => m.name)).toEqual(['b']);
    expect(r.list().find((m) => m.name === 'a')!.problem).toBe('disabled');
    expect(r.list().find((m) => m.name === 'b')!.problem).toMatch(/no API key/);
    expect(() => registry({ model_list: [] }).chain()).toThrow(/no model is configured/);
  });

  it('says why no model can answer, and what to set (the same sentence the chain throws)', () => {
    const problem = (doc: Record<string, unknown>) => defaultModelProblem(configSchema.parse(doc));
    expect(problem({})).toBe('no model is configured: add a model to model_list and set agents.defaults.model_name to its model_name');
    expect(problem({ model_list: [{ model_name: 'a', model: 'groq/x' }, { model_name: 'b', model: 'groq/y', enabled: false }] })).toBe('no model is configured: set agents.defaults.model_name to one of: a');
    const off = { agents: { defaults: { model_name: 'b' } }, model_list: [{ model_name: 'a', model: 'groq/x' }, { model_name: 'b', model: 'groq/y', enabled: false }] };
    expect(problem(off)).toBe('no usable model: agents.defaults.model_name is "b", whose model_list entry is disabled; set "enabled": true on its model_list entry or set agents.defaults.model_name to one of: a');
    expect(() => registry(off).chain()).toThrow(problem(off));
    expect(problem({ agents: { defaults: { model_name: 'gone' } }, model_list: [{ model_name: 'a', model: 'groq/x' }] })).toBe('no usable model: agents.defaults.model_name is "gone", which is not in model_list; add it to model_list (for a bare model id, set agents.defaults.provider, e.g. "openai") or set agents.defaults.model_name to one of: a');
    expect(problem({ agents: { defaults: { model_name: 'nowhere/model' } } })).toMatch(/"nowhere\/model", which is neither in model_list nor a vendor\/model of a known provider; add it to model_list$/);
    // Usable: a fallback, a raw vendor/model, a model without its key (its calls say so).
    expect(problem({ ...off, agents: { defaults: { model_name: 'b', model_fallbacks: ['a'] } } })).toBeUndefined();
    expect(problem({ agents: { defaults: { model_name: 'groq/llama-3.3-70b-versatile' } } })).toBeUndefined();
    expect(problem({ agents: { defaults: { model_name: 'a' } }, model_list: [{ model_name: 'a', model: 'groq/x' }] })).toBeUndefined();
  });

  it('really uses the second key when the first is rejected', async () => {
    const f = await startFakeLlm([{ status: 401 }, { text: ['ok with key 2'] }]);
    fakes.push(f);
    const r = registry({
      agents: { defaults: { model_name: 'm' } },
      model_list: [{ model_name: 'm', model: 'groq/x', api_base: f.url, api_keys: ['first-key', 'second-key'] }],
    });
    let text = '';
    for await (const e of r.chain().stream({ messages: [{ role: 'user', content: 'hi' }], tools: [], maxTokens: 10, temperature: 0 })) if (e.type === 'text-delta') text += e.text;
    expect(text).toBe('ok with key 2');
    expect(f.requests.map((q) => q.authorization)).toEqual(['Bearer first-key', 'Bearer second-key']);
    expect(r.status().find((s) => s.name === 'm')).toMatchObject({ state: 'cooling-down' });
  });

  it('a registry rebuilt by a reload reports the cooldowns of before, with no chain built yet', async () => {
    const f = await startFakeLlm([{ status: 401 }, { text: ['from b'] }]);
    fakes.push(f);
    const health = createHealthBook();
    const doc = (fallbacks: string[]) => configSchema.parse({
      agents: { defaults: { model_name: 'a', model_fallbacks: fallbacks } },
      model_list: [{ model_name: 'a', model: 'groq/x', api_base: f.url, api_keys: ['k'] }, { model_name: 'b', model: 'groq/y', api_base: f.url, api_keys: ['k'] }, { model_name: 'c', model: 'groq/z', api_base: f.url, api_keys: ['k'] }],
    });
    const before = createModelRegistry(doc(['b', 'c']), { health });
    for await (const e of before.chain().stream({ messages: [{ role: 'user', content: 'hi' }], tools: [], maxTokens: 10, temperature: 0 })) void e;
    const after = createModelRegistry(doc(['c', 'b']), { health });
    expect(after.status().find((s) => s.name === 'a')).toMatchObject({ state: 'cooling-down', failures: 1, provider: 'groq', model: 'x' });
    expect(after.status().find((s) => s.name === 'b')).toMatchObject({ state: 'ready', failures: 0 });
    expect(after.status().find((s) => s.name === 'b')?.lastSuccessAt).toBeDefined();
    // The same states as before the reload (c was in the chain, never asked: ready).
    expect(after.status().sort((x, y) => x.name.localeCompare(y.name))).toEqual(before.status().sort((x, y) => x.name.localeCompare(y.name)));
  });

  it("a PicoClaw provider not spoken here (azure) says why in its status, and the fallback answers", async () => {
    const f = await startFakeLlm([{ text: ['from the fallback'] }]);
    fakes.push(f);
    const r = registry({
      agents: { defaults: { model_name: 'az', model_fallbacks: ['g'] } },
      model_list: [{ model_name: 'az', provider: 'azure', model: 'gpt-4o', api_base: 'https://x.openai.azure.com', api_keys: ['k'] }, { model_name: 'g', model: 'groq/x', api_base: f.url, api_keys: ['k2'] }],
    });
    expect(r.list().find((m) => m.name === 'az')?.problem).toMatch(/^provider azure: Azure OpenAI's deployment and api-version URLs are not supported here/);
    let text = '';
    for await (const e of r.chain().stream({ messages: [{ role: 'user', content: 'hi' }], tools: [], maxTokens: 10, temperature: 0 })) if (e.type === 'text-delta') text += e.text;
    expect(text).toBe('from the fallback');
    expect(r.status().find((s) => s.name === 'az')?.lastError).toMatch(/not supported here/);
  });

  it('resolves a raw vendor/model reference with the key of a model of that vendor', () => {
    const r = registry({
      agents: { defaults: { model_name: 'groq-a', model_fallbacks: ['groq/llama-3.1-8b-instant'] } },
      model_list: [{ model_name: 'groq-a', model: 'groq/llama-3.3-70b-versatile', api_keys: ['g'] }],
    });
    expect(r.chain().candidates.map((m) => [m.name, m.modelId])).toEqual([['groq-a', 'llama-3.3-70b-versatile'], ['groq/llama-3.1-8b-instant', 'llama-3.1-8b-instant']]);
  });

  it('sends images only to models that can see them: image_model when set, else the chain\'s vision candidates, else says so', async () => {
    const list = [
      { model_name: 'small', model: 'mistral/mistral-small-latest', api_keys: ['m'] },
      { model_name: 'local', model: 'ollama/qwen3:8b' },
      { model_name: 'local-vl', model: 'ollama/my-own-build', vision: true },
      { model_name: 'groq', model: 'groq/llama-3.3-70b-versatile', api_keys: ['g'] },
    ];
    const names = (r: ReturnType<typeof registry>, primary?: string) => r.chain(primary, { images: true }).candidates.map((m) => m.name);
    const r = registry({ agents: { defaults: { model_name: 'local', model_fallbacks: ['groq', 'small', 'local-vl'] } }, model_list: list });
    expect(r.chain().candidates.map((m) => m.name)).toEqual(['local', 'groq', 'small', 'local-vl']);
    expect(names(r)).toEqual(['small', 'local-vl']);
    // image_model wins, with its own fallbacks (the user said these see images).
    const withImageModel = registry({ agents: { defaults: { model_name: 'local', image_model: 'groq', image_model_fallbacks: ['small'] } }, model_list: list });
    expect(names(withImageModel)).toEqual(['groq', 'small']);
    // "vision": false overrides the known name.
    const textOnly = registry({ agents: { defaults: { model_name: 'small', model_fallbacks: ['groq'] } }, model_list: list.map((e) => (e.model_name === 'small' ? { ...e, vision: false } : e)) });
    expect(() => textOnly.chain(undefined, { images: true })).toThrow(NO_VISION);
    expect(NO_VISION).toMatch(/^No vision model is configured.*agents\.defaults\.image_model/);
  });
});
