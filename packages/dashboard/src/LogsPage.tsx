/**
 * Live logs of the launcher and the gateway: level and process filters, search, pause, download.
 * While paused, new lines are kept aside and counted (the view stays still to read), and shown on resume.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { t } from './i18n.js';
import { Download, Pause, Play } from 'lucide-react';

interface Entry { seq: number; time: string; source: string; level: string; message: string }
const levels = ['debug', 'info', 'warn', 'error'];
const sources = ['launcher', 'gateway'] as const;
const KEEP = 500;

/** `entry` added to `current` once (the tail and the stream overlap), the last KEEP kept. */
function merge(current: Entry[], added: Entry[]): Entry[] {
  const seen = new Set(current.map((e) => e.seq));
  const fresh = added.filter((e) => !seen.has(e.seq));
  return fresh.length ? [...current, ...fresh].slice(-KEEP) : current;
}

export function LogsPage() {
  const [entries, setEntries] = useState<Entry[]>([]);
  const [level, setLevel] = useState('info');
  const [paused, setPaused] = useState(false);
  const [search, setSearch] = useState('');
  const [source, setSource] = useState('');
  const [waiting, setWaiting] = useState(0);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const buffer = useRef<Entry[]>([]);

  useEffect(() => {
    let stop = false;
    void fetch(`/api/logs?level=${level}`).then(async (r) => {
      const data = (await r.json()) as { entries: Entry[] };
      if (!stop) setEntries(data.entries.slice(-KEEP));
    });
    const source = new EventSource(`/api/logs/stream?level=${level}`);
    source.onmessage = (event: MessageEvent<string>) => {
      const entry = JSON.parse(event.data) as Entry;
      if (pausedRef.current) {
        buffer.current = [...buffer.current.slice(1 - KEEP), entry];
        setWaiting((n) => n + 1);
        return;
      }
      setEntries((current) => merge(current, [entry]));
    };
    return () => {
      stop = true;
      source.close();
    };
  }, [level]);

  const togglePause = () => {
    if (paused) {
      const added = buffer.current;
      buffer.current = [];
      setEntries((current) => merge(current, added));
      setWaiting(0);
    }
    setPaused(!paused);
  };
  const shown = useMemo(() => {
    const needle = search.toLowerCase();
    return entries.filter((e) => (!source || e.source === source) && (!needle || e.message.toLowerCase().includes(needle)));
  }, [entries, search, source]);
  const download = () => {
    const blob = new Blob([shown.map((e) => `${e.time} ${e.level.toUpperCase()} ${e.source} ${e.message}`).join('\n')], { type: 'text/plain' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'picoclaw-logs.txt';
    a.click();
    URL.revokeObjectURL(a.href);
  };
  return (
    <section className="page" aria-labelledby="logs-title">
      <div className="row">
        <label>{t('logs.level')} <select value={level} onChange={(e) => setLevel(e.target.value)}>{levels.map((l) => <option key={l}>{l}</option>)}</select></label>
        <label>{t('logs.process')} <select value={source} onChange={(e) => setSource(e.target.value)}><option value="">{t('logs.allProcesses')}</option>{sources.map((s) => <option key={s} value={s}>{s}</option>)}</select></label>
        <label>{t('logs.search')} <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} /></label>
        <button type="button" className="secondary" onClick={togglePause}>{paused ? <Play size={16} /> : <Pause size={16} />}{paused ? t('logs.resume') : t('logs.pause')}</button>
        {paused && <span role="status">{t('logs.waiting', { count: waiting })}</span>}
        <button type="button" className="secondary" onClick={download}><Download size={16} />{t('logs.download')}</button>
      </div>
      {/* Focusable: a keyboard user scrolls the lines with the arrow keys. */}
      <div className="logs" role="log" aria-live="off" aria-labelledby="logs-title" tabIndex={0}>
        {shown.length === 0 && entries.length > 0 && <div className="muted">{t('logs.none')}</div>}
        {shown.map((e) => (
          <div key={e.seq} className={e.level}>{e.time.slice(11, 19)} {e.level.padEnd(5)} {e.source.padEnd(8)} {e.message}</div>
        ))}
      </div>
    </section>
  );
}
