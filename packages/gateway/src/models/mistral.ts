/**
 * Mistral through the official SDK's standalone functions (`core.js` + `funcs/chatStream.js`),
 * imported on first use: the SDK costs ~280 ms and ~60 MB to load, so a gateway without a
 * Mistral model never pays for it.
 */
import { PicoError, parseRetryAfter } from '@picoclaw/core';
import { brokenStream, fetchFailure } from './http-errors.js';
import { mapFinishReason } from './openai-compatible.js';
import { timeoutController, untilAborted } from './timeouts.js';
import type { ChatMessage, LanguageModel, ModelEvent, ModelRequest } from './types.js';

export interface MistralOptions {
  name: string;
  modelId: string;
  /** API base as in config (`https://api.mistral.ai/v1`); the SDK wants it without `/v1`. */
  apiBase: string;
  apiKey?: string;
  headers?: Record<string, string>;
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
}

type Sdk = {
  MistralCore: typeof import('@mistralai/mistralai/core.js').MistralCore;
  chatStream: typeof import('@mistralai/mistralai/funcs/chatStream.js').chatStream;
  HTTPClient: typeof import('@mistralai/mistralai/lib/http.js').HTTPClient;
};
let sdk: Promise<Sdk> | undefined;
/** Loads the SDK once; the gateway calls this right after it is ready, to warm it up. */
export function loadMistralSdk(): Promise<Sdk> {
  sdk ??= Promise.all([
    import('@mistralai/mistralai/core.js'),
    import('@mistralai/mistralai/funcs/chatStream.js'),
    import('@mistralai/mistralai/lib/http.js'),
  ]).then(([core, funcs, http]) => ({ MistralCore: core.MistralCore, chatStream: funcs.chatStream, HTTPClient: http.HTTPClient }));
  return sdk;
}

function toSdkMessages(messages: ChatMessage[]) {
  return messages.map((m) => {
    switch (m.role) {
      case 'assistant':
        return {
          role: 'assistant' as const,
          content: m.content,
          ...(m.tool_calls?.length
            ? { toolCalls: m.tool_calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })) }
            : {}),
        };
      case 'tool':
        return { role: 'tool' as const, content: m.content, toolCallId: m.tool_call_id, ...(m.name ? { name: m.name } : {}) };
      case 'user':
        if (!m.images?.length) return { role: 'user' as const, content: m.content };
        return {
          role: 'user' as const,
          content: [
            ...(m.content ? [{ type: 'text' as const, text: m.content }] : []),
            ...m.images.map((i) => ({ type: 'image_url' as const, imageUrl: { url: `data:${i.mime};base64,${i.data}` } })),
          ],
        };
      default:
        return { role: m.role, content: m.content };
    }
  });
}

/** Maps the SDK's error classes (by name: they are not exported from the standalone entry). */
function sdkFailure(error: unknown, what: string, url: string, signal: AbortSignal | undefined): PicoError {
  if (error instanceof PicoError) return error;
  const e = error as { name?: string; statusCode?: number; body?: string; headers?: Headers; message?: string; cause?: unknown };
  if (typeof e.statusCode === 'number') {
    let message = e.body ?? e.message ?? '';
    try {
      const json = JSON.parse(message) as { message?: unknown; detail?: unknown };
      message = typeof json.message === 'string' ? json.message : typeof json.detail === 'string' ? json.detail : message;
    } catch {
      // not JSON
    }
    const retryAfterMs = parseRetryAfter(e.headers?.get('retry-after'));
    const hint = e.statusCode === 401 ? ' (check the API key)' : '';
    return new PicoError('remote', `${what}: HTTP ${e.statusCode}: ${message.slice(0, 300)}${hint}`, {
      status: e.statusCode,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      cause: error,
    });
  }
  if (e.name === 'RequestAbortedError' && signal?.aborted) return new PicoError('aborted', `${what}: cancelled`, { cause: error });
  if (e.name === 'RequestTimeoutError') return new PicoError('timeout', `${what}: timed out`, { cause: error });
  return fetchFailure(e.cause ?? error, what, url, signal);
}

export function createMistralModel(options: MistralOptions): LanguageModel {
  const serverURL = options.apiBase.replace(/\/+$/, '').replace(/\/v1$/, '');
  const what = `model ${options.name}`;

  return {
    name: options.name,
    provider: 'mistral',
    modelId: options.modelId,
    async *stream(request: ModelRequest, signal?: AbortSignal): AsyncGenerator<ModelEvent> {
      const { MistralCore, chatStream, HTTPClient } = await loadMistralSdk();
      const timeouts = timeoutController(signal);
      const fail = (error: unknown) =>
        timeouts.timedOut ? new PicoError('timeout', timeouts.timedOut, { cause: error }) : sdkFailure(error, what, serverURL, signal);
      try {
        // A client per request, whose fetch is given this request's signal directly. The SDK
        // clones its Request before fetching, and a cloned Request stops following its signal
        // once garbage collection has run (undici #4068): a model that never answered then hung
        // the turn past every timeout and /stop. Building the client costs microseconds.
        const client = new MistralCore({
          apiKey: options.apiKey ?? '',
          serverURL,
          retryConfig: { strategy: 'none' },
          httpClient: new HTTPClient({ fetcher: (input) => fetch(input, { signal: timeouts.signal }) }),
        });
        timeouts.arm(options.connectTimeoutMs, `${what}: no response from ${serverURL} within ${options.connectTimeoutMs} ms`);
        const result = await chatStream(
          client,
          {
            model: options.modelId,
            messages: toSdkMessages(request.messages),
            ...(request.tools.length ? { tools: request.tools.map((t) => ({ type: 'function' as const, function: t })), toolChoice: 'auto' as const } : {}),
            maxTokens: request.maxTokens,
            temperature: request.temperature,
            stream: true,
          },
          options.headers ? { fetchOptions: { headers: options.headers } } : {},
        ).catch((error: unknown) => {
          throw fail(error);
        });
        if (!result.ok) throw fail(result.error);

        const idle = `${what}: the stream stalled for ${options.idleTimeoutMs} ms`;
        timeouts.arm(options.idleTimeoutMs, idle);
        const calls = new Map<number, { id: string; name: string; arguments: string }>();
        let finish: string | null | undefined;
        let usage: { promptTokens: number; completionTokens: number } | undefined;
        try {
          for await (const event of untilAborted(result.value, timeouts.signal)) {
            timeouts.arm(options.idleTimeoutMs, idle);
            const chunk = event.data;
            if (chunk.usage) usage = { promptTokens: chunk.usage.promptTokens ?? 0, completionTokens: chunk.usage.completionTokens ?? 0 };
            for (const choice of chunk.choices) {
              const content = choice.delta.content;
              const text = typeof content === 'string' ? content : (content ?? []).map((c) => ('text' in c ? c.text : '')).join('');
              if (text) yield { type: 'text-delta', text };
              for (const part of choice.delta.toolCalls ?? []) {
                const index = part.index ?? calls.size;
                const call = calls.get(index) ?? { id: '', name: '', arguments: '' };
                if (part.id && part.id !== 'null') call.id = part.id;
                if (part.function.name) call.name += part.function.name;
                const args = part.function.arguments;
                call.arguments += typeof args === 'string' ? args : JSON.stringify(args);
                calls.set(index, call);
              }
              if (choice.finishReason) finish = choice.finishReason;
            }
          }
        } catch (error) {
          throw brokenStream(fail(error));
        }
        if (finish === undefined && calls.size === 0) throw new PicoError('network', `${what}: the stream ended before the answer was complete`);
        for (const [index, call] of [...calls].sort(([a], [b]) => a - b)) {
          yield { type: 'tool-call', call: { id: call.id || `call_${index}`, name: call.name, arguments: call.arguments || '{}' } };
        }
        yield { type: 'response-end', finishReason: calls.size ? 'tool-calls' : mapFinishReason(finish), ...(usage ? { usage } : {}) };
      } finally {
        timeouts.dispose();
      }
    },
  };
}
