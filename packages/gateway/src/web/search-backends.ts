/**
 * The web-search backends: Brave Search API, Tavily, SearXNG (self-hosted, JSON format) and
 * DuckDuckGo's HTML endpoint. Each is one function that sends one request and returns hits
 * (title, URL, snippet as plain text); web-search.ts picks the backend and formats the hits.
 *
 * A backend's request goes to the URL the config names (a SearXNG on the LAN is the user's own
 * choice, so the web_fetch address rules do not apply to it), never to a URL the model gave: the
 * model only supplies the query, sent as a query-string value or a JSON string. Redirects are not
 * followed, so an API key in a header never travels to a second host. Errors are sentences that
 * name the setting to change and never carry a key or a response body that might echo one.
 */

export type BackendName = 'brave' | 'tavily' | 'searxng' | 'duckduckgo';

export interface SearchHit {
  title: string;
  url: string;
  snippet: string;
}

export interface BackendCall {
  query: string;
  /** How many hits are wanted (1–10). */
  count: number;
  range?: 'd' | 'w' | 'm' | 'y';
  /** The endpoint (each backend's default unless the config or a test names another). */
  endpoint: string;
  /** API keys, tried in turn on an auth, rate-limit or server failure (Brave, Tavily). */
  keys: readonly string[];
  signal: AbortSignal;
  fetch: typeof fetch;
}

/** A failure the model and the user may read: no key, no response body. */
export class SearchError extends Error {
  /** Worth trying the next key (auth refused, rate-limited, server failure, network). */
  constructor(message: string, readonly retryable = false) {
    super(message);
  }
}

export const defaultEndpoints: Record<BackendName, string> = {
  brave: 'https://api.search.brave.com/res/v1/web/search',
  tavily: 'https://api.tavily.com/search',
  searxng: '',
  duckduckgo: 'https://html.duckduckgo.com/html/',
};

/** Larger answers are cut off: a search answer is a few kilobytes, a LAN service may be anything. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

/** PicoClaw's desktop browser User-Agent: DuckDuckGo's HTML endpoint answers a bot check to most others. */
const BROWSER_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', hellip: '…', mdash: '—', ndash: '–', laquo: '«', raquo: '»', rsquo: '’', lsquo: '‘', ldquo: '“', rdquo: '”' };

/** Tags out, entities decoded, control characters and runs of white space collapsed. */
export function plainText(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
      if (name[0] !== '#') return entities[name.toLowerCase()] ?? whole;
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
    })
    // Control characters and bidi overrides would let a snippet break or disguise the layout.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** http(s) URLs only (a result is something web_fetch could read), without surrounding space. */
function webUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value.trim());
    return /^https?:$/.test(url.protocol) ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function hits(items: unknown, pick: (item: Record<string, unknown>) => { title: unknown; url: unknown; snippet: unknown }): SearchHit[] {
  if (!Array.isArray(items)) return [];
  const found: SearchHit[] = [];
  for (const item of items) {
    if (typeof item !== 'object' || item === null) continue;
    const raw = pick(item as Record<string, unknown>);
    const url = webUrl(raw.url);
    if (!url || found.some((h) => h.url === url)) continue;
    found.push({ title: plainText(String(raw.title ?? '')) || url, url, snippet: plainText(String(raw.snippet ?? '')) });
  }
  return found;
}

/** Where an endpoint points, for messages: no user:password, no query. */
export function shownEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    return `${url.origin}${url.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

interface Answer {
  status: number;
  type: string;
  text: string;
  location: string;
}

/** One request: no redirects followed, the body read up to MAX_BODY_BYTES; network failures as SearchError. */
async function send(call: BackendCall, label: string, setting: string, url: URL, init: RequestInit): Promise<Answer> {
  // fetch refuses URLs with credentials: a SearXNG behind basic auth is written http://user:pass@host.
  const headers = new Headers(init.headers);
  if (url.username || url.password) {
    headers.set('authorization', `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`);
    url.username = url.password = '';
  }
  let response: Response;
  try {
    response = await call.fetch(url, { ...init, headers, redirect: 'manual', signal: call.signal });
  } catch (error) {
    if (call.signal.aborted) throw error;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new SearchError(`cannot reach ${label} at ${shownEndpoint(url.href)} (${cause?.code ?? cause?.message ?? (error as Error).message}); check ${setting} and the network`, true);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (response.body) {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        await response.body.cancel().catch(() => {});
        throw new SearchError(`${label} answered more than ${MAX_BODY_BYTES / 1024 / 1024} MB; is ${setting} the search API?`);
      }
      chunks.push(chunk);
    }
  }
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: Buffer.concat(chunks).toString('utf8'), location: response.headers.get('location') ?? '' };
}

/** The sentence for a non-200 answer of a keyed API (Brave, Tavily). */
function statusError(label: string, keysSetting: string, endpointHint: string, answer: Answer): SearchError {
  const { status } = answer;
  if (status >= 300 && status < 400) {
    return new SearchError(`${label} answered with a redirect (HTTP ${status}${answer.location ? ` to ${shownEndpoint(answer.location)}` : ''}), which is not followed so that the API key stays with ${label}; ${endpointHint}`);
  }
  if (status === 401 || status === 403) return new SearchError(`${label} refused the API key (HTTP ${status}); check ${keysSetting}`, true);
  if (status === 429) return new SearchError(`${label} is rate-limiting this key (HTTP 429); wait a moment, add another key to ${keysSetting} or raise the plan's limit`, true);
  if (status === 432 || status === 433) return new SearchError(`${label}'s plan limit is reached (HTTP ${status}); raise the plan or add another key to ${keysSetting}`, true);
  if (status >= 500) return new SearchError(`${label} failed (HTTP ${status}); try again later, or set tools.web.provider to another backend`, true);
  return new SearchError(`${label} refused the request (HTTP ${status})`);
}

function parseJson(label: string, answer: Answer, hint: string): Record<string, unknown> {
  try {
    const value = JSON.parse(answer.text) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // below
  }
  throw new SearchError(`${label} did not answer JSON${answer.type ? ` (${answer.type.split(';')[0]})` : ''}; ${hint}`);
}

/** Tries each key in turn (starting where the caller says) while the failure is worth another key. */
async function withKeys<T>(call: BackendCall, label: string, keysSetting: string, attempt: (key: string) => Promise<T>): Promise<T> {
  if (!call.keys.length) throw new SearchError(`no API key for ${label}: set ${keysSetting}`);
  let last: SearchError | undefined;
  for (const key of call.keys) {
    try {
      return await attempt(key);
    } catch (error) {
      if (!(error instanceof SearchError) || !error.retryable) throw error;
      last = error;
    }
  }
  throw new SearchError(call.keys.length > 1 ? `${last!.message} (all ${call.keys.length} keys tried)` : last!.message);
}

const braveFreshness = { d: 'pd', w: 'pw', m: 'pm', y: 'py' } as const;
const timeRange = { d: 'day', w: 'week', m: 'month', y: 'year' } as const;

export const searchBackends: Record<BackendName, (call: BackendCall) => Promise<SearchHit[]>> = {
  /** Brave Search API: GET with the key in X-Subscription-Token. */
  brave: (call) =>
    withKeys(call, 'Brave Search', 'tools.web.brave.api_keys', async (key) => {
      const url = new URL(call.endpoint);
      url.searchParams.set('q', call.query);
      url.searchParams.set('count', String(call.count));
      if (call.range) url.searchParams.set('freshness', braveFreshness[call.range]);
      const answer = await send(call, 'Brave Search', 'tools.web.brave', url, { headers: { accept: 'application/json', 'x-subscription-token': key } });
      if (answer.status !== 200) throw statusError('Brave Search', 'tools.web.brave.api_keys', 'Brave Search has no base URL setting here', answer);
      const body = parseJson('Brave Search', answer, 'try again later');
      const web = body.web as { results?: unknown } | undefined;
      return hits(web?.results, (r) => ({ title: r.title, url: r.url, snippet: r.description }));
    }),

  /** Tavily: POST JSON with the key as a Bearer token. */
  tavily: (call) =>
    withKeys(call, 'Tavily', 'tools.web.tavily.api_keys', async (key) => {
      const body: Record<string, unknown> = { query: call.query, max_results: call.count, search_depth: 'basic', include_answer: false, include_images: false, include_raw_content: false };
      if (call.range) body.time_range = timeRange[call.range];
      const answer = await send(call, 'Tavily', 'tools.web.tavily.base_url', new URL(call.endpoint), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify(body),
      });
      if (answer.status !== 200) throw statusError('Tavily', 'tools.web.tavily.api_keys', 'set tools.web.tavily.base_url to the final address (or leave it empty for https://api.tavily.com/search)', answer);
      const parsed = parseJson('Tavily', answer, 'check tools.web.tavily.base_url (empty means https://api.tavily.com/search)');
      return hits(parsed.results, (r) => ({ title: r.title, url: r.url, snippet: r.content }));
    }),

  /** SearXNG: GET <base_url>/search?format=json, which the instance must allow (search.formats). */
  searxng: async (call) => {
    const base = call.endpoint.replace(/\/+$/, '');
    let url: URL;
    try {
      url = new URL(`${base}/search`);
    } catch {
      throw new SearchError('tools.web.searxng.base_url is not a URL; set it to your instance, e.g. http://searxng.lan:8080');
    }
    url.searchParams.set('q', call.query);
    url.searchParams.set('format', 'json');
    url.searchParams.set('categories', 'general');
    if (call.range) url.searchParams.set('time_range', timeRange[call.range]);
    const answer = await send(call, 'SearXNG', 'tools.web.searxng.base_url', url, { headers: { accept: 'application/json' } });
    const where = shownEndpoint(base);
    const jsonOff = `SearXNG at ${where} does not serve JSON (HTTP ${answer.status}): enable the JSON format on the instance (settings.yml: search: formats: [html, json], then restart it)`;
    if (answer.status === 403 || (answer.status === 200 && /html/i.test(answer.type))) throw new SearchError(jsonOff);
    if (answer.status >= 300 && answer.status < 400) throw new SearchError(`SearXNG at ${where} answered with a redirect (HTTP ${answer.status}${answer.location ? ` to ${shownEndpoint(answer.location)}` : ''}); set tools.web.searxng.base_url to the final address`);
    if (answer.status === 429) throw new SearchError(`SearXNG at ${where} refused the search as too frequent (HTTP 429, its limiter); on the instance, turn server.limiter off or add this machine's address to botdetection's pass_ip list`);
    if (answer.status === 404) throw new SearchError(`SearXNG at ${where} has no /search (HTTP 404); check tools.web.searxng.base_url (the instance's root, e.g. http://searxng.lan:8080)`);
    if (answer.status >= 500) throw new SearchError(`SearXNG at ${where} failed (HTTP ${answer.status}); check the instance's logs`);
    if (answer.status !== 200) throw new SearchError(`SearXNG at ${where} refused the search (HTTP ${answer.status}); check tools.web.searxng.base_url`);
    const parsed = parseJson('SearXNG', answer, `enable the JSON format on the instance (settings.yml: search: formats: [html, json]) and check tools.web.searxng.base_url`);
    return hits(parsed.results, (r) => ({ title: r.title, url: r.url, snippet: r.content }));
  },

  /** DuckDuckGo: the HTML results page, parsed (no API, no key). */
  duckduckgo: async (call) => {
    const url = new URL(call.endpoint);
    url.searchParams.set('q', call.query);
    if (call.range) url.searchParams.set('df', call.range);
    const answer = await send(call, 'DuckDuckGo', 'tools.web.duckduckgo', url, { headers: { 'user-agent': BROWSER_UA, accept: 'text/html' } });
    if (answer.status === 202 || /anomaly-modal|challenge-form/.test(answer.text)) {
      throw new SearchError('DuckDuckGo asked for a bot check instead of answering (it does that to servers now and then); try again later, or set up another backend (a SearXNG of your own needs no key)');
    }
    if (answer.status === 429 || answer.status === 403) throw new SearchError(`DuckDuckGo is refusing searches from this address (HTTP ${answer.status}); try again later, or set up another backend (SearXNG, Brave, Tavily)`);
    if (answer.status !== 200) throw new SearchError(`DuckDuckGo failed (HTTP ${answer.status}); try again later, or set tools.web.provider to another backend`);
    return parseDuckDuckGoHtml(answer.text);
  },
};

/**
 * The results of DuckDuckGo's HTML page: each `result` block's `result__a` link (title, URL
 * through `//duckduckgo.com/l/?uddg=<url>`) and `result__snippet`. Ads (`result--ad`, links to
 * duckduckgo.com/y.js) are skipped. Attribute order and quoting may change; the class names have
 * stayed the same for years, so the parser keys on them and nothing else.
 */
export function parseDuckDuckGoHtml(html: string): SearchHit[] {
  const blocks = html.split(/<div[^>]+class="[^"]*\bresult\b(?![-_])/i).slice(1);
  return hits(
    blocks.filter((block) => !/^[^>]*result--ad/i.test(block)).map((block) => ({ block })),
    (r) => {
      const block = String(r.block);
      const link = /<a\b[^>]*class="[^"]*\bresult__a\b[^"]*"[^>]*>([\s\S]*?)<\/a>/i.exec(block);
      const href = link ? /\bhref="([^"]*)"/i.exec(link[0])?.[1] : undefined;
      const snippet = /<(?:a|div|td)\b[^>]*class="[^"]*\bresult__snippet\b[^"]*"[^>]*>([\s\S]*?)<\/(?:a|div|td)>/i.exec(block)?.[1];
      return { title: link?.[1] ?? '', url: href ? duckDuckGoTarget(plainText(href)) : undefined, snippet: snippet ?? '' };
    },
  );
}

/** The target of a DuckDuckGo result link: `//duckduckgo.com/l/?uddg=<encoded>&rut=…` or a direct URL. */
function duckDuckGoTarget(href: string): string | undefined {
  try {
    const url = new URL(href, 'https://duckduckgo.com/');
    if (url.hostname.endsWith('duckduckgo.com') && url.pathname === '/l/') return url.searchParams.get('uddg') ?? undefined;
    if (url.hostname.endsWith('duckduckgo.com') && url.pathname === '/y.js') return undefined;
    return url.href;
  } catch {
    return undefined;
  }
}
