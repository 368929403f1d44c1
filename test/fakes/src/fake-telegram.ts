/**
 * A fake Telegram Bot API: `POST /bot<token>/<method>` with the real reply envelope. Queued
 * updates are served by getUpdates (long polling: an empty answer after ~200 ms); sends and edits
 * are recorded; `failNext` makes the next call of a method fail like Telegram does (429 with
 * retry_after, 409 from another poller, 400 for bad HTML, 401).
 */
import express from 'express';
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

export async function startFakeTelegram(options: { token?: string; username?: string } = {}) {
  const token = options.token ?? '123456:TEST-token';
  const updates: Record<string, unknown>[] = [];
  const calls: SentCall[] = [];
  const failures = new Map<string, Failure[]>();
  let nextUpdateId = 1;
  let nextMessageId = 100;
  let polling: express.Response | undefined;
  let conflicts = 0;
  const app = express().use(express.json());
  app.post('/bot:token/:method', (req, res) => {
    const method = req.params.method;
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (req.params.token !== token) return void res.status(401).json({ ok: false, error_code: 401, description: 'Unauthorized' });
    calls.push({ method, body, at: Date.now() });
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
        res.on('close', () => {
          clearTimeout(timer);
          if (polling === res) polling = undefined;
        });
        return;
      }
      case 'sendMessage':
      case 'editMessageText':
        return ok({ message_id: method === 'sendMessage' ? nextMessageId++ : body.message_id, date: 0, chat: { id: body.chat_id, type: 'private' }, text: body.text });
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
    pushMessage(text: string, from: { id: number; username?: string } = { id: 42 }, chat: { id: number; type: string; title?: string } = { id: from.id, type: 'private' }, extra: Record<string, unknown> = {}) {
      updates.push({
        update_id: nextUpdateId++,
        message: { message_id: nextMessageId++, date: Math.floor(Date.now() / 1000), chat, from: { id: from.id, is_bot: false, first_name: 'T', ...(from.username ? { username: from.username } : {}) }, text, ...extra },
      });
    },
    failNext(method: string, failure: Failure) {
      failures.set(method, [...(failures.get(method) ?? []), failure]);
    },
  };
}

export type FakeTelegram = Awaited<ReturnType<typeof startFakeTelegram>>;
