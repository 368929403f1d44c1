/**
 * The gateway's media, in one object `gateway.ts` only wires up: what channels need to take voice
 * notes, files and images in, the image store the agent reads images back from, the `send_tts`
 * tool and spoken answers (voice replies).
 */
import type { Config } from '@picoclaw/core';
import type { ChannelStateStore } from '../channels/channel-state.js';
import type { ChannelDeps } from '../channels/channel.js';
import type { ChannelManager } from '../channels/channel-manager.js';
import type { Tool } from '../tools/types.js';
import { createImageStore, type ImageStore } from './image-store.js';
import { createMediaInbox } from './media-inbox.js';
import { createSendTtsTool } from './send-tts-tool.js';
import { createSpeaker } from './speaker.js';
import { createTranscriber } from './transcriber.js';
import { createVoiceReplies, type VoiceReplies } from './voice-replies.js';

export interface Media {
  /** For every channel: transcriber (voice notes), inbox (files), images. */
  channelDeps: Required<Pick<ChannelDeps, 'transcriber' | 'inbox' | 'images'>>;
  images: ImageStore;
  /** `send_tts` when `tools.send_tts.enabled`. */
  tools(): Tool[];
  voiceReplies: VoiceReplies;
}

export interface MediaOptions {
  config: () => Config;
  version: string;
  /** The channel manager, once it exists: sends voice notes. */
  outbound: () => ChannelManager | undefined;
  /** Where per-chat choices (/voice) are kept. */
  state: ChannelStateStore;
  log: (level: 'info' | 'warn', message: string, meta?: Record<string, unknown>) => void;
}

export function createMedia(options: MediaOptions): Media {
  const images = createImageStore(options.config);
  const speaker = createSpeaker(options);
  let sendTts: Tool | undefined;
  return {
    channelDeps: { transcriber: createTranscriber(options), inbox: createMediaInbox(options.config), images },
    images,
    tools() {
      const outbound = options.outbound();
      if (!options.config().tools.send_tts.enabled || !outbound) return [];
      return [(sendTts ??= createSendTtsTool({ outbound, speaker }))];
    },
    voiceReplies: createVoiceReplies({ ...options, speaker, state: () => options.state }),
  };
}
