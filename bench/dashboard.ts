/**
 * The dashboard as a browser gets it: the gzip size of what the first page loads (the entry
 * script and style sheet index.html names) and of every asset (lazy pages included), and the time
 * to interactive on a running launcher in headless Chromium — from navigation (a fresh browser
 * context: nothing cached) to the chat's composer enabled with the WebSocket connected.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const round = (x: number) => Math.round(x * 10) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function dashboardWeight(dist: string) {
  const gzip = async (file: string) => gzipSync(await readFile(join(dist, file)), { level: 9 }).length;
  const html = await readFile(join(dist, 'index.html'), 'utf8');
  const entry = [...html.matchAll(/(?:src|href)="\/?(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
  const assets = (await readdir(join(dist, 'assets'))).filter((f) => /\.(js|css)$/.test(f)).map((f) => `assets/${f}`);
  const sum = async (files: string[]) => (await Promise.all(files.map(gzip))).reduce((a, b) => a + b, 0);
  return { firstLoadGzipKb: round((await sum(entry)) / 1024), allGzipKb: round((await sum(assets)) / 1024), files: assets.length };
}

/** `base`: a launcher logged in by `token` (PICOCLAW_LAUNCHER_TOKEN), its gateway running. */
export async function dashboardInteractive(base: string, token: string, runs = 15) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'],
  });
  try {
    const times: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const context = await browser.newContext({ extraHTTPHeaders: { authorization: `Bearer ${token}` } });
      const page = await context.newPage();
      const started = performance.now();
      await page.goto(base);
      await page.getByText('Connected').waitFor({ timeout: 20_000 });
      await page.getByLabel('Message').waitFor({ state: 'visible' });
      const ms = performance.now() - started;
      if (i > 0) times.push(ms); // the first run warms the launcher's file cache
      await context.close();
    }
    return { medianMs: round(median(times)), minMs: round(Math.min(...times)), maxMs: round(Math.max(...times)), runs: times.length };
  } finally {
    await browser.close();
  }
}
