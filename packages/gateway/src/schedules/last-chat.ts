/**
 * The last chat a person wrote from (PicoClaw's `<workspace>/state/state.json`, `{last_channel:
 * "<channel>:<chat>", last_chat_id, timestamp}`): where the heartbeat reports when no target is
 * set. Written only when the chat changes, so a conversation costs one string comparison a message.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from '@picoclaw/core';
import { bareChatId, type Target } from './targets.js';

/** Channels that are not a person's chat. */
const INTERNAL = new Set(['cli', 'heartbeat', 'system']);

export interface LastChat {
  seen(channel: string, chatId: string): void;
  get(): Target | undefined;
  /** Reads the file of an earlier run. */
  load(): Promise<void>;
}

export function createLastChat(workspace: () => string, log: (message: string) => void): LastChat {
  let last: Target | undefined;
  let writing: Promise<void> = Promise.resolve();
  const path = () => join(workspace(), 'state', 'state.json');
  return {
    seen(channel, chatId) {
      if (INTERNAL.has(channel) || chatId.startsWith('cron:')) return;
      const to = bareChatId(chatId);
      if (last?.channel === channel && last.to === to) return;
      last = { channel, to };
      const file = path();
      const body = JSON.stringify({ last_channel: `${channel}:${to}`, last_chat_id: to, timestamp: new Date().toISOString() }, null, 2);
      writing = writing
        .then(() => mkdir(dirname(file), { recursive: true, mode: 0o700 }))
        .then(() => writeFileAtomic(file, body, { mode: 0o600 }))
        .catch((error: Error) => log(`could not write ${file}: ${error.message}`));
    },
    get: () => last,
    async load() {
      try {
        const doc = JSON.parse((await readFileIfExists(path())) ?? '{}') as { last_channel?: unknown };
        if (!last && typeof doc.last_channel === 'string') {
          const colon = doc.last_channel.indexOf(':');
          if (colon > 0) last = { channel: doc.last_channel.slice(0, colon), to: bareChatId(doc.last_channel.slice(colon + 1)) };
        }
      } catch {
        // an unreadable file only loses the last chat
      }
    },
  };
}
