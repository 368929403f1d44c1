/**
 * `send_tts` (PicoClaw's name; `text`, and `filename`, accepted and ignored: Telegram shows a
 * voice note without one): speaks `text` with `voice.tts_model_name` and sends the voice note to
 * the turn's own chat, and to no other, so a prompt-injected model cannot use it to reach anyone.
 * Enabled by `tools.send_tts.enabled` (off by default, as in PicoClaw).
 */
import * as z from 'zod';
import { defineTool } from '../tools/define-tool.js';
import type { Tool } from '../tools/types.js';
import type { Speaker } from './speaker.js';
import { SPEECH_MAX_CHARS } from './speaker.js';

export interface VoiceOutbound {
  /** Sends a voice note to a chat (channels/channel-manager.ts); rejects with a sentence fit for the user. */
  sendVoice(channel: string, chatId: string, audio: Buffer, signal?: AbortSignal): Promise<void>;
}

export function createSendTtsTool(deps: { outbound: VoiceOutbound; speaker: Speaker }): Tool {
  return defineTool({
    name: 'send_tts',
    description: 'Say text aloud: send it to this chat as a voice note (spoken by the configured speech model). Use when the user asks for a voice or spoken reply.',
    input: {
      text: z.string().min(1).max(SPEECH_MAX_CHARS),
      filename: z.string().optional(),
    },
    async execute({ text }, context) {
      if (!deps.speaker.available()) {
        return { content: 'voice replies are not configured: set voice.tts_model_name to a model_list entry served at <api_base>/audio/speech (e.g. OpenAI tts-1)', isError: true };
      }
      try {
        const { audio } = await deps.speaker.speak(text, context.signal);
        await deps.outbound.sendVoice(context.channel, context.chatId, audio, context.signal);
        return `Voice note sent (${Math.max(1, Math.round(audio.length / 1024))} KB).`;
      } catch (error) {
        return { content: `no voice note sent: ${(error as Error).message}`, isError: true };
      }
    },
  });
}
