/**
 * The Models page's token usage: per model, today's and the last 7 days' tokens as the providers
 * reported them, a bar per day for the last 14 days, and the same figures as a table. Days are
 * the gateway's calendar days; the counts are the gateway's own (GET /api/usage).
 */
import { useCallback, useEffect, useState } from 'react';
import { RefreshCw } from 'lucide-react';
import { api } from './api.js';
import { t } from './i18n.js';
import { formatCount, shortDay, UsageChart, type DayUsage } from './UsageChart.js';

export interface UsageResponse {
  today: string;
  dates: string[];
  models: { name: string; total: Omit<DayUsage, 'day'>; days: DayUsage[] }[];
}

const CHART_DAYS = 14;

const sum = (days: DayUsage[]) =>
  days.reduce((s, d) => ({ prompt: s.prompt + d.prompt_tokens, completion: s.completion + d.completion_tokens, requests: s.requests + d.requests, unreported: s.unreported + d.unreported }), { prompt: 0, completion: 0, requests: 0, unreported: 0 });

function Figures({ label, days }: { label: string; days: DayUsage[] }) {
  const s = sum(days);
  return (
    <div className="usage-figure">
      <span className="muted">{label}</span>
      <strong>{t('usage.tokens', { n: formatCount(s.prompt + s.completion) })}</strong>
      <span className="muted small">{t(s.requests === 1 ? 'usage.splitOne' : 'usage.split', { prompt: formatCount(s.prompt), completion: formatCount(s.completion), requests: formatCount(s.requests) })}</span>
      {s.unreported > 0 && <span className="muted small">{t('usage.unreported', { n: s.unreported })}</span>}
    </div>
  );
}

export function ModelUsage() {
  const [data, setData] = useState<UsageResponse>();
  const [error, setError] = useState<string>();
  const load = useCallback(() => {
    api<UsageResponse>(`/api/usage?days=${CHART_DAYS}`).then(
      (d) => {
        // An answer of another shape (an older gateway) is an error, not a broken page.
        if (!Array.isArray(d.models) || !Array.isArray(d.dates)) throw new Error('the gateway does not report usage (update it)');
        setData(d);
        setError(undefined);
      },
    ).catch((e: Error) => setError(e.message));
  }, []);
  useEffect(() => {
    load();
  }, [load]);

  return (
    <section className="usage" aria-labelledby="usage-title">
      <div className="row">
        <h2 id="usage-title">{t('usage.title')}</h2>
        <button type="button" className="secondary" onClick={load}><RefreshCw size={16} />{t('usage.refresh')}</button>
      </div>
      <p className="muted">{t('usage.intro')}</p>
      {error && <p className="muted" role="status">{t('usage.unavailable', { error })}</p>}
      {data && data.models.length === 0 && <p className="muted">{t('usage.none')}</p>}
      {data?.models.map((m) => {
        const week = new Set(data.dates.slice(-7));
        return (
          <div className="item usage-model" key={m.name} data-usage-model={m.name}>
            <strong>{m.name}</strong>
            <div className="usage-figures">
              <Figures label={t('usage.today')} days={m.days.filter((d) => d.day === data.today)} />
              <Figures label={t('usage.week')} days={m.days.filter((d) => week.has(d.day))} />
            </div>
            <UsageChart name={m.name} dates={data.dates} days={m.days} />
            <div className="usage-legend small muted" aria-hidden="true">
              <span><span className="usage-swatch usage-prompt" />{t('usage.prompt')}</span>
              <span><span className="usage-swatch usage-completion" />{t('usage.completion')}</span>
            </div>
            <details>
              <summary>{t('usage.table')}</summary>
              <table className="usage-table">
                <caption className="visually-hidden">{t('usage.tableCaption', { name: m.name })}</caption>
                <thead>
                  <tr><th scope="col">{t('usage.day')}</th><th scope="col">{t('usage.prompt')}</th><th scope="col">{t('usage.completion')}</th><th scope="col">{t('usage.requests')}</th></tr>
                </thead>
                <tbody>
                  {[...m.days].reverse().map((d) => (
                    <tr key={d.day}><th scope="row">{shortDay(d.day)}</th><td>{formatCount(d.prompt_tokens)}</td><td>{formatCount(d.completion_tokens)}</td><td>{formatCount(d.requests)}{d.unreported ? ` (${t('usage.unreported', { n: d.unreported })})` : ''}</td></tr>
                  ))}
                </tbody>
              </table>
            </details>
          </div>
        );
      })}
    </section>
  );
}
