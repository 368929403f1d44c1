import { configSchema, type Config } from '@picoclaw/core';
import { describe, expect, it } from 'vitest';
import type { InboundMessage } from '../agent/agent-runtime.js';
import type { AgentEvent } from '../agent/events.js';
import type { ChannelStateStore } from '../channels/channel-state.js';
import type { Speaker } from './speaker.js';
import { createVoiceReplies, speakable } from './voice-replies.js';

function setUp(voice: Record<string, unknown> = { tts_model_name: 'speech' }, options: { fail?: boolean } = {}) {
  let config: Config = configSchema.parse({ voice });
  const spoken: string[] = [];
  const sent: { channel: string; chatId: string; bytes: number }[] = [];
  const logs: string[] = [];
  const values = new Map<string, string>();
  const state: ChannelStateStore = { get: async (k) => values.get(k), set: async (k, v) => void values.set(k, v) };
  const speaker: Speaker = {
    available: () => !!config.voice.tts_model_name,
    speak: async (text) => {
      if (options.fail) throw new Error('speech model speech: HTTP 500: overloaded');
      spoken.push(text);
      return { audio: Buffer.from('OggS'), model: 'speech' };
    },
  };
  const outbound = { canSendVoice: (channel: string) => channel === 'telegram', sendVoice: async (channel: string, chatId: string, audio: Buffer) => void sent.push({ channel, chatId, bytes: audio.length }) };
  const replies = createVoiceReplies({ config: () => config, speaker, outbound: () => outbound, state: () => state, log: (_l, m) => logs.push(m) });
  const message = (extra: Partial<InboundMessage> = {}): InboundMessage => ({ channel: 'telegram', chatId: '42', sessionKey: 'telegram:42', text: 'hi', ...extra });
  /** Runs a turn's events through the sink and waits for the voice note, if any. */
  const answer = async (m: InboundMessage, text: string, reason: 'stop' | 'error' = 'stop') => {
    const got: AgentEvent[] = [];
    const sink = replies.sink(m, (e) => got.push(e));
    sink({ type: 'text-delta', text });
    sink({ type: 'turn-end', turnId: 't', text, reason });
    await new Promise((r) => setTimeout(r, 10));
    return got;
  };
  return { replies, spoken, sent, logs, values, message, answer, setConfig: (c: Record<string, unknown>) => (config = configSchema.parse(c)) };
}

describe('voice replies', () => {
  it('off by default: answers are written only; without a speech model or in a chat that cannot play voice the sink is the channel\'s own', async () => {
    const t = setUp();
    await t.answer(t.message(), 'hello');
    expect(t.spoken).toEqual([]);
    const own = () => {};
    expect(t.replies.sink(t.message({ channel: 'mqtt' }), own)).toBe(own);
    expect(setUp({}).replies.sink(t.message(), own)).toBe(own);
  });

  it('/voice on speaks every answer in that chat (after the written one), /voice off and /voice auto undo it; the choice is kept', async () => {
    const t = setUp();
    expect(await t.replies.command(t.message(), '')).toMatch(/follow the default: answers are written only/);
    expect(await t.replies.command(t.message(), 'on')).toMatch(/Voice replies on/);
    expect(t.values.get('voice:telegram:42')).toBe('on');
    const events = await t.answer(t.message(), 'The **garage** is open.');
    expect(events.map((e) => e.type)).toEqual(['text-delta', 'turn-end']);
    expect(t.spoken).toEqual(['The garage is open.']);
    expect(t.sent).toEqual([{ channel: 'telegram', chatId: '42', bytes: 4 }]);
    // Errors and other chats are not spoken.
    await t.answer(t.message(), 'No model could answer.', 'error');
    await t.answer(t.message({ chatId: '7', sessionKey: 'telegram:7' }), 'hello');
    expect(t.spoken).toHaveLength(1);
    expect(await t.replies.command(t.message(), 'off')).toMatch(/only write/);
    await t.answer(t.message(), 'quiet');
    expect(t.spoken).toHaveLength(1);
    expect(await t.replies.command(t.message(), 'auto')).toMatch(/follow the default again/);
    expect(await t.replies.command(t.message(), 'loud')).toBe('Usage: /voice on | off | auto');
  });

  it('voice.voice_replies: "voice_notes" answers a voice note with one, and text with text', async () => {
    const t = setUp({ tts_model_name: 'speech', voice_replies: 'voice_notes' });
    await t.answer(t.message({ voice: true }), 'Heard you.');
    await t.answer(t.message(), 'Read you.');
    expect(t.spoken).toEqual(['Heard you.']);
  });

  it('says why when the chat cannot play voice or no speech model is set; a failed voice note is logged, the answer stands', async () => {
    const t = setUp({});
    expect(await t.replies.command(t.message({ channel: 'pico' }), 'on')).toMatch(/cannot play voice notes/);
    expect(await t.replies.command(t.message(), 'on')).toMatch(/set voice.tts_model_name/);
    const failing = setUp({ tts_model_name: 'speech', voice_replies: 'always' }, { fail: true });
    const events = await failing.answer(failing.message(), 'hello');
    expect(events.at(-1)).toMatchObject({ type: 'turn-end', text: 'hello' });
    expect(failing.logs).toEqual(['voice reply to telegram:42 not sent: speech model speech: HTTP 500: overloaded']);
  });

  it('speaks words, not Markdown: no code, links by their text, cut at a sentence under the limit', () => {
    expect(speakable('# Title\n- **one** item\n- see [the docs](https://x.y/z) or https://a.b\n```js\nconsole.log(1)\n```\n`ls` done')).toBe('Title\none item\nsee the docs or (link)\n(code omitted)\nls done');
    const long = speakable('A sentence here. '.repeat(400));
    expect(long.length).toBeLessThanOrEqual(4096);
    expect(long.endsWith('here.…')).toBe(true);
  });
});
