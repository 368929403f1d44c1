// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LogsPage } from './LogsPage.js';

class FakeEventSource {
  static last: FakeEventSource | undefined;
  onmessage: ((event: MessageEvent<string>) => void) | null = null;
  constructor(readonly url: string) {
    FakeEventSource.last = this;
  }
  close() {}
}

let seq = 0;
const entry = (source: string, level: string, message: string) => ({ seq: ++seq, time: '2026-12-06T10:00:00.000Z', source, level, message });
const emit = (e: ReturnType<typeof entry>) => act(() => FakeEventSource.last!.onmessage!(new MessageEvent('message', { data: JSON.stringify(e) })));
const lines = () => Array.from(document.querySelectorAll('[role="log"] > div:not(.muted)')).map((d) => d.textContent ?? '');

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

async function open() {
  const tail = [entry('launcher', 'info', 'launcher listening'), entry('gateway', 'warn', 'gateway model slow')];
  vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ entries: tail }), { status: 200 })));
  vi.stubGlobal('EventSource', FakeEventSource);
  render(<LogsPage />);
  await waitFor(() => expect(lines()).toHaveLength(2));
}

describe('LogsPage', () => {
  it('filters by process and by text, and says when nothing matches', async () => {
    await open();
    fireEvent.change(screen.getByLabelText('Process'), { target: { value: 'gateway' } });
    expect(lines()).toEqual([expect.stringContaining('gateway model slow')]);
    fireEvent.change(screen.getByLabelText('Process'), { target: { value: 'launcher' } });
    expect(lines()).toEqual([expect.stringContaining('launcher listening')]);
    fireEvent.change(screen.getByLabelText('Process'), { target: { value: '' } });
    fireEvent.change(screen.getByLabelText('Search'), { target: { value: 'SLOW' } });
    expect(lines()).toEqual([expect.stringContaining('gateway model slow')]);
    fireEvent.change(screen.getByLabelText('Search'), { target: { value: 'nothing like it' } });
    expect(lines()).toEqual([]);
    expect(screen.getByText('No lines match.')).toBeTruthy();
  });

  it('asks the server for the chosen level', async () => {
    await open();
    fireEvent.change(screen.getByLabelText('Level'), { target: { value: 'error' } });
    await waitFor(() => expect(FakeEventSource.last!.url).toBe('/api/logs/stream?level=error'));
    expect(vi.mocked(fetch)).toHaveBeenLastCalledWith('/api/logs?level=error');
  });

  it('while paused keeps new lines aside and counts them, then shows them on resume', async () => {
    await open();
    emit(entry('gateway', 'info', 'before pause'));
    expect(lines()).toHaveLength(3);
    fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    emit(entry('gateway', 'info', 'while paused 1'));
    emit(entry('launcher', 'error', 'while paused 2'));
    expect(lines()).toHaveLength(3);
    expect(screen.getByRole('status').textContent).toBe('Paused: 2 new lines waiting');
    fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
    expect(lines().slice(-2)).toEqual([expect.stringContaining('while paused 1'), expect.stringContaining('while paused 2')]);
    expect(screen.queryByRole('status')).toBeNull();
    emit(entry('gateway', 'info', 'after resume'));
    expect(lines()).toHaveLength(6);
  });
});
