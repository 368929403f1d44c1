/**
 * The channel contract: a channel turns its transport's messages into InboundMessages for the
 * agent and renders the agent's events back; a channel that can also speak first (schedules, the
 * `message` tool) implements `send` and `targets`. Other capabilities stay private to each channel.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ChannelConfig, ChannelStatus } from '@picoclaw/core';
import type { InboundMessage } from '../agent/agent-runtime.js';
import type { AgentSink } from '../agent/events.js';
import type { ImageStore } from '../media/image-store.js';
import type { MediaInbox } from '../media/media-inbox.js';
import type { Transcriber } from '../media/transcriber.js';
import type { ChannelStateStore } from './channel-state.js';

export type Log = (level: 'debug' | 'info' | 'warn' | 'error', message: string, meta?: Record<string, unknown>) => void;

/** A WebSocket (or other) upgrade handler mounted on the gateway's HTTP server. */
export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface ChannelContext {
  /** Aborted when the channel must stop. */
  signal: AbortSignal;
  /** Hands a message to the agent; events for it arrive through `sink`. */
  submit(message: Omit<InboundMessage, 'channel'>, sink: AgentSink): Promise<void>;
  log: Log;
  /** Mounts an upgrade handler on the gateway's HTTP server (pico's /pico/ws). */
  mountUpgrade(path: string, handler: UpgradeHandler | undefined): void;
  /**
   * Resolves once the gateway's channels have all started (already resolved for a channel
   * started later, by a reload). Background work that can wait, such as loading a remote API's
   * client library for its handshake, waits for it, so that the local channels come up first.
   */
  afterStart: Promise<void>;
}

export interface Channel {
  readonly name: string;
  readonly type: ChannelConfig['type'];
  /** Resolves once the channel takes messages (or has started retrying in the background). */
  start(context: ChannelContext): Promise<void>;
  stop(): Promise<void>;
  status(): Omit<ChannelStatus, 'name' | 'type' | 'enabled'>;
  /**
   * Sends `text` (Markdown, rendered like an answer) to a chat with no inbound message — for
   * schedules and the `message` tool. `chatId` is the bare id ("12345", "kitchen", "abc") or the
   * prefixed form the channel uses in InboundMessage.chatId ("mqtt:kitchen", "pico:abc").
   * Resolves with the session key the channel uses for that chat (e.g. "telegram:12345",
   * "mqtt:kitchen", "pico:abc") once handed to the transport; rejects with an Error whose message
   * is fit for a user (e.g. 'telegram: chat 999 is not in allow_from') when the chat is not
   * allowed or the transport refuses.
   */
  send?(chatId: string, text: string, signal?: AbortSignal): Promise<{ sessionKey: string }>;
  /** Chats this channel can send to now, for pickers ({ to: bare id, label: human text }). */
  targets?(): { to: string; label: string }[];
  /**
   * People this channel refused lately (not in allow_from), newest first, each once and a few at
   * most, in memory only: the dashboard's "find my user id" lists them with an "Allow" button.
   */
  refusedSenders?(): RefusedSender[];
  /**
   * Sends a file to a chat (the `send_file` tool, to the turn's own chat). Rejects with a sentence
   * fit for the model when the chat is not allowed or the transport refuses; a channel without it
   * cannot send files.
   */
  sendFile?(chatId: string, file: { path: string; filename: string; bytes: Buffer }): Promise<void>;
  /**
   * Sends OGG/Opus `audio` as a voice note (`send_tts`), to a chat `send` would accept; rejects
   * with a sentence fit for a user. Channels that cannot play audio leave it out.
   */
  sendVoice?(chatId: string, audio: Buffer, signal?: AbortSignal): Promise<void>;
}

/** A sender a channel refused: the id allow_from takes, what Telegram says about them, and when (ISO). */
export interface RefusedSender { id: number; username?: string; first_name?: string; at: string }

/** Builds a channel; may load the channel's library first (so disabled channels cost nothing). */
export type ChannelFactory<C extends ChannelConfig = ChannelConfig> = (name: string, config: C, deps: ChannelDeps) => Channel | Promise<Channel>;

/** I/O edges a channel may need; tests point them at fakes. */
export interface ChannelDeps {
  fetch?: typeof fetch;
  now?: () => Date;
  /** Durable values between runs (the Telegram update offset). */
  state?: ChannelStateStore;
  /**
   * The launcher's chat credential for this gateway process (core `picoCredential`): pico accepts
   * it besides its configured token. It dies with the process, so the launcher never has to send
   * the permanent token of config.json to whatever listens on the gateway port.
   */
  picoCredential?: string;
  /** Speech to text for voice notes (voice.model_name); without it a voice note gets a reply saying how to set it up. */
  transcriber?: Transcriber;
  /** Where files sent to the assistant are stored (<workspace>/media/inbox); without it a file gets a reply that files are not available. */
  inbox?: MediaInbox;
  /** Where images sent to the assistant are stored (<workspace>/media/images); without it an image gets a reply that images are not available. */
  images?: ImageStore;
}
