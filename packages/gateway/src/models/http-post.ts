/**
 * POST over node:http(s) with keep-alive agents, for the model APIs. Node's fetch (undici) spent
 * about 1.5 ms of CPU per request on this path (the body goes through web streams); a turn makes
 * one request per model step, so this is most of the gateway's own time per message.
 * The response body is the raw byte stream: the SSE reader consumes it as it arrives.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

export interface HttpPostResponse {
  status: number;
  ok: boolean;
  header(name: string): string | undefined;
  /** The body as it arrives; breaking out of the loop closes the connection. */
  body: AsyncIterable<Uint8Array>;
  text(): Promise<string>;
}

export function httpPost(url: string, options: { headers: Record<string, string>; body: string; signal: AbortSignal }): Promise<HttpPostResponse> {
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : http;
  const agent = agents[target.protocol as keyof typeof agents];
  const body = Buffer.from(options.body);
  return new Promise((resolve, reject) => {
    const request = transport.request(target, { method: 'POST', agent, signal: options.signal, headers: { ...options.headers, 'content-length': String(body.length) } }, (response: IncomingMessage) => {
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
    request.on('error', reject);
    request.end(body);
  });
}
