/**
 * Voice replies end to end in one process: the fake model calls `send_tts`, the gateway asks the
 * fake speech API (which checks the JSON body) for a real OGG/Opus recording (espeak-ng →
 * opusenc, made here) and sends those exact bytes to the chat with the fake Bot API's sendVoice.
 */
import { makeVoiceNote, startFakeSpeech, type FakeLlm, type FakeSpeech, type FakeTelegram, type FakeTurn } from '@picoclaw/test-fakes';
import WebSocket from 'ws';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../../testing/start-test-gateway.js';
import { startTelegramHarness, type TelegramHarness } from '../../testing/telegram-harness.js';

let speech: Buffer;
beforeAll(async () => {
  speech = await makeVoiceNote('the garage door is open');
});

let h: TelegramHarness | undefined;
let tg: FakeTelegram | undefined;
let llm: FakeLlm | undefined;
let tts: FakeSpeech | undefined;
let gw: TestGateway | undefined;
afterEach(async () => {
  await h?.close();
  await tts?.close();
  h = gw = tg = llm = tts = undefined;
});

const sayIt: FakeTurn = { toolCalls: [{ id: 't1', name: 'send_tts', arguments: JSON.stringify({ text: 'The garage door is open.' }) }] };

async function start(options: { voice?: Record<string, unknown>; enabled?: boolean; key?: string } = {}) {
  tts = await startFakeSpeech({ audio: speech, models: ['tts-1'] });
  h = await startTelegramHarness({
    turns: [sayIt, { text: ['Done.'] }],
    models: [{ model_name: 'speech', model: 'openai/tts-1', api_base: tts.apiBase }],
    config: { voice: options.voice ?? { tts_model_name: 'speech' }, tools: { send_tts: { enabled: options.enabled ?? true } } },
    channels: { pico: { enabled: true, type: 'pico', settings: { token: 'pico-test-token' } } },
    security: `model_list:\n  speech:\n    api_keys: ["${options.key ?? tts.key}"]\n`,
  });
  ({ tg, llm, gw } = h);
}

const until = <T,>(check: () => T | undefined | false) => h!.until(check);
/** What the model read back from its send_tts call. */
const toolResult = () => llm!.requests.map((r) => r.body.messages.find((m) => m.role === 'tool')?.content).find(Boolean) as string | undefined;
const voiceCalls = () => tg!.calls.filter((c) => c.method === 'sendVoice');

describe('send_tts', () => {
  it('speaks the text and sends the speech API\'s exact OGG bytes to the chat as a voice note', async () => {
    await start({ voice: { tts_model_name: 'speech', tts_voice: 'nova' } });
    tg!.pushMessage('tell me out loud whether the garage is open');
    await until(() => toolResult());
    expect(llm!.requests[0]!.body.tools!.map((t) => t.function.name)).toContain('send_tts');
    expect(tts!.requests).toEqual([{ body: { model: 'tts-1', input: 'The garage door is open.', voice: 'nova', response_format: 'opus' }, authorization: `Bearer ${tts!.key}` }]);
    const [call] = voiceCalls();
    expect(voiceCalls()).toHaveLength(1);
    expect(call!.body.chat_id).toBe('42');
    const voice = call!.body.voice as { bytes: Buffer; filename: string };
    expect(speech.subarray(0, 4).toString()).toBe('OggS');
    expect(voice.bytes.equals(speech)).toBe(true);
    expect(toolResult()).toMatch(/^Voice note sent \(\d+ KB\)\.$/);
  });

  it('off by default: no send_tts tool for the model', async () => {
    await start({ enabled: false });
    llm!.requests.length = 0;
    tg!.pushMessage('hello');
    await until(() => llm!.requests.length > 0);
    expect(llm!.requests[0]!.body.tools?.map((t) => t.function.name) ?? []).not.toContain('send_tts');
  });

  it('enabled without voice.tts_model_name: the model is told how to configure it, nothing is sent', async () => {
    await start({ voice: {} });
    tg!.pushMessage('say it');
    const result = await until(() => toolResult());
    expect(result).toContain('voice replies are not configured: set voice.tts_model_name');
    expect(tts!.requests).toHaveLength(0);
    expect(voiceCalls()).toHaveLength(0);
  });

  it('a pico (web) chat cannot play voice: the tool says so, the speech is not sent anywhere', async () => {
    await start();
    const socket = new WebSocket(`ws://127.0.0.1:${gw!.port}/pico/ws?session_id=s1`, ['token.pico-test-token']);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send(JSON.stringify({ type: 'message.send', session_id: 's1', payload: { content: 'say it' } }));
    const result = await until(() => toolResult());
    socket.close();
    expect(result).toMatch(/^no voice note sent: this chat cannot play voice \(channel pico is pico/);
    expect(voiceCalls()).toHaveLength(0);
  });

  it('a refused key: the tool answer, the chat and the logs never hold the key the provider quoted back', async () => {
    await start({ key: 'sk-live-secret-speech-key' });
    tg!.pushMessage('say it');
    const result = await until(() => toolResult());
    expect(result).toMatch(/^no voice note sent: speech model speech: HTTP 401/);
    expect(voiceCalls()).toHaveLength(0);
    const everything = `${gw!.logs()}\n${JSON.stringify(llm!.requests)}\n${JSON.stringify(tg!.calls.map((c) => c.body))}`;
    expect(everything).not.toContain('sk-live-secret-speech-key');
  });
});

describe('voice replies (/voice, voice.voice_replies)', () => {
  it('/voice on: the answer is written, then spoken as a voice note of the speech API\'s bytes; /voice off stops it', async () => {
    tts = await startFakeSpeech({ audio: speech, models: ['tts-1'] });
    h = await startTelegramHarness({
      models: [{ model_name: 'speech', model: 'openai/tts-1', api_base: tts.apiBase }],
      config: { voice: { tts_model_name: 'speech' } },
      security: `model_list:\n  speech:\n    api_keys: ["${tts.key}"]\n`,
    });
    ({ tg, llm, gw } = h);
    tg.pushMessage('/voice on');
    await until(() => h!.texts().some((t) => t.startsWith('Voice replies on')));
    tg.pushMessage('is the **garage** open?');
    await until(() => voiceCalls().length === 1);
    expect(h.texts().at(-1)).toBe('you said: is the <b>garage</b> open?');
    // Markdown is not read out.
    expect(tts.requests.map((r) => r.body.input)).toEqual(['you said: is the garage open?']);
    expect((voiceCalls()[0]!.body.voice as { bytes: Buffer }).bytes.equals(speech)).toBe(true);
    const answerAt = tg.calls.filter((c) => c.method === 'sendMessage' || c.method === 'editMessageText').at(-1)!.at;
    expect(voiceCalls()[0]!.at).toBeGreaterThanOrEqual(answerAt);
    tg.pushMessage('/voice off');
    await until(() => h!.texts().some((t) => t.startsWith('Voice replies off')));
    tg.pushMessage('and now?');
    await until(() => h!.texts().includes('you said: and now?'));
    await new Promise((r) => setTimeout(r, 200));
    expect(voiceCalls()).toHaveLength(1);
  });

  it('voice.voice_replies "voice_notes": a voice note is answered with a voice note, a text with text', async () => {
    const { startFakeTranscription } = await import('@picoclaw/test-fakes');
    const stt = await startFakeTranscription({ models: ['whisper-large-v3-turbo'] });
    tts = await startFakeSpeech({ audio: speech, models: ['tts-1'] });
    try {
      h = await startTelegramHarness({
        models: [
          { model_name: 'speech', model: 'openai/tts-1', api_base: tts.apiBase },
          { model_name: 'whisper', model: 'groq/whisper-large-v3-turbo', api_base: stt.apiBase },
        ],
        config: { voice: { model_name: 'whisper', tts_model_name: 'speech', voice_replies: 'voice_notes' } },
        security: `model_list:\n  speech:\n    api_keys: ["${tts.key}"]\n  whisper:\n    api_keys: ["${stt.key}"]\n`,
      });
      ({ tg, llm, gw } = h);
      tg.pushMessage('typed question');
      await until(() => h!.texts().includes('you said: typed question'));
      tg.pushVoice(tg.addFile(speech), { duration: 2 });
      await until(() => voiceCalls().length === 1);
      // The fake transcription service always hears the same sentence.
      expect(tts.requests.map((r) => r.body.input)).toEqual(['you said: turn on the kitchen light']);
    } finally {
      await stt.close();
    }
  });
});
