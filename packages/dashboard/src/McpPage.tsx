/** MCP servers: their state with the reason and a hint when they fail; Home Assistant in one step. */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from './api.js';

interface ServerState { name: string; state: string; lastError?: string; hint?: string; tools: { tool: string }[]; target: string }
interface McpResponse { enabled: boolean; servers: Record<string, { url?: string; command?: string }>; status?: ServerState[] }

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
    setMessage('testing…');
    api<{ ok: boolean; tools?: { tool: string }[]; error?: string; hint?: string }>('/api/mcp/test', { method: 'POST', body: { url: form.url, token: form.token } }).then(
      (r) => setMessage(r.ok ? `connected: ${r.tools?.length ?? 0} tools (${r.tools?.map((t) => t.tool).slice(0, 5).join(', ')}…)` : `failed: ${r.error}${r.hint ? ` — ${r.hint}` : ''}`),
      (e: Error) => setMessage(`failed: ${e.message}`),
    );
  };
  const save = (event: FormEvent) => {
    event.preventDefault();
    api(`/api/mcp/${encodeURIComponent(form.name)}`, { method: 'PUT', body: { url: form.url, token: form.token } }).then(
      () => {
        setMessage('saved');
        load();
      },
      (e: Error) => setMessage(`not saved: ${e.message}`),
    );
  };

  return (
    <section className="page" aria-labelledby="mcp-title">
      <h2 id="mcp-title">MCP servers</h2>
      {!data?.enabled && <p className="muted">MCP is off; adding a server turns it on.</p>}
      {(data?.status ?? []).map((s) => (
        <div className="item" key={s.name} data-server={s.name}>
          <div className="row">
            <strong>{s.name}</strong>
            <span className={`badge ${s.state === 'connected' ? 'ok' : 'bad'}`}>{s.state}</span>
            <span className="muted">{s.target}</span>
            {s.tools.length > 0 && <span className="muted">{s.tools.length} tools</span>}
          </div>
          {s.lastError && <div className="error">{s.lastError}</div>}
          {s.hint && <div className="muted">{s.hint}</div>}
        </div>
      ))}
      <form className="item" onSubmit={save} aria-label="Add Home Assistant">
        <strong>Add Home Assistant (or another MCP server over HTTP)</strong>
        <div className="grid2">
          <label>Name<input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} required /></label>
          <label>URL<input value={form.url} onChange={(e) => setForm({ ...form, url: e.target.value })} required /></label>
          <label>Long-lived access token<input type="password" autoComplete="off" value={form.token} onChange={(e) => setForm({ ...form, token: e.target.value })} /></label>
        </div>
        <div className="row">
          <button type="button" className="secondary" onClick={test}>Test</button>
          <button type="submit">Save</button>
          {message && <span role="status">{message}</span>}
        </div>
      </form>
    </section>
  );
}
