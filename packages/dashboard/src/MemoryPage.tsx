/**
 * The assistant's memory: MEMORY.md and the daily notes, searched, read and edited. A save writes
 * the whole file through the gateway, which keeps the previous version in memory/.history/.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from './api.js';
import { t } from './i18n.js';
import { CalendarDays, History, Save, Search, Undo2 } from 'lucide-react';

interface MemoryFile { name: string; day?: string; bytes: number; modified: string }
interface MemoryList { files: MemoryFile[]; today: string; limits: { max_file_bytes: number; versions_kept: number } }
interface MemoryHit { name: string; day?: string; section: string; snippet: string; score: number }
interface FileBody { name: string; exists: boolean; content: string; versions: string[] }

const LONG_TERM = 'MEMORY.md';
/** A daily note's day (YYYY-MM-DD) from its name YYYYMM/YYYYMMDD.md. */
const dayOf = (name: string) => /^\d{6}\/(\d{4})(\d{2})(\d{2})\.md$/.exec(name)?.slice(1).join('-');
const label = (f: { name: string; day?: string }) => f.day ?? dayOf(f.name) ?? f.name;
const q = (name: string) => `name=${encodeURIComponent(name)}`;
/** When a kept version was made, from its name `<file>.<YYYYMMDD>T<HHMMSSmmm>Z[-n]`, in local time. */
function versionTime(version: string): string {
  const m = /\.(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\d{3}Z(-\d+)?$/.exec(version);
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)).toLocaleString() : version;
}

export function MemoryPage() {
  const [list, setList] = useState<MemoryList>();
  const [current, setCurrent] = useState(LONG_TERM);
  const [file, setFile] = useState<FileBody>();
  const [draft, setDraft] = useState('');
  const [message, setMessage] = useState<string>();
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<MemoryHit[]>();

  const loadList = useCallback(() => {
    api<MemoryList>('/api/memory').then(setList, (e: Error) => setMessage(e.message));
  }, []);
  const open = useCallback((name: string, keepMessage = false) => {
    setCurrent(name);
    if (!keepMessage) setMessage(undefined);
    api<FileBody>(`/api/memory/file?${q(name)}`).then(
      (body) => {
        setFile(body);
        setDraft(body.content);
      },
      (e: Error) => setMessage(e.message),
    );
  }, []);
  /** Puts a kept version in the editor; saving brings it back (and keeps the current one). */
  const loadVersion = (version: string) => {
    api<{ content: string }>(`/api/memory/file?${q(current)}&version=${encodeURIComponent(version)}`).then(
      (r) => {
        setDraft(r.content);
        setMessage(t('memory.versionLoaded', { time: versionTime(version) }));
      },
      (e: Error) => setMessage(e.message),
    );
  };
  useEffect(() => {
    loadList();
    open(LONG_TERM);
  }, [loadList, open]);

  const dirty = file !== undefined && draft !== file.content;
  const bytes = new TextEncoder().encode(draft).length;
  const max = list?.limits.max_file_bytes ?? 128 * 1024;

  const save = (event: FormEvent) => {
    event.preventDefault();
    api<{ previous?: string }>(`/api/memory/file?${q(current)}`, { method: 'PUT', body: { content: draft } }).then(
      (r) => {
        setMessage(r.previous ? t('memory.savedKept') : t('common.saved'));
        open(current, true);
        loadList();
      },
      (e: Error) => setMessage(t('common.notSaved', { error: e.message })),
    );
  };
  const search = (event: FormEvent) => {
    event.preventDefault();
    if (!query.trim()) return setHits(undefined);
    api<{ hits: MemoryHit[] }>(`/api/memory/search?q=${encodeURIComponent(query)}`).then((r) => setHits(r.hits), (e: Error) => setMessage(e.message));
  };
  const today = list ? list.today.replaceAll('-', '') : '';
  const todayName = today ? `${today.slice(0, 6)}/${today}.md` : undefined;
  const files: { name: string; day?: string; bytes?: number }[] = list?.files ?? [];
  const shown = files.some((f) => f.name === LONG_TERM) ? files : [{ name: LONG_TERM }, ...files];

  return (
    <section className="page" aria-labelledby="memory-title">
      <p className="muted">{t('memory.intro')}</p>
      <form className="row" role="search" onSubmit={search}>
        <input type="search" aria-label={t('memory.search')} placeholder={t('memory.searchPlaceholder')} value={query} onChange={(e) => setQuery(e.target.value)} style={{ flex: 1 }} />
        <button type="submit"><Search size={16} />{t('memory.search')}</button>
      </form>
      {hits && (
        <div className="item" aria-label={t('memory.results')}>
          {hits.length === 0 ? <span className="muted">{t('memory.noHits', { query })}</span> : (
            <ul className="memory-hits">
              {hits.map((h) => (
                <li key={`${h.name}#${h.section}`}>
                  <button type="button" className="secondary" onClick={() => open(h.name)}>{label(h)}{h.section ? ` › ${h.section}` : ''}</button>
                  <div className="muted">{h.snippet}</div>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <nav className="row" aria-label={t('memory.files')}>
        {shown.map((f) => (
          <button key={f.name} type="button" className={f.name === current ? '' : 'secondary'} aria-current={f.name === current ? 'true' : undefined} onClick={() => open(f.name)}>
            {label(f)}
          </button>
        ))}
        {todayName && !files.some((f) => f.name === todayName) && (
          <button type="button" className="secondary" onClick={() => open(todayName)}><CalendarDays size={16} />{t('memory.today')}</button>
        )}
      </nav>
      {file && (
        <form className="item" onSubmit={save} aria-label={t('memory.editLabel', { name: label({ name: current }) })}>
          <label>
            <span className="row"><strong>{label({ name: current })}</strong>{!file.exists && <span className="muted">{t('memory.new')}</span>}</span>
            <textarea value={draft} onChange={(e) => setDraft(e.target.value)} rows={18} spellCheck={false} style={{ fontFamily: 'ui-monospace, monospace', width: '100%' }} />
          </label>
          <div className="row">
            <button type="submit" disabled={!dirty || bytes > max}><Save size={16} />{t('common.save')}</button>
            <button type="button" className="secondary" disabled={!dirty} onClick={() => setDraft(file.content)}><Undo2 size={16} />{t('memory.discard')}</button>
            <span className={bytes > max ? 'error' : 'muted'}>{t('memory.size', { size: (bytes / 1024).toFixed(1), max: Math.round(max / 1024) })}</span>
            {message && <span role="status">{message}</span>}
          </div>
          {file.versions.length > 0 && (
            <details>
              <summary className="muted">{t('memory.versions', { n: file.versions.length })}</summary>
              <ul className="memory-hits">
                {file.versions.map((v) => (
                  <li key={v} className="row">
                    <span>{versionTime(v)}</span>
                    <button type="button" className="secondary" onClick={() => loadVersion(v)} aria-label={t('memory.loadVersionOf', { time: versionTime(v) })}><History size={16} />{t('memory.loadVersion')}</button>
                  </li>
                ))}
              </ul>
            </details>
          )}
        </form>
      )}
      {!file && message && <p role="alert" className="error">{message}</p>}
    </section>
  );
}
