/**
 * A small bar chart of one model's tokens per day: prompt and completion stacked, one bar per day,
 * in plain SVG (no chart library). Screen readers get the chart as one image with a summary
 * (aria-label); each bar's <title> gives its day's figures on hover; the table beside it
 * (ModelUsage) has every figure.
 */
import { language, t } from './i18n.js';

export interface DayUsage {
  day: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  unreported: number;
}

const WIDTH = 280;
const HEIGHT = 64;
const GAP = 2;

export const formatCount = (n: number) => n.toLocaleString(language === 'es' ? 'es-ES' : 'en-US');
/** "Dec 6" / "6 dic" from YYYY-MM-DD, read as a calendar day (no time zone shift). */
export const shortDay = (day: string) => {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y!, m! - 1, d!).toLocaleDateString(language === 'es' ? 'es-ES' : 'en-US', { month: 'short', day: 'numeric' });
};

/** `dates`: every day to draw, oldest first; `days`: the days with usage (others are zero). */
export function UsageChart({ name, dates, days }: { name: string; dates: string[]; days: DayUsage[] }) {
  const byDay = new Map(days.map((d) => [d.day, d]));
  const tokens = (d?: DayUsage) => (d ? d.prompt_tokens + d.completion_tokens : 0);
  const max = Math.max(1, ...dates.map((day) => tokens(byDay.get(day))));
  const total = dates.reduce((sum, day) => sum + tokens(byDay.get(day)), 0);
  const busiest = dates.reduce((best, day) => (tokens(byDay.get(day)) > tokens(byDay.get(best)) ? day : best), dates[0] ?? '');
  const step = WIDTH / Math.max(1, dates.length);
  const label = total
    ? t('usage.chartLabel', { name, days: dates.length, total: formatCount(total), day: shortDay(busiest), most: formatCount(tokens(byDay.get(busiest))) })
    : t('usage.chartEmpty', { name, days: dates.length });
  return (
    <svg className="usage-chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={label} preserveAspectRatio="none">
      {dates.map((day, i) => {
        const d = byDay.get(day);
        const promptH = ((d?.prompt_tokens ?? 0) / max) * (HEIGHT - 1);
        const completionH = ((d?.completion_tokens ?? 0) / max) * (HEIGHT - 1);
        const x = i * step + GAP / 2;
        const w = Math.max(1, step - GAP);
        return (
          <g key={day} data-day={day}>
            <title>{t('usage.barTitle', { day: shortDay(day), prompt: formatCount(d?.prompt_tokens ?? 0), completion: formatCount(d?.completion_tokens ?? 0) })}</title>
            {/* the baseline, so an empty day still shows where it is */}
            <rect className="usage-base" x={x} y={HEIGHT - 1} width={w} height={1} />
            {promptH > 0 && <rect className="usage-prompt" x={x} y={HEIGHT - promptH - completionH} width={w} height={promptH} />}
            {completionH > 0 && <rect className="usage-completion" x={x} y={HEIGHT - completionH} width={w} height={completionH} />}
          </g>
        );
      })}
    </svg>
  );
}
