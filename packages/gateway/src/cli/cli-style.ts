/**
 * Terminal niceties that must never leak into pipes: colour only on a TTY (NO_COLOR and
 * TERM=dumb turn it off, FORCE_COLOR on), and a spinner on stderr for anything that waits on the
 * network — drawn only on a TTY, so scripts and logs see plain lines.
 */

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  ok(text: string): string;
  warn(text: string): string;
  bad(text: string): string;
}

interface TtyLike {
  isTTY?: boolean;
  write(text: string): unknown;
}

export function colourEnabled(stream: TtyLike, env: NodeJS.ProcessEnv): boolean {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function createStyle(enabled: boolean): Style {
  const sgr = (open: number, close: number) => (text: string) => (enabled ? `\x1b[${open}m${text}\x1b[${close}m` : text);
  return { bold: sgr(1, 22), dim: sgr(2, 22), ok: sgr(32, 39), warn: sgr(33, 39), bad: sgr(31, 39) };
}

/** Colours a state word the way a reader expects: green when working, red when failing. */
export function styleState(style: Style, state: string): string {
  if (/^(ready|connected|running|ok|available)$/.test(state)) return style.ok(state);
  if (/^(failed|error|stopped|not_ready|unavailable|disconnected)$/.test(state)) return style.bad(state);
  return style.warn(state);
}

export interface Progress {
  /** Clears the spinner line; safe to call more than once. */
  stop(): void;
}

const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** A spinner with a label while `work` runs; nothing at all when the stream is not a TTY. */
export function startProgress(stream: TtyLike, label: string, options: { intervalMs?: number } = {}): Progress {
  if (!stream.isTTY) return { stop() {} };
  let i = 0;
  const draw = () => stream.write(`\r${frames[i++ % frames.length]} ${label}…`);
  draw();
  const timer = setInterval(draw, options.intervalMs ?? 80);
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      stream.write('\r\x1b[2K');
    },
  };
}

/** Runs `work` with a spinner, always clearing it. */
export async function withProgress<T>(stream: TtyLike, label: string, work: () => Promise<T>): Promise<T> {
  const progress = startProgress(stream, label);
  try {
    return await work();
  } finally {
    progress.stop();
  }
}
