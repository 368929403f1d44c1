/** Models: the primary and fallbacks in order, each model's state, a Test button, and adding one. */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from './api.js';

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

export function ModelsPage() {
  const [data, setData] = useState<ModelsResponse>();
  const [results, setResults] = useState<Record<string, string>>({});
  const [error, setError] = useState<string>();
  const load = useCallback(() => {
    api<ModelsResponse>('/api/models').then(setData, (e: Error) => setError(e.message));
  }, []);
  useEffect(() => {
    load();
  }, [load]);

  const test = (name: string) => {
    setResults((r) => ({ ...r, [name]: 'testing…' }));
    api<{ ok: boolean; latency_ms: number; error?: string }>(`/api/models/${encodeURIComponent(name)}/test`, { method: 'POST' }).then(
      (t) => setResults((r) => ({ ...r, [name]: t.ok ? `answered in ${t.latency_ms} ms` : `failed: ${t.error}` })),
      (e: Error) => setResults((r) => ({ ...r, [name]: `failed: ${e.message}` })),
    );
  };
  const order = (primary: string, fallbacks: string[]) => {
    api('/api/models-order', { method: 'PUT', body: { primary, fallbacks } }).then(load, (e: Error) => setError(e.message));
  };

  const [form, setForm] = useState({ model_name: '', model: '', api_base: '', key: '' });
  const add = (event: FormEvent) => {
    event.preventDefault();
    api('/api/models', { method: 'POST', body: { model_name: form.model_name, model: form.model, ...(form.api_base ? { api_base: form.api_base } : {}), api_keys: form.key ? [form.key] : [] } }).then(
      () => {
        setForm({ model_name: '', model: '', api_base: '', key: '' });
        load();
      },
      (e: Error) => setError(e.message),
    );
  };

  if (!data) return <section className="page">{error ? <p role="alert" className="error">{error}</p> : 'Loading…'}</section>;
  const chain = [data.primary, ...data.fallbacks].filter(Boolean);
  const state = (name: string) => data.status?.find((s) => s.name === name);
  return (
    <section className="page" aria-labelledby="models-title">
      <h2 id="models-title">Models</h2>
      {error && <p role="alert" className="error">{error}</p>}
      <p className="muted">Answers come from the first model; when it fails, the next one answers.</p>
      {data.models.map((m) => {
        const position = chain.indexOf(m.model_name);
        const s = state(m.model_name);
        return (
          <div className="item" key={m.model_name} data-model={m.model_name}>
            <div className="row">
              <strong>{m.model_name}</strong>
              <span className="muted">{m.model}</span>
              {position === 0 && <span className="badge ok">primary</span>}
              {position > 0 && <span className="badge">fallback {position}</span>}
              {s?.state === 'cooling-down' && <span className="badge bad">cooling down</span>}
              <span className="muted">key {m.api_keys.some((k) => k) ? 'set' : 'not set'}</span>
            </div>
            {(s?.problem ?? s?.lastError) && <div className="muted">{s?.problem ?? s?.lastError}</div>}
            <div className="row">
              <button type="button" className="secondary" onClick={() => test(m.model_name)}>Test</button>
              {position !== 0 && <button type="button" className="secondary" onClick={() => order(m.model_name, chain.filter((n) => n !== m.model_name))}>Make primary</button>}
              {position < 0 && <button type="button" className="secondary" onClick={() => order(data.primary, [...data.fallbacks, m.model_name])}>Use as fallback</button>}
              {position > 1 && <button type="button" className="secondary" aria-label={`Move ${m.model_name} up`} onClick={() => order(data.primary, move(data.fallbacks, position - 1, -1))}>↑</button>}
              {position > 0 && position < chain.length - 1 && <button type="button" className="secondary" aria-label={`Move ${m.model_name} down`} onClick={() => order(data.primary, move(data.fallbacks, position - 1, 1))}>↓</button>}
              {position > 0 && <button type="button" className="secondary" onClick={() => order(data.primary, data.fallbacks.filter((f) => f !== m.model_name))}>Not a fallback</button>}
              {results[m.model_name] && <span role="status">{results[m.model_name]}</span>}
            </div>
          </div>
        );
      })}
      <form className="item" onSubmit={add} aria-label="Add a model">
        <strong>Add a model</strong>
        <div className="grid2">
          <label>Name<input value={form.model_name} onChange={(e) => setForm({ ...form, model_name: e.target.value })} required /></label>
          <label>Model (vendor/id)<input value={form.model} onChange={(e) => setForm({ ...form, model: e.target.value })} placeholder="groq/llama-3.3-70b-versatile" required /></label>
          <label>API base (optional)<input value={form.api_base} onChange={(e) => setForm({ ...form, api_base: e.target.value })} /></label>
          <label>API key<input type="password" autoComplete="off" value={form.key} onChange={(e) => setForm({ ...form, key: e.target.value })} /></label>
        </div>
        <div><button type="submit">Add</button></div>
      </form>
    </section>
  );
}
