/**
 * web_search as the agent sees it: offered only with a ready backend, PicoClaw's backend choice
 * (provider, then the auto order), max_results and count, the size cap of the answer, and what
 * the log is told about a config that will not search.
 */
import { configSchema } from '@picoclaw/core';
import { startFakeSearch, type FakeSearch } from '@picoclaw/test-fakes';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ToolContext } from '../tools/types.js';
import { createWebSearch, formatHits, MAX_RESULT_CHARS, pickBackend, readyBackends } from './web-search.js';

const web = (w: Record<string, unknown>) => configSchema.parse({ tools: { web: w } }).tools.web;
const ctx = (): ToolContext => ({ signal: new AbortController().signal, sessionKey: 's', channel: 'pico', chatId: 'c', workspace: '/tmp' });

let fake: FakeSearch;
beforeAll(async () => {
  fake = await startFakeSearch();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.set({ results: [{ title: 'Home Assistant', url: 'https://www.home-assistant.io/', snippet: 'Open source home automation.' }] });
});

const all = () => ({
  enabled: true,
  brave: { enabled: true, api_keys: [fake.keys.brave] },
  tavily: { enabled: true, api_keys: [fake.keys.tavily], base_url: fake.urls.tavily },
  searxng: { enabled: true, base_url: fake.urls.searxng },
  duckduckgo: { enabled: true },
});

describe('which backend', () => {
  it('none by default: the tool is not offered (the default prompt does not grow)', () => {
    expect(readyBackends(web({}))).toEqual([]);
    expect(createWebSearch(web({}))).toBeUndefined();
    expect(createWebSearch(web({ enabled: true }))).toBeUndefined();
  });

  it('ready means enabled with a key (brave, tavily), a base_url (searxng), or just enabled (duckduckgo)', () => {
    expect(readyBackends(web({ brave: { enabled: true }, tavily: { enabled: true }, searxng: { enabled: true }, duckduckgo: { enabled: false } }))).toEqual([]);
    expect(readyBackends(web({ brave: { api_keys: ['k'] }, searxng: { base_url: 'http://s' } }))).toEqual([]);
    expect(readyBackends(web({ brave: { enabled: true, api_keys: ['  '] }, searxng: { enabled: true, base_url: 'searxng.lan' } }))).toEqual([]);
    expect(readyBackends(web({ duckduckgo: { enabled: true } }))).toEqual(['duckduckgo']);
  });

  it("auto follows PicoClaw's order: brave, searxng, tavily, then duckduckgo", () => {
    const w = all();
    expect(readyBackends(web(w))).toEqual(['brave', 'searxng', 'tavily', 'duckduckgo']);
    expect(pickBackend(web(w))).toBe('brave');
    expect(pickBackend(web({ ...w, brave: { enabled: false } }))).toBe('searxng');
    expect(pickBackend(web({ ...w, brave: { enabled: false }, searxng: { enabled: false } }))).toBe('tavily');
    expect(pickBackend(web({ duckduckgo: { enabled: true }, tavily: { enabled: true, api_keys: ['k'] } }))).toBe('tavily');
  });

  it('tools.web.provider wins when ready; when not ready or not available here, auto decides and the log says why', () => {
    expect(pickBackend(web({ ...all(), provider: 'duckduckgo' }))).toBe('duckduckgo');
    expect(pickBackend(web({ ...all(), provider: ' Tavily ' }))).toBe('tavily');
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    createWebSearch(web({ enabled: true, provider: 'brave', duckduckgo: { enabled: true } }), { warn });
    createWebSearch(web({ enabled: true, provider: 'perplexity', searxng: { enabled: true, base_url: 'http://searxng.lan' } }), { warn });
    createWebSearch(web({ enabled: true, brave: { enabled: true } }), { warn });
    createWebSearch(web({ enabled: false, duckduckgo: { enabled: true } }), { warn });
    expect(warnings).toEqual([
      'tools.web.provider is "brave" but it is not set up (tools.web.brave.enabled is false); searching with duckduckgo instead',
      'tools.web.provider is "perplexity" but it is not available here (backends: brave, searxng, tavily, duckduckgo); searching with searxng instead',
      'web_search cannot use Brave Search: tools.web.brave.api_keys is empty',
      'tools.web.duckduckgo is set up but tools.web.enabled is false, so web_search is not offered; set tools.web.enabled to true to search the web',
    ]);
  });

  it('the tool searches with the chosen backend', async () => {
    const tool = createWebSearch(web({ ...all(), provider: 'searxng' }), { endpoints: fake.urls })!;
    const result = await tool.execute({ query: 'home assistant' }, ctx());
    expect(result).toEqual({ content: 'Results for: home assistant (via SearXNG)\n1. Home Assistant\n   https://www.home-assistant.io/\n   Open source home automation.' });
    expect(fake.requests.map((r) => r.backend)).toEqual(['searxng']);
  });
});

describe('the tool', () => {
  const many = Array.from({ length: 20 }, (_, i) => ({ title: `Result ${i + 1}`, url: `https://example.com/${i + 1}`, snippet: `Snippet ${i + 1}` }));

  it('max_results is the default count and the most a call gets (at most 10); count asks for fewer', async () => {
    fake.set({ results: many });
    const tool = createWebSearch(web({ enabled: true, brave: { enabled: true, api_keys: [fake.keys.brave], max_results: 3 } }), { endpoints: fake.urls })!;
    const lines = async (args: Record<string, unknown>) => (await tool.execute({ query: 'q', ...args }, ctx())).content.split('\n').filter((l) => /^\d+\. /.test(l)).length;
    expect(await lines({})).toBe(3);
    expect(await lines({ count: 2 })).toBe(2);
    expect(await lines({ count: 10 })).toBe(3);
    expect(fake.requests.map((r) => r.query.count)).toEqual(['3', '2', '3']);
    const ddg = createWebSearch(web({ enabled: true, duckduckgo: { enabled: true, max_results: 50 } }), { endpoints: fake.urls })!;
    expect((await ddg.execute({ query: 'q' }, ctx())).content.split('\n').filter((l) => /^\d+\. /.test(l))).toHaveLength(10);
  });

  it('arguments are checked: no empty query, count 1-10, range d|w|m|y, nothing else (no URL to aim it elsewhere)', async () => {
    const tool = createWebSearch(web({ enabled: true, duckduckgo: { enabled: true } }), { endpoints: fake.urls })!;
    for (const args of [{ query: '  ' }, { query: 'q', count: 11 }, { query: 'q', range: 'h' }, { query: 'q', base_url: 'http://127.0.0.1:1/' }, {}]) {
      expect(await tool.execute(args, ctx())).toMatchObject({ isError: true, content: expect.stringMatching(/^invalid arguments for tool "web_search"/) });
    }
    expect(fake.requests).toEqual([]);
    expect(tool.parameters).toMatchObject({ required: ['query'], properties: { count: { minimum: 1, maximum: 10 }, range: { enum: ['d', 'w', 'm', 'y'] } } });
  });

  it('the whole answer is capped: long titles and snippets clipped, results past the cap left out and said so', async () => {
    fake.set({ results: many.map((r) => ({ ...r, title: `${r.title} ${'t'.repeat(1000)}`, snippet: 's'.repeat(5000) })) });
    const tool = createWebSearch(web({ enabled: true, searxng: { enabled: true, base_url: fake.urls.searxng, max_results: 10 } }))!;
    const { content } = await tool.execute({ query: 'q'.repeat(400) }, ctx());
    expect(content.length).toBeLessThanOrEqual(MAX_RESULT_CHARS);
    expect(content.split('\n').filter((l) => /^\d+\. /.test(l))).toHaveLength(10);
    expect(Math.max(...content.split('\n').map((l) => l.length))).toBeLessThanOrEqual(410);
    const huge = formatHits('q', 'X', Array.from({ length: 40 }, (_, i) => ({ title: 't', url: `https://e.com/${'p'.repeat(900)}${i}`, snippet: 's'.repeat(400) })));
    expect(huge.length).toBeLessThanOrEqual(MAX_RESULT_CHARS);
    expect(huge).toMatch(/\n\[\d+ more results left out: size limit\]$/);
  });

  it('no results, a failure and a timeout are answers for the model, never a key', async () => {
    fake.set({ results: [] });
    const tool = createWebSearch(web({ enabled: true, tavily: { enabled: true, api_keys: ['tvly-not-the-key'], base_url: fake.urls.tavily } }))!;
    const empty = createWebSearch(web({ enabled: true, searxng: { enabled: true, base_url: fake.urls.searxng } }))!;
    expect(await empty.execute({ query: 'nothing' }, ctx())).toEqual({ content: 'No results for: nothing (via SearXNG)' });
    expect(await tool.execute({ query: 'q' }, ctx())).toEqual({ content: 'search failed: Tavily refused the API key (HTTP 401); check tools.web.tavily.api_keys', isError: true });
    const slow = createWebSearch(web({ enabled: true, searxng: { enabled: true, base_url: 'http://10.255.255.1:9' } }), { timeoutMs: 200 })!;
    const result = await slow.execute({ query: 'q' }, ctx());
    expect(result).toMatchObject({ isError: true });
    expect(result.content).toMatch(/^search failed: (no answer from SearXNG within 0\.2 s|cannot reach SearXNG at http:\/\/10\.255\.255\.1:9\/search)/);
  });

  it('each search starts with the next key (PicoClaw rotates them), and a refused key falls through to the next', async () => {
    const tool = createWebSearch(web({ enabled: true, brave: { enabled: true, api_keys: ['BSA-revoked', fake.keys.brave] } }), { endpoints: fake.urls })!;
    expect((await tool.execute({ query: 'a' }, ctx())).isError).toBeUndefined();
    expect((await tool.execute({ query: 'b' }, ctx())).isError).toBeUndefined();
    expect(fake.requests.map((r) => r.headers['x-subscription-token'])).toEqual(['BSA-revoked', fake.keys.brave, fake.keys.brave]);
  });
});
