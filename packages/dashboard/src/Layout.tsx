/**
 * The dashboard's one layout: a sidebar with the pages on a wide screen, the same sidebar as a
 * drawer on a phone (the menu button in the top bar opens it; Escape, a click outside or a choice
 * closes it; focus moves into it and back to the menu button), the top bar with the page title,
 * and the page. The sidebar is one <nav> in either form, so "the navigation" is one landmark.
 */
import { useEffect, useRef, useState, useSyncExternalStore, type KeyboardEvent, type ReactNode } from 'react';
import { Brain, CalendarClock, Compass, Cpu, Menu, MessageSquare, Moon, Plug, Puzzle, Radio, ScrollText, Settings, Sun, SunMoon, X, type LucideIcon } from 'lucide-react';
import { GatewayControls, StatusBanner, type GatewayStatus } from './StatusBanner.js';
import { t, type MessageKey } from './i18n.js';

export const pages = {
  '/': { nav: 'nav.chat', title: 'nav.chat', id: 'chat-title', icon: MessageSquare },
  '/models': { nav: 'nav.models', title: 'models.title', id: 'models-title', icon: Cpu },
  '/channels': { nav: 'nav.channels', title: 'channels.title', id: 'channels-title', icon: Radio },
  '/schedules': { nav: 'nav.schedules', title: 'schedules.title', id: 'schedules-title', icon: CalendarClock },
  '/memory': { nav: 'nav.memory', title: 'memory.title', id: 'memory-title', icon: Brain },
  '/skills': { nav: 'nav.skills', title: 'skills.title', id: 'skills-title', icon: Puzzle },
  '/mcp': { nav: 'nav.mcp', title: 'mcp.title', id: 'mcp-title', icon: Plug },
  '/logs': { nav: 'nav.logs', title: 'logs.title', id: 'logs-title', icon: ScrollText },
  '/setup': { nav: 'nav.setup', title: 'wizard.title', id: 'wizard-title', icon: Compass },
  '/settings': { nav: 'nav.settings', title: 'settings.title', id: 'settings-title', icon: Settings },
} as const satisfies Record<string, { nav: MessageKey; title: MessageKey; id: string; icon: LucideIcon }>;
export type PagePath = keyof typeof pages;

/** Below this width the sidebar is a drawer (the same number as the CSS breakpoint). */
const phone = '(max-width: 899.98px)';
function useMedia(query: string): boolean {
  return useSyncExternalStore(
    (notify) => {
      const list = matchMedia(query);
      list.addEventListener('change', notify);
      return () => list.removeEventListener('change', notify);
    },
    () => matchMedia(query).matches,
  );
}

const themes = ['system', 'light', 'dark'] as const;
type Theme = (typeof themes)[number];
const themeIcon = { system: SunMoon, light: Sun, dark: Moon } as const;
/** Called before the first render too (main.tsx), so a dark choice does not flash light. */
export function applyTheme(theme: string | null = localStorage.getItem('picoclaw.theme')) {
  if (theme === 'light' || theme === 'dark') document.documentElement.setAttribute('data-theme', theme);
  else document.documentElement.removeAttribute('data-theme');
}

export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(() => {
    const stored = localStorage.getItem('picoclaw.theme');
    return (themes as readonly string[]).includes(stored ?? '') ? (stored as Theme) : 'system';
  });
  useEffect(() => {
    applyTheme(theme);
    localStorage.setItem('picoclaw.theme', theme);
  }, [theme]);
  const Icon = themeIcon[theme];
  return (
    <button type="button" className="secondary theme-toggle" onClick={() => setTheme(themes[(themes.indexOf(theme) + 1) % themes.length]!)} aria-label={t('banner.theme', { theme: t(`theme.${theme}`) })}>
      <Icon size={16} />
      <span>{t('theme.current', { theme: t(`theme.${theme}`) })}</span>
    </button>
  );
}

export function Layout(props: { page: PagePath; go: (path: PagePath) => void; gateway: GatewayStatus; onLogout: () => void; children: ReactNode }) {
  const { page, go, gateway } = props;
  const isPhone = useMedia(phone);
  const [open, setOpen] = useState(false);
  const menuButton = useRef<HTMLButtonElement>(null);
  const navList = useRef<HTMLUListElement>(null);
  const drawer = isPhone && open;

  const close = () => setOpen(false);
  // Focus into the drawer when it opens (on the current page's entry), and back to the menu
  // button when it closes (after the render that lifts `inert` from the page); Escape closes it.
  const wasOpen = useRef(false);
  useEffect(() => {
    if (!drawer && wasOpen.current) menuButton.current?.focus();
    wasOpen.current = drawer;
    if (!drawer) return;
    navList.current?.querySelector<HTMLButtonElement>('[aria-current="page"]')?.focus();
    const onKey = (event: globalThis.KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      event.preventDefault();
      close();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [drawer]);
  // A phone turned to landscape past the breakpoint: no drawer left open behind the sidebar.
  useEffect(() => {
    if (!isPhone) setOpen(false);
  }, [isPhone]);
  const title = t(pages[page].title);
  useEffect(() => {
    document.title = `${title} · PicoClaw`;
  }, [title]);

  // Arrow keys, Home and End move through the pages; Tab leaves the list as usual.
  const onNavKey = (event: KeyboardEvent<HTMLUListElement>) => {
    const items = [...(navList.current?.querySelectorAll<HTMLButtonElement>('button') ?? [])];
    const at = items.indexOf(document.activeElement as HTMLButtonElement);
    const next = event.key === 'ArrowDown' ? (at + 1) % items.length : event.key === 'ArrowUp' ? (at - 1 + items.length) % items.length : event.key === 'Home' ? 0 : event.key === 'End' ? items.length - 1 : -1;
    if (next < 0 || at < 0) return;
    event.preventDefault();
    items[next]!.focus();
  };

  return (
    <div className={`shell ${drawer ? 'drawer-open' : ''}`}>
      <a className="skip-link" href={`#main`}>{t('nav.skip')}</a>
      {/* A landmark of its own (brand, pages, gateway buttons); a modal dialog while it is the open drawer. */}
      <aside id="sidebar" className={`sidebar ${open ? 'open' : ''}`} inert={isPhone && !open} role={drawer ? 'dialog' : undefined} aria-modal={drawer || undefined} aria-label={drawer ? t('nav.pages') : 'PicoClaw'}>
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">P</span>
          <span className="brand-name">PicoClaw</span>
          {gateway.version && <span className="brand-version">v{gateway.version}</span>}
          {isPhone && (
            <button type="button" className="icon close-drawer" aria-label={t('nav.close')} onClick={close}><X size={20} /></button>
          )}
        </div>
        <nav aria-label={t('nav.pages')}>
          <ul ref={navList} onKeyDown={onNavKey}>
            {(Object.keys(pages) as PagePath[]).map((path) => {
              const Icon = pages[path].icon;
              return (
                <li key={path}>
                  <button
                    type="button"
                    aria-current={page === path ? 'page' : undefined}
                    onClick={() => {
                      go(path);
                      if (isPhone) close();
                    }}
                  >
                    <Icon size={18} />
                    <span>{t(pages[path].nav)}</span>
                  </button>
                </li>
              );
            })}
          </ul>
        </nav>
        <div className="sidebar-footer">
          <GatewayControls gateway={gateway} />
          <ThemeToggle />
        </div>
      </aside>
      {drawer && <div className="backdrop" aria-hidden="true" onClick={close} />}
      <div className="main-col" inert={drawer}>
        <StatusBanner gateway={gateway} onLogout={props.onLogout} onOpenSchedules={() => go('/schedules')}>
          {isPhone && (
            <button ref={menuButton} type="button" className="icon menu-button" aria-label={t('nav.menu')} aria-expanded={open} aria-controls="sidebar" onClick={() => setOpen(true)}>
              <Menu size={22} />
            </button>
          )}
          <h1 id={pages[page].id} className="page-title">{title}</h1>
        </StatusBanner>
        <main id="main" tabIndex={-1}>{props.children}</main>
      </div>
    </div>
  );
}
