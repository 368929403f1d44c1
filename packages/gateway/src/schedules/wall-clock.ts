/**
 * Wall-clock time in a zone, with nothing but Intl: what `picoclaw status` and the CLI need
 * without loading the cron parser (schedule.ts).
 */

/** The zone jobs without one use: the gateway's (TZ, else the system's). */
export function defaultTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** "2026-12-07 08:00 Europe/Madrid": a moment as the user's wall clock shows it. */
export function formatIn(ms: number, tz: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${tz}`;
}

/**
 * A wall-clock time ("2026-12-07T08:00", seconds optional, no offset) in `tz` to epoch ms; a
 * string with an offset or `Z` is taken as it says. Undefined when it is not such a time. In a
 * DST gap the time is moved forward by the gap, as phones do.
 */
export function parseLocalTime(text: string, tz: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (!m) {
    if (!/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(text.trim())) return undefined;
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? undefined : ms;
  }
  const [y, mo, d, h, mi, s] = m.slice(1).map((part) => Number(part ?? 0));
  const wall = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  // 31 February is not a day (Date.UTC would make it 3 March), nor 25:00 an hour.
  const check = new Date(wall);
  if (check.getUTCDate() !== d || check.getUTCHours() !== h || check.getUTCMinutes() !== mi) return undefined;
  // The zone's offset at a moment: its wall clock read as if UTC, minus the moment.
  const offsetAt = (ms: number) => {
    const p = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
    return Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!, +p.second!) - ms;
  };
  const first = wall - offsetAt(wall);
  return wall - offsetAt(first);
}
