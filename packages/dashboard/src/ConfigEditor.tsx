/**
 * The raw config editor (Settings): config.json as the API gives it (secrets redacted), checked as
 * it is typed — JSON syntax at once, here; then, debounced, by the launcher's
 * POST /api/config/validate, which runs core's schema and cross-field rules, the ones a save runs —
 * a line diff to review, and a save that refuses to overwrite a file changed since it was loaded
 * (If-Match). Its own chunk: loaded when the editor is opened.
 */
import { ArrowLeft, FileDiff, Info, RotateCcw, Save, TriangleAlert } from 'lucide-react';
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { collapseDiff, diffLines, leadingPath, lineColumn, locatePath, prettyJson, scanJson, type DiffRow, type JsonProblem } from './config-text.js';
import { t, type MessageKey } from './i18n.js';

interface Issue { path: string; message: string }
interface Loaded { text: string; revision: string }
type Check = { state: 'pending' } | { state: 'done'; issues: Issue[]; warnings: string[] } | { state: 'failed'; error: string };
type ReloadAnswer = { status?: string; changes?: string[]; restart_required?: string[]; warnings?: string[]; error?: string; issues?: Issue[] };
type Outcome = { kind: 'saved'; text: string; detail: string[] } | { kind: 'refused'; text: string; issues: Issue[] } | { kind: 'conflict'; text: string };

const VALIDATE_DELAY_MS = 400;

/**
 * Unsaved edits outlive the editor (closed, or another dashboard page opened) for as long as the
 * tab: in memory only, never in storage, since they may hold a secret just typed. Saved against
 * the revision they were made on, so a save after a change on disk still gets the 409.
 */
let draft: { loaded: Loaded; text: string } | undefined;
/** Forgets the kept edits (tests). */
export const forgetDraft = () => void (draft = undefined);

/** The sentence for a JSON syntax error, with its place. */
export function describeProblem(problem: JsonProblem): string {
  const expected = t(`editor.expected.${problem.expected}` as MessageKey);
  const what = problem.found ? t('editor.syntaxFound', { found: JSON.stringify(problem.found), expected }) : t('editor.syntaxEnd', { expected });
  return t('editor.syntax', { line: problem.line, column: problem.column, what });
}

/** The review: changed lines marked + and − (not by colour alone) with their line numbers, unchanged runs collapsed. */
export function DiffView({ rows }: { rows: DiffRow[] }) {
  if (rows.length === 0) return <p role="status">{t('editor.noChanges')}</p>;
  return (
    <div className="config-diff" role="region" aria-label={t('editor.diffLabel')} tabIndex={0}>
      {rows.map((row, i) => {
        if (row.kind === 'skip') return <div key={i} className="skip">{t('editor.unchanged', { n: row.count })}</div>;
        const Tag = row.kind === '+' ? 'ins' : row.kind === '-' ? 'del' : 'div';
        return (
          <Tag key={i} className={row.kind === '+' ? 'add' : row.kind === '-' ? 'remove' : 'same'}>
            <span className="num" aria-hidden="true">{row.old ?? ''}</span>
            <span className="num" aria-hidden="true">{row.new ?? ''}</span>
            <span className="mark">{row.kind === ' ' ? ' ' : row.kind === '+' ? '+' : '-'}</span>
            <span className="text">{row.text || ' '}</span>
          </Tag>
        );
      })}
    </div>
  );
}

async function request(path: string, init: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(path, { credentials: 'same-origin', ...init });
  const text = await response.text();
  try {
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  } catch {
    return { status: response.status, body: { error: `HTTP ${response.status}` } };
  }
}

function reloadDetail(reload: ReloadAnswer | undefined): string[] {
  if (!reload || reload.status === 'gateway not running') return [t('editor.notRunning')];
  if (reload.error) return [t('editor.reloadFailed', { error: reload.error }), ...(reload.issues ?? []).map((i) => `${i.path}: ${i.message}`)];
  return [
    t('editor.reloaded', { n: reload.changes?.length ?? 0 }),
    ...(reload.restart_required?.length ? [t('editor.restartNeeded', { keys: reload.restart_required.join(', ') })] : []),
    ...(reload.warnings ?? []),
  ];
}

export function ConfigEditor() {
  const [loaded, setLoaded] = useState<Loaded | undefined>(() => draft?.loaded);
  const [loadError, setLoadError] = useState<{ error: string; issues: Issue[] }>();
  const [text, setText] = useState(() => draft?.text ?? '');
  const [restored, setRestored] = useState(() => draft !== undefined);
  const [check, setCheck] = useState<Check>();
  const [reviewing, setReviewing] = useState(false);
  const [saving, setSaving] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>();
  const editor = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  // Escape, then Tab: Tab leaves the editor instead of indenting (no keyboard trap).
  const tabLeaves = useRef(false);

  const load = useCallback(async () => {
    const { status, body } = await request('/api/config', {}).catch((e: Error) => ({ status: 0, body: { error: e.message } as Record<string, unknown> }));
    if (status !== 200) {
      setLoadError({ error: String(body.error ?? `HTTP ${status}`), issues: (body.issues as Issue[] | undefined) ?? [] });
      return;
    }
    const next = { text: `${prettyJson(body.config)}\n`, revision: String(body.revision ?? '') };
    setLoadError(undefined);
    setLoaded(next);
    setText(next.text);
    setRestored(false);
    setReviewing(false);
  }, []);
  useEffect(() => {
    if (!draft) void load();
  }, [load]);
  const latest = useRef({ loaded, text });
  useEffect(() => {
    latest.current = { loaded, text };
  });
  useEffect(() => () => {
    const { loaded: base, text: edited } = latest.current;
    if (base) draft = edited !== base.text ? { loaded: base, text: edited } : undefined;
  }, []);

  const scan = useMemo(() => scanJson(text), [text]);
  const parsed = useMemo((): { ok: true; value: unknown } | { ok: false } => {
    try {
      return { ok: true, value: JSON.parse(text) as unknown };
    } catch {
      return { ok: false };
    }
  }, [text]);
  const dirty = loaded !== undefined && text !== loaded.text;

  // The server's verdict, debounced and aborted when the text changes again.
  useEffect(() => {
    if (!loaded || !parsed.ok) return setCheck(undefined);
    setCheck({ state: 'pending' });
    const abort = new AbortController();
    const timer = setTimeout(() => {
      request('/api/config/validate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(parsed.value), signal: abort.signal }).then(
        ({ status, body }) => {
          if (status === 200 || (status === 400 && Array.isArray(body.issues))) setCheck({ state: 'done', issues: (body.issues as Issue[] | undefined) ?? [], warnings: (body.warnings as string[] | undefined) ?? [] });
          else setCheck({ state: 'failed', error: String(body.error ?? `HTTP ${status}`) });
        },
        (e: Error) => {
          if (!abort.signal.aborted) setCheck({ state: 'failed', error: e.message });
        },
      );
    }, VALIDATE_DELAY_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [parsed, loaded]);

  // Unsaved edits are not lost to a closed tab or a reload without a question.
  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      event.returnValue = '';
    };
    addEventListener('beforeunload', warn);
    return () => removeEventListener('beforeunload', warn);
  }, [dirty]);

  const problem = parsed.ok ? undefined : scan.problem;
  // A refused save's issues stand until the text changes; then the server's check of the new text.
  const issues = outcome?.kind === 'refused' ? outcome.issues : check?.state === 'done' ? check.issues : [];
  const warnings = check?.state === 'done' ? check.warnings : [];
  const badLines = useMemo(() => {
    const lines = new Set<number>();
    if (problem) lines.add(problem.line);
    for (const issue of issues) {
      const at = locatePath(scan.keys, issue.path);
      if (at !== undefined) lines.add(lineColumn(text, at).line);
    }
    return lines;
  }, [problem, issues, scan, text]);
  const lineCount = useMemo(() => text.split('\n').length, [text]);

  /** Puts the cursor at `offset` and scrolls its line into view. */
  const goTo = (offset: number) => {
    const area = editor.current;
    if (!area) return;
    area.focus();
    area.setSelectionRange(offset, offset);
    const lineHeight = parseFloat(getComputedStyle(area).lineHeight) || 20;
    area.scrollTop = Math.max(0, (lineColumn(text, offset).line - 1) * lineHeight - area.clientHeight / 3);
    if (gutter.current) gutter.current.scrollTop = area.scrollTop;
  };
  const goToPath = (path: string | undefined) => {
    const at = path === undefined ? undefined : locatePath(scan.keys, path);
    if (at !== undefined) goTo(at);
  };

  /** Replaces the selection, through the browser's own editing when it has it (so Ctrl+Z undoes it). */
  const replaceSelection = (area: HTMLTextAreaElement, start: number, end: number, insert: string, select: [number, number]) => {
    area.setSelectionRange(start, end);
    if (!document.execCommand?.('insertText', false, insert)) {
      area.setRangeText(insert, start, end);
      setText(area.value);
    }
    area.setSelectionRange(...select);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Escape') return void (tabLeaves.current = true);
    if (event.key !== 'Tab') {
      if (event.key !== 'Shift') tabLeaves.current = false;
      return;
    }
    if (tabLeaves.current) return void (tabLeaves.current = false);
    event.preventDefault();
    const area = event.currentTarget;
    const { selectionStart: start, selectionEnd: end, value } = area;
    if (!event.shiftKey && !value.slice(start, end).includes('\n')) {
      replaceSelection(area, start, end, '  ', [start + 2, start + 2]);
      return;
    }
    // Several lines selected, or Shift+Tab: indent or outdent whole lines by two spaces.
    const from = value.lastIndexOf('\n', start - 1) + 1;
    const block = value.slice(from, end);
    const next = event.shiftKey ? block.replace(/^ {1,2}/gm, '') : block.replace(/^/gm, '  ');
    replaceSelection(area, from, end, next, [from, from + next.length]);
  };

  const diff = useMemo(() => (reviewing && loaded && parsed.ok ? collapseDiff(diffLines(loaded.text.trimEnd(), prettyJson(parsed.value))) : []), [reviewing, loaded, parsed]);

  const save = async () => {
    if (!loaded || !parsed.ok) return;
    setSaving(true);
    const { status, body } = await request('/api/config', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...(loaded.revision ? { 'if-match': `"${loaded.revision}"` } : {}) },
      body: JSON.stringify(parsed.value),
    }).catch((e: Error) => ({ status: 0, body: { error: e.message } as Record<string, unknown> }));
    setSaving(false);
    setReviewing(false);
    if (status === 200) {
      setOutcome({ kind: 'saved', text: t('editor.saved'), detail: reloadDetail(body.reload as ReloadAnswer | undefined) });
      await load();
    } else if (status === 409) {
      setOutcome({ kind: 'conflict', text: String(body.error ?? t('editor.conflict')) });
    } else {
      setOutcome({ kind: 'refused', text: t('common.notSaved', { error: String(body.error ?? `HTTP ${status}`) }), issues: (body.issues as Issue[] | undefined) ?? [] });
    }
  };

  if (loadError) {
    return (
      <div role="alert">
        <p className="error">{t('editor.loadFailed', { error: loadError.error })}</p>
        {loadError.issues.length > 0 && <ul>{loadError.issues.map((i) => <li key={`${i.path}:${i.message}`}><code>{i.path}</code>: {i.message}</li>)}</ul>}
      </div>
    );
  }
  if (!loaded) return <p className="muted">{t('common.loading')}</p>;

  const summary = problem
    ? describeProblem(problem)
    : check?.state === 'pending'
      ? t('editor.checking')
      : check?.state === 'failed'
        ? t('editor.checkFailed', { error: check.error })
        : issues.length
          ? t('editor.problems', { n: issues.length })
          : check?.state === 'done'
            ? t('editor.valid')
            : '';

  return (
    <div className="config-editor">
      <p className="muted small" id="config-editor-hint">{t('editor.hint')}</p>
      {restored && dirty && <p className="small" role="status">{t('editor.restored')}</p>}
      {reviewing ? (
        <>
          <DiffView rows={diff} />
          <div className="row">
            <button type="button" className="secondary" onClick={() => setReviewing(false)}><ArrowLeft size={16} aria-hidden="true" />{t('editor.back')}</button>
            <button type="button" onClick={() => void save()} disabled={saving || diff.length === 0}><Save size={16} aria-hidden="true" />{saving ? t('editor.saving') : t('editor.save')}</button>
          </div>
        </>
      ) : (
        <>
          <label htmlFor="config-editor-text" className="small">{t('editor.label')}</label>
          <div className="code-editor">
            <div className="gutter" ref={gutter} aria-hidden="true">
              {Array.from({ length: lineCount }, (_, i) => (
                <div key={i} className={badLines.has(i + 1) ? 'bad' : undefined}>{badLines.has(i + 1) ? '! ' : ''}{i + 1}</div>
              ))}
            </div>
            <textarea
              id="config-editor-text"
              ref={editor}
              value={text}
              wrap="off"
              spellCheck={false}
              autoCapitalize="off"
              autoCorrect="off"
              aria-describedby="config-editor-hint config-editor-status"
              aria-invalid={!!problem || issues.length > 0}
              onChange={(e) => {
                setText(e.target.value);
                if (outcome?.kind !== 'conflict') setOutcome(undefined);
              }}
              onKeyDown={onKeyDown}
              onScroll={(e) => {
                if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
              }}
            />
          </div>
          <div className="row">
            <button type="button" onClick={() => {
              setOutcome(undefined);
              setReviewing(true);
            }} disabled={!parsed.ok}><FileDiff size={16} aria-hidden="true" />{t('editor.review')}</button>
            <button type="button" className="secondary" onClick={() => setText(loaded.text)} disabled={!dirty}><RotateCcw size={16} aria-hidden="true" />{t('editor.discard')}</button>
          </div>
        </>
      )}
      <div id="config-editor-status" role="status" aria-live="polite" className={problem || issues.length || check?.state === 'failed' ? 'error' : 'muted'}>
        {problem ? <button type="button" className="link" onClick={() => goTo(problem.offset)}>{summary}</button> : summary}
      </div>
      {(issues.length > 0 || warnings.length > 0) && (
        <ul className="config-issues" aria-label={t('editor.issuesLabel')}>
          {issues.map((issue) => (
            <li key={`${issue.path}:${issue.message}`}>
              <button type="button" className="link" onClick={() => goToPath(issue.path)}>
                <TriangleAlert size={14} aria-hidden="true" /><code>{issue.path || t('editor.document')}</code>: {issue.message}
              </button>
            </li>
          ))}
          {warnings.map((warning) => (
            <li key={warning} className="warn">
              <button type="button" className="link" onClick={() => goToPath(leadingPath(warning))}><Info size={14} aria-hidden="true" />{t('editor.warning')}: {warning}</button>
            </li>
          ))}
        </ul>
      )}
      {outcome && (
        <div role={outcome.kind === 'saved' ? 'status' : 'alert'} className={outcome.kind === 'saved' ? undefined : 'error'}>
          <p>{outcome.text}</p>
          {outcome.kind === 'saved' && outcome.detail.map((line) => <p key={line} className="muted small">{line}</p>)}
          {outcome.kind === 'conflict' && (
            <button type="button" className="secondary" onClick={() => {
              setOutcome(undefined);
              void load();
            }}><RotateCcw size={16} aria-hidden="true" />{t('editor.loadAgain')}</button>
          )}
        </div>
      )}
    </div>
  );
}
