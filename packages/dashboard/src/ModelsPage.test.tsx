// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { t } from './i18n.js';
import { ModelsPage, moveItem, REFRESH_MS, StatusPill, timeLeft, type ModelsResponse } from './ModelsPage.js';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const entry = (name: string) => ({ model_name: name, model: `groq/${name}`, api_base: '', api_keys: ['[NOT_HERE]'] });

/** A launcher with models m, b, c (b and c fallbacks) and d outside the order; `refuse` answers PUTs with 400. */
function fakeLauncher(options: { refuse?: boolean; status?: ModelsResponse['status'] } = {}) {
  const doc: ModelsResponse = { primary: 'm', fallbacks: ['b', 'c'], models: ['m', 'b', 'c', 'd'].map(entry), ...(options.status ? { status: options.status } : {}) };
  const puts: unknown[] = [];
  // After a refusal the launcher stops answering: only the page itself can put the order back.
  let refused = false;
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    if (url === '/api/models-order') {
      const body = JSON.parse(String(init?.body)) as { primary: string; fallbacks: string[] };
      puts.push(body);
      if (options.refuse) {
        refused = true;
        return new Response(JSON.stringify({ error: 'config.json is read-only' }), { status: 400 });
      }
      doc.primary = body.primary;
      doc.fallbacks = body.fallbacks;
      return new Response(JSON.stringify({ status: 'saved' }), { status: 200 });
    }
    if (url.startsWith('/api/usage')) return new Response(JSON.stringify({ today: '2026-12-06', dates: [], models: [] }), { status: 200 });
    if (refused) return new Response(JSON.stringify({ error: 'the launcher is restarting' }), { status: 503 });
    return new Response(JSON.stringify(doc), { status: 200 });
  });
  vi.stubGlobal('fetch', fetch);
  return { doc, puts, fetch };
}

/** The names in the fallback order list, top to bottom. */
const chainOrder = () => [...screen.getByRole('list', { name: t('models.chainTitle') }).querySelectorAll('[data-model]')].map((e) => e.getAttribute('data-model'));

describe('ModelsPage: the fallback order', () => {
  it('lists primary then fallbacks with their places, the others below; Move up saves the new order, announces it and keeps focus', async () => {
    const launcher = fakeLauncher();
    render(<ModelsPage />);
    await screen.findByRole('list', { name: t('models.chainTitle') });
    expect(chainOrder()).toEqual(['m', 'b', 'c']);
    const c = screen.getByRole('list', { name: t('models.chainTitle') }).querySelector('[data-model="c"]') as HTMLElement;
    expect(within(c).getByText(t('models.positionFallback', { n: 2 }))).toBeTruthy();
    const others = screen.getByRole('heading', { name: t('models.others') }).parentElement!;
    expect(others.querySelector('[data-model="d"]')).not.toBeNull();

    const up = screen.getByRole('button', { name: t('models.moveUp', { name: 'c' }) });
    up.focus();
    fireEvent.click(up);
    expect(chainOrder()).toEqual(['m', 'c', 'b']);
    await waitFor(() => expect(launcher.puts).toEqual([{ primary: 'm', fallbacks: ['c', 'b'] }]));
    expect(screen.getByText(t('models.movedTo', { name: 'c', position: t('models.positionFallback', { n: 1 }) }))).toBeTruthy();
    expect(document.activeElement?.getAttribute('aria-label')).toBe(t('models.moveUp', { name: 'c' }));
    // Up again makes it primary; "Use as fallback" puts d at the end.
    fireEvent.click(screen.getByRole('button', { name: t('models.moveUp', { name: 'c' }) }));
    await waitFor(() => expect(launcher.puts.at(-1)).toEqual({ primary: 'c', fallbacks: ['m', 'b'] }));
    fireEvent.click(within(screen.getByRole('heading', { name: t('models.others') }).parentElement!).getByRole('button', { name: t('models.useAsFallback') }));
    await waitFor(() => expect(launcher.puts.at(-1)).toEqual({ primary: 'c', fallbacks: ['m', 'b', 'd'] }));
    await waitFor(() => expect(chainOrder()).toEqual(['c', 'm', 'b', 'd']));
  });

  it('moves a row by dragging its handle (pointer events), saved when let go', async () => {
    const launcher = fakeLauncher();
    render(<ModelsPage />);
    await screen.findByRole('list', { name: t('models.chainTitle') });
    // happy-dom lays nothing out: rows 100 px high, m at 0, b at 100, c at 200.
    const list = screen.getByRole('list', { name: t('models.chainTitle') });
    const place = () =>
      list.querySelectorAll<HTMLElement>('[data-model]').forEach((row, i) => {
        row.getBoundingClientRect = () => ({ top: i * 100, height: 100, bottom: i * 100 + 100, left: 0, right: 500, width: 500, x: 0, y: i * 100, toJSON: () => ({}) });
      });
    place();
    const handle = list.querySelector('[data-model="c"] .drag-handle')!;
    fireEvent.pointerDown(handle, { pointerId: 1, button: 0, pointerType: 'touch', clientY: 250 });
    fireEvent.pointerMove(handle, { pointerId: 1, clientY: 40 });
    expect(chainOrder()).toEqual(['c', 'm', 'b']);
    expect(launcher.puts).toEqual([]); // nothing saved mid-drag
    place();
    fireEvent.pointerMove(handle, { pointerId: 1, clientY: 120 }); // above m's middle: stays first
    expect(chainOrder()).toEqual(['c', 'm', 'b']);
    fireEvent.pointerMove(handle, { pointerId: 1, clientY: 160 });
    expect(chainOrder()).toEqual(['m', 'c', 'b']);
    fireEvent.pointerUp(handle, { pointerId: 1, clientY: 160 });
    await waitFor(() => expect(launcher.puts).toEqual([{ primary: 'm', fallbacks: ['c', 'b'] }]));

    // A cancelled drag (the browser took the touch) saves nothing and puts the row back.
    place();
    const b = list.querySelector('[data-model="b"] .drag-handle')!;
    fireEvent.pointerDown(b, { pointerId: 2, button: 0, pointerType: 'touch', clientY: 250 });
    fireEvent.pointerMove(b, { pointerId: 2, clientY: 10 });
    expect(chainOrder()).toEqual(['b', 'm', 'c']);
    fireEvent.pointerCancel(b, { pointerId: 2 });
    expect(chainOrder()).toEqual(['m', 'c', 'b']);
    expect(launcher.puts).toHaveLength(1);
  });

  it('puts the order back and says why when saving it fails', async () => {
    const launcher = fakeLauncher({ refuse: true });
    render(<ModelsPage />);
    fireEvent.click(await screen.findByRole('button', { name: t('models.moveDown', { name: 'm' }) }));
    expect(chainOrder()).toEqual(['b', 'm', 'c']);
    const alert = await screen.findByText(t('models.orderFailed', { error: 'config.json is read-only' }), { selector: '[role="alert"]' });
    expect(alert).toBeTruthy();
    expect(chainOrder()).toEqual(['m', 'b', 'c']);
    expect(launcher.doc.primary).toBe('m');
  });

  it('refreshes the state every 10 s while shown and stops when the page is gone', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'Date'] });
    const launcher = fakeLauncher();
    const page = render(<ModelsPage />);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(10);
    });
    const models = () => launcher.fetch.mock.calls.filter(([url]) => url === '/api/models').length;
    expect(models()).toBe(1);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(REFRESH_MS * 2);
    });
    expect(models()).toBe(3);
    page.unmount();
    await vi.advanceTimersByTimeAsync(REFRESH_MS * 3);
    expect(models()).toBe(3);
  });
});

describe('StatusPill', () => {
  const now = Date.parse('2026-12-06T10:00:00Z');
  it('counts a cooldown down from cooldownUntil', () => {
    const state = { name: 'b', role: 'fallback', state: 'cooling-down', failures: 2, cooldownUntil: '2026-12-06T10:03:10Z' };
    const { rerender, container } = render(<StatusPill state={state} now={now} />);
    expect(container.textContent).toBe('cooling down, 4 min left');
    rerender(<StatusPill state={state} now={now + 150_000} />);
    expect(container.textContent).toBe('cooling down, 40 s left');
    // Once the cooldown is over the chain tries it again.
    rerender(<StatusPill state={state} now={now + 200_000} />);
    expect(container.textContent).toBe(t('models.stateReady'));
  });

  it('shows a problem, not used, and ready', () => {
    const base = { name: 'm', role: 'primary' };
    const text = (s: object) => render(<StatusPill state={{ ...base, state: 'ready', ...s }} now={now} />).container.textContent;
    expect(text({ problem: 'no key: set model_list.0.api_keys' })).toBe(t('models.stateProblem'));
    expect(text({ state: 'unused' })).toBe(t('models.stateUnused'));
    expect(text({})).toBe(t('models.stateReady'));
  });

  it('timeLeft and moveItem', () => {
    expect(timeLeft(59_000)).toBe('59 s');
    expect(timeLeft(59_001)).toBe('1 min');
    expect(timeLeft(60_001)).toBe('2 min');
    expect(moveItem(['a', 'b', 'c'], 2, 0)).toEqual(['c', 'a', 'b']);
    expect(moveItem(['a', 'b', 'c'], 0, 5)).toEqual(['b', 'c', 'a']);
  });
});

describe('ModelsPage: a model row', () => {
  it('shows failures, the last answer and the last error (whole in its title)', async () => {
    fakeLauncher({ status: [{ name: 'b', role: 'fallback', state: 'cooling-down', failures: 3, cooldownUntil: new Date(Date.now() + 240_000).toISOString(), lastError: 'HTTP 500 from the provider: overloaded '.repeat(5), lastSuccessAt: new Date().toISOString(), lastLatencyMs: 850 }] });
    render(<ModelsPage />);
    const b = (await screen.findByRole('list', { name: t('models.chainTitle') })).querySelector('[data-model="b"]') as HTMLElement;
    await waitFor(() => expect(b.textContent).toContain('cooling down, 4 min left'));
    expect(b.textContent).toContain('3 failures');
    expect(b.textContent).toMatch(/last answer .+, 850 ms/);
    const summary = b.querySelector('.last-error summary')!;
    expect(summary.getAttribute('title')).toBe('HTTP 500 from the provider: overloaded '.repeat(5));
  });
});
