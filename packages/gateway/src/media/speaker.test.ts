import { configSchema, type Config } from '@picoclaw/core';
import { startFakeSpeech, type FakeSpeech } from '@picoclaw/test-fakes';
import { afterEach, describe, expect, it } from 'vitest';
import { createSpeaker } from './speaker.js';

let tts: FakeSpeech | undefined;
afterEach(async () => {
  await tts?.close();
  tts = undefined;
});
// Not real audio: the client only checks the OGG magic; the channel tests send real Opus.
const ogg = Buffer.concat([Buffer.from('OggS'), Buffer.from([0, 2, 0xff, 0x00, 0x80, 0x7f])]);

function config(voice: Record<string, unknown>, keys: string[] = [tts!.key]): Config {
  return configSchema.parse({ model_list: [{ model_name: 'speech', model: 'openai/tts-1', api_base: tts!.apiBase, api_keys: keys }], voice });
}

describe('createSpeaker', () => {
  it('posts { model, input, voice, response_format: "opus" } with the Bearer key and returns the exact bytes', async () => {
    tts = await startFakeSpeech({ audio: ogg });
    const speaker = createSpeaker({ config: () => config({ tts_model_name: 'speech', tts_voice: 'nova' }) });
    expect(speaker.available()).toBe(true);
    const { audio, model } = await speaker.speak('  The garage door is open.  ');
    expect(audio.equals(ogg)).toBe(true);
    expect(model).toBe('speech');
    expect(tts.requests).toEqual([{ body: { model: 'tts-1', input: 'The garage door is open.', voice: 'nova', response_format: 'opus' }, authorization: `Bearer ${tts.key}` }]);
  });

  it('the voice defaults to alloy', async () => {
    tts = await startFakeSpeech({ audio: ogg });
    await createSpeaker({ config: () => config({ tts_model_name: 'speech' }) }).speak('hi');
    expect(tts.requests[0]!.body.voice).toBe('alloy');
  });

  it('not configured, unknown model, empty or too long text: a clear error and no request', async () => {
    tts = await startFakeSpeech({ audio: ogg });
    const none = createSpeaker({ config: () => config({}) });
    expect(none.available()).toBe(false);
    await expect(none.speak('hi')).rejects.toThrow('no speech model is configured (voice.tts_model_name)');
    await expect(createSpeaker({ config: () => config({ tts_model_name: 'nope' }) }).speak('hi')).rejects.toThrow('speech model nope (voice.tts_model_name) is not in model_list');
    const speaker = createSpeaker({ config: () => config({ tts_model_name: 'speech' }) });
    await expect(speaker.speak('   ')).rejects.toThrow('empty');
    await expect(speaker.speak('x'.repeat(4097))).rejects.toThrow('up to 4096');
    expect(tts.requests).toHaveLength(0);
  });

  it('a refused key is tried with the next key; the error when all fail never holds a key, even when the provider quotes it', async () => {
    tts = await startFakeSpeech({ audio: ogg });
    const good = createSpeaker({ config: () => config({ tts_model_name: 'speech' }, ['sk-wrong-key-1234', tts!.key]) });
    await expect(good.speak('hi')).resolves.toMatchObject({ model: 'speech#key2' });
    const bad = createSpeaker({ config: () => config({ tts_model_name: 'speech' }, ['sk-wrong-key-1234', 'sk-wrong-key-5678']) });
    const error = (await bad.speak('hi').catch((e: Error) => e)) as Error;
    expect(error.message).toMatch(/speech model speech: HTTP 401.*speech model speech#key2: HTTP 401/);
    expect(error.message).not.toContain('sk-wrong-key-1234');
    expect(error.message).not.toContain('sk-wrong-key-5678');
  });

  it('tts_model_fallbacks: a failing speech model hands over to the next, whatever the failure', async () => {
    tts = await startFakeSpeech({ audio: ogg });
    const doc = (fallbacks: string[]) => configSchema.parse({
      model_list: [
        { model_name: 'broken', model: 'openai/tts-1', api_base: 'http://127.0.0.1:9/v1', api_keys: ['k'], request_timeout: 2 },
        { model_name: 'picky', model: 'openai/tts-1', api_base: tts!.apiBase, api_keys: [tts!.key] },
        { model_name: 'speech', model: 'openai/tts-1', api_base: tts!.apiBase, api_keys: [tts!.key] },
      ],
      voice: { tts_model_name: 'broken', tts_model_fallbacks: fallbacks },
    });
    tts.failNext(400, 'unknown voice alloy');
    await expect(createSpeaker({ config: () => doc(['picky', 'speech']) }).speak('hi')).resolves.toMatchObject({ model: 'speech' });
    const error = (await createSpeaker({ config: () => doc([]) }).speak('hi').catch((e: Error) => e)) as Error;
    expect(error.message).toMatch(/^speech model broken: .*(refused|connect)/i);
  });

  it('a server error or a wrong api_base (an answer that is not OGG) is explained', async () => {
    tts = await startFakeSpeech({ audio: Buffer.from('{"ok":true}') });
    const speaker = createSpeaker({ config: () => config({ tts_model_name: 'speech' }) });
    await expect(speaker.speak('hi')).rejects.toThrow(/speech model speech: the answer is not OGG audio \(check api_base/);
    tts.failNext(500, 'overloaded');
    await expect(speaker.speak('hi')).rejects.toThrow('speech model speech: HTTP 500: overloaded');
  });
});
