/**
 * What the raw config editor needs from a JSON text, without a parser library: where a syntax
 * error is (line and column, the same in every browser, unlike JSON.parse's messages), where each
 * key path starts (to move the cursor to an issue the server names), and a line diff.
 */

/** What was expected where the text went wrong. */
export type JsonExpected = 'value' | 'key' | 'colon' | 'comma-brace' | 'comma-bracket' | 'quote' | 'escape' | 'end';

export interface JsonProblem {
  offset: number;
  /** 1-based, as editors count. */
  line: number;
  column: number;
  /** The character found there; '' at the end of the text. */
  found: string;
  expected: JsonExpected;
}

export interface JsonScan {
  problem?: JsonProblem;
  /** Dotted key path (`model_list.0.model_name`) → offset of its key (of the value, for array items). */
  keys: Map<string, number>;
}

class Stop {
  constructor(readonly expected: JsonExpected) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Scans strict JSON (as JSON.parse reads it); stops at the first error. */
export function scanJson(text: string): JsonScan {
  const keys = new Map<string, number>();
  let i = 0;
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const string = (): string => {
    const start = i++;
    for (;;) {
      const c = text[i];
      if (c === undefined || c < ' ') throw new Stop('quote');
      if (c === '"') {
        i++;
        return JSON.parse(text.slice(start, i)) as string;
      }
      if (c === '\\') {
        const next = text[i + 1];
        if (next === 'u' ? !/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)) : next === undefined || !'"\\/bfnrt'.includes(next)) {
          i++;
          throw new Stop('escape');
        }
        i += next === 'u' ? 6 : 2;
      } else i++;
    }
  };
  const value = (path: string[]): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') throw new Stop('key');
        const at = i;
        const key = [...path, string()];
        keys.set(key.join('.'), at);
        ws();
        if (text[i] !== ':') throw new Stop('colon');
        i++;
        value(key);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else throw new Stop('comma-brace');
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (let n = 0; ; n++) {
        ws();
        keys.set([...path, String(n)].join('.'), i);
        value([...path, String(n)]);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else throw new Stop('comma-bracket');
      }
    }
    if (c === '"') return void string();
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) return void (i += literal.length);
    }
    NUMBER.lastIndex = i;
    if (c !== undefined && NUMBER.test(text)) return void (i = NUMBER.lastIndex);
    throw new Stop('value');
  };
  try {
    value([]);
    ws();
    if (i < text.length) throw new Stop('end');
    return { keys };
  } catch (error) {
    // Nesting deeper than the stack allows: JSON.parse is the judge then, without a location.
    if (!(error instanceof Stop)) return { keys };
    const { line, column } = lineColumn(text, i);
    return { keys, problem: { offset: i, line, column, found: text[i] ?? '', expected: error.expected } };
  }
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}

/**
 * Where an issue's key path is in the text: the key itself, else its nearest written ancestor
 * (a missing required key is reported at the object that lacks it). Undefined for the document.
 */
export function locatePath(keys: Map<string, number>, path: string): number | undefined {
  const parts = path ? path.split('.') : [];
  for (let n = parts.length; n > 0; n--) {
    const at = keys.get(parts.slice(0, n).join('.'));
    if (at !== undefined) return at;
  }
  return undefined;
}

/** The key path a server warning starts with (`model_list.0.api_keys.0 is …`), if any. */
export const leadingPath = (sentence: string): string | undefined => /^([A-Za-z_][\w-]*(?:\.[\w-]+)+)\b/.exec(sentence)?.[1];

export interface DiffLine {
  kind: ' ' | '+' | '-';
  text: string;
  /** Line numbers on each side (1-based), where the line exists. */
  old?: number;
  new?: number;
}

/** Above this many cells the middle is shown as removed-then-added rather than aligned. */
const MAX_CELLS = 4_000_000;

/** A line diff (longest common subsequence, after the common head and tail are taken off). */
export function diffLines(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const out: DiffLine[] = [];
  for (let k = 0; k < head; k++) out.push({ kind: ' ', text: a[k]!, old: k + 1, new: k + 1 });
  const ma = a.slice(head, a.length - tail);
  const mb = b.slice(head, b.length - tail);
  const m = ma.length;
  const n = mb.length;
  let x = 0;
  let y = 0;
  const push = (kind: DiffLine['kind']) => {
    if (kind === '-') out.push({ kind, text: ma[x]!, old: head + ++x });
    else if (kind === '+') out.push({ kind, text: mb[y]!, new: head + ++y });
    else out.push({ kind, text: ma[x]!, old: head + ++x, new: head + ++y });
  };
  if (m * n <= MAX_CELLS) {
    // lcs[i][j]: the common subsequence length of ma[i..] and mb[j..].
    const lcs = new Uint32Array((m + 1) * (n + 1));
    for (let i = m - 1; i >= 0; i--) {
      for (let j = n - 1; j >= 0; j--) {
        lcs[i * (n + 1) + j] = ma[i] === mb[j] ? lcs[(i + 1) * (n + 1) + j + 1]! + 1 : Math.max(lcs[(i + 1) * (n + 1) + j]!, lcs[i * (n + 1) + j + 1]!);
      }
    }
    while (x < m && y < n) {
      if (ma[x] === mb[y]) push(' ');
      else if (lcs[(x + 1) * (n + 1) + y]! >= lcs[x * (n + 1) + y + 1]!) push('-');
      else push('+');
    }
  }
  while (x < m) push('-');
  while (y < n) push('+');
  for (let k = tail; k > 0; k--) out.push({ kind: ' ', text: a[a.length - k]!, old: a.length - k + 1, new: b.length - k + 1 });
  return out;
}

export type DiffRow = DiffLine | { kind: 'skip'; count: number };

/** The changes with `context` unchanged lines around each; longer unchanged runs become one `skip` row. None when nothing changed. */
export function collapseDiff(lines: DiffLine[], context = 3): DiffRow[] {
  if (!lines.some((l) => l.kind !== ' ')) return [];
  const near = lines.map(() => false);
  lines.forEach((l, i) => {
    if (l.kind === ' ') return;
    for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) near[k] = true;
  });
  const rows: DiffRow[] = [];
  lines.forEach((l, i) => {
    if (near[i]) return void rows.push(l);
    const last = rows[rows.length - 1];
    if (last?.kind === 'skip') last.count++;
    else rows.push({ kind: 'skip', count: 1 });
  });
  return rows;
}

/** The form both sides of the diff are shown in, so formatting alone never shows as a change. */
export const prettyJson = (value: unknown) => JSON.stringify(value, null, 2);
