/**
 * The Memory page in real headless Chromium, served by the real launcher, which runs the real
 * gateway against a fake model: the model's memory tool writes a section, the page shows it,
 * searches the notes and saves an edit, and the gateway keeps the previous version.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFakeLlm } from '@picoclaw/test-fakes';
import { describe, expect, it } from 'vitest';
import { logIn, useDashboard } from './dashboard-harness.js';

const ORIGINAL = '# Long-term Memory\n\n## Preferences\n\n- Likes the living room at 21 °C.\n\n## Home\n\n- The boiler is a Vaillant ecoTEC.\n';
const ui = useDashboard({ name: 'memory' });

/** A home with MEMORY.md and a daily note, and a model whose first answer is a memory tool call. */
async function start() {
  const memory = join(ui.home, 'workspace', 'memory');
  await mkdir(join(memory, '202612'), { recursive: true });
  await writeFile(join(memory, 'MEMORY.md'), ORIGINAL);
  await writeFile(join(memory, '202612', '20261204.md'), '# 2026-12-04\n\nThe vet appointment for Miso is on 12 December at 17:00.\n');
  const llm = ui.track(await startFakeLlm([
    { toolCalls: [{ id: 'm1', name: 'memory', arguments: JSON.stringify({ action: 'append', where: 'Preferences', text: '- Drinks green tea in the evening.' }) }] },
    { text: ['Noted.'] },
  ]));
  const base = await ui.start({
    agents: { defaults: { model_name: 'm' } },
    model_list: [{ model_name: 'm', model: 'groq/llama', api_base: llm.url, api_keys: ['k'] }],
  });
  return { llm, base };
}

describe('the Memory page in Chromium', () => {
  it("shows what the model's memory tool wrote, searches the notes, saves an edit, keeps the previous version and brings an earlier one back", async () => {
    const { llm, base } = await start();
    const page = await ui.browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await logIn(page, base);
    await page.getByRole('textbox', { name: 'Message' }).fill('remember that I drink green tea in the evening');
    await page.keyboard.press('Enter');
    await page.getByText('Noted.').waitFor();
    // The model was offered the memory tool and its call reached the file.
    expect(llm.requests.some((r) => r.body.tools?.some((t) => t.function.name === 'memory'))).toBe(true);

    await page.getByRole('navigation', { name: 'Pages' }).getByRole('button', { name: 'Memory' }).click();
    expect(new URL(page.url()).pathname).toBe('/memory');
    const editor = page.getByRole('form', { name: 'Edit MEMORY.md' }).locator('textarea');
    await expect.poll(() => editor.inputValue()).toContain('- Likes the living room at 21 °C.\n- Drinks green tea in the evening.\n\n## Home');
    await page.getByRole('navigation', { name: 'Memory files' }).getByRole('button', { name: '2026-12-04' }).waitFor();

    await page.getByRole('searchbox', { name: 'Search' }).fill('vet appointment');
    await page.getByRole('search').getByRole('button', { name: 'Search' }).click();
    const results = page.getByLabel('Search results');
    await results.getByRole('button', { name: '2026-12-04' }).click();
    await expect.poll(() => page.getByRole('form', { name: 'Edit 2026-12-04' }).locator('textarea').inputValue()).toContain('vet appointment for Miso');

    await page.getByRole('navigation', { name: 'Memory files' }).getByRole('button', { name: 'MEMORY.md' }).click();
    await expect.poll(() => editor.inputValue()).toContain('green tea');
    const before = await readFile(join(ui.home, 'workspace', 'memory', 'MEMORY.md'), 'utf8');
    await editor.fill(before.replace('21 °C', '22 °C'));
    await page.getByRole('form', { name: 'Edit MEMORY.md' }).getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').getByText('saved; the previous version is kept').waitFor();
    expect(await readFile(join(ui.home, 'workspace', 'memory', 'MEMORY.md'), 'utf8')).toBe(before.replace('21 °C', '22 °C'));
    const history = join(ui.home, 'workspace', 'memory', '.history');
    const kept = (await readdir(history)).sort();
    expect(kept).toHaveLength(2); // the tool's append, then this save
    expect(await readFile(join(history, kept.at(-1)!), 'utf8')).toBe(before);
    // An earlier version comes back: into the editor, then saved (the current one is kept too).
    await page.getByText('2 earlier versions kept').click();
    await page.getByRole('button', { name: /^Put the version of .+ in the editor$/ }).last().click(); // the oldest: before the tool's append
    await page.getByRole('status').getByText(/is in the editor: Save brings it back/).waitFor();
    expect(await editor.inputValue()).toBe(ORIGINAL);
    await page.getByRole('form', { name: 'Edit MEMORY.md' }).getByRole('button', { name: 'Save' }).click();
    await page.getByText('3 earlier versions kept').waitFor();
    expect(await readFile(join(ui.home, 'workspace', 'memory', 'MEMORY.md'), 'utf8')).toBe(ORIGINAL);
    // Screenshots kept with the others (test/e2e/screenshots); at phone width nothing scrolls sideways.
    const shots = new URL('./screenshots/', import.meta.url).pathname;
    await mkdir(shots, { recursive: true });
    await page.getByRole('searchbox', { name: 'Search' }).fill('boiler');
    await page.getByRole('search').getByRole('button', { name: 'Search' }).click();
    await page.getByLabel('Search results').getByRole('button', { name: 'MEMORY.md › Home' }).waitFor();
    await page.setViewportSize({ width: 1100, height: 900 });
    await page.screenshot({ path: `${shots}memory.png` });
    await page.setViewportSize({ width: 390, height: 800 });
    await page.screenshot({ path: `${shots}memory-phone.png` });
    expect(await page.evaluate(() => document.querySelector('section.page')!.scrollWidth <= document.querySelector('section.page')!.clientWidth)).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
