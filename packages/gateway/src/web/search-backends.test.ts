/**
 * Each search backend against a fake speaking its real API (test/fakes/src/fake-search.ts): the
 * request it sends (method, path, parameters, auth header), what it makes of the answer, and the
 * sentence for each failure, which never holds a key.
 */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakeSearch, type FakeSearch } from '@picoclaw/test-fakes';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseDuckDuckGoHtml, plainText, searchBackends, type BackendCall, type BackendName, type SearchError } from './search-backends.js';

let fake: FakeSearch;
beforeAll(async () => {
  fake = await startFakeSearch();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.set({ searxngJson: true, ddgBotCheck: false });
});

/** A plain HTTP server on a free loopback port. */
async function serve(handler: RequestListener) {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

const call = (name: BackendName, over: Partial<BackendCall> = {}): Promise<unknown> =>
  searchBackends[name]({ query: 'home assistant', count: 5, endpoint: fake.urls[name], keys: name === 'brave' ? [fake.keys.brave] : name === 'tavily' ? [fake.keys.tavily] : [], signal: AbortSignal.timeout(5000), fetch, ...over });

const failure = (promise: Promise<unknown>) => promise.then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as SearchError);

const expected = [
  { title: 'Home Assistant', url: 'https://www.home-assistant.io/', snippet: 'Open source home automation that puts local control and privacy first.' },
  { title: 'Zigbee2MQTT', url: 'https://www.zigbee2mqtt.io/', snippet: 'Zigbee to MQTT bridge, get rid of your proprietary Zigbee bridges.' },
  { title: 'ESPHome', url: 'https://esphome.io/', snippet: 'ESPHome is a system to control your microcontrollers by simple yet powerful configuration files.' },
];

describe('every backend', () => {
  const sentences: Record<BackendName, Record<429 | 503, RegExp>> = {
    brave: { 429: /^Brave Search is rate-limiting this key \(HTTP 429\); wait a moment, add another key to tools\.web\.brave\.api_keys/, 503: /^Brave Search failed \(HTTP 503\); try again later, or set tools\.web\.provider to another backend$/ },
    tavily: { 429: /^Tavily is rate-limiting this key \(HTTP 429\); wait a moment, add another key to tools\.web\.tavily\.api_keys/, 503: /^Tavily failed \(HTTP 503\); try again later, or set tools\.web\.provider to another backend$/ },
    searxng: { 429: /^SearXNG at http:\/\/127\.0\.0\.1:\d+\/searxng refused the search as too frequent \(HTTP 429, its limiter\)/, 503: /^SearXNG at http:\/\/127\.0\.0\.1:\d+\/searxng failed \(HTTP 503\); check the instance's logs$/ },
    duckduckgo: { 429: /^DuckDuckGo is refusing searches from this address \(HTTP 429\); try again later, or set up another backend/, 503: /^DuckDuckGo failed \(HTTP 503\); try again later, or set tools\.web\.provider to another backend$/ },
  };
  for (const name of ['brave', 'tavily', 'searxng', 'duckduckgo'] as const) {
    it(`${name}: 429 and 503 are sentences saying what to change, without the answer's body`, async () => {
      for (const status of [429, 503] as const) {
        fake.failNext(name, { status, body: { error: `secret-looking body ${fake.keys.brave} ${fake.keys.tavily}` } });
        const error = await failure(call(name));
        expect(error.message).toMatch(sentences[name][status]);
        expect(error.message).not.toMatch(/secret-looking|test-key/);
      }
    });
  }
});

describe('Brave Search', () => {
  it('sends GET q/count/freshness with X-Subscription-Token and reads web.results (markup out of the descriptions)', async () => {
    expect(await call('brave', { count: 2, range: 'w' })).toEqual(expected.slice(0, 2));
    const [request] = fake.requests;
    expect(request).toMatchObject({ backend: 'brave', method: 'GET', query: { q: 'home assistant', count: '2', freshness: 'pw' } });
    expect(request!.headers['x-subscription-token']).toBe(fake.keys.brave);
    expect(request!.headers.accept).toBe('application/json');
  });

  it('401 names tools.web.brave.api_keys and not the key; the next key is tried first', async () => {
    const error = await failure(call('brave', { keys: ['BSA-wrong-key-1234'] }));
    expect(error.message).toBe('Brave Search refused the API key (HTTP 401); check tools.web.brave.api_keys');
    expect(await call('brave', { keys: ['BSA-wrong-key-1234', fake.keys.brave] })).toHaveLength(3);
    expect(fake.requests.map((r) => r.headers['x-subscription-token'])).toEqual(['BSA-wrong-key-1234', 'BSA-wrong-key-1234', fake.keys.brave]);
  });

  it('429 and 5xx are sentences that say what to do; with two keys both are tried and the message says so', async () => {
    fake.failNext('brave', { status: 429, body: { type: 'ErrorResponse', error: { status: 429, code: 'RATE_LIMITED', detail: `Request rate limit exceeded for plan. token ${fake.keys.brave}` } } });
    const limited = await failure(call('brave'));
    expect(limited.message).toBe('Brave Search is rate-limiting this key (HTTP 429); wait a moment, add another key to tools.web.brave.api_keys or raise the plan\'s limit');
    expect(limited.message).not.toContain(fake.keys.brave);
    fake.failNext('brave', { status: 503, body: 'upstream down' });
    fake.failNext('brave', { status: 502, body: 'bad gateway' });
    const down = await failure(call('brave', { keys: [fake.keys.brave, fake.keys.brave] }));
    expect(down.message).toBe('Brave Search failed (HTTP 502); try again later, or set tools.web.provider to another backend (all 2 keys tried)');
  });

  it('a redirect is not followed: the subscription token never reaches another host', async () => {
    const seen: (string | undefined)[] = [];
    const other = await serve((req, res) => {
      seen.push(req.headers['x-subscription-token'] as string | undefined);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ web: { results: [{ title: 'stolen', url: 'https://evil.example/', description: '' }] } }));
    });
    try {
      fake.failNext('brave', { status: 307, headers: { location: `${other.url}/collect` } });
      const error = await failure(call('brave'));
      expect(error.message).toMatch(/^Brave Search answered with a redirect \(HTTP 307 to http:\/\/127\.0\.0\.1:\d+\/collect\), which is not followed so that the API key stays with Brave Search/);
      expect(seen).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('the query cannot add parameters or change the path', async () => {
    await call('brave', { query: 'x&count=20&q=y/../../admin#frag' });
    expect(fake.requests[0]!.query).toEqual({ q: 'x&count=20&q=y/../../admin#frag', count: '5' });
    expect(fake.requests[0]!.url).toMatch(/^\/brave\/res\/v1\/web\/search\?/);
  });
});

describe('Tavily', () => {
  it('POSTs the query with max_results, time_range and a Bearer key, and reads results[].content', async () => {
    expect(await call('tavily', { count: 1, range: 'm' })).toEqual(expected.slice(0, 1));
    const [request] = fake.requests;
    expect(request).toMatchObject({ backend: 'tavily', method: 'POST' });
    expect(request!.headers.authorization).toBe(`Bearer ${fake.keys.tavily}`);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.body).toEqual({ query: 'home assistant', max_results: 1, search_depth: 'basic', include_answer: false, include_images: false, include_raw_content: false, time_range: 'month' });
  });

  it('401, 432 and 500 are sentences naming the setting; a body echoing the key is never passed on', async () => {
    const wrong = await failure(call('tavily', { keys: ['tvly-wrong-9876'] }));
    expect(wrong.message).toBe('Tavily refused the API key (HTTP 401); check tools.web.tavily.api_keys');
    fake.failNext('tavily', { status: 432, body: { detail: { error: `This request exceeds your plan's set usage limit (key ${fake.keys.tavily})` } } });
    const plan = await failure(call('tavily'));
    expect(plan.message).toBe("Tavily's plan limit is reached (HTTP 432); raise the plan or add another key to tools.web.tavily.api_keys");
    fake.failNext('tavily', { status: 500, body: { detail: { error: `internal ${fake.keys.tavily}` } } });
    const down = await failure(call('tavily'));
    expect(down.message).toBe('Tavily failed (HTTP 500); try again later, or set tools.web.provider to another backend');
    for (const e of [wrong, plan, down]) expect(e.message).not.toMatch(/tvly-/);
  });

  it('an endpoint that answers something else than JSON points at tools.web.tavily.base_url', async () => {
    const error = await failure(call('tavily', { endpoint: `${fake.url}/ddg/html/` }));
    expect(error.message).toMatch(/^Tavily refused the request \(HTTP 404\)$/);
    fake.failNext('tavily', { status: 200, body: '<html>login</html>', headers: { 'content-type': 'text/html' } });
    expect((await failure(call('tavily'))).message).toBe('Tavily did not answer JSON (text/html); check tools.web.tavily.base_url (empty means https://api.tavily.com/search)');
  });
});

describe('SearXNG', () => {
  it('GETs <base_url>/search with format=json and reads results[].content; max results are cut here (SearXNG has no count)', async () => {
    expect(await call('searxng', { count: 10, range: 'd' })).toEqual(expected);
    expect(fake.requests[0]).toMatchObject({ backend: 'searxng', method: 'GET', query: { q: 'home assistant', format: 'json', categories: 'general', time_range: 'day' } });
    expect(await call('searxng', { endpoint: `${fake.urls.searxng}/` })).toHaveLength(3);
    expect(fake.requests[1]!.url).toMatch(/^\/searxng\/search\?/);
  });

  it('an instance without the JSON format (403 and an HTML page) gets a sentence saying how to enable it', async () => {
    fake.set({ searxngJson: false });
    const error = await failure(call('searxng'));
    expect(error.message).toBe(`SearXNG at ${fake.urls.searxng} does not serve JSON (HTTP 403): enable the JSON format on the instance (settings.yml: search: formats: [html, json], then restart it)`);
  });

  it('429 (its limiter), 404 and an unreachable instance name what to change', async () => {
    fake.failNext('searxng', { status: 429, body: 'Too Many Requests' });
    expect((await failure(call('searxng'))).message).toMatch(/\(HTTP 429, its limiter\); on the instance, turn server\.limiter off or add this machine's address to botdetection's pass_ip list$/);
    expect((await failure(call('searxng', { endpoint: `${fake.url}/nothing` }))).message).toMatch(/has no \/search \(HTTP 404\); check tools\.web\.searxng\.base_url/);
    const closed = await serve((_req, res) => res.end());
    await closed.close();
    expect((await failure(call('searxng', { endpoint: closed.url }))).message).toBe(`cannot reach SearXNG at ${closed.url}/search (ECONNREFUSED); check tools.web.searxng.base_url and the network`);
  });

  it('a base_url with user:password is sent as basic auth and never shown', async () => {
    const withAuth = fake.urls.searxng.replace('http://', 'http://me:s3cret%21@');
    expect(await call('searxng', { endpoint: withAuth })).toHaveLength(3);
    expect(fake.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('me:s3cret!').toString('base64')}`);
    fake.set({ searxngJson: false });
    expect((await failure(call('searxng', { endpoint: withAuth }))).message).not.toMatch(/s3cret|me:/);
  });
});

describe('DuckDuckGo', () => {
  it('GETs the HTML endpoint with q and df and a browser User-Agent; the ad is skipped and redirect links resolved', async () => {
    expect(await call('duckduckgo', { range: 'y' })).toEqual(expected);
    expect(fake.requests[0]).toMatchObject({ backend: 'duckduckgo', method: 'GET', query: { q: 'home assistant', df: 'y' } });
    expect(fake.requests[0]!.headers['user-agent']).toMatch(/^Mozilla\/5\.0/);
  });

  it('the bot-check page (202) is a sentence, not "no results"', async () => {
    fake.set({ ddgBotCheck: true });
    expect((await failure(call('duckduckgo'))).message).toMatch(/^DuckDuckGo asked for a bot check instead of answering/);
  });

  it('the parser keeps to http(s) results, decodes entities, survives odd markup and finds nothing in a no-results page', () => {
    const page = `<div class="result results_links web-result"><h2 class="result__title"><a class="result__a" rel="nofollow" href="//duckduckgo.com/l/?uddg=https%3A%2F%2Fa.example%2Fx%3Fy%3D1&amp;rut=1">A &amp; B &#x27;q&#x27; &lt;tag&gt;</a></h2>
      <a class="result__snippet" href="x">first <b>bold</b>&nbsp;part</a></div>
      <div class='result'><a class="result__a" href="javascript:alert(1)">bad</a></div>
      <div class="result results_links"><a href="https://direct.example/" class="foo result__a">Direct</a><div class="result__snippet">div snippet</div></div>
      <div class="result"><a class="result__a" href="//duckduckgo.com/l/?uddg=file%3A%2F%2F%2Fetc%2Fpasswd">file</a></div>`;
    expect(parseDuckDuckGoHtml(page)).toEqual([
      { title: "A & B 'q' <tag>", url: 'https://a.example/x?y=1', snippet: 'first bold part' },
      { title: 'Direct', url: 'https://direct.example/', snippet: 'div snippet' },
    ]);
    expect(parseDuckDuckGoHtml('<div class="no-results">No results.</div>')).toEqual([]);
    expect(parseDuckDuckGoHtml('')).toEqual([]);
  });

  it('plainText strips tags and control characters (a snippet cannot break the layout)', () => {
    expect(plainText('a<b>b</b>\n\n\tc\u0000d\u202eе &#0; &#1114112; &bogus;')).toBe('ab c d е &bogus;');
  });
});
