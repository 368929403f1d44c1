/** Settings: tools on/off, the heartbeat, change password, token status, about. */
import { FileBraces, KeyRound, Save, X } from 'lucide-react';
import { lazy, Suspense, useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, type AuthStatus, type HeartbeatConfig } from './api.js';
import { language, languages, setLanguage, type Language, type MessageKey, t } from './i18n.js';

// Its own chunk: the raw config editor is loaded when it is opened.
const ConfigEditor = lazy(() => import('./ConfigEditor.js').then((m) => ({ default: m.ConfigEditor })));

interface ToolsResponse { tools: { name: string; enabled: boolean }[]; mcp: boolean }
const toolHelp = (name: string) => (`tool.${name}` in helpKeys ? t(`tool.${name}` as MessageKey) : '');
const helpKeys = { 'tool.read_file': 1, 'tool.write_file': 1, 'tool.edit_file': 1, 'tool.append_file': 1, 'tool.list_dir': 1, 'tool.send_file': 1, 'tool.web_fetch': 1, 'tool.web': 1 };

interface HeartbeatForm { enabled: boolean; interval: string; active_hours: string; target: string }

export function SettingsPage() {
  const [tools, setTools] = useState<ToolsResponse>();
  const [auth, setAuth] = useState<AuthStatus>();
  const [version, setVersion] = useState('');
  const [form, setForm] = useState({ current: '', password: '' });
  const [message, setMessage] = useState<string>();
  const [notes, setNotes] = useState<string[]>([]);
  const [heartbeat, setHeartbeat] = useState<HeartbeatForm>();
  const [heartbeatNote, setHeartbeatNote] = useState<{ text: string; error?: boolean }>();
  const [editing, setEditing] = useState(false);
  const load = useCallback(() => {
    // What the loader says about the config: keys ignored for compatibility, secrets in config.json, …
    api<{ warnings?: string[]; config?: { heartbeat?: HeartbeatConfig } }>('/api/config').then((c) => {
      setNotes(c.warnings ?? []);
      const hb = c.config?.heartbeat;
      // Once: a reload after a tool toggle must not undo what is being typed.
      if (hb) setHeartbeat((form) => form ?? { enabled: hb.enabled, interval: String(hb.interval), active_hours: hb.active_hours, target: hb.target });
    }, () => {});
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
        setMessage(t('settings.passwordChanged'));
        setForm({ current: '', password: '' });
      },
      (e: Error) => setMessage(e.message),
    );
  };
  const editHeartbeat = (change: Partial<HeartbeatForm>) => {
    setHeartbeat((form) => form && { ...form, ...change });
    setHeartbeatNote(undefined);
  };
  const saveHeartbeat = (event: FormEvent) => {
    event.preventDefault();
    if (!heartbeat) return;
    const body = { enabled: heartbeat.enabled, interval: Number(heartbeat.interval), active_hours: heartbeat.active_hours.trim(), target: heartbeat.target.trim() };
    api('/api/heartbeat', { method: 'PUT', body }).then(
      () => setHeartbeatNote({ text: t('common.saved') }),
      (e: Error) => setHeartbeatNote({ text: t('common.notSaved', { error: e.message }), error: true }),
    );
  };
  return (
    <section className="page" aria-labelledby="settings-title">
      {notes.length > 0 && (
        <div className="item" role="group" aria-labelledby="config-notes">
          <strong id="config-notes">{t('settings.configNotes')}</strong>
          <ul>{notes.map((note) => <li key={note}>{note}</li>)}</ul>
        </div>
      )}
      <div className="item">
        <strong>{t('settings.tools')}</strong>
        {tools?.tools.filter((tool) => tool.name !== 'exec').map((tool) => (
          <label key={tool.name} className="row">
            <input type="checkbox" style={{ width: 'auto' }} checked={tool.enabled} onChange={(e) => toggle(tool.name, e.target.checked)} />
            {tool.name} <span className="muted">— {toolHelp(tool.name)}</span>
          </label>
        ))}
        <label className="row">
          <input type="checkbox" style={{ width: 'auto' }} checked={tools?.mcp ?? false} onChange={(e) => toggle('mcp', e.target.checked)} />
          {t('settings.mcpTools')} <span className="muted">— {t('settings.mcpHelp')}</span>
        </label>
      </div>
      {heartbeat && (
        <form className="item" onSubmit={saveHeartbeat} aria-labelledby="heartbeat-settings">
          <strong id="heartbeat-settings">{t('settings.heartbeat')}</strong>
          <span className="muted">{t('heartbeat.explain', { n: Math.max(5, Number(heartbeat.interval) || 30) })}</span>
          <label className="row">
            <input type="checkbox" style={{ width: 'auto' }} checked={heartbeat.enabled} onChange={(e) => editHeartbeat({ enabled: e.target.checked })} />
            {t('settings.heartbeatEnabled')}
          </label>
          <div className="grid2">
            <label>{t('settings.heartbeatInterval')}<input type="number" min={5} step={1} required value={heartbeat.interval} onChange={(e) => editHeartbeat({ interval: e.target.value })} /></label>
            <label>{t('settings.heartbeatHours')}<input value={heartbeat.active_hours} placeholder="08:00-22:00" pattern="([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d" onChange={(e) => editHeartbeat({ active_hours: e.target.value })} /></label>
            <label>{t('settings.heartbeatTarget')}<input value={heartbeat.target} placeholder="telegram:123456789" pattern="[^:\s]+:\S+" onChange={(e) => editHeartbeat({ target: e.target.value })} /></label>
          </div>
          <div className="row">
            <button type="submit"><Save size={16} aria-hidden="true" />{t('common.save')}</button>
            {heartbeatNote && <span role={heartbeatNote.error ? 'alert' : 'status'} className={heartbeatNote.error ? 'error' : undefined}>{heartbeatNote.text}</span>}
          </div>
        </form>
      )}
      <form className="item" onSubmit={change} aria-label={t('settings.changePassword')}>
        <strong>{t('settings.changePassword')}</strong>
        <div className="grid2">
          {auth?.password_set && <label>{t('settings.currentPassword')}<input type="password" autoComplete="current-password" value={form.current} onChange={(e) => setForm({ ...form, current: e.target.value })} required /></label>}
          <label>{t('settings.newPassword')}<input type="password" autoComplete="new-password" minLength={8} value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} required /></label>
        </div>
        <div className="row"><button type="submit"><KeyRound size={16} aria-hidden="true" />{t('settings.changePassword')}</button>{message && <span role="status">{message}</span>}</div>
      </form>
      <div className="item" role="group" aria-labelledby="raw-config">
        <strong id="raw-config">{t('settings.rawConfig')}</strong>
        <span className="muted">{t('settings.rawConfigIntro')}</span>
        <div className="row">
          <button type="button" className="secondary" aria-expanded={editing} aria-controls="raw-config-editor" onClick={() => setEditing(!editing)}>
            {editing ? <X size={16} aria-hidden="true" /> : <FileBraces size={16} aria-hidden="true" />}
            {editing ? t('settings.closeEditor') : t('settings.openEditor')}
          </button>
        </div>
        <div id="raw-config-editor">
          {editing && <Suspense fallback={<p className="muted">{t('common.loading')}</p>}><ConfigEditor /></Suspense>}
        </div>
      </div>
      <div className="item">
        <strong>{t('settings.access')}</strong>
        <span>{t('settings.token', { state: auth?.token_configured ? t('settings.configured') : t('settings.notConfigured') })}</span>
        <span className="muted">{t('settings.public')}</span>
      </div>
      <div className="item">
        <label>
          {t('settings.language')}{' '}
          <select value={language} onChange={(e) => setLanguage(e.target.value as Language)}>
            {(Object.keys(languages) as Language[]).map((l) => <option key={l} value={l}>{languages[l]}</option>)}
          </select>
        </label>
      </div>
      <div className="item"><strong>{t('settings.about')}</strong><span>PicoClaw TS {version}</span></div>
    </section>
  );
}
