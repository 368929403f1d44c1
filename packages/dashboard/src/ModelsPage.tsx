/**
 * Models: the fallback order (primary first) as a list to reorder by dragging a row's handle —
 * pointer events, so mouse, pen and touch alike — or with Move up / Move down from the keyboard;
 * each model's live state from the gateway (refreshed every 10 s while the page is shown, a
 * cooldown counting down), Test, edit, the models outside the order, and adding one.
 */
import { useCallback, useEffect, useRef, useState, type FormEvent, type PointerEvent as ReactPointerEvent, type ReactNode } from 'react';
import { ArrowDown, ArrowUp, FlaskConical, GripVertical, ListMinus, ListPlus, Pencil, Plus, Save, Star } from 'lucide-react';
import { api } from './api.js';
import { t } from './i18n.js';
import { ModelUsage } from './ModelUsage.js';

interface ModelEntry { model_name: string; model: string; api_base: string; api_keys: string[] }
/** The gateway's ModelStatus (core's gateway-api.ts), as much of it as this page shows. */
export interface ModelState {
  name: string;
  state: string;
  failures?: number;
  cooldownUntil?: string;
  lastError?: string;
  lastSuccessAt?: string;
  lastLatencyMs?: number;
  problem?: string;
  role: string;
}
export interface ModelsResponse { primary: string; fallbacks: string[]; models: ModelEntry[]; status?: ModelState[] }

/** How often the live state is asked for while the page is visible. */
export const REFRESH_MS = 10_000;

/** The list with the item at `from` moved to `to`. */
export const moveItem = (list: readonly string[], from: number, to: number) => {
  const copy = [...list];
  const [item] = copy.splice(from, 1);
  copy.splice(Math.max(0, Math.min(copy.length, to)), 0, item!);
  return copy;
};

/** What is left of a cooldown, rounded up: "4 min", "45 s". */
export function timeLeft(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return seconds >= 60 ? t('models.minutesLeft', { n: Math.ceil(seconds / 60) }) : t('models.secondsLeft', { n: seconds });
}

const positionLabel = (index: number) => (index === 0 ? t('models.positionPrimary') : t('models.positionFallback', { n: index }));

const when = (iso: string) => {
  const date = new Date(iso);
  return date.toDateString() === new Date().toDateString() ? date.toLocaleTimeString() : date.toLocaleString();
};

/** The state as a pill: a problem, a cooldown with the time left (from `now`), ready, or not used yet. */
export function StatusPill({ state, now }: { state: ModelState; now: number }) {
  if (state.problem) return <span className="badge bad" data-state="problem">{t('models.stateProblem')}</span>;
  if (state.state === 'cooling-down') {
    const left = state.cooldownUntil ? Date.parse(state.cooldownUntil) - now : NaN;
    if (Number.isNaN(left)) return <span className="badge bad" data-state="cooling-down">{t('models.cooling')}</span>;
    // Past its end the chain tries the model again: it is ready until the next refresh says otherwise.
    if (left > 0) return <span className="badge bad" data-state="cooling-down">{t('models.stateCooling', { left: timeLeft(left) })}</span>;
  }
  if (state.state === 'unused') return <span className="badge" data-state="unused">{t('models.stateUnused')}</span>;
  return <span className="badge ok" data-state="ready">{t('models.stateReady')}</span>;
}

/** Failures, the last answer and the last error (one line; the whole of it when opened). */
function Health({ state }: { state: ModelState }) {
  const failures = state.failures ?? 0;
  return (
    <>
      {(failures > 0 || state.lastSuccessAt) && (
        <div className="row small muted">
          {failures > 0 && <span>{failures === 1 ? t('models.failuresOne') : t('models.failures', { n: failures })}</span>}
          {state.lastSuccessAt && <span>{t('models.lastSuccess', { when: when(state.lastSuccessAt), ms: state.lastLatencyMs ?? '?' })}</span>}
        </div>
      )}
      {state.problem && <div className="muted">{state.problem}</div>}
      {state.lastError && (
        <details className="last-error small">
          <summary title={state.lastError}><span className="last-error-text">{t('models.lastError')}: {state.lastError}</span></summary>
        </details>
      )}
    </>
  );
}

/** The fields of a model; the key is write-only: empty means "keep the stored one". */
function ModelForm({ initial, onSubmit, submitLabel, icon }: { initial?: ModelEntry; onSubmit: (entry: { model_name: string; model: string; api_base: string; key: string }) => void; submitLabel: string; icon: ReactNode }) {
  const [form, setForm] = useState({ model_name: initial?.model_name ?? '', model: initial?.model ?? '', api_base: initial?.api_base ?? '', key: '' });
  // A stored key does not follow a new address (the launcher refuses it): ask for it again.
  const provider = (model: string) => (model.includes('/') ? model.split('/')[0] : '');
  const keyAgain = !!initial?.api_keys.some(Boolean) && (form.api_base.replace(/\/+$/, '') !== initial.api_base.replace(/\/+$/, '') || provider(form.model) !== provider(initial.model));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit(form);
  };
  return (
    <form onSubmit={submit} className="grid2">
      <label>{t('common.name')}<input value={form.model_name} onChange={(e) => setForm({ ...form, model_name: e.target.value })} required /></label>
      <label>{t('models.model')}<input value={form.model} onChange={(e) => setForm({ ...form, model: e.target.value })} placeholder="groq/llama-3.3-70b-versatile" required /></label>
      <label>{t('models.apiBase')}<input value={form.api_base} onChange={(e) => setForm({ ...form, api_base: e.target.value })} /></label>
      <label>{t('models.apiKey')}<input type="password" autoComplete="off" value={form.key} required={keyAgain} aria-describedby={keyAgain ? 'key-again' : undefined} placeholder={initial && !keyAgain ? (initial.api_keys.some(Boolean) ? t('common.set') : t('common.notSet')) : ''} onChange={(e) => setForm({ ...form, key: e.target.value })} />
        {keyAgain && <span id="key-again" className="muted" role="note">{t('models.keyAgain')}</span>}</label>
      <div><button type="submit">{icon}{submitLabel}</button></div>
    </form>
  );
}

export function ModelsPage() {
  const [data, setData] = useState<ModelsResponse>();
  const [results, setResults] = useState<Record<string, string>>({});
  const [editing, setEditing] = useState<string>();
  const [error, setError] = useState<string>();
  const [orderError, setOrderError] = useState<string>();
  const [announcement, setAnnouncement] = useState('');
  const [now, setNow] = useState(Date.now);
  /** Bumped by every load and save: an answer to an older load must not undo a newer order. */
  const generation = useRef(0);
  const saving = useRef(0);
  const load = useCallback(() => {
    const mine = ++generation.current;
    api<ModelsResponse>('/api/models').then(
      (next) => {
        if (mine === generation.current && saving.current === 0) setData(next);
      },
      (e: Error) => setError(e.message),
    );
  }, []);

  // The order being dragged (the saved one otherwise), and the drag itself.
  const [dragOrder, setDragOrder] = useState<string[]>();
  const dragOrderRef = useRef<string[] | undefined>(undefined);
  const drag = useRef<{ name: string; pointer: number; from: string[] } | undefined>(undefined);
  const rows = useRef(new Map<string, HTMLElement>());
  /** After a move from the keyboard: the button to give focus back to (its row moved in the DOM). */
  const focusAfter = useRef<{ name: string; up: boolean } | undefined>(undefined);

  useEffect(() => {
    load();
    // The live state every REFRESH_MS while the page is shown; nothing while the tab is hidden.
    let timer: ReturnType<typeof setInterval> | undefined;
    const tick = () => {
      if (!drag.current) load();
    };
    const schedule = () => {
      clearInterval(timer);
      timer = undefined;
      if (document.visibilityState !== 'hidden') timer = setInterval(tick, REFRESH_MS);
    };
    const onVisibility = () => {
      if (document.visibilityState !== 'hidden') tick();
      schedule();
    };
    schedule();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [load]);

  // A cooldown counts down each second (only while one is shown).
  const cooling = data?.status?.some((s) => s.state === 'cooling-down' && s.cooldownUntil) ?? false;
  useEffect(() => {
    if (!cooling) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [cooling]);

  useEffect(() => {
    const wanted = focusAfter.current;
    if (!wanted) return;
    focusAfter.current = undefined;
    const row = rows.current.get(wanted.name);
    const button = row?.querySelector<HTMLButtonElement>(`button[data-move="${wanted.up ? 'up' : 'down'}"]`) ?? row?.querySelector<HTMLButtonElement>('button[data-move]');
    button?.focus();
  });

  const test = (name: string) => {
    setResults((r) => ({ ...r, [name]: t('common.testing') }));
    api<{ ok: boolean; latency_ms: number; error?: string }>(`/api/models/${encodeURIComponent(name)}/test`, { method: 'POST' }).then(
      (res) => setResults((r) => ({ ...r, [name]: res.ok ? t('models.answered', { ms: res.latency_ms }) : t('common.failed', { error: res.error ?? '' }) })),
      (e: Error) => setResults((r) => ({ ...r, [name]: t('common.failed', { error: e.message }) })),
    );
  };
  /**
   * Saves a new order (primary first). It shows at once; a refusal puts the previous one back
   * and says why. `moved` is announced with its new place.
   */
  const saveOrder = (next: string[], moved?: string) => {
    if (!data) return;
    const before = { primary: data.primary, fallbacks: data.fallbacks };
    const after = { primary: next[0] ?? '', fallbacks: next.slice(1) };
    setData({ ...data, ...after });
    setOrderError(undefined);
    if (moved) setAnnouncement(t('models.movedTo', { name: moved, position: positionLabel(next.indexOf(moved)) }));
    generation.current++;
    saving.current++;
    api('/api/models-order', { method: 'PUT', body: after })
      .then(
        () => undefined,
        (e: Error) => {
          setData((current) => current && { ...current, ...before });
          setOrderError(t('models.orderFailed', { error: e.message }));
          setAnnouncement(t('models.orderFailed', { error: e.message }));
        },
      )
      .finally(() => {
        saving.current--;
        load();
      });
  };
  const add = (f: { model_name: string; model: string; api_base: string; key: string }) => {
    api('/api/models', { method: 'POST', body: { model_name: f.model_name, model: f.model, ...(f.api_base ? { api_base: f.api_base } : {}), api_keys: f.key ? [f.key] : [] } }).then(load, (e: Error) => setError(e.message));
  };
  const edit = (name: string, f: { model_name: string; model: string; api_base: string; key: string }) => {
    api(`/api/models/${encodeURIComponent(name)}`, { method: 'PUT', body: { model_name: f.model_name, model: f.model, api_base: f.api_base, ...(f.key ? { api_keys: [f.key] } : {}) } }).then(
      () => {
        setEditing(undefined);
        load();
      },
      (e: Error) => setError(e.message),
    );
  };

  if (!data) return <section className="page">{error ? <p role="alert" className="error">{error}</p> : t('common.loading')}</section>;
  const saved = [data.primary, ...data.fallbacks].filter(Boolean);
  const chain = dragOrder ?? saved;
  const others = data.models.filter((m) => !saved.includes(m.model_name));
  const state = (name: string) => data.status?.find((s) => s.name === name);

  const moveBy = (name: string, by: -1 | 1) => {
    const from = saved.indexOf(name);
    focusAfter.current = { name, up: by < 0 };
    saveOrder(moveItem(saved, from, from + by), name);
  };

  // Dragging: the handle captures the pointer; the row goes to the slot under it as it moves
  // (by the other rows' middles), and the order is saved when it is let go.
  const startDrag = (name: string) => (event: ReactPointerEvent<HTMLElement>) => {
    if (drag.current || (event.pointerType === 'mouse' && event.button !== 0)) return;
    event.preventDefault();
    try {
      event.currentTarget.setPointerCapture(event.pointerId);
    } catch {
      // not every environment captures (tests); moves still reach the handle while over it
    }
    drag.current = { name, pointer: event.pointerId, from: saved };
    dragOrderRef.current = saved;
    setDragOrder(saved);
  };
  const moveDrag = (event: ReactPointerEvent<HTMLElement>) => {
    const d = drag.current;
    const order = dragOrderRef.current;
    if (!d || !order || event.pointerId !== d.pointer) return;
    const rest = order.filter((n) => n !== d.name);
    let index = 0;
    for (const n of rest) {
      const box = rows.current.get(n)?.getBoundingClientRect();
      if (box && event.clientY > box.top + box.height / 2) index++;
    }
    const next = [...rest.slice(0, index), d.name, ...rest.slice(index)];
    if (next.some((n, i) => n !== order[i])) {
      dragOrderRef.current = next;
      setDragOrder(next);
    }
  };
  const endDrag = (cancelled: boolean) => (event: ReactPointerEvent<HTMLElement>) => {
    const d = drag.current;
    if (!d || event.pointerId !== d.pointer) return;
    const order = dragOrderRef.current ?? d.from;
    drag.current = undefined;
    dragOrderRef.current = undefined;
    setDragOrder(undefined);
    if (!cancelled && order.some((n, i) => n !== d.from[i])) saveOrder(order, d.name);
  };

  const row = (name: string, position: number) => {
    const m = data.models.find((entry) => entry.model_name === name);
    const s = state(name);
    const inChain = position >= 0;
    return (
      <li
        className={`item model-row ${drag.current?.name === name ? 'dragging' : ''}`}
        key={name}
        data-model={name}
        ref={(element) => {
          if (!inChain) return;
          if (element) rows.current.set(name, element);
          else rows.current.delete(name);
        }}
      >
        <div className="row">
          {inChain && (
            <span className="drag-handle" title={t('models.dragHandle', { name })} aria-hidden="true" onPointerDown={startDrag(name)} onPointerMove={moveDrag} onPointerUp={endDrag(false)} onPointerCancel={endDrag(true)}>
              <GripVertical size={18} />
            </span>
          )}
          {inChain && <span className={`badge position ${position === 0 ? 'ok' : ''}`}>{positionLabel(position)}</span>}
          <strong>{name}</strong>
          {m && <span className="muted">{m.model}</span>}
          {s && <StatusPill state={s} now={now} />}
          {m && <span className="muted small">{m.api_keys.some((k) => k) ? t('models.keySet') : t('models.keyNotSet')}</span>}
        </div>
        {s && <Health state={s} />}
        <div className="row">
          {m && <button type="button" className="secondary" onClick={() => test(name)}><FlaskConical size={16} />{t('common.test')}</button>}
          {m && <button type="button" className="secondary" onClick={() => setEditing(editing === name ? undefined : name)} aria-expanded={editing === name}><Pencil size={16} />{t('models.edit')}</button>}
          {inChain && position > 0 && <button type="button" className="secondary" data-move="up" aria-label={t('models.moveUp', { name })} title={t('models.moveUp', { name })} onClick={() => moveBy(name, -1)}><ArrowUp size={16} /></button>}
          {inChain && position < chain.length - 1 && <button type="button" className="secondary" data-move="down" aria-label={t('models.moveDown', { name })} title={t('models.moveDown', { name })} onClick={() => moveBy(name, 1)}><ArrowDown size={16} /></button>}
          {position !== 0 && <button type="button" className="secondary" onClick={() => saveOrder([name, ...saved.filter((n) => n !== name)], name)}><Star size={16} />{t('models.makePrimary')}</button>}
          {!inChain && <button type="button" className="secondary" onClick={() => saveOrder([...saved, name], name)}><ListPlus size={16} />{t('models.useAsFallback')}</button>}
          {position > 0 && <button type="button" className="secondary" onClick={() => saveOrder(saved.filter((n) => n !== name))}><ListMinus size={16} />{t('models.notFallback')}</button>}
          {results[name] && <span role="status">{results[name]}</span>}
        </div>
        {m && editing === name && <ModelForm initial={m} submitLabel={t('common.save')} icon={<Save size={16} />} onSubmit={(f) => edit(name, f)} />}
      </li>
    );
  };

  return (
    <section className="page" aria-labelledby="models-title">
      {error && <p role="alert" className="error">{error}</p>}
      <p className="muted">{t('models.intro')}</p>
      <section className="models-chain" aria-labelledby="chain-title">
        <h2 id="chain-title">{t('models.chainTitle')}</h2>
        <p className="muted small">{t('models.chainHelp')}{data.status ? '' : ` ${t('models.noStatus')}`}</p>
        {orderError && <p role="alert" className="error">{orderError}</p>}
        <ol className="model-list" aria-labelledby="chain-title">{chain.map((name, i) => row(name, i))}</ol>
        <p className="visually-hidden" aria-live="polite">{announcement}</p>
      </section>
      {others.length > 0 && (
        <section className="models-chain" aria-labelledby="others-title">
          <h2 id="others-title">{t('models.others')}</h2>
          <p className="muted small">{t('models.othersHelp')}</p>
          <ul className="model-list">{others.map((m) => row(m.model_name, -1))}</ul>
        </section>
      )}
      <div className="item" aria-label={t('models.add')} role="group">
        <strong>{t('models.add')}</strong>
        <ModelForm key={data.models.length} submitLabel={t('models.addButton')} icon={<Plus size={16} />} onSubmit={add} />
      </div>
      <ModelUsage />
    </section>
  );
}
