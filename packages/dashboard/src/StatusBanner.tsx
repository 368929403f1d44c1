import { useEffect, useState } from 'react';
import { api, type GatewayProcess } from './api.js';
import { t } from './i18n.js';

const states = ['running', 'starting', 'restarting', 'stopped', 'stopping', 'config-error', 'crash-loop'] as const;
const label = (state: string) => ((states as readonly string[]).includes(state) ? t(`banner.${state as (typeof states)[number]}`) : t('banner.unknown'));

export function StatusBanner({ onLogout }: { onLogout: () => void }) {
  const [process, setProcess] = useState<GatewayProcess>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let alive = true;
    const poll = () => api<{ process: GatewayProcess }>('/api/gateway/status').then((s) => alive && setProcess(s.process), () => {});
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
    <header className={`banner state-${state}`} role="status" aria-live="polite">
      <span className="dot" aria-hidden="true" />
      <span className="label">{label(state)}</span>
      {process?.lastError && state !== 'running' && <span className="detail" title={process.lastError}>{process.lastError.split('\n')[0]}</span>}
      <span className="spacer" />
      {state === 'running' ? (
        <button type="button" className="secondary" onClick={() => act('restart')} disabled={busy}>{t('banner.restart')}</button>
      ) : (
        <button type="button" onClick={() => act('start')} disabled={busy}>{t('banner.start')}</button>
      )}
      <button type="button" className="secondary" onClick={onLogout}>{t('banner.logout')}</button>
    </header>
  );
}
