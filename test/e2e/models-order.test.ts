/**
 * The Models page's fallback order in real Chromium, against the real launcher and gateway: three
 * models, the primary on a fake endpoint that refuses every request, so after one chat message it
 * cools down with its last error while a fallback answers. A fallback dragged above another with
 * the mouse, one moved with the keyboard and one dragged with a finger (touch) reach config.json on disk. Screenshots:
 * test/e2e/screenshots/models-order-1280.png and -390.png.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFakeLlm } from '@picoclaw/test-fakes';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { logIn, useDashboard } from './dashboard-harness.js';

const ui = useDashboard({ name: 'models-order' });
const shots = new URL('./screenshots/', import.meta.url).pathname;

const onDisk = async () => {
  const doc = JSON.parse(await readFile(join(ui.home, 'config.json'), 'utf8')) as { agents: { defaults: { model_name: string; model_fallbacks: string[] } } };
  return [doc.agents.defaults.model_name, ...doc.agents.defaults.model_fallbacks];
};
const chain = (page: Page) => page.locator('ol.model-list > [data-model]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-model')));

/** Drags a row's handle with the mouse, in steps, to the middle of the target row's upper half. */
async function drag(page: Page, name: string, above: string) {
  const handle = (await page.locator(`[data-model="${name}"] .drag-handle`).boundingBox())!;
  const target = (await page.locator(`ol.model-list > [data-model="${above}"]`).boundingBox())!;
  await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
  await page.mouse.down();
  await page.mouse.move(handle.x + handle.width / 2, target.y + target.height / 4, { steps: 12 });
  await page.mouse.up();
}

/** The same with a finger: CDP touch events (the page has touch), in steps. */
async function touchDrag(page: Page, name: string, above: string) {
  const handle = (await page.locator(`[data-model="${name}"] .drag-handle`).boundingBox())!;
  const target = (await page.locator(`ol.model-list > [data-model="${above}"]`).boundingBox())!;
  const cdp = await page.context().newCDPSession(page);
  const x = handle.x + handle.width / 2;
  const from = handle.y + handle.height / 2;
  const to = target.y + target.height / 4;
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y: from }] });
  for (let i = 1; i <= 12; i++) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x, y: from + ((to - from) * i) / 12 }] });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

describe('Models: the fallback order', () => {
  it('drag with the mouse, Move up from the keyboard and drag with a finger save the order to config.json; a cooling-down model shows its error and time left', async () => {
    const good = ui.track(await startFakeLlm([], { echo: true }));
    const bad = ui.track(await startFakeLlm([], { answer: () => ({ status: 401, body: { error: { message: 'invalid api key for the fake provider' } } }) }));
    const base = await ui.start({
      agents: { defaults: { model_name: 'bad', model_fallbacks: ['b', 'c'] } },
      model_list: [
        { model_name: 'bad', model: 'groq/refused', api_base: bad.url, api_keys: ['k'] },
        { model_name: 'b', model: 'groq/backup', api_base: good.url, api_keys: ['k'] },
        { model_name: 'c', model: 'groq/third', api_base: good.url, api_keys: ['k'] },
      ],
    });
    const page = await ui.browser.newPage({ viewport: { width: 1280, height: 900 }, hasTouch: true });
    await logIn(page, base);
    await page.getByLabel('Message').fill('hello');
    await page.keyboard.press('Enter');
    await page.getByText('you said: hello').waitFor();

    await page.getByRole('navigation').getByRole('button', { name: 'Models' }).click();
    const badRow = page.locator('[data-model="bad"]');
    // The primary failed: cooling down (1 min after a first failure), its error and its failure count.
    await badRow.getByText(/^cooling down, (1 min|\d+ s) left$/).waitFor();
    await badRow.getByText(/invalid api key for the fake provider/).waitFor();
    await badRow.getByText('1 failure').waitFor();
    await page.locator('[data-model="b"]').getByText(/last answer .+, \d+ ms/).waitFor();
    // The countdown moves on its own.
    const left = async () => (await badRow.locator('[data-state="cooling-down"]').textContent()) ?? '';
    const first = await left();
    await expect.poll(left, { timeout: 5_000 }).not.toBe(first);
    expect(await chain(page)).toEqual(['bad', 'b', 'c']);

    // Drag c above b with the mouse: the row moves while dragged, the order is saved when let go.
    await drag(page, 'c', 'b');
    await expect.poll(() => chain(page)).toEqual(['bad', 'c', 'b']);
    await expect.poll(onDisk).toEqual(['bad', 'c', 'b']);
    await page.locator('[data-model="c"]').getByText('Fallback 1', { exact: true }).waitFor();
    await page.getByText('c is now Fallback 1.').waitFor({ state: 'attached' });

    // The keyboard: Tab to "Move b up" and press Enter; the focus stays on b's button.
    const moveUp = page.getByRole('button', { name: 'Move b up' });
    await moveUp.focus();
    await page.keyboard.press('Enter');
    await expect.poll(onDisk).toEqual(['bad', 'b', 'c']);
    await expect.poll(() => chain(page)).toEqual(['bad', 'b', 'c']);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Move b up');
    await page.getByText('b is now Fallback 1.').waitFor({ state: 'attached' });

    // The reloads that saved the order kept the health: still cooling down, with its error.
    await badRow.locator('[data-state="cooling-down"]').waitFor();
    await badRow.getByText(/invalid api key/).waitFor();
    await page.screenshot({ path: `${shots}models-order-1280.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('.sidebar').waitFor({ state: 'hidden' }); // the drawer's slide out, done
    await badRow.getByText(/invalid api key/).click(); // the whole error, opened
    await badRow.locator('details[open]').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth - innerWidth)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `${shots}models-order-390.png`, fullPage: true });

    // A finger on a phone: touch events (pointer events from touch), the page does not scroll instead.
    expect(await chain(page)).toEqual(['bad', 'b', 'c']);
    await touchDrag(page, 'c', 'b');
    await expect.poll(onDisk).toEqual(['bad', 'c', 'b']);
    await page.close();
  }, 120_000);
});
