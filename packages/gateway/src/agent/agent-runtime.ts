/**
 * The agent runtime: takes inbound messages from every channel, runs one turn at a time per
 * session (others wait in that session's queue), up to `max_parallel_turns` sessions at once,
 * and streams each turn's events back to the channel that asked.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '@picoclaw/core';
import type { ModelRegistry } from '../models/model-registry.js';
import type { ImagePart } from '../models/types.js';
import type { ImageStore } from '../media/image-store.js';
import type { SessionStore } from '../sessions/session-store.js';
import type { Tool } from '../tools/types.js';
import { commands, parseCommand, type CommandContext } from './commands.js';
import type { AgentEvent, AgentSink } from './events.js';
import { sanitizeHistory } from './history.js';
import { runTurn } from './run-turn.js';
import { buildSystemPrompt } from './system-prompt.js';
import { needsSummary, summarizeSession } from './summarize.js';

export interface InboundMessage {
  /** Channel instance name (config key), e.g. `telegram`, `mqtt`, `pico`. */
  channel: string;
  chatId: string;
  /** Conversation identity; the same key continues the same history. */
  sessionKey: string;
  senderId?: string;
  senderName?: string;
  text: string;
  /**
   * Images sent with the message, already stored (ImageStore.save: `media/images/…` paths); `text`
   * may then be empty. The turn goes to a model that can see images, or is answered with a
   * sentence saying none is configured.
   */
  images?: string[];
  /**
   * Files sent with the message, already in the inbox (MediaInbox.save: `media/inbox/…` paths,
   * announced in `text` by media/received-file.ts); kept on the stored question for the dashboard.
   */
  files?: string[];
  /** The text is a transcribed voice note (voice replies may answer it with one). */
  voice?: boolean;
  /** An installed skill forced for this turn (`/use <skill> <message>`): its SKILL.md joins the system prompt. */
  skill?: string;
  /**
   * A turn with no history: nothing is read from or written to the session (scheduled jobs and
   * the heartbeat run so, and deliver what they want kept with `record`).
   */
  ephemeral?: boolean;
}

export interface RuntimeDeps {
  config(): Config;
  models(): ModelRegistry;
  /**
   * The tools a turn may use (all of them without a turn, for /tools); asked again after each
   * tool step (`afterStep`), since MCP tool discovery unlocks tools during a turn.
   */
  tools(turn?: InboundMessage, afterStep?: boolean): readonly Tool[];
  store: SessionStore;
  /** Where images sent with messages and returned by tools are kept; without it images are not shown to models. */
  images?: ImageStore;
  /** Lines for /status and /mcp. */
  describe?: { status(): string; mcp(): string };
  /** Installed skills (skills/skills.ts): the prompt's catalog and `/use`. */
  skills?: {
    promptBlock(): Promise<string | undefined>;
    activeBlock(name: string): Promise<string | undefined>;
    use(args: string): Promise<{ reply: string } | { skill: string; text?: string }>;
  };
  /** `/voice [on|off|auto]` (media/voice-replies.ts). */
  voice?: (message: InboundMessage, args: string) => Promise<string>;
  log?: (level: 'info' | 'warn' | 'error' | 'debug', message: string, meta?: Record<string, unknown>) => void;
  now?: () => Date;
  version?: string;
  /** Whole-turn limit. */
  turnTimeoutMs?: number;
  /**
   * The secret masker, for error texts that leave the process (to the chat, and as tool results to
   * the model): a provider or MCP server may echo a key or token in its error.
   */
  mask?: (text: string) => string;
}

export interface AgentRuntime {
  /** Resolves when the message has been answered (or the command run). Never rejects. */
  submit(message: InboundMessage, sink: AgentSink): Promise<void>;
  stop(sessionKey: string): boolean;
  /**
   * Adds an assistant message to a session's history (a scheduled job's delivery, so the next
   * question in that chat has it in context), after the session's running turn if there is one.
   */
  record(sessionKey: string, text: string): Promise<void>;
  readonly activeTurns: number;
  /** Stops taking messages, waits up to `graceMs` for running turns, then aborts them. */
  close(graceMs: number): Promise<void>;
}

/** A counting semaphore for turns across sessions. */
function semaphore(limit: () => number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return {
    async acquire() {
      if (active >= limit()) await new Promise<void>((resolve) => waiting.push(resolve));
      active++;
    },
    release() {
      active--;
      waiting.shift()?.();
    },
  };
}

export function createAgentRuntime(deps: RuntimeDeps): AgentRuntime {
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? (() => {});
  const mask = deps.mask ?? ((text: string) => text);
  const queues = new Map<string, Promise<void>>();
  const running = new Map<string, AbortController>();
  const modelOverrides = new Map<string, string>();
  /** Skills armed with `/use <skill>` for the session's next message. */
  const pendingSkills = new Map<string, string>();
  const slots = semaphore(() => deps.config().agents.defaults.max_parallel_turns);
  const inFlight = new Set<Promise<void>>();
  let closing = false;
  let aborting = false;

  const currentModel = (key: string) => modelOverrides.get(key) ?? deps.models().defaultModel;

  function commandContext(message: InboundMessage, args: string): CommandContext {
    const key = message.sessionKey;
    return {
      sessionKey: key,
      args,
      stop: () => stop(key),
      clear: () => deps.store.clear(key),
      currentModel: () => currentModel(key) || '(none configured)',
      setModel(name) {
        if (name === undefined) {
          modelOverrides.delete(key);
          return undefined;
        }
        if (!deps.models().has(name)) return `Unknown model "${name}". Available: ${deps.models().list().filter((m) => m.enabled).map((m) => m.name).join(', ') || '(none)'}`;
        modelOverrides.set(key, name);
        return undefined;
      },
      models() {
        const status = new Map(deps.models().status().map((s) => [s.name, s]));
        const lines = deps.models().list().map((m) => {
          const s = status.get(m.name);
          const state = m.problem ?? (s?.state === 'cooling-down' ? `cooling down after: ${s.lastError}` : 'ready');
          return `${m.name === currentModel(key) ? '▸' : '•'} ${m.name} (${m.model}) — ${state}`;
        });
        return lines.length ? lines.join('\n') : 'No models are configured.';
      },
      tools() {
        const tools = deps.tools();
        return tools.length ? tools.map((t) => `• ${t.name} — ${t.description.split('\n')[0]}`).join('\n') : 'No tools are enabled.';
      },
      mcp: () => deps.describe?.mcp() ?? 'No MCP servers are configured.',
      voice: () => deps.voice?.(message, args) ?? Promise.resolve('Voice replies are not available here.'),
      status: () => deps.describe?.status() ?? 'ok',
    };
  }

  function stop(key: string): boolean {
    const controller = running.get(key);
    if (!controller) return false;
    controller.abort();
    return true;
  }

  async function turn(message: InboundMessage, sink: AgentSink, turnId: string) {
    const config = deps.config();
    const defaults = config.agents.defaults;
    const controller = new AbortController();
    if (aborting) controller.abort();
    running.set(message.sessionKey, controller);
    const timer = setTimeout(() => controller.abort(), deps.turnTimeoutMs ?? 10 * 60_000);
    const started = Date.now();
    let toolCalls = 0;
    const emit = (event: AgentEvent) => {
      if (event.type === 'tool-call') toolCalls++;
      try {
        sink(event.type === 'turn-end' && event.reason === 'error' ? { ...event, text: mask(event.text) } : event);
      } catch (error) {
        log('warn', `channel ${message.channel} failed to take an event: ${(error as Error).message}`);
      }
    };
    let unlock: (() => Promise<void>) | undefined;
    try {
      // A store shared by several gateways: this session's turns stay serial across all of them.
      const ephemeral = message.ephemeral === true;
      if (!ephemeral) unlock = await deps.store.lock?.(message.sessionKey, controller.signal);
      const models = deps.models();
      const model = models.chain(currentModel(message.sessionKey));
      const images = deps.images;
      const visionModel = () => {
        try {
          return images && models.chain(currentModel(message.sessionKey), { images: true });
        } catch {
          return undefined; // none can see images: the turn says so (run-turn.ts)
        }
      };
      const userImages = message.images?.length && images
        ? { paths: message.images, images: await Promise.all(message.images.map((path) => images.read(path))) }
        : undefined;
      const snapshot = ephemeral ? { messages: [] } : await deps.store.load(message.sessionKey);
      // load_image only where there is an image to look at: the other prompts stay shorter.
      const seen = message.images?.length || snapshot.messages.some((m) => m.media?.length);
      const offered = (afterStep?: boolean) => (seen ? deps.tools(message, afterStep) : deps.tools(message, afterStep).filter((t) => t.name !== 'load_image'));
      const tools = offered();
      // The catalog tells the model to read SKILL.md with read_file: without that tool it is no use.
      const skill = message.skill ?? (ephemeral ? undefined : pendingSkills.get(message.sessionKey));
      if (!message.skill && skill) pendingSkills.delete(message.sessionKey);
      const [skillCatalog, activeSkill] = await Promise.all([
        tools.some((t) => t.name === 'read_file') ? deps.skills?.promptBlock() : undefined,
        skill ? deps.skills?.activeBlock(skill) : undefined,
      ]);
      const systemPrompt = await buildSystemPrompt({
        workspace: defaults.workspace,
        channel: message.channel,
        chatId: message.chatId,
        ...(message.senderId ? { senderId: message.senderId } : {}),
        ...(message.senderName ? { senderName: message.senderName } : {}),
        hasTools: tools.length > 0,
        ...(snapshot.summary ? { summary: snapshot.summary } : {}),
        now: now(),
        version: deps.version ?? '0.0.0',
        ...(skillCatalog ? { skills: skillCatalog } : {}),
        ...(activeSkill ? { activeSkill } : {}),
      });
      const outcome = await runTurn({
        turnId,
        model,
        systemPrompt,
        history: sanitizeHistory(snapshot.messages),
        userText: message.text,
        ...(userImages ? { userImages } : {}),
        ...(message.files?.length ? { userFiles: message.files } : {}),
        visionModel,
        ...(images ? { saveImage: async (image: ImagePart) => (await images.save(Buffer.from(image.data, 'base64'))).path } : {}),
        tools,
        refreshTools: () => offered(true),
        maxIterations: defaults.max_tool_iterations,
        maxTokens: defaults.max_tokens,
        temperature: defaults.temperature,
        contextWindow: defaults.context_window ?? defaults.max_tokens * 4,
        signal: controller.signal,
        toolContext: { sessionKey: message.sessionKey, channel: message.channel, chatId: message.chatId, workspace: defaults.workspace },
        mask,
        persist: (messages) => (ephemeral ? Promise.resolve() : deps.store.append(message.sessionKey, messages)),
        emit,
        log: (level, text, meta) => log(level, text, { session: message.sessionKey, ...meta }),
      });
      emit({ type: 'turn-end', turnId, text: outcome.text, reason: outcome.reason, ...(outcome.model ? { model: outcome.model } : {}), ...(outcome.fallback ? { fallback: true } : {}) });
      // One line per turn: where, who answered, how long, how many tools; never the content.
      log(outcome.reason === 'error' ? 'warn' : 'info', `turn on ${message.channel} ${outcome.reason === 'stop' ? 'answered' : outcome.reason}${outcome.model ? ` by ${outcome.model}${outcome.fallback ? ' (fallback)' : ''}` : ''} in ${Date.now() - started} ms${toolCalls ? ` with ${toolCalls} tool call${toolCalls === 1 ? '' : 's'}` : ''}`, { session: message.sessionKey, turn: turnId });
      // After the answer is out, still inside this session's queue: the next message waits for it.
      if (!ephemeral && (outcome.reason === 'stop' || outcome.reason === 'max-iterations') && needsSummary([...snapshot.messages, ...outcome.saved], defaults)) {
        await summarizeSession({ key: message.sessionKey, store: deps.store, model, defaults, signal: controller.signal, log: (level, text) => log(level, text) }).catch((error: Error) =>
          log('warn', `session ${message.sessionKey}: summary failed: ${error.message}`),
        );
      }
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      log('error', `turn ${turnId} failed: ${text}`, { session: message.sessionKey });
      emit({ type: 'turn-end', turnId, text, reason: 'error' });
    } finally {
      await unlock?.().catch((error: Error) => log('warn', `session ${message.sessionKey}: releasing the turn lock failed: ${error.message}`));
      clearTimeout(timer);
      if (running.get(message.sessionKey) === controller) running.delete(message.sessionKey);
    }
  }

  /** Runs `work` after everything queued for the session before it. */
  function enqueue(key: string, work: () => Promise<void>): Promise<void> {
    // A failed `record` before must not hold up the session's next turn.
    const task = (queues.get(key) ?? Promise.resolve()).catch(() => {}).then(work);
    queues.set(key, task);
    inFlight.add(task);
    void task.finally(() => {
      inFlight.delete(task);
      if (queues.get(key) === task) queues.delete(key);
    }).catch(() => {});
    return task;
  }

  function startTurn(message: InboundMessage, sink: AgentSink, turnId: string): Promise<void> {
    return enqueue(message.sessionKey, async () => {
      await slots.acquire();
      try {
        sink({ type: 'turn-start', turnId, sessionKey: message.sessionKey });
        await turn(message, sink, turnId);
      } finally {
        slots.release();
      }
    });
  }

  return {
    get activeTurns() {
      return running.size;
    },
    stop,
    submit(message, sink) {
      const turnId = randomUUID();
      const reply = (text: string, reason: 'command' | 'error') => {
        sink({ type: 'turn-end', turnId, text: mask(text), reason });
        return Promise.resolve();
      };
      if (closing) return reply('The gateway is shutting down; please try again in a moment.', 'error');
      const command = parseCommand(message.text);
      if (command?.name === 'use' && deps.skills) {
        const key = message.sessionKey;
        return deps.skills.use(command.args).then(
          (outcome) => {
            if ('reply' in outcome) return reply(outcome.reply, 'command');
            if (!outcome.skill) return reply(pendingSkills.delete(key) ? 'Cleared the skill for your next message.' : 'No skill was armed.', 'command');
            if (outcome.text === undefined) {
              pendingSkills.set(key, outcome.skill);
              return reply(`Skill "${outcome.skill}" is armed for your next message. Send it normally, or /use clear to cancel.`, 'command');
            }
            return startTurn({ ...message, text: outcome.text, skill: outcome.skill }, sink, turnId);
          },
          (error: Error) => reply(`/use failed: ${error.message}`, 'error'),
        );
      }
      if (command) {
        return Promise.resolve(commands[command.name]!.run(commandContext(message, command.args))).then(
          (text) => reply(text, 'command'),
          (error: Error) => reply(`/${command.name} failed: ${error.message}`, 'error'),
        );
      }
      return startTurn(message, sink, turnId);
    },
    record(sessionKey, text) {
      return enqueue(sessionKey, async () => {
        const unlock = await deps.store.lock?.(sessionKey);
        try {
          await deps.store.append(sessionKey, [{ role: 'assistant', content: text, created_at: now().toISOString() }]);
        } finally {
          await unlock?.();
        }
      });
    },
    async close(graceMs) {
      closing = true;
      const all = Promise.allSettled([...inFlight]);
      const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref())]);
      if (timedOut) {
        aborting = true;
        log('warn', `stopping ${running.size} turn(s) still running after ${graceMs} ms`);
        for (const controller of running.values()) controller.abort();
        await all;
      }
    },
  };
}
