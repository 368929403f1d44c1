/**
 * The Skills page in real headless Chromium, served by the real launcher running the real
 * gateway: a global skill listed, a skill installed from a git repository made by the test
 * (file:// URL, no network) and then offered to the model, its SKILL.md shown, refused installs
 * (no SKILL.md, an unreachable registry) with their reason, a removal, Spanish.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { commitGitRepo, freePort, startFakeLlm, writeTree, type FakeLlm } from '@picoclaw/test-fakes';
import { afterEach, describe, expect, it } from 'vitest';
import { setPassword, useDashboard } from './dashboard-harness.js';

const ui = useDashboard({ name: 'skills' });
let llm: FakeLlm | undefined;
afterEach(async () => {
  await llm?.close();
  llm = undefined;
});

const skillRepo = async (path: string, files: Record<string, string>) => commitGitRepo(await writeTree(path, files));

describe('Skills page in Chromium', () => {
  it('lists a global skill, installs one from a git repository (then the model is told of it), shows its SKILL.md, refuses bad sources with the reason, removes it', async () => {
    llm = await startFakeLlm([], { echo: true });
    const repo = await skillRepo(join(ui.home, 'src', 'home-report'), {
      'SKILL.md': '---\nname: home-report\ndescription: A morning report on the house (lights, doors, temperature)\n---\n\n# Home report\n\nCheck the doors first.\n',
      'references/rooms.md': '# Rooms\n',
    });
    const empty = await skillRepo(join(ui.home, 'src', 'empty'), { 'README.md': 'no skill here' });
    await mkdir(join(ui.home, 'skills', 'porch'), { recursive: true });
    await writeFile(join(ui.home, 'skills', 'porch', 'SKILL.md'), '---\nname: porch\ndescription: Porch light routine\n---\nOff at 23:00.\n');
    const port = await freePort();
    const base = await ui.start({
      agents: { defaults: { model_name: 'm' } },
      model_list: [{ model_name: 'm', model: 'groq/llama', api_base: llm.url, api_keys: ['k'] }],
      tools: { skills: { registries: { github: { enabled: true, base_url: `http://127.0.0.1:${port}` } } } },
    });
    const shots = new URL('./screenshots/', import.meta.url).pathname;
    await mkdir(shots, { recursive: true });
    const page = await ui.browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base);
    await setPassword(page);
    await page.getByText('Gateway running').waitFor({ timeout: 15_000 });

    await page.getByRole('navigation').getByRole('button', { name: 'Skills' }).click();
    expect(new URL(page.url()).pathname).toBe('/skills');
    await page.getByRole('heading', { name: 'Skills' }).waitFor();
    const porch = page.locator('[data-skill="porch"]');
    await porch.getByText('Porch light routine').waitFor();
    await porch.getByText('global', { exact: true }).waitFor();
    expect(await porch.getByRole('button', { name: /Remove/ }).count()).toBe(0);

    const form = page.getByRole('form', { name: 'Install a skill' });
    await form.getByLabel('Git URL, folder or registry').fill(repo);
    await form.getByRole('button', { name: 'Install' }).click();
    await form.getByRole('status').getByText('Installed “home-report” (2 files).').waitFor({ timeout: 20_000 });
    const report = page.locator('[data-skill="home-report"]');
    await report.getByText('A morning report on the house (lights, doors, temperature)').waitFor();
    await report.getByText('workspace', { exact: true }).waitFor();
    await report.getByText(`from ${repo}`).waitFor();
    await report.getByText('Show SKILL.md').click();
    await report.getByText('Check the doors first.').waitFor();
    await page.screenshot({ path: `${shots}skills.png`, fullPage: true });
    expect((await readdir(join(ui.home, 'workspace', 'skills'))).sort()).toEqual(['home-report']);

    // The next turn's system prompt lists it (name and description only).
    await page.getByRole('navigation').getByRole('button', { name: 'Chat' }).click();
    await page.getByText('Connected').waitFor();
    await page.getByLabel('Message').fill('good morning');
    await page.keyboard.press('Enter');
    await page.getByText('you said: good morning').waitFor();
    const system = String(llm.requests.at(-1)!.body.messages[0]!.content);
    expect(system).toContain('<name>home-report</name><description>A morning report on the house (lights, doors, temperature)</description>');
    expect(system).toContain('<name>porch</name>');
    expect(system).not.toContain('Check the doors first.');

    await page.getByRole('navigation').getByRole('button', { name: 'Skills' }).click();
    await form.getByLabel('Git URL, folder or registry').fill(empty);
    await form.getByRole('button', { name: 'Install' }).click();
    await form.getByRole('alert').getByText(`Not installed: ${empty} has no SKILL.md at its top`).waitFor({ timeout: 20_000 });
    await form.getByLabel('Git URL, folder or registry').fill('github:acme/weather');
    await form.getByRole('button', { name: 'Install' }).click();
    await form.getByRole('alert').getByText(`Not installed: the github skill registry (http://127.0.0.1:${port}/acme/weather.git) could not be reached`).waitFor({ timeout: 20_000 });
    await page.screenshot({ path: `${shots}skills-refused.png`, fullPage: true });

    page.once('dialog', (dialog) => void dialog.accept());
    await report.getByRole('button', { name: 'Remove home-report' }).click();
    await page.getByRole('status').getByText(/Removed “home-report” \(kept in .*\.removed/).waitFor();
    await report.waitFor({ state: 'detached' });
    expect(await readdir(join(ui.home, 'workspace', 'skills'))).toEqual(['.removed']);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it('speaks Spanish to a Spanish browser', async () => {
    llm = await startFakeLlm([], { echo: true });
    const base = await ui.start({ agents: { defaults: { model_name: 'm' } }, model_list: [{ model_name: 'm', model: 'groq/llama', api_base: llm.url, api_keys: ['k'] }] });
    const context = await ui.browser.newContext({ locale: 'es-ES' });
    const page = await context.newPage();
    await page.goto(base);
    await page.getByLabel('Contraseña', { exact: true }).fill('correct horse battery');
    await page.getByLabel('Repítela').fill('correct horse battery');
    await page.getByRole('button', { name: 'Elegir contraseña' }).click();
    await page.getByText('Gateway en marcha').waitFor({ timeout: 15_000 });
    await page.getByRole('navigation').getByRole('button', { name: 'Habilidades' }).click();
    await page.getByRole('heading', { name: 'Habilidades' }).waitFor({ timeout: 15_000 });
    await page.getByText(/Aún no hay habilidades instaladas/).waitFor();
    await page.getByRole('form', { name: 'Instalar una habilidad' }).getByLabel('URL git, carpeta o registro').waitFor();
    await context.close();
  }, 60_000);
});
