/** MCP servers: state with the reason and a hint when failing, tools, a test call; Home Assistant in one step. */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from './api.js';
import { t } from './i18n.js';
import { Play, PlugZap, Save } from 'lucide-react';

interface ServerState { name: string; state: string; lastError?: string; hint?: string; tools: { tool: string; description: string }[]; target: string; withheld?: number; schemaBytes?: number; deferred?: boolean }
interface McpResponse { enabled: boolean; status?: ServerState[] }

function TryTool({ server }: { server: ServerState }) {
  const [tool, setTool] = useState(server.tools[0]?.tool ?? '');
  const [args, setArgs] = useState('{}');
  const [result, setResult] = useState<string>();
  const run = (event: FormEvent) => {
    event.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(args);
    } catch {
      setResult(t('mcp.badJson'));
      return;
    }
    setResult(t('common.testing'));
    api<{ ok: boolean; result?: string; error?: string; latency_ms?: number }>(`/api/mcp/${encodeURIComponent(server.name)}/call`, { method: 'POST', body: { tool, arguments: parsed } }).then(
      (r) => setResult(r.result ?? r.error ?? ''),
      (e: Error) => setResult(t('common.failed', { error: e.message })),
    );
  };
  return (
    <details>
      <summary>{t('mcp.tools', { n: server.tools.length })} · {t('mcp.try')}</summary>
      <ul className="muted">{server.tools.map((x) => <li key={x.tool}><code>{x.tool}</code> — {x.description.replace(/^\[MCP:[^\]]+\]\s*/, '')}</li>)}</ul>
      <form onSubmit={run} className="grid2">
        <label>{t('mcp.try')}<select value={tool} onChange={(e) => setTool(e.target.value)}>{server.tools.map((x) => <option key={x.tool}>{x.tool}</option>)}</select></label>
        <label>{t('mcp.arguments')}<input value={args} onChange={(e) => setArgs(e.target.value)} /></label>
        <div className="row"><button type="submit"><Play size={16} />{t('mcp.run')}</button>{result && <span role="status">{result}</span>}</div>
      </form>
    </details>
  );
}

export function McpPage() {
  const [data, setData] = useState<McpResponse>();
  const [message, setMessage] = useState<string>();
  const [form, setForm] = useState({ name: 'homeassistant', url: 'http://127.0.0.1:8123/api/mcp', token: '' });
  const load = useCallback(() => {
    api<McpResponse>('/api/mcp').then(setData, (e: Error) => setMessage(e.message));
  }, []);
  useEffect(() => {
    load();
    const timer = setInterval(load, 3000);
    return () => clearInterval(timer);
  }, [load]);

  const test = () => {
    setMessage(t('common.testing'));
    api<{ ok: boolean; tools?: { tool: string }[]; error?: string; hint?: string }>('/api/mcp/test', { method: 'POST', body: { url: form.url, token: form.token } }).then(
      (r) => setMessage(r.ok ? t('mcp.connected', { n: r.tools?.length ?? 0, names: (r.tools ?? []).map((x) => x.tool).slice(0, 5).join(', ') }) : t('mcp.failed', { error: r.error ?? '', hint: r.hint ? ` — ${r.hint}` : '' })),
      (e: Error) => setMessage(t('common.failed', { error: e.message })),
    );
  };
  const save = (event: FormEvent) => {
    event.preventDefault();
    api(`/api/mcp/${encodeURIComponent(form.name)}`, { method: 'PUT', body: { url: form.url, token: form.token } }).then(
      () => {
        setMessage(t('common.saved'));
        load();
      },
      (e: Error) => setMessage(t('common.notSaved', { error: e.message })),
    );
  };

  return (
    <section className="page" aria-labelledby="mcp-title">
      {data && !data.enabled && <p className="muted">{t('mcp.off')}</p>}
      {(data?.status ?? []).map((s) => (
        <div className="item" key={s.name} data-server={s.name}>
          <div className="row">
            <strong>{s.name}</strong>
            <span className={`badge ${s.state === 'connected' ? 'ok' : 'bad'}`}>{s.state}</span>
            <span className="muted">{s.target}</span>
          </div>
          {s.state === 'connected' && (
            <div className="muted" data-testid="mcp-size">
              {t(s.deferred ? 'mcp.deferred' : 'mcp.schema', { n: s.tools.length, kb: ((s.schemaBytes ?? 0) / 1024).toFixed(1) })}
              {s.withheld ? ` · ${t('mcp.withheld', { n: s.withheld })}` : ''}
            </div>
          )}
          {s.lastError && <div className="error">{s.lastError}</div>}
          {s.hint && <div className="muted">{s.hint}</div>}
          {s.state === 'connected' && s.tools.length > 0 && <TryTool server={s} />}
        </div>
      ))}
      <form className="item" onSubmit={save} aria-label={t('mcp.addLabel')}>
        <strong>{t('mcp.add')}</strong>
        <div className="grid2">
          <label>{t('common.name')}<input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} required /></label>
          <label>URL<input value={form.url} onChange={(e) => setForm({ ...form, url: e.target.value })} required /></label>
          <label>{t('mcp.token')}<input type="password" autoComplete="off" value={form.token} onChange={(e) => setForm({ ...form, token: e.target.value })} /></label>
        </div>
        <div className="row">
          <button type="button" className="secondary" onClick={test}><PlugZap size={16} />{t('common.test')}</button>
          <button type="submit"><Save size={16} />{t('common.save')}</button>
          {message && <span role="status">{message}</span>}
        </div>
      </form>
    </section>
  );
}
