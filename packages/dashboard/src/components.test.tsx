// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SetupPage } from './AuthPages.js';
import { t } from './i18n.js';
import { Markdown } from './Markdown.js';
import { ModelsPage } from './ModelsPage.js';
import { SchedulePreviewView, SchedulesPage, fieldFor, relative } from './SchedulesPage.js';
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
