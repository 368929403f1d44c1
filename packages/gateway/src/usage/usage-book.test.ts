import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, PicoError } from '@picoclaw/core';
import { startFakeLlm, type FakeLlm } from '@picoclaw/test-fakes';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFallbackChain } from '../models/fallback-chain.js';
import { createModelRegistry } from '../models/model-registry.js';
import type { LanguageModel, ModelEvent, Usage } from '../models/types.js';
import { tokensTodayLine, usageApi } from './usage-api.js';
import { createUsageBook, lastDays, localDay, type UsageBookOptions } from './usage-book.js';

let workspace: string;
let fakes: FakeLlm[] = [];
beforeEach(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'usage-'));
});
afterEach(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  fakes = [];
  await rm(workspace, { recursive: true, force: true });
});

/** A clock the test moves: local times, so day boundaries are the gateway's own. */
const clock = (start: Date) => {
  let current = start;
  return { now: () => current, set: (d: Date) => void (current = d) };
};
const book = (now: () => Date, extra: Partial<UsageBookOptions> = {}) => createUsageBook({ workspace: () => workspace, now, flushMs: 60_000, ...extra });
const file = () => join(workspace, 'state', 'usage.json');

describe('usage book', () => {
  it('counts per model per local day: a call at 23:59:59 and one at 00:00:00 fall on two days', async () => {
    const c = clock(new Date(2026, 11, 5, 23, 59, 59));
    const b = book(c.now);
    b.record('fast', { promptTokens: 100, completionTokens: 20 });
    b.record('smart', { promptTokens: 7, completionTokens: 3 });
    c.set(new Date(2026, 11, 6, 0, 0, 0));
    b.record('fast', { promptTokens: 50, completionTokens: 5 });
    b.record('fast', undefined);
    const report = await b.report(7);
    expect(report.today).toBe('2026-12-06');
    expect(report.dates).toHaveLength(7);
    expect(report.dates.slice(-2)).toEqual(['2026-12-05', '2026-12-06']);
    expect(report.models.map((m) => m.name)).toEqual(['fast', 'smart']);
    expect(report.models[0]).toEqual({
      name: 'fast',
      total: { requests: 3, prompt_tokens: 150, completion_tokens: 25, unreported: 1 },
      days: [
        { day: '2026-12-05', requests: 1, prompt_tokens: 100, completion_tokens: 20, unreported: 0 },
        { day: '2026-12-06', requests: 2, prompt_tokens: 50, completion_tokens: 5, unreported: 1 },
      ],
    });
    // days=1 is today only
    expect((await b.report(1)).models.map((m) => [m.name, m.total.requests])).toEqual([['fast', 2]]);
    await b.close();
  });

  it('lists calendar days across a month end and a DST change once each', () => {
    expect(lastDays(new Date(2026, 2, 2, 0, 30), 4)).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
    const days = lastDays(new Date(2026, 10, 2, 12), 14); // spans the autumn DST change in most zones
    expect(new Set(days).size).toBe(14);
    expect(days.at(-1)).toBe(localDay(new Date(2026, 10, 2, 12)));
  });

  it('reads nothing until used, writes state/usage.json (0600) on close, and a new book adds to what was saved', async () => {
    const c = clock(new Date(2026, 11, 6, 10));
    const first = book(c.now);
    await expect(stat(file())).rejects.toMatchObject({ code: 'ENOENT' });
    first.record('fast', { promptTokens: 10, completionTokens: 2 });
    await expect(stat(file())).rejects.toMatchObject({ code: 'ENOENT' }); // no I/O per call
    await first.close();
    expect((await stat(file())).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file(), 'utf8'))).toEqual({ version: 1, days: { '2026-12-06': { fast: { requests: 1, prompt_tokens: 10, completion_tokens: 2, unreported: 0 } } } });

    // A restarted gateway counts before reading the file: both add up, nothing counted twice.
    const second = book(c.now);
    second.record('fast', { promptTokens: 5, completionTokens: 1 });
    expect((await second.report(30)).models[0]!.total).toEqual({ requests: 2, prompt_tokens: 15, completion_tokens: 3, unreported: 0 });
    await second.flush();
    await second.flush();
    expect((await book(c.now).report(30)).models[0]!.total).toEqual({ requests: 2, prompt_tokens: 15, completion_tokens: 3, unreported: 0 });
    await second.close();
  });

  it('writes at most once per flush interval while calls keep coming', async () => {
    const c = clock(new Date(2026, 11, 6, 10));
    const b = book(c.now, { flushMs: 40 });
    b.record('fast', { promptTokens: 1, completionTokens: 1 });
    b.record('fast', { promptTokens: 1, completionTokens: 1 });
    await expect(stat(file())).rejects.toMatchObject({ code: 'ENOENT' });
    await new Promise((r) => setTimeout(r, 150));
    expect(JSON.parse(await readFile(file(), 'utf8')).days['2026-12-06'].fast.requests).toBe(2);
    await b.close();
  });

  it('keeps the last 90 days: older ones are dropped when read and when written', async () => {
    await mkdir(join(workspace, 'state'), { recursive: true });
    const counts = { requests: 1, prompt_tokens: 1, completion_tokens: 1, unreported: 0 };
    await writeFile(file(), JSON.stringify({ version: 1, days: { '2026-09-07': { old: counts }, '2026-09-08': { kept: counts }, '2026-12-06': { kept: counts } } }));
    const c = clock(new Date(2026, 11, 6, 9)); // 90 days ending 2026-12-06 start 2026-09-08
    const b = book(c.now);
    const report = await b.report(90);
    expect(report.dates[0]).toBe('2026-09-08');
    expect(report.models.map((m) => [m.name, m.total.requests])).toEqual([['kept', 2]]);
    c.set(new Date(2026, 11, 7, 9)); // a day later 2026-09-08 goes too
    b.record('kept', undefined);
    await b.close();
    expect(Object.keys(JSON.parse(await readFile(file(), 'utf8')).days)).toEqual(['2026-12-06', '2026-12-07']);
  });

  it('survives a broken file (logs it, rewrites it) and ignores nonsense counts', async () => {
    await mkdir(join(workspace, 'state'), { recursive: true });
    await writeFile(file(), '{"days": {"2026-12-06": {"fast": {"requests": -5, "prompt_tokens": "lots", "completion_tokens": 3}}, "nope": {}}}');
    const logs: string[] = [];
    const c = clock(new Date(2026, 11, 6, 9));
    const b = book(c.now, { log: (m) => logs.push(m) });
    expect((await b.report(3)).models[0]!.total).toEqual({ requests: 0, prompt_tokens: 0, completion_tokens: 3, unreported: 0 });
    await writeFile(file(), 'not json');
    const broken = book(c.now, { log: (m) => logs.push(m) });
    expect((await broken.report(3)).models).toEqual([]);
    expect(logs.join('\n')).toMatch(/usage\.json is not valid usage JSON .* it will be rewritten/);
    await broken.close();
    expect(JSON.parse(await readFile(file(), 'utf8'))).toEqual({ version: 1, days: {} });
  });

  it('a close with nothing counted writes nothing', async () => {
    const b = book(() => new Date());
    await b.close();
    await expect(stat(file())).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('/usage API and the status line', () => {
  it('answers the report, refuses bad days and other methods', async () => {
    const b = book(() => new Date(2026, 11, 6, 9));
    b.record('fast', { promptTokens: 1200, completionTokens: 34 });
    const api = usageApi(b);
    expect(await api.handle('GET', '', new URLSearchParams('days=7'), undefined)).toMatchObject({ status: 200, body: { today: '2026-12-06', scope: 'gateway', models: [{ name: 'fast', total: { prompt_tokens: 1200 } }] } });
    expect(((await api.handle('GET', '', new URLSearchParams(), undefined)).body as { dates: string[] }).dates).toHaveLength(30);
    for (const days of ['0', '91', '2.5', 'x', '-1', '1e1']) expect((await api.handle('GET', '', new URLSearchParams({ days }), undefined)).status).toBe(400);
    expect((await api.handle('POST', '', new URLSearchParams(), {})).status).toBe(405);
    expect((await api.handle('GET', '/x', new URLSearchParams(), undefined)).status).toBe(404);
    expect(tokensTodayLine(await b.report(1))).toBe('tokens today: 1,234 (1,200 prompt + 34 completion) in 1 request to 1 model');
    b.record('smart', undefined);
    expect(tokensTodayLine(await b.report(1))).toBe('tokens today: 1,234 (1,200 prompt + 34 completion) in 2 requests to 2 models, 1 without usage reported');
    expect(tokensTodayLine({ today: '2026-12-06', models: [] })).toBe('tokens today: none (no model call yet)');
    await b.close();
  });
});

/** A model answering from a script, no HTTP: `fail` before output, `cut` after it. */
const scripted = (name: string, how: { usage?: Usage; fail?: number; cut?: boolean }): LanguageModel => ({
  name,
  provider: 'test',
  modelId: name,
  async *stream(): AsyncGenerator<ModelEvent> {
    if (how.fail) throw new PicoError('remote', `${name}: HTTP ${how.fail}`, { status: how.fail });
    yield { type: 'text-delta', text: 'hi' };
    if (how.cut) throw new PicoError('network', `${name}: connection reset`);
    yield { type: 'response-end', finishReason: 'stop', ...(how.usage ? { usage: how.usage } : {}) };
  },
});
const drain = async (chain: LanguageModel) => {
  for await (const event of chain.stream({ messages: [], tools: [], maxTokens: 1, temperature: 0 })) void event;
};

describe('usage through the fallback chain and the registry', () => {
  it('goes to the candidate that answered; a failure before output is not counted, a cut answer is counted without usage', async () => {
    const seen: [string, Usage | undefined][] = [];
    const onUsage = (model: string, usage: Usage | undefined) => void seen.push([model, usage]);
    await drain(createFallbackChain([scripted('primary', { fail: 503 }), scripted('backup', { usage: { promptTokens: 9, completionTokens: 4 } })], { onUsage }));
    expect(seen).toEqual([['backup', { promptTokens: 9, completionTokens: 4 }]]);
    seen.length = 0;
    await expect(drain(createFallbackChain([scripted('cut', { cut: true }), scripted('unused', {})], { onUsage }))).rejects.toThrow(/connection reset/);
    expect(seen).toEqual([['cut', undefined]]);
    seen.length = 0;
    // A caller that stops reading mid-answer (the stop button) still made a request.
    const chain = createFallbackChain([scripted('stopped', {})], { onUsage });
    for await (const event of chain.stream({ messages: [], tools: [], maxTokens: 1, temperature: 0 })) if (event.type === 'text-delta') break;
    expect(seen).toEqual([['stopped', undefined]]);
  });

  it("counts an extra API key's answer under its model_list name", async () => {
    const f = await startFakeLlm([{ status: 401 }, { text: ['ok'], usage: { prompt_tokens: 11, completion_tokens: 2 } }]);
    fakes.push(f);
    const seen: [string, Usage | undefined][] = [];
    const r = createModelRegistry(configSchema.parse({
      agents: { defaults: { model_name: 'm' } },
      model_list: [{ model_name: 'm', model: 'groq/x', api_base: f.url, api_keys: ['first-key', 'second-key'] }],
    }), { onUsage: (model, usage) => void seen.push([model, usage]) });
    await drain(r.chain());
    expect(seen).toEqual([['m', { promptTokens: 11, completionTokens: 2 }]]);
  });
});
