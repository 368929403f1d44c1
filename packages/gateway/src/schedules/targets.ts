/**
 * Chats as jobs and the `message` tool name them: a channel instance and the chat's bare id
 * ("12345", "kitchen", "abc") — channels' own chat ids carry a prefix for some ("mqtt:kitchen",
 * "pico:abc"), which is dropped here so that both spellings name one chat.
 */

import type { Config } from '@picoclaw/core';

/** Why jobs cannot target a channel: not configured, or disabled (the chat is the channel's to refuse). */
export function channelProblem(config: Config, channel: string): string | undefined {
  const known = config.channel_list[channel];
  if (!known) return `no channel named "${channel}" in channel_list`;
  if (!known.enabled) return `channel "${channel}" is disabled; enable it or choose another`;
  return undefined;
}

export interface Target {
  channel: string;
  to: string;
}

export function bareChatId(chatId: string): string {
  return chatId.replace(/^(mqtt|pico|telegram):/, '');
}

/** The chat a turn runs in, as a target. */
export function ownTarget(context: { channel: string; chatId: string }): Target {
  return { channel: context.channel, to: bareChatId(context.chatId) };
}

export const sameTarget = (a: Target, b: Target) => a.channel === b.channel && bareChatId(a.to) === bareChatId(b.to);

/**
 * Whether a turn in `from` may send to `to`: its own chat always; another only when
 * `tools.message.allow_targets` lists it ("telegram:12345"), its channel ("mqtt:*") or "*". The
 * channel still refuses a chat outside its `allow_from`.
 */
export function targetAllowed(from: Target, to: Target, allowTargets: readonly string[]): boolean {
  if (sameTarget(from, to)) return true;
  return allowTargets.some((entry) => {
    const pattern = entry.trim();
    if (pattern === '*') return true;
    const colon = pattern.indexOf(':');
    if (colon < 0) return false;
    const [channel, chat] = [pattern.slice(0, colon), pattern.slice(colon + 1)];
    return channel === to.channel && (chat === '*' || bareChatId(chat) === bareChatId(to.to));
  });
}

/** "telegram:12345" → { channel: "telegram", to: "12345" }. */
export function parseTarget(text: string): Target | undefined {
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1) return undefined;
  return { channel: text.slice(0, colon), to: bareChatId(text.slice(colon + 1)) };
}

export const refusedTarget = (to: Target) =>
  `sending to ${to.channel}:${to.to} is not allowed from this chat; a turn may message its own chat, and others only when tools.message.allow_targets lists them (e.g. "${to.channel}:${to.to}" or "${to.channel}:*")`;
