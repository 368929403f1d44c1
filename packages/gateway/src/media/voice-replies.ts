/**
 * Answers spoken as well as written, per chat: after a turn's answer is shown, a chat that wants
 * voice also gets it as a voice note (Telegram). `voice.voice_replies` sets the default for every
 * chat — `off`, `voice_notes` (answer a voice note with one) or `always` — and `/voice on|off|auto`
 * overrides it for one chat (kept in the channel state, so it survives restarts and is shared by
 * the gateways of a cluster).
 *
 * Nothing here runs for a gateway without a speech model (voice.tts_model_name): the sink is
 * handed back unchanged. A failed voice note is logged; the written answer has already arrived.
 */
import type { Config } from '@picoclaw/core';
import type { InboundMessage } from '../agent/agent-runtime.js';
import type { AgentSink } from '../agent/events.js';
import type { ChannelStateStore } from '../channels/channel-state.js';
import type { VoiceOutbound } from './send-tts-tool.js';
import { SPEECH_MAX_CHARS, type Speaker } from './speaker.js';

export interface VoiceReplies {
  /** The sink for a message's turn: `sink`, plus the spoken answer when this chat wants one. */
  sink(message: InboundMessage, sink: AgentSink): AgentSink;
  /** `/voice [on|off|auto]` in the chat of `message`: shows or sets its voice replies. */
  command(message: InboundMessage, args: string): Promise<string>;
}

export interface VoiceRepliesDeps {
  config: () => Config;
  speaker: Speaker;
  /** The channel manager: who can play voice notes, and sends them. */
  outbound: () => (VoiceOutbound & { canSendVoice(channel: string): boolean }) | undefined;
  state: () => ChannelStateStore | undefined;
  log: (level: 'info' | 'warn', message: string, meta?: Record<string, unknown>) => void;
}

type Choice = 'on' | 'off';
const stateKey = (sessionKey: string) => `voice:${sessionKey}`;

/**
 * What a voice note should say: the answer without its Markdown (code is not read out, a link is
 * read by its text), cut at a sentence end to the speech limit.
 */
export function speakable(markdown: string): string {
  let text = markdown
    .replace(/```[\s\S]*?```/g, ' (code omitted) ')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/https?:\/\/\S+/g, '(link)')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/^\s{0,3}(#{1,6}|>|[-*+]|\d+\.)\s+/gm, '')
    .replace(/(\*\*|__|\*|_|~~)(?=\S)([^*_~]*?\S)\1/g, '$2')
    .replace(/[ \t]+/g, ' ')
    .replace(/ ?\n ?/g, '\n')
    .replace(/\n{2,}/g, '\n')
    .trim();
  if (text.length > SPEECH_MAX_CHARS) {
    const cut = text.slice(0, SPEECH_MAX_CHARS - 1);
    const end = Math.max(cut.lastIndexOf('. '), cut.lastIndexOf('.\n'), cut.lastIndexOf('? '), cut.lastIndexOf('! '));
    text = `${end > SPEECH_MAX_CHARS / 2 ? cut.slice(0, end + 1) : cut}…`;
  }
  return text;
}

export function createVoiceReplies(deps: VoiceRepliesDeps): VoiceReplies {
  const choices = new Map<string, Choice | undefined>();
  const choiceOf = async (sessionKey: string): Promise<Choice | undefined> => {
    if (!choices.has(sessionKey)) {
      const stored = await deps.state()?.get(stateKey(sessionKey)).catch(() => undefined);
      choices.set(sessionKey, stored === 'on' || stored === 'off' ? stored : undefined);
    }
    return choices.get(sessionKey);
  };

  async function wanted(message: InboundMessage): Promise<boolean> {
    const choice = await choiceOf(message.sessionKey);
    if (choice) return choice === 'on';
    const mode = deps.config().voice.voice_replies;
    return mode === 'always' || (mode === 'voice_notes' && message.voice === true);
  }

  async function speak(message: InboundMessage, text: string) {
    const outbound = deps.outbound();
    if (!outbound || !(await wanted(message))) return;
    const words = speakable(text);
    if (!words) return;
    try {
      const { audio } = await deps.speaker.speak(words);
      await outbound.sendVoice(message.channel, message.chatId, audio);
    } catch (error) {
      deps.log('warn', `voice reply to ${message.sessionKey} not sent: ${error instanceof Error ? error.message : String(error)}`, { session: message.sessionKey });
    }
  }

  return {
    sink(message, sink) {
      if (!deps.speaker.available() || !deps.outbound()?.canSendVoice(message.channel)) return sink;
      return (event) => {
        sink(event);
        if (event.type === 'turn-end' && event.reason === 'stop') void speak(message, event.text);
      };
    },
    async command(message, args) {
      const arg = args.trim().toLowerCase();
      if (!deps.outbound()?.canSendVoice(message.channel)) return 'This chat cannot play voice notes; voice replies work in Telegram chats.';
      if (!deps.speaker.available()) return 'Voice replies need a speech model: set voice.tts_model_name in config.json to a model_list entry served at <api_base>/audio/speech (for example OpenAI tts-1).';
      const mode = deps.config().voice.voice_replies;
      const auto = mode === 'always' ? 'every answer is spoken' : mode === 'voice_notes' ? 'voice notes are answered with voice' : 'answers are written only';
      if (arg === 'on' || arg === 'off') {
        await deps.state()?.set(stateKey(message.sessionKey), arg);
        choices.set(message.sessionKey, arg);
        return arg === 'on' ? 'Voice replies on: I will also speak my answers in this chat.' : 'Voice replies off: I will only write in this chat.';
      }
      if (arg === 'auto') {
        await deps.state()?.set(stateKey(message.sessionKey), '');
        choices.set(message.sessionKey, undefined);
        return `Voice replies follow the default again (voice.voice_replies: ${auto}).`;
      }
      if (arg) return 'Usage: /voice on | off | auto';
      const choice = await choiceOf(message.sessionKey);
      return choice ? `Voice replies are ${choice} in this chat (/voice auto for the default: ${auto}).` : `Voice replies follow the default: ${auto}. /voice on or /voice off to choose for this chat.`;
    },
  };
}
