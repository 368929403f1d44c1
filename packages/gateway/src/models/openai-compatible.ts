/**
 * OpenAI-compatible chat completions over HTTP + SSE: OpenRouter, Groq, Gemini's OpenAI
 * endpoint, OpenCode Zen, and local servers (Ollama, vLLM, llama.cpp, LM Studio) by `api_base`.
 * Streaming only; the agent consumes deltas whether or not a channel shows them.
 */
import { httpRequest, PicoError, type HttpResponse } from '@picoclaw/core';
import { brokenStream, fetchFailure, responseFailure } from './http-errors.js';
import { readSseData } from './sse.js';
import { timeoutController } from './timeouts.js';
import type { ChatMessage, FinishReason, LanguageModel, ModelEvent, ModelRequest, ToolCall } from './types.js';

export interface OpenAiCompatibleOptions {
  name: string;
  provider: string;
  modelId: string;
  /** Base URL without `/chat/completions`, e.g. `https://api.groq.com/openai/v1`. */
  apiBase: string;
  apiKey?: string;
  headers?: Record<string, string>;
  extraBody?: Record<string, unknown>;
  /** Request field for the output limit; default `max_tokens` (`max_completion_tokens` for o1/gpt-5/glm). */
  maxTokensField?: string;
  userAgent?: string;
  /** Until the response headers arrive. */
  connectTimeoutMs?: number;
  /** Until the first chunk, and then between chunks. */
  idleTimeoutMs?: number;
}

interface WireChunk {
  choices?: {
    delta?: {
      content?: string | null;
      tool_calls?: { index?: number; id?: string; function?: { name?: string; arguments?: string | object } }[];
    };
    finish_reason?: string | null;
  }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string };
}

export function toWireMessages(messages: ChatMessage[]): unknown[] {
  return messages.map((m) => {
    if (m.role === 'assistant' && m.tool_calls?.length) {
      return {
        role: 'assistant',
        content: m.content || null,
        tool_calls: m.tool_calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })),
      };
    }
    if (m.role === 'tool') return { role: 'tool', tool_call_id: m.tool_call_id, content: m.content };
    if (m.role === 'user' && m.images?.length) {
      return {
        role: 'user',
        content: [
          ...(m.content ? [{ type: 'text', text: m.content }] : []),
          ...m.images.map((i) => ({ type: 'image_url', image_url: { url: `data:${i.mime};base64,${i.data}` } })),
        ],
      };
    }
    return { role: m.role, content: m.content };
  });
}

export function mapFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'stop': case 'end_turn': return 'stop';
    case 'tool_calls': case 'function_call': return 'tool-calls';
    case 'length': case 'max_tokens': return 'length';
    case 'content_filter': return 'content-filter';
    default: return 'other';
  }
}

export function createOpenAiCompatibleModel(options: OpenAiCompatibleOptions): LanguageModel {
  const url = `${options.apiBase.replace(/\/+$/, '')}/chat/completions`;
  let target: URL | undefined; // parsed once, on the first request (a bad api_base fails that request)
  const what = `model ${options.name}`;
  const maxTokensField =
    options.maxTokensField || (/glm|o1|gpt-5/i.test(options.modelId) ? 'max_completion_tokens' : 'max_tokens');
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'text/event-stream',
    'user-agent': options.userAgent ?? 'PicoClaw-TS',
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
    ...options.headers,
  };

  return {
    name: options.name,
    provider: options.provider,
    modelId: options.modelId,
    async *stream(request: ModelRequest, signal?: AbortSignal): AsyncGenerator<ModelEvent> {
      const body = {
        model: options.modelId,
        messages: toWireMessages(request.messages),
        ...(request.tools.length
          ? { tools: request.tools.map((t) => ({ type: 'function', function: t })), tool_choice: 'auto' }
          : {}),
        [maxTokensField]: request.maxTokens,
        temperature: request.temperature,
        stream: true,
        ...options.extraBody,
      };
      const timeouts = timeoutController(signal);
      const fail = (error: unknown) =>
        timeouts.timedOut ? new PicoError('timeout', timeouts.timedOut, { cause: error }) : fetchFailure(error, what, url, signal);
      try {
        target ??= new URL(url);
        timeouts.arm(options.connectTimeoutMs, `${what}: no response from ${target.host} within ${options.connectTimeoutMs} ms`);
        let response: HttpResponse;
        try {
          response = await httpRequest(target, { headers, body: JSON.stringify(body), signal: timeouts.signal });
        } catch (error) {
          throw fail(error);
        }
        if (!response.ok) throw await responseFailure(response, what);

        const idle = `${what}: the stream stalled for ${options.idleTimeoutMs} ms`;
        timeouts.arm(options.idleTimeoutMs, idle);
        const calls = new Map<number, { id: string; name: string; arguments: string }>();
        let finish: FinishReason | undefined;
        let usage: { promptTokens: number; completionTokens: number } | undefined;
        try {
          for await (const data of readSseData(response.body)) {
            timeouts.arm(options.idleTimeoutMs, idle);
            let chunk: WireChunk;
            try {
              chunk = JSON.parse(data) as WireChunk;
            } catch {
              throw new PicoError('remote', `${what}: the stream carried invalid JSON`, { status: 502 });
            }
            if (chunk.error) throw new PicoError('remote', `${what}: ${chunk.error.message ?? 'error in stream'}`, { status: 502 });
            if (chunk.usage) usage = { promptTokens: chunk.usage.prompt_tokens ?? 0, completionTokens: chunk.usage.completion_tokens ?? 0 };
            for (const choice of chunk.choices ?? []) {
              const delta = choice.delta;
              if (delta?.content) yield { type: 'text-delta', text: delta.content };
              for (const part of delta?.tool_calls ?? []) {
                const index = part.index ?? calls.size;
                const call = calls.get(index) ?? { id: '', name: '', arguments: '' };
                if (part.id) call.id = part.id;
                if (part.function?.name) call.name += part.function.name;
                const args = part.function?.arguments;
                if (args !== undefined) call.arguments += typeof args === 'string' ? args : JSON.stringify(args);
                calls.set(index, call);
              }
              if (choice.finish_reason) finish = mapFinishReason(choice.finish_reason);
            }
          }
        } catch (error) {
          throw brokenStream(fail(error));
        }
        if (finish === undefined && calls.size === 0) {
          throw new PicoError('network', `${what}: the stream ended before the answer was complete`);
        }
        for (const [index, call] of [...calls].sort(([a], [b]) => a - b)) {
          const toolCall: ToolCall = { id: call.id || `call_${index}_${Date.now().toString(36)}`, name: call.name, arguments: call.arguments || '{}' };
          yield { type: 'tool-call', call: toolCall };
        }
        yield { type: 'response-end', finishReason: calls.size ? 'tool-calls' : (finish ?? 'stop'), ...(usage ? { usage } : {}) };
      } finally {
        timeouts.dispose();
      }
    },
  };
}
