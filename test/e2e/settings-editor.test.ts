/**
 * The raw config editor (Settings → Edit config.json) in real headless Chromium, on the real
 * launcher and gateway: live errors for broken JSON and for a schema violation (from the
 * launcher's validate route), the review diff, the save and the gateway's reload, secrets kept
 * out of the page and kept on disk, unsaved edits kept across pages, and a change made on disk
 * meanwhile refused with a sentence.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFakeLlm } from '@picoclaw/test-fakes';
import { describe, expect, it } from 'vitest';
import { axe, logIn, useDashboard } from './dashboard-harness.js';

const ui = useDashboard({ name: 'settings-editor' });
const shots = new URL('./screenshots/', import.meta.url).pathname;
const KEY = 'sk-e2e-editor-0123456789abcdef';

describe('raw config editor in Chromium', () => {
  it('checks as you type, reviews a diff, saves with the secrets kept, and refuses to overwrite a change made on disk', async () => {
    const llm = ui.track(await startFakeLlm([], { echo: true }));
    const base = await ui.start({
      agents: { defaults: { model_name: 'm' } },
      model_list: [{ model_name: 'm', model: 'groq/llama', api_base: llm.url, api_keys: [KEY] }],
      heartbeat: { enabled: false, interval: 30 },
    });
    await mkdir(shots, { recursive: true });
    const page = await ui.browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await logIn(page, base);
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('button', { name: 'Edit config.json' }).click();
    const editor = page.getByLabel('config.json (secrets redacted)');
    await expect.poll(() => editor.inputValue()).toContain('"model_list"');
    const status = page.locator('#config-editor-status');
    await status.getByText('Valid: the config can be saved.').waitFor();
    const original = await editor.inputValue();
    expect(original).toContain('"[NOT_HERE]"');
    expect(await page.content()).not.toContain(KEY);

    // Broken JSON: said at once, with its place.
    await editor.fill(original.replace('"interval": 30,', '"interval": 30'));
    await status.getByText(/^JSON error at line \d+, column \d+: found "\\"", expected "," or "}"$/).waitFor();
    expect(await editor.getAttribute('aria-invalid')).toBe('true');

    // Valid JSON the schema refuses: the launcher's check names the key; clicking it puts the cursor on its line.
    const wrongType = original.replace('"interval": 30,', '"interval": "soon",');
    await editor.fill(wrongType);
    const issue = page.getByRole('button', { name: /heartbeat\.interval: expected number, got string/ });
    await issue.waitFor();
    await status.getByText('Problems: 1. The config cannot be saved like this.').waitFor();
    await issue.click();
    const cursorLine = await editor.evaluate((e: HTMLTextAreaElement) => e.value.slice(0, e.selectionStart).split('\n').length);
    expect(wrongType.split('\n')[cursorLine - 1]).toContain('"interval": "soon"');
    // …and scrolls that line into the editor's view, the line number marked with "!".
    const shown = await editor.evaluate((e: HTMLTextAreaElement, line: number) => {
      const top = (line - 1) * parseFloat(getComputedStyle(e).lineHeight);
      return top >= e.scrollTop && top < e.scrollTop + e.clientHeight;
    }, cursorLine);
    expect(shown).toBe(true);
    expect(await page.locator('.code-editor .gutter .bad').allTextContents()).toEqual([`! ${cursorLine}`]);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(500);
    await issue.click();
    await page.locator('label[for="config-editor-text"]').evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: `${shots}settings-editor-390.png` });
    expect(await page.evaluate(() => document.documentElement.scrollWidth - innerWidth)).toBeLessThanOrEqual(0);
    expect(await axe(page)).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 800 });

    // Fixed: valid, then the review shows the change as - and + lines.
    await editor.fill(original.replace('"interval": 30,', '"interval": 45,'));
    await status.getByText('Valid: the config can be saved.').waitFor();
    await page.getByRole('button', { name: 'Review changes' }).click();
    const diff = page.getByRole('region', { name: /removed lines marked -, added lines marked \+/ });
    expect((await diff.locator('del').allTextContents()).map((s) => s.replace(/^\d+/, ''))).toEqual(['-    "interval": 30,']);
    expect((await diff.locator('ins').allTextContents()).map((s) => s.replace(/^\d+/, ''))).toEqual(['+    "interval": 45,']);
    await diff.getByText(/unchanged lines$/).first().waitFor();
    expect(await axe(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await axe(page)).toEqual([]);
    await page.screenshot({ path: `${shots}settings-editor-1280-dark.png` });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot({ path: `${shots}settings-editor-1280.png` });
    await page.getByRole('button', { name: 'Save config.json' }).click();
    await page.getByText('Saved.', { exact: true }).waitFor({ timeout: 15_000 });
    await page.getByText(/^The gateway reloaded it \(\d+ changes applied\)\.$/).waitFor();

    // On disk: the change, the key only in .security.yml (the real one), never in the page.
    const onDisk = await readFile(join(ui.home, 'config.json'), 'utf8');
    expect(JSON.parse(onDisk)).toMatchObject({ heartbeat: { interval: 45 } });
    expect(onDisk).not.toContain(KEY);
    expect(await readFile(join(ui.home, '.security.yml'), 'utf8')).toContain(KEY);
    expect(await page.content()).not.toContain(KEY);
    // The gateway still sends the real key to the model, not the placeholder.
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('button', { name: 'Chat', exact: true }).click();
    await page.getByLabel('Message').fill('still there?');
    await page.keyboard.press('Enter');
    await page.getByText('you said: still there?').waitFor();
    expect(llm.requests.at(-1)!.authorization).toBe(`Bearer ${KEY}`);
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('button', { name: 'Edit config.json' }).click();
    await expect.poll(() => editor.inputValue()).toContain('"interval": 45');

    // Someone changes the file meanwhile: the save is refused with a sentence, the text is kept, nothing is overwritten.
    const loaded = await editor.inputValue();
    await editor.fill(loaded.replace('"interval": 45,', '"interval": 50,'));
    await writeFile(join(ui.home, 'config.json'), onDisk.replace('"interval": 45', '"interval": 20'));
    // Another page and back: the unsaved edit is still there.
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('button', { name: 'Logs', exact: true }).click();
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('button', { name: 'Edit config.json' }).click();
    await page.getByText(/Your unsaved edits from earlier in this tab are back/).waitFor();
    expect(await editor.inputValue()).toContain('"interval": 50');
    await page.getByRole('button', { name: 'Review changes' }).click();
    await page.getByRole('button', { name: 'Save config.json' }).click();
    await page.getByRole('alert').getByText(/config\.json changed on disk since you loaded it .*nothing was written/).waitFor();
    expect(await editor.inputValue()).toContain('"interval": 50');
    expect(JSON.parse(await readFile(join(ui.home, 'config.json'), 'utf8'))).toMatchObject({ heartbeat: { interval: 20 } });
    await page.getByRole('button', { name: 'Load the file again (discards your edits)' }).click();
    await expect.poll(() => editor.inputValue()).toContain('"interval": 20');
    expect(errors).toEqual([]);
  });
});
