/**
 * The guided setup ("Setup guide") in real headless Chromium, served by the real launcher running
 * the real gateway, against a fake model, a fake Telegram Bot API, a fake Home Assistant MCP server
 * and a real mosquitto: a fresh home with no model → the password → the guide opens by itself →
 * model saved and answering → Telegram token checked (a wrong one first), bot on with nobody
 * allowed, a stranger writes, appears, is allowed and gets answers → Home Assistant checked (a
 * wrong token first) and saved → MQTT checked and saved, a device asks over the broker → summary.
 * Also: a step skipped and come back to, and a closed guide that does not open again.
 * Screenshots: test/e2e/screenshots/wizard-<step>-<width>.png.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startFakeHomeAssistant, startFakeLlm, startFakeTelegram, startMosquitto } from '@picoclaw/test-fakes';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { setPassword, useDashboard } from './dashboard-harness.js';

const ui = useDashboard({ name: 'wizard' });
const shots = new URL('./screenshots/', import.meta.url).pathname;

/** The step at 1280 and 390 px wide (the phone layout), back to 1280. */
async function shoot(page: Page, step: string) {
  await mkdir(shots, { recursive: true });
  for (const [width, height] of [[1280, 900], [390, 844]] as const) {
    await page.setViewportSize({ width, height });
    // The page scrolls inside the layout: show the end of the step (its latest result) on a phone.
    if (width < 900) await page.locator('.wizard-body > :last-child').scrollIntoViewIfNeeded();
    await page.waitForTimeout(150);
    await page.screenshot({ path: `${shots}wizard-${step}-${width}.png`, fullPage: true });
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    expect(sideways, `sideways scroll on ${step} at ${width} px`).toBeLessThanOrEqual(0);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

const config = async (home: string) => JSON.parse(await readFile(join(home, 'config.json'), 'utf8')) as { channel_list: Record<string, { enabled?: boolean; allow_from?: string[]; settings?: Record<string, unknown> }>; tools?: { mcp?: { servers?: Record<string, { url?: string; headers?: Record<string, string> }> } }; model_list: { model_name: string; model: string }[]; agents: { defaults: { model_name: string } } };

describe('the guided setup in Chromium', () => {
  it('end to end: model, Telegram with "find my user id", Home Assistant, MQTT, summary', async () => {
    const llm = ui.track(await startFakeLlm([], { echo: true }));
    const tg = ui.track(await startFakeTelegram({ username: 'home_helper_bot' }));
    const ha = ui.track(await startFakeHomeAssistant());
    const broker = ui.track(await startMosquitto());
    // A fresh home: no model. The Telegram entry only says where its Bot API is (the fake's).
    const base = await ui.start({ channel_list: { telegram: { type: 'telegram', enabled: false, settings: { base_url: tg.url } } } });
    const page = await ui.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base);
    await setPassword(page);

    // ── the guide opens by itself, at step 1 ──
    await page.getByRole('heading', { level: 1, name: 'Setup guide' }).waitFor({ timeout: 15_000 });
    expect(new URL(page.url()).pathname).toBe('/setup');
    const body = page.locator('.wizard-body');
    await body.getByRole('heading', { name: 'Step 1 of 4: Model' }).waitFor();
    await page.getByText('Gateway running').waitFor({ timeout: 15_000 });
    await shoot(page, 'model');
    await body.getByLabel('Provider').selectOption('groq');
    await body.getByLabel('API key').fill('sk-test-key');
    await body.getByText('Advanced').click();
    await body.getByLabel('API base').fill(llm.url);
    await body.getByRole('button', { name: 'Save and test' }).click();
    await body.getByText(/answered in \d+ ms/).waitFor({ timeout: 20_000 }).catch(async (e: unknown) => {
      throw new Error(`${String(e)}\n${await body.innerText()}`);
    });
    let saved = await config(ui.home);
    expect(saved.model_list).toEqual([expect.objectContaining({ model_name: 'groq', model: 'groq/llama-3.3-70b-versatile' })]);
    expect(saved.agents.defaults.model_name).toBe('groq');
    // The key went to the launcher, not into config.json in the clear, and is not shown back.
    expect(await page.locator('input[type="password"]').evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value))).not.toContain('sk-test-key');
    expect(await page.locator('[data-step="model"]').getAttribute('data-state')).toBe('done');
    await page.getByRole('button', { name: 'Next' }).click();

    // ── Telegram ──
    await body.getByRole('heading', { name: 'Step 2 of 4: Telegram' }).waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('H2');
    await body.getByText('Send /newbot').waitFor();
    await body.getByLabel('Bot token').fill('123456:WRONG-token');
    await body.getByRole('button', { name: 'Check' }).click();
    await body.getByRole('alert').getByText(/^Telegram rejected this token \(401 Unauthorized\): copy it again from @BotFather/).waitFor();
    expect(await body.getByRole('button', { name: 'Save and turn on the bot' }).isDisabled()).toBe(true);
    await shoot(page, 'telegram-wrong-token');
    await body.getByLabel('Bot token').fill(tg.token);
    await body.getByRole('button', { name: 'Check' }).click();
    await body.getByText('The token works: this is @home_helper_bot.').waitFor();
    await body.getByRole('button', { name: 'Save and turn on the bot' }).click();
    await body.getByText(/^Nobody can use the bot yet: its list of allowed users \(allow_from\) is empty/).waitFor();
    await body.getByText('Waiting for a message…').waitFor({ timeout: 15_000 });
    saved = await config(ui.home);
    expect(saved.channel_list.telegram).toMatchObject({ enabled: true, allow_from: [] });
    // Not done while nobody may use the bot.
    expect(await page.locator('[data-step="telegram"]').getAttribute('data-state')).toBe('todo');
    await shoot(page, 'telegram-waiting');
    // The owner writes to the bot: refused (and told their id), listed here.
    await expect.poll(() => tg.calls.some((c) => c.method === 'getUpdates'), { timeout: 15_000 }).toBe(true);
    tg.pushMessage('hello bot', { id: 7001, username: 'owner' });
    const allow = body.getByRole('button', { name: 'Allow T (user id 7001)' });
    await allow.waitFor({ timeout: 15_000 });
    await body.getByText('@owner · user id 7001').waitFor();
    await shoot(page, 'telegram-found');
    await allow.click();
    await body.getByText('Allowed T (7001). Write to @home_helper_bot again: it answers now.').waitFor();
    await expect.poll(async () => (await config(ui.home)).channel_list.telegram!.allow_from).toEqual(['7001']);
    await expect.poll(() => page.locator('[data-step="telegram"]').getAttribute('data-state')).toBe('done');
    expect(tg.sent().some((s) => String(s.body.text).includes('Your Telegram user id is 7001'))).toBe(true);
    // Their next message gets an answer from the model.
    await expect.poll(async () => {
      const status = await page.evaluate(async () => (await (await fetch('/api/channels')).json()) as { channels: { telegram: { allow_from: string[] } }; status?: { name: string; state: string }[] });
      return status.channels.telegram.allow_from.length === 1 && status.status?.find((s) => s.name === 'telegram')?.state;
    }, { timeout: 15_000 }).toBe('running');
    tg.pushMessage('hi again', { id: 7001, username: 'owner' });
    await expect.poll(() => tg.messages().some((m) => m.chat_id === 7001 && m.text.includes('you said: hi again')), { timeout: 20_000 }).toBe(true);
    await page.getByRole('button', { name: 'Next' }).click();

    // ── Home Assistant ──
    await body.getByRole('heading', { name: 'Step 3 of 4: Home Assistant' }).waitFor();
    await body.getByLabel('Home Assistant address').fill(`http://127.0.0.1:${ha.port}/`);
    await body.getByText(`PicoClaw connects to http://127.0.0.1:${ha.port}/api/mcp`).waitFor();
    await body.getByLabel('Long-lived access token').fill('not-the-token');
    await body.getByRole('button', { name: 'Check' }).click();
    await body.getByRole('alert').getByText(/401.*refused the credentials/).waitFor({ timeout: 15_000 });
    await shoot(page, 'homeassistant-wrong-token');
    await body.getByLabel('Long-lived access token').fill(ha.token);
    await body.getByRole('button', { name: 'Check' }).click();
    await body.getByText(/^Connected: 4 tools \(/).waitFor({ timeout: 15_000 });
    await body.getByRole('button', { name: 'Save', exact: true }).click();
    await body.getByText("Saved: the assistant has Home Assistant's tools.").waitFor();
    saved = await config(ui.home);
    expect(saved.tools?.mcp?.servers?.homeassistant?.url).toBe(`http://127.0.0.1:${ha.port}/api/mcp`);
    await body.getByText(/connected, 4 tools/).waitFor({ timeout: 15_000 });
    await shoot(page, 'homeassistant');
    // Checked again later with the token field empty: the stored token, and only for its own address.
    expect(await body.getByLabel('Long-lived access token').inputValue()).toBe('');
    await body.getByRole('button', { name: 'Check' }).click();
    await body.getByText(/^Connected: 4 tools \(/).waitFor({ timeout: 15_000 });
    await body.getByLabel('Home Assistant address').fill(`http://127.0.0.1:${ha.port + 1}`);
    await body.getByRole('button', { name: 'Check' }).click();
    await body.getByRole('alert').getByText(/stored secret is not sent to a new url/).waitFor({ timeout: 15_000 });
    await body.getByLabel('Home Assistant address').fill(`http://127.0.0.1:${ha.port}`);
    await page.getByRole('button', { name: 'Next' }).click();

    // ── MQTT ──
    await body.getByRole('heading', { name: 'Step 4 of 4: MQTT devices' }).waitFor();
    const closed = `tcp://127.0.0.1:${broker.port + 1}`;
    await body.getByLabel('Broker').fill(closed);
    await body.getByRole('button', { name: 'Check' }).click();
    await body.getByRole('alert').getByText(/^nothing is listening at 127\.0\.0\.1:\d+ \(connection refused\)|^no answer from/).waitFor({ timeout: 15_000 });
    await body.getByLabel('Broker').fill(broker.tcpUrl);
    await body.getByRole('button', { name: 'Check' }).click();
    await body.getByText('Connected to the broker.').waitFor();
    await body.getByRole('button', { name: 'Save and connect' }).click();
    await body.getByText('Saved: the assistant listens on the broker.').waitFor();
    expect(await body.getByTestId('mqtt-request-topic').textContent()).toBe('/picoclaw/assistant/<device>/request');
    saved = await config(ui.home);
    expect(saved.channel_list.mqtt).toMatchObject({ enabled: true, settings: { broker: broker.tcpUrl, agent_id: 'assistant', topic_prefix: '/picoclaw' } });
    await shoot(page, 'mqtt');
    // A device asks over the broker, as the guide says.
    const device = await mqtt.connectAsync(broker.url);
    try {
      const answers: string[] = [];
      device.on('message', (_topic, payload) => answers.push(payload.toString()));
      await device.subscribeAsync('/picoclaw/assistant/kitchen/response');
      await expect.poll(async () => {
        await device.publishAsync('/picoclaw/assistant/kitchen/request', JSON.stringify({ text: 'hello from the kitchen' }));
        await new Promise((r) => setTimeout(r, 500));
        return answers.join('');
      }, { timeout: 20_000, interval: 100 }).toContain('you said: hello from the kitchen');
    } finally {
      await device.endAsync();
    }
    await page.getByRole('button', { name: 'Finish' }).click();

    // ── summary ──
    await body.getByRole('heading', { name: 'All set' }).waitFor();
    for (const step of ['model', 'telegram', 'homeassistant', 'mqtt']) expect(await page.locator(`[data-summary="${step}"]`).textContent(), step).toContain('done');
    await page.locator('[data-summary="telegram"]').getByText('allowed users: 1').waitFor();
    await shoot(page, 'summary');
    await page.getByRole('button', { name: 'Open the chat' }).click();
    await page.getByText('Connected').waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('a step skipped is marked so and can be come back to; a closed guide does not open by itself again', async () => {
    const base = await ui.start({});
    const page = await ui.browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(base);
    await setPassword(page);
    const body = page.locator('.wizard-body');
    await body.getByRole('heading', { name: 'Step 1 of 4: Model' }).waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Skip for now' }).click();
    await body.getByRole('heading', { name: 'Step 2 of 4: Telegram' }).waitFor();
    expect(await page.locator('[data-step="model"]').getAttribute('data-state')).toBe('skipped');
    expect(await page.locator('[data-step="model"]').textContent()).toContain('skipped');
    // Come back to it from the progress list; a reload remembers the skip.
    await page.reload();
    await page.getByRole('navigation', { name: 'Setup steps' }).getByRole('button', { name: /Model/ }).click();
    await body.getByRole('heading', { name: 'Step 1 of 4: Model' }).waitFor();
    expect(await page.locator('[data-step="model"]').getAttribute('data-state')).toBe('skipped');
    expect(await page.locator('[data-step="model"] button').getAttribute('aria-current')).toBe('step');
    await body.getByLabel('Provider').waitFor();
    // Closed: the chat, and the guide does not come back by itself (still no model)…
    await page.getByRole('button', { name: /^Close the guide/ }).click();
    expect(new URL(page.url()).pathname).toBe('/');
    await page.goto(base);
    await page.getByRole('heading', { level: 1, name: 'Chat' }).waitFor();
    await page.waitForTimeout(1_000);
    expect(new URL(page.url()).pathname).toBe('/');
    // …but stays in the menu.
    await page.getByRole('button', { name: 'Menu', exact: true }).click();
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('button', { name: 'Setup guide' }).click();
    await body.getByRole('heading', { name: 'Step 1 of 4: Model' }).waitFor();
    await page.close();
  }, 90_000);

  it('a stopped gateway is said so in the step, with a Start button that starts it', async () => {
    const base = await ui.start({});
    const page = await ui.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(base);
    await setPassword(page);
    const body = page.locator('.wizard-body');
    await body.getByRole('heading', { name: 'Step 1 of 4: Model' }).waitFor({ timeout: 15_000 });
    await page.getByText('Gateway running').waitFor({ timeout: 15_000 });
    await page.evaluate(() => fetch('/api/gateway/stop', { method: 'POST' }));
    const down = body.getByRole('alert').filter({ hasText: 'The gateway is not running (stopped): the checks and the chat need it.' });
    await down.waitFor({ timeout: 15_000 });
    await down.getByRole('button', { name: 'Start' }).click();
    await page.getByText('Gateway running').waitFor({ timeout: 15_000 });
    await expect.poll(() => down.count()).toBe(0);
    await page.close();
  }, 60_000);
});
