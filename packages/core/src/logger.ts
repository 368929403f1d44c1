/**
 * Logging for both processes: winston, JSON lines to a rotated file and to stdout (a readable
 * line format on a TTY), with every line passed through a secret masker first. The masker knows
 * the config's secret values and also catches what looks like a secret (bearer tokens, `token=`
 * query parameters, Telegram bot URLs), so nothing secret reaches a transport.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';

export const REDACTED = '[REDACTED]';

export interface SecretMasker {
  add(...values: string[]): void;
  replaceAll(values: Iterable<string>): void;
  mask(text: string): string;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Shapes that are secret whatever their value: `Bearer x`, `token=x`, `/bot123:abc/`. */
const patterns: [RegExp, string][] = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  [/\b(authorization|cookie|set-cookie)(["']?\s*[:=]\s*["']?)[^"'\s,;}]+/gi, `$1$2${REDACTED}`],
  [/([?&;\s]|^)(token|password|passwd|secret|api_?key|apikey|access_token|key)=([^&\s"']+)/gi, `$1$2=${REDACTED}`],
  [/\/bot\d+:[A-Za-z0-9_-]+/g, `/bot${REDACTED}`],
];

/**
 * Values shorter than `minLength` (default 4) are not masked: masking "abc" everywhere would
 * garble logs and protects nothing, as a secret that short is guessable anyway.
 */
export function createSecretMasker(options: { minLength?: number } = {}): SecretMasker {
  const minLength = options.minLength ?? 4;
  const values = new Set<string>();
  let combined: RegExp | undefined;
  const rebuild = () => {
    const sorted = [...values].sort((a, b) => b.length - a.length).map(escape);
    combined = sorted.length ? new RegExp(sorted.join('|'), 'g') : undefined;
  };
  return {
    add(...more) {
      let changed = false;
      for (const v of more) {
        if (typeof v === 'string' && v.length >= minLength && !values.has(v)) {
          values.add(v);
          changed = true;
        }
      }
      if (changed) rebuild();
    },
    replaceAll(all) {
      values.clear();
      for (const v of all) if (typeof v === 'string' && v.length >= minLength) values.add(v);
      rebuild();
    },
    mask(text) {
      let out = combined ? text.replace(combined, REDACTED) : text;
      for (const [pattern, replacement] of patterns) out = out.replace(pattern, replacement);
      return out;
    },
  };
}

const secretKey = /^(token|secret|password|passwd|api_?keys?|apikey|authorization|cookie|access_token|.*_token|.*_secret|.*password)$/i;

/** A masked deep copy of log metadata; secret-named keys lose their value whatever it is. */
export function maskValue(value: unknown, masker: SecretMasker, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return neutralizeControls(masker.mask(value));
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (value instanceof Error) {
    return { name: value.name, message: neutralizeControls(masker.mask(value.message), true), ...(value.stack ? { stack: neutralizeControls(masker.mask(value.stack), true) } : {}), ...('code' in value ? { code: (value as { code: unknown }).code } : {}) };
  }
  if (Array.isArray(value)) return value.map((v) => maskValue(v, masker, seen));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = secretKey.test(key) && v !== '' && v !== undefined ? REDACTED : maskValue(v, masker, seen);
  return out;
}

/**
 * Characters that would let a logged value disguise itself or other lines: C0/C1 controls (NUL,
 * ESC sequences, a carriage return that overwrites the line on a terminal), bidirectional
 * overrides that reorder what a reader sees, and Unicode line separators. Names and ids from chat
 * users, MQTT topics and HTTP headers end up in log lines, so each is shown as a visible `\u{…}`.
 * A message keeps its tabs and newlines (our own texts have several lines); metadata values and
 * anything else lose them too.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const unsafeInMessage = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex -- as above
const unsafeInValue = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const visible = (c: string) => `\\u{${c.charCodeAt(0).toString(16).padStart(4, '0')}}`;
export const neutralizeControls = (text: string, inMessage = false) => text.replace(inMessage ? unsafeInMessage : unsafeInValue, visible);

const SPLAT = Symbol.for('splat');
/** A winston format masking the message and all metadata; it runs before any transport. */
export const maskFormat = winston.format((info, options: unknown) => {
  const masker = (options as { masker?: SecretMasker } | undefined)?.masker;
  if (!masker) return info;
  // A message containing `%s`-like text makes winston park the metadata in SPLAT: take it back.
  const splat = (info as Record<symbol, unknown>)[SPLAT];
  if (Array.isArray(splat)) {
    for (const extra of splat) {
      if (extra && typeof extra === 'object' && !Array.isArray(extra)) {
        for (const [k, v] of Object.entries(extra)) if (!(k in info)) (info as Record<string, unknown>)[k] = v;
      }
    }
  }
  for (const key of Object.keys(info)) {
    if (key === 'level') continue;
    const value = (info as Record<string, unknown>)[key];
    (info as Record<string, unknown>)[key] = key === 'message' && typeof value === 'string' ? neutralizeControls(masker.mask(value), true) : secretKey.test(key) ? REDACTED : maskValue(value, masker);
  }
  delete (info as Record<symbol, unknown>)[SPLAT];
  return info;
});

export type Logger = winston.Logger;
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface CreateLoggerOptions {
  /** Process name put on every line: `gateway`, `launcher`, … */
  name: string;
  level?: string;
  /** Log file (JSON lines, rotated at 10 MB, 5 files kept). */
  file?: string;
  /** Console output: `pretty` on a TTY by default, `json` otherwise; false for none. */
  console?: boolean | 'json' | 'pretty';
  /** Where console lines go instead of stdout (tests, the launcher capturing the gateway). */
  stream?: NodeJS.WritableStream;
  masker?: SecretMasker;
  /** Receives every (masked) entry too: the launcher keeps them for the dashboard's live log. */
  onEntry?: (entry: { time: string; level: string; message: string }) => void;
}

/** A transport that hands entries to a callback (winston writes info objects to object-mode streams). */
function callbackTransport(callback: NonNullable<CreateLoggerOptions['onEntry']>) {
  const stream = new Writable({
    objectMode: true,
    write(info: Record<string, unknown>, _encoding, done) {
      callback({ time: String(info.time ?? new Date().toISOString()), level: String(info.level), message: String(info.message) });
      done();
    },
  });
  return new winston.transports.Stream({ stream });
}

const pretty = winston.format.printf((info) => {
  const { level, message, name, time, ...rest } = info as Record<string, unknown>;
  const extra = Object.entries(rest)
    .filter(([k]) => typeof k === 'string')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const clock = typeof time === 'string' ? time.slice(11, 23) : '';
  // Continuation lines are indented: a newline in a logged value cannot pass for an entry of its own.
  return `${clock} ${String(level).toUpperCase().padEnd(5)} ${String(name)} ${String(message).replace(/\n/g, '\n    ')}${extra ? ` ${extra}` : ''}`;
});

export function createLogger(options: CreateLoggerOptions): Logger {
  const masker = options.masker ?? createSecretMasker();
  const base = winston.format.combine(
    maskFormat({ masker }),
    winston.format((info) => {
      (info as Record<string, unknown>).time = new Date().toISOString();
      (info as Record<string, unknown>).name = options.name;
      return info;
    })(),
  );
  const transports: winston.transport[] = [];
  const isTTY = ((options.stream ?? process.stdout) as NodeJS.WriteStream).isTTY === true;
  const mode = options.console === undefined || options.console === true ? (isTTY ? 'pretty' : 'json') : options.console;
  if (mode !== false) {
    const format = mode === 'json' ? winston.format.json() : pretty;
    transports.push(options.stream ? new winston.transports.Stream({ stream: options.stream, format }) : new winston.transports.Console({ format }));
  }
  if (options.onEntry) transports.push(callbackTransport(options.onEntry));
  let fileProblem: string | undefined;
  if (options.file) {
    try {
      mkdirSync(dirname(options.file), { recursive: true, mode: 0o700 });
      const file = new winston.transports.File({ filename: options.file, maxsize: 10 * 1024 * 1024, maxFiles: 5, tailable: true, format: winston.format.json() });
      file.on('error', (error: Error) => {
        logger.remove(file);
        logger.warn(`log file ${options.file} is not writable (${error.message}); logging to the console only`);
      });
      transports.push(file);
    } catch (error) {
      fileProblem = (error as Error).message;
    }
  }
  if (transports.length === 0) transports.push(new winston.transports.Stream({ stream: options.stream ?? process.stdout, silent: true }));
  const logger = winston.createLogger({ level: options.level ?? 'info', format: base, transports, exitOnError: false });
  if (fileProblem) logger.warn(`cannot open log file ${options.file} (${fileProblem}); logging to the console only`);
  return logger;
}

/**
 * When whoever reads our stdout is gone (a launcher killed with SIGKILL, a closed `| head`),
 * writes fail with EPIPE. Without a listener that error ends the process before a graceful
 * shutdown can run; with this one, the lines are dropped and the file log keeps going.
 */
export function ignoreBrokenPipes(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
}
