/**
 * `/pico/ws` for the browser: authenticated by the dashboard session, checked for our own Origin,
 * then bridged to the gateway's `/pico/ws` with a chat credential added here: the one of the
 * gateway process that proved it is the launcher's child (core gateway-trust.ts), never the
 * permanent pico token of config.json. The browser never sees it, and the gateway never sees the
 * browser's cookies.
 *
 * A frame from the browser may be as large as the gateway's pico channel takes (core
 * pico-limits.ts: text within max_frame_bytes, images within max_media_size as base64), read from
 * the config at each connection; the gateway checks each frame exactly.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { parseRequestTarget, sameOriginOrNone, type PicoFrameLimits } from '@picoclaw/core';
import { authenticate, type AuthDeps } from './auth/auth.js';

export function createPicoProxy(deps: AuthDeps & { gatewayUrl(): string; credential(): string | undefined; frameLimits(): Promise<PicoFrameLimits>; log: (level: 'warn' | 'debug', message: string) => void }) {
  const wss = new WebSocketServer({ noServer: true });
  const refuse = (socket: Duplex, status: string, text: string) =>
    socket.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);

  return async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    socket.on('error', () => {});
    if (!authenticate(req, deps)) return refuse(socket, '401 Unauthorized', 'unauthorized');
    const origin = req.headers.origin;
    if (!sameOriginOrNone(origin, req.headers.host)) return refuse(socket, '403 Forbidden', 'cross-origin WebSocket refused');
    const token = deps.credential();
    if (!token) return refuse(socket, '503 Service Unavailable', 'the gateway is not running');
    const { payload: maxPayload } = await deps.frameLimits();
    const query = parseRequestTarget(req.url)?.searchParams ?? new URLSearchParams();
    const session = query.get('session_id');
    const target = `${deps.gatewayUrl().replace(/^http/, 'ws')}/pico/ws${session ? `?session_id=${encodeURIComponent(session)}` : ''}`;
    const upstream = new WebSocket(target, [`token.${token}`], { handshakeTimeout: 5000 });
    upstream.once('unexpected-response', (_r, response) => {
      const why = response.statusCode === 404 ? 'the pico channel is not enabled in config.json (channel_list.pico)' : `Gateway unavailable: HTTP ${response.statusCode}`;
      refuse(socket, '502 Bad Gateway', why);
      upstream.terminate();
    });
    upstream.once('error', (error) => {
      if (upstream.readyState !== WebSocket.OPEN) refuse(socket, '503 Service Unavailable', `Gateway not available: ${error.message}`);
    });
    upstream.once('open', () => {
      // ws reads options.maxPayload as it completes each upgrade (ws 8): this connection's ceiling.
      wss.options.maxPayload = maxPayload;
      wss.handleUpgrade(req, socket, head, (browser) => {
        upstream.on('message', (data, isBinary) => browser.readyState === WebSocket.OPEN && browser.send(data, { binary: isBinary }));
        browser.on('message', (data, isBinary) => upstream.readyState === WebSocket.OPEN && upstream.send(data, { binary: isBinary }));
        const closeBoth = (code?: number, reason?: Buffer) => {
          const safe = code && code >= 1000 && code < 5000 && code !== 1005 && code !== 1006 ? code : 1000;
          if (browser.readyState === WebSocket.OPEN) browser.close(safe, reason?.toString().slice(0, 120));
          if (upstream.readyState === WebSocket.OPEN) upstream.close(safe);
        };
        upstream.on('close', closeBoth);
        browser.on('close', closeBoth);
        browser.on('error', (error) => deps.log('debug', `browser socket: ${error.message}`));
        upstream.on('error', (error) => deps.log('warn', `gateway socket: ${error.message}`));
      });
    });
  };
}
