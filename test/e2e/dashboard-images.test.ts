/// <reference lib="dom" />
/**
 * Images and files in the dashboard chat, in real headless Chromium: the real launcher (login,
 * chat proxy, /api/media/images) runs the real gateway (pico channel, image store, inbox, agent)
 * against the fake model, which records what it was sent, and the fake Home Assistant's real MCP
 * server (a camera snapshot).
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { makePng, startFakeHomeAssistant, startFakeLlm, type FakeHomeAssistant, type FakeLlm } from '@picoclaw/test-fakes';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { logIn, useDashboard, waitForMcpConnected } from './dashboard-harness.js';

const ui = useDashboard({ name: 'images' });
let llm: FakeLlm | undefined;
let ha: FakeHomeAssistant | undefined;
afterEach(async () => {
  await Promise.all([llm?.close(), ha?.close()]);
  llm = ha = undefined;
});

/** The launcher with one model the gateway knows can see images (gpt-4o). */
function start(defaults: Record<string, unknown> = {}, more: Record<string, unknown> = {}) {
  return ui.start({
    ...more,
    agents: { defaults: { model_name: 'vision', ...defaults } },
    model_list: [{ model_name: 'vision', model: 'openai/gpt-4o', api_base: llm!.url, api_keys: ['k'] }],
  });
}

/** What the last message of a model request carried: its text parts and its image URLs. */
function lastUserParts(llm: FakeLlm, index: number) {
  const content = llm.requests[index]!.body.messages.at(-1)!.content as { type: string; text?: string; image_url?: { url: string } }[];
  expect(Array.isArray(content)).toBe(true);
  return { text: content.filter((p) => p.type === 'text').map((p) => p.text), images: content.filter((p) => p.type === 'image_url').map((p) => p.image_url!.url) };
}

/** Whether every picture of a locator has loaded and decoded (a broken image has no width). */
const allDecoded = (page: Page, selector: string) =>
  page.locator(selector).evaluateAll((imgs) => imgs.length > 0 && imgs.every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0));

describe('dashboard chat images in Chromium', () => {
  it('attach (button) and paste pictures; the model gets image_url parts; after a reload the pictures are in the history and open full size', async () => {
    llm = await startFakeLlm([{ text: ['A red square.'] }, { text: ['A blue one.'] }]);
    const base = await start();
    const page = await ui.browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await logIn(page, base);

    // 3.5 MiB: as base64 more than the 1 MiB the pico channel and the 4 MiB the launcher's proxy took for text.
    const red = Buffer.concat([makePng(48, 32, { rgb: [220, 40, 40] }), randomBytes(3.5 * 1024 * 1024)]); // bytes after IEND are ignored by decoders
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByRole('button', { name: 'Attach images or files' }).click()]);
    await chooser.setFiles({ name: 'red.png', mimeType: 'image/png', buffer: red });
    await page.getByRole('button', { name: 'Remove red.png' }).waitFor();
    await page.getByLabel('Message').fill('what is this?');
    await page.keyboard.press('Enter');
    await page.getByText('A red square.').waitFor({ timeout: 15_000 });
    const first = lastUserParts(llm, 0);
    expect(first.text).toEqual(['what is this?']);
    expect(first.images).toEqual([`data:image/png;base64,${red.toString('base64')}`]);
    expect(await page.locator('.attachments').count()).toBe(0);

    // A picture pasted into the text box, sent without text.
    const blue = makePng(16, 16, { rgb: [30, 60, 220] });
    await page.getByLabel('Message').focus();
    await page.evaluate((b64) => {
      const data = new DataTransfer();
      data.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'blue.png', { type: 'image/png' }));
      document.querySelector('#composer')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    }, blue.toString('base64'));
    await page.getByRole('button', { name: 'Remove blue.png' }).waitFor();
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByText('A blue one.').waitFor({ timeout: 15_000 });
    expect(lastUserParts(llm, 1).images).toEqual([`data:image/png;base64,${blue.toString('base64')}`]);
    expect(await allDecoded(page, '.message.user img')).toBe(true);

    // The picture just sent opens full size in a new tab (a blob: URL: browsers do not open data: URLs).
    const [live] = await Promise.all([page.waitForEvent('popup'), page.locator('.message.user img').last().click()]);
    await live.waitForLoadState();
    expect(live.url()).toMatch(/^blob:/);
    expect(await live.evaluate(() => document.contentType)).toBe('image/png');
    expect(await allDecoded(live, 'img')).toBe(true);
    await live.close();

    // Stored once each, by content, in the workspace.
    expect((await readdir(join(ui.home, 'workspace', 'media', 'images'))).sort()).toHaveLength(2);

    await page.reload();
    await page.getByText('A blue one.').waitFor({ timeout: 15_000 });
    const sources = await page.locator('.message.user img').evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).getAttribute('src')));
    expect(sources).toEqual([expect.stringMatching(/^\/api\/media\/images\/[0-9a-f]{32}\.png$/), expect.stringMatching(/^\/api\/media\/images\/[0-9a-f]{32}\.png$/)]);
    // Loaded after the text is shown (the first is 3.5 MB): waited for, not assumed.
    await expect.poll(() => allDecoded(page, '.message.user img'), { timeout: 10_000 }).toBe(true);
    expect(await page.locator('.message.user').first().textContent()).toContain('what is this?');

    const [full] = await Promise.all([page.waitForEvent('popup'), page.locator('.message.user img').first().click()]);
    await full.waitForLoadState();
    expect(new URL(full.url()).pathname).toBe(sources[0]);
    expect(await full.evaluate(() => document.contentType)).toBe('image/png');
    await full.close();

    // Only for the logged-in user.
    const stranger = await ui.browser.newContext();
    expect((await stranger.request.get(`${base}${sources[0]}`)).status()).toBe(401);
    await stranger.close();
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a picture the gateway refuses: the reason shows and the message stays in the composer; an empty dropped file is refused before sending', async () => {
    llm = await startFakeLlm([], { echo: true });
    const base = await start({ max_media_size: 1000 });
    const page = await ui.browser.newPage();
    await logIn(page, base);
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByRole('button', { name: 'Attach images or files' }).click()]);
    await chooser.setFiles({ name: 'big.png', mimeType: 'image/png', buffer: Buffer.concat([makePng(), randomBytes(4000)]) });
    await page.getByLabel('Message').fill('and this one?');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByRole('alert').getByText('Not sent: media[0]: image exceeds 1000 byte limit (agents.defaults.max_media_size)').waitFor();
    expect(await page.getByLabel('Message').inputValue()).toBe('and this one?');
    await page.getByRole('button', { name: 'Remove big.png' }).waitFor();
    expect(await page.locator('.message.user').count()).toBe(0);
    expect(llm.requests).toEqual([]);

    await page.locator('.chat').evaluate((main) => {
      const data = new DataTransfer();
      data.items.add(new File([], 'empty.txt', { type: 'text/plain' }));
      main.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    });
    await page.getByRole('alert').getByText('empty.txt is empty, so there is nothing to send.').waitFor();
    await page.close();
  });
});

describe('dashboard chat files and tool images in Chromium', () => {
  it('a CSV (button) and a dropped file land in media/inbox with their bytes; the model is told their paths; after a reload the bubbles show the chips', async () => {
    llm = await startFakeLlm([{ text: ['Two rows.'] }, { text: ['A log.'] }]);
    const base = await start();
    const page = await ui.browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await logIn(page, base);
    const csv = Buffer.from('room,kWh\nkitchen,1.5\ngarage,0.3\n');
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByRole('button', { name: 'Attach images or files' }).click()]);
    await chooser.setFiles({ name: 'power.csv', mimeType: 'text/csv', buffer: csv });
    await page.getByRole('button', { name: 'Remove power.csv' }).waitFor();
    await page.getByLabel('Message').fill('sum the kWh');
    await page.keyboard.press('Enter');
    await page.getByText('Two rows.').waitFor({ timeout: 15_000 });
    const day = new Date().toISOString().slice(0, 10);
    const path = `media/inbox/${day}-power.csv`;
    expect(llm.requests[0]!.body.messages.at(-1)).toEqual({ role: 'user', content: `[file received: ${path} (1 KB, text/csv)]\n\nsum the kWh` });
    expect(await readFile(join(ui.home, 'workspace', path))).toEqual(csv);
    expect((await stat(join(ui.home, 'workspace', path))).mode & 0o777).toBe(0o600);
    expect(await page.locator('.message.user .files li').textContent()).toBe('power.csv 1 KB');

    // A binary file dropped on the chat, sent without text; its unsafe name is made safe.
    const log = randomBytes(3000);
    await page.locator('.chat').evaluate((main, b64) => {
      const data = new DataTransfer();
      data.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], '.hidden log.gz', { type: 'application/gzip' }));
      main.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    }, log.toString('base64'));
    await page.getByRole('button', { name: 'Remove .hidden log.gz' }).waitFor();
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByText('A log.').waitFor({ timeout: 15_000 });
    expect(llm.requests[1]!.body.messages.at(-1)!.content).toBe(`[file received: media/inbox/${day}-hidden log.gz (3 KB, application/gzip)]`);
    expect(await readFile(join(ui.home, 'workspace', 'media', 'inbox', `${day}-hidden log.gz`))).toEqual(log);

    await page.reload();
    await page.getByText('A log.').waitFor({ timeout: 15_000 });
    const bubbles = page.locator('.message.user');
    expect(await bubbles.count()).toBe(2);
    expect(await bubbles.nth(0).locator('.files li').textContent()).toBe('power.csv 1 KB');
    expect(await bubbles.nth(0).locator('.content').textContent()).toBe('sum the kWh');
    expect(await bubbles.nth(1).locator('.files li').textContent()).toBe('hidden log.gz 3 KB');
    expect(await bubbles.nth(1).locator('.content').textContent()).toBe('');
    expect(errors).toEqual([]);
    await page.close();
  });

  it("a camera snapshot from a real MCP server shows under the tool card live, and on the answer after a reload", async () => {
    const snapshot = makePng(24, 16, { rgb: [0, 128, 255] });
    ha = await startFakeHomeAssistant({ camera: snapshot });
    llm = await startFakeLlm([{ toolCalls: [{ id: 'c1', name: 'mcp_homeassistant_camerasnapshot', arguments: '{"name":"garage"}' }] }, { text: ['The garage door is open.'] }]);
    const base = await start({}, { tools: { mcp: { enabled: true, servers: { homeassistant: { type: 'http', url: ha.url, headers: { Authorization: `Bearer ${ha.token}` } } } } } });
    const page = await ui.browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await logIn(page, base);
    await waitForMcpConnected(page, 200);
    await page.getByLabel('Message').fill('is the garage open?');
    await page.keyboard.press('Enter');
    await page.getByText('The garage door is open.').waitFor({ timeout: 15_000 });
    expect(ha.calls).toEqual([{ tool: 'CameraSnapshot', args: { name: 'garage' } }]);
    const live = await page.locator('.tool-images img').evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).getAttribute('src')));
    expect(live).toEqual([expect.stringMatching(/^\/api\/media\/images\/[0-9a-f]{32}\.png$/)]);
    await expect.poll(() => allDecoded(page, '.tool-images img'), { timeout: 10_000 }).toBe(true);
    // The bytes the browser was served are the camera's.
    const served = await page.evaluate(async (src) => Array.from(new Uint8Array(await (await fetch(src)).arrayBuffer())), live[0]!);
    expect(Buffer.from(served).equals(snapshot)).toBe(true);

    await page.reload();
    await page.getByText('The garage door is open.').waitFor({ timeout: 15_000 });
    const answer = page.locator('.message.assistant', { hasText: 'The garage door is open.' });
    expect(await answer.locator('img').evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).getAttribute('src')))).toEqual(live);
    await expect.poll(() => allDecoded(page, '.message.assistant img'), { timeout: 10_000 }).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });
});
