/**
 * One turn of the agent: model → tool calls → model … until an answer without tool calls, the
 * iteration bound, cancellation or a failure. Every message is persisted as soon as it exists
 * (`persist`), so a crash mid-turn leaves a valid session; events stream to the channel (`emit`).
 */
import { isPicoError } from '@picoclaw/core';
import type { ChatMessage, ImagePart, LanguageModel, ToolCall, ToolDefinition } from '../models/types.js';
import type { StoredMessage } from '../sessions/session-store.js';
import type { Tool, ToolContext, ToolResult } from '../tools/types.js';
import type { AgentEvent } from './events.js';
import { NO_VISION } from '../models/model-registry.js';
import { estimateTokens, trimToBudget } from './history.js';

export interface TurnInput {
  turnId: string;
  model: LanguageModel;
  systemPrompt: string;
  history: ChatMessage[];
  userText: string;
  /** Images sent with the question: their stored paths (saved with it) and their bytes (for the model). */
  userImages?: { paths: string[]; images: ImagePart[] };
  /** Inbox paths of files sent with the question (already named in `userText`): saved with it. */
  userFiles?: string[];
  /**
   * The model for calls that carry images (the question's, or a tool's such as a camera snapshot);
   * undefined when none can see images. Asked for only when a call carries images.
   */
  visionModel?: () => LanguageModel | undefined;
  /** Stores an image a tool returned; resolves with its workspace path (kept on the tool message). */
  saveImage?: (image: ImagePart) => Promise<string>;
  tools: readonly Tool[];
  /** The tools after a tool step (MCP discovery may have unlocked some); without it `tools` stay. */
  refreshTools?: () => readonly Tool[];
  maxIterations: number;
  maxTokens: number;
  temperature: number;
  /** Tokens the model accepts in all; the history is trimmed to fit with room for the answer. */
  contextWindow: number;
  signal: AbortSignal;
  toolContext: Omit<ToolContext, 'signal'>;
  persist(messages: StoredMessage[]): Promise<void>;
  emit(event: AgentEvent): void;
  /** The secret masker, for tool errors (an MCP server may echo its token) before the model and the chat see them. */
  mask?: (text: string) => string;
  log?: (level: 'info' | 'warn' | 'debug', message: string, meta?: Record<string, unknown>) => void;
}

export interface TurnOutcome {
  text: string;
  reason: 'stop' | 'max-iterations' | 'aborted' | 'error';
  model?: string;
  fallback?: boolean;
  /** Every message this turn saved, the question first (so the caller need not reload the session). */
  saved: StoredMessage[];
}

/** How long the question waits to be saved with the model's first message (see runTurn). */
const QUESTION_SAVE_DELAY_MS = 100;

/**
 * Tool calls executed per model message. A model talked into it by a poisoned page or entity
 * name once made 1,000 write_file calls in one message; PicoClaw has no setting for this, and a
 * legitimate step rarely needs more than a handful. The calls over the cap are answered (every
 * call needs its result for the history to stay valid) but not run.
 */
export const MAX_TOOL_CALLS_PER_MESSAGE = 20;

const EMPTY_ANSWER = 'The model returned an empty response. This may indicate a provider error or token limit.';

function parseArguments(raw: string): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  if (!raw.trim()) return { ok: true, value: {} };
  try {
    let value: unknown = JSON.parse(raw);
    if (typeof value === 'string') value = JSON.parse(value); // double-encoded, as some providers send
    if (value === null) return { ok: true, value: {} };
    if (typeof value !== 'object' || Array.isArray(value)) return { ok: false, error: 'arguments must be a JSON object' };
    return { ok: true, value: value as Record<string, unknown> };
  } catch {
    return { ok: false, error: `arguments are not valid JSON: ${raw.slice(0, 200)}` };
  }
}

/**
 * The tools as the model sees them, by name in code-point order (a stable prompt; no ICU
 * collation per turn). The last list is kept: the tools rarely change between turns.
 */
let lastTools: { tools: readonly Tool[]; definitions: ToolDefinition[] } | undefined;
function toolDefinitions(tools: readonly Tool[]): ToolDefinition[] {
  if (lastTools && lastTools.tools.length === tools.length && tools.every((t, i) => t === lastTools!.tools[i])) return lastTools.definitions;
  const definitions = tools.map((t) => ({ name: t.name, description: t.description, parameters: t.parameters })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  lastTools = { tools: [...tools], definitions };
  return definitions;
}

export async function runTurn(input: TurnInput): Promise<TurnOutcome> {
  const definitions = toolDefinitions(input.tools);
  const byName = new Map(input.tools.map((t) => [t.name, t]));
  const images = input.userImages;
  const user: ChatMessage = { role: 'user', content: input.userText, ...(images?.images.length ? { images: images.images } : {}) };
  // The question is saved with the model's first message (its answer or tool call), in one
  // write, or on its own after QUESTION_SAVE_DELAY_MS if the model is slower: a quick turn
  // costs one file write instead of two and no file work comes before the first answer byte,
  // while a crash mid-turn still finds the question in the file. Saves run one after another,
  // so the session's order holds, and a failed save still fails the turn.
  const question: StoredMessage = { role: 'user', content: input.userText, ...(images?.paths.length ? { media: images.paths } : {}), ...(input.userFiles?.length ? { files: input.userFiles } : {}), created_at: new Date().toISOString() };
  const saved: StoredMessage[] = [question];
  let saving: Promise<void> = Promise.resolve();
  let questionSaved = false;
  const timer = setTimeout(() => save([]), QUESTION_SAVE_DELAY_MS);
  const save = (messages: StoredMessage[]) => {
    const batch = questionSaved ? messages : [question, ...messages];
    questionSaved = true;
    clearTimeout(timer);
    saving = saving.then(() => input.persist(batch));
    saving.catch(() => {}); // observed by the next save, or below
    return saving;
  };
  const persist = (messages: StoredMessage[]) => {
    saved.push(...messages);
    return save(messages);
  };
  try {
    const outcome = await converse(input, user, definitions, byName, persist);
    return { ...outcome, saved };
  } finally {
    if (!questionSaved) save([]);
    await saving;
  }
}

/** At most this many images a tool result shows the model (a camera tool returning a burst). */
const MAX_TOOL_IMAGES = 4;

/**
 * Stores a tool's images and queues them for the model (`shown`) when a vision model exists; with
 * none, or when storing fails, the tool's text says so instead (the model must not guess).
 */
async function toolImages(input: TurnInput, images: ImagePart[], shown: ImagePart[]): Promise<{ paths: string[]; note?: string }> {
  if (!input.visionModel?.() || !input.saveImage) return { paths: [], note: '[The tool returned an image, but no vision model is configured (agents.defaults.image_model), so it cannot be shown.]' };
  const paths: string[] = [];
  const notes: string[] = [];
  for (const image of images.slice(0, MAX_TOOL_IMAGES)) {
    try {
      paths.push(await input.saveImage(image));
      shown.push(image);
    } catch (error) {
      notes.push(`[An image the tool returned was not shown: ${error instanceof Error ? error.message : String(error)}]`);
    }
  }
  if (images.length > MAX_TOOL_IMAGES) notes.push(`[The tool returned ${images.length} images; the first ${MAX_TOOL_IMAGES} are shown.]`);
  return { paths, ...(notes.length ? { note: notes.join('\n') } : {}) };
}

/** The model ↔ tools loop of one turn. */
async function converse(
  input: TurnInput,
  user: ChatMessage,
  definitions: ToolDefinition[],
  byName: Map<string, Tool>,
  persist: (messages: StoredMessage[]) => Promise<void>,
): Promise<Omit<TurnOutcome, 'saved'>> {
  const { emit, signal } = input;

  // Room for: the system prompt, the tool definitions, the new message and the answer.
  const fixed = estimateTokens([{ role: 'system', content: input.systemPrompt }, user], definitions);
  const budget = Math.max(0, input.contextWindow - input.maxTokens - fixed);
  const trimmed = trimToBudget(input.history, budget);
  if (trimmed.dropped) input.log?.('info', `context window: left out the ${trimmed.dropped} oldest messages of this session`);
  const messages: ChatMessage[] = [{ role: 'system', content: input.systemPrompt }, ...trimmed.messages, user];

  let model: string | undefined;
  let fallback = false;
  /** Who answered, as saved with the messages and told the caller. */
  const answeredBy = () => (model ? { model_name: model, ...(fallback ? { fallback: true } : {}) } : {});
  const outcomeBy = () => (model ? { model, ...(fallback ? { fallback: true } : {}) } : {});
  let partial = '';
  // Once a call carries images, the rest of the turn goes to the vision model (it must see them).
  let seeing = user.role === 'user' && user.images !== undefined;
  for (let iteration = 0; iteration < input.maxIterations; iteration++) {
    let text = '';
    const calls: ToolCall[] = [];
    const speaker = seeing ? input.visionModel?.() : input.model;
    try {
      if (!speaker) throw new Error(NO_VISION);
      for await (const event of speaker.stream({ messages, tools: definitions, maxTokens: input.maxTokens, temperature: input.temperature }, signal)) {
        switch (event.type) {
          case 'response-start':
            if (event.model !== model) {
              model = event.model;
              fallback = event.fallback === true;
              emit({ type: 'model', name: model, ...(fallback ? { fallback } : {}) });
            }
            break;
          case 'text-delta':
            text += event.text;
            partial += event.text;
            emit({ type: 'text-delta', text: event.text });
            break;
          case 'tool-call':
            calls.push(event.call);
            break;
          case 'response-end':
            break;
        }
      }
    } catch (error) {
      if (signal.aborted || isPicoError(error, 'aborted')) {
        if (text) await persist([{ role: 'assistant', content: `${text} [stopped]`, ...answeredBy() }]);
        return { text: partial, reason: 'aborted', ...outcomeBy() };
      }
      const message = error instanceof Error ? error.message : String(error);
      input.log?.('warn', `turn ${input.turnId} failed: ${message}`);
      return { text: message, reason: 'error', ...outcomeBy() };
    }

    if (calls.length === 0) {
      const answer = text.trim() ? text : EMPTY_ANSWER;
      await persist([{ role: 'assistant', content: answer, ...answeredBy() }]);
      return { text: answer, reason: 'stop', ...outcomeBy() };
    }

    const assistant: ChatMessage = { role: 'assistant', content: text, tool_calls: calls };
    messages.push(assistant);
    await persist([{ ...assistant, ...answeredBy() }]);
    const over = calls.slice(MAX_TOOL_CALLS_PER_MESSAGE);
    const shown: ImagePart[] = [];
    for (const call of calls.slice(0, MAX_TOOL_CALLS_PER_MESSAGE)) {
      const parsed = parseArguments(call.arguments);
      emit({ type: 'tool-call', id: call.id, name: call.name, arguments: parsed.ok ? parsed.value : call.arguments });
      const tool = byName.get(call.name);
      let result: ToolResult;
      if (signal.aborted) result = { content: 'Skipped: the turn was stopped.', isError: true };
      else if (!tool) result = { content: `tool "${call.name}" not found`, isError: true };
      else if (!parsed.ok) result = { content: `invalid arguments for tool "${call.name}": ${parsed.error}`, isError: true };
      else {
        try {
          result = await tool.execute(parsed.value, { ...input.toolContext, signal });
        } catch (error) {
          result = { content: `Tool '${call.name}' failed: ${error instanceof Error ? error.message : String(error)}`, isError: true };
        }
      }
      if (result.isError && input.mask) result = { ...result, content: input.mask(result.content) };
      const media = result.images?.length ? await toolImages(input, result.images, shown) : undefined;
      if (media?.note) result = { ...result, content: `${result.content}\n${media.note}` };
      emit({ type: 'tool-result', id: call.id, name: call.name, content: result.content, isError: result.isError === true, ...(media?.paths.length ? { media: media.paths } : {}) });
      const message: ChatMessage = { role: 'tool', tool_call_id: call.id, name: call.name, content: result.content };
      messages.push(message);
      await persist([{ ...message, ...(media?.paths.length ? { media: media.paths } : {}) }]);
    }
    if (over.length) {
      // Not shown to the channel (nothing ran) and saved in one write, however many there are.
      input.log?.('warn', `turn ${input.turnId}: the model made ${calls.length} tool calls in one message; ran the first ${MAX_TOOL_CALLS_PER_MESSAGE}, refused ${over.length}`);
      const content = `not run: a model message may make at most ${MAX_TOOL_CALLS_PER_MESSAGE} tool calls; make the remaining calls in your next step`;
      const refused = over.map((call): ChatMessage => ({ role: 'tool', tool_call_id: call.id, name: call.name, content }));
      messages.push(...refused);
      await persist(refused);
    }
    if (shown.length) {
      // Tool messages take text only (OpenAI, Mistral): the images follow the block of results as
      // a user message, as PicoClaw does. Kept for this turn only; the session keeps their paths.
      messages.push({ role: 'user', content: '[Loaded image from tool result above]', images: shown });
      seeing = true;
    }
    if (signal.aborted) return { text: partial, reason: 'aborted', ...outcomeBy() };
    if (input.refreshTools) {
      const next = input.refreshTools();
      definitions = toolDefinitions(next);
      byName = new Map(next.map((t) => [t.name, t]));
    }
  }
  const text = `I've reached \`max_tool_iterations\` (${input.maxIterations}) without a final response. Increase \`agents.defaults.max_tool_iterations\` in config.json if this task needs more tool steps.`;
  await persist([{ role: 'assistant', content: text }]);
  return { text, reason: 'max-iterations', ...outcomeBy() };
}
