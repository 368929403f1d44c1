/**
 * Fake web-search backends on one server, each speaking its real API:
 *
 * - Brave Search API: `GET /brave/res/v1/web/search?q=&count=` with `X-Subscription-Token`,
 *   answering `{ type: "search", web: { results: [{ title, url, description }] } }` (HTML
 *   `<strong>` in descriptions, as Brave sends them); a bad token gets Brave's `ErrorResponse`.
 * - Tavily: `POST /tavily/search` with `Authorization: Bearer tvly-…` and a JSON body
 *   (`query`, `max_results` 0–20), answering `{ query, results: [{ title, url, content, score }] }`;
 *   a bad key gets `{ detail: { error } }` with 401.
 * - SearXNG: `GET /searxng/search?q=&format=json` answering its JSON (`results[]` with `content`,
 *   `engine`, `score`), or, with `searxngJson: false` (the instance's default `search.formats`),
 *   403 and an HTML page, as a real instance does.
 * - DuckDuckGo's HTML endpoint: `GET /ddg/html/?q=` answering the results page (an ad first,
 *   redirect links `//duckduckgo.com/l/?uddg=…`); `ddgBotCheck` answers its 202 bot-check page.
 *
 * Every request is recorded; `failNext` scripts the next answer of one backend (a status, a
 * body, headers: a 429, a 503, a redirect).
 */
import express from 'express';
import { listen } from './listen.js';

export type SearchBackendName = 'brave' | 'tavily' | 'searxng' | 'duckduckgo';

export interface FakeSearchResult {
  title: string;
  url: string;
  snippet: string;
}

export interface SearchRequest {
  backend: SearchBackendName;
  method: string;
  /** Path with the query string, as received. */
  url: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body?: Record<string, unknown>;
}

interface ScriptedAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const defaultResults: FakeSearchResult[] = [
  { title: 'Home Assistant', url: 'https://www.home-assistant.io/', snippet: 'Open source home automation that puts local control and privacy first.' },
  { title: 'Zigbee2MQTT', url: 'https://www.zigbee2mqtt.io/', snippet: 'Zigbee to MQTT bridge, get rid of your proprietary Zigbee bridges.' },
  { title: 'ESPHome', url: 'https://esphome.io/', snippet: 'ESPHome is a system to control your microcontrollers by simple yet powerful configuration files.' },
];

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;');

/** DuckDuckGo's html endpoint, trimmed to what a parser meets: head, an ad, results, paging form. */
function duckDuckGoPage(query: string, results: FakeSearchResult[]): string {
  const link = (url: string) => `//duckduckgo.com/l/?uddg=${encodeURIComponent(url)}&amp;rut=7c3f0a9e1b`;
  const result = (r: FakeSearchResult) => `
      <div class="result results_links results_links_deep web-result ">
          <div class="links_main links_deep result__body"> <!-- This is the visible part -->
            <h2 class="result__title">
              <a rel="nofollow" class="result__a" href="${link(r.url)}">${escapeHtml(r.title)}</a>
            </h2>
            <div class="result__extras">
              <div class="result__extras__url">
                <span class="result__icon"><a rel="nofollow" href="${link(r.url)}"><img class="result__icon__img" width="16" height="16" alt="" src="//external-content.duckduckgo.com/ip3/x.ico" name="i15" /></a></span>
                <a class="result__url" href="${link(r.url)}">${escapeHtml(new URL(r.url).host)}</a>
              </div>
            </div>
            <a class="result__snippet" href="${link(r.url)}">${escapeHtml(r.snippet).replace(/(\w{5,})/, '<b>$1</b>')}</a>
            <div class="clear"></div>
          </div>
      </div>`;
  return `<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">
<html>
<head>
  <meta http-equiv="content-type" content="text/html; charset=UTF-8">
  <title>${escapeHtml(query)} at DuckDuckGo</title>
  <link rel="stylesheet" href="/dist/h.css" type="text/css">
</head>
<body>
<div class="header_wrapper"><form id="search_form" action="/html/" method="post"><input type="text" name="q" value="${escapeHtml(query)}"></form></div>
<div>
  <div class="serp__results">
    <div id="links" class="results">
      <div class="result results_links results_links_deep result--ad ">
          <div class="links_main links_deep result__body">
            <h2 class="result__title"><a rel="nofollow" class="result__a" href="https://duckduckgo.com/y.js?ad_domain=ads.example&amp;ad_provider=bingv7aa">Buy smart plugs today</a></h2>
            <a class="result__snippet" href="https://duckduckgo.com/y.js?ad_domain=ads.example">Sponsored result.</a>
          </div>
      </div>${results.length ? results.map(result).join('') : '\n      <div class="no-results">No results.</div>'}
      <div class="nav-link">
        <form action="/html/" method="post"><input type="submit" class="btn btn--alt" value="Next" /><input type="hidden" name="q" value="${escapeHtml(query)}" /><input type="hidden" name="s" value="10" /></form>
      </div>
    </div>
  </div>
</div>
</body>
</html>`;
}

const botCheckPage = `<!DOCTYPE html><html><head><title>DuckDuckGo</title></head><body>
<form id="challenge-form" action="//duckduckgo.com/anomaly.js?sv=html&amp;cc=botnet" method="POST">
<div class="anomaly-modal__title">Unfortunately, bots use DuckDuckGo too.</div>
<div class="anomaly-modal__description">Please complete the following challenge to confirm this search was made by a human.</div>
</form></body></html>`;

export async function startFakeSearch(options: { results?: FakeSearchResult[]; braveKey?: string; tavilyKey?: string; searxngJson?: boolean; ddgBotCheck?: boolean } = {}) {
  const state = {
    results: options.results ?? defaultResults,
    braveKey: options.braveKey ?? 'brave-test-key',
    tavilyKey: options.tavilyKey ?? 'tvly-test-key',
    searxngJson: options.searxngJson ?? true,
    ddgBotCheck: options.ddgBotCheck ?? false,
  };
  const requests: SearchRequest[] = [];
  const scripted: Record<SearchBackendName, ScriptedAnswer[]> = { brave: [], tavily: [], searxng: [], duckduckgo: [] };
  const app = express();

  const record = (backend: SearchBackendName) => (req: express.Request, res: express.Response, next: express.NextFunction) => {
    requests.push({ backend, method: req.method, url: req.originalUrl, query: Object.fromEntries(new URL(req.originalUrl, 'http://x').searchParams), headers: req.headers, body: req.body as Record<string, unknown> | undefined });
    const answer = scripted[backend].shift();
    if (!answer) return next();
    res.status(answer.status).set(answer.headers ?? {});
    if (answer.body === undefined) res.end();
    else if (typeof answer.body === 'string') res.send(answer.body);
    else res.json(answer.body);
  };

  app.get('/brave/res/v1/web/search', record('brave'), (req, res) => {
    const braveError = (status: number, code: string, detail: string) =>
      res.status(status).json({ type: 'ErrorResponse', error: { id: 'c3f1a8e2-0d4b-4c1e-9f7a-2b6d9e8a1c00', status, code, detail, meta: { component: 'authentication' } }, time: Date.now() });
    if (req.headers['x-subscription-token'] !== state.braveKey) return void braveError(401, 'SUBSCRIPTION_TOKEN_INVALID', 'The provided subscription token is invalid.');
    const q = String(req.query.q ?? '');
    const count = Number(req.query.count ?? 20);
    if (!q) return void braveError(422, 'VALIDATION', 'Unable to validate request parameter(s)');
    if (!Number.isInteger(count) || count < 1 || count > 20) return void braveError(422, 'VALIDATION', 'Unable to validate request parameter(s)');
    res.json({
      type: 'search',
      query: { original: q, show_strict_warning: false, is_navigational: false, country: 'us', more_results_available: true },
      mixed: { type: 'mixed', main: state.results.slice(0, count).map((_, index) => ({ type: 'web', index, all: false })) },
      web: {
        type: 'search',
        family_friendly: true,
        results: state.results.slice(0, count).map((r) => ({
          type: 'search_result',
          title: r.title,
          url: r.url,
          is_source_local: false,
          is_source_both: false,
          description: r.snippet.replace(/(\w{5,})/, '<strong>$1</strong>'),
          profile: { name: new URL(r.url).hostname, url: r.url, long_name: new URL(r.url).hostname, img: 'https://imgs.search.brave.com/x.png' },
          language: 'en',
          family_friendly: true,
          meta_url: { scheme: 'https', netloc: new URL(r.url).hostname, hostname: new URL(r.url).hostname, favicon: 'https://imgs.search.brave.com/f.png', path: '' },
        })),
      },
    });
  });

  app.post('/tavily/search', express.json({ limit: '100kb' }), record('tavily'), (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const bearer = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (bearer !== state.tavilyKey && body.api_key !== state.tavilyKey) return void res.status(401).json({ detail: { error: 'Unauthorized: missing or invalid API key.' } });
    if (typeof body.query !== 'string' || !body.query) return void res.status(400).json({ detail: { error: 'Query is missing.' } });
    const max = body.max_results ?? 5;
    if (typeof max !== 'number' || max < 0 || max > 20) return void res.status(400).json({ detail: { error: 'max_results must be between 0 and 20.' } });
    res.json({
      query: body.query,
      follow_up_questions: null,
      answer: null,
      images: [],
      results: state.results.slice(0, max).map((r, i) => ({ title: r.title, url: r.url, content: r.snippet, score: 0.9 - i / 10, raw_content: null })),
      response_time: 1.07,
      request_id: '123e4567-e89b-12d3-a456-426614174111',
    });
  });

  app.get('/searxng/search', record('searxng'), (req, res) => {
    const q = String(req.query.q ?? '');
    if (req.query.format === 'json' && !state.searxngJson) {
      return void res.status(403).type('html').send('<!DOCTYPE html>\n<html><head><title>403 Forbidden</title></head><body><h1>Forbidden</h1><p>You don\'t have the permission to access the requested resource.</p></body></html>');
    }
    if (req.query.format !== 'json') return void res.type('html').send(`<!DOCTYPE html><html><head><title>${escapeHtml(q)} - SearXNG</title></head><body><article class="result"></article></body></html>`);
    res.json({
      query: q,
      number_of_results: 0,
      results: state.results.map((r, i) => ({
        url: r.url,
        title: r.title,
        content: r.snippet,
        publishedDate: null,
        thumbnail: '',
        engine: 'duckduckgo',
        template: 'default.html',
        parsed_url: ['https', new URL(r.url).host, new URL(r.url).pathname, '', '', ''],
        img_src: '',
        priority: '',
        engines: ['duckduckgo', 'brave'],
        positions: [i + 1],
        score: 2 / (i + 1),
        category: 'general',
      })),
      answers: [],
      corrections: [],
      infoboxes: [],
      suggestions: ['home assistant docker'],
      unresponsive_engines: [['google', 'timeout']],
    });
  });

  app.get('/ddg/html/', record('duckduckgo'), (req, res) => {
    if (state.ddgBotCheck) return void res.status(202).type('html').send(botCheckPage);
    res.type('html').send(duckDuckGoPage(String(req.query.q ?? ''), state.results));
  });

  const server = await listen(app);
  return {
    ...server,
    requests,
    /** Base URLs as each backend's client takes them. */
    urls: {
      brave: `${server.url}/brave/res/v1/web/search`,
      tavily: `${server.url}/tavily/search`,
      searxng: `${server.url}/searxng`,
      duckduckgo: `${server.url}/ddg/html/`,
    } satisfies Record<SearchBackendName, string>,
    keys: { brave: state.braveKey, tavily: state.tavilyKey },
    /** Answers the backend's next request with this instead. */
    failNext(backend: SearchBackendName, answer: ScriptedAnswer) {
      scripted[backend].push(answer);
    },
    set(changes: Partial<Pick<typeof state, 'results' | 'searxngJson' | 'ddgBotCheck'>>) {
      Object.assign(state, changes);
    },
  };
}

export type FakeSearch = Awaited<ReturnType<typeof startFakeSearch>>;
