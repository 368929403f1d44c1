/** Models: the primary and fallbacks in order, each model's state, Test, edit, and adding one. */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from './api.js';
import { t } from './i18n.js';
import { ModelUsage } from './ModelUsage.js';

interface ModelEntry { model_name: string; model: string; api_base: string; api_keys: string[] }
interface ModelState { name: string; state: string; lastError?: string; problem?: string; role: string }
interface ModelsResponse { primary: string; fallbacks: string[]; models: ModelEntry[]; status?: ModelState[] }

/** The list with item `index` moved by `by` places. */
const move = (list: string[], index: number, by: number) => {
  const copy = [...list];
  const [item] = copy.splice(index, 1);
  copy.splice(index + by, 0, item!);
  return copy;
};

/** The fields of a model; the key is write-only: empty means "keep the stored one". */
function ModelForm({ initial, onSubmit, submitLabel }: { initial?: ModelEntry; onSubmit: (entry: { model_name: string; model: string; api_base: string; key: string }) => void; submitLabel: string }) {
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
      <div><button type="submit">{submitLabel}</button></div>
    </form>
  );
}

export function ModelsPage() {
  const [data, setData] = useState<ModelsResponse>();
  const [results, setResults] = useState<Record<string, string>>({});
  const [editing, setEditing] = useState<string>();
  const [error, setError] = useState<string>();
  const load = useCallback(() => {
    api<ModelsResponse>('/api/models').then(setData, (e: Error) => setError(e.message));
  }, []);
  useEffect(() => {
    load();
  }, [load]);

  const test = (name: string) => {
    setResults((r) => ({ ...r, [name]: t('common.testing') }));
    api<{ ok: boolean; latency_ms: number; error?: string }>(`/api/models/${encodeURIComponent(name)}/test`, { method: 'POST' }).then(
      (res) => setResults((r) => ({ ...r, [name]: res.ok ? t('models.answered', { ms: res.latency_ms }) : t('common.failed', { error: res.error ?? '' }) })),
      (e: Error) => setResults((r) => ({ ...r, [name]: t('common.failed', { error: e.message }) })),
    );
  };
  const order = (primary: string, fallbacks: string[]) => {
    api('/api/models-order', { method: 'PUT', body: { primary, fallbacks } }).then(load, (e: Error) => setError(e.message));
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
  const chain = [data.primary, ...data.fallbacks].filter(Boolean);
  const state = (name: string) => data.status?.find((s) => s.name === name);
  return (
    <section className="page" aria-labelledby="models-title">
      {error && <p role="alert" className="error">{error}</p>}
      <p className="muted">{t('models.intro')}</p>
      {data.models.map((m) => {
        const position = chain.indexOf(m.model_name);
        const s = state(m.model_name);
        return (
          <div className="item" key={m.model_name} data-model={m.model_name}>
            <div className="row">
              <strong>{m.model_name}</strong>
              <span className="muted">{m.model}</span>
              {position === 0 && <span className="badge ok">{t('models.primary')}</span>}
              {position > 0 && <span className="badge">{t('models.fallback', { n: position })}</span>}
              {s?.state === 'cooling-down' && <span className="badge bad">{t('models.cooling')}</span>}
              <span className="muted">{m.api_keys.some((k) => k) ? t('models.keySet') : t('models.keyNotSet')}</span>
            </div>
            {(s?.problem ?? s?.lastError) && <div className="muted">{s?.problem ?? s?.lastError}</div>}
            <div className="row">
              <button type="button" className="secondary" onClick={() => test(m.model_name)}>{t('common.test')}</button>
              <button type="button" className="secondary" onClick={() => setEditing(editing === m.model_name ? undefined : m.model_name)} aria-expanded={editing === m.model_name}>{t('models.edit')}</button>
              {position !== 0 && <button type="button" className="secondary" onClick={() => order(m.model_name, chain.filter((n) => n !== m.model_name))}>{t('models.makePrimary')}</button>}
              {position < 0 && <button type="button" className="secondary" onClick={() => order(data.primary, [...data.fallbacks, m.model_name])}>{t('models.useAsFallback')}</button>}
              {position > 1 && <button type="button" className="secondary" aria-label={t('models.moveUp', { name: m.model_name })} onClick={() => order(data.primary, move(data.fallbacks, position - 1, -1))}>↑</button>}
              {position > 0 && position < chain.length - 1 && <button type="button" className="secondary" aria-label={t('models.moveDown', { name: m.model_name })} onClick={() => order(data.primary, move(data.fallbacks, position - 1, 1))}>↓</button>}
              {position > 0 && <button type="button" className="secondary" onClick={() => order(data.primary, data.fallbacks.filter((f) => f !== m.model_name))}>{t('models.notFallback')}</button>}
              {results[m.model_name] && <span role="status">{results[m.model_name]}</span>}
            </div>
            {editing === m.model_name && <ModelForm initial={m} submitLabel={t('common.save')} onSubmit={(f) => edit(m.model_name, f)} />}
          </div>
        );
      })}
      <div className="item" aria-label={t('models.add')} role="group">
        <strong>{t('models.add')}</strong>
        <ModelForm key={data.models.length} submitLabel={t('models.addButton')} onSubmit={add} />
      </div>
      <ModelUsage />
    </section>
  );
}
