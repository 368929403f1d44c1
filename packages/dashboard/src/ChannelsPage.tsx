/** Channels: live status, enable/disable, and the settings a user changes most (secrets write-only). */
import { useCallback, useEffect, useState } from 'react';
import { api } from './api.js';

interface ChannelEntry { type: string; enabled: boolean; allow_from: string[]; settings: Record<string, unknown> }
interface ChannelState { name: string; state: string; lastError?: string; detail?: string; lastMessageAt?: string; messages: { in: number; out: number } }
interface ChannelsResponse { channels: Record<string, ChannelEntry>; status?: ChannelState[] }

const fields: Record<string, { key: string; label: string; secret?: boolean }[]> = {
  telegram: [{ key: 'token', label: 'Bot token', secret: true }],
  mqtt: [{ key: 'broker', label: 'Broker URL' }, { key: 'agent_id', label: 'Agent id' }, { key: 'username', label: 'Username', secret: true }, { key: 'password', label: 'Password', secret: true }],
  pico: [],
};

function ChannelCard({ name, entry, state, onSaved }: { name: string; entry: ChannelEntry; state?: ChannelState; onSaved: () => void }) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [allow, setAllow] = useState(entry.allow_from.join(', '));
  const [message, setMessage] = useState<string>();
  const save = (enabled = entry.enabled) => {
    const settings = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ''));
    api(`/api/channels/${encodeURIComponent(name)}`, { method: 'PUT', body: { type: entry.type, enabled, allow_from: allow.split(',').map((s) => s.trim()).filter(Boolean), settings } }).then(
      () => {
        setMessage('saved');
        setValues({});
        onSaved();
      },
      (e: Error) => setMessage(`not saved: ${e.message}`),
    );
  };
  return (
    <div className="item" data-channel={name}>
      <div className="row">
        <strong>{name}</strong>
        <span className="muted">{entry.type}</span>
        <span className={`badge ${state?.state === 'running' ? 'ok' : entry.enabled ? 'bad' : ''}`}>{entry.enabled ? (state?.state ?? 'starting') : 'off'}</span>
        {state?.detail && <span className="muted">{state.detail}</span>}
        {state && <span className="muted">{state.messages.in} in / {state.messages.out} out{state.lastMessageAt ? `, last ${new Date(state.lastMessageAt).toLocaleTimeString()}` : ''}</span>}
      </div>
      {state?.lastError && <div className="error">{state.lastError}</div>}
      {entry.type !== 'pico' && (
        <div className="grid2">
          {(fields[entry.type] ?? []).map((f) => (
            <label key={f.key}>
              {f.label}
              <input
                type={f.secret ? 'password' : 'text'}
                autoComplete="off"
                placeholder={f.secret ? (entry.settings[f.key] ? 'set — type to replace' : 'not set') : String(entry.settings[f.key] ?? '')}
                value={values[f.key] ?? ''}
                onChange={(e) => setValues({ ...values, [f.key]: e.target.value })}
              />
            </label>
          ))}
          <label>Allowed users / clients (comma-separated; empty = everyone)<input value={allow} onChange={(e) => setAllow(e.target.value)} /></label>
        </div>
      )}
      <div className="row">
        {entry.type !== 'pico' && <button type="button" className="secondary" onClick={() => save()}>Save</button>}
        {entry.type !== 'pico' && <button type="button" className="secondary" onClick={() => save(!entry.enabled)}>{entry.enabled ? 'Turn off' : 'Turn on'}</button>}
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
      <h2 id="channels-title">Channels</h2>
      {data ? Object.entries(entries).map(([name, entry]) => <ChannelCard key={name} name={name} entry={entry} state={data.status?.find((s) => s.name === name)} onSaved={load} />) : 'Loading…'}
    </section>
  );
}
