/**
 * The dashboard's layout and accessibility in real headless Chromium: every page at desktop
 * (1280×800, light and dark) and phone (390×844) width checked by axe-core (no serious or critical
 * violation), no sideways scroll from 320 to 1440 px, the drawer on a phone (focus in and back,
 * Escape and a click outside close it) and the keyboard through the sidebar. Screenshots go to
 * test/e2e/screenshots/<page>-<width>.png (and <page>-1280-dark.png) to be looked at.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFakeHomeAssistant, startFakeLlm, startFakeTelegram } from '@picoclaw/test-fakes';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { axe, logIn, useDashboard, waitForMcpConnected } from './dashboard-harness.js';

const ui = useDashboard({ name: 'a11y' });
const shots = new URL('./screenshots/', import.meta.url).pathname;

/** Nav label, the heading the page shows in the top bar, and what tells that its data arrived. */
const pages = [
  { name: 'chat', nav: 'Chat', heading: 'Chat', ready: (p: Page) => p.locator('details.tool').first().waitFor() },
  { name: 'models', nav: 'Models', heading: 'Models', ready: (p: Page) => p.locator('[data-model="m"]').waitFor() },
  { name: 'channels', nav: 'Channels', heading: 'Channels', ready: (p: Page) => p.getByRole('button', { name: 'Send test message' }).waitFor({ timeout: 15_000 }) },
  { name: 'schedules', nav: 'Schedules', heading: 'Schedules', ready: (p: Page) => p.getByRole('form', { name: 'New schedule' }).waitFor() },
  { name: 'memory', nav: 'Memory', heading: 'Memory', ready: (p: Page) => p.getByRole('navigation', { name: 'Memory files' }).waitFor() },
  { name: 'skills', nav: 'Skills', heading: 'Skills', ready: (p: Page) => p.getByText('porch', { exact: true }).first().waitFor() },
  { name: 'mcp', nav: 'MCP', heading: 'MCP servers', ready: (p: Page) => p.locator('[data-server="homeassistant"]').getByText('connected').waitFor({ timeout: 15_000 }) },
  { name: 'logs', nav: 'Logs', heading: 'Logs', ready: (p: Page) => p.getByRole('log').getByText(/./).first().waitFor() },
  { name: 'setup', nav: 'Setup guide', heading: 'Setup guide', ready: (p: Page) => p.locator('.wizard-body h2').waitFor() },
  { name: 'settings', nav: 'Settings', heading: 'Settings', ready: (p: Page) => p.getByRole('checkbox', { name: /web_fetch/ }).waitFor() },
] as const;

/** Sideways scroll of the document or of the page's own scroller, and anything of the top bar that sticks out on the right. */
const overflow = (page: Page) =>
  page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth - innerWidth,
    inner: [...document.querySelectorAll('section.page')].map((e) => e.scrollWidth - e.clientWidth).filter((d) => d > 0),
    offscreen: [...document.querySelectorAll('.topbar > *')].filter((e) => e.getBoundingClientRect().right > innerWidth + 0.5).map((e) => e.className || e.tagName),
  }));

async function openPage(page: Page, nav: string, phone: boolean) {
  if (phone) await page.getByRole('button', { name: 'Menu', exact: true }).click();
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('button', { name: nav, exact: true }).click();
}

describe('dashboard layout and accessibility in Chromium', () => {
  it('every page: zero serious axe violations at 1280×800 (light and dark) and 390×844, no sideways scroll from 320 to 1440 px', async () => {
    const ha = ui.track(await startFakeHomeAssistant());
    // A running Telegram channel, so the Channels page shows its "Send test message" form to axe too.
    const tg = ui.track(await startFakeTelegram());
    const llm = ui.track(await startFakeLlm([
      { toolCalls: [{ id: 'c1', name: 'mcp_homeassistant_hassturnon', arguments: '{"name":"kitchen light"}' }] },
      { text: ['The kitchen light is on.\n\n| room | light |\n|---|---|\n| kitchen | on |\n\n```sh\necho hi\n```'] },
    ], { echo: true }));
    await mkdir(join(ui.home, 'workspace', 'memory'), { recursive: true });
    await writeFile(join(ui.home, 'workspace', 'memory', 'MEMORY.md'), '# Long-term Memory\n\n## Home\n\n- The boiler is a Vaillant ecoTEC.\n');
    await mkdir(join(ui.home, 'skills', 'porch'), { recursive: true });
    await writeFile(join(ui.home, 'skills', 'porch', 'SKILL.md'), '---\nname: porch\ndescription: Porch light routine\n---\nOff at 23:00.\n');
    const base = await ui.start({
      agents: { defaults: { model_name: 'm' } },
      model_list: [{ model_name: 'm', model: 'groq/llama', api_base: llm.url, api_keys: ['k'] }],
      tools: { mcp: { enabled: true, servers: { homeassistant: { type: 'http', url: ha.url, headers: { Authorization: `Bearer ${ha.token}` } } } } },
      channel_list: { telegram: { enabled: true, type: 'telegram', allow_from: ['42'], settings: { token: tg.token, base_url: tg.url } } },
    });
    await mkdir(shots, { recursive: true });
    const page = await ui.browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const found: Record<string, string[]> = {};
    // The first-run page too (outside the layout), then in.
    await page.goto(base);
    await page.getByRole('heading', { name: 'Set password' }).waitFor();
    found['setup-1280'] = await axe(page);
    await logIn(page, base);
    await page.getByText('Gateway running').waitFor({ timeout: 15_000 });
    await waitForMcpConnected(page);
    await page.getByLabel('Message').fill('turn on the kitchen light');
    await page.keyboard.press('Enter');
    await page.getByText('The kitchen light is on.').waitFor();

    const scroll: Record<string, unknown> = {};
    for (const phone of [false, true]) {
      const [width, height] = phone ? [390, 844] : [1280, 800];
      await page.setViewportSize({ width, height });
      for (const p of pages) {
        await openPage(page, p.nav, phone);
        await page.getByRole('heading', { level: 1, name: p.heading, exact: true }).waitFor();
        await p.ready(page).catch(async (e: unknown) => {
          await page.screenshot({ path: `${shots}debug-${p.name}-${width}.png` });
          throw e;
        });
        await page.waitForTimeout(200);
        found[`${p.name}-${width}`] = await axe(page);
        // Icons are SVG: no emoji, which renders as an empty box where no emoji font is installed (as here).
        const emoji = await page.evaluate(() => document.querySelector('.shell')!.textContent!.match(/\p{Extended_Pictographic}/gu) ?? []);
        if (emoji.length) found[`${p.name}-${width}-emoji`] = emoji;
        await page.screenshot({ path: `${shots}${p.name}-${width}.png` });
        if (!phone) {
          await page.emulateMedia({ colorScheme: 'dark' });
          found[`${p.name}-${width}-dark`] = await axe(page);
          await page.screenshot({ path: `${shots}${p.name}-${width}-dark.png` });
          await page.emulateMedia({ colorScheme: 'light' });
        }
        // The extremes of the range: the smallest phone and a wide desktop.
        for (const [w, h] of phone ? [[320, 640], [390, 844]] : [[1440, 900], [1280, 800]]) {
          await page.setViewportSize({ width: w!, height: h! });
          const o = await overflow(page);
          if (o.scroll > 0 || o.inner.length || o.offscreen.length) scroll[`${p.name}-${w}`] = o;
        }
      }
    }
    const bad = Object.fromEntries(Object.entries(found).filter(([, v]) => v.length));
    expect(bad).toEqual({});
    expect(scroll).toEqual({});
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('Spanish on the smallest phone (320 px): the longer words fit, every page passes axe, the page says lang="es"', async () => {
    const llm = ui.track(await startFakeLlm([], { echo: true }));
    const base = await ui.start({
      agents: { defaults: { model_name: 'm' } },
      model_list: [{ model_name: 'm', model: 'groq/llama', api_base: llm.url, api_keys: ['k'] }],
    });
    const page = await ui.browser.newPage({ locale: 'es-ES', viewport: { width: 320, height: 640 } });
    await page.goto(base);
    await page.getByLabel('Contraseña', { exact: true }).fill('correct horse battery');
    await page.getByLabel('Repítela').fill('correct horse battery');
    await page.getByRole('button', { name: 'Elegir contraseña' }).click();
    await page.getByRole('heading', { level: 1, name: 'Chat' }).waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('es');
    const found: Record<string, unknown> = {};
    for (const nav of ['Modelos', 'Canales', 'Tareas programadas', 'Memoria', 'Habilidades', 'MCP', 'Registros', 'Guía de configuración', 'Ajustes', 'Chat']) {
      const before = page.url();
      await page.getByRole('button', { name: 'Menú', exact: true }).click();
      await page.getByRole('navigation', { name: 'Páginas' }).getByRole('button', { name: nav, exact: true }).click();
      await page.waitForURL((url) => url.href !== before);
      await page.waitForTimeout(300);
      const o = await overflow(page);
      if (o.scroll > 0 || o.inner.length || o.offscreen.length) found[`${nav}-overflow`] = o;
      const v = await axe(page);
      if (v.length) found[nav] = v;
    }
    await page.screenshot({ path: `${shots}chat-320-es.png` });
    expect(found).toEqual({});
    await page.close();
  });

  it('phone: the menu opens the drawer with focus inside; Escape and a click outside close it and focus returns; desktop: arrow keys move through the pages', async () => {
    const llm = ui.track(await startFakeLlm([], { echo: true }));
    const base = await ui.start({
      agents: { defaults: { model_name: 'm' } },
      model_list: [{ model_name: 'm', model: 'groq/llama', api_base: llm.url, api_keys: ['k'] }],
    });
    const page = await ui.browser.newPage({ viewport: { width: 390, height: 844 } });
    await logIn(page, base);
    const menu = page.getByRole('button', { name: 'Menu', exact: true });
    const nav = page.getByRole('navigation', { name: 'Pages' });
    // Closed: the pages are out of reach (not visible, not in the tab order).
    expect(await nav.isVisible()).toBe(false);
    expect(await menu.getAttribute('aria-expanded')).toBe('false');

    await menu.click();
    await nav.waitFor();
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    const focused = () => page.evaluate(() => document.activeElement?.textContent ?? '');
    await expect.poll(focused).toBe('Chat');
    await page.waitForTimeout(250); // the slide-in
    await mkdir(shots, { recursive: true });
    await page.screenshot({ path: `${shots}drawer-390.png` });
    // The page behind is inert while the drawer is open: Tab stays in the drawer.
    for (let i = 0; i < 15; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate(() => !!document.activeElement?.closest('#sidebar'))).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => nav.isVisible()).toBe(false);
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Menu');

    await menu.click();
    await nav.waitFor();
    await page.mouse.click(370, 600); // the dimmed page beside the drawer
    await expect.poll(() => nav.isVisible()).toBe(false);
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Menu');

    // A choice in the drawer opens the page and closes the drawer.
    await menu.click();
    await nav.getByRole('button', { name: 'Logs' }).click();
    await page.getByRole('heading', { level: 1, name: 'Logs' }).waitFor();
    await expect.poll(() => nav.isVisible()).toBe(false);
    expect(new URL(page.url()).pathname).toBe('/logs');

    // Desktop: the sidebar is always there, no menu button; the keyboard moves through it.
    await page.setViewportSize({ width: 1280, height: 800 });
    await nav.waitFor();
    expect(await menu.count()).toBe(0);
    await nav.getByRole('button', { name: 'Chat' }).focus();
    await page.keyboard.press('ArrowDown');
    await expect.poll(focused).toBe('Models');
    await page.keyboard.press('End');
    await expect.poll(focused).toBe('Settings');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    expect(await nav.getByRole('button', { name: 'Settings' }).getAttribute('aria-current')).toBe('page');
    // The focus ring is drawn (an outline on the focused button).
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe('solid');
    // The theme toggle is kept across a reload.
    await page.getByRole('button', { name: /^Theme: system/ }).click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
    await page.getByRole('button', { name: /^Theme: light/ }).click();
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    expect(await page.evaluate(() => [document.documentElement.dataset.theme, localStorage.getItem('picoclaw.theme')])).toEqual(['dark', 'dark']);

    // The longest state, with its error, on the smallest phone: the state gives way, Log out stays on screen.
    const longState = 'Gateway stopped: the configuration has a problem';
    await page.route('**/api/gateway/status', (route) => route.fulfill({ json: { process: { state: 'config-error', restarts: 0, lastError: 'model_list.0.model: "groq" is not vendor/id — set it to e.g. groq/llama-3.3-70b-versatile' } } }));
    for (const width of [320, 390, 900]) {
      await page.setViewportSize({ width, height: 700 });
      await page.reload();
      await page.getByRole('status').filter({ hasText: longState }).waitFor({ state: 'attached' });
      await page.getByText(/is not vendor\/id/).waitFor();
      expect(await overflow(page)).toEqual({ scroll: 0, inner: [], offscreen: [] });
      expect(await page.getByRole('button', { name: 'Log out' }).isVisible()).toBe(true);
    }
    await page.close();
  });
});
