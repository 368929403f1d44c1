/**
 * Voice notes on Telegram, end to end in one process: a real OGG/Opus voice note (espeak-ng →
 * opusenc, made here) is pushed on the fake Bot API, downloaded through its file endpoint,
 * uploaded to the fake transcription server and the transcript answered by the fake LLM.
 */
import { makeVoiceNote, startFakeTranscription, type FakeLlm, type FakeTelegram, type FakeTranscription } from '@picoclaw/test-fakes';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTelegramHarness, type TelegramHarness } from '../../testing/telegram-harness.js';

let voiceNote: Buffer;
beforeAll(async () => {
  voiceNote = await makeVoiceNote('turn on the kitchen light');
});

let h: TelegramHarness | undefined;
let tg: FakeTelegram | undefined;
let llm: FakeLlm | undefined;
let stt: FakeTranscription | undefined;
afterEach(async () => {
  await h?.close();
  await stt?.close();
  h = tg = llm = stt = undefined;
});

async function start(voice: Record<string, unknown> | undefined) {
  stt = await startFakeTranscription({ models: ['whisper-large-v3-turbo', 'voxtral-mini-latest'] });
  h = await startTelegramHarness({
    models: [
      { model_name: 'whisper', model: 'groq/whisper-large-v3-turbo', api_base: stt.apiBase },
      { model_name: 'voxtral', model: 'mistral/voxtral-mini-latest', api_base: stt.apiBase },
    ],
    config: voice ? { voice } : {},
    security: `model_list:\n  whisper:\n    api_keys: ["${stt.key}"]\n  voxtral:\n    api_keys: ["${stt.key}"]\n`,
  });
  ({ tg, llm } = h);
}

const until = <T,>(check: () => T | undefined | false) => h!.until(check);
const texts = () => h!.texts();
const userMessages = () => h!.userMessages();
/** Everything the bot wrote and logged: the token must be in none of it. */
const everything = () => h!.everything();

describe('Telegram voice notes', () => {
  it('a voice note reaches the transcription API as that exact OGG file, the model gets the transcript, and "heard" is echoed first', async () => {
    await start({ model_name: 'whisper', echo_transcription: true });
    const fileId = tg!.addFile(voiceNote);
    tg!.pushVoice(fileId, { duration: 2 });
    await until(() => texts().includes('you said: turn on the kitchen light'));
    expect(voiceNote.subarray(0, 4).toString()).toBe('OggS');
    expect(stt!.uploads).toHaveLength(1);
    const [upload] = stt!.uploads;
    expect(upload).toMatchObject({ model: 'whisper-large-v3-turbo', filename: 'voice.ogg', mimeType: 'audio/ogg', authorization: `Bearer ${stt!.key}` });
    expect(upload!.bytes.equals(voiceNote)).toBe(true);
    expect(tg!.downloads).toEqual(['voice/file_1.oga']);
    expect(userMessages()).toEqual(['turn on the kitchen light']);
    // The echo comes before the answer; typing shows while it is transcribed.
    expect(texts()).toEqual(['🎙 heard: turn on the kitchen light', 'Thinking... 💭', 'you said: turn on the kitchen light']);
    const typingAt = tg!.calls.find((c) => c.method === 'sendChatAction')!.at;
    expect(typingAt).toBeLessThanOrEqual(tg!.calls.find((c) => c.method === 'getFile')!.at);
    expect(everything()).not.toContain(tg!.token);
    expect(everything()).not.toContain(stt!.key);
  });

  it('without echo nothing but the answer is shown; a caption goes to the model before the transcript', async () => {
    await start({ model_name: 'whisper' });
    tg!.pushVoice(tg!.addFile(voiceNote), { duration: 2, caption: 'from the hallway:' });
    await until(() => llm!.requests.length === 1 && texts().some((t) => t.startsWith('you said')));
    expect(userMessages()).toEqual(['from the hallway:\n\nturn on the kitchen light']);
    expect(texts().some((t) => t.includes('heard'))).toBe(false);
  });

  it('an audio file is transcribed too, under its own file name and type', async () => {
    await start({ model_name: 'whisper' });
    tg!.pushAudio(tg!.addFile(voiceNote, 'music/file_9.ogg'), { duration: 2, file_name: 'memo.ogg', mime_type: 'audio/ogg' });
    await until(() => texts().includes('you said: turn on the kitchen light'));
    expect(stt!.uploads[0]).toMatchObject({ filename: 'memo.ogg', mimeType: 'audio/ogg' });
  });

  it('falls back from a failing transcription model to voice.model_fallbacks, and says why when all fail', async () => {
    await start({ model_name: 'whisper', model_fallbacks: ['voxtral'] });
    stt!.failNext(429, 'rate limit reached', 'whisper-large-v3-turbo');
    tg!.pushVoice(tg!.addFile(voiceNote), { duration: 2 });
    await until(() => texts().includes('you said: turn on the kitchen light'));
    expect(stt!.uploads.map((u) => u.model)).toEqual(['whisper-large-v3-turbo', 'voxtral-mini-latest']);
    expect(stt!.uploads[1]!.bytes.equals(voiceNote)).toBe(true);

    stt!.failNext(500, 'internal error', 'whisper-large-v3-turbo');
    stt!.failNext(503, 'overloaded', 'voxtral-mini-latest');
    tg!.pushVoice(tg!.addFile(voiceNote), { duration: 2 });
    const reply = await until(() => texts().find((t) => t.startsWith('I could not transcribe')));
    expect(reply).toMatch(/^I could not transcribe that voice note: transcription model whisper: HTTP 500: internal error; transcription model voxtral: HTTP 503: overloaded\.$/);
    expect(llm!.requests).toHaveLength(1);
  });

  it('not configured: the user is told to set voice.model_name, and nothing is downloaded', async () => {
    await start(undefined);
    tg!.pushVoice(tg!.addFile(voiceNote), { duration: 2 });
    const reply = await until(() => texts()[0]);
    expect(reply).toContain('voice.model_name');
    expect(reply).toContain('groq/whisper-large-v3-turbo');
    expect(tg!.calls.some((c) => c.method === 'getFile')).toBe(false);
    expect(tg!.downloads).toEqual([]);
    expect(llm!.requests).toHaveLength(0);
  });

  it('over the duration or size limit: a clear reply, and the file is never fetched', async () => {
    await start({ model_name: 'whisper', max_duration_seconds: 60 });
    tg!.pushVoice(tg!.addFile(voiceNote), { duration: 61 });
    await until(() => texts().length === 1);
    tg!.pushVoice(tg!.addFile(voiceNote), { duration: 5, file_size: 25 * 1024 * 1024 });
    await until(() => texts().length === 2);
    expect(texts()).toEqual([
      'That voice note is 1 min 1 s long; I transcribe up to 1 min (voice.max_duration_seconds).',
      'That voice note is 25 MB; I transcribe up to 20 MB (voice.max_bytes).',
    ]);
    expect(tg!.calls.some((c) => c.method === 'getFile')).toBe(false);
    expect(tg!.downloads).toEqual([]);
    expect(stt!.uploads).toHaveLength(0);
  });

  it('a file larger than it said is cut off at voice.max_bytes while downloading', async () => {
    await start({ model_name: 'whisper', max_bytes: 2048 });
    tg!.pushVoice(tg!.addFile(Buffer.concat([voiceNote, Buffer.alloc(4096)])), { duration: 2, file_size: 100 });
    const reply = await until(() => texts()[0]);
    expect(reply).toBe('I could not transcribe that voice note: it is larger than 2 KB (voice.max_bytes).');
    expect(stt!.uploads).toHaveLength(0);
  });

  it('a voice note from a user not in allow_from is not downloaded', async () => {
    await start({ model_name: 'whisper' });
    tg!.pushVoice(tg!.addFile(voiceNote), { duration: 2 }, { id: 7 });
    await until(() => texts()[0]);
    expect(texts()).toEqual(['Sorry, this is a private assistant and you are not on its list of users. Your Telegram user id is 7: its owner can add it to allow_from.']);
    expect(tg!.calls.some((c) => c.method === 'getFile')).toBe(false);
    expect(stt!.uploads).toHaveLength(0);
  });

  it('a failed download is explained without the bot token in the reply or the logs', async () => {
    await start({ model_name: 'whisper' });
    tg!.pushVoice('no-such-file', { duration: 2 });
    const reply = await until(() => texts()[0]);
    expect(reply).toMatch(/^I could not transcribe that voice note: .*invalid file_id/);
    expect(everything()).not.toContain(tg!.token);
    expect(everything()).not.toContain(tg!.token.split(':')[1]);
  });

  it('a file Telegram cannot serve is explained without the bot token (its download URL holds it)', async () => {
    await start({ model_name: 'whisper' });
    const fileId = tg!.addFile(voiceNote);
    tg!.loseFile(fileId);
    tg!.pushVoice(fileId, { duration: 2 });
    const reply = await until(() => texts()[0]);
    expect(reply).toBe('I could not transcribe that voice note: downloading it from Telegram failed (HTTP 404).');
    expect(tg!.downloads).toEqual(['voice/file_1.oga']);
    expect(everything()).not.toContain(tg!.token.split(':')[1]);
  });
});
