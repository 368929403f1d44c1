// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SetupPage } from './AuthPages.js';
import { t } from './i18n.js';
import { Markdown } from './Markdown.js';
import { ModelsPage } from './ModelsPage.js';
import { SchedulePreviewView, SchedulesPage, fieldFor, heartbeatSentence, relative } from './SchedulesPage.js';
import { SettingsPage } from './SettingsPage.js';
import { StatusBanner } from './StatusBanner.js';

afterEach(cleanup);

describe('Markdown', () => {
  it('renders GFM tables and code, never raw HTML, and opens links safely', () => {
    const { container } = render(<Markdown text={'| a | b |\n|---|---|\n| 1 | 2 |\n\n```js\nx()\n```\n\n<img src=x onerror=alert(1)> [site](https://example.com)'} />);
    expect(container.querySelector('table td')?.textContent).toBe('1');
    expect(container.querySelector('pre code')?.textContent).toBe('x()\n');
    expect(container.querySelector('img')).toBeNull();
    const link = container.querySelector('a')!;
    expect(link.getAttribute('rel')).toBe('noopener noreferrer nofollow');
    expect(link.getAttribute('target')).toBe('_blank');
  });

  it('highlights a fenced block of a known language (its text escaped), leaves other languages and inline code plain', async () => {
    const code = 'echo "<img src=x onerror=alert(1)>" # greet';
    const { container } = render(<Markdown text={`\`\`\`sh\n${code}\n\`\`\`\n\n\`\`\`cobol\nDISPLAY 'HI'.\n\`\`\`\n\nrun \`ls\``} />);
    const sh = await waitFor(() => {
      const block = container.querySelector('pre code.language-sh.hljs');
      expect(block).not.toBeNull();
      return block!;
    });
    expect(sh.textContent).toBe(`${code}\n`);
    expect(sh.querySelector('.hljs-built_in')?.textContent).toBe('echo');
    expect(sh.querySelector('.hljs-string')?.textContent).toBe('"<img src=x onerror=alert(1)>"');
    expect(sh.querySelector('.hljs-comment')?.textContent).toBe('# greet');
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('code.language-cobol')!.innerHTML).toBe("DISPLAY 'HI'.\n");
    expect(container.querySelector('p code')!.outerHTML).toBe('<code>ls</code>');
  });
});

describe('SetupPage', () => {
  it('keeps the button off until the passwords are long enough and equal, then posts the password', async () => {
    const fetchMock = vi.fn(async () => new Response('{"status":"ok"}', { status: 200 }));
    vi.stubGlobal('fetch', fetchMock);
    const done = vi.fn();
    render(<SetupPage onDone={done} />);
    const button = screen.getByRole('button', { name: 'Set password' });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'short' } });
    expect((button as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'correct horse' } });
    fireEvent.change(screen.getByLabelText('Repeat it'), { target: { value: 'correct horsE' } });
    expect(screen.getByText('The passwords differ.')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Repeat it'), { target: { value: 'correct horse' } });
    expect((button as HTMLButtonElement).disabled).toBe(false);
    fireEvent.click(button);
    await waitFor(() => expect(done).toHaveBeenCalled());
    expect(fetchMock).toHaveBeenCalledWith('/api/auth/setup', expect.objectContaining({ method: 'POST', body: JSON.stringify({ password: 'correct horse' }) }));
    vi.unstubAllGlobals();
  });

  it('shows the API error', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('{"error":"a password is already set"}', { status: 409 })));
    render(<SetupPage onDone={() => {}} />);
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'correct horse' } });
    fireEvent.change(screen.getByLabelText('Repeat it'), { target: { value: 'correct horse' } });
    fireEvent.click(screen.getByRole('button', { name: 'Set password' }));
    expect((await screen.findByRole('alert')).textContent).toBe('a password is already set');
    vi.unstubAllGlobals();
  });
});

describe('StatusBanner', () => {
  it('shows the cluster when the gateway shares sessions in Redis, with members and leaders in its title', async () => {
    const cluster = { store: 'redis', member: 'gw-a', redis: { url: 'redis://127.0.0.1:6379', connected: true }, members: [{ id: 'gw-a' }, { id: 'gw-b' }, { id: 'gw-c' }], leaders: { 'telegram:abc': 'gw-b' } };
    vi.stubGlobal('fetch', vi.fn(async (url: string) => new Response(JSON.stringify(url.endsWith('/api/gateway/status') ? { process: { state: 'running', restarts: 0, startedAt: new Date().toISOString() }, gateway: { cluster } } : { version: '1.2.3' }), { status: 200 })));
    render(<StatusBanner onLogout={() => {}} />);
    const badge = await screen.findByText('cluster: 3 gateways');
    expect(badge.getAttribute('title')).toBe('Sessions in Redis (redis://127.0.0.1:6379). Members: gw-a ★, gw-b, gw-c. Leaders: telegram:abc → gw-b');
    vi.unstubAllGlobals();
  });

  it('shows no cluster for a lone gateway', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ process: { state: 'running', restarts: 0 }, gateway: { cluster: { store: 'jsonl', members: [], leaders: {} } } }), { status: 200 })));
    render(<StatusBanner onLogout={() => {}} />);
    await screen.findByText('Gateway running');
    expect(screen.queryByText(/cluster:/)).toBeNull();
    vi.unstubAllGlobals();
  });
});

describe('i18n', () => {
  it('fills placeholders', () => {
    expect(t('chat.rename', { title: 'Kitchen' })).toBe('Rename Kitchen');
  });

  it('chosen Spanish: its dictionary (a chunk of its own) is loaded before use; English loads nothing', async () => {
    localStorage.setItem('picoclaw.lang', 'es');
    vi.resetModules();
    try {
      const i18n = await import('./i18n.js');
      expect(i18n.language).toBe('es');
      expect(i18n.t('app.loading')).toBe('Loading…');
      await i18n.loadLanguage();
      expect(i18n.t('app.loading')).toBe('Cargando…');
      expect(i18n.t('chat.rename', { title: 'Cocina' })).toMatch(/Cocina/);
    } finally {
      localStorage.removeItem('picoclaw.lang');
      vi.resetModules();
    }
  });
});

describe('ModelsPage', () => {
  it('asks for the API key again, and says why, when a model is moved to another address', async () => {
    const models = { primary: 'm', fallbacks: [], models: [{ model_name: 'm', model: 'mistral/mistral-small-latest', api_base: '', api_keys: ['[NOT_HERE]'] }] };
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify(models), { status: 200 })));
    render(<ModelsPage />);
    fireEvent.click(await screen.findByRole('button', { name: t('models.edit') }));
    const key = screen.getAllByLabelText(t('models.apiKey'))[0] as HTMLInputElement;
    expect(key.required).toBe(false);
    expect(screen.queryByText(t('models.keyAgain'))).toBeNull();
    fireEvent.change(screen.getAllByLabelText(t('models.apiBase'))[0]!, { target: { value: 'http://other.example/v1' } });
    expect(key.required).toBe(true);
    expect(screen.getByText(t('models.keyAgain'))).toBeTruthy();
    vi.unstubAllGlobals();
  });
});

describe('Schedules', () => {
  const HOUR = 3_600_000;
  it('previews a cron schedule: a sentence in the time zone and the next runs from the gateway, asked once per pause in typing', async () => {
    const next = [new Date(Date.now() + 3 * HOUR).toISOString(), new Date(Date.now() + 27 * HOUR).toISOString()];
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ ok: true, next, timezone: 'Europe/Madrid' }), { status: 200 }));
    vi.stubGlobal('fetch', fetchMock);
    const errors: (string | undefined)[] = [];
    const view = render(<SchedulePreviewView spec={{ kind: 'cron', expr: '0 2', tz: 'Europe/Madrid' }} timezone="UTC" onError={(e) => errors.push(e)} />);
    view.rerender(<SchedulePreviewView spec={{ kind: 'cron', expr: '0 23 *', tz: 'Europe/Madrid' }} timezone="UTC" onError={(e) => errors.push(e)} />);
    view.rerender(<SchedulePreviewView spec={{ kind: 'cron', expr: '0 23 * * *', tz: 'Europe/Madrid' }} timezone="UTC" onError={(e) => errors.push(e)} />);
    const times = await screen.findAllByRole('listitem');
    expect(times.map((li) => li.querySelector('time')?.getAttribute('datetime'))).toEqual(next);
    expect(times[0]!.textContent).toMatch(/\(in 3 h\)$/);
    expect(screen.getByText(/^At (11:00 PM|23:00) \(Europe\/Madrid time\)$/)).toBeTruthy();
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(fetchMock).toHaveBeenCalledWith('/api/schedules/preview', expect.objectContaining({ method: 'POST', body: JSON.stringify({ schedule: { kind: 'cron', expr: '0 23 * * *', tz: 'Europe/Madrid' } }) }));
    expect(errors.filter(Boolean)).toEqual([]);
    vi.unstubAllGlobals();
  });

  it("hands the gateway's refusal of an expression to the form", async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ ok: false, error: 'cron expression "61 * * * *": minute 61 is out of range 0-59' }), { status: 200 })));
    const onError = vi.fn();
    render(<SchedulePreviewView spec={{ kind: 'cron', expr: '61 * * * *' }} timezone="UTC" onError={onError} />);
    await waitFor(() => expect(onError).toHaveBeenCalledWith('cron expression "61 * * * *": minute 61 is out of range 0-59'));
    expect(screen.queryByRole('listitem')).toBeNull();
    vi.unstubAllGlobals();
  });

  it('says how far a time is in words, and which field an error is about', () => {
    const now = Date.UTC(2025, 0, 7, 12);
    expect(relative(now + 3 * HOUR, now)).toBe('in 3 h');
    expect(relative(now + 90 * 60_000, now)).toBe('in 1 h 30 min');
    expect(relative(now - 12 * 60_000, now)).toBe('12 min ago');
    expect(relative(now + 3 * 24 * HOUR, now)).toBe('in 3 d');
    expect(fieldFor('"Mars/Olympus" is not a time zone; use an IANA name such as "Europe/Madrid"', 'cron')).toBe('tz');
    expect(fieldFor('telegram: chat 999 is not in allow_from', 'cron')).toBe('target');
    expect(fieldFor('no running channel named "x"', 'every')).toBe('target');
    expect(fieldFor('to: Required', 'every')).toBe('target');
    expect(fieldFor('message: the message is empty', 'at')).toBe('message');
    expect(fieldFor('2020-01-01T00:00:00.000Z is in the past; give a moment still to come', 'at')).toBe('at');
    expect(fieldFor('"61 * * * *" is not a valid cron expression: minute 61 is out of range', 'cron')).toBe('expr');
    expect(fieldFor('an interval must be at least 1 minute', 'every')).toBe('every');
    expect(fieldFor('something else went wrong', 'every')).toBe('form');
  });

  function stubSchedules(jobs: unknown[], extra: (url: string, init?: RequestInit) => Response | undefined = () => undefined) {
    const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
      const answer = extra(url, init);
      if (answer) return answer;
      const body =
        url === '/api/schedules' ? { jobs, timezone: 'Europe/Madrid', runner: true }
        : url === '/api/schedules/targets' ? { targets: [{ channel: 'telegram', type: 'telegram', to: '12345', label: 'Ana (12345)' }] }
        : url === '/api/schedules/preview' ? { ok: true, next: [new Date(Date.now() + HOUR).toISOString()], timezone: 'Europe/Madrid' }
        : url === '/api/sessions' ? { sessions: [{ id: 'web-1', title: 'Kitchen chat' }] }
        : url === '/api/gateway/status' ? { process: { state: 'running' }, gateway: { channels: [{ name: 'pico', type: 'pico' }] } }
        : {};
      return new Response(JSON.stringify(body), { status: 200 });
    });
    vi.stubGlobal('fetch', fetchMock);
    return fetchMock;
  }

  it('lists a job with its schedule in words, target, next run and the error of its last run', async () => {
    stubSchedules([{
      id: '0123456789abcdef', name: 'Porch light', enabled: true, schedule: { kind: 'cron', expr: '0 23 * * *', tz: 'Europe/Madrid' },
      payload: { kind: 'agent_turn', message: 'Turn off the porch light', channel: 'telegram', to: '12345' },
      state: { nextRunAtMs: Date.now() + 3 * HOUR + 60_000, lastRunAtMs: Date.now() - 21 * HOUR, lastStatus: 'error', lastError: 'homeassistant: 401 Unauthorized' },
      createdAtMs: 0, updatedAtMs: 0, deleteAfterRun: false,
    }]);
    render(<SchedulesPage />);
    const job = await screen.findByRole('group', { name: 'Porch light' });
    expect(job.querySelector('[data-field="schedule"]')?.textContent).toMatch(/^At (11:00 PM|23:00) \(Europe\/Madrid time\) → telegram: Ana \(12345\)$/);
    expect(job.querySelector('[data-field="next"]')?.textContent).toMatch(/^Next run: .+ \(in 3 h 1 min\)$/);
    expect(job.querySelector('[data-field="last"]')?.textContent).toBe('Last run 21 h ago:errorhomeassistant: 401 Unauthorized');
    expect((screen.getByRole('checkbox', { name: 'Enabled' }) as HTMLInputElement).checked).toBe(true);
    // A model's refusal is no field of the job: Edit is not pressed on the user.
    expect(job.querySelector('[data-field="fix"]')).toBeNull();
    expect(screen.getByRole('button', { name: 'Edit' }).className).toBe('secondary');
    vi.unstubAllGlobals();
  });

  const porch = {
    id: '0123456789abcdef', name: 'Porch light', enabled: true, schedule: { kind: 'cron', expr: '0 23 * * *', tz: 'Europe/Madrid' },
    payload: { kind: 'agent_turn', message: 'Turn off the porch light', channel: 'telegram', to: '12345' },
    state: { nextRunAtMs: Date.now() + 3 * HOUR }, createdAtMs: 0, updatedAtMs: 0, deleteAfterRun: false, missed: 'run',
  };
  const patches = (fetchMock: ReturnType<typeof stubSchedules>) =>
    fetchMock.mock.calls.filter(([, init]) => init?.method === 'PATCH').map(([url, init]) => [url, JSON.parse(String(init!.body)) as unknown]);

  it('edit: the form opens filled with the job, and saves only what changed with PATCH', async () => {
    const fetchMock = stubSchedules([porch], (url, init) =>
      init?.method === 'PATCH' ? new Response(JSON.stringify({ job: { ...porch, schedule: { kind: 'cron', expr: '30 22 * * 1-5', tz: 'Europe/Madrid' } } }), { status: 200 }) : undefined);
    render(<SchedulesPage />);
    const row = await screen.findByRole('group', { name: 'Porch light' });
    fireEvent.click(within(row).getByRole('button', { name: 'Edit' }));
    const form = screen.getByRole('form', { name: 'Edit “Porch light”' });
    const field = (label: string | RegExp) => within(form).getByLabelText(label) as HTMLInputElement & HTMLSelectElement;
    expect(field('Message').value).toBe('Turn off the porch light');
    expect((within(form).getByRole('radio', { name: /Ask the assistant/ }) as HTMLInputElement).checked).toBe(true);
    expect(field('When').value).toBe('cron');
    expect(field(/^Cron expression/).value).toBe('0 23 * * *');
    expect(field('Time zone').value).toBe('Europe/Madrid');
    expect(field('If PicoClaw was off at that time').value).toBe('run');
    expect(field('Name (optional)').value).toBe('Porch light');
    await waitFor(() => expect(field('Send to').selectedOptions[0]?.textContent).toBe('telegram: Ana (12345)'));
    // The same live preview as for a new job.
    await within(form).findByText(/^At (11:00 PM|23:00) \(Europe\/Madrid time\)$/);
    fireEvent.change(field(/^Cron expression/), { target: { value: '30 22 * * 1-5' } });
    await within(form).findByText(/^At (10:30 PM|22:30), Monday through Friday \(Europe\/Madrid time\)$/);
    fireEvent.click(within(form).getByRole('button', { name: 'Save' }));
    await screen.findByText('Saved.');
    expect(screen.queryByRole('form', { name: 'Edit “Porch light”' })).toBeNull();
    expect(patches(fetchMock)).toEqual([['/api/schedules/0123456789abcdef', { schedule: { kind: 'cron', expr: '30 22 * * 1-5', tz: 'Europe/Madrid' } }]]);
    vi.unstubAllGlobals();
  });

  it("edit: the gateway's refusal shows at its field; Cancel leaves the job untouched", async () => {
    const fetchMock = stubSchedules([porch], (url, init) =>
      init?.method === 'PATCH' ? new Response(JSON.stringify({ error: 'telegram: chat 777 is not in allow_from' }), { status: 400 }) : undefined);
    render(<SchedulesPage />);
    fireEvent.click(within(await screen.findByRole('group', { name: 'Porch light' })).getByRole('button', { name: 'Edit' }));
    const form = screen.getByRole('form', { name: 'Edit “Porch light”' });
    await waitFor(() => expect((within(form).getByLabelText('Send to') as HTMLSelectElement).options.length).toBe(2));
    fireEvent.change(within(form).getByLabelText('Send to'), { target: { value: 'pico\u0000web-1' } });
    fireEvent.change(within(form).getByLabelText('Message'), { target: { value: 'Porch light off, please' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save' }));
    const alert = await within(form).findByText('telegram: chat 777 is not in allow_from');
    expect(alert.id).toBe('schedule-0123456789abcdef-error-target');
    expect(patches(fetchMock)).toEqual([['/api/schedules/0123456789abcdef', { message: 'Porch light off, please', channel: 'pico', to: 'web-1' }]]);
    fireEvent.click(within(form).getByRole('button', { name: 'Cancel' }));
    const row = screen.getByRole('group', { name: 'Porch light' });
    expect(within(row).getByText('“Turn off the porch light”')).toBeTruthy();
    expect(patches(fetchMock)).toHaveLength(1);
    vi.unstubAllGlobals();
  });

  it('a job that cannot run because of its expression says so, points to Edit, and the form opens with the error at the expression', async () => {
    const bad = '"0 25 * * *" is not a valid cron expression: hour 25 is out of range 0-23';
    const broken = { ...porch, schedule: { kind: 'cron', expr: '0 25 * * *' }, state: { lastStatus: 'error', lastError: bad } };
    const fetchMock = stubSchedules([broken], (url, init) => {
      if (url === '/api/schedules/preview' && String(init?.body).includes('0 25')) return new Response(JSON.stringify({ ok: false, error: bad }), { status: 200 });
      if (init?.method === 'PATCH') return new Response(JSON.stringify({ job: porch }), { status: 200 });
      return undefined;
    });
    render(<SchedulesPage />);
    const row = await screen.findByRole('group', { name: 'Porch light' });
    expect(row.querySelector('[data-field="last"]')?.textContent).toBe(`cannot run${bad}`);
    expect(row.querySelector('[data-field="fix"]')?.textContent).toBe('Edit it to fix this: change “Cron expression”.');
    const edit = within(row).getByRole('button', { name: 'Edit' });
    expect(edit.className).toBe('');
    fireEvent.click(edit);
    const form = screen.getByRole('form', { name: 'Edit “Porch light”' });
    const expr = within(form).getByLabelText(/^Cron expression/);
    expect(expr.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(expr.getAttribute('aria-describedby')!)?.textContent).toBe(bad);
    fireEvent.change(expr, { target: { value: '0 23 * * *' } });
    await waitFor(() => expect(expr.getAttribute('aria-invalid')).toBeNull());
    fireEvent.click(within(form).getByRole('button', { name: 'Save' }));
    await screen.findByText('Saved.');
    // No tz in the job: the gateway's zone, said explicitly now that the schedule changes.
    expect(patches(fetchMock)).toEqual([['/api/schedules/0123456789abcdef', { schedule: { kind: 'cron', expr: '0 23 * * *', tz: 'Europe/Madrid' } }]]);
    vi.unstubAllGlobals();
  });

  it('says what "Run heartbeat now" came to, for every outcome', () => {
    const hb = { enabled: true, interval: 30, active_hours: '08:00-22:00', target: 'telegram:12345' };
    expect(heartbeatSentence('no-tasks', hb, 'Europe/Madrid')).toBe('HEARTBEAT.md has no tasks yet: nothing was asked of the model.');
    expect(heartbeatSentence('ok', hb, 'Europe/Madrid')).toBe('Nothing to report (the model answered HEARTBEAT_OK).');
    expect(heartbeatSentence('sent', hb, 'Europe/Madrid')).toBe('Reported to telegram:12345.');
    expect(heartbeatSentence('sent', { ...hb, target: '' }, 'Europe/Madrid')).toBe('Reported to the last chat that wrote.');
    expect(heartbeatSentence('off', hb, 'Europe/Madrid')).toBe('The heartbeat is off: turn it on in Settings.');
    expect(heartbeatSentence('outside-hours', hb, 'Europe/Madrid')).toBe('Outside the active hours, from 08:00 to 22:00 (Europe/Madrid time): nothing was done.');
    expect(heartbeatSentence('not-runner', hb, 'Europe/Madrid')).toBe('Another gateway of the cluster runs the heartbeat: nothing was done here.');
    expect(heartbeatSentence('no-target', hb, 'Europe/Madrid')).toMatch(/^The model had something to report, but there is no chat to send it to: set the heartbeat’s chat in Settings/);
  });

  it('the heartbeat card says how the heartbeat is set and runs one beat on demand', async () => {
    const config = { heartbeat: { enabled: true, interval: 45, active_hours: '08:00-22:00', target: 'telegram:12345' }, agents: { defaults: { workspace: '/srv/picoclaw/workspace' } } };
    const fetchMock = stubSchedules([], (url, init) =>
      url === '/api/config' ? new Response(JSON.stringify({ config }), { status: 200 })
      : url === '/api/schedules/heartbeat' && init?.method === 'POST' ? new Response(JSON.stringify({ outcome: 'sent' }), { status: 200 })
      : undefined);
    const open = vi.fn();
    render(<SchedulesPage onOpenSettings={open} />);
    const card = await screen.findByRole('group', { name: 'Heartbeat' });
    await within(card).findByText('Every 45 minutes, from 08:00 to 22:00 (Europe/Madrid time); reports go to telegram:12345.');
    expect(within(card).getByText(/^Every 45 minutes the assistant reads HEARTBEAT.md in its workspace/)).toBeTruthy();
    expect(card.querySelector('code')?.textContent).toBe('/srv/picoclaw/workspace/HEARTBEAT.md');
    fireEvent.click(within(card).getByRole('button', { name: 'Run heartbeat now' }));
    expect((await within(card).findByRole('status')).textContent).toBe('Reported to telegram:12345.');
    expect(fetchMock).toHaveBeenCalledWith('/api/schedules/heartbeat', expect.objectContaining({ method: 'POST' }));
    fireEvent.click(within(card).getByRole('button', { name: 'Heartbeat settings' }));
    expect(open).toHaveBeenCalled();
    vi.unstubAllGlobals();
  });

  it('explains schedules when there are none; an example fills the form; a refused time zone is shown at the time zone field', async () => {
    const fetchMock = stubSchedules([], (url, init) =>
      url === '/api/schedules' && init?.method === 'POST' ? new Response(JSON.stringify({ error: 'unknown time zone "Mars/Olympus": use an IANA name such as Europe/Madrid' }), { status: 400 }) : undefined);
    render(<SchedulesPage />);
    await screen.findByText(/No schedules yet/);
    fireEvent.click(screen.getAllByRole('button', { name: 'Use this example' })[0]!);
    expect((screen.getByLabelText('Message') as HTMLTextAreaElement).value).toBe('Turn off the porch light if it is on.');
    expect((screen.getByLabelText(/^Cron expression/) as HTMLInputElement).value).toBe('0 23 * * *');
    expect((screen.getByRole('radio', { name: /Ask the assistant/ }) as HTMLInputElement).checked).toBe(true);
    // The dashboard chat comes first among the targets, then the other conversations, then the channels'.
    await waitFor(() => expect([...(screen.getByLabelText('Send to') as HTMLSelectElement).options].map((o) => o.textContent)).toEqual(['Dashboard chat: Kitchen chat', 'telegram: Ana (12345)']));
    fireEvent.change(screen.getByLabelText('Time zone'), { target: { value: 'Mars/Olympus' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    const alert = await screen.findByText(/unknown time zone "Mars\/Olympus"/);
    expect(alert.id).toBe('schedule-error-tz');
    expect(screen.getByLabelText('Time zone').getAttribute('aria-describedby')).toBe('schedule-error-tz');
    const posted = fetchMock.mock.calls.find(([url, init]) => url === '/api/schedules' && init?.method === 'POST')!;
    expect(JSON.parse(String(posted[1]!.body))).toEqual({ message: 'Turn off the porch light if it is on.', schedule: { kind: 'cron', expr: '0 23 * * *', tz: 'Mars/Olympus' }, channel: 'pico', to: 'web-1', deliver: false, enabled: true });
    vi.unstubAllGlobals();
  });
});

describe('SettingsPage heartbeat', () => {
  it('shows the heartbeat from the config and saves it with PUT /api/heartbeat', async () => {
    const fetchMock = vi.fn(async (url: string, _init?: RequestInit) => {
      if (url === '/api/heartbeat') return new Response(JSON.stringify({ error: 'invalid; nothing was written', issues: [{ path: 'heartbeat.target', message: 'must be "<channel>:<chat>"' }] }), { status: 400 });
      const body = url === '/api/config' ? { warnings: [], config: { heartbeat: { enabled: false, interval: 30, active_hours: '', target: '' } } } : url === '/api/tools' ? { tools: [], mcp: false } : {};
      return new Response(JSON.stringify(body), { status: 200 });
    });
    vi.stubGlobal('fetch', fetchMock);
    render(<SettingsPage />);
    const form = await screen.findByRole('form', { name: 'Heartbeat' });
    expect((within(form).getByLabelText('Every (minutes, at least 5)') as HTMLInputElement).value).toBe('30');
    fireEvent.click(within(form).getByRole('checkbox', { name: 'On' }));
    fireEvent.change(within(form).getByLabelText('Every (minutes, at least 5)'), { target: { value: '15' } });
    fireEvent.change(within(form).getByLabelText(/^Active hours/), { target: { value: '08:00-22:00' } });
    fireEvent.change(within(form).getByLabelText(/^Send reports to/), { target: { value: 'telegram:12345' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save' }));
    expect((await within(form).findByRole('alert')).textContent).toBe('not saved: invalid; nothing was written: must be "<channel>:<chat>"');
    const put = fetchMock.mock.calls.find(([url]) => url === '/api/heartbeat')!;
    expect(put[1]!.method).toBe('PUT');
    expect(JSON.parse(String(put[1]!.body))).toEqual({ enabled: true, interval: 15, active_hours: '08:00-22:00', target: 'telegram:12345' });
    vi.unstubAllGlobals();
  });
});

describe('StatusBanner schedules', () => {
  it('says which schedule failed and why, linking to the Schedules page', async () => {
    const failing = [{ id: 'a', name: 'Porch light', error: 'homeassistant: 401 Unauthorized', at: new Date().toISOString() }];
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ process: { state: 'running', restarts: 0 }, gateway: { schedules: { jobs: 1, enabled: 1, runner: true, next: [], failing } } }), { status: 200 })));
    const open = vi.fn();
    render(<StatusBanner onLogout={() => {}} onOpenSchedules={open} />);
    const link = await screen.findByRole('link', { name: 'Schedule “Porch light” failed: homeassistant: 401 Unauthorized' });
    expect(link.getAttribute('href')).toBe('/schedules');
    fireEvent.click(link);
    expect(open).toHaveBeenCalled();
    vi.unstubAllGlobals();
  });
});
