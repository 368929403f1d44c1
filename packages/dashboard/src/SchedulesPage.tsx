/**
 * Schedules: the gateway's jobs (reminders, routines) with their next and last run, and a form
 * that says in words when a new job will run before it is created — the gateway's own preview of
 * the next runs (so the page and the scheduler never disagree) and, for cron expressions, a
 * sentence. Loaded on demand (its own chunk, cronstrue included): the chat does not pay for it.
 */
import cronstrue from 'cronstrue';
import 'cronstrue/locales/es';
import { cloneElement, useCallback, useEffect, useId, useRef, useState, type FormEvent, type ReactElement, type ReactNode } from 'react';
import { api, schedulesApi, type HeartbeatConfig, type HeartbeatOutcome, type NewSchedule, type ScheduleJob, type ScheduleList, type SchedulePreview, type ScheduleSpec, type ScheduleTarget } from './api.js';
import { language, t, type MessageKey } from './i18n.js';
import { HeartPulse, Pencil, Play, Plus, Save, Settings, Trash2, X } from 'lucide-react';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const units = { minutes: MINUTE, hours: HOUR, days: DAY } as const;
type Unit = keyof typeof units;

/** The browser's own locale when it speaks the dashboard's language (en-GB keeps its 24-hour clock). */
const locale = typeof navigator !== 'undefined' && navigator.language?.toLowerCase().startsWith(language) ? navigator.language : language;
const hour12 = new Intl.DateTimeFormat(locale, { hour: 'numeric' }).resolvedOptions().hour12 ?? false;

/** A cron expression in words ("At 11:00 PM"), or undefined when cronstrue cannot read it (the preview then says why). */
export function describeCron(expr: string): string | undefined {
  try {
    return cronstrue.toString(expr.trim(), { locale: language, use24HourTimeFormat: !hour12, throwExceptionOnParseError: true });
  } catch {
    return undefined;
  }
}

export function describeEvery(ms: number): string {
  const [unit, size] = ms % DAY === 0 ? (['Day', DAY] as const) : ms % HOUR === 0 ? (['Hour', HOUR] as const) : ms % MINUTE === 0 ? (['Minute', MINUTE] as const) : (['Second', SECOND] as const);
  const n = Math.max(1, Math.round(ms / size));
  return n === 1 ? t(`schedules.every${unit}`) : t(`schedules.every${unit}s`, { n });
}

export const dateTime = (ms: number) => new Date(ms).toLocaleString(locale, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });

/** "in 3 h", "12 min ago": how far a time is from now, in words a phone's reminders would use. */
export function relative(ms: number, now = Date.now()): string {
  const diff = ms - now;
  const s = Math.round(Math.abs(diff) / SECOND);
  if (s < 5) return diff > 0 ? t('schedules.now') : t('schedules.justNow');
  const h = Math.floor(s / 3600);
  const m = Math.round((s % 3600) / 60);
  const text = s < 60 ? `${s} s` : s < 3600 ? `${Math.round(s / 60)} min` : s < 36 * 3600 ? (h < 10 && m > 0 && m < 60 ? `${h} h ${m} min` : `${Math.round(s / 3600)} h`) : `${Math.round(s / 86400)} d`;
  return diff > 0 ? t('schedules.in', { time: text }) : t('schedules.ago', { time: text });
}

export function describeSchedule(schedule: ScheduleSpec, timezone: string): string {
  if (schedule.kind === 'at') return t('schedules.once', { time: dateTime(schedule.atMs) });
  if (schedule.kind === 'every') return describeEvery(schedule.everyMs);
  return t('schedules.inZone', { sentence: describeCron(schedule.expr) ?? schedule.expr, tz: schedule.tz || timezone });
}

/** A chat a job can deliver to. */
interface Choice { channel: string; to: string; label: string }
interface SessionInfo { id: string; title?: string }

/**
 * The chats to offer: this dashboard chat first (the session the Chat page uses), the other
 * dashboard conversations, then what the gateway's channels can send to.
 */
export function targetChoices(targets: ScheduleTarget[], pico: string | undefined, sessions: SessionInfo[], current: string | null): Choice[] {
  const choices: Choice[] = [];
  if (pico && current) choices.push({ channel: pico, to: current, label: t('schedules.thisChat') });
  if (pico) for (const s of sessions.slice(0, 20)) if (s.id !== current) choices.push({ channel: pico, to: s.id, label: t('schedules.dashboardChat', { title: s.title ?? t('chat.untitled') }) });
  for (const target of targets) {
    if (choices.some((c) => c.channel === target.channel && c.to === target.to)) continue;
    choices.push({ channel: target.channel, to: target.to, label: `${target.channel}: ${target.label}` });
  }
  return choices;
}

type Field = 'name' | 'message' | 'at' | 'every' | 'expr' | 'tz' | 'target' | 'missed' | 'form';
const fieldLabels: Record<Exclude<Field, 'form'>, MessageKey> = { name: 'schedules.name', message: 'schedules.message', at: 'schedules.at', every: 'schedules.every', expr: 'schedules.expr', tz: 'schedules.tz', target: 'schedules.target', missed: 'schedules.missed' };
type Kind = ScheduleSpec['kind'];
const scheduleField = (kind: Kind): Field => (kind === 'at' ? 'at' : kind === 'every' ? 'every' : 'expr');

/** Which field a sentence of the gateway is about, so that it is shown next to that field. */
export function fieldFor(error: string, kind: Kind): Field {
  if (/time ?zone|\btz\b/i.test(error)) return 'tz';
  if (/(^|; )schedule|cron|expression|interval|in the past|date|every/i.test(error)) return scheduleField(kind);
  if (/(^|; )(channel|to):|channel|chat|allow_from|target/i.test(error)) return 'target';
  if (/message/i.test(error)) return 'message';
  if (/missed/i.test(error)) return 'missed';
  if (/(^|; )name/i.test(error)) return 'name';
  return 'form';
}

interface Draft {
  name: string;
  message: string;
  deliver: boolean;
  kind: Kind;
  at: string;
  everyN: string;
  everyUnit: Unit;
  expr: string;
  tz: string;
  /** The chosen chat as targetKey(channel, to); '' = the first choice. */
  target: string;
  /** '' = the default for the kind (run once for `at`, skip for the others). */
  missed: '' | 'run' | 'skip';
}

const targetKey = (channel: string, to: string) => `${channel}\u0000${to}`;

/** A moment as a `datetime-local` value in the browser's zone (to the minute). */
function localInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** `datetime-local` value for tomorrow at 08:00 local time: "remind me tomorrow at 8". */
function tomorrowAtEight(): string {
  const d = new Date();
  d.setDate(d.getDate() + 1);
  d.setHours(8, 0, 0, 0);
  return localInput(d.getTime());
}

/** The form's fields for an existing job (an interval in the largest unit that divides it). */
export function draftOf(job: ScheduleJob): Draft {
  const s = job.schedule;
  const unit = s.kind === 'every' ? ((['days', 'hours', 'minutes'] as const).find((u) => s.everyMs % units[u] === 0) ?? 'minutes') : 'hours';
  return {
    name: job.name,
    message: job.payload.message,
    deliver: !!job.payload.deliver,
    kind: s.kind,
    at: s.kind === 'at' ? localInput(s.atMs) : tomorrowAtEight(),
    everyN: s.kind === 'every' ? String(s.everyMs / units[unit]) : '1',
    everyUnit: unit,
    expr: s.kind === 'cron' ? s.expr : '',
    tz: s.kind === 'cron' ? (s.tz ?? '') : '',
    // A job without a chat (hand-made) starts on the first choice.
    target: job.payload.channel && job.payload.to ? targetKey(job.payload.channel, job.payload.to) : '',
    missed: job.missed ?? '',
  };
}

/**
 * What an edit changed, as a PATCH body: only the fields that differ from the job's own (a
 * schedule whose fields were not touched is not sent, so a job's exact seconds stay as they are).
 */
export function patchOf(draft: Draft, before: Draft, spec: ScheduleSpec | undefined, choice: Choice | undefined): Partial<NewSchedule> {
  const patch: Partial<NewSchedule> = {};
  if (draft.message !== before.message) patch.message = draft.message;
  if (draft.deliver !== before.deliver) patch.deliver = draft.deliver;
  if (draft.name.trim() && draft.name.trim() !== before.name) patch.name = draft.name.trim();
  if (spec && (['kind', 'at', 'everyN', 'everyUnit', 'expr', 'tz'] as const).some((k) => draft[k] !== before[k])) patch.schedule = spec;
  if (choice && targetKey(choice.channel, choice.to) !== before.target) Object.assign(patch, { channel: choice.channel, to: choice.to });
  if (draft.missed && draft.missed !== before.missed) patch.missed = draft.missed;
  return patch;
}

/** The schedule a draft describes, or undefined while it is incomplete. */
export function specOf(draft: Pick<Draft, 'kind' | 'at' | 'everyN' | 'everyUnit' | 'expr' | 'tz'>): ScheduleSpec | undefined {
  if (draft.kind === 'at') {
    const atMs = new Date(draft.at).getTime();
    return Number.isFinite(atMs) && draft.at ? { kind: 'at', atMs } : undefined;
  }
  if (draft.kind === 'every') {
    const n = Number(draft.everyN);
    return n > 0 && Number.isFinite(n) ? { kind: 'every', everyMs: Math.round(n * units[draft.everyUnit]) } : undefined;
  }
  const expr = draft.expr.trim();
  return expr ? { kind: 'cron', expr, ...(draft.tz.trim() ? { tz: draft.tz.trim() } : {}) } : undefined;
}

const zones: string[] = (() => {
  try {
    return typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  } catch {
    return [];
  }
})();

function FieldError({ id, error }: { id: string; error?: string }) {
  return error ? <span id={id} className="error" role="alert">{error}</span> : null;
}

/** A labelled control with its hint and, below it, the API's sentence about it (outside the label: not part of its name). */
function Field({ label, field, errors, prefix = 'schedule', hint, children }: { label: string; field: Field; errors: Partial<Record<Field, string>>; prefix?: string; hint?: string; children: ReactElement<{ id?: string }> }) {
  // A label for the control alone: a wrapping label would add a select's options to its name.
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {cloneElement(children, { id })}
      {hint && <span className="muted small">{hint}</span>}
      <FieldError id={`${prefix}-error-${field}`} error={errors[field]} />
    </div>
  );
}

/**
 * What the schedule means, as the user types: a sentence and the gateway's next runs, asked
 * 400 ms after the last change (one request per pause, not per key).
 */
export function SchedulePreviewView({ spec, timezone, onError }: { spec: ScheduleSpec | undefined; timezone: string; onError?: (error: string | undefined) => void }) {
  const [result, setResult] = useState<{ key: string; preview: SchedulePreview }>();
  const key = spec ? JSON.stringify(spec) : '';
  const report = useRef(onError);
  report.current = onError;
  useEffect(() => {
    if (!spec) return;
    let current = true;
    const timer = setTimeout(() => {
      schedulesApi.preview(spec).then(
        (preview) => current && setResult({ key, preview }),
        (e: Error) => current && setResult({ key, preview: { ok: false, error: e.message } }),
      );
    }, 400);
    return () => {
      current = false;
      clearTimeout(timer);
    };
    // `key` stands for `spec`: a new object with the same content asks nothing again.
  }, [key]);
  const preview = result?.key === key ? result.preview : undefined;
  const previewError = spec && preview && !preview.ok ? preview.error : undefined;
  // Said once the gateway answered: until then an error shown (a failing job's) stays.
  const known = !spec || preview !== undefined;
  useEffect(() => {
    if (known) report.current?.(previewError);
  }, [previewError, known]);
  if (!spec) return null;
  const sentence = spec.kind === 'cron' ? describeCron(spec.expr) : spec.kind === 'every' ? describeEvery(spec.everyMs) : t('schedules.once', { time: dateTime(spec.atMs) });
  // Nothing to say yet (an expression cronstrue cannot read, before the gateway answered or when it refused): no empty box.
  if (!sentence && !(preview?.ok && preview.next.length > 0)) return null;
  return (
    <div className="preview" aria-live="polite" data-testid="schedule-preview">
      {sentence && <p className="sentence"><strong>{spec.kind === 'cron' ? t('schedules.inZone', { sentence, tz: spec.tz || (preview?.ok ? preview.timezone : timezone) }) : sentence}</strong></p>}
      {preview?.ok && preview.next.length > 0 && (
        <>
          <div className="muted">{t('schedules.preview')}</div>
          <ol className="next-runs">
            {preview.next.map((iso) => (
              <li key={iso}><time dateTime={iso}>{dateTime(Date.parse(iso))}</time> <span className="muted">({relative(Date.parse(iso))})</span></li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}

export interface Preset { n: number; message: string; expr: string }

/**
 * The form to create a job, or (with `job`) to edit one: the same fields filled with the job,
 * saved as a PATCH of what changed. `lastError` (a failing job's) starts at the field it is about.
 */
function ScheduleForm({ choices, timezone, preset, job, lastError, onSaved, onCancel }: { choices: Choice[]; timezone: string; preset?: Preset; job?: ScheduleJob; lastError?: string; onSaved: (saved: ScheduleJob) => void; onCancel?: () => void }) {
  const initial = (): Draft => (job ? draftOf(job) : { name: '', message: '', deliver: true, kind: 'at', at: tomorrowAtEight(), everyN: '1', everyUnit: 'hours', expr: '', tz: '', target: '', missed: '' });
  const [before] = useState<Draft>(initial);
  const [draft, setDraft] = useState<Draft>(before);
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>(() => (job && lastError ? { [fieldFor(lastError, job.schedule.kind)]: lastError } : {}));
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string>();
  const message = useRef<HTMLTextAreaElement>(null);
  // Ids unique per form: the create form and a job's edit form can be open together.
  const prefix = job ? `schedule-${job.id}` : 'schedule';
  const set = (change: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...change }));
    setDone(undefined);
    // A field's error goes once that field is edited.
    setErrors((e) => Object.fromEntries(Object.entries(e).filter(([field]) => !(field in change) && !(field === 'every' && ('everyN' in change || 'everyUnit' in change)) && !(field === 'form'))));
  };
  useEffect(() => {
    if (!preset) return;
    set({ message: preset.message, deliver: false, kind: 'cron', expr: preset.expr });
    message.current?.focus();
  }, [preset?.n]);
  const spec = specOf({ ...draft, tz: draft.kind === 'cron' ? draft.tz || timezone : '' });
  const onPreviewError = useCallback((error: string | undefined) => {
    setErrors((e) => {
      const field = error ? (fieldFor(error, draft.kind) === 'tz' ? 'tz' : scheduleField(draft.kind)) : undefined;
      const rest = Object.fromEntries(Object.entries(e).filter(([f]) => f !== 'tz' && f !== scheduleField(draft.kind)));
      return field ? { ...rest, [field]: error } : rest;
    });
  }, [draft.kind]);
  const choice = draft.target ? choices.find((c) => targetKey(c.channel, c.to) === draft.target) : choices[0];
  const missedDefault = draft.kind === 'at' ? 'run' : 'skip';

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!spec) return void setErrors({ [scheduleField(draft.kind)]: t('schedules.when') });
    if (!choice) return void setErrors({ target: t('schedules.noTargets') });
    let call: Promise<{ job: ScheduleJob }>;
    if (job) {
      const patch = patchOf(draft, before, spec, choice);
      if (Object.keys(patch).length === 0) return void onCancel?.();
      call = schedulesApi.update(job.id, patch);
    } else {
      call = schedulesApi.create({
        message: draft.message,
        schedule: spec,
        channel: choice.channel,
        to: choice.to,
        deliver: draft.deliver,
        enabled: true,
        ...(draft.name.trim() ? { name: draft.name.trim() } : {}),
        ...(draft.missed ? { missed: draft.missed } : {}),
      });
    }
    setBusy(true);
    call.then(
      ({ job: saved }) => {
        setBusy(false);
        setErrors({});
        if (!job) {
          setDraft({ ...initial(), target: draft.target });
          setDone(t('schedules.created', { name: saved.name }));
        }
        onSaved(saved);
      },
      (e: Error) => {
        setBusy(false);
        setErrors({ [fieldFor(e.message, draft.kind)]: e.message });
      },
    );
  };
  const invalid = (field: Field) => (errors[field] ? { 'aria-invalid': true, 'aria-describedby': `${prefix}-error-${field}` } : {});
  const title = `${prefix}-form-title`;

  return (
    <form className="item schedule-form" onSubmit={submit} aria-labelledby={title}>
      <strong id={title}>{job ? t('schedules.editTitle', { name: job.name }) : t('schedules.create')}</strong>
      <Field label={t('schedules.message')} field="message" errors={errors} prefix={prefix}>
        <textarea ref={message} rows={2} value={draft.message} onChange={(e) => set({ message: e.target.value })} required {...invalid('message')} />
      </Field>
      <fieldset className="row">
        <legend>{t('schedules.mode')}</legend>
        <label className="row"><input type="radio" name={`${prefix}-mode`} checked={draft.deliver} onChange={() => set({ deliver: true })} />{t('schedules.deliver')}</label>
        <label className="row"><input type="radio" name={`${prefix}-mode`} checked={!draft.deliver} onChange={() => set({ deliver: false })} />{t('schedules.agent')}</label>
      </fieldset>
      <div className="grid2">
        <Field label={t('schedules.when')} field="form" errors={{}} prefix={prefix}>
          <select value={draft.kind} onChange={(e) => set({ kind: e.target.value as Kind })}>
            {(['at', 'every', 'cron'] as const).map((kind) => <option key={kind} value={kind}>{t(`schedules.kind.${kind}`)}</option>)}
          </select>
        </Field>
        {draft.kind === 'at' && (
          <Field label={t('schedules.at')} field="at" errors={errors} prefix={prefix}>
            <input type="datetime-local" value={draft.at} onChange={(e) => set({ at: e.target.value })} required {...invalid('at')} />
          </Field>
        )}
        {draft.kind === 'every' && (
          <>
            <Field label={t('schedules.every')} field="every" errors={errors} prefix={prefix}>
              <input type="number" min="0" step="any" value={draft.everyN} onChange={(e) => set({ everyN: e.target.value })} required {...invalid('every')} />
            </Field>
            <Field label={t('schedules.unit')} field="form" errors={{}} prefix={prefix}>
              <select value={draft.everyUnit} onChange={(e) => set({ everyUnit: e.target.value as Unit })}>
                {(Object.keys(units) as Unit[]).map((unit) => <option key={unit} value={unit}>{t(`schedules.unit.${unit}`)}</option>)}
              </select>
            </Field>
          </>
        )}
        {draft.kind === 'cron' && (
          <>
            <Field label={t('schedules.expr')} field="expr" errors={errors} prefix={prefix} hint={t('schedules.exprHint')}>
              <input value={draft.expr} onChange={(e) => set({ expr: e.target.value })} placeholder="0 23 * * *" spellCheck={false} autoComplete="off" required {...invalid('expr')} />
            </Field>
            <Field label={t('schedules.tz')} field="tz" errors={errors} prefix={prefix}>
              <input value={draft.tz} onChange={(e) => set({ tz: e.target.value })} placeholder={timezone} list={`${prefix}-zones`} autoComplete="off" {...invalid('tz')} />
            </Field>
            {zones.length > 0 && <datalist id={`${prefix}-zones`}>{zones.map((zone) => <option key={zone} value={zone} />)}</datalist>}
          </>
        )}
      </div>
      <SchedulePreviewView spec={spec} timezone={timezone} onError={onPreviewError} />
      <div className="grid2">
        <Field label={t('schedules.target')} field="target" errors={errors} prefix={prefix} {...(choices.length === 0 ? { hint: t('schedules.noTargets') } : {})}>
          <select value={choice ? targetKey(choice.channel, choice.to) : ''} onChange={(e) => set({ target: e.target.value })} {...invalid('target')}>
            {choices.map((c) => <option key={targetKey(c.channel, c.to)} value={targetKey(c.channel, c.to)}>{c.label}</option>)}
          </select>
        </Field>
        <Field label={t('schedules.missed')} field="missed" errors={errors} prefix={prefix}>
          <select value={draft.missed || missedDefault} onChange={(e) => set({ missed: e.target.value as 'run' | 'skip' })} {...invalid('missed')}>
            <option value="run">{t('schedules.missed.run')}</option>
            <option value="skip">{t('schedules.missed.skip')}</option>
          </select>
        </Field>
        <Field label={t('schedules.name')} field="name" errors={errors} prefix={prefix}>
          <input value={draft.name} onChange={(e) => set({ name: e.target.value })} {...invalid('name')} />
        </Field>
      </div>
      <div className="row">
        <button type="submit" disabled={busy || !draft.message.trim() || !spec || !choice}>{job ? <Save size={16} /> : <Plus size={16} />}{job ? t('common.save') : t('schedules.add')}</button>
        {onCancel && <button type="button" className="secondary" onClick={onCancel}><X size={16} />{t('schedules.cancel')}</button>}
        <FieldError id={`${prefix}-error-form`} error={errors.form} />
        {done && <span role="status">{done}</span>}
      </div>
    </form>
  );
}

function JobRow({ job, timezone, choices, onChanged }: { job: ScheduleJob; timezone: string; choices: Choice[]; onChanged: (soon?: boolean) => void }) {
  const [note, setNote] = useState<{ text: string; error?: boolean }>();
  const [busy, setBusy] = useState(false);
  const [editing, setEditing] = useState(false);
  /** The switch moves at once; it is the job's own state again once the list shows the change (or the change failed). */
  const [enabling, setEnabling] = useState<boolean>();
  useEffect(() => {
    if (enabling === job.enabled) setEnabling(undefined);
  }, [enabling, job.enabled]);
  // "started…" until the run's outcome shows below.
  useEffect(() => setNote((n) => (n?.text === t('schedules.started') ? undefined : n)), [job.state.lastRunAtMs]);
  const act = (call: () => Promise<unknown>, after?: string, soon = false) => {
    setBusy(true);
    setNote(undefined);
    call().then(
      () => {
        if (after) setNote({ text: after });
        onChanged(soon);
      },
      (e: Error) => setNote({ text: e.message, error: true }),
    ).finally(() => setBusy(false));
  };
  const remove = () => {
    if (confirm(t('schedules.deleteConfirm', { name: job.name }))) act(() => schedulesApi.remove(job.id));
  };
  const target = choices.find((c) => c.channel === job.payload.channel && c.to === job.payload.to)?.label ?? `${job.payload.channel}: ${job.payload.to}`;
  const { state } = job;
  const status = state.lastStatus;
  const error = status === 'error' ? state.lastError : undefined;
  // A job the scheduler cannot run (bad expression, no target, a shell job) has an error but no
  // run (runs always record their time); once an edit fixed it, it has a next run again.
  const cannotRun = error && !state.lastRunAtMs && state.nextRunAtMs === undefined ? error : undefined;
  const shownError = state.lastRunAtMs ? error : cannotRun;
  // An error about a field of the job (its expression, time zone, chat, …): an edit fixes it.
  const field = shownError ? fieldFor(shownError, job.schedule.kind) : 'form';
  const fix = field === 'form' ? undefined : field;
  if (editing) {
    const own = !job.payload.channel || choices.some((c) => c.channel === job.payload.channel && c.to === job.payload.to) ? choices : [...choices, { channel: job.payload.channel, to: job.payload.to, label: target }];
    return (
      <div data-job={job.id} aria-label={job.name} role="group">
        <ScheduleForm job={job} choices={own} timezone={timezone} {...(fix ? { lastError: shownError } : {})} onCancel={() => setEditing(false)} onSaved={() => {
          setEditing(false);
          setNote({ text: t('schedules.saved') });
          onChanged();
        }} />
      </div>
    );
  }
  return (
    <div className="item" data-job={job.id} aria-label={job.name} role="group">
      <div className="row">
        <strong>{job.name}</strong>
        <span className="badge">{job.payload.deliver ? t('schedules.deliverBadge') : t('schedules.agentBadge')}</span>
        <span className="spacer" />
        <label className="row">
          <input type="checkbox" checked={enabling ?? job.enabled} disabled={busy} onChange={(e) => {
            const enabled = e.target.checked;
            setEnabling(enabled);
            act(() => schedulesApi.update(job.id, { enabled }).catch((error: Error) => {
              setEnabling(undefined);
              throw error;
            }));
          }} />
          {t('schedules.enabled')}
        </label>
      </div>
      <div className="muted" data-field="schedule" title={job.schedule.kind === 'cron' ? job.schedule.expr : undefined}>{describeSchedule(job.schedule, timezone)} → {target}</div>
      <div className="muted clip" title={job.payload.message}>“{job.payload.message}”</div>
      <div data-field="next">
        {!job.enabled ? t('schedules.disabled') : state.nextRunAtMs ? <span title={new Date(state.nextRunAtMs).toISOString()}>{t('schedules.nextRun', { time: dateTime(state.nextRunAtMs), relative: relative(state.nextRunAtMs) })}</span> : t('schedules.noNextRun')}
      </div>
      <div className="row" data-field="last">
        {status && state.lastRunAtMs ? (
          <>
            <span>{t('schedules.lastRun', { relative: relative(state.lastRunAtMs) })}</span>
            <span className={`badge ${status === 'ok' ? 'ok' : status === 'error' ? 'bad' : ''}`}>{t(`schedules.status.${status}` as MessageKey)}</span>
            {status === 'error' && state.lastError && <span className="error">{state.lastError}</span>}
            {status !== 'error' && state.lastResult && <span className="muted clip" title={state.lastResult}>{state.lastResult}</span>}
          </>
        ) : cannotRun ? (
          <>
            <span className="badge bad">{t('schedules.cannotRun')}</span>
            <span className="error">{cannotRun}</span>
          </>
        ) : (
          <span className="muted">{t('schedules.notRun')}</span>
        )}
      </div>
      <div className="row">
        {/* The obvious next step for a job failing on one of its own fields. */}
        <button type="button" className={fix ? undefined : 'secondary'} disabled={busy} onClick={() => {
          setNote(undefined);
          setEditing(true);
        }}><Pencil size={16} />{t('schedules.edit')}</button>
        {fix && <span className="hint" data-field="fix">{t('schedules.fixHint', { field: t(fieldLabels[fix]) })}</span>}
        <button type="button" className="secondary" disabled={busy} onClick={() => act(() => schedulesApi.run(job.id), t('schedules.started'), true)}><Play size={16} />{t('schedules.runNow')}</button>
        <button type="button" className="secondary" disabled={busy} onClick={remove}><Trash2 size={16} />{t('schedules.delete')}</button>
        {note && <span role={note.error ? 'alert' : 'status'} className={note.error ? 'error' : undefined}>{note.text}</span>}
      </div>
    </div>
  );
}

/** "08:00-22:00" in words ("from 08:00 to 22:00 (Europe/Madrid time)"), or "all day" when empty. */
const activeHours = (range: string, tz: string) => {
  const [from, to] = range.split('-');
  return range && to ? t('heartbeat.hours', { from: from!, to, tz }) : t('heartbeat.allDay');
};

/** What "Run heartbeat now" came to, as a sentence (`hb`: the config, for the hours and the chat). */
export function heartbeatSentence(outcome: HeartbeatOutcome, hb: HeartbeatConfig | undefined, timezone: string): string {
  switch (outcome) {
    case 'outside-hours':
      return t('heartbeat.outcome.outside-hours', { hours: activeHours(hb?.active_hours ?? '', timezone) });
    case 'sent':
      return t('heartbeat.outcome.sent', { target: hb?.target || t('heartbeat.lastChat') });
    case 'off':
    case 'not-runner':
    case 'no-tasks':
    case 'ok':
    case 'no-target':
      return t(`heartbeat.outcome.${outcome}`);
    default:
      return t('heartbeat.outcome.other', { outcome: String(outcome) });
  }
}

/** The heartbeat as configured (read from the config, changed in Settings), and one beat on demand. */
function HeartbeatCard({ timezone, onOpenSettings }: { timezone: string; onOpenSettings?: () => void }) {
  const [config, setConfig] = useState<{ hb?: HeartbeatConfig; workspace?: string }>({});
  const [result, setResult] = useState<{ outcome: HeartbeatOutcome } | { error: string }>();
  const [busy, setBusy] = useState(false);
  const load = useCallback(() => {
    api<{ config?: { heartbeat?: HeartbeatConfig; agents?: { defaults?: { workspace?: string } } } }>('/api/config').then(
      (c) => setConfig({ ...(c.config?.heartbeat ? { hb: c.config.heartbeat } : {}), ...(c.config?.agents?.defaults?.workspace ? { workspace: c.config.agents.defaults.workspace } : {}) }),
      () => {},
    );
  }, []);
  useEffect(load, [load]);
  const run = () => {
    setBusy(true);
    setResult(undefined);
    // The config again too: the sentence names the hours and chat the gateway just used.
    load();
    schedulesApi.heartbeat().then(
      ({ outcome }) => setResult({ outcome }),
      (e: Error) => setResult({ error: e.message }),
    ).finally(() => setBusy(false));
  };
  const { hb, workspace } = config;
  const n = hb?.interval ?? 30;
  return (
    <div className="item" role="group" aria-labelledby="heartbeat-title">
      <div className="row">
        <strong id="heartbeat-title">{t('heartbeat.title')}</strong>
        {hb && <span className={`badge ${hb.enabled ? 'ok' : ''}`} data-field="heartbeat-state">{hb.enabled ? t('heartbeat.on') : t('heartbeat.off')}</span>}
      </div>
      {hb?.enabled && <div data-field="heartbeat">{t('heartbeat.summary', { n, hours: activeHours(hb.active_hours, timezone), target: hb.target || t('heartbeat.lastChat') })}</div>}
      <span className="muted">{t('heartbeat.explain', { n })}</span>
      {/* The document's own path: shown only when it names a place (empty: the home's workspace; relative: to the home). */}
      {workspace && /^(\/|~\/)/.test(workspace) && <span className="muted small">{t('heartbeat.file')} <code>{workspace.replace(/\/+$/, '')}/HEARTBEAT.md</code></span>}
      <div className="row">
        <button type="button" className="secondary" disabled={busy} onClick={run}><HeartPulse size={16} />{t('heartbeat.run')}</button>
        {onOpenSettings && <button type="button" className="secondary" onClick={onOpenSettings}><Settings size={16} />{t('heartbeat.settings')}</button>}
        {result && ('error' in result ? <span role="alert" className="error">{result.error}</span> : <span role="status">{heartbeatSentence(result.outcome, hb, timezone)}</span>)}
      </div>
    </div>
  );
}

function Empty({ onExample }: { onExample: (preset: Omit<Preset, 'n'>) => void }) {
  const examples: [MessageKey, MessageKey, string][] = [
    ['schedules.example1', 'schedules.example1Message', '0 23 * * *'],
    ['schedules.example2', 'schedules.example2Message', '30 7 * * *'],
  ];
  return (
    <div className="item">
      <p style={{ margin: 0 }}>{t('schedules.empty')}</p>
      <ul className="examples">
        {examples.map(([label, message, expr]) => (
          <li key={expr}>
            <span>{t(label)} <code>{expr}</code></span>
            <button type="button" className="secondary" onClick={() => onExample({ message: t(message), expr })}>{t('schedules.useExample')}</button>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function SchedulesPage({ onOpenSettings }: { onOpenSettings?: () => void } = {}) {
  const [list, setList] = useState<ScheduleList>();
  const [error, setError] = useState<string>();
  const [targets, setTargets] = useState<ScheduleTarget[]>([]);
  const [pico, setPico] = useState<string>();
  const [sessions, setSessions] = useState<SessionInfo[]>([]);
  const [preset, setPreset] = useState<Preset>();
  const soon = useRef<ReturnType<typeof setTimeout>[]>([]);
  const load = useCallback(() => {
    schedulesApi.list().then(
      (l) => {
        setList(l);
        setError(undefined);
      },
      (e: Error) => setError(e.message),
    );
  }, []);
  const loadTargets = useCallback(() => {
    schedulesApi.targets().then((r) => setTargets(r.targets), () => {});
    api<{ sessions: SessionInfo[] }>('/api/sessions').then((r) => setSessions(r.sessions), () => {});
    // The pico channel's name in channel_list: dashboard chats are sent through it.
    api<{ gateway?: { channels?: { name: string; type: string }[] } }>('/api/gateway/status').then((s) => setPico(s.gateway?.channels?.find((c) => c.type === 'pico')?.name), () => {});
  }, []);
  useEffect(() => {
    load();
    loadTargets();
    const timer = setInterval(load, 5000);
    return () => {
      clearInterval(timer);
      for (const pending of soon.current) clearTimeout(pending);
    };
  }, [load, loadTargets]);
  /** After "run now": the outcome lands in the job's state within seconds, so look sooner than the 5 s poll. */
  const changed = (quick?: boolean) => {
    load();
    if (quick) soon.current.push(...[700, 1500, 3000].map((ms) => setTimeout(load, ms)));
  };
  const timezone = list?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const current = typeof localStorage !== 'undefined' ? localStorage.getItem('picoclaw.session') : null;
  const choices = targetChoices(targets, pico ?? targets.find((x) => x.type === 'pico')?.channel, sessions, current);
  let body: ReactNode;
  if (!list) body = error ? <p className="error" role="alert">{error}</p> : <p className="muted">{t('common.loading')}</p>;
  else if (list.jobs.length === 0) body = <Empty onExample={(p) => setPreset({ ...p, n: (preset?.n ?? 0) + 1 })} />;
  else body = list.jobs.map((job) => <JobRow key={job.id} job={job} timezone={list.timezone} choices={choices} onChanged={changed} />);

  return (
    <section className="page" aria-labelledby="schedules-title">
      <p className="muted">{t('schedules.intro')}</p>
      {list?.paused && <p className="error" role="alert">{t('schedules.paused', { reason: list.paused })}</p>}
      {list && !list.runner && !list.paused && <p className="muted">{t('schedules.otherRunner')}</p>}
      {list && error && <p className="error" role="alert">{error}</p>}
      {body}
      <ScheduleForm choices={choices} timezone={timezone} {...(preset ? { preset } : {})} onSaved={() => {
        load();
        loadTargets();
      }} />
      <HeartbeatCard timezone={timezone} {...(onOpenSettings ? { onOpenSettings } : {})} />
    </section>
  );
}
