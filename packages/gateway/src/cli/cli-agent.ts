/**
 * `picoclaw agent -m "…"`: one turn from the terminal with exactly the gateway's runtime — the
 * same models with fallback, built-in tools and MCP servers (which PicoClaw's agent mode leaves
 * out) — in its own session (`cli:default`, or `--session`). The answer streams to stdout;
 * problems go to stderr; the exit code is 0 for an answer, 1 otherwise.
 */
import { join } from 'node:path';
import { collectSecrets, createLogger, createSecretMasker, loadConfig } from '@picoclaw/core';
import { createAgentRuntime } from '../agent/agent-runtime.js';
import type { CliIo } from './cli-commands.js';
import { createMcpManager, settledStatus, type McpManager } from '../mcp/mcp-manager.js';
import { createModelRegistry } from '../models/model-registry.js';
import type { RedisConnection } from '../cluster/redis.js';
import { createJsonlSessionStore } from '../sessions/jsonl-session-store.js';
import type { SessionStore } from '../sessions/session-store.js';
import { createBuiltinTools } from '../tools/builtin-tools.js';
import { startProgress, withProgress, type Progress } from './cli-style.js';
import { version } from '../version.js';
import { createInterface } from 'node:readline';

/**
 * The interactive loop: line editing and history from readline; Ctrl-C stops the answer in
 * progress, and at the prompt asks for a second Ctrl-C (or /exit) before leaving.
 */
async function interactive(turn: (text: string) => Promise<boolean>, stop: () => boolean, io: CliIo & { write(text: string): void }): Promise<number> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, historySize: 200, terminal: process.stdin.isTTY });
  io.write(`PicoClaw ${version}: type a message, /help for commands, /exit or Ctrl-C twice to leave.\n`);
  let busy = false;
  let armed = false;
  return new Promise<number>((resolve) => {
    const prompt = () => {
      rl.setPrompt('you › ');
      rl.prompt();
    };
    rl.on('SIGINT', () => {
      if (busy) {
        stop();
        return;
      }
      if (armed) return rl.close();
      armed = true;
      io.write('\n(press Ctrl-C again or type /exit to leave)\n');
      prompt();
    });
    rl.on('line', (line) => {
      const text = line.trim();
      armed = false;
      if (text === '/exit' || text === '/quit') return rl.close();
      if (!text) return prompt();
      busy = true;
      void turn(text).finally(() => {
        busy = false;
        prompt();
      });
    });
    rl.on('close', () => resolve(0));
    prompt();
  });
}

export async function agentCommand(args: string[], io: CliIo & { write(text: string): void }): Promise<number> {
  const flag = (name: string, short?: string) => {
    const i = args.findIndex((a) => a === `--${name}` || (short && a === `-${short}`));
    return i >= 0 ? args[i + 1] : undefined;
  };
  const message = flag('message', 'm');
  if (message === undefined && args.some((a) => a === '-m' || a === '--message')) {
    io.err('usage: picoclaw agent [-m "<message>"] [--session <name>]');
    return 2;
  }
  const loaded = await loadConfig({ env: io.env });
  const config = loaded.config;
  const masker = createSecretMasker();
  masker.add(...collectSecrets(config));
  // Logs go to the file only: the terminal shows the answer.
  const log = createLogger({ name: 'agent', level: 'info', console: false, file: join(loaded.paths.home, 'logs', 'agent.log'), masker });
  const models = createModelRegistry(config, { version });
  let mcp: McpManager | undefined;
  if (config.tools.mcp.enabled && Object.keys(config.tools.mcp.servers).length) {
    mcp = createMcpManager({ servers: config.tools.mcp.servers, home: loaded.paths.home, workspace: config.agents.defaults.workspace, maxInlineTextChars: config.tools.mcp.max_inline_text_chars, retryBaseMs: 60_000 });
    mcp.start();
    // Wait (bounded) for the servers to connect, so their tools are there for this one turn.
    const wait = Math.max(...Object.values(config.tools.mcp.servers).map((s) => s.connect_timeout)) * 1000;
    const status = await withProgress(io.progress, 'connecting to MCP servers', () => settledStatus(mcp!, wait));
    for (const s of status) if (s.state === 'failed') io.err(`note: MCP server ${s.name} is unavailable: ${masker.mask(s.lastError ?? '')}`);
  }
  const builtins = createBuiltinTools(loaded, (message) => io.err(`note: ${message}`));
  // The same session store as the gateway: with Redis, `--session` continues a fleet conversation.
  let redis: RedisConnection | undefined;
  let store: SessionStore;
  if (config.session.store === 'redis') {
    const r = config.session.redis;
    redis = await (await import('../cluster/redis.js')).connectRedis({ url: r.url, username: r.username, password: r.password, log: (level, text) => log.log(level, text) });
    store = (await import('../sessions/redis-session-store.js')).createRedisSessionStore({ redis, prefix: r.key_prefix });
  } else store = createJsonlSessionStore({ dir: join(config.agents.defaults.workspace, 'sessions') });
  const runtime = createAgentRuntime({
    config: () => config,
    models: () => models,
    tools: () => [...builtins, ...(mcp?.list() ?? [])],
    store,
    log: (level, text) => log.log(level, text),
    version,
  });
  const sessionKey = `cli:${flag('session') ?? 'default'}`;
  /**
   * One turn: the answer streams to stdout; returns true when it ended with an answer. In the
   * interactive chat a spinner runs until the first event, then the answer gets its prefix.
   */
  const turn = async (text: string, prefix = ''): Promise<boolean> => {
    let ok = false;
    let streamed = false;
    let waiting: Progress | undefined = prefix ? startProgress(io.progress, 'thinking') : undefined;
    try {
      await runtime.submit({ channel: 'cli', chatId: 'terminal', sessionKey, senderId: 'cli', text }, (event) => {
        if (waiting) {
          waiting.stop();
          waiting = undefined;
          io.write(prefix);
        }
        if (event.type === 'text-delta') {
          streamed = true;
          io.write(event.text);
        } else if (event.type === 'tool-call') io.err(`… ${event.name}`);
        else if (event.type === 'turn-end') {
          if (event.reason === 'error') io.err(masker.mask(event.text));
          else if (event.reason === 'aborted') io.write(' (stopped)');
          else if (!streamed) io.write(event.text);
          ok = event.reason !== 'error';
        }
      });
    } finally {
      waiting?.stop();
    }
    if (ok) io.write('\n');
    return ok;
  };

  let code: number;
  if (message !== undefined) code = (await turn(message)) ? 0 : 1;
  else code = await interactive((text) => turn(text, 'picoclaw › '), () => runtime.stop(sessionKey), io);
  await runtime.close(1000);
  await store.flush?.();
  await mcp?.close();
  await redis?.close();
  await new Promise((resolve) => log.on('finish', resolve).end());
  return code;
}
