// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConversationSearch, SEARCH_DEBOUNCE_MS } from './ChatSearch.js';
import { t } from './i18n.js';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const hits = {
  results: [
    { id: 'web-a', title: 'Tomatoes', in: 'message', role: 'assistant', snippet: { before: '…the soil should stay damp, never ', match: 'soggy', after: '.' } },
    { id: 'web-b', title: 'Soggy bread', in: 'title', snippet: { before: '', match: 'Soggy', after: ' bread' } },
  ],
  truncated: false,
};

function setup() {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  const calls: { url: string; signal: AbortSignal }[] = [];
  vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
    calls.push({ url, signal: init.signal! });
    return new Response(JSON.stringify(hits), { status: 200 });
  }));
  const onOpen = vi.fn();
  render(<ConversationSearch current="web-b" onOpen={onOpen}><ul><li>the normal list</li></ul></ConversationSearch>);
  const box = screen.getByRole('searchbox', { name: t('chat.search') });
  return { calls, onOpen, box };
}
const settle = () => act(async () => {
  await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS + 10);
});

describe('ConversationSearch', () => {
  it('waits for a pause in typing, aborts a superseded search, shows hits with the match marked, and Enter opens the first', async () => {
    const { calls, onOpen, box } = setup();
    expect(screen.getByText('the normal list')).toBeTruthy();
    fireEvent.change(box, { target: { value: 'so' } });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(100);
    });
    fireEvent.change(box, { target: { value: 'sog' } });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(100);
    });
    expect(calls).toHaveLength(0); // still typing
    fireEvent.change(box, { target: { value: 'soggy' } });
    await settle();
    expect(calls.map((c) => c.url)).toEqual(['/api/sessions/search?q=soggy']);
    expect(screen.queryByText('the normal list')).toBeNull();
    const marks = [...document.querySelectorAll('mark')].map((m) => m.textContent);
    expect(marks).toEqual(['soggy', 'Soggy']);
    expect(screen.getByRole('list', { name: t('chat.searchResults') }).textContent).toContain('…the soil should stay damp, never soggy.');
    expect(screen.getByText(t('chat.searchMany', { n: 2 }))).toBeTruthy();
    // A newer text aborts the request of the older one once it was sent.
    fireEvent.change(box, { target: { value: 'soggy b' } });
    await settle();
    fireEvent.change(box, { target: { value: 'soggy br' } });
    expect(calls.at(-1)!.signal.aborted).toBe(true);
    await settle();
    expect(calls.at(-1)!.url).toBe('/api/sessions/search?q=soggy%20br');
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(onOpen).toHaveBeenCalledWith('web-a');
    fireEvent.click(screen.getByRole('button', { name: /Soggy bread/ }));
    expect(onOpen).toHaveBeenLastCalledWith('web-b');
  });

  it('the arrow keys go from the box through the results and back; Escape returns to the box', async () => {
    const { box } = setup();
    fireEvent.change(box, { target: { value: 'soggy' } });
    await settle();
    const [first, second] = screen.getAllByRole('button').filter((b) => b.classList.contains('session-hit'));
    box.focus();
    fireEvent.keyDown(box, { key: 'ArrowDown' });
    expect(document.activeElement).toBe(first);
    fireEvent.keyDown(first!, { key: 'ArrowDown' });
    expect(document.activeElement).toBe(second);
    fireEvent.keyDown(second!, { key: 'ArrowDown' });
    expect(document.activeElement).toBe(second);
    fireEvent.keyDown(second!, { key: 'ArrowUp' });
    fireEvent.keyDown(first!, { key: 'ArrowUp' });
    expect(document.activeElement).toBe(box);
    fireEvent.keyDown(box, { key: 'ArrowDown' });
    fireEvent.keyDown(first!, { key: 'Escape' });
    expect(document.activeElement).toBe(box);
    expect((box as HTMLInputElement).value).toBe('soggy');
  });

  it('an empty search (or Escape) shows the normal list again; a refusal is said', async () => {
    const { box } = setup();
    fireEvent.change(box, { target: { value: 'soggy' } });
    await settle();
    fireEvent.keyDown(box, { key: 'Escape' });
    expect(screen.getByText('the normal list')).toBeTruthy();
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ error: 'this session store cannot search conversations' }), { status: 501 })));
    fireEvent.change(box, { target: { value: 'x' } });
    await settle();
    expect(screen.getByText(t('chat.searchFailed', { error: 'this session store cannot search conversations' }))).toBeTruthy();
    fireEvent.change(box, { target: { value: '   ' } });
    expect(screen.getByText('the normal list')).toBeTruthy();
  });
});
