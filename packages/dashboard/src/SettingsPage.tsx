/** Settings: tools on/off, change password, token status, about. */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, type AuthStatus } from './api.js';
import { language, languages, setLanguage, type Language, t } from './i18n.js';

interface ToolsResponse { tools: { name: string; enabled: boolean }[]; mcp: boolean }
const toolHelp: Record<string, string> = {
  read_file: 'read files in the workspace', write_file: 'write files in the workspace', edit_file: 'edit files in the workspace',
  append_file: 'append to files (e.g. memory)', list_dir: 'list workspace folders', web_fetch: 'fetch web pages (public addresses only)',
  exec: 'not offered by PicoClaw TS', web: 'web search',
};

export function SettingsPage() {
  const [tools, setTools] = useState<ToolsResponse>();
  const [auth, setAuth] = useState<AuthStatus>();
  const [version, setVersion] = useState('');
  const [form, setForm] = useState({ current: '', password: '' });
  const [message, setMessage] = useState<string>();
  const load = useCallback(() => {
    api<ToolsResponse>('/api/tools').then(setTools, () => {});
    api<AuthStatus>('/api/auth/status').then(setAuth, () => {});
    api<{ version: string }>('/api/system/version').then((v) => setVersion(v.version), () => {});
  }, []);
  useEffect(() => {
    load();
  }, [load]);
  const toggle = (name: string, enabled: boolean) => {
    api(`/api/tools/${name}`, { method: 'PUT', body: { enabled } }).then(load, (e: Error) => setMessage(e.message));
  };
  const change = (event: FormEvent) => {
    event.preventDefault();
    api('/api/auth/password', { method: 'POST', body: form }).then(
      () => {
        setMessage('Password changed; other sessions were logged out.');
        setForm({ current: '', password: '' });
      },
      (e: Error) => setMessage(e.message),
    );
  };
  return (
    <section className="page" aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <div className="item">
        <strong>Tools</strong>
        {tools?.tools.filter((t) => t.name !== 'exec').map((t) => (
          <label key={t.name} className="row">
            <input type="checkbox" style={{ width: 'auto' }} checked={t.enabled} onChange={(e) => toggle(t.name, e.target.checked)} />
            {t.name} <span className="muted">— {toolHelp[t.name]}</span>
          </label>
        ))}
        <label className="row">
          <input type="checkbox" style={{ width: 'auto' }} checked={tools?.mcp ?? false} onChange={(e) => toggle('mcp', e.target.checked)} />
          MCP servers <span className="muted">— tools from Home Assistant and other MCP servers</span>
        </label>
      </div>
      <form className="item" onSubmit={change} aria-label="Change password">
        <strong>Change password</strong>
        <div className="grid2">
          {auth?.password_set && <label>Current password<input type="password" autoComplete="current-password" value={form.current} onChange={(e) => setForm({ ...form, current: e.target.value })} required /></label>}
          <label>New password<input type="password" autoComplete="new-password" minLength={8} value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} required /></label>
        </div>
        <div className="row"><button type="submit">Change password</button>{message && <span role="status">{message}</span>}</div>
      </form>
      <div className="item">
        <strong>Access</strong>
        <span>Login token (PICOCLAW_LAUNCHER_TOKEN): {auth?.token_configured ? 'configured' : 'not configured'}</span>
        <span className="muted">Binding to all interfaces is chosen at start with --public or PICOCLAW_LAUNCHER_PUBLIC.</span>
      </div>
      <div className="item">
        <label>
          {t('settings.language')}{' '}
          <select value={language} onChange={(e) => setLanguage(e.target.value as Language)}>
            {(Object.keys(languages) as Language[]).map((l) => <option key={l} value={l}>{languages[l]}</option>)}
          </select>
        </label>
      </div>
      <div className="item"><strong>About</strong><span>PicoClaw TS {version}</span></div>
    </section>
  );
}
