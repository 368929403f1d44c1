/**
 * PicoClaw's memory layout, as names relative to `<workspace>/memory/`: the long-term file
 * `MEMORY.md` and daily notes `YYYYMM/YYYYMMDD.md`. Every file the memory code touches is one of
 * these names (checked here, by pattern), so no argument can lead it anywhere else.
 * Sections are the `## ` headings of a file; what comes before the first one is its preamble.
 */

export const LONG_TERM = 'MEMORY.md';

/** `MEMORY.md` or a daily note `YYYYMM/YYYYMMDD.md` whose month folder matches its day. */
export function isMemoryName(name: string): boolean {
  if (name === LONG_TERM) return true;
  const match = /^(\d{6})\/(\d{8})\.md$/.exec(name);
  return !!match && match[2]!.startsWith(match[1]!) && dayOfName(name) !== undefined;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `YYYY-MM-DD` of a local date. */
export function dayOf(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The daily note of a `YYYY-MM-DD` day, or undefined for anything that is not a real date. */
export function dailyName(day: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day.trim());
  if (!match) return undefined;
  const [, y, m, d] = match as unknown as [string, string, string, string];
  const date = new Date(Number(y), Number(m) - 1, Number(d));
  if (date.getMonth() !== Number(m) - 1 || date.getDate() !== Number(d)) return undefined;
  return `${y}${m}/${y}${m}${d}.md`;
}

/** `YYYY-MM-DD` of a daily note's name; undefined for MEMORY.md. */
export function dayOfName(name: string): string | undefined {
  const match = /^\d{6}\/(\d{4})(\d{2})(\d{2})\.md$/.exec(name);
  if (!match) return undefined;
  const day = `${match[1]}-${match[2]}-${match[3]}`;
  return dailyName(day) === name ? day : undefined;
}

export interface Section {
  /** The heading's text without `## `; '' for the preamble. */
  title: string;
  /** Offsets in the file: the heading line's start (the preamble's: 0) and the next section's start. */
  start: number;
  bodyStart: number;
  end: number;
}

/** The sections of a markdown file, split at lines that start with `## ` (outside ``` fences). */
export function sectionsOf(text: string): Section[] {
  const sections: Section[] = [{ title: '', start: 0, bodyStart: 0, end: text.length }];
  let fenced = false;
  let offset = 0;
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    else if (!fenced && /^##\s+\S/.test(line) && !line.startsWith('###')) {
      sections.at(-1)!.end = offset;
      sections.push({ title: line.replace(/^##\s+/, '').trim(), start: offset, bodyStart: Math.min(text.length, offset + line.length + 1), end: text.length });
    }
    offset += line.length + 1;
  }
  return sections;
}

const norm = (title: string) => title.replace(/^#+\s*/, '').trim().toLowerCase().replace(/\s+/g, ' ');

/** The section whose title matches (case and spacing ignored); the preamble is never matched. */
export function findSection(text: string, title: string): Section | undefined {
  const wanted = norm(title);
  return wanted ? sectionsOf(text).find((s) => s.title && norm(s.title) === wanted) : undefined;
}
