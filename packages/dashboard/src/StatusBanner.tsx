import { useEffect, useState } from 'react';
import { api, type ClusterInfo, type GatewayProcess, type SchedulesStatus } from './api.js';
import { t } from './i18n.js';

const states = ['running', 'starting', 'restarting', 'stopped', 'stopping', 'config-error', 'crash-loop'] as const;
const label = (state: string) => ((states as readonly string[]).includes(state) ? t(`banner.${state as (typeof states)[number]}`) : t('banner.unknown'));

const themes = ['system', 'light', 'dark'] as const;
type Theme = (typeof themes)[number];
function applyTheme(theme: Theme) {
  if (theme === 'system') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', theme);
}

function uptime(since: string | undefined): string {
  if (!since) return '';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(since)) / 1000));
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min` : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function StatusBanner({ onLogout, onOpenSchedules }: { onLogout: () => void; onOpenSchedules?: () => void }) {
  const [process, setProcess] = useState<GatewayProcess>();
  const [cluster, setCluster] = useState<ClusterInfo>();
  const [failing, setFailing] = useState<SchedulesStatus['failing']>([]);
  const [busy, setBusy] = useState(false);
  const [version, setVersion] = useState('');
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem('picoclaw.theme') as Theme | null) ?? 'system');
  useEffect(() => {
    applyTheme(theme);
    localStorage.setItem('picoclaw.theme', theme);
  }, [theme]);
  useEffect(() => {
    void api<{ version: string }>('/api/system/version').then((v) => setVersion(v.version), () => {});
  }, []);
  useEffect(() => {
    let alive = true;
    const poll = () =>
      api<{ process: GatewayProcess; gateway?: { cluster?: ClusterInfo; schedules?: SchedulesStatus } }>('/api/gateway/status').then(
        (s) => {
          if (!alive) return;
          setProcess(s.process);
          setCluster(s.gateway?.cluster?.store === 'redis' ? s.gateway.cluster : undefined);
          setFailing(s.gateway?.schedules?.failing ?? []);
        },
        () => {},
      );
    void poll();
    const timer = setInterval(poll, 5000);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, []);
  const act = (action: 'start' | 'restart' | 'stop') => {
    setBusy(true);
    void api<{ process: GatewayProcess }>(`/api/gateway/${action}`, { method: 'POST' })
      .then((s) => setProcess(s.process))
      .finally(() => setBusy(false));
  };
  const state = process?.state ?? 'unknown';
  return (
    <>
    <header className={`banner state-${state}`} role="status" aria-live="polite">
      <span className="dot" aria-hidden="true" />
      <span className="label">{label(state)}</span>
      {state === 'running' && process?.startedAt && <span className="detail">{t('banner.uptime', { time: uptime(process.startedAt) })}</span>}
      {process?.lastError && state !== 'running' && <span className="detail" title={process.lastError}>{process.lastError.split('\n')[0]}</span>}
      {cluster && state === 'running' && (
        <span
          className="detail"
          title={t('banner.clusterDetail', {
            redis: cluster.redis?.connected ? cluster.redis.url : `${cluster.redis?.url ?? ''} ✗`,
            members: cluster.members.map((m) => `${m.id}${m.id === cluster.member ? ' ★' : ''}`).join(', '),
            leaders: Object.entries(cluster.leaders).map(([lease, member]) => `${lease} → ${member}`).join(', ') || '—',
          })}
        >
          {t('banner.cluster', { count: cluster.members.length })}
        </span>
      )}
      <span className="spacer" />
      {version && <span className="detail">v{version}</span>}
      <button type="button" className="secondary" onClick={() => setTheme(themes[(themes.indexOf(theme) + 1) % themes.length]!)} aria-label={t('banner.theme', { theme: t(`theme.${theme}`) })}>
        {theme === 'dark' ? '☾' : theme === 'light' ? '☀' : '◐'}
      </button>
      {state === 'running' ? (
        <>
          <button type="button" className="secondary" onClick={() => act('stop')} disabled={busy}>{t('banner.stop')}</button>
          <button type="button" className="secondary" onClick={() => act('restart')} disabled={busy}>{t('banner.restart')}</button>
        </>
      ) : (
        <button type="button" onClick={() => act('start')} disabled={busy}>{t('banner.start')}</button>
      )}
      <button type="button" className="secondary" onClick={onLogout}>{t('banner.logout')}</button>
    </header>
    {/* A line of its own under the banner: it can be long, and the banner's controls keep their room. */}
    {state === 'running' && failing.length > 0 && (() => {
      // The most recent failure names the job; the Schedules page has them all.
      const last = failing.reduce((a, b) => (Date.parse(b.at) > Date.parse(a.at) ? b : a));
      const text = failing.length === 1 ? t('banner.scheduleFailed', { name: last.name, error: last.error }) : t('banner.schedulesFailed', { n: failing.length, name: last.name, error: last.error });
      return (
        <p className="banner-hint" aria-live="polite"><a href="/schedules" title={text} onClick={(e) => {
          if (!onOpenSchedules) return;
          e.preventDefault();
          onOpenSchedules();
        }}>{text}</a></p>
      );
    })()}
    </>
  );
}
