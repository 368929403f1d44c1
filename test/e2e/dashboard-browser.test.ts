/**
 * The dashboard in real headless Chromium (Debian chromium + playwright-core), served by the real
 * launcher, which runs the real gateway, against a fake model and a fake Home Assistant.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFakeHomeAssistant, startFakeLlm, type FakeHomeAssistant, type FakeLlm } from '@picoclaw/test-fakes';
import { afterEach, describe, expect, it } from 'vitest';
import { setPassword, useDashboard, waitForMcpConnected } from './dashboard-harness.js';

const ui = useDashboard({ name: 'main' });
let llm: FakeLlm | undefined;
let ha: FakeHomeAssistant | undefined;
afterEach(async () => {
  await Promise.all([llm?.close(), ha?.close()]);
  llm = ha = undefined;
});

function start(extra: Record<string, unknown> = {}, args: string[] = []) {
  return ui.start({
    agents: { defaults: { model_name: 'm' } },
    model_list: [{ model_name: 'm', model: 'groq/llama', api_base: llm!.url, api_keys: ['k'] }],
    ...extra,
  }, args);
}

describe('dashboard in Chromium', () => {
  it('first run: set a password, see the gateway running, chat with a streamed answer; log out and in again', async () => {
    llm = await startFakeLlm([], { echo: true });
    const base = await start();
    const page = await ui.browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base);
    await page.waitForURL(/\/launcher-setup$/);
    await setPassword(page);
    await page.getByText('Gateway running').waitFor({ timeout: 15_000 });
    await page.getByText('Connected').waitFor();
    await page.getByLabel('Message').fill('hello from chromium');
    await page.keyboard.press('Enter');
    await page.getByText('you said: hello from chromium').waitFor();
    expect(await page.locator('.message.user').textContent()).toBe('hello from chromium');
    // The conversation is listed, can be renamed, and comes back with its history.
    const sessions = page.getByRole('complementary', { name: 'Conversations' });
    await sessions.getByRole('button', { name: 'hello from chromium', exact: true }).waitFor();
    page.once('dialog', (dialog) => void dialog.accept('Kitchen chat'));
    await sessions.getByRole('button', { name: 'Rename hello from chromium' }).click();
    await sessions.getByRole('button', { name: 'Kitchen chat', exact: true }).waitFor();
    await sessions.getByRole('button', { name: 'New conversation' }).click();
    await page.getByText('Ask anything').waitFor();
    await sessions.getByRole('button', { name: 'Kitchen chat', exact: true }).click();
    await page.getByText('you said: hello from chromium').waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'PicoClaw' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/launcher-login');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').getByText('wrong password or token').waitFor();
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Gateway running').waitFor();
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows a Home Assistant tool call as a card with its arguments and result', async () => {
    ha = await startFakeHomeAssistant();
    llm = await startFakeLlm([
      { toolCalls: [{ id: 'c1', name: 'mcp_homeassistant_hassturnon', arguments: '{"name":"kitchen light"}' }] },
      { text: ['The kitchen light is on.'] },
    ]);
    const base = await start({ tools: { mcp: { enabled: true, servers: { homeassistant: { type: 'http', url: ha.url, headers: { Authorization: `Bearer ${ha.token}` } } } } } });
    const page = await ui.browser.newPage();
    await page.goto(base);
    await setPassword(page);
    await page.getByText('Connected').waitFor({ timeout: 15_000 });
    // Wait until Home Assistant's tools are connected before asking.
    await waitForMcpConnected(page);
    await page.getByLabel('Message').fill('turn on the kitchen light');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByText('The kitchen light is on.').waitFor();
    const card = page.locator('details.tool');
    expect(await card.locator('summary').textContent()).toContain('mcp_homeassistant_hassturnon → turned on kitchen light');
    await card.locator('summary').click();
    expect(await card.locator('pre').first().textContent()).toBe('{"name":"kitchen light"}');
    expect(ha.calls).toEqual([{ tool: 'HassTurnOn', args: { name: 'kitchen light' } }]);
    await page.close();
  });

  it('models: token usage after a chat, test a model; MCP: add Home Assistant with a test first; logs: live lines', async () => {
    ha = await startFakeHomeAssistant();
    llm = await startFakeLlm([{ text: ['Hi there.'], usage: { prompt_tokens: 1234, completion_tokens: 56 } }], { echo: true });
    const base = await start();
    const page = await ui.browser.newPage();
    await page.goto(base);
    await setPassword(page);
    await page.getByText('Gateway running').waitFor({ timeout: 15_000 });
    await page.getByText('Connected').waitFor();
    await page.getByLabel('Message').fill('hello');
    await page.keyboard.press('Enter');
    await page.getByText('Hi there.').waitFor();

    await page.getByRole('button', { name: 'Models' }).click();
    expect(new URL(page.url()).pathname).toBe('/models');
    const model = page.locator('[data-model="m"]');
    await model.getByText('primary').waitFor();
    // The tokens the provider reported for that answer: today and this week, a chart and a table.
    const usage = page.locator('[data-usage-model="m"]');
    await usage.getByText('1,290 tokens').first().waitFor();
    expect(await usage.getByText('1,234 prompt · 56 completion · 1 request').count()).toBe(2);
    expect(await usage.getByRole('img').getAttribute('aria-label')).toMatch(/^Tokens per day for m, last 14 days: 1,290 in all, most on /);
    await usage.getByText('As a table').click();
    expect(await usage.getByRole('row').nth(1).textContent()).toMatch(/1,234561$/);
    await model.getByRole('button', { name: 'Test' }).click();
    await model.getByRole('status').getByText(/answered in \d+ ms/).waitFor();
    // Edit: the key field is write-only (shows "set"), and an edit without a key keeps it.
    await model.getByRole('button', { name: 'Edit' }).click();
    expect(await model.getByLabel('API key').getAttribute('placeholder')).toBe('set — type to replace');
    await model.getByLabel('Model (vendor/id)').fill('groq/llama-renamed');
    await model.getByRole('button', { name: 'Save' }).click();
    await model.getByText('groq/llama-renamed').waitFor();
    expect(await readFile(join(ui.home, '.security.yml'), 'utf8')).toContain('- k');

    await page.getByRole('button', { name: 'MCP' }).click();
    await page.getByLabel('URL').fill(ha.url);
    await page.getByLabel('Long-lived access token').fill('wrong-token');
    await page.getByRole('button', { name: 'Test' }).click();
    await page.getByRole('status').getByText(/failed: .*401.*long-lived access token/).waitFor();
    await page.getByLabel('Long-lived access token').fill(ha.token);
    await page.getByRole('button', { name: 'Test' }).click();
    await page.getByRole('status').getByText(/connected: 4 tools/).waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    const server = page.locator('[data-server="homeassistant"]');
    await server.getByText('connected').waitFor({ timeout: 15_000 });
    await server.locator('summary').click();
    await server.getByRole('combobox').selectOption('HassTurnOn');
    await server.getByLabel('Arguments (JSON)').fill('{"name": "kitchen light"}');
    await server.getByRole('button', { name: 'Run' }).click();
    await server.getByRole('status').getByText('turned on kitchen light').waitFor();

    await page.getByRole('button', { name: 'Logs' }).click();
    await page.getByRole('log').getByText(/MCP server homeassistant connected/).waitFor({ timeout: 10_000 });
    expect(await page.getByRole('log').textContent()).not.toContain(ha.token);
    // The process filter: that line is the gateway's, so it goes with "launcher" and comes back with "All".
    await page.getByLabel('Process').selectOption('launcher');
    expect(await page.getByRole('log').getByText(/MCP server homeassistant connected/).count()).toBe(0);
    await page.getByLabel('Process').selectOption('');
    await page.getByRole('log').getByText(/MCP server homeassistant connected/).waitFor();
    await page.close();
  });

  it('settings say which keys of a PicoClaw config are ignored here, and why', async () => {
    llm = await startFakeLlm([], { echo: true });
    const base = await start({ heartbeat: { enabled: true }, tools: { exec: { enabled: true }, web: { brave: { enabled: true } } } });
    const page = await ui.browser.newPage();
    await page.goto(base);
    await setPassword(page);
    await page.getByRole('navigation').getByRole('button', { name: 'Settings' }).click();
    const notes = page.getByRole('group', { name: 'About your config.json' });
    await notes.waitFor();
    // The heartbeat is implemented now: not among the ignored keys.
    expect(await notes.textContent()).not.toMatch(/heartbeat/);
    expect(await notes.textContent()).toMatch(/tools\.exec\.enabled — no shell tool is offered here/);
    await page.close();
  });

  it('every page renders without errors (screenshots in test/e2e/screenshots); settings toggle a tool', async () => {
    llm = await startFakeLlm([{ text: ['Here is a table:\n\n| room | light |\n|---|---|\n| kitchen | on |\n\n```sh\necho hi\n```'] }], { echo: true });
    const base = await start();
    const shots = new URL('./screenshots/', import.meta.url).pathname;
    await mkdir(shots, { recursive: true });
    const page = await ui.browser.newPage({ viewport: { width: 1100, height: 750 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base);
    await page.waitForURL(/launcher-setup/);
    await page.screenshot({ path: `${shots}setup.png` });
    await setPassword(page);
    await page.getByText('Gateway running').waitFor({ timeout: 15_000 });
    await page.getByText('Connected').waitFor();
    await page.getByLabel('Message').fill('show me a table');
    await page.keyboard.press('Enter');
    await page.locator('.message.assistant table').waitFor();
    // The sh block is highlighted once the highlighter chunk has loaded; under the answer: the model, Copy.
    await page.locator('.message.assistant pre code.hljs .hljs-built_in', { hasText: 'echo' }).waitFor();
    expect(await page.locator('.message.assistant .model').textContent()).toBeTruthy();
    await page.getByRole('button', { name: 'Copy answer' }).waitFor();
    await page.screenshot({ path: `${shots}chat.png` });
    for (const [name, heading] of [['Models', 'Models'], ['Channels', 'Channels'], ['Schedules', 'Schedules'], ['MCP', 'MCP servers'], ['Logs', 'Logs'], ['Settings', 'Settings']] as const) {
      await page.getByRole('navigation').getByRole('button', { name }).click();
      await page.getByRole('heading', { name: heading }).waitFor();
      await page.waitForTimeout(300);
      await page.screenshot({ path: `${shots}${name.toLowerCase()}.png` });
    }
    const webFetch = page.getByRole('checkbox', { name: /web_fetch/ });
    expect(await webFetch.isChecked()).toBe(false);
    await webFetch.click();
    await expect.poll(() => webFetch.isChecked()).toBe(true);
    const tools = await page.evaluate(async () => (await (await fetch('/api/tools')).json()) as { tools: { name: string; enabled: boolean }[] });
    expect(tools.tools.find((t) => t.name === 'web_fetch')?.enabled).toBe(true);
    await page.setViewportSize({ width: 390, height: 800 });
    // At phone width the pages are in the drawer behind the menu button.
    await page.getByRole('button', { name: 'Menu', exact: true }).click();
    await page.getByRole('navigation').getByRole('button', { name: 'Chat' }).click();
    await page.screenshot({ path: `${shots}chat-phone.png` });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('first run reachable from other machines: the setup page asks for the code the launcher printed', async () => {
    llm = await startFakeLlm([], { echo: true });
    const base = await start({}, ['--host', '0.0.0.0']);
    let code: string | undefined;
    for (let i = 0; i < 100 && !code; i++, await new Promise((r) => setTimeout(r, 50))) code = /setup code ([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})/.exec(ui.launcher!.output())?.[1];
    expect(code).toBeDefined();
    const page = await ui.browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base);
    await page.waitForURL(/\/launcher-setup$/);
    await page.getByText('podman logs picoclaw').waitFor();
    await page.getByLabel('Setup code').fill('AAAA-BBBB-CCCC');
    await setPassword(page);
    await page.getByRole('alert').getByText(/wrong setup code/).waitFor();
    await page.getByLabel('Setup code').fill(code!.toLowerCase());
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByText('Gateway running').waitFor({ timeout: 15_000 });
    await page.getByText('Connected').waitFor();
    expect(errors).toEqual([]);
    await page.close();
  });

  it('speaks Spanish to a Spanish browser', async () => {
    llm = await startFakeLlm([], { echo: true });
    const base = await start();
    const page = await ui.browser.newPage({ locale: 'es-ES' });
    await page.goto(base);
    await page.getByRole('heading', { name: 'Elegir contraseña' }).waitFor();
    await page.getByLabel('Contraseña', { exact: true }).fill('correct horse battery');
    await page.getByLabel('Repítela').fill('correct horse battery');
    await page.getByRole('button', { name: 'Elegir contraseña' }).click();
    await page.getByText('Gateway en marcha').waitFor({ timeout: 15_000 });
    await page.getByRole('navigation').getByRole('button', { name: 'Ajustes' }).waitFor();
    // The cron sentence in Spanish: cronstrue's Spanish locale works in the built bundle.
    await page.getByRole('navigation').getByRole('button', { name: 'Tareas programadas' }).click();
    await page.getByLabel('Cuándo').selectOption('cron');
    await page.getByLabel('Expresión cron').fill('30 7 * * 1-5');
    await page.getByTestId('schedule-preview').getByText(/^A las 07:30, de lunes a viernes \(hora de .+\)$/).waitFor();
    await page.close();
  });

  it('the whole flow: log out and in, the kitchen light with its tool card, fallback order saved, the turn in the logs, restart from the UI and chat again', async () => {
    ha = await startFakeHomeAssistant();
    llm = await startFakeLlm([
      { toolCalls: [{ id: 'c1', name: 'mcp_homeassistant_hassturnon', arguments: '{"name":"kitchen light"}' }] },
      { text: ['The kitchen ', 'light is on.'] },
    ], { echo: true });
    const base = await start({
      agents: { defaults: { model_name: 'm', model_fallbacks: ['b', 'c'] } },
      model_list: [
        { model_name: 'm', model: 'groq/llama', api_base: llm.url, api_keys: ['k'] },
        { model_name: 'b', model: 'groq/backup', api_base: llm.url, api_keys: ['k'] },
        { model_name: 'c', model: 'groq/third', api_base: llm.url, api_keys: ['k'] },
      ],
      tools: { mcp: { enabled: true, servers: { homeassistant: { type: 'http', url: ha.url, headers: { Authorization: `Bearer ${ha.token}` } } } } },
    });
    const page = await ui.browser.newPage();
    await page.goto(base);
    await setPassword(page);
    await page.getByText('Gateway running').waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Connected').waitFor({ timeout: 15_000 });
    await waitForMcpConnected(page);
    await page.getByLabel('Message').fill('turn on the kitchen light');
    await page.keyboard.press('Enter');
    await page.getByText('The kitchen light is on.').waitFor();
    expect(await page.locator('details.tool summary').textContent()).toContain('turned on kitchen light');

    await page.getByRole('navigation').getByRole('button', { name: 'Models' }).click();
    await page.getByRole('button', { name: 'Move c up' }).click();
    await expect.poll(async () => page.evaluate(async () => ((await (await fetch('/api/models')).json()) as { fallbacks: string[] }).fallbacks)).toEqual(['c', 'b']);
    await page.locator('[data-model="c"]').getByText('fallback 1').waitFor();

    // The MCP page says what the server's tools cost each request.
    await page.getByRole('navigation').getByRole('button', { name: 'MCP' }).click();
    expect(await page.getByTestId('mcp-size').textContent()).toMatch(/^4 tools: \d+\.\d KB of definitions sent with every request$/);

    await page.getByRole('navigation').getByRole('button', { name: 'Logs' }).click();
    await page.getByRole('log').getByText(/turn on pico answered by m in \d+ ms with 1 tool call/).waitFor({ timeout: 10_000 });

    const before = await page.evaluate(async () => ((await (await fetch('/api/gateway/status')).json()) as { process: { pid: number } }).process.pid);
    await page.getByRole('button', { name: 'Restart' }).click();
    await expect
      .poll(async () => {
        const p = await page.evaluate(async () => ((await (await fetch('/api/gateway/status')).json()) as { process: { state: string; pid?: number } }).process);
        return p.state === 'running' && p.pid !== before;
      }, { timeout: 15_000 })
      .toBe(true);
    await page.getByRole('navigation').getByRole('button', { name: 'Chat' }).click();
    await page.getByText('Connected').waitFor({ timeout: 15_000 });
    await page.getByLabel('Message').fill('are you back?');
    await page.keyboard.press('Enter');
    await page.getByText('you said: are you back?').waitFor({ timeout: 15_000 });
    await page.close();
  });

  it('schedules: create a cron job with a time zone and see it in words, edit its schedule, disable and enable it, run it now into the dashboard chat, see a failure in the banner, run the heartbeat, delete it', async () => {
    // Agent turns whose prompt says FAIL get a 401 from the model: a job that fails.
    llm = await startFakeLlm([], { answer: (body) => (JSON.stringify(body.messages.at(-1)?.content ?? '').includes('FAIL') ? { status: 401 } : `you said: ${String(body.messages.at(-1)?.content ?? '')}` ) });
    const base = await start();
    const shots = new URL('./screenshots/', import.meta.url).pathname;
    await mkdir(shots, { recursive: true });
    const page = await ui.browser.newPage({ viewport: { width: 1100, height: 900 }, timezoneId: 'Europe/Madrid' });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base);
    await setPassword(page);
    await page.getByText('Gateway running').waitFor({ timeout: 15_000 });
    await page.getByText('Connected').waitFor();
    const session = await page.evaluate<string | null>("localStorage.getItem('picoclaw.session')");
    expect(session).toMatch(/^web-/);

    await page.getByRole('navigation').getByRole('button', { name: 'Schedules' }).click();
    expect(new URL(page.url()).pathname).toBe('/schedules');
    await page.getByText(/No schedules yet/).waitFor();
    const form = page.getByRole('form', { name: 'New schedule' });
    await form.getByLabel('Message', { exact: true }).fill('Take the bins out');
    await form.getByLabel('When', { exact: true }).selectOption('cron');
    await form.getByLabel('Cron expression', { exact: true }).fill('0 20 * * 2');
    // A time zone the gateway does not know: its sentence, next to the field.
    await form.getByLabel('Time zone', { exact: true }).fill('Mars/Olympus');
    await form.locator('#schedule-error-tz').getByText(/Mars\/Olympus/).waitFor();
    expect(await form.getByLabel('Time zone', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await form.getByLabel('Time zone', { exact: true }).fill('America/New_York');
    const preview = page.getByTestId('schedule-preview');
    await preview.getByText(/^At 08:00 PM, only on Tuesday \(America\/New_York time\)$/).waitFor();
    await expect.poll(() => preview.locator('time').count()).toBe(5);
    expect(await form.locator('#schedule-error-tz').count()).toBe(0);
    const next = await preview.locator('time').evaluateAll((times) => times.map((t) => t.getAttribute('datetime')!));
    const inNewYork = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    expect(new Set(next.map((iso) => inNewYork.format(new Date(iso))))).toEqual(new Set(['Tue 20:00']));
    // Shown in the browser's zone (Madrid: 02:00 on Wednesday, 01:00 around the DST switches).
    expect(await preview.locator('li').first().textContent()).toMatch(/^Wed.*0[12]:00.*\(in \d+ (h|d|h \d+ min)\)$/);
    expect(await form.getByLabel('Send to').locator('option:checked').textContent()).toBe('This dashboard chat');
    await form.getByLabel('Name (optional)').fill('Bins');
    await form.getByRole('button', { name: 'Create' }).click();
    await form.getByRole('status').getByText('Created “Bins”.').waitFor();

    const job = page.getByRole('group', { name: 'Bins' });
    await job.waitFor();
    expect(await job.locator('[data-field="schedule"]').textContent()).toBe('At 08:00 PM, only on Tuesday (America/New_York time) → This dashboard chat');
    expect(await job.locator('[data-field="next"]').textContent()).toMatch(/^Next run: Wed.*0[12]:00 AM \(in .+\)$/);
    expect(await job.locator('[data-field="last"]').textContent()).toBe('Not run yet');
    const stored = await page.evaluate(async () => (await (await fetch('/api/schedules')).json()) as { jobs: { id: string; enabled: boolean; schedule: unknown; payload: { channel: string; to: string; deliver?: boolean }; state: { nextRunAtMs?: number } }[] });
    expect(stored.jobs).toHaveLength(1);
    expect(stored.jobs[0]).toMatchObject({ enabled: true, schedule: { kind: 'cron', expr: '0 20 * * 2', tz: 'America/New_York' }, payload: { channel: 'pico', to: session, deliver: true } });
    await page.screenshot({ path: `${shots}schedules.png`, fullPage: true });

    // Edit: the same form, filled with the job; a new expression moves the next run.
    type Stored = { jobs: { id: string; schedule: unknown; payload: { message: string }; state: { nextRunAtMs?: number } }[] };
    const before = stored.jobs[0]!.state.nextRunAtMs!;
    await job.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Edit “Bins”' });
    expect(await edit.getByLabel('Message', { exact: true }).inputValue()).toBe('Take the bins out');
    expect(await edit.getByLabel('When', { exact: true }).inputValue()).toBe('cron');
    expect(await edit.getByLabel('Cron expression', { exact: true }).inputValue()).toBe('0 20 * * 2');
    expect(await edit.getByLabel('Time zone', { exact: true }).inputValue()).toBe('America/New_York');
    expect(await edit.getByLabel('Send to').locator('option:checked').textContent()).toBe('This dashboard chat');
    expect(await edit.getByRole('radio', { name: 'Send the message as is' }).isChecked()).toBe(true);
    // A bad expression: the gateway's sentence at the field, before anything is saved.
    await edit.getByLabel('Cron expression', { exact: true }).fill('0 7 * * 9');
    await edit.locator('#schedule-' + stored.jobs[0]!.id + '-error-expr').waitFor();
    await edit.getByLabel('Cron expression', { exact: true }).fill('0 7 * * 6');
    const editPreview = edit.getByTestId('schedule-preview');
    await editPreview.getByText(/^At 07:00 AM, only on Saturday \(America\/New_York time\)$/).waitFor();
    await expect.poll(() => editPreview.locator('time').count()).toBe(5);
    await edit.getByRole('button', { name: 'Save' }).click();
    await job.getByRole('status').getByText('Saved.').waitFor();
    await job.locator('[data-field="schedule"]').getByText('At 07:00 AM, only on Saturday (America/New_York time) → This dashboard chat').waitFor();
    const edited = (await page.evaluate(async () => (await (await fetch('/api/schedules')).json()) as unknown)) as Stored;
    expect(edited.jobs[0]).toMatchObject({ id: stored.jobs[0]!.id, schedule: { kind: 'cron', expr: '0 7 * * 6', tz: 'America/New_York' }, payload: { message: 'Take the bins out' } });
    const after = edited.jobs[0]!.state.nextRunAtMs!;
    expect(after).not.toBe(before);
    expect(inNewYork.format(new Date(after))).toBe('Sat 07:00');
    expect(after - Date.now()).toBeLessThanOrEqual(7 * 24 * 3_600_000);
    // Cancel leaves it as it is.
    await job.getByRole('button', { name: 'Edit' }).click();
    await edit.getByLabel('Message', { exact: true }).fill('Something else');
    await edit.getByRole('button', { name: 'Cancel' }).click();
    await job.getByText('“Take the bins out”').waitFor();
    expect(((await page.evaluate(async () => (await (await fetch('/api/schedules')).json()) as unknown)) as Stored).jobs[0]!.payload.message).toBe('Take the bins out');

    await job.getByRole('checkbox', { name: 'Enabled' }).uncheck();
    await job.locator('[data-field="next"]').getByText('Disabled: it does not run until enabled').waitFor();
    expect((await page.evaluate(async () => (await (await fetch('/api/schedules')).json()) as { jobs: { enabled: boolean }[] })).jobs[0]!.enabled).toBe(false);
    await job.getByRole('checkbox', { name: 'Enabled' }).check();
    await job.locator('[data-field="next"]').getByText(/^Next run: /).waitFor();

    await job.getByRole('button', { name: 'Run now' }).click();
    await job.locator('[data-field="last"]').getByText('ok', { exact: true }).waitFor({ timeout: 15_000 });
    expect(await job.locator('[data-field="last"]').textContent()).toMatch(/^Last run (just now|\d+ s ago):okTake the bins out$/);
    // Delivered as is into this dashboard chat, live.
    await page.getByRole('navigation').getByRole('button', { name: 'Chat' }).click();
    await page.locator('.message.assistant').getByText('Take the bins out').waitFor({ timeout: 10_000 });

    // A job that fails: the banner names it and links to the Schedules page.
    await page.getByRole('navigation').getByRole('button', { name: 'Schedules' }).click();
    await form.getByLabel('Message', { exact: true }).fill('FAIL: check the garage door');
    await form.getByRole('radio', { name: /Ask the assistant/ }).check();
    await form.getByLabel('When', { exact: true }).selectOption('every');
    await form.getByLabel('Every', { exact: true }).fill('6');
    await form.getByLabel('Unit', { exact: true }).selectOption('hours');
    await preview.getByText('Every 6 hours').waitFor();
    await form.getByLabel('Name (optional)').fill('Garage');
    await form.getByRole('button', { name: 'Create' }).click();
    const garage = page.getByRole('group', { name: 'Garage' });
    await garage.getByRole('button', { name: 'Run now' }).click();
    await garage.locator('[data-field="last"] .error').waitFor({ timeout: 20_000 });
    const hint = page.getByRole('link', { name: /^Schedule “Garage” failed: / });
    await hint.waitFor({ timeout: 15_000 });
    await page.screenshot({ path: `${shots}schedules-failed.png`, fullPage: true });
    await page.getByRole('navigation').getByRole('button', { name: 'Chat' }).click();
    await hint.click();
    expect(new URL(page.url()).pathname).toBe('/schedules');
    await garage.waitFor();

    // The heartbeat: off, then turned on in Settings; with HEARTBEAT.md holding no tasks a beat asks no model.
    const heartbeat = page.getByRole('group', { name: 'Heartbeat' });
    expect(await heartbeat.locator('[data-field="heartbeat-state"]').textContent()).toBe('off');
    await heartbeat.getByRole('button', { name: 'Run heartbeat now' }).click();
    await heartbeat.getByRole('status').getByText('The heartbeat is off: turn it on in Settings.').waitFor();
    await heartbeat.getByRole('button', { name: 'Heartbeat settings' }).click();
    expect(new URL(page.url()).pathname).toBe('/settings');
    const settings = page.getByRole('form', { name: 'Heartbeat' });
    await settings.getByRole('checkbox', { name: 'On' }).check();
    await settings.getByLabel(/^Every \(minutes/).fill('20');
    await settings.getByRole('button', { name: 'Save' }).click();
    await settings.getByRole('status').getByText('saved').waitFor();
    expect(JSON.parse(await readFile(join(ui.home, 'config.json'), 'utf8')).heartbeat).toMatchObject({ enabled: true, interval: 20 });
    await page.getByRole('navigation').getByRole('button', { name: 'Schedules' }).click();
    await heartbeat.getByText('Every 20 minutes, all day; reports go to the last chat that wrote.').waitFor();
    const calls = llm.requests.length;
    await heartbeat.getByRole('button', { name: 'Run heartbeat now' }).click();
    await heartbeat.getByRole('status').getByText('HEARTBEAT.md has no tasks yet: nothing was asked of the model.').waitFor();
    expect(llm.requests.length).toBe(calls);
    await page.screenshot({ path: `${shots}schedules-heartbeat.png`, fullPage: true });

    for (const name of ['Bins', 'Garage']) {
      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByRole('group', { name }).getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('group', { name }).waitFor({ state: 'detached' });
    }
    await page.getByText(/No schedules yet/).waitFor();
    expect((await page.evaluate(async () => (await (await fetch('/api/schedules')).json()) as { jobs: unknown[] })).jobs).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('schedules: a PicoClaw job with a bad cron expression cannot run, points to Edit, and an edit of its expression gives it a next run', async () => {
    llm = await startFakeLlm([], { echo: true });
    const id = 'a1b2c3d4e5f60718';
    await mkdir(join(ui.home, 'workspace', 'cron'), { recursive: true });
    await writeFile(join(ui.home, 'workspace', 'cron', 'jobs.json'), JSON.stringify({ version: 1, jobs: [{
      id, name: 'Backup check', enabled: true, schedule: { kind: 'cron', expr: '0 25 * * *' },
      payload: { kind: 'agent_turn', message: 'Check that the backup ran', channel: 'pico', to: 'web-abc', deliver: true },
      state: {}, createdAtMs: Date.now(), updatedAtMs: Date.now(), deleteAfterRun: false,
    }] }));
    const base = await start();
    const shots = new URL('./screenshots/', import.meta.url).pathname;
    const page = await ui.browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base);
    await setPassword(page);
    await page.getByText('Gateway running').waitFor({ timeout: 15_000 });
    await page.getByRole('navigation').getByRole('button', { name: 'Schedules' }).click();
    const job = page.getByRole('group', { name: 'Backup check' });
    await job.locator('[data-field="last"]').getByText('cannot run').waitFor();
    expect(await job.locator('[data-field="last"] .error').textContent()).toMatch(/^"0 25 \* \* \*" is not a valid cron expression/);
    expect(await job.locator('[data-field="fix"]').textContent()).toBe('Edit it to fix this: change “Cron expression”.');
    expect(await job.getByRole('button', { name: 'Edit' }).getAttribute('class')).toBeNull();
    await job.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Edit “Backup check”' });
    const expr = edit.getByLabel('Cron expression', { exact: true });
    expect(await expr.inputValue()).toBe('0 25 * * *');
    expect(await expr.getAttribute('aria-invalid')).toBe('true');
    expect(await edit.locator(`#schedule-${id}-error-expr`).textContent()).toMatch(/is not a valid cron expression/);
    // The job's own chat is kept, though no channel lists it.
    expect(await edit.getByLabel('Send to').locator('option:checked').textContent()).toBe('pico: web-abc');
    await page.screenshot({ path: `${shots}schedules-edit.png`, fullPage: true });
    await expr.fill('0 22 * * *');
    await edit.getByTestId('schedule-preview').getByText(/^At 10:00 PM \(.+ time\)$/).waitFor();
    expect(await expr.getAttribute('aria-invalid')).toBeNull();
    await edit.getByRole('button', { name: 'Save' }).click();
    await job.getByRole('status').getByText('Saved.').waitFor();
    await job.locator('[data-field="next"]').getByText(/^Next run: /).waitFor();
    expect(await job.locator('[data-field="last"]').textContent()).toBe('Not run yet');
    expect(await job.locator('[data-field="fix"]').count()).toBe(0);
    const list = await page.evaluate(async () => (await (await fetch('/api/schedules')).json()) as { timezone: string; jobs: { schedule: unknown; payload: unknown; state: { nextRunAtMs?: number } }[] });
    expect(list.jobs[0]).toMatchObject({ schedule: { kind: 'cron', expr: '0 22 * * *', tz: list.timezone }, payload: { channel: 'pico', to: 'web-abc', message: 'Check that the backup ran' } });
    expect(list.jobs[0]!.state.nextRunAtMs).toBeGreaterThan(Date.now());
    expect(errors).toEqual([]);
    await page.close();
  });
});
