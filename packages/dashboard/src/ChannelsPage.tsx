/** Channels: live status, enable/disable, and the settings a user changes most (secrets write-only). */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from './api.js';
import { t, type MessageKey } from './i18n.js';
import { Power, PowerOff, Save, Send } from 'lucide-react';

interface ChannelEntry { type: string; enabled: boolean; allow_from: string[]; settings: Record<string, unknown> }
interface ChannelState { name: string; state: string; lastError?: string; detail?: string; lastMessageAt?: string; messages: { in: number; out: number } }
interface ChannelsResponse { channels: Record<string, ChannelEntry>; status?: ChannelState[] }

const fields: Record<string, { key: string; label: MessageKey; secret?: boolean }[]> = {
  telegram: [{ key: 'token', label: 'channels.botToken', secret: true }],
  mqtt: [{ key: 'broker', label: 'channels.broker' }, { key: 'agent_id', label: 'channels.agentId' }, { key: 'username', label: 'channels.username', secret: true }, { key: 'password', label: 'channels.password', secret: true }],
  pico: [],
};

/** The first allow_from entry that names a chat or device (`42`, `42|alice`, `telegram:42`; not `@name` or `*`). */
export function firstTarget(type: string, allowFrom: string[]): string {
  for (const raw of allowFrom) {
    const a = raw.trim().replace(/^telegram:/, '').split('|')[0]!.trim();
    if (type === 'telegram' ? /^-?\d+$/.test(a) : a && a !== '*') return a;
  }
  return '';
}

/** "Send test message": a fixed short text through the running channel; its refusal (allow_from…) is shown as said. */
export function TestMessage({ name, type, allowFrom }: { name: string; type: string; allowFrom: string[] }) {
  const [to, setTo] = useState(() => firstTarget(type, allowFrom));
  const [sending, setSending] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string }>();
  const send = (event: FormEvent) => {
    event.preventDefault();
    setSending(true);
    setResult(undefined);
    api(`/api/channels/${encodeURIComponent(name)}/test`, { method: 'POST', body: { chat_id: to.trim() } })
      .then(
        () => setResult({ ok: true, text: t('channels.testSent', { to: to.trim() }) }),
        (e: Error) => setResult({ ok: false, text: e.message }),
      )
      .finally(() => setSending(false));
  };
  return (
    <form className="row" onSubmit={send} aria-label={t('channels.testTitle', { name })}>
      <label>{t(type === 'telegram' ? 'channels.testChat' : 'channels.testDevice')} <input value={to} onChange={(e) => setTo(e.target.value)} autoComplete="off" /></label>
      <button type="submit" className="secondary" disabled={sending || !to.trim()}><Send size={16} />{t('channels.testSend')}</button>
      {result && <span role={result.ok ? 'status' : 'alert'} className={result.ok ? '' : 'error'}>{result.text}</span>}
    </form>
  );
}

function ChannelCard({ name, entry, state, onSaved }: { name: string; entry: ChannelEntry; state?: ChannelState; onSaved: () => void }) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [allow, setAllow] = useState(entry.allow_from.join(', '));
  const [message, setMessage] = useState<string>();
  const save = (enabled = entry.enabled) => {
    const settings = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ''));
    api(`/api/channels/${encodeURIComponent(name)}`, { method: 'PUT', body: { type: entry.type, enabled, allow_from: allow.split(',').map((s) => s.trim()).filter(Boolean), settings } }).then(
      () => {
        setMessage(t('common.saved'));
        setValues({});
        onSaved();
      },
      (e: Error) => setMessage(t('common.notSaved', { error: e.message })),
    );
  };
  return (
    <div className="item" data-channel={name}>
      <div className="row">
        <strong>{name}</strong>
        <span className="muted">{entry.type}</span>
        <span className={`badge ${state?.state === 'running' || state?.state === 'standby' ? 'ok' : entry.enabled ? 'bad' : ''}`} title={state?.detail}>{entry.enabled ? (state?.state ?? 'starting') : t('channels.off')}</span>
        {state?.detail && <span className="muted">{state.detail}</span>}
        {state && <span className="muted">{t('channels.counts', { in: state.messages.in, out: state.messages.out })}{state.lastMessageAt ? t('channels.last', { time: new Date(state.lastMessageAt).toLocaleTimeString() }) : ''}</span>}
      </div>
      {state?.lastError && <div className="error">{state.lastError}</div>}
      {entry.type !== 'pico' && (
        <div className="grid2">
          {(fields[entry.type] ?? []).map((f) => (
            <label key={f.key}>
              {t(f.label)}
              <input
                type={f.secret ? 'password' : 'text'}
                autoComplete="off"
                placeholder={f.secret ? (entry.settings[f.key] ? t('common.set') : t('common.notSet')) : String(entry.settings[f.key] ?? '')}
                value={values[f.key] ?? ''}
                onChange={(e) => setValues({ ...values, [f.key]: e.target.value })}
              />
            </label>
          ))}
          <label>{t(entry.type === 'telegram' ? 'channels.allowTelegram' : 'channels.allow')}<input value={allow} onChange={(e) => setAllow(e.target.value)} /></label>
        </div>
      )}
      {entry.type === 'telegram' && entry.enabled && !entry.allow_from.some((a) => a.trim()) && <div className="error" role="alert">{t('channels.nobody')}</div>}
      {(entry.type === 'telegram' || entry.type === 'mqtt') && entry.enabled && state?.state === 'running' && <TestMessage name={name} type={entry.type} allowFrom={entry.allow_from} />}
      <div className="row">
        {entry.type !== 'pico' && <button type="button" className="secondary" onClick={() => save()}><Save size={16} />{t('common.save')}</button>}
        {entry.type !== 'pico' && <button type="button" className="secondary" onClick={() => save(!entry.enabled)}>{entry.enabled ? <PowerOff size={16} /> : <Power size={16} />}{entry.enabled ? t('channels.turnOff') : t('channels.turnOn')}</button>}
        {message && <span role="status">{message}</span>}
      </div>
    </div>
  );
}

export function ChannelsPage() {
  const [data, setData] = useState<ChannelsResponse>();
  const load = useCallback(() => {
    api<ChannelsResponse>('/api/channels').then(setData, () => {});
  }, []);
  useEffect(() => {
    load();
    const timer = setInterval(load, 5000);
    return () => clearInterval(timer);
  }, [load]);
  const entries = { ...(data?.channels ?? {}) };
  for (const type of ['telegram', 'mqtt']) {
    if (!Object.values(entries).some((c) => c.type === type)) entries[type] = { type, enabled: false, allow_from: [], settings: {} };
  }
  return (
    <section className="page" aria-labelledby="channels-title">
      {data ? Object.entries(entries).map(([name, entry]) => <ChannelCard key={name} name={name} entry={entry} state={data.status?.find((s) => s.name === name)} onSaved={load} />) : t('common.loading')}
    </section>
  );
}
