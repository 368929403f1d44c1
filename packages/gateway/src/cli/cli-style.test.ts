import { afterEach, describe, expect, it, vi } from 'vitest';
import { colourEnabled, createStyle, startProgress, styleState, withProgress } from './cli-style.js';

const stream = (isTTY: boolean) => {
  const written: string[] = [];
  return { isTTY, written, write: (text: string) => written.push(text) };
};

afterEach(() => vi.useRealTimers());

describe('colour', () => {
  it('only on a TTY; NO_COLOR and TERM=dumb turn it off, FORCE_COLOR on', () => {
    expect(colourEnabled(stream(true), {})).toBe(true);
    expect(colourEnabled(stream(false), {})).toBe(false);
    expect(colourEnabled(stream(true), { NO_COLOR: '1' })).toBe(false);
    expect(colourEnabled(stream(true), { TERM: 'dumb' })).toBe(false);
    expect(colourEnabled(stream(false), { FORCE_COLOR: '1' })).toBe(true);
    expect(colourEnabled(stream(true), { FORCE_COLOR: '0' })).toBe(true);
    expect(colourEnabled(stream(false), { FORCE_COLOR: '0' })).toBe(false);
  });

  it('a disabled style returns the text unchanged', () => {
    expect(createStyle(false).bad('x')).toBe('x');
    expect(createStyle(true).bad('x')).toBe('\x1b[31mx\x1b[39m');
    expect(styleState(createStyle(true), 'connected')).toContain('\x1b[32m');
    expect(styleState(createStyle(true), 'failed')).toContain('\x1b[31m');
    expect(styleState(createStyle(true), 'connecting')).toContain('\x1b[33m');
  });
});

describe('progress', () => {
  it('draws nothing when the stream is not a TTY', async () => {
    const s = stream(false);
    expect(await withProgress(s, 'waiting', async () => 42)).toBe(42);
    expect(s.written).toEqual([]);
  });

  it('spins on a TTY and clears its line when stopped, also after a failure', async () => {
    vi.useFakeTimers();
    const s = stream(true);
    const p = startProgress(s, 'asking mistral-small', { intervalMs: 10 });
    vi.advanceTimersByTime(35);
    p.stop();
    p.stop();
    expect(s.written.length).toBe(5);
    expect(s.written[0]).toContain('asking mistral-small…');
    expect(s.written.at(-1)).toBe('\r\x1b[2K');
    vi.advanceTimersByTime(100);
    expect(s.written.length).toBe(5);
    const failing = stream(true);
    await expect(withProgress(failing, 'x', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(failing.written.at(-1)).toBe('\r\x1b[2K');
  });
});
