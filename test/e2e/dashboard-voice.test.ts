/// <reference lib="dom" />
/**
 * Voice in the dashboard chat, in real headless Chromium with its fake microphone: the real
 * launcher and gateway, MediaRecorder's own Opus-in-WebM bytes uploaded to the fake
 * transcription API as a Telegram voice note would be, the transcript answered by the fake model.
 */
import { startFakeLlm, startFakeTranscription, type FakeLlm, type FakeTranscription } from '@picoclaw/test-fakes';
import { afterEach, describe, expect, it } from 'vitest';
import { logIn, useDashboard } from './dashboard-harness.js';

// A fake microphone (a beep), allowed without asking.
const ui = useDashboard({ name: 'voice', chromiumArgs: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] });
let llm: FakeLlm | undefined;
let stt: FakeTranscription | undefined;
afterEach(async () => {
  await Promise.all([llm?.close(), stt?.close()]);
  llm = stt = undefined;
});

function start(voice: Record<string, unknown>) {
  return ui.start({
    agents: { defaults: { model_name: 'm' } },
    model_list: [
      { model_name: 'm', model: 'openai/gpt-4o-mini', api_base: llm!.url, api_keys: ['k'] },
      { model_name: 'whisper', model: 'groq/whisper-large-v3-turbo', api_base: stt!.apiBase, api_keys: [stt!.key] },
    ],
    voice,
  });
}

describe('dashboard chat voice in Chromium', () => {
  it('records from the microphone, the gateway transcribes the WebM as a voice note, "heard" is echoed, the model gets the transcript; after a reload it is the message', async () => {
    llm = await startFakeLlm([{ text: ['The kitchen light is on.'] }]);
    stt = await startFakeTranscription();
    const base = await start({ model_name: 'whisper', echo_transcription: true });
    const page = await ui.browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await logIn(page, base);
    await page.getByLabel('Message').fill('please');
    await page.getByRole('button', { name: 'Record voice' }).click();
    const stop = page.getByRole('button', { name: 'Stop recording and send' });
    await stop.waitFor();
    await page.waitForTimeout(1500);
    await stop.click();
    await page.getByText('The kitchen light is on.').waitFor({ timeout: 15_000 });

    expect(stt.uploads).toHaveLength(1);
    const [upload] = stt.uploads;
    expect(upload).toMatchObject({ model: 'whisper-large-v3-turbo', filename: 'voice.webm', mimeType: 'audio/webm', authorization: `Bearer ${stt.key}` });
    // What MediaRecorder made: a WebM (EBML) file of more than a header.
    expect(upload!.bytes.subarray(0, 4).toString('hex')).toBe('1a45dfa3');
    expect(upload!.bytes.length).toBeGreaterThan(1000);
    expect(llm.requests[0]!.body.messages.at(-1)).toEqual({ role: 'user', content: 'please\n\nturn on the kitchen light' });
    expect(await page.locator('.message.transcript').textContent()).toBe('🎙 heard: turn on the kitchen light');
    expect(await page.locator('.message.user .voice-chip').textContent()).toMatch(/^0:0[1-3]$/);
    expect(await page.getByLabel('Message').inputValue()).toBe('');

    await page.reload();
    await page.getByText('The kitchen light is on.').waitFor({ timeout: 15_000 });
    expect(await page.locator('.message.user .content').textContent()).toBe('please\n\nturn on the kitchen light');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('without a transcription model the reason shows and the recording stays in the composer; nothing reaches the model', async () => {
    llm = await startFakeLlm([], { echo: true });
    stt = await startFakeTranscription();
    const base = await start({});
    const page = await ui.browser.newPage();
    await logIn(page, base);
    await page.getByRole('button', { name: 'Record voice' }).click();
    await page.waitForTimeout(500);
    await page.getByRole('button', { name: 'Stop recording and send' }).click();
    await page.getByRole('alert').getByText(/Not sent: attachments\[0\]: Voice notes need a transcription model: set voice\.model_name in config\.json/).waitFor();
    expect(await page.locator('.attachments li.audio').count()).toBe(1);
    expect(await page.locator('.message.user').count()).toBe(0);
    expect(stt.uploads).toEqual([]);
    expect(llm.requests).toEqual([]);
    await page.close();
  });
});
