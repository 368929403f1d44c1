/**
 * Builds, starts, reloads and stops the configured channels. A channel that fails to start is
 * reported in the status with its reason and does not stop the others; on reload a changed
 * channel is stopped before its replacement starts, and an unchanged one is left alone.
 */
import { implementedChannelTypes, type ChannelConfig, type ChannelStatus } from '@picoclaw/core';
import type { InboundMessage } from '../agent/agent-runtime.js';
import type { AgentSink } from '../agent/events.js';
import type { Channel, ChannelDeps, ChannelFactory, Log, RefusedSender, UpgradeHandler } from './channel.js';

interface Running {
  config: ChannelConfig;
  channel?: Channel;
  controller: AbortController;
  error?: string;
  started: Promise<void>;
}

export interface ChannelManager {
  /** Starts every enabled channel; resolves when each has started or failed. */
  start(channels: Record<string, ChannelConfig>): Promise<void>;
  reload(channels: Record<string, ChannelConfig>): Promise<string[]>;
  status(): ChannelStatus[];
  stop(): Promise<void>;
  /**
   * Sends `text` to `chatId` on the channel named `channel` (see Channel.send), waiting for a
   * channel that is still starting. Rejects with a sentence fit for a user when there is no such
   * running channel, when its type cannot send, or when the channel refuses the chat.
   */
  send(channel: string, chatId: string, text: string, signal?: AbortSignal): Promise<{ sessionKey: string }>;
  /** A voice note, as `send`; rejects with "this chat cannot play voice" for a channel without sendVoice. */
  sendVoice(channel: string, chatId: string, audio: Buffer, signal?: AbortSignal): Promise<void>;
  /** Whether a running channel can play voice notes (has sendVoice). */
  canSendVoice(channel: string): boolean;
  /** What every running channel can send to now, for pickers. */
  targets(): { channel: string; type: string; to: string; label: string }[];
  /** Senders the running channel `channel` refused lately (Channel.refusedSenders); undefined when no such channel runs. */
  refusedSenders(channel: string): RefusedSender[] | undefined;
  /**
   * Sends a file to `chatId` on the channel named `channel` (the send_file tool, to the turn's own
   * chat). Rejects with a sentence for the model when the channel is not running, when its type
   * cannot send files (then it says so and that the user should be told where the file is), or
   * when the channel refuses.
   */
  sendFile(channel: string, chatId: string, file: { path: string; filename: string; bytes: Buffer }): Promise<void>;
}

export function createChannelManager(options: {
  factories: Partial<Record<ChannelConfig['type'], ChannelFactory>>;
  submit(message: InboundMessage, sink: AgentSink): Promise<void>;
  mountUpgrade(path: string, handler: UpgradeHandler | undefined): void;
  log: Log;
  deps?: ChannelDeps;
}): ChannelManager {
  const running = new Map<string, Running>();
  let configs: Record<string, ChannelConfig> = {};
  let allStarted!: () => void;
  const afterStart = new Promise<void>((resolve) => (allStarted = resolve));

  function launch(name: string, config: ChannelConfig): Running {
    const controller = new AbortController();
    const entry: Running = { config, controller, started: Promise.resolve() };
    const factory = options.factories[config.type];
    if (!factory) {
      entry.error = (implementedChannelTypes as readonly string[]).includes(config.type)
        ? `channel type ${config.type} is not available in this build`
        : `channel type ${config.type} is not supported by PicoClaw TS (supported: ${implementedChannelTypes.join(', ')})`;
      options.log('warn', `channel ${name}: ${entry.error}`);
      return entry;
    }
    entry.started = Promise.resolve()
      .then(() => factory(name, config, options.deps ?? {}))
      .then((channel) => {
        entry.channel = channel;
        return channel.start({
          signal: controller.signal,
          submit: (message, sink) => options.submit({ ...message, channel: name }, sink),
          log: (level, message, meta) => options.log(level, `${name}: ${message}`, { channel: name, ...meta }),
          mountUpgrade: options.mountUpgrade,
          afterStart,
        });
      })
      .then(
        () => options.log('info', `channel ${name} started`, { channel: name }),
        (error: Error) => {
          entry.error = error.message;
          options.log('error', `channel ${name} failed to start: ${error.message}`, { channel: name });
        },
      );
    return entry;
  }

  async function halt(name: string, entry: Running) {
    entry.controller.abort();
    await entry.started;
    await entry.channel?.stop().catch((error: Error) => options.log('warn', `channel ${name} did not stop cleanly: ${error.message}`));
  }

  const same = (a: ChannelConfig, b: ChannelConfig) => JSON.stringify(a) === JSON.stringify(b);

  return {
    async start(channels) {
      configs = channels;
      for (const [name, config] of Object.entries(channels)) if (config.enabled) running.set(name, launch(name, config));
      await Promise.all([...running.values()].map((r) => r.started));
      allStarted();
    },
    async reload(channels) {
      const changes: string[] = [];
      for (const [name, entry] of [...running]) {
        const next = channels[name];
        if (!next || !next.enabled || !same(next, entry.config)) {
          await halt(name, entry);
          running.delete(name);
          if (!next || !next.enabled) changes.push(`channel ${name} stopped`);
        }
      }
      for (const [name, config] of Object.entries(channels)) {
        if (!config.enabled || running.has(name)) continue;
        const entry = launch(name, config);
        running.set(name, entry);
        await entry.started;
        changes.push(configs[name]?.enabled ? `channel ${name} restarted with new settings` : `channel ${name} started`);
      }
      configs = channels;
      return changes;
    },
    status() {
      return Object.entries(configs).map(([name, config]) => {
        const entry = running.get(name);
        const base = { name, type: config.type, enabled: config.enabled };
        if (!config.enabled || !entry) return { ...base, state: 'disabled', messages: { in: 0, out: 0 } } satisfies ChannelStatus;
        if (!entry.channel || (entry.error && entry.channel.status().state !== 'running')) {
          return { ...base, ...(entry.channel?.status() ?? { messages: { in: 0, out: 0 } }), state: 'failed', lastError: entry.error ?? 'unknown error' } satisfies ChannelStatus;
        }
        return { ...base, ...entry.channel.status() } satisfies ChannelStatus;
      });
    },
    refusedSenders(name) {
      const channel = running.get(name)?.channel;
      return channel ? (channel.refusedSenders?.() ?? []) : undefined;
    },
    async stop() {
      await Promise.all([...running].map(([name, entry]) => halt(name, entry)));
      running.clear();
    },
    async send(name, chatId, text, signal) {
      const entry = running.get(name);
      // A schedule due while its channel starts (the gateway's own start, a reload) waits for it.
      await entry?.started;
      const channel = entry?.channel;
      if (!entry || running.get(name) !== entry || !channel) {
        const config = configs[name];
        const why = !config ? '' : !config.enabled ? ` (it is disabled: set channel_list.${name}.enabled to true)` : entry?.error ? ` (it failed to start: ${entry.error})` : '';
        throw new Error(`no running channel named "${name}"${why}`);
      }
      if (!channel.send) throw new Error(`channel ${name} (${channel.type}) cannot send messages`);
      return channel.send(chatId, text, signal);
    },
    async sendVoice(name, chatId, audio, signal) {
      const entry = running.get(name);
      await entry?.started;
      const channel = entry?.channel;
      if (!entry || running.get(name) !== entry || !channel) throw new Error(`no running channel named "${name}"`);
      if (!channel.sendVoice) throw new Error(`this chat cannot play voice (channel ${name} is ${channel.type}; voice notes go to Telegram chats)`);
      return channel.sendVoice(chatId, audio, signal);
    },
    canSendVoice: (name) => running.get(name)?.channel?.sendVoice !== undefined,
    async sendFile(name, chatId, file) {
      const entry = running.get(name);
      await entry?.started;
      const channel = entry?.channel;
      if (!entry || running.get(name) !== entry || !channel) throw new Error(`this chat (${name}) cannot receive files: no running channel named "${name}"; tell the user where the file is (${file.path})`);
      if (!channel.sendFile) throw new Error(`this chat (${channel.type}) cannot receive files yet; tell the user where the file is (${file.path})`);
      return channel.sendFile(chatId, file);
    },
    targets() {
      return [...running].flatMap(([name, entry]) => {
        const channel = entry.channel;
        if (!channel?.targets) return [];
        try {
          return channel.targets().map((t) => ({ channel: name, type: channel.type, to: t.to, label: t.label }));
        } catch (error) {
          options.log('warn', `channel ${name}: could not list its chats: ${(error as Error).message}`, { channel: name });
          return [];
        }
      });
    },
  };
}
