/**
 * The conversation search above the chat's list of conversations: typing finds conversations by
 * their title and by what was said in them (GET /api/sessions/search, the gateway's plain
 * case-insensitive substring), each with a snippet around the match marked; Enter or a click
 * opens one; the arrow keys move from the box through the results and back, Escape returns to the box. Requests wait for a pause in typing and a newer one aborts the older; an empty
 * search shows the normal list (`children`).
 */
import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { Search, X } from 'lucide-react';
import { t } from './i18n.js';

export interface SearchHit {
  id: string;
  title?: string;
  in: 'title' | 'message';
  role?: 'user' | 'assistant';
  snippet: { before: string; match: string; after: string };
}

/** Milliseconds of quiet typing before a search is sent. */
export const SEARCH_DEBOUNCE_MS = 250;
/** The launcher's (and gateway's) limit. */
const MAX_QUERY = 200;

type State = { status: 'idle' } | { status: 'searching' } | { status: 'done'; results: SearchHit[]; truncated: boolean } | { status: 'failed'; error: string };

export function ConversationSearch({ current, onOpen, children }: { current: string; onOpen: (id: string) => void; children: ReactNode }) {
  const [query, setQuery] = useState('');
  const [state, setState] = useState<State>({ status: 'idle' });
  const input = useRef<HTMLInputElement>(null);
  const hits = useRef<HTMLUListElement>(null);
  const q = query.trim();

  useEffect(() => {
    if (!q) {
      setState({ status: 'idle' });
      return;
    }
    const controller = new AbortController();
    setState({ status: 'searching' });
    const timer = setTimeout(() => {
      fetch(`/api/sessions/search?q=${encodeURIComponent(q)}`, { credentials: 'same-origin', signal: controller.signal })
        .then(async (response) => {
          const body = (await response.json().catch(() => ({}))) as { results?: SearchHit[]; truncated?: boolean; error?: string };
          if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
          setState({ status: 'done', results: Array.isArray(body.results) ? body.results : [], truncated: body.truncated === true });
        })
        .catch((error: Error) => {
          if (!controller.signal.aborted) setState({ status: 'failed', error: error.message });
        });
    }, SEARCH_DEBOUNCE_MS);
    // A newer text (or leaving) cancels the wait and the request of this one.
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [q]);

  const onKey = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Escape' && query) {
      event.preventDefault();
      setQuery('');
    } else if (event.key === 'Enter' && state.status === 'done' && state.results[0]) {
      event.preventDefault();
      onOpen(state.results[0].id);
    } else if (event.key === 'ArrowDown' && hits.current?.querySelector('button')) {
      event.preventDefault();
      hits.current.querySelector('button')!.focus();
    }
  };
  /** Up and down through the results; up from the first, or Escape, goes back to the box. */
  const onHitKey = (event: KeyboardEvent<HTMLUListElement>) => {
    const buttons = [...(hits.current?.querySelectorAll('button') ?? [])];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    const next = event.key === 'ArrowDown' ? Math.min(at + 1, buttons.length - 1) : event.key === 'ArrowUp' ? at - 1 : event.key === 'Escape' ? -1 : undefined;
    if (next === undefined) return;
    event.preventDefault();
    if (next < 0) input.current?.focus();
    else buttons[next]!.focus();
  };

  const summary =
    state.status === 'searching' ? t('chat.searching')
    : state.status === 'failed' ? t('chat.searchFailed', { error: state.error })
    : state.status === 'done' ? (state.results.length === 0 ? t('chat.searchNone', { q }) : state.results.length === 1 ? t('chat.searchOne') : t('chat.searchMany', { n: state.results.length }))
    : '';
  return (
    <>
      <div className="session-search" role="search">
        <Search size={15} className="session-search-icon" aria-hidden="true" />
        <input ref={input} type="search" aria-label={t('chat.search')} placeholder={t('chat.search')} value={query} maxLength={MAX_QUERY} onChange={(e) => setQuery(e.target.value)} onKeyDown={onKey} />
        {query && (
          <button type="button" className="icon" aria-label={t('chat.searchClear')} onClick={() => {
            setQuery('');
            input.current?.focus();
          }}><X size={15} /></button>
        )}
      </div>
      {q ? (
        <>
          <p className="muted small session-search-status" aria-live="polite">{summary}{state.status === 'done' && state.truncated ? ` ${t('chat.searchTruncated')}` : ''}</p>
          {state.status === 'done' && (
            <ul ref={hits} className="session-hits" aria-label={t('chat.searchResults')} onKeyDown={onHitKey}>
              {state.results.map((hit) => (
                <li key={hit.id} className={hit.id === current ? 'current' : ''}>
                  <button type="button" className="session-hit" aria-current={hit.id === current ? 'true' : undefined} onClick={() => onOpen(hit.id)}>
                    {hit.in === 'title' ? (
                      <span className="session-hit-title">{hit.snippet.before}<mark>{hit.snippet.match}</mark>{hit.snippet.after}</span>
                    ) : (
                      <>
                        <span className="session-hit-title">{hit.title ?? t('chat.untitled')}</span>
                        <span className="session-hit-snippet small">{hit.snippet.before}<mark>{hit.snippet.match}</mark>{hit.snippet.after}</span>
                      </>
                    )}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </>
      ) : children}
    </>
  );
}
