import { lazy, Suspense, useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { api, type AuthStatus } from './api.js';
import { Chat } from './Chat.js';
import { LoginPage, SetupPage } from './AuthPages.js';
import { useGatewayStatus } from './StatusBanner.js';
import { Layout, pages, type PagePath } from './Layout.js';
import { t } from './i18n.js';
import { needsSetup } from './setup-state.js';

// Every page but the chat is a chunk of its own, loaded when first opened: the first page (the
// chat) parses only what it needs.
const ModelsPage = lazy(() => import('./ModelsPage.js').then((m) => ({ default: m.ModelsPage })));
const McpPage = lazy(() => import('./McpPage.js').then((m) => ({ default: m.McpPage })));
const LogsPage = lazy(() => import('./LogsPage.js').then((m) => ({ default: m.LogsPage })));
const ChannelsPage = lazy(() => import('./ChannelsPage.js').then((m) => ({ default: m.ChannelsPage })));
const SettingsPage = lazy(() => import('./SettingsPage.js').then((m) => ({ default: m.SettingsPage })));
const SchedulesPage = lazy(() => import('./SchedulesPage.js').then((m) => ({ default: m.SchedulesPage })));
const MemoryPage = lazy(() => import('./MemoryPage.js').then((m) => ({ default: m.MemoryPage })));
const SkillsPage = lazy(() => import('./SkillsPage.js').then((m) => ({ default: m.SkillsPage })));
const SetupWizard = lazy(() => import('./SetupWizard.js').then((m) => ({ default: m.SetupWizard })));

/**
 * A page whose chunk may still be loading. One boundary per page, so leaving a page unmounts it
 * even while the next one loads (a shared boundary would keep the old page, and its state, alive).
 */
function Loaded({ children }: { children: ReactNode }) {
  return <Suspense fallback={<p className="page muted">{t('common.loading')}</p>}>{children}</Suspense>;
}

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
  // Decided once per login, from the gateway status the layout polls anyway (no request of its own).
  const authenticated = !!status?.authenticated;
  const decided = useRef(false);
  useEffect(() => {
    if (!authenticated) {
      decided.current = false;
      return;
    }
    if (gateway.models === undefined || decided.current) return;
    decided.current = true;
    void needsSetup(gateway.models).then(
      (yes) => {
        // Not after a logout meanwhile, nor when the user already went to another page.
        if (!yes || !decided.current || location.pathname !== '/') return;
        history.replaceState(null, '', '/setup');
        setPage('/setup');
      },
      () => {},
    );
  }, [authenticated, gateway.models]);

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
      {page === '/models' && <Loaded><ModelsPage /></Loaded>}
      {page === '/mcp' && <Loaded><McpPage /></Loaded>}
      {page === '/logs' && <Loaded><LogsPage /></Loaded>}
      {page === '/channels' && <Loaded><ChannelsPage /></Loaded>}
      {page === '/schedules' && <Loaded><SchedulesPage onOpenSettings={() => go('/settings')} /></Loaded>}
      {page === '/skills' && <Loaded><SkillsPage /></Loaded>}
      {page === '/memory' && <Loaded><MemoryPage /></Loaded>}
      {page === '/settings' && <Loaded><SettingsPage /></Loaded>}
      {page === '/setup' && <Loaded><SetupWizard gateway={gateway} go={go} /></Loaded>}
    </Layout>
  );
}
