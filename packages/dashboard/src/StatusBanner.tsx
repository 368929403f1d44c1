import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { CircleCheck, CircleHelp, CircleStop, LoaderCircle, LogOut, Play, RotateCw, Square, TriangleAlert } from 'lucide-react';
import { api, type ClusterInfo, type GatewayProcess, type SchedulesStatus } from './api.js';
import { t } from './i18n.js';

const states = ['running', 'starting', 'restarting', 'stopped', 'stopping', 'config-error', 'crash-loop'] as const;
const label = (state: string) => ((states as readonly string[]).includes(state) ? t(`banner.${state as (typeof states)[number]}`) : t('banner.unknown'));

function uptime(since: string | undefined): string {
  if (!since) return '';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(since)) / 1000));
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min` : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export interface GatewayStatus {
  process?: GatewayProcess;
  cluster?: ClusterInfo;
  failing: SchedulesStatus['failing'];
  /** What the running gateway says of its models (`problem`: why none can answer); null when it says nothing (not running); undefined before the first poll. */
  models?: { problem?: string } | null;
  version: string;
  busy: boolean;
  act: (action: 'start' | 'restart' | 'stop') => void;
}

/**
 * The gateway's state, polled every 5 s: one poll for the whole layout (the top bar shows the
 * state, the sidebar the start/stop buttons). `enabled: false` makes it idle, so a StatusBanner
 * given a status by its parent does not poll a second time.
 */
export function useGatewayStatus(enabled = true): GatewayStatus {
  const [process, setProcess] = useState<GatewayProcess>();
  const [cluster, setCluster] = useState<ClusterInfo>();
  const [failing, setFailing] = useState<SchedulesStatus['failing']>([]);
  const [models, setModels] = useState<{ problem?: string } | null>();
  const [busy, setBusy] = useState(false);
  const [version, setVersion] = useState('');
  useEffect(() => {
    if (!enabled) return;
    void api<{ version: string }>('/api/system/version').then((v) => setVersion(v.version), () => {});
  }, [enabled]);
  useEffect(() => {
    if (!enabled) return;
    let alive = true;
    const poll = () =>
      api<{ process: GatewayProcess; gateway?: { cluster?: ClusterInfo; schedules?: SchedulesStatus; models?: { problem?: string } } }>('/api/gateway/status').then(
        (s) => {
          if (!alive) return;
          setProcess(s.process);
          setCluster(s.gateway?.cluster?.store === 'redis' ? s.gateway.cluster : undefined);
          setFailing(s.gateway?.schedules?.failing ?? []);
          const problem = s.gateway?.models?.problem;
          // Kept as the same object while unchanged: the setup check below runs on a change only.
          setModels((was) => (!s.gateway?.models ? null : was && was.problem === problem ? was : problem ? { problem } : {}));
        },
        () => {},
      );
    void poll();
    const timer = setInterval(poll, 5000);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [enabled]);
  const act = useCallback((action: 'start' | 'restart' | 'stop') => {
    setBusy(true);
    void api<{ process: GatewayProcess }>(`/api/gateway/${action}`, { method: 'POST' })
      .then((s) => setProcess(s.process))
      .finally(() => setBusy(false));
  }, []);
  return { process, cluster, failing, models, version, busy, act };
}

const stateIcon = (state: string) =>
  state === 'running' ? CircleCheck : state === 'stopped' ? CircleStop : state === 'config-error' || state === 'crash-loop' ? TriangleAlert : state === 'unknown' ? CircleHelp : LoaderCircle;

/** Start, or stop and restart: in the sidebar, where a wide row of buttons has room. */
export function GatewayControls({ gateway }: { gateway: GatewayStatus }) {
  const running = gateway.process?.state === 'running';
  return (
    <div className="row gateway-controls">
      {running ? (
        <>
          <button type="button" className="secondary" onClick={() => gateway.act('stop')} disabled={gateway.busy}><Square size={16} />{t('banner.stop')}</button>
          <button type="button" className="secondary" onClick={() => gateway.act('restart')} disabled={gateway.busy}><RotateCw size={16} />{t('banner.restart')}</button>
        </>
      ) : (
        <button type="button" onClick={() => gateway.act('start')} disabled={gateway.busy}><Play size={16} />{t('banner.start')}</button>
      )}
    </div>
  );
}

/**
 * The slim top bar: what the parent puts first (the menu button and the page title), the
 * gateway's state, its uptime or cluster on wide screens, Log out; under it a line for a failing
 * schedule or the gateway's last error, which can be long.
 */
export function StatusBanner({ onLogout, onOpenSchedules, gateway: given, children }: { onLogout: () => void; onOpenSchedules?: () => void; gateway?: GatewayStatus; children?: ReactNode }) {
  const own = useGatewayStatus(!given);
  const { process, cluster, failing } = given ?? own;
  const state = process?.state ?? 'unknown';
  const Icon = stateIcon(state);
  return (
    <>
    <header className={`topbar state-${state}`}>
      {children}
      <span className="spacer" />
      <span className="gw-state" role="status" aria-live="polite" title={label(state)}>
        <Icon size={18} className="gw-icon" />
        <span className="gw-label">{label(state)}</span>
      </span>
      {state === 'running' && process?.startedAt && <span className="detail wide-only">{t('banner.uptime', { time: uptime(process.startedAt) })}</span>}
      {cluster && state === 'running' && (
        <span
          className="detail wide-only"
          title={t('banner.clusterDetail', {
            redis: cluster.redis?.connected ? cluster.redis.url : `${cluster.redis?.url ?? ''} ✗`,
            members: cluster.members.map((m) => `${m.id}${m.id === cluster.member ? ' ★' : ''}`).join(', '),
            leaders: Object.entries(cluster.leaders).map(([lease, member]) => `${lease} → ${member}`).join(', ') || '—',
          })}
        >
          {t('banner.cluster', { count: cluster.members.length })}
        </span>
      )}
      <button type="button" className="secondary logout" onClick={onLogout}><LogOut size={18} /><span className="label">{t('banner.logout')}</span></button>
    </header>
    {/* Lines of their own under the bar: they can be long, and the bar's controls keep their room. */}
    {process?.lastError && state !== 'running' && <p className="banner-hint error" title={process.lastError}>{process.lastError.split('\n')[0]}</p>}
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
