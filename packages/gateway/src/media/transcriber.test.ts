import { configSchema, type Config } from '@picoclaw/core';
import { startFakeTranscription, type FakeTranscription } from '@picoclaw/test-fakes';
import { afterEach, describe, expect, it } from 'vitest';
import { createTranscriber } from './transcriber.js';

let stt: FakeTranscription | undefined;
afterEach(async () => {
  await stt?.close();
  stt = undefined;
});

function config(voice: Record<string, unknown>, key = stt!.key): Config {
  return configSchema.parse({
    model_list: [
      { model_name: 'whisper', model: 'groq/whisper-large-v3-turbo', api_base: stt!.apiBase, api_keys: [key] },
      { model_name: 'voxtral', model: 'mistral/voxtral-mini-latest', api_base: stt!.apiBase, api_keys: [stt!.key] },
    ],
    voice,
  });
}
const audio = Buffer.from('OggS\u0000fake opus bytes \r\n--not-a-boundary\r\n', 'latin1');

describe('createTranscriber', () => {
  it('posts the audio as multipart (model id, file name, type, exact bytes, Bearer key) and returns the text', async () => {
    stt = await startFakeTranscription({ models: ['whisper-large-v3-turbo'] });
    const t = createTranscriber({ config: () => config({ model_name: 'whisper' }) });
    expect(t.available()).toBe(true);
    expect(t.limits()).toEqual({ maxBytes: 20 * 1024 * 1024, maxDurationSeconds: 300, echo: false });
    await expect(t.transcribe(audio, { filename: 'voice.ogg', mimeType: 'audio/ogg' })).resolves.toEqual({ text: 'turn on the kitchen light', model: 'whisper' });
    expect(stt.uploads).toHaveLength(1);
    const [upload] = stt.uploads;
    expect(upload).toMatchObject({ model: 'whisper-large-v3-turbo', filename: 'voice.ogg', mimeType: 'audio/ogg', authorization: `Bearer ${stt.key}` });
    expect(upload!.bytes.equals(audio)).toBe(true);
  });

  it('a file name or type cannot break out of its multipart header', async () => {
    stt = await startFakeTranscription();
    const t = createTranscriber({ config: () => config({ model_name: 'whisper' }) });
    await t.transcribe(audio, { filename: 'a"\r\nContent-Type: text/html\r\n\r\n.ogg', mimeType: 'audio/ogg\r\nX: y' });
    expect(stt.uploads[0]).toMatchObject({ filename: expect.stringMatching(/^[\w.-]+$/), mimeType: 'application/octet-stream' });
  });

  it('falls back to voice.model_fallbacks on 429, 5xx and a refused key, and stops on a refusal of the audio', async () => {
    stt = await startFakeTranscription({ models: ['whisper-large-v3-turbo', 'voxtral-mini-latest'] });
    const t = createTranscriber({ config: () => config({ model_name: 'whisper', model_fallbacks: ['voxtral'] }) });
    stt.failNext(429, 'rate limited', 'whisper-large-v3-turbo');
    await expect(t.transcribe(audio, { filename: 'voice.ogg', mimeType: 'audio/ogg' })).resolves.toMatchObject({ model: 'voxtral' });
    stt.failNext(500, 'boom', 'whisper-large-v3-turbo');
    await expect(t.transcribe(audio, { filename: 'voice.ogg', mimeType: 'audio/ogg' })).resolves.toMatchObject({ model: 'voxtral' });
    expect(stt.uploads.map((u) => u.model)).toEqual(['whisper-large-v3-turbo', 'voxtral-mini-latest', 'whisper-large-v3-turbo', 'voxtral-mini-latest']);
    stt.failNext(400, 'audio file is corrupt', 'whisper-large-v3-turbo');
    await expect(t.transcribe(audio, { filename: 'voice.ogg', mimeType: 'audio/ogg' })).rejects.toThrow(/transcription model whisper: HTTP 400: audio file is corrupt$/);
    expect(stt.uploads).toHaveLength(5);

    const wrongKey = createTranscriber({ config: () => config({ model_name: 'whisper', model_fallbacks: ['voxtral'] }, 'gsk_wrong-key-123') });
    await expect(wrongKey.transcribe(audio, { filename: 'voice.ogg', mimeType: 'audio/ogg' })).resolves.toMatchObject({ model: 'voxtral' });
  });

  it('names every model that failed and never the API key', async () => {
    stt = await startFakeTranscription();
    const t = createTranscriber({ config: () => config({ model_name: 'whisper', model_fallbacks: ['voxtral', 'missing'] }) });
    stt.failNext(500, `upstream said: key ${stt.key} overloaded`);
    stt.failNext(503, `again ${stt.key}`);
    const error = await t.transcribe(audio, { filename: 'voice.ogg', mimeType: 'audio/ogg' }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain('transcription model whisper: HTTP 500');
    expect(message).toContain('transcription model voxtral: HTTP 503');
    expect(message).toContain('model missing is not in model_list');
    expect(message).not.toContain(stt.key);
  });

  it('is not available without voice.model_name, and says so', async () => {
    stt = await startFakeTranscription();
    const t = createTranscriber({ config: () => config({}) });
    expect(t.available()).toBe(false);
    await expect(t.transcribe(audio, { filename: 'voice.ogg', mimeType: 'audio/ogg' })).rejects.toThrow(/voice\.model_name/);
    expect(stt.uploads).toHaveLength(0);
  });
});
