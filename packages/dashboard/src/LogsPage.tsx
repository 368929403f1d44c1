/** Live logs of the launcher and the gateway: level filter, pause, search, download. */
import { useEffect, useMemo, useRef, useState } from 'react';
import { t } from './i18n.js';

interface Entry { seq: number; time: string; source: string; level: string; message: string }
const levels = ['debug', 'info', 'warn', 'error'];

export function LogsPage() {
  const [entries, setEntries] = useState<Entry[]>([]);
  const [level, setLevel] = useState('info');
  const [paused, setPaused] = useState(false);
  const [search, setSearch] = useState('');
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  useEffect(() => {
    let stop = false;
    void fetch(`/api/logs?level=${level}`).then(async (r) => {
      const data = (await r.json()) as { entries: Entry[] };
      if (!stop) setEntries(data.entries.slice(-500));
    });
    const source = new EventSource(`/api/logs/stream?level=${level}`);
    source.onmessage = (event: MessageEvent<string>) => {
      if (pausedRef.current) return;
      const entry = JSON.parse(event.data) as Entry;
      setEntries((current) => (current.some((e) => e.seq === entry.seq) ? current : [...current.slice(-499), entry]));
    };
    return () => {
      stop = true;
      source.close();
    };
  }, [level]);

  const shown = useMemo(() => entries.filter((e) => !search || e.message.toLowerCase().includes(search.toLowerCase())), [entries, search]);
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
        <label>{t('logs.search')} <input value={search} onChange={(e) => setSearch(e.target.value)} /></label>
        <button type="button" className="secondary" onClick={() => setPaused(!paused)}>{paused ? t('logs.resume') : t('logs.pause')}</button>
        <button type="button" className="secondary" onClick={download}>{t('logs.download')}</button>
      </div>
      {/* Focusable: a keyboard user scrolls the lines with the arrow keys. */}
      <div className="logs" role="log" aria-live="off" aria-labelledby="logs-title" tabIndex={0}>
        {shown.map((e) => (
          <div key={e.seq} className={e.level}>{e.time.slice(11, 19)} {e.level.padEnd(5)} {e.source.padEnd(8)} {e.message}</div>
        ))}
      </div>
    </section>
  );
}
