/**
 * The model contract: one streaming interface every provider adapter implements, and the
 * fallback chain implements too. Events are small and named noun-verb.
 */

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text of the arguments, as the model produced it. */
  arguments: string;
}

/** An image for the model: its type and its bytes in base64 (providers send it as a data URL). */
export interface ImagePart {
  mime: string;
  data: string;
}

export type ChatMessage =
  | { role: 'system'; content: string }
  /** `images` only on the messages of the turn being answered; history carries `[image: path]` tags instead. */
  | { role: 'user'; content: string; images?: ImagePart[] }
  | { role: 'assistant'; content: string; tool_calls?: ToolCall[] }
  | { role: 'tool'; content: string; tool_call_id: string; name?: string };

export interface ToolDefinition {
  name: string;
  description: string;
  /** JSON Schema of an object. */
  parameters: Record<string, unknown>;
}

export interface ModelRequest {
  messages: ChatMessage[];
  tools: ToolDefinition[];
  maxTokens: number;
  temperature: number;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

export type FinishReason = 'stop' | 'tool-calls' | 'length' | 'content-filter' | 'other';

export type ModelEvent =
  /**
   * Emitted by the fallback chain before the first output of the candidate that answers;
   * `fallback` when it is not the chain's first (those before it failed or are cooling down).
   */
  | { type: 'response-start'; model: string; fallback?: boolean }
  | { type: 'text-delta'; text: string }
  | { type: 'tool-call'; call: ToolCall }
  | { type: 'response-end'; finishReason: FinishReason; usage?: Usage };

export interface LanguageModel {
  /** The model_list alias (model_name) this model answers to. */
  readonly name: string;
  readonly provider: string;
  readonly modelId: string;
  /**
   * Streams one completion. Errors are PicoErrors (`remote` with the HTTP status, `network`,
   * `timeout`, `aborted`) so the fallback chain can classify them; nothing is retried here.
   */
  stream(request: ModelRequest, signal?: AbortSignal): AsyncIterable<ModelEvent>;
}
