// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SetupPage } from './AuthPages.js';
import { t } from './i18n.js';
import { Markdown } from './Markdown.js';
import { ModelsPage } from './ModelsPage.js';
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
