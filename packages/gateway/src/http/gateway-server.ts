/**
 * The gateway's HTTP server (node:http: a handful of routes do not need a framework on the
 * start-up path). Open routes report liveness and readiness; control routes need the gateway
 * token, compared in constant time; WebSocket upgrades go to the handlers channels mounted.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CHALLENGE_HEADER, decodeSegment, gatewayProof, gatewayRoutes, isChallenge, jsonNestingTooDeep, MAX_JSON_DEPTH, parseRequestTarget, PicoError, PROOF_HEADER, type ReadyResponse } from '@picoclaw/core';
import type { UpgradeHandler } from '../channels/channel.js';
import type { FeatureApi } from './feature-api.js';
import { sendImage, type ImageFile } from './image-response.js';

export interface GatewayHandlers {
  health(): unknown;
  ready(): { ok: boolean; body: ReadyResponse };
  status(): unknown;
  reload(): Promise<{ ok: boolean; body: unknown }>;
  mcpRetry(server: string): boolean;
  /** POST /models/test {model}: a tiny prompt to one model, without fallbacks. */
  testModel(body: unknown): Promise<{ ok: boolean; body: unknown }>;
  /** POST /mcp/test {server}: connect to a server config that need not be saved, list its tools. */
  testMcp(body: unknown): Promise<{ ok: boolean; body: unknown }>;
  /** POST /mcp/<server>/call {tool, arguments}: one tool call, for the dashboard's "test". */
  callMcp(server: string, body: unknown): Promise<{ ok: boolean; body: unknown }>;
  /** GET /sessions?prefix=, GET|DELETE|PATCH /sessions/<key>: conversations for the dashboard. */
  sessions(method: string, key: string | undefined, query: URLSearchParams, body: unknown): Promise<{ status: number; body: unknown }>;
  /** `/<name>…` of each feature (schedules, memory, skills), behind the token. */
  apis: Readonly<Record<string, FeatureApi>>;
  /** GET /media/images/<name>: the file of a stored image (ImageStore.file), undefined for any other name. */
  image(name: string): Promise<ImageFile | undefined>;
}

/** Reads a small JSON body (control endpoints only). */
async function readJson(req: IncomingMessage, limit = 256 * 1024): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  const body = Buffer.concat(chunks);
  // Checked before parsing: handlers and the MCP SDK walk bodies recursively (JSON.stringify included).
  if (jsonNestingTooDeep(body) >= 0) throw Object.assign(new Error(`the JSON body is nested more than ${MAX_JSON_DEPTH} levels deep; nothing this API takes is nested like that`), { status: 400 });
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw Object.assign(new Error('the body is not valid JSON'), { status: 400 });
  }
}

export interface GatewayServer {
  readonly server: Server;
  listen(host: string, port: number): Promise<{ host: string; port: number }>;
  mountUpgrade(path: string, handler: UpgradeHandler | undefined): void;
  close(): Promise<void>;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return !!match && timingSafeEqual(digest(match[1]!.trim()), digest(token));
}

/** Every string of an answer passes the secret masker: an error text can quote a key a provider echoed. */
type Mask = (text: string) => string;

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>, mask?: Mask) {
  const text = `${JSON.stringify(body, mask ? (_key, value: unknown) => (typeof value === 'string' ? mask(value) : value) : undefined)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

export function createGatewayServer(options: { token: string; handlers: GatewayHandlers; log?: (level: 'warn' | 'debug', message: string) => void; mask?: Mask }): GatewayServer {
  const upgrades = new Map<string, UpgradeHandler>();
  const { handlers } = options;
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => sendJson(res, status, body, headers, options.mask);

  async function route(req: IncomingMessage, res: ServerResponse) {
    const url = parseRequestTarget(req.url);
    const method = req.method ?? 'GET';
    if (!url) {
      req.resume();
      return send(res, 400, { error: 'bad request target' });
    }
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const only = (allowed: string) => {
      if (method === allowed || (allowed === 'GET' && method === 'HEAD')) return true;
      send(res, 405, { error: `method not allowed, use ${allowed}` }, { allow: allowed });
      return false;
    };
    const authorized = () => {
      if (bearerMatches(req.headers.authorization, options.token)) return true;
      send(res, 401, { error: 'unauthorized: this endpoint needs "Authorization: Bearer <gateway token>"' }, { 'www-authenticate': 'Bearer' });
      return false;
    };
    const feature = /^\/([a-z]+)(?=\/|$)/.exec(path)?.[1];
    const api = feature !== undefined && Object.hasOwn(handlers.apis, feature) ? handlers.apis[feature] : undefined;
    // Only the test endpoints and the feature APIs read a body; drain any other so the connection stays usable.
    if (!api && !/^\/(models\/test|mcp\/test|mcp\/[^/]+\/call|sessions\/[^/]+)$/.test(path)) req.resume();
    const withBody = async (handler: (body: unknown) => Promise<{ ok: boolean; body: unknown }>) => {
      let body: unknown;
      try {
        body = await readJson(req);
      } catch (error) {
        return send(res, (error as { status?: number }).status ?? 400, { error: (error as Error).message });
      }
      const result = await handler(body);
      return send(res, result.ok ? 200 : 422, result.body);
    };

    if (path === gatewayRoutes.health) return only('GET') && send(res, 200, handlers.health());
    if (path === gatewayRoutes.ready) {
      if (!only('GET')) return;
      const { ok, body } = handlers.ready();
      const challenge = req.headers[CHALLENGE_HEADER];
      const proof: Record<string, string> = isChallenge(challenge) ? { [PROOF_HEADER]: gatewayProof(options.token, challenge) } : {};
      const full = bearerMatches(req.headers.authorization, options.token);
      return send(res, ok ? 200 : 503, full ? body : { status: body.status, ...(body.reasons ? { reasons: body.reasons } : {}) }, proof);
    }
    if (path === gatewayRoutes.status) return only('GET') && authorized() && send(res, 200, handlers.status());
    if (path === gatewayRoutes.reload) {
      if (!only('POST') || !authorized()) return;
      // Concurrent reloads queue in the gateway; each answers with its own outcome.
      const { ok, body } = await handlers.reload();
      return send(res, ok ? 200 : 422, body);
    }
    if (path === '/models/test') return only('POST') && authorized() && withBody(handlers.testModel);
    if (path === '/mcp/test') return only('POST') && authorized() && withBody(handlers.testMcp);
    // Names in the path are %-escaped; one that does not decode is a bad request, not a crash.
    const segment = (raw: string | undefined) => {
      const decoded = raw === undefined ? undefined : decodeSegment(raw);
      if (raw !== undefined && decoded === undefined) send(res, 400, { error: 'malformed %-escape in the path' });
      return decoded;
    };
    const call = /^\/mcp\/([^/]+)\/call$/.exec(path);
    if (call) {
      if (!only('POST') || !authorized()) return;
      const name = segment(call[1]);
      return name !== undefined && withBody((body) => handlers.callMcp(name, body));
    }
    const sessionPath = /^\/sessions(?:\/([^/]+))?$/.exec(path);
    if (sessionPath) {
      if (!authorized()) return;
      let body: unknown = {};
      if (method === 'PATCH') {
        try {
          body = await readJson(req);
        } catch (error) {
          return send(res, 400, { error: (error as Error).message });
        }
      }
      const key = segment(sessionPath[1]);
      if (sessionPath[1] !== undefined && key === undefined) return;
      const result = await handlers.sessions(method, key, url.searchParams, body);
      return send(res, result.status, result.body);
    }
    if (api) {
      if (!authorized()) return;
      let body: unknown = {};
      if (api.bodies.includes(method)) {
        try {
          body = await readJson(req, api.maxBody);
        } catch (error) {
          return send(res, (error as { status?: number }).status ?? 400, { error: (error as Error).message });
        }
      } else req.resume();
      const result = await api.handle(method, path.slice(feature!.length + 1), url.searchParams, body);
      return send(res, result.status, result.body);
    }
    const image = /^\/media\/images\/([^/]+)$/.exec(path);
    if (image) {
      if (!only('GET') || !authorized()) return;
      const name = segment(image[1]);
      if (name === undefined) return;
      if (await sendImage(req, res, await handlers.image(name))) return;
      return send(res, 404, { error: 'no such image' });
    }
    const retry = /^\/mcp\/([^/]+)\/retry$/.exec(path);
    if (retry) {
      if (!only('POST') || !authorized()) return;
      const name = segment(retry[1]);
      if (name === undefined) return;
      return handlers.mcpRetry(name) ? send(res, 202, { status: 'retrying', server: name }) : send(res, 404, { error: `no MCP server named "${name}"` });
    }
    if (upgrades.has(path)) return send(res, 426, { error: 'this endpoint needs a WebSocket connection' }, { upgrade: 'websocket' });
    send(res, 404, { error: `no route ${method} ${path}` });
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      options.log?.('warn', `request ${req.method} ${req.url?.split('?')[0]} failed: ${(error as Error).message}`);
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  server.headersTimeout = 15_000;
  server.requestTimeout = 30_000;
  server.on('upgrade', (req, socket, head) => {
    const path = parseRequestTarget(req.url)?.pathname.replace(/\/+$/, '');
    const handler = path === undefined ? undefined : upgrades.get(path);
    if (!handler) {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nnot found');
      return;
    }
    socket.on('error', () => {});
    handler(req, socket, head);
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\n\r\n`);
  });

  return {
    server,
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        const onError = (error: NodeJS.ErrnoException) => {
          server.off('listening', onListening);
          reject(
            error.code === 'EADDRINUSE'
              ? new PicoError('settings_invalid', `port ${port} on ${host} is already in use: is another gateway running? (set --port or PICOCLAW_GATEWAY_PORT)`, { cause: error })
              : error.code === 'EADDRNOTAVAIL'
                ? new PicoError('settings_invalid', `cannot listen on ${host}: no such address on this machine`, { cause: error })
                : error,
          );
        };
        const onListening = () => {
          server.off('error', onError);
          const address = server.address() as AddressInfo;
          resolve({ host: address.address, port: address.port });
        };
        server.once('error', onError);
        server.once('listening', onListening);
        server.listen(port, host);
      }),
    mountUpgrade(path, handler) {
      if (handler) upgrades.set(path.replace(/\/+$/, ''), handler);
      else upgrades.delete(path.replace(/\/+$/, ''));
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      }),
  };
}
