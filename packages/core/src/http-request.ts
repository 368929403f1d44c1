/**
 * HTTP requests over node:http(s) with keep-alive agents: the gateway's calls to model APIs and
 * MCP servers, the launcher's calls to its gateway.
 * Node's fetch (undici) spent about 1.5 ms of CPU per request on this path (the body goes through
 * web streams), and merely loading it costs ~13 MB of RSS; a turn makes one request per model step
 * and per tool call, so this is most of the gateway's own time per message.
 * The response body is the raw byte stream: the SSE reader consumes it as it arrives.
 */
import http, { type IncomingMessage } from 'node:http';

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
/** node:https (and TLS) load on the first https request, not with every process start. */
let secure: Promise<{ https: typeof import('node:https'); agent: http.Agent }> | undefined;
const loadHttps = () => (secure ??= import('node:https').then((https) => ({ https, agent: new https.Agent({ keepAlive: true, maxSockets: 64 }) })));

export interface HttpResponse {
  status: number;
  ok: boolean;
  header(name: string): string | undefined;
  /** The body as it arrives; breaking out of the loop closes the connection. */
  body: AsyncIterable<Uint8Array>;
  text(): Promise<string>;
}

export interface HttpRequestOptions {
  method?: 'POST' | 'GET' | 'DELETE' | 'PUT' | 'PATCH';
  headers: Record<string, string>;
  /** Text, or bytes (a multipart upload). */
  body?: string | Uint8Array;
  signal: AbortSignal;
}

export async function httpRequest(url: string | URL, options: HttpRequestOptions): Promise<HttpResponse> {
  const target = typeof url === 'string' ? new URL(url) : url;
  const { https, agent: httpsAgent } = target.protocol === 'https:' ? await loadHttps() : { https: undefined, agent: undefined };
  const transport = https ?? http;
  const agent = httpsAgent ?? httpAgent;
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
  const headers = body ? { ...options.headers, 'content-length': String(body.length) } : options.headers;
  const { signal } = options;
  if (signal.aborted) throw abortError(signal);
  return new Promise((resolve, reject) => {
    let answer: IncomingMessage | undefined;
    // Not node's own `signal` option: it can fire after the answer is complete and its keep-alive
    // socket is back in the pool, and destroy that socket (an uncaught 'error' on a free socket).
    // An abort ends the request, or the answer while it is still arriving, and nothing after.
    const onAbort = () => (answer ?? request).destroy(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    const done = () => signal.removeEventListener('abort', onAbort);
    const request = transport.request(target, { method: options.method ?? 'POST', agent, headers }, (response: IncomingMessage) => {
      answer = response;
      response.once('close', done);
      // An abort before the caller starts reading must not become an unhandled 'error' event;
      // the reader still sees the failure.
      response.on('error', () => {});
      const status = response.statusCode ?? 0;
      resolve({
        status,
        ok: status >= 200 && status < 300,
        header: (name) => {
          const value = response.headers[name.toLowerCase()];
          return Array.isArray(value) ? value.join(', ') : value;
        },
        body: response,
        async text() {
          const chunks: Buffer[] = [];
          for await (const chunk of response) chunks.push(chunk as Buffer);
          return Buffer.concat(chunks).toString('utf8');
        },
      });
    });
    request.on('error', (error) => {
      done();
      reject(error);
    });
    request.end(body);
  });
}

function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('This operation was aborted', { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

/** A JSON call (the launcher to its gateway): the status and the parsed body, `undefined` when empty. */
export async function requestJson(url: string, options: { method?: HttpRequestOptions['method']; headers?: Record<string, string>; body?: unknown; signal: AbortSignal }): Promise<{ status: number; ok: boolean; body: unknown }> {
  const headers = { ...options.headers, ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}) };
  const response = await httpRequest(url, { method: options.method ?? 'GET', headers, signal: options.signal, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
  const text = await response.text();
  return { status: response.status, ok: response.ok, body: text ? (JSON.parse(text) as unknown) : undefined };
}
