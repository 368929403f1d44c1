import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { api, type AuthStatus } from './api.js';
import { Chat } from './Chat.js';
import { LoginPage, SetupPage } from './AuthPages.js';
import { LogsPage } from './LogsPage.js';
import { McpPage } from './McpPage.js';
import { ModelsPage } from './ModelsPage.js';
import { ChannelsPage } from './ChannelsPage.js';
import { SettingsPage } from './SettingsPage.js';
import { useGatewayStatus } from './StatusBanner.js';
import { Layout, pages, type PagePath } from './Layout.js';
import { t } from './i18n.js';
import { needsSetup } from './setup-state.js';

// Its own chunk (with cronstrue): loaded when the page is first opened.
const SchedulesPage = lazy(() => import('./SchedulesPage.js').then((m) => ({ default: m.SchedulesPage })));
const MemoryPage = lazy(() => import('./MemoryPage.js').then((m) => ({ default: m.MemoryPage })));
const SkillsPage = lazy(() => import('./SkillsPage.js').then((m) => ({ default: m.SkillsPage })));
const SetupWizard = lazy(() => import('./SetupWizard.js').then((m) => ({ default: m.SetupWizard })));

export function App() {
  const [status, setStatus] = useState<AuthStatus | undefined>();
  const [error, setError] = useState<string>();
  // Polled only once logged in (the hook idles until then).
  const gateway = useGatewayStatus(!!status?.authenticated);
  const [page, setPage] = useState<PagePath>(() => (location.pathname in pages ? (location.pathname as PagePath) : '/'));
  const go = (path: PagePath) => {
    history.pushState(null, '', path);
    setPage(path);
  };
  useEffect(() => {
    const onPop = () => setPage(location.pathname in pages ? (location.pathname as PagePath) : '/');
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  const refresh = useCallback(() => {
    api<AuthStatus>('/api/auth/status').then(setStatus, (e: Error) => setError(e.message));
  }, []);
  useEffect(() => {
    refresh();
  }, [refresh]);

  // Keep the address meaningful: the launcher sends unauthenticated visitors to these paths.
  useEffect(() => {
    if (!status) return;
    const path = status.setup_required ? '/launcher-setup' : status.authenticated ? (location.pathname.startsWith('/launcher-') ? '/' : location.pathname) : '/launcher-login';
    if (path !== location.pathname) history.replaceState(null, '', path);
  }, [status]);

  // Logged in on the chat while no model can answer yet: the guided setup, unless closed before.
  const authenticated = !!status?.authenticated;
  useEffect(() => {
    if (!authenticated) return;
    let alive = true;
    void needsSetup().then(
      (yes) => {
        if (!alive || !yes || location.pathname !== '/') return;
        history.replaceState(null, '', '/setup');
        setPage('/setup');
      },
      () => {},
    );
    return () => {
      alive = false;
    };
  }, [authenticated]);

  if (error) return <main className="center"><p role="alert">{t('app.unreachable', { error })}</p></main>;
  if (!status) return <main className="center" aria-busy="true">{t('app.loading')}</main>;
  if (status.setup_required) return <SetupPage onDone={refresh} codeRequired={!!status.setup_code_required} />;
  if (!status.authenticated) return <LoginPage onDone={refresh} tokenConfigured={status.token_configured} />;
  return (
    <Layout page={page} go={go} gateway={gateway} onLogout={() => {
      void api('/api/auth/logout', { method: 'POST' }).then(refresh);
    }}>
      {/* The chat stays mounted on other pages: its conversation and connection live on. */}
      <div className="page-host" style={{ display: page === '/' ? 'flex' : 'none' }}>
        <Chat />
      </div>
      {page === '/models' && <ModelsPage />}
      {page === '/mcp' && <McpPage />}
      {page === '/logs' && <LogsPage />}
      {page === '/channels' && <ChannelsPage />}
      {page === '/schedules' && <Suspense fallback={<p className="page muted">{t('common.loading')}</p>}><SchedulesPage onOpenSettings={() => go('/settings')} /></Suspense>}
      {page === '/skills' && <Suspense fallback={<p className="page muted">{t('common.loading')}</p>}><SkillsPage /></Suspense>}
      {page === '/memory' && <Suspense fallback={<p className="page muted">{t('common.loading')}</p>}><MemoryPage /></Suspense>}
      {page === '/settings' && <SettingsPage />}
      {page === '/setup' && <Suspense fallback={<p className="page muted">{t('common.loading')}</p>}><SetupWizard gateway={gateway} go={go} /></Suspense>}
    </Layout>
  );
}
