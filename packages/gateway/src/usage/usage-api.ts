/**
 * The gateway's `/usage` API (gateway token required), for the dashboard's Models page and
 * `picoclaw status`:
 *   GET /usage?days=30   per model, the counts of each of the last `days` local days (1–90) and
 *                        their total: `{today, dates, models: [{name, total, days: [{day, …}]}], scope}`
 * Counts are this gateway's own (see usage-book.ts).
 */
import type { FeatureApi } from '../http/feature-api.js';
import { KEEP_DAYS, type UsageBook, type UsageReport } from './usage-book.js';

export function usageApi(book: UsageBook): FeatureApi {
  return {
    bodies: [],
    async handle(method, path, query) {
      if (path !== '' && path !== '/') return { status: 404, body: { error: `no route ${method} /usage${path}` } };
      if (method !== 'GET' && method !== 'HEAD') return { status: 405, body: { error: 'method not allowed, use GET' } };
      const raw = query.get('days') ?? '30';
      const days = Number(raw);
      if (!/^\d{1,3}$/.test(raw) || days < 1 || days > KEEP_DAYS) return { status: 400, body: { error: `days must be a whole number from 1 to ${KEEP_DAYS} (the days kept)` } };
      return { status: 200, body: { ...(await book.report(days)), scope: 'gateway' } };
    },
  };
}

const thousands = (n: number) => n.toLocaleString('en-US');

/** One line for `picoclaw status`: today's tokens over all models. */
export function tokensTodayLine(report: Pick<UsageReport, 'today' | 'models'>): string {
  let prompt = 0;
  let completion = 0;
  let requests = 0;
  let unreported = 0;
  for (const m of report.models) {
    const today = m.days.find((d) => d.day === report.today);
    if (!today) continue;
    prompt += today.prompt_tokens;
    completion += today.completion_tokens;
    requests += today.requests;
    unreported += today.unreported;
  }
  if (requests === 0) return 'tokens today: none (no model call yet)';
  const models = report.models.filter((m) => m.days.some((d) => d.day === report.today)).length;
  return `tokens today: ${thousands(prompt + completion)} (${thousands(prompt)} prompt + ${thousands(completion)} completion) in ${requests} request${requests === 1 ? '' : 's'} to ${models} model${models === 1 ? '' : 's'}${unreported ? `, ${unreported} without usage reported` : ''}`;
}
