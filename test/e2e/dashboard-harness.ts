/**
 * What the dashboard's browser tests share: one headless Chromium per file (Debian's chromium
 * through playwright-core, with the flags this closed network needs), a fresh PicoClaw home per
 * test, the real launcher (which runs the real gateway) on a config the test writes, the first-run
 * password, and the fakes a test started closed after it. Call `useDashboard` at the top of a file.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnLauncher, type LauncherProcess } from '@picoclaw/test-fakes';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';

export const PASSWORD = 'correct horse battery';

export interface Dashboard {
  readonly browser: Browser;
  /** This test's PicoClaw home (removed after it). */
  readonly home: string;
  readonly launcher: LauncherProcess | undefined;
  /** Writes config.json and starts the launcher; resolves with its base URL. */
  start(config: Record<string, unknown>, args?: string[]): Promise<string>;
  /** Closed after the test (a fake model, Home Assistant, transcription server). */
  track<T extends { close(): Promise<unknown> }>(fake: T): T;
}

/** The first-run form: choose the dashboard password. */
export async function setPassword(page: Page) {
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat it').fill(PASSWORD);
  await page.getByRole('button', { name: 'Set password' }).click();
}

/** Opens the dashboard, sets the password and waits for the chat to connect. */
export async function logIn(page: Page, base: string) {
  await page.goto(base);
  await setPassword(page);
  await page.getByText('Connected').waitFor({ timeout: 15_000 });
}

interface AxeResult { violations: { id: string; impact?: string | null; help: string; nodes: { target: unknown[]; failureSummary?: string }[] }[] }

/** axe-core's serious and critical findings on the page as it is, one line each. */
export async function axe(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the launcher's CSP (rightly) refuses an inline script tag.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate((await import('axe-core')).default.source);
  const result = await page.evaluate(async () => (await (window as unknown as { axe: { run(context: Document, options: object): Promise<unknown> } }).axe.run(document, { resultTypes: ['violations'] })) as AxeResult);
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.impact} ${v.id} (${v.help}) at ${JSON.stringify(n.target)}: ${n.failureSummary ?? ''}`));
}

/** Waits (polling every 50 ms, `tries` times at most) until the first MCP server (Home Assistant) is connected. */
export async function waitForMcpConnected(page: Page, tries = 100) {
  for (let i = 0; i < tries; i++) {
    const status = await page.evaluate(async () => (await (await fetch('/api/mcp')).json()) as { status?: { state: string }[] });
    if (status.status?.[0]?.state === 'connected') return;
    await page.waitForTimeout(50);
  }
}

export function useDashboard(options: { name: string; chromiumArgs?: string[] }): Dashboard {
  let browser: Browser;
  let home: string;
  let launcher: LauncherProcess | undefined;
  let fakes: { close(): Promise<unknown> }[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync', ...(options.chromiumArgs ?? [])],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), `picoclaw-ui-${options.name}-`));
  });
  afterEach(async () => {
    launcher?.child.kill('SIGTERM');
    await launcher?.child;
    await Promise.all(fakes.map((f) => f.close()));
    launcher = undefined;
    fakes = [];
    await rm(home, { recursive: true, force: true });
  });

  return {
    get browser() {
      return browser;
    },
    get home() {
      return home;
    },
    get launcher() {
      return launcher;
    },
    async start(config, args = []) {
      await writeFile(join(home, 'config.json'), JSON.stringify(config));
      launcher = spawnLauncher({ home, gatewayPort: await freePort(), args });
      return `http://127.0.0.1:${await launcher.listening()}`;
    },
    track(fake) {
      fakes.push(fake);
      return fake;
    },
  };
}
