/**
 * A scripted OpenAI/Mistral chat-completions server. One route serves the Mistral SDK
 * (`<serverURL>/v1/chat/completions`) and OpenAI-compatible clients (`<baseURL>/chat/completions`).
 * Each request consumes the next scripted turn; every request is recorded for assertions.
 */
import express from 'express';
import { listen } from './listen.js';

export interface ScriptedToolCall {
  id: string;
  name: string;
  arguments: string;
}

export type FakeTurn =
  | {
      text?: string[];
      toolCalls?: ScriptedToolCall[];
      /** Milliseconds to wait before each chunk. */
      delayMs?: number;
      /** End the response abruptly after this many text chunks (a cut stream). */
      cutAfter?: number;
      usage?: { prompt_tokens: number; completion_tokens: number };
    }
  | { status: number; headers?: Record<string, string>; body?: unknown }
  /** Accept the request and never answer. */
  | { hang: true };

export interface RecordedRequest {
  path: string;
  authorization?: string;
  headers: Record<string, string | string[] | undefined>;
  body: {
    model: string;
    messages: { role: string; content?: unknown; tool_calls?: unknown; tool_call_id?: string }[];
    tools?: { type: string; function: { name: string; description?: string; parameters?: unknown } }[];
    stream?: boolean;
    [key: string]: unknown;
  };
}

export interface FakeLlmOptions {
  fallbackText?: string;
  /** When the script is exhausted, answer "you said: <last user message>". */
  echo?: boolean;
  /** When the script is exhausted, answer with what this returns for the request (e.g. a digest of the history). */
  answer?: (body: RecordedRequest['body']) => string | Exclude<FakeTurn, { hang: true }>;
  /** Milliseconds every unscripted answer waits before its first byte (a model's own time). */
  answerDelayMs?: number;
  /** Keep every request for assertions (default true; off for long benchmarks). */
  record?: boolean;
}

export async function startFakeLlm(turns: FakeTurn[] = [], options: FakeLlmOptions = {}) {
  const requests: RecordedRequest[] = [];
  let served = 0;
  const script = [...turns];
  // The model's own time: from the request's first byte here to the answer's first byte, summed
  // over all requests, so a benchmark can subtract it from what it measures around the model.
  let modelMs = 0;
  const arrived = new WeakMap<object, number>();
  const app = express()
    .use((req, _res, next) => {
      arrived.set(req, performance.now());
      next();
    })
    .use(express.json({ limit: '10mb' }));
  app.post(/\/chat\/completions$/, (req, res) => {
    served++;
    const start = arrived.get(req) ?? performance.now();
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const json = res.json.bind(res);
    let first = true;
    const firstByte = () => {
      if (first) modelMs += performance.now() - start;
      first = false;
    };
    res.write = ((...args: unknown[]) => {
      firstByte();
      return write(...args);
    }) as typeof res.write;
    res.json = ((body: unknown) => {
      firstByte();
      return json(body);
    }) as typeof res.json;
    if (options.record !== false) requests.push({ path: req.path, authorization: req.headers.authorization, headers: req.headers, body: req.body });
    const lastUser = [...(req.body?.messages ?? [])].reverse().find((m: { role: string }) => m.role === 'user') as { content?: unknown } | undefined;
    const unscripted = (): FakeTurn => {
      // A message with images has content parts: the echo repeats its text.
      const said = Array.isArray(lastUser?.content) ? (lastUser.content as { type?: string; text?: string }[]).filter((p) => p.type === 'text').map((p) => p.text).join('') : String(lastUser?.content ?? '');
      const answer = options.answer ? options.answer(req.body) : options.echo ? `you said: ${said}` : (options.fallbackText ?? '(script exhausted)');
      return typeof answer === 'string' ? { text: [answer] } : answer;
    };
    const scripted = script.shift();
    const turn: FakeTurn = scripted ?? unscripted();
    if ('hang' in turn) return;
    const lead = scripted ? 0 : (options.answerDelayMs ?? 0);
    if (lead) setTimeout(() => respond(req, res, turn), lead);
    else respond(req, res, turn);
  });

  function respond(req: express.Request, res: express.Response, turn: Exclude<FakeTurn, { hang: true }>) {
    if ('status' in turn) {
      res.status(turn.status).set(turn.headers ?? {}).json(turn.body ?? { error: { message: `scripted ${turn.status}` } });
      return;
    }
    const calls = (turn.toolCalls ?? []).map((c, index) => ({ index, id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
    const finish = calls.length ? 'tool_calls' : 'stop';
    if (req.body?.stream !== true) {
      res.json({
        id: 'fake', object: 'chat.completion', created: 0, model: req.body?.model,
        choices: [{ index: 0, finish_reason: finish, message: { role: 'assistant', content: (turn.text ?? []).join(''), tool_calls: calls.length ? calls : undefined } }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2, ...turn.usage },
      });
      return;
    }
    const chunk = (delta: object, finishReason: string | null, extra: object = {}) =>
      `data: ${JSON.stringify({ id: 'fake', object: 'chat.completion.chunk', created: 0, model: req.body.model, choices: [{ index: 0, delta, finish_reason: finishReason }], ...extra })}\n\n`;
    res.setHeader('content-type', 'text/event-stream');
    res.setHeader('cache-control', 'no-cache');
    void (async () => {
      const wait = () => (turn.delayMs ? new Promise((r) => setTimeout(r, turn.delayMs)) : Promise.resolve());
      res.write(chunk({ role: 'assistant', content: '' }, null));
      let sent = 0;
      for (const text of turn.text ?? []) {
        await wait();
        if (res.destroyed) return;
        if (turn.cutAfter !== undefined && sent >= turn.cutAfter) {
          // Let what was written reach the client before the connection drops.
          await new Promise((r) => setTimeout(r, 30));
          res.socket?.destroy();
          return;
        }
        res.write(chunk({ content: text }, null));
        sent++;
      }
      await wait();
      res.write(chunk(calls.length ? { tool_calls: calls } : {}, finish, { usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2, ...turn.usage } }));
      res.end('data: [DONE]\n\n');
    })();
  }
  const server = await listen(app);
  return {
    ...server,
    requests,
    /** Milliseconds spent by the model itself (arrival → first answer byte), summed over all requests. */
    get modelMs() {
      return modelMs;
    },
    /** Requests answered so far (also when not recorded). */
    get served() {
      return served;
    },
    /** Appends more scripted turns. */
    push: (...more: FakeTurn[]) => script.push(...more),
    get pending() {
      return script.length;
    },
  };
}

export type FakeLlm = Awaited<ReturnType<typeof startFakeLlm>>;
