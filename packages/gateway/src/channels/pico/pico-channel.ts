/**
 * The pico channel: web chat over a WebSocket at `/pico/ws` on the gateway, authenticated with
 * the internal pico token (the launcher injects it; browsers never see it). Answers stream as
 * `message.create` then `message.update` frames; tool calls appear as their own messages.
 * Malformed, oversized or unknown frames get an `error` frame and the connection stays up.
 * Images and files come inline as data URLs (pico-media.ts); they are stored before the message
 * goes to the agent (files announced by their inbox path, as a Telegram document is), and only a
 * frame with them may be larger than `max_frame_bytes` (core pico-limits.ts). A tool card whose
 * tool returned images (a camera snapshot) carries their stored paths as `media`.
 * `send` (schedules) pushes a finished assistant message, a lone `message.create`, to the
 * session's open sockets.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { picoFrameLimits, type ChannelConfig, type ChannelStatus, type PicoFrameLimits } from '@picoclaw/core';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AgentEvent } from '../../agent/events.js';
import { receivedFileLine, withReceivedFiles } from '../../media/received-file.js';
import type { Channel, ChannelContext, ChannelFactory } from '../channel.js';
import { parseClientFrame, SESSION_ID, type PicoErrorCode, type PicoFrame } from './pico-frames.js';
import { checkAudio, collectMedia, storeMedia } from './pico-media.js';

type PicoConfig = Extract<ChannelConfig, { type: 'pico' }>;

const digest = (s: string) => createHash('sha256').update(s).digest();
const sameToken = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

interface Connection {
  socket: WebSocket;
  sessionId: string;
  alive: boolean;
  sessions: Set<string>;
  /** Messages are handed to the agent in the order they came, though storing images takes a while. */
  inbound: Promise<void>;
}

/**
 * Where the token came from, if it is the right one (reference §4.2 order). The launcher's
 * credential for this process is accepted as a `token.` subprotocol too.
 */
function authenticate(request: IncomingMessage, settings: PicoConfig['settings'], credential: string | undefined): { ok: boolean; protocol?: string } {
  const token = settings.token;
  if (!token) return { ok: false };
  const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
  if (bearer && sameToken(bearer[1]!.trim(), token)) return { ok: true };
  const protocols = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const protocol = protocols.find((p) => p.startsWith('token.') && (sameToken(p.slice(6), token) || (!!credential && sameToken(p.slice(6), credential))));
  if (protocol) return { ok: true, protocol };
  if (settings.allow_token_query) {
    const query = new URL(request.url ?? '/', 'http://x').searchParams.get('token');
    if (query && sameToken(query, token)) return { ok: true };
  }
  return { ok: false };
}

function reject(socket: Duplex, status: number, reason: string, text: string) {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
}

export const createPicoChannel: ChannelFactory = (name, config, deps) => {
  if (config.type !== 'pico') throw new Error(`pico channel given a ${config.type} config`);
  const settings = (config as PicoConfig).settings;
  const connections = new Set<Connection>();
  const counters = { in: 0, out: 0 };
  let lastMessageAt: Date | undefined;
  let state: ChannelStatus['state'] = 'starting';
  let wss: WebSocketServer | undefined;
  let pinger: NodeJS.Timeout | undefined;
  let context: ChannelContext | undefined;

  const frame = (type: string, payload?: Record<string, unknown>, extra: Partial<PicoFrame> = {}): string =>
    JSON.stringify({ type, ...extra, timestamp: Date.now(), ...(payload ? { payload } : {}) });

  function send(socket: WebSocket, data: string) {
    if (socket.readyState === socket.OPEN) socket.send(data);
  }

  /** Sends to every connection that follows the session (several tabs may share one). */
  function broadcast(sessionId: string, type: string, payload?: Record<string, unknown>) {
    const data = frame(type, payload, { session_id: sessionId });
    counters.out++;
    for (const c of connections) if (c.sessions.has(sessionId)) send(c.socket, data);
  }

  function error(socket: WebSocket, code: PicoErrorCode, message: string, requestId?: string) {
    send(socket, frame('error', { code, message, ...(requestId ? { request_id: requestId } : {}) }));
  }

  /** Renders one turn's events as frames, streaming at the configured pace. */
  function renderer(sessionId: string) {
    const throttleMs = settings.streaming.throttle_seconds * 1000;
    const streaming = settings.streaming.enabled;
    let messageId: string | undefined;
    let text = '';
    let sentLength = 0;
    let lastSent = 0;
    /** Who is answering: `model_name`, and `fallback: true` when not the chain's first (an extension of PicoClaw's frames). */
    let by: { model_name?: string; fallback?: true } = {};
    let pendingFlush: NodeJS.Timeout | undefined;
    const toolMessages = new Map<string, { messageId: string; call: Record<string, unknown> }>();
    const flush = () => {
      clearTimeout(pendingFlush);
      pendingFlush = undefined;
      if (!text || text.length === sentLength) return;
      if (!messageId) {
        messageId = randomUUID();
        broadcast(sessionId, 'message.create', { message_id: messageId, content: text, ...by });
      } else broadcast(sessionId, 'message.update', { message_id: messageId, content: text, ...by });
      sentLength = text.length;
      lastSent = Date.now();
    };
    return (event: AgentEvent) => {
      switch (event.type) {
        case 'turn-start':
          broadcast(sessionId, 'typing.start');
          break;
        case 'model':
          by = { model_name: event.name, ...(event.fallback ? { fallback: true as const } : {}) };
          break;
        case 'text-delta':
          text += event.text;
          if (!streaming) break;
          if (text.length - sentLength < settings.streaming.min_growth_chars) break;
          if (Date.now() - lastSent >= throttleMs) flush();
          else pendingFlush ??= setTimeout(flush, throttleMs - (Date.now() - lastSent));
          break;
        case 'tool-call': {
          flush();
          // Text after the tool call is a new message.
          messageId = undefined;
          text = '';
          sentLength = 0;
          const call = { id: event.id, type: 'function', function: { name: event.name, arguments: JSON.stringify(event.arguments).slice(0, 2000) } };
          const id = randomUUID();
          toolMessages.set(event.id, { messageId: id, call });
          broadcast(sessionId, 'message.create', { message_id: id, content: '', kind: 'tool_calls', tool_calls: [call] });
          break;
        }
        case 'tool-result': {
          const entry = toolMessages.get(event.id);
          if (entry) {
            broadcast(sessionId, 'message.update', {
              message_id: entry.messageId,
              content: '',
              kind: 'tool_calls',
              tool_calls: [{ ...entry.call, result: { content: event.content.slice(0, 4000), is_error: event.isError } }],
              ...(event.media?.length ? { media: event.media } : {}),
            });
          }
          break;
        }
        case 'turn-end': {
          clearTimeout(pendingFlush);
          broadcast(sessionId, 'typing.stop');
          const payload = { content: event.text, ...(event.model ? { model_name: event.model, ...(event.fallback ? { fallback: true } : {}) } : {}) };
          if (event.reason === 'error') broadcast(sessionId, 'message.create', { message_id: randomUUID(), ...payload, kind: 'error' });
          else if (event.reason === 'aborted') {
            if (messageId) broadcast(sessionId, 'message.update', { message_id: messageId, content: text, stopped: true });
          } else if (messageId && event.reason !== 'command') broadcast(sessionId, 'message.update', { message_id: messageId, ...payload });
          else if (event.text) broadcast(sessionId, 'message.create', { message_id: randomUUID(), ...payload, ...(event.reason === 'command' ? { kind: 'command' } : {}) });
          break;
        }
      }
    };
  }

  /** Read at each frame and upgrade: a reload that changes agents.defaults.max_media_size applies. */
  const limits = (): PicoFrameLimits => picoFrameLimits(settings.max_frame_bytes, deps.images?.maxBytes());
  const tooLarge = (size: number, limit: number, media: boolean) =>
    `frame of ${size} bytes exceeds the ${limit} byte limit${media ? ` (the images and files of one message may total ${deps.images!.maxBytes()} bytes: agents.defaults.max_media_size)` : ` (channel_list.pico.settings.max_frame_bytes${deps.images ? '; only a message with images or files may be larger' : ''})`}`;

  function onMessage(connection: Connection, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) {
    const socket = connection.socket;
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) return error(socket, 'invalid_message', 'binary frames are not supported; send JSON text');
    const limit = limits();
    // Past the text limit only a frame with images is read at all (checked again after parsing).
    const mayHaveMedia = bytes.length > limit.text && (bytes.includes('"media"') || bytes.includes('"attachments"'));
    if (bytes.length > limit.text && (!mayHaveMedia || bytes.length > limit.frame)) return error(socket, 'message_too_large', tooLarge(bytes.length, mayHaveMedia ? limit.frame : limit.text, mayHaveMedia));
    const parsed = parseClientFrame(bytes.toString('utf8'));
    if (!parsed.ok) return error(socket, parsed.code, parsed.message, parsed.id);
    const { frame: f } = parsed;
    const withMedia = (f.type === 'message.send' || f.type === 'media.send') && (f.payload?.media != null || f.payload?.attachments != null);
    if (bytes.length > limit.text && !withMedia) return error(socket, 'message_too_large', tooLarge(bytes.length, limit.text, false), f.id);
    switch (f.type) {
      case 'ping':
        return send(socket, frame('pong', undefined, f.id ? { id: f.id } : {}));
      case 'message.send':
      case 'media.send': {
        const payload = f.payload ?? {};
        const media = collectMedia(payload);
        if (!media.ok) return error(socket, 'invalid_media', media.message, f.id);
        const content = typeof payload.content === 'string' ? payload.content.trim() : '';
        if (!content && !media.images.length && !media.files.length && !media.audio) return error(socket, 'empty_content', 'message content is empty', f.id);
        if (Buffer.byteLength(content) > limit.text) return error(socket, 'message_too_large', `message content exceeds the ${limit.text} byte limit (channel_list.pico.settings.max_frame_bytes)`, f.id);
        const sessionId = f.session_id ?? connection.sessionId;
        connection.sessions.add(sessionId);
        // A recording is checked (limits, transcription model, its data) before anything is stored.
        const audio = media.audio && checkAudio(media.audio, deps.transcriber);
        if (audio && !audio.ok) return error(socket, 'invalid_media', audio.message, f.id);
        // Images and files are stored first (the session keeps their paths), then the message goes to the agent.
        connection.inbound = connection.inbound.then(async () => {
          const stored = await storeMedia(media, deps).catch((e: Error) => {
            context?.log('warn', `an image or file from the chat could not be stored: ${e.message}`);
            return { ok: false as const, message: 'the attachment could not be stored on the gateway (see the gateway log)' };
          });
          if (!stored.ok) return error(socket, 'invalid_media', stored.message, f.id);
          let text = content;
          if (audio) {
            broadcast(sessionId, 'typing.start');
            const heard = await audio.transcribe(content, context?.signal);
            if (!heard.ok) {
              broadcast(sessionId, 'typing.stop');
              if (heard.code === 'transcription_failed') context?.log('warn', `a recording in pico:${sessionId} was not transcribed: ${heard.message}`);
              return error(socket, heard.code, heard.message, f.id);
            }
            if (heard.echo) broadcast(sessionId, 'message.create', { message_id: randomUUID(), content: heard.echo, kind: 'transcript' });
            text = heard.text;
          }
          counters.in++;
          lastMessageAt = new Date();
          void context!.submit(
            {
              chatId: `pico:${sessionId}`,
              sessionKey: `pico:${sessionId}`,
              senderId: 'pico-user',
              text: withReceivedFiles(stored.files.map((f) => receivedFileLine(f.path, f.bytes, f.mime)), text),
              ...(stored.images.length ? { images: stored.images } : {}),
              ...(stored.files.length ? { files: stored.files.map((f) => f.path) } : {}),
              ...(audio ? { voice: true } : {}),
            },
            renderer(sessionId),
          );
        });
        return;
      }
      default:
        return error(socket, 'unknown_type', `unknown message type: ${f.type.slice(0, 64)}`, f.id);
    }
  }

  function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer) {
    if (state !== 'running' || !wss) return reject(socket, 503, 'Service Unavailable', 'channel not running');
    const origin = request.headers.origin;
    if (origin && settings.allow_origins.length && !settings.allow_origins.includes('*') && !settings.allow_origins.includes(origin)) {
      return reject(socket, 403, 'Forbidden', 'origin not allowed');
    }
    const auth = authenticate(request, settings, deps.picoCredential);
    if (!auth.ok) return reject(socket, 401, 'Unauthorized', 'unauthorized');
    if (connections.size >= settings.max_connections) return reject(socket, 503, 'Service Unavailable', 'too many connections');
    const requested = new URL(request.url ?? '/', 'http://x').searchParams.get('session_id');
    if (requested !== null && !SESSION_ID.test(requested)) return reject(socket, 400, 'Bad Request', 'invalid session_id');
    const sessionId = requested ?? randomUUID();
    // ws reads `options.maxPayload` when it completes an upgrade (ws 8): each connection gets the
    // ceiling of the current max_media_size without restarting the channel.
    wss.options.maxPayload = limits().payload;
    wss.handleUpgrade(request, socket, head, (ws) => {
      const connection: Connection = { socket: ws, sessionId, alive: true, sessions: new Set([sessionId]), inbound: Promise.resolve() };
      connections.add(connection);
      ws.on('pong', () => (connection.alive = true));
      ws.on('message', (data, isBinary) => {
        connection.alive = true;
        try {
          onMessage(connection, data, isBinary);
        } catch (e) {
          context?.log('warn', `frame handling failed: ${(e as Error).message}`);
          error(ws, 'invalid_message', 'the frame could not be handled');
        }
      });
      ws.on('error', (e) => context?.log('debug', `connection error: ${e.message}`));
      ws.on('close', () => connections.delete(connection));
      send(ws, frame('session.ready', { session_id: sessionId }, { session_id: sessionId }));
    });
  }

  const channel: Channel = {
    name,
    type: 'pico',
    async start(ctx) {
      if (!settings.token) throw new Error('pico token is required (channel_list.pico.settings.token; the launcher sets one)');
      context = ctx;
      wss = new WebSocketServer({
        noServer: true,
        // Past this the library closes with 1009; below it we answer too-large frames ourselves.
        // Set again at each upgrade (limits().payload): base64 images need more than text.
        maxPayload: limits().payload,
        handleProtocols: (protocols) => [...protocols].find((p) => p.startsWith('token.')) ?? false,
      });
      ctx.mountUpgrade('/pico/ws', upgrade);
      pinger = setInterval(() => {
        for (const c of connections) {
          if (!c.alive) {
            c.socket.terminate();
            continue;
          }
          c.alive = false;
          c.socket.ping();
        }
      }, Math.max(1, Math.min(settings.ping_interval, settings.read_timeout)) * 1000);
      pinger.unref();
      state = 'running';
    },
    async stop() {
      state = 'stopped';
      clearInterval(pinger);
      context?.mountUpgrade('/pico/ws', undefined);
      for (const c of connections) c.socket.close(1001, 'gateway stopping');
      // ws waits up to 30 s for each client's closing handshake; a stopping gateway waits 2 s.
      const stragglers = setTimeout(() => {
        for (const c of connections) c.socket.terminate();
      }, 2_000);
      await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
      clearTimeout(stragglers);
      connections.clear();
    },
    async send(chatId, text) {
      const sessionId = chatId.startsWith('pico:') ? chatId.slice(5) : chatId;
      if (!SESSION_ID.test(sessionId)) throw new Error(`pico: "${chatId.slice(0, 64)}" is not a session id (1-128 letters, digits or _ . : -)`);
      if (!text.trim()) throw new Error('pico: the message is empty');
      // The same frame as a finished answer; with no tab open the caller's session history keeps it.
      broadcast(sessionId, 'message.create', { message_id: randomUUID(), content: text });
      return { sessionKey: `pico:${sessionId}` };
    },
    targets() {
      const sessions = new Set<string>();
      for (const c of connections) for (const id of c.sessions) sessions.add(id);
      return [...sessions].map((id) => ({ to: id, label: id }));
    },
    status: () => ({
      state,
      detail: `/pico/ws, ${connections.size} connection${connections.size === 1 ? '' : 's'}`,
      messages: { ...counters },
      ...(lastMessageAt ? { lastMessageAt: lastMessageAt.toISOString() } : {}),
    }),
  };
  return channel;
};
