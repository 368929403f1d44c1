/**
 * web_search: PicoClaw's tool (`query`, `count` 1–10, `range` d|w|m|y) over the `tools.web`
 * backends implemented here (search-backends.ts). Offered only when `tools.web.enabled` is on and
 * a backend is ready, so a config without one keeps the prompt as it is.
 *
 * The backend is PicoClaw's: `tools.web.provider` when that one is ready, otherwise the first
 * ready of brave, searxng, tavily (its auto order, less the backends not available here), then
 * duckduckgo. `prefer_native` has nothing to act on: no model provider here searches by itself.
 * The backends' code loads at the first search.
 */
import type { Config } from '@picoclaw/core';
import * as z from 'zod';
import { defineTool } from '../tools/define-tool.js';
import type { Tool } from '../tools/types.js';
import type { BackendName, SearchHit } from './search-backends.js';

type WebConfig = Config['tools']['web'];

/** PicoClaw's auto order, restricted to the backends implemented here. */
export const autoOrder: readonly BackendName[] = ['brave', 'searxng', 'tavily', 'duckduckgo'];

const labels: Record<BackendName, string> = { brave: 'Brave Search', tavily: 'Tavily', searxng: 'SearXNG', duckduckgo: 'DuckDuckGo' };

/** The whole answer to the model stays under this many characters (10 results fit well). */
export const MAX_RESULT_CHARS = 8000;
const MAX_TITLE_CHARS = 200;
const MAX_SNIPPET_CHARS = 400;
const MAX_URL_CHARS = 1000;
const TIMEOUT_MS = 10_000;

const keysOf = (list: readonly string[]) => list.map((k) => k.trim()).filter(Boolean);

function httpUrl(value: string): boolean {
  try {
    return /^https?:$/.test(new URL(value.trim()).protocol);
  } catch {
    return false;
  }
}

/** What a backend lacks to be usable, or undefined when it is ready (enabled with its key or URL). */
function missing(web: WebConfig, name: BackendName): string | undefined {
  const b = web[name];
  if (!b.enabled) return `tools.web.${name}.enabled is false`;
  if ((name === 'brave' || name === 'tavily') && !keysOf(web[name].api_keys).length) return `tools.web.${name}.api_keys is empty`;
  if (name === 'searxng' && !web.searxng.base_url.trim()) return 'tools.web.searxng.base_url is empty';
  if (name === 'searxng' && !httpUrl(web.searxng.base_url)) return 'tools.web.searxng.base_url is not an http(s) URL';
  if (name === 'tavily' && web.tavily.base_url.trim() && !httpUrl(web.tavily.base_url)) return 'tools.web.tavily.base_url is not an http(s) URL';
  return undefined;
}

/** The backends ready to search, in auto order. */
export function readyBackends(web: WebConfig): BackendName[] {
  return autoOrder.filter((name) => !missing(web, name));
}

/** The backend a search uses: `tools.web.provider` when ready, else the first ready in auto order. */
export function pickBackend(web: WebConfig): BackendName | undefined {
  const ready = readyBackends(web);
  const wanted = web.provider.trim().toLowerCase() as BackendName;
  return ready.includes(wanted) ? wanted : ready[0];
}

export interface WebSearchOptions {
  /** Hears what in the config keeps web_search off or away from the backend it names. */
  warn?: (message: string) => void;
  /** Endpoints instead of the defaults (tests point them at fakes); the config's base_url wins for Tavily and SearXNG. */
  endpoints?: Partial<Record<BackendName, string>>;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export const webSearchDefinition = {
  name: 'web_search',
  description: 'Searches the web; returns titles, URLs and snippets.',
  input: {
    query: z.string().trim().min(1).max(400),
    count: z.number().int().min(1).max(10).optional().describe('results, 1-10'),
    range: z.enum(['d', 'w', 'm', 'y']).optional().describe('past day, week, month or year'),
  },
};

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** PicoClaw's text layout, each field clipped and the whole kept under MAX_RESULT_CHARS. */
export function formatHits(query: string, label: string, hits: SearchHit[]): string {
  if (!hits.length) return `No results for: ${clip(query, MAX_TITLE_CHARS)} (via ${label})`;
  let text = `Results for: ${clip(query, MAX_TITLE_CHARS)} (via ${label})`;
  let shown = 0;
  for (const hit of hits) {
    if (hit.url.length > MAX_URL_CHARS) continue;
    const entry = `\n${shown + 1}. ${clip(hit.title, MAX_TITLE_CHARS)}\n   ${hit.url}${hit.snippet ? `\n   ${clip(hit.snippet, MAX_SNIPPET_CHARS)}` : ''}`;
    if (text.length + entry.length > MAX_RESULT_CHARS - 40) {
      text += `\n[${hits.length - shown} more results left out: size limit]`;
      break;
    }
    text += entry;
    shown++;
  }
  return text;
}

/** Warnings for a config that names a backend but will not search with it. */
function explain(web: WebConfig, warn: (message: string) => void): void {
  const ready = readyBackends(web);
  const configured = autoOrder.filter((name) => web[name].enabled);
  if (!web.enabled) {
    if (ready.length) warn(`tools.web.${ready[0]} is set up but tools.web.enabled is false, so web_search is not offered; set tools.web.enabled to true to search the web`);
    return;
  }
  for (const name of configured) {
    const lack = missing(web, name);
    if (lack) warn(`web_search cannot use ${labels[name]}: ${lack}`);
  }
  const wanted = web.provider.trim().toLowerCase();
  if (wanted && wanted !== 'auto' && !ready.includes(wanted as BackendName)) {
    const why = (autoOrder as readonly string[]).includes(wanted) ? `it is not set up (${missing(web, wanted as BackendName)})` : `it is not available here (backends: ${autoOrder.join(', ')})`;
    warn(`tools.web.provider is "${web.provider}" but ${why}; ${ready.length ? `searching with ${ready[0]} instead` : 'web_search is not offered'}`);
  }
}

/** The web_search tool for this config, or undefined when it is off or no backend is ready. */
export function createWebSearch(web: WebConfig, options: WebSearchOptions = {}): Tool | undefined {
  explain(web, options.warn ?? (() => {}));
  const name = web.enabled ? pickBackend(web) : undefined;
  if (!name) return undefined;
  const label = labels[name];
  const keys = name === 'brave' || name === 'tavily' ? keysOf(web[name].api_keys) : [];
  const configured = name === 'tavily' ? web.tavily.base_url.trim() : name === 'searxng' ? web.searxng.base_url.trim() : '';
  // PicoClaw's cap: max_results up to 10 is both the default count and the most a call gets.
  const maxResults = Math.min((web[name] as { max_results: number }).max_results, 10);
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  let turn = 0;
  let backends: Promise<typeof import('./search-backends.js')> | undefined;

  return defineTool({
    ...webSearchDefinition,
    async execute({ query, count, range }, ctx) {
      const { searchBackends, defaultEndpoints, SearchError } = await (backends ??= import('./search-backends.js'));
      // Round robin over the keys, as PicoClaw does: each search starts at the next one.
      const start = turn++ % Math.max(keys.length, 1);
      const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]);
      try {
        const hits = await searchBackends[name]({
          query,
          count: Math.min(count ?? maxResults, maxResults),
          range,
          endpoint: configured || options.endpoints?.[name] || defaultEndpoints[name],
          keys: [...keys.slice(start), ...keys.slice(0, start)],
          signal,
          fetch: options.fetch ?? fetch,
        });
        return formatHits(query, label, hits.slice(0, Math.min(count ?? maxResults, maxResults)));
      } catch (error) {
        if (error instanceof SearchError) return { content: `search failed: ${error.message}`, isError: true };
        if (ctx.signal.aborted) throw error;
        if (signal.aborted) return { content: `search failed: no answer from ${label} within ${timeoutMs / 1000} s; try again, or set tools.web.provider to another backend`, isError: true };
        return { content: `search failed: ${label}: ${error instanceof Error ? error.message : String(error)}`, isError: true };
      }
    },
  });
}
