/** Skills: what is installed (name, description, where from), its SKILL.md, remove; install from a git URL, a folder or a registry. */
import { useCallback, useEffect, useState, type FormEvent, type SyntheticEvent } from 'react';
import { api } from './api.js';
import { t } from './i18n.js';
import { Download, Trash2 } from 'lucide-react';

interface Skill { name: string; description: string; source: 'workspace' | 'global'; path: string; origin?: string }
interface SkillsResponse { skills: Skill[]; dirs: { workspace: string; global: string } }

function SkillBody({ name }: { name: string }) {
  const [body, setBody] = useState<string>();
  const [error, setError] = useState<string>();
  const open = (event: SyntheticEvent<HTMLDetailsElement>) => {
    if (event.currentTarget.open && body === undefined) api<{ body: string }>(`/api/skills/${encodeURIComponent(name)}`).then((r) => setBody(r.body), (e: Error) => setError(e.message));
  };
  return (
    <details onToggle={open}>
      <summary>{t('skills.show')}</summary>
      {error ? <div className="error">{error}</div> : <pre className="skill-body">{body ?? t('common.loading')}</pre>}
    </details>
  );
}

export function SkillsPage() {
  const [data, setData] = useState<SkillsResponse>();
  const [error, setError] = useState<string>();
  const [source, setSource] = useState('');
  const [force, setForce] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string }>();
  const load = useCallback(() => {
    api<SkillsResponse>('/api/skills').then(
      (r) => {
        setData(r);
        setError(undefined);
      },
      (e: Error) => setError(e.message),
    );
  }, []);
  useEffect(load, [load]);

  const install = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setResult({ ok: true, text: t('skills.installing') });
    api<{ installed: { name: string; files: number } }>('/api/skills/install', { method: 'POST', body: { source: source.trim(), force } }).then(
      (r) => {
        setResult({ ok: true, text: t('skills.installed', { name: r.installed.name, files: r.installed.files }) });
        setSource('');
        setForce(false);
        load();
      },
      (e: Error) => setResult({ ok: false, text: t('skills.failed', { error: e.message }) }),
    ).finally(() => setBusy(false));
  };
  const remove = (skill: Skill) => {
    if (!confirm(t('skills.removeConfirm', { name: skill.name }))) return;
    api<{ moved_to: string }>(`/api/skills/${encodeURIComponent(skill.name)}`, { method: 'DELETE' }).then(
      (r) => {
        setResult({ ok: true, text: t('skills.removed', { name: skill.name, path: r.moved_to }) });
        load();
      },
      (e: Error) => setResult({ ok: false, text: e.message }),
    );
  };

  return (
    <section className="page" aria-labelledby="skills-title">
      <p className="muted">{t('skills.intro')}</p>
      {error && <p className="error" role="alert">{error}</p>}
      {data && data.skills.length === 0 && <p>{t('skills.empty')}</p>}
      {data?.skills.map((s) => (
        <div className="item" key={s.name} data-skill={s.name}>
          <div className="row">
            <strong>{s.name}</strong>
            <span className="badge">{t(s.source === 'workspace' ? 'skills.workspace' : 'skills.global')}</span>
            {s.origin && <span className="muted">{t('skills.from', { origin: s.origin })}</span>}
          </div>
          <div>{s.description}</div>
          <SkillBody name={s.name} />
          {s.source === 'workspace' ? (
            <div className="row"><button type="button" className="secondary" onClick={() => remove(s)} aria-label={`${t('skills.remove')} ${s.name}`}><Trash2 size={16} />{t('skills.remove')}</button></div>
          ) : (
            <div className="muted">{t('skills.globalHint', { dir: data.dirs.global })}</div>
          )}
        </div>
      ))}
      <form className="item" onSubmit={install} aria-label={t('skills.installLabel')}>
        <strong>{t('skills.install')}</strong>
        <label>
          {t('skills.source')}
          <input value={source} onChange={(e) => setSource(e.target.value)} required spellCheck={false} autoComplete="off" placeholder="https://github.com/owner/repo.git" />
        </label>
        <span className="muted">{t('skills.sourceHint')}</span>
        <label className="row"><input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} /> {t('skills.force')}</label>
        <div className="row">
          <button type="submit" disabled={busy}><Download size={16} />{t('skills.installButton')}</button>
          {result && <span role={result.ok ? 'status' : 'alert'} className={result.ok ? undefined : 'error'} aria-busy={busy}>{result.text}</span>}
        </div>
      </form>
    </section>
  );
}
