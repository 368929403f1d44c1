/**
 * The guided setup ("Setup guide", /setup): four steps — a model with a live test, Telegram
 * (BotFather, the token checked, "find my user id" with an Allow button), Home Assistant (its
 * /api/mcp checked with the token), MQTT (a real connect to the broker) — then a summary. Each
 * step can be skipped and returned to; whether a step is done is read from the server (what is
 * configured), a skip is remembered in this browser. Every check is a real connection made by
 * the launcher or the gateway before anything is saved; secrets typed here go to the launcher
 * and are never shown again.
 */
import { useCallback, useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { ArrowLeft, ArrowRight, CircleAlert, CircleCheck, CircleDashed, CircleDot, LoaderCircle, Play, SkipForward, UserPlus } from 'lucide-react';
import { api, ApiError } from './api.js';
import { t, type MessageKey } from './i18n.js';
import type { PagePath } from './Layout.js';
import type { GatewayStatus } from './StatusBanner.js';
import { closeSetup } from './setup-state.js';
import './setup-wizard.css';

const steps = ['model', 'telegram', 'homeassistant', 'mqtt'] as const;
type Step = (typeof steps)[number];
type Mark = 'done' | 'skipped';
const MARKS_KEY = 'picoclaw.setup.steps';

interface ModelEntry { model_name: string; model: string; api_base?: string; api_keys: string[] }
interface ModelsResponse { primary: string; fallbacks: string[]; models: ModelEntry[] }
interface ChannelEntry { type: string; enabled: boolean; allow_from: string[]; settings: Record<string, unknown> }
interface ChannelState { name: string; state: string; lastError?: string; detail?: string }
interface ChannelsResponse { channels: Record<string, ChannelEntry>; status?: ChannelState[] }
interface McpState { name: string; state: string; tools: { tool: string }[]; lastError?: string; hint?: string }
interface McpResponse { enabled: boolean; servers: Record<string, { url?: string }>; status?: McpState[] }
interface Server { models: ModelsResponse; channels: ChannelsResponse; mcp: McpResponse; modelProblem?: string }
type Note = { kind: 'ok' | 'error' | 'busy' | 'info'; text: string } | undefined;

const readMarks = (): Partial<Record<Step, Mark>> => {
  try {
    return JSON.parse(localStorage.getItem(MARKS_KEY) ?? '{}') as Partial<Record<Step, Mark>>;
  } catch {
    return {};
  }
};

/** The channel of a type: the one named after it, else the first. */
function channelOf(data: ChannelsResponse | undefined, type: string): [string, ChannelEntry | undefined] {
  const entries = Object.entries(data?.channels ?? {});
  const found = entries.find(([n, c]) => n === type && c.type === type) ?? entries.find(([, c]) => c.type === type);
  return found ?? [type, undefined];
}

function configured(step: Step, server: Server | undefined): boolean {
  if (!server) return false;
  if (step === 'model') return server.models.models.length > 0 && !!server.models.primary && !server.modelProblem;
  if (step === 'homeassistant') return !!server.mcp.servers.homeassistant;
  // Telegram is done once someone may use the bot: with allow_from empty it refuses everyone.
  if (step === 'telegram') {
    const [, entry] = channelOf(server.channels, 'telegram');
    return !!entry?.enabled && !!entry.settings.token && entry.allow_from.some((a) => a.trim());
  }
  const [, entry] = channelOf(server.channels, 'mqtt');
  return !!entry?.enabled && !!entry.settings.broker;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
const notSaved = (error: unknown) => t('common.notSaved', { error: message(error) });

/**
 * A step's note and busy flag around one task at a time: `busyText` while it runs, then the notes
 * the task sets itself, or its error in the words of `failed`.
 */
function useTask() {
  const [note, setNote] = useState<Note>();
  const [busy, setBusy] = useState(false);
  const run = async (busyText: string, task: () => Promise<void>, failed: (error: unknown) => string = message) => {
    setBusy(true);
    setNote({ kind: 'busy', text: busyText });
    try {
      await task();
    } catch (error) {
      setNote({ kind: 'error', text: failed(error) });
    } finally {
      setBusy(false);
    }
  };
  return { note, setNote, busy, run };
}

function Said({ note }: { note: Note }) {
  if (!note) return null;
  const Icon = note.kind === 'ok' ? CircleCheck : note.kind === 'error' ? CircleAlert : note.kind === 'busy' ? LoaderCircle : CircleDot;
  return (
    <p className={`wizard-note ${note.kind}`} role={note.kind === 'error' ? 'alert' : 'status'}>
      <Icon size={18} aria-hidden="true" />
      <span>{note.text}</span>
    </p>
  );
}

/** "The gateway is not running" with its Start button, where a step needs the gateway. */
function GatewayDown({ gateway }: { gateway: GatewayStatus }) {
  const state = gateway.process?.state;
  if (!state || state === 'running') return null;
  return (
    <div className="wizard-note error row" role="alert">
      <CircleAlert size={18} aria-hidden="true" />
      <span>{t('wizard.gatewayDown', { state })}</span>
      {state !== 'starting' && state !== 'restarting' && (
        <button type="button" onClick={() => gateway.act('start')} disabled={gateway.busy}><Play size={16} />{t('banner.start')}</button>
      )}
    </div>
  );
}

// ── step 1: a model ──

const presets = [
  { id: 'mistral', label: 'Mistral', prefix: 'mistral/', model: 'mistral-small-latest', base: 'https://api.mistral.ai/v1', keys: 'https://console.mistral.ai/api-keys' },
  { id: 'openrouter', label: 'OpenRouter', prefix: 'openrouter/', model: 'nvidia/nemotron-nano-9b-v2:free', base: 'https://openrouter.ai/api/v1', keys: 'https://openrouter.ai/keys' },
  { id: 'groq', label: 'Groq', prefix: 'groq/', model: 'llama-3.3-70b-versatile', base: 'https://api.groq.com/openai/v1', keys: 'https://console.groq.com/keys' },
  { id: 'gemini', label: 'Google Gemini', prefix: 'gemini/', model: 'gemini-2.0-flash', base: 'https://generativelanguage.googleapis.com/v1beta/openai', keys: 'https://aistudio.google.com/apikey' },
  { id: 'opencode', label: 'OpenCode Zen', prefix: 'opencode/', model: 'big-pickle', base: 'https://opencode.ai/zen/v1', keys: '' },
  { id: 'other', label: '', prefix: 'openai/', model: '', base: '', keys: '' },
] as const;

function ModelStep({ server, reload, gateway, onDone }: { server: Server; reload: () => Promise<void>; gateway: GatewayStatus; onDone: () => void }) {
  const { models, primary } = server.models;
  const [presetId, setPresetId] = useState<(typeof presets)[number]['id']>('mistral');
  const preset = presets.find((p) => p.id === presetId)!;
  const [modelId, setModelId] = useState<string>(preset.model);
  const [key, setKey] = useState('');
  const [base, setBase] = useState('');
  const taken = (name: string) => models.some((m) => m.model_name === name);
  const suggested = (() => {
    const stem = presetId === 'other' ? 'main' : presetId;
    for (let i = 1; ; i++) if (!taken(i === 1 ? stem : `${stem}-${i}`)) return i === 1 ? stem : `${stem}-${i}`;
  })();
  const [name, setName] = useState('');
  const { note, setNote, busy, run } = useTask();
  const current = models.find((m) => m.model_name === primary);

  const test = async (model: string) => {
    setNote({ kind: 'busy', text: t('wizard.model.testing', { name: model }) });
    try {
      const r = await api<{ ok: boolean; latency_ms: number; reply?: string; error?: string }>(`/api/models/${encodeURIComponent(model)}/test`, { method: 'POST' });
      if (r.ok) {
        setNote({ kind: 'ok', text: `${t('models.answered', { ms: r.latency_ms })}${r.reply ? ` — “${r.reply.trim().slice(0, 80)}”` : ''}` });
        onDone();
      } else setNote({ kind: 'error', text: t('wizard.model.failed', { error: r.error ?? '' }) });
    } catch (error) {
      setNote({ kind: 'error', text: error instanceof ApiError && error.status === 503 ? t('wizard.model.needGateway') : t('common.failed', { error: message(error) }) });
    }
  };
  const save = async (event: FormEvent) => {
    event.preventDefault();
    const modelName = name.trim() || suggested;
    await run(t('wizard.saving'), async () => {
      await api('/api/models', { method: 'POST', body: { model_name: modelName, model: `${preset.prefix}${modelId.trim()}`, ...(base.trim() ? { api_base: base.trim() } : {}), api_keys: key ? [key] : [] } });
      // The new model answers first when none could before (the launcher makes the first one primary itself).
      if (primary && primary !== modelName && (server.modelProblem || !current)) {
        await api('/api/models-order', { method: 'PUT', body: { primary: modelName, fallbacks: [primary, ...server.models.fallbacks].filter((f) => f !== modelName && models.some((m) => m.model_name === f)) } });
      }
      setKey('');
      await reload();
      await test(modelName);
    }, notSaved);
  };

  return (
    <>
      <p>{t('wizard.model.intro')}</p>
      <GatewayDown gateway={gateway} />
      {current && (
        <div className="item row">
          <span>{t('wizard.model.current', { name: current.model_name, model: current.model })}</span>
          <button type="button" className="secondary" onClick={() => void test(current.model_name)}>{t('common.test')}</button>
        </div>
      )}
      <details className="item" open={!current}>
        <summary>{current ? t('wizard.model.another') : t('wizard.model.add')}</summary>
        <form className="wizard-form" onSubmit={(e) => void save(e)}>
          <label>{t('wizard.model.provider')}
            <select value={presetId} onChange={(e) => {
              const next = presets.find((p) => p.id === e.target.value)!;
              setPresetId(next.id);
              setModelId(next.model);
            }}>
              {presets.map((p) => <option key={p.id} value={p.id}>{p.id === 'other' ? t('wizard.model.other') : p.label}</option>)}
            </select>
          </label>
          <label>{t('wizard.model.id')}
            <input value={modelId} onChange={(e) => setModelId(e.target.value)} required spellCheck={false} autoCapitalize="off" aria-describedby="wizard-model-id" />
            <span id="wizard-model-id" className="muted small">{t('wizard.model.idHint', { full: `${preset.prefix}${modelId.trim() || '…'}` })}</span>
          </label>
          <label>{t('models.apiKey')}
            <input type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} aria-describedby="wizard-model-key" />
            <span id="wizard-model-key" className="muted small">
              {t('wizard.model.keyHint')}
              {preset.keys && <> <a href={preset.keys} target="_blank" rel="noreferrer">{t('wizard.model.getKey', { provider: preset.label })}</a></>}
            </span>
          </label>
          <details open={presetId === 'other'}>
            <summary>{t('wizard.advanced')}</summary>
            <div className="wizard-form">
              <label>{t('models.apiBase')}
                <input value={base} onChange={(e) => setBase(e.target.value)} placeholder={preset.base || 'http://192.168.1.20:11434/v1'} required={presetId === 'other'} spellCheck={false} autoCapitalize="off" inputMode="url" />
              </label>
              <label>{t('common.name')}
                <input value={name} onChange={(e) => setName(e.target.value)} placeholder={suggested} spellCheck={false} autoCapitalize="off" />
              </label>
            </div>
          </details>
          <div><button type="submit" disabled={busy || !modelId.trim()}>{t('wizard.model.save')}</button></div>
        </form>
      </details>
      <Said note={note} />
    </>
  );
}

// ── step 2: Telegram ──

interface Refused { id: number; username?: string; first_name?: string; at: string }

function TelegramStep({ server, reload, gateway, onDone }: { server: Server; reload: () => Promise<void>; gateway: GatewayStatus; onDone: () => void }) {
  const [name, entry] = channelOf(server.channels, 'telegram');
  const state = server.channels.status?.find((s) => s.name === name);
  const saved = !!entry?.enabled && !!entry.settings.token;
  const allowed = (entry?.allow_from ?? []).map((a) => a.trim()).filter(Boolean);
  const [token, setToken] = useState('');
  const [bot, setBot] = useState('');
  const { note, setNote, busy, run } = useTask();
  const [refused, setRefused] = useState<Refused[]>();
  const [waitError, setWaitError] = useState<string>();
  const [allowedNote, setAllowedNote] = useState<Note>();
  const shownBot = bot || (state?.detail?.startsWith('@') ? state.detail.slice(1) : '');

  const check = async (event: FormEvent) => {
    event.preventDefault();
    await run(t('wizard.checking'), async () => {
      const r = await api<{ ok: boolean; username?: string; error?: string }>('/api/setup/telegram/check', { method: 'POST', body: { token: token.trim(), channel: name } });
      if (r.ok) {
        setBot(r.username ?? '');
        setNote({ kind: 'ok', text: t('wizard.telegram.works', { bot: r.username ?? '' }) });
      } else {
        setBot('');
        setNote({ kind: 'error', text: r.error ?? '' });
      }
    });
  };
  const save = async () => {
    await run(t('wizard.saving'), async () => {
      // allow_from is left as it is: a new channel starts with nobody allowed.
      await api(`/api/channels/${encodeURIComponent(name)}`, { method: 'PUT', body: { type: 'telegram', enabled: true, settings: token.trim() ? { token: token.trim() } : {} } });
      setToken('');
      setNote({ kind: 'ok', text: t('wizard.telegram.saved') });
      await reload();
    }, notSaved);
  };
  const allow = async (who: Refused) => {
    try {
      await api(`/api/channels/${encodeURIComponent(name)}`, { method: 'PUT', body: { type: 'telegram', allow_from: [...allowed, String(who.id)] } });
      setAllowedNote({ kind: 'ok', text: t('wizard.telegram.allowed', { who: who.first_name ?? who.username ?? String(who.id), id: who.id, bot: shownBot }) });
      setRefused((list) => list?.filter((r) => r.id !== who.id));
      await reload();
      onDone();
    } catch (error) {
      setAllowedNote({ kind: 'error', text: t('common.notSaved', { error: message(error) }) });
    }
  };

  // While the bot is saved, ask every 2 s who wrote to it (the gateway refuses them and keeps the last few).
  useEffect(() => {
    if (!saved) return;
    let alive = true;
    const poll = () =>
      api<{ refused: Refused[] }>(`/api/channels/${encodeURIComponent(name)}/refused`).then(
        (r) => {
          if (!alive) return;
          setWaitError(undefined);
          setRefused(r.refused.filter((x) => !allowed.includes(String(x.id))));
        },
        (error: unknown) => alive && setWaitError(message(error)),
      );
    void poll();
    const timer = setInterval(() => void poll(), 2000);
    return () => {
      alive = false;
      clearInterval(timer);
    };
    // `allowed` is derived from the entry: its text is what changes.
  }, [saved, name, allowed.join(',')]);

  return (
    <>
      <p>{t('wizard.telegram.intro')}</p>
      <ol className="wizard-howto">
        <li>{t('wizard.telegram.how1')} <a href="https://t.me/BotFather" target="_blank" rel="noreferrer">@BotFather</a></li>
        <li>{t('wizard.telegram.how2')}</li>
        <li>{t('wizard.telegram.how3')}</li>
      </ol>
      {saved && <p className="muted">{t('wizard.telegram.current', { bot: shownBot ? `@${shownBot}` : name, state: state?.state ?? '…' })}</p>}
      {state?.lastError && <p className="error">{state.lastError}</p>}
      <form className="wizard-form" onSubmit={(e) => void check(e)}>
        <label>{t('wizard.telegram.token')}
          <input type="password" autoComplete="off" spellCheck={false} value={token} onChange={(e) => {
            setToken(e.target.value);
            setBot('');
          }} placeholder={saved ? t('common.set') : '123456789:AAE…'} />
        </label>
        <div className="row">
          <button type="submit" className="secondary" disabled={busy || (!token.trim() && !saved)}>{t('wizard.check')}</button>
          <button type="button" onClick={() => void save()} disabled={busy || !bot || (!token.trim() && saved)}>{t('wizard.telegram.save')}</button>
        </div>
      </form>
      <Said note={note} />
      {saved && (
        <section className="item" aria-labelledby="wizard-find-id">
          <h3 id="wizard-find-id">{t('wizard.telegram.findId')}</h3>
          {allowed.length === 0 ? <p className="wizard-note error" role="note"><CircleAlert size={18} aria-hidden="true" /><span>{t('wizard.telegram.nobody')}</span></p> : <p>{t('wizard.telegram.allowList', { ids: allowed.join(', ') })}</p>}
          <p>{t('wizard.telegram.sendNow', { bot: shownBot ? `@${shownBot}` : t('wizard.telegram.yourBot') })}{shownBot && <> <a href={`https://t.me/${shownBot}`} target="_blank" rel="noreferrer">t.me/{shownBot}</a></>}</p>
          <GatewayDown gateway={gateway} />
          {waitError && <p className="error">{waitError}</p>}
          {refused && refused.length === 0 && !waitError && (
            <p className="wizard-note busy" role="status"><LoaderCircle size={18} className="spin" aria-hidden="true" /><span>{t('wizard.telegram.waiting')}</span></p>
          )}
          {refused && refused.length > 0 && (
            <ul className="wizard-people" aria-label={t('wizard.telegram.whoWrote')}>
              {refused.map((r) => (
                <li key={r.id} className="row">
                  <span><strong>{r.first_name ?? r.username ?? r.id}</strong>{r.username ? ` @${r.username}` : ''} · {t('wizard.telegram.userId', { id: r.id })} · {new Date(r.at).toLocaleTimeString()}</span>
                  <button type="button" onClick={() => void allow(r)} aria-label={t('wizard.telegram.allowWho', { who: r.first_name ?? r.username ?? String(r.id), id: r.id })}><UserPlus size={16} />{t('wizard.telegram.allow')}</button>
                </li>
              ))}
            </ul>
          )}
          <Said note={allowedNote} />
        </section>
      )}
    </>
  );
}

// ── step 3: Home Assistant ──

/** Home Assistant's address as people write it → its MCP endpoint. */
export function haEndpoint(address: string): string {
  const url = address.trim().replace(/\/+$/, '');
  return /\/api\/mcp$/.test(url) ? url : `${url}/api/mcp`;
}

/** What the launcher reads as "the stored secret" (restored only for the address it was stored with). */
const STORED_SECRET = '[NOT_HERE]';

function HomeAssistantStep({ server, reload, gateway, onDone }: { server: Server; reload: () => Promise<void>; gateway: GatewayStatus; onDone: () => void }) {
  const stored = server.mcp.servers.homeassistant;
  // Coming back to a saved step: an empty token field means the stored one.
  const sentToken = () => token.trim() || (stored ? STORED_SECRET : '');
  const live = server.mcp.status?.find((s) => s.name === 'homeassistant');
  const [address, setAddress] = useState(() => stored?.url?.replace(/\/api\/mcp\/?$/, '') ?? '');
  const [token, setToken] = useState('');
  const { note, setNote, busy, run } = useTask();
  const [checked, setChecked] = useState('');
  const valid = /^https?:\/\/[^\s/]+/.test(address.trim());

  const check = async (event: FormEvent) => {
    event.preventDefault();
    setChecked('');
    await run(t('wizard.checking'), async () => {
      const r = await api<{ ok: boolean; tools?: { tool: string }[]; error?: string; hint?: string }>('/api/mcp/test', { method: 'POST', body: { url: haEndpoint(address), token: sentToken(), ...(stored ? { name: 'homeassistant' } : {}) } });
      if (r.ok) {
        setChecked(`${haEndpoint(address)}\n${token}`);
        setNote({ kind: 'ok', text: t('wizard.ha.works', { n: r.tools?.length ?? 0, names: (r.tools ?? []).slice(0, 4).map((x) => x.tool).join(', ') }) });
      } else setNote({ kind: 'error', text: `${r.error ?? ''}${r.hint ? ` — ${r.hint}` : ''}` });
    }, (error) => (error instanceof ApiError && error.status === 503 ? t('wizard.needGateway') : message(error)));
  };
  const save = async () => {
    await run(t('wizard.saving'), async () => {
      await api('/api/mcp/homeassistant', { method: 'PUT', body: { url: haEndpoint(address), token: sentToken() } });
      setToken('');
      setChecked('');
      setNote({ kind: 'ok', text: t('wizard.ha.saved') });
      await reload();
      onDone();
    }, notSaved);
  };

  return (
    <>
      <p>{t('wizard.ha.intro')}</p>
      <ol className="wizard-howto">
        <li>{t('wizard.ha.how1')}</li>
        <li>{t('wizard.ha.how2')}</li>
        <li>{t('wizard.ha.how3')}</li>
      </ol>
      {stored && <p className="muted">{t('wizard.ha.current', { url: stored.url ?? '', state: live ? (live.state === 'connected' ? t('wizard.ha.connected', { n: live.tools.length }) : live.state) : '…' })}</p>}
      <GatewayDown gateway={gateway} />
      <form className="wizard-form" onSubmit={(e) => void check(e)}>
        <label>{t('wizard.ha.address')}
          <input value={address} onChange={(e) => setAddress(e.target.value)} placeholder="http://homeassistant.local:8123" inputMode="url" spellCheck={false} autoCapitalize="off" required aria-describedby="wizard-ha-address" />
          <span id="wizard-ha-address" className="muted small">{valid ? t('wizard.ha.endpoint', { url: haEndpoint(address) }) : t('wizard.ha.addressHint')}</span>
        </label>
        <label>{t('wizard.ha.token')}
          <input type="password" autoComplete="off" spellCheck={false} value={token} onChange={(e) => setToken(e.target.value)} required={!stored} placeholder={stored ? t('common.set') : ''} />
        </label>
        <div className="row">
          <button type="submit" className="secondary" disabled={busy || !valid || !sentToken()}>{t('wizard.check')}</button>
          <button type="button" onClick={() => void save()} disabled={busy || checked !== `${haEndpoint(address)}\n${token}`}>{t('wizard.ha.save')}</button>
        </div>
      </form>
      <Said note={note} />
    </>
  );
}

// ── step 4: MQTT ──

function MqttStep({ server, reload, onDone }: { server: Server; reload: () => Promise<void>; onDone: () => void }) {
  const [name, entry] = channelOf(server.channels, 'mqtt');
  const state = server.channels.status?.find((s) => s.name === name);
  const saved = !!entry?.enabled && !!entry.settings.broker;
  const setting = (key: string, fallback: string) => (typeof entry?.settings[key] === 'string' && entry.settings[key] ? (entry.settings[key] as string) : fallback);
  const [form, setForm] = useState(() => ({ broker: setting('broker', ''), username: '', password: '', agent_id: setting('agent_id', 'assistant'), topic_prefix: setting('topic_prefix', '/picoclaw') }));
  const { note, setNote, busy, run } = useTask();
  const [checked, setChecked] = useState('');
  const key = JSON.stringify(form);
  const field = (k: keyof typeof form) => ({ value: form[k], onChange: (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value }) });

  const check = async (event: FormEvent) => {
    event.preventDefault();
    setChecked('');
    await run(t('wizard.checking'), async () => {
      const r = await api<{ ok: boolean; error?: string }>('/api/setup/mqtt/check', { method: 'POST', body: { broker: form.broker.trim(), username: form.username, password: form.password, channel: name } });
      if (r.ok) {
        setChecked(key);
        setNote({ kind: 'ok', text: t('wizard.mqtt.works') });
      } else setNote({ kind: 'error', text: r.error ?? '' });
    });
  };
  const save = async () => {
    await run(t('wizard.saving'), async () => {
      const settings = {
        broker: form.broker.trim(),
        agent_id: form.agent_id.trim() || 'assistant',
        topic_prefix: form.topic_prefix.trim() || '/picoclaw',
        ...(form.username ? { username: form.username } : {}),
        ...(form.password ? { password: form.password } : {}),
      };
      await api(`/api/channels/${encodeURIComponent(name)}`, { method: 'PUT', body: { type: 'mqtt', enabled: true, settings } });
      setForm((f) => ({ ...f, username: '', password: '' }));
      setChecked('');
      setNote({ kind: 'ok', text: t('wizard.mqtt.saved') });
      await reload();
      onDone();
    }, notSaved);
  };
  const prefix = (saved ? setting('topic_prefix', '/picoclaw') : form.topic_prefix.trim() || '/picoclaw').replace(/\/+$/, '');
  const agent = saved ? setting('agent_id', 'assistant') : form.agent_id.trim() || 'assistant';
  const host = (() => {
    try {
      const url = new URL(saved ? setting('broker', '') : form.broker.trim());
      return ` -h ${url.hostname}${url.port ? ` -p ${url.port}` : ''}`;
    } catch {
      return '';
    }
  })();

  return (
    <>
      <p>{t('wizard.mqtt.intro')}</p>
      {saved && <p className="muted">{t('wizard.mqtt.current', { broker: setting('broker', ''), state: state?.state ?? '…' })}</p>}
      {state?.lastError && <p className="error">{state.lastError}</p>}
      <form className="wizard-form" onSubmit={(e) => void check(e)}>
        <label>{t('channels.broker')}
          <input {...field('broker')} placeholder="tcp://192.168.1.10:1883" inputMode="url" spellCheck={false} autoCapitalize="off" required aria-describedby="wizard-mqtt-broker" />
          <span id="wizard-mqtt-broker" className="muted small">{t('wizard.mqtt.brokerHint')}</span>
        </label>
        <div className="grid2">
          <label>{t('wizard.mqtt.username')}<input {...field('username')} autoComplete="off" spellCheck={false} autoCapitalize="off" placeholder={saved && entry?.settings.username ? t('common.set') : ''} /></label>
          <label>{t('wizard.mqtt.password')}<input type="password" {...field('password')} autoComplete="off" placeholder={saved && entry?.settings.password ? t('common.set') : ''} /></label>
          <label>{t('channels.agentId')}<input {...field('agent_id')} spellCheck={false} autoCapitalize="off" /></label>
          <label>{t('wizard.mqtt.prefix')}<input {...field('topic_prefix')} spellCheck={false} autoCapitalize="off" /></label>
        </div>
        <div className="row">
          <button type="submit" className="secondary" disabled={busy || !form.broker.trim()}>{t('wizard.check')}</button>
          <button type="button" onClick={() => void save()} disabled={busy || checked !== key}>{t('wizard.mqtt.save')}</button>
        </div>
      </form>
      <Said note={note} />
      <section className="item" aria-labelledby="wizard-topics">
        <h3 id="wizard-topics">{t('wizard.mqtt.topics')}</h3>
        <p>{t('wizard.mqtt.publish')} <code data-testid="mqtt-request-topic">{`${prefix}/${agent}/<device>/request`}</code></p>
        <p>{t('wizard.mqtt.answer')} <code>{`${prefix}/${agent}/<device>/response`}</code></p>
        <pre className="wizard-code">{`mosquitto_pub${host} -t "${prefix}/${agent}/kitchen/request" -m '{"text": "hello"}'\nmosquitto_sub${host} -t "${prefix}/${agent}/kitchen/response"`}</pre>
        <p className="muted">{t('wizard.mqtt.open')}</p>
      </section>
    </>
  );
}

// ── the guide ──

const pageName: Record<Step, MessageKey> = { model: 'nav.models', telegram: 'nav.channels', homeassistant: 'nav.mcp', mqtt: 'nav.channels' };

const stepTitle: Record<Step, MessageKey> = { model: 'wizard.step.model', telegram: 'wizard.step.telegram', homeassistant: 'wizard.step.homeassistant', mqtt: 'wizard.step.mqtt' };
const stepPage: Record<Step, PagePath> = { model: '/models', telegram: '/channels', homeassistant: '/mcp', mqtt: '/channels' };

function Summary({ server: s, stateOf: of, onOpen, onStep }: { server: Server; stateOf: (step: Step) => 'done' | 'skipped' | 'todo'; onOpen: (path: PagePath) => void; onStep: (i: number) => void }) {
  const [, tg] = channelOf(s.channels, 'telegram');
  const [, mq] = channelOf(s.channels, 'mqtt');
  const ha = s.mcp.status?.find((x) => x.name === 'homeassistant');
  const detail: Record<Step, string> = {
    model: s.models.primary ? t('wizard.sum.model', { name: s.models.primary, n: s.models.models.length }) : '',
    telegram: tg?.enabled ? t('wizard.sum.telegram', { n: tg.allow_from.filter((a) => a.trim()).length }) : '',
    homeassistant: s.mcp.servers.homeassistant ? (ha?.state === 'connected' ? t('wizard.ha.connected', { n: ha.tools.length }) : s.mcp.servers.homeassistant.url ?? '') : '',
    mqtt: mq?.enabled ? String(mq.settings.broker ?? '') : '',
  };
  return (
    <>
      <p>{t('wizard.sum.intro')}</p>
      <ul className="wizard-summary">
        {steps.map((step, i) => {
          const state = of(step);
          return (
            <li key={step} className="item row" data-summary={step}>
              {state === 'done' ? <CircleCheck size={18} className="ok-icon" aria-hidden="true" /> : <CircleDashed size={18} aria-hidden="true" />}
              <strong>{t(stepTitle[step])}</strong>
              <span>{t(`wizard.state.${state}`)}</span>
              {detail[step] && <span className="muted">{detail[step]}</span>}
              <span className="spacer" />
              {state === 'done'
                ? <button type="button" className="secondary" onClick={() => onOpen(stepPage[step])}>{t('wizard.sum.open', { page: t(pageName[step]) })}</button>
                : <button type="button" className="secondary" onClick={() => onStep(i)}>{t('wizard.sum.setUp')}</button>}
            </li>
          );
        })}
      </ul>
    </>
  );
}

export function SetupWizard({ gateway, go }: { gateway: GatewayStatus; go: (path: PagePath) => void }) {
  const [server, setServer] = useState<Server>();
  const [error, setError] = useState<string>();
  const [marks, setMarks] = useState(readMarks);
  const [at, setAt] = useState<number>();
  const heading = useRef<HTMLHeadingElement>(null);
  const moved = useRef(false);

  const reload = useCallback(async () => {
    try {
      const [models, channels, mcp, status] = await Promise.all([
        api<ModelsResponse>('/api/models'),
        api<ChannelsResponse>('/api/channels'),
        api<McpResponse>('/api/mcp'),
        api<{ gateway?: { models?: { problem?: string } } }>('/api/gateway/status').catch(() => undefined),
      ]);
      setServer({ models, channels, mcp, ...(status?.gateway?.models?.problem ? { modelProblem: status.gateway.models.problem } : {}) });
      setError(undefined);
    } catch (e) {
      setError(message(e));
    }
  }, []);
  useEffect(() => {
    void reload();
    // Channel and MCP states change as the gateway connects: keep them fresh.
    const timer = setInterval(() => void reload(), 5000);
    return () => clearInterval(timer);
  }, [reload]);

  const mark = (step: Step, value: Mark | undefined) =>
    setMarks((m) => {
      const next = { ...m };
      if (value) next[step] = value;
      else delete next[step];
      try {
        localStorage.setItem(MARKS_KEY, JSON.stringify(next));
      } catch {
        // Not remembered across visits: the guide still works.
      }
      return next;
    });
  const stateOf = (step: Step): 'done' | 'skipped' | 'todo' => (configured(step, server) || marks[step] === 'done' ? 'done' : marks[step] === 'skipped' ? 'skipped' : 'todo');

  // Start at the first step not done yet, skipped ones included (the summary when all are done).
  const first = steps.findIndex((s) => stateOf(s) !== 'done');
  const index = at ?? (first < 0 ? steps.length : first);
  const current = index < steps.length ? steps[index] : undefined;
  // Pinned once the server answered: a step that gets done stays on screen until Next.
  const loaded = !!server;
  useEffect(() => {
    if (loaded) setAt((a) => a ?? index);
    // Only when the first answer arrives.
  }, [loaded]);
  const goTo = (i: number) => {
    moved.current = true;
    setAt(i);
  };
  // Keyboard and screen-reader users land on the new step's heading.
  useEffect(() => {
    if (moved.current) heading.current?.focus();
  }, [index]);

  if (!server) return <section className="page" aria-labelledby="wizard-title">{error ? <p role="alert" className="error">{error}</p> : t('common.loading')}</section>;
  const finish = (path: PagePath) => {
    closeSetup();
    go(path);
  };

  let body: ReactNode;
  if (current === 'model') body = <ModelStep server={server} reload={reload} gateway={gateway} onDone={() => mark('model', 'done')} />;
  else if (current === 'telegram') body = <TelegramStep server={server} reload={reload} gateway={gateway} onDone={() => mark('telegram', 'done')} />;
  else if (current === 'homeassistant') body = <HomeAssistantStep server={server} reload={reload} gateway={gateway} onDone={() => mark('homeassistant', 'done')} />;
  else if (current === 'mqtt') body = <MqttStep server={server} reload={reload} onDone={() => mark('mqtt', 'done')} />;
  else body = <Summary server={server} stateOf={stateOf} onOpen={finish} onStep={goTo} />;

  return (
    <section className="page wizard" aria-labelledby="wizard-title">
      <p className="muted">{t('wizard.intro')}</p>
      <nav aria-label={t('wizard.progress')}>
        <ol className="wizard-steps">
          {steps.map((step, i) => {
            const state = stateOf(step);
            const Icon = state === 'done' ? CircleCheck : state === 'skipped' ? SkipForward : i === index ? CircleDot : CircleDashed;
            return (
              <li key={step} data-step={step} data-state={state}>
                <button type="button" className={`secondary ${state}`} aria-current={i === index ? 'step' : undefined} onClick={() => goTo(i)}>
                  <Icon size={18} aria-hidden="true" />
                  <span>{i + 1}. {t(stepTitle[step])}</span>
                  <span className="wizard-state">{t(`wizard.state.${state}`)}</span>
                </button>
              </li>
            );
          })}
        </ol>
      </nav>
      <div className="wizard-body" data-current={current ?? 'summary'}>
        <h2 ref={heading} tabIndex={-1}>
          {current ? t('wizard.stepOf', { n: index + 1, total: steps.length, title: t(stepTitle[current]) }) : t('wizard.summary')}
        </h2>
        {body}
      </div>
      <div className="row wizard-nav">
        {index > 0 && <button type="button" className="secondary" onClick={() => goTo(index - 1)}><ArrowLeft size={16} />{t('wizard.back')}</button>}
        <span className="spacer" />
        {current && stateOf(current) !== 'done' && (
          <button type="button" className="secondary" onClick={() => {
            mark(current, 'skipped');
            goTo(index + 1);
          }}><SkipForward size={16} />{t('wizard.skip')}</button>
        )}
        {current && stateOf(current) === 'done' && (
          <button type="button" onClick={() => goTo(index + 1)}>{index + 1 < steps.length ? t('wizard.next') : t('wizard.finish')}<ArrowRight size={16} /></button>
        )}
        {!current && <button type="button" onClick={() => finish('/')}>{t('wizard.openChat')}<ArrowRight size={16} /></button>}
      </div>
      {current && <p className="muted small"><button type="button" className="link" onClick={() => finish('/')}>{t('wizard.close')}</button></p>}
    </section>
  );
}
