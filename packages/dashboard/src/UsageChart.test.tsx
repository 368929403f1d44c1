// @vitest-environment happy-dom
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ModelUsage, type UsageResponse } from './ModelUsage.js';
import { UsageChart } from './UsageChart.js';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const day = (d: string, prompt: number, completion: number, requests = 1, unreported = 0) => ({ day: d, requests, prompt_tokens: prompt, completion_tokens: completion, unreported });

describe('UsageChart', () => {
  it('draws one bar per day, stacked and scaled to the busiest day, with a summary for screen readers', () => {
    const dates = ['2026-12-04', '2026-12-05', '2026-12-06'];
    const { container } = render(<UsageChart name="fast" dates={dates} days={[day('2026-12-04', 300, 100), day('2026-12-06', 100, 100)]} />);
    const svg = screen.getByRole('img');
    expect(svg.getAttribute('aria-label')).toBe('Tokens per day for fast, last 3 days: 600 in all, most on Dec 4 (400).');
    const bars = container.querySelectorAll('g[data-day]');
    expect([...bars].map((g) => g.getAttribute('data-day'))).toEqual(dates);
    const height = (g: Element, cls: string) => Number(g.querySelector(`.${cls}`)?.getAttribute('height') ?? 0);
    // The busiest day fills the chart (64 px less the 1 px baseline): 300 + 100 of 400.
    expect(height(bars[0]!, 'usage-prompt') + height(bars[0]!, 'usage-completion')).toBeCloseTo(63);
    expect(height(bars[0]!, 'usage-prompt') / height(bars[0]!, 'usage-completion')).toBeCloseTo(3);
    // A day without calls: only the baseline.
    expect(bars[1]!.querySelector('.usage-prompt, .usage-completion')).toBeNull();
    expect(bars[1]!.querySelector('.usage-base')).not.toBeNull();
    expect(height(bars[2]!, 'usage-prompt') + height(bars[2]!, 'usage-completion')).toBeCloseTo(63 / 2);
    expect(bars[2]!.querySelector('title')?.textContent).toBe('Dec 6: 100 prompt, 100 completion');
  });

  it('says "none" for a model without tokens in the period', () => {
    render(<UsageChart name="idle" dates={['2026-12-06']} days={[day('2026-12-06', 0, 0, 2, 2)]} />);
    expect(screen.getByRole('img').getAttribute('aria-label')).toBe('Tokens per day for idle, last 1 days: none.');
  });
});

describe('ModelUsage', () => {
  it("shows each model's tokens today and over the last 7 days, its chart and a table", async () => {
    const pad = (n: number) => String(n).padStart(2, '0');
    const dates = Array.from({ length: 14 }, (_, i) => new Date(2026, 10, 23 + i)).map((d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`);
    expect([dates[0], dates.at(-1)]).toEqual(['2026-11-23', '2026-12-06']);
    const body: UsageResponse = {
      today: '2026-12-06',
      dates,
      models: [
        { name: 'fast', total: { requests: 4, prompt_tokens: 1600, completion_tokens: 160, unreported: 1 }, days: [day('2026-11-25', 1000, 100), day('2026-12-02', 500, 50), day('2026-12-06', 100, 10, 2, 1)] },
      ],
    };
    const fetchMock = vi.fn(async () => new Response(JSON.stringify(body), { status: 200 }));
    vi.stubGlobal('fetch', fetchMock);
    const { container } = render(<ModelUsage />);
    await waitFor(() => expect(container.querySelector('[data-usage-model="fast"]')).not.toBeNull());
    expect(fetchMock).toHaveBeenCalledWith('/api/usage?days=14', expect.anything());
    const card = within(container.querySelector('[data-usage-model="fast"]') as HTMLElement);
    expect(card.getByText('110 tokens')).toBeTruthy(); // today
    expect(card.getByText('100 prompt · 10 completion · 2 requests')).toBeTruthy();
    expect(card.getAllByText('1 without usage reported')).toHaveLength(2); // today and the week
    expect(card.getByText('660 tokens')).toBeTruthy(); // Nov 30 – Dec 6: not Nov 25's
    expect(card.getByRole('img').getAttribute('aria-label')).toMatch(/^Tokens per day for fast, last 14 days: 1,760 in all, most on Nov 25 \(1,100\)\.$/);
    const rows = card.getAllByRole('row').slice(1).map((r) => r.textContent);
    expect(rows).toEqual(['Dec 6100102 (1 without usage reported)', 'Dec 2500501', 'Nov 251,0001001']);
  });

  it('says when the gateway cannot be asked, and when nothing was used', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('{"error":"the gateway is not running: start it to see token usage"}', { status: 503 })));
    render(<ModelUsage />);
    expect(await screen.findByText('Token usage is not available: the gateway is not running: start it to see token usage')).toBeTruthy();
    cleanup();
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ today: '2026-12-06', dates: ['2026-12-06'], models: [] }), { status: 200 })));
    render(<ModelUsage />);
    expect(await screen.findByText('No model has answered yet in the last 14 days.')).toBeTruthy();
  });
});
