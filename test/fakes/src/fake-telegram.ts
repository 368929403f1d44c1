/**
 * A fake Telegram Bot API: `POST /bot<token>/<method>` with the real reply envelope. Queued
 * updates are served by getUpdates (long polling: an empty answer after ~200 ms); sends and edits
 * are recorded and kept as the chat's messages (an edit that changes nothing is refused with 400
 * "message is not modified", as Telegram does); `failNext` makes the next call of a method fail
 * like Telegram does (429 with retry_after, 409 from another poller, 400 for bad HTML, 401).
 * Files: `addFile` registers bytes under a file_id; `getFile` answers their file_path and
 * `GET /file/bot<token>/<file_path>` serves them (`downloads` records each fetch);
 * `pushVoice` / `pushAudio` send a voice note or an audio file that refers to one.
 * `pushDocument` sends a file as a document; `documents()` lists what the bot sent with sendDocument.
 * `pushPhoto` sends a photo as Telegram does (several sizes of it, each its own file);
 * `pushMessage(…, extra)` sends anything else (a sticker, a video).
 */
import express from 'express';
import { parseMultipart } from './fake-transcription.js';
import { listen } from './listen.js';

export interface SentCall {
  method: string;
  body: Record<string, unknown>;
  at: number;
}

interface Failure {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number };
  /** Only fail calls whose body matches (e.g. parse_mode HTML). */
  when?: (body: Record<string, unknown>) => boolean;
}

/**
 * What a message shows, for the "not modified" check: HTML without markup shows the same as the
 * plain text (Telegram compares the text and its entities, not how they were sent).
 */
function rendered(body: Record<string, unknown>): string {
  const text = String(body.text ?? '');
  if (body.parse_mode !== 'HTML') return `text:${text}`;
  if (/<[a-z]/i.test(text)) return `html:${text}`;
  return `text:${text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&')}`;
}

export async function startFakeTelegram(options: { token?: string; username?: string; onCall?: (call: SentCall) => void } = {}) {
  const token = options.token ?? '123456:TEST-token';
  const updates: Record<string, unknown>[] = [];
  const calls: SentCall[] = [];
  const failures = new Map<string, Failure[]>();
  let nextUpdateId = 1;
  let nextMessageId = 100;
  /** The bot's messages as the chat shows them, by id. */
  const messages = new Map<number, { message_id: number; chat_id: number; text: string; content: string }>();
  let polling: express.Response | undefined;
  /** Answers the pending long poll now (a pushed update reaches the bot at once, as on Telegram). */
  let wake: (() => void) | undefined;
  let conflicts = 0;
  const files = new Map<string, { bytes: Buffer; path: string }>();
  const downloads: string[] = [];
  let nextFile = 1;
  // Uploads (sendVoice, sendDocument…) come as multipart/form-data: fields as strings, files as
  // { filename, type, bytes } so a test sees exactly the bytes sent.
  const multipart: express.RequestHandler = (req, _res, next) => {
    if (!/^multipart\/form-data/i.test(String(req.headers['content-type'] ?? ''))) return next();
    express.raw({ type: () => true, limit: '60mb' })(req, _res, () => {
      const parts = parseMultipart(req.body as Buffer, String(req.headers['content-type']));
      req.body = Object.fromEntries(parts.map((p) => [p.name, p.filename === undefined ? p.data.toString('utf8') : { filename: p.filename, type: p.type, bytes: Buffer.from(p.data) }]));
      next();
    });
  };
  const app = express().use(express.json()).use(multipart);
  app.get('/file/bot:token/*path', (req, res) => {
    if (req.params.token !== token) return void res.status(401).send('Unauthorized');
    const path = ([] as string[]).concat((req.params as { path: string | string[] }).path).join('/');
    downloads.push(path);
    const file = [...files.values()].find((f) => f.path === path);
    if (!file) return void res.status(404).send('Not Found');
    res.type('application/octet-stream').send(file.bytes);
  });
  app.post('/bot:token/:method', (req, res) => {
    const method = req.params.method;
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (req.params.token !== token) return void res.status(401).json({ ok: false, error_code: 401, description: 'Unauthorized' });
    calls.push({ method, body, at: Date.now() });
    options.onCall?.(calls.at(-1)!);
    const queue = failures.get(method);
    const failure = queue?.find((f) => !f.when || f.when(body));
    if (failure) {
      queue!.splice(queue!.indexOf(failure), 1);
      return void res.status(failure.error_code).json({ ok: false, error_code: failure.error_code, description: failure.description, ...(failure.parameters ? { parameters: failure.parameters } : {}) });
    }
    const ok = (result: unknown) => res.json({ ok: true, result });
    switch (method) {
      case 'getMe':
        return ok({ id: 1, is_bot: true, first_name: 'Fake', username: options.username ?? 'fake_bot' });
      case 'getUpdates': {
        // As the real API: a second poller terminates the pending long poll of the first with 409.
        if (polling && !polling.writableEnded) {
          conflicts++;
          polling.status(409).json({ ok: false, error_code: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' });
        }
        const offset = Number(body.offset ?? 0);
        const serve = () => updates.filter((u) => Number(u.update_id) >= offset);
        if (serve().length) return ok(serve());
        polling = res;
        const timer = setTimeout(() => {
          if (!res.writableEnded) ok(serve());
        }, 200);
        wake = () => {
          wake = undefined;
          clearTimeout(timer);
          if (!res.writableEnded) ok(serve());
        };
        res.on('close', () => {
          clearTimeout(timer);
          if (polling === res) polling = undefined;
        });
        return;
      }
      case 'sendMessage': {
        const message = { message_id: nextMessageId++, chat_id: Number(body.chat_id), text: String(body.text), content: rendered(body) };
        messages.set(message.message_id, message);
        return ok({ message_id: message.message_id, date: 0, chat: { id: body.chat_id, type: 'private' }, text: body.text });
      }
      case 'getFile': {
        const file = files.get(String(body.file_id));
        if (!file) return void res.status(400).json({ ok: false, error_code: 400, description: 'Bad Request: invalid file_id' });
        return ok({ file_id: body.file_id, file_unique_id: `u${String(body.file_id)}`, file_size: file.bytes.length, file_path: file.path.replace(/\.lost$/, '') });
      }
      case 'editMessageText': {
        const message = messages.get(Number(body.message_id));
        if (!message || message.chat_id !== Number(body.chat_id)) return void res.status(400).json({ ok: false, error_code: 400, description: 'Bad Request: message to edit not found' });
        // As the real API: an edit that changes nothing is refused (an edit retried after its reply was lost meets this).
        if (message.content === rendered(body)) {
          return void res.status(400).json({ ok: false, error_code: 400, description: 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message' });
        }
        Object.assign(message, { text: String(body.text), content: rendered(body) });
        return ok({ message_id: message.message_id, date: 0, chat: { id: body.chat_id, type: 'private' }, text: body.text });
      }
      default:
        return ok(true);
    }
  });
  const server = await listen(app);
  return {
    ...server,
    token,
    /** apiRoot for telegraf (with the trailing slash it needs). */
    apiRoot: `${server.url}/`,
    calls,
    /** getUpdates requests cut short because another poller came in (two bot instances). */
    conflicts: () => conflicts,
    sent: () => calls.filter((c) => c.method === 'sendMessage' || c.method === 'editMessageText'),
    /** The bot's messages as the user sees them now (each once, whatever the edits and retries). */
    messages: () => [...messages.values()].map(({ message_id, chat_id, text }) => ({ message_id, chat_id, text })),
    pushMessage(text: string, from: { id: number; username?: string } = { id: 42 }, chat: { id: number; type: string; title?: string } = { id: from.id, type: 'private' }, extra: Record<string, unknown> = {}) {
      updates.push({
        update_id: nextUpdateId++,
        message: { message_id: nextMessageId++, date: Math.floor(Date.now() / 1000), chat, from: { id: from.id, is_bot: false, first_name: 'T', ...(from.username ? { username: from.username } : {}) }, text, ...extra },
      });
      wake?.();
    },
    /** Registers bytes the bot can download; returns the file_id to put in a message. */
    addFile(bytes: Buffer, path = `voice/file_${nextFile}.oga`) {
      const id = `file-${nextFile++}`;
      files.set(id, { bytes, path });
      return id;
    },
    /** getFile still answers for the file, but its download is a 404 (a file Telegram lost). */
    loseFile(fileId: string) {
      const file = files.get(fileId);
      if (file) file.path = `${file.path}.lost`;
    },
    /** File paths the bot downloaded, in order. */
    downloads,
    /** A voice note (OGG/Opus) as Telegram sends it: file_size and duration come up front. */
    pushVoice(fileId: string, voice: { duration: number; file_size?: number; caption?: string }, from: { id: number; username?: string } = { id: 42 }, chat: { id: number; type: string; title?: string } = { id: from.id, type: 'private' }) {
      const size = voice.file_size ?? files.get(fileId)?.bytes.length;
      updates.push({
        update_id: nextUpdateId++,
        message: {
          message_id: nextMessageId++, date: Math.floor(Date.now() / 1000), chat, from: { id: from.id, is_bot: false, first_name: 'T', ...(from.username ? { username: from.username } : {}) },
          voice: { file_id: fileId, file_unique_id: `u${fileId}`, duration: voice.duration, mime_type: 'audio/ogg', ...(size !== undefined ? { file_size: size } : {}) },
          ...(voice.caption ? { caption: voice.caption } : {}),
        },
      });
      wake?.();
    },
    /** An audio file (sent as music, not recorded in the chat). */
    pushAudio(fileId: string, audio: { duration: number; file_name?: string; mime_type?: string; file_size?: number }, from: { id: number; username?: string } = { id: 42 }) {
      const size = audio.file_size ?? files.get(fileId)?.bytes.length;
      updates.push({
        update_id: nextUpdateId++,
        message: {
          message_id: nextMessageId++, date: Math.floor(Date.now() / 1000), chat: { id: from.id, type: 'private' }, from: { id: from.id, is_bot: false, first_name: 'T', ...(from.username ? { username: from.username } : {}) },
          audio: { file_id: fileId, file_unique_id: `u${fileId}`, duration: audio.duration, mime_type: audio.mime_type ?? 'audio/mpeg', ...(audio.file_name ? { file_name: audio.file_name } : {}), ...(size !== undefined ? { file_size: size } : {}) },
        },
      });
      wake?.();
    },
    /** A file sent as a document (caption optional); file_size comes up front as on Telegram. */
    pushDocument(fileId: string, document: { file_name?: string; mime_type?: string; file_size?: number; caption?: string }, from: { id: number; username?: string } = { id: 42 }, chat: { id: number; type: string; title?: string } = { id: from.id, type: 'private' }) {
      const size = document.file_size ?? files.get(fileId)?.bytes.length;
      const { caption, ...rest } = document;
      updates.push({
        update_id: nextUpdateId++,
        message: {
          message_id: nextMessageId++, date: Math.floor(Date.now() / 1000), chat, from: { id: from.id, is_bot: false, first_name: 'T', ...(from.username ? { username: from.username } : {}) },
          document: { file_id: fileId, file_unique_id: `u${fileId}`, ...rest, ...(size !== undefined ? { file_size: size } : {}) },
          ...(caption ? { caption } : {}),
        },
      });
      wake?.();
    },
    /**
     * A photo: Telegram sends every size it keeps (smallest first), each a file of its own, with
     * width, height and, as a rule, file_size (the file's length unless given).
     */
    pushPhoto(sizes: { fileId: string; width: number; height: number; file_size?: number }[], photo: { caption?: string } = {}, from: { id: number; username?: string } = { id: 42 }, chat: { id: number; type: string; title?: string } = { id: from.id, type: 'private' }, extra: Record<string, unknown> = {}) {
      updates.push({
        update_id: nextUpdateId++,
        message: {
          message_id: nextMessageId++, date: Math.floor(Date.now() / 1000), chat, from: { id: from.id, is_bot: false, first_name: 'T', ...(from.username ? { username: from.username } : {}) },
          photo: sizes.map(({ fileId, width, height, file_size }) => {
            const size = file_size ?? files.get(fileId)?.bytes.length;
            return { file_id: fileId, file_unique_id: `u${fileId}`, width, height, ...(size !== undefined ? { file_size: size } : {}) };
          }),
          ...(photo.caption ? { caption: photo.caption } : {}),
          ...extra,
        },
      });
      wake?.();
    },
    /** Documents the bot sent (sendDocument, multipart): chat, file name and the exact bytes. */
    documents: () =>
      calls
        .filter((c) => c.method === 'sendDocument')
        .map((c) => {
          const file = c.body.document as { filename?: string; bytes?: Buffer } | undefined;
          return { chat_id: Number(c.body.chat_id), filename: file?.filename ?? '', bytes: file?.bytes ?? Buffer.alloc(0) };
        }),
    failNext(method: string, failure: Failure) {
      failures.set(method, [...(failures.get(method) ?? []), failure]);
    },
  };
}

export type FakeTelegram = Awaited<ReturnType<typeof startFakeTelegram>>;
