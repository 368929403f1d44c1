/**
 * Process settings of the launcher and the gateway (not config.json): where the home is, what to
 * bind, the log level, tokens. convict resolves them with the precedence
 * CLI flag > environment > file > default, from sources passed in (never read here), and
 * validation errors name the setting, where its value came from and what would be valid.
 */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import convict from 'convict';
import { PicoError } from './errors.js';
import { expandHome, resolvePaths } from './paths.js';

convict.addFormat({
  name: 'tcp-port',
  // 0 asks the OS for a free port (tests, benchmarks); the bound port is logged and put in the PID file.
  validate(value: unknown) {
    if (!Number.isInteger(Number(value)) || Number(value) < 0 || Number(value) > 65535) throw new Error('must be a port number from 1 to 65535 (or 0 for any free port)');
  },
  coerce: (value: unknown) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value),
});

/** A list from launcher-config.json (a JSON array) or from the environment (comma-separated). */
const listOf = (value: unknown) => (typeof value === 'string' ? value.split(',') : value);
const entries = (value: unknown) => (Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? v.trim() : v)).filter((v) => v !== '') : value);

convict.addFormat({
  name: 'host-list',
  validate(value: unknown) {
    if (!Array.isArray(value)) throw new Error('must be a list of host names (a JSON array, or comma-separated in the environment)');
    for (const entry of value) {
      if (typeof entry !== 'string' || !/^(\*|\.?[A-Za-z0-9_.-]+|\[?[0-9A-Fa-f:.]+\]?)$/.test(entry.trim())) throw new Error(`${JSON.stringify(entry)} is not a host name; use names like "homelab.lan", ".example.lan" for its subdomains, or "*" to turn the Host check off`);
    }
  },
  coerce: (value: unknown) => entries(listOf(value)),
});

/** `a.b.c.d`, `a.b.c.d/n`, an IPv6 address or `v6/n`; brackets around IPv6 are allowed. */
export function parseCidr(entry: string): { address: string; prefix: number; family: 4 | 6 } | undefined {
  const [raw, prefixText, extra] = entry.trim().split('/');
  if (extra !== undefined || !raw) return undefined;
  const address = raw.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(address);
  if (family !== 4 && family !== 6) return undefined;
  const max = family === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  return prefix <= max ? { address, prefix, family } : undefined;
}

convict.addFormat({
  name: 'cidr-list',
  validate(value: unknown) {
    if (!Array.isArray(value)) throw new Error('must be a list of addresses or CIDR ranges (a JSON array, or comma-separated in the environment)');
    for (const entry of value) {
      if (typeof entry !== 'string' || !parseCidr(entry)) throw new Error(`${JSON.stringify(entry)} is not an IP address or CIDR range (e.g. "127.0.0.1", "10.0.0.0/8", "::1")`);
    }
  },
  coerce: (value: unknown) => entries(listOf(value)),
});

const logLevel = { format: ['debug', 'info', 'warn', 'error'], default: 'info', env: 'PICOCLAW_LOG_LEVEL', arg: 'log-level', doc: 'log level' };
const home = { format: String, default: '', env: 'PICOCLAW_HOME', arg: 'home', doc: 'home directory (default ~/.picoclaw)' };
const config = { format: String, default: '', env: 'PICOCLAW_CONFIG', arg: 'config', doc: 'config.json path (default <home>/config.json)' };

const launcherSchema = {
  home,
  config,
  host: { format: String, default: '', env: 'PICOCLAW_LAUNCHER_HOST', arg: 'host', doc: 'address to listen on (default 127.0.0.1; all interfaces with --public)' },
  port: { format: 'tcp-port', default: 18800, env: 'PICOCLAW_LAUNCHER_PORT', arg: 'port', doc: 'dashboard port' },
  public: { format: Boolean, default: false, env: 'PICOCLAW_LAUNCHER_PUBLIC', arg: 'public', doc: 'listen on all interfaces' },
  logLevel,
  token: { format: String, default: '', env: 'PICOCLAW_LAUNCHER_TOKEN', sensitive: true, doc: 'static dashboard login token' },
  noBrowser: { format: Boolean, default: false, arg: 'no-browser', doc: 'accepted for compatibility; the launcher never opens a browser' },
  allowedHosts: { format: 'host-list', default: [] as string[], env: 'PICOCLAW_LAUNCHER_ALLOWED_HOSTS', doc: 'other names the dashboard is opened by (launcher-config.json allowed_hosts; ".lan.example" allows subdomains; "*" turns the Host check off)' },
  trustedProxies: { format: 'cidr-list', default: [] as string[], env: 'PICOCLAW_LAUNCHER_TRUSTED_PROXIES', doc: 'reverse proxies whose X-Forwarded-For/-Proto are believed (launcher-config.json trusted_proxy_cidrs; IPs or CIDRs)' },
};

const gatewaySchema = {
  home,
  config,
  host: { format: String, default: '127.0.0.1', env: 'PICOCLAW_GATEWAY_HOST', arg: 'host', doc: 'address to listen on' },
  port: { format: 'tcp-port', default: 18790, env: 'PICOCLAW_GATEWAY_PORT', arg: 'port', doc: 'HTTP port' },
  allowPublic: { format: Boolean, default: false, env: 'PICOCLAW_GATEWAY_ALLOW_PUBLIC', arg: 'allow-public', doc: 'allow a non-loopback host (needs a token)' },
  logLevel,
  debug: { format: Boolean, default: false, arg: 'debug', doc: 'log level debug' },
  // Kept so existing command lines still work: the gateway always starts without a model now.
  allowEmpty: { format: Boolean, default: false, arg: 'allow-empty', doc: 'accepted for compatibility; no longer needed (the gateway starts without a model and says what to set)' },
  token: { format: String, default: '', env: 'PICOCLAW_GATEWAY_TOKEN', sensitive: true, doc: 'token for the control endpoints (set by the launcher)' },
};

export interface LauncherSettings {
  home: string;
  config: string;
  host: string;
  port: number;
  public: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  token: string;
  /**
   * Host names the dashboard answers to besides localhost, IP addresses and this machine's name
   * (lowercase; a leading dot allows subdomains; `*` turns the Host check off).
   */
  allowedHosts: readonly string[];
  /** Peers (IPs or CIDRs) whose X-Forwarded-For and X-Forwarded-Proto are believed. */
  trustedProxies: readonly string[];
}

export interface GatewaySettings {
  home: string;
  config: string;
  host: string;
  port: number;
  allowPublic: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** `--allow-empty`: accepted for compatibility; the gateway starts without a model either way. */
  allowEmpty: boolean;
  token: string;
  /** What a person should know about these settings (a config's public host kept on loopback). */
  notes?: readonly string[];
}

export interface SettingsSources {
  argv?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** The settings file layer, already parsed (launcher-config.json, or config.json's `gateway`). */
  file?: Record<string, unknown>;
}

type Schema = Record<string, { arg?: string; env?: string; sensitive?: boolean; default: unknown; format: unknown; doc: string }>;
const shortFlags: Record<string, string> = { '-d': '--debug', '-E': '--allow-empty', '-p': '--port', '-h': '--help' };

/** Checks flags against the schema (convict ignores unknown ones) and expands short forms. */
function normaliseArgv(argv: readonly string[], schema: Schema): string[] {
  const known = new Map(Object.values(schema).filter((s) => s.arg).map((s) => [s.arg!, s]));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = shortFlags[argv[i]!] ?? argv[i]!;
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(token);
    if (!match) throw new PicoError('settings_invalid', `unexpected argument "${token}"; flags: ${[...known.keys()].map((k) => `--${k}`).join(', ')}`);
    const [, name, inline] = match;
    const spec = known.get(name!);
    if (!spec) throw new PicoError('settings_invalid', `unknown flag --${name}; flags: ${[...known.keys()].map((k) => `--${k}`).join(', ')}`);
    if (spec.format === Boolean) {
      out.push(inline === undefined ? `--${name}` : `--${name}=${inline}`);
    } else if (inline !== undefined) out.push(`--${name}=${inline}`);
    else {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new PicoError('settings_invalid', `--${name} needs a value`);
      out.push(`--${name}=${value}`);
      i++;
    }
  }
  return out;
}

function load(schema: Schema, sources: SettingsSources, fileKeys: Record<string, string>, fileName: string) {
  const env = sources.env ?? process.env;
  const argv = normaliseArgv(sources.argv ?? [], schema);
  const fileLayer: Record<string, unknown> = {};
  for (const [fileKey, key] of Object.entries(fileKeys)) {
    if (sources.file?.[fileKey] !== undefined) fileLayer[key] = sources.file[fileKey];
  }
  const flagOf = (key: string) => schema[key]?.arg && argv.some((a) => a === `--${schema[key]!.arg}` || a.startsWith(`--${schema[key]!.arg}=`));
  const sourceOf = (key: string) => {
    const spec = schema[key]!;
    if (flagOf(key)) return `--${spec.arg}`;
    if (spec.env && env[spec.env] !== undefined) return `env ${spec.env}`;
    const fileKey = Object.entries(fileKeys).find(([, k]) => k === key)?.[0];
    if (fileKey && sources.file?.[fileKey] !== undefined) return `${fileName} ${fileKey}`;
    return 'default';
  };
  const settings = convict(schema as never, { env: env as Record<string, string>, args: argv });
  const problems: string[] = [];
  try {
    settings.load(fileLayer);
    settings.validate({ allowed: 'strict' });
  } catch (error) {
    for (const line of (error as Error).message.split('\n')) {
      const match = /^([A-Za-z]+): (.*?)(?:: value was .*)?$/.exec(line.trim());
      if (!match) continue;
      const [, key, message] = match;
      if (!schema[key!]) continue;
      const expected = Array.isArray(schema[key!]!.format) ? `; expected one of ${(schema[key!]!.format as string[]).join(', ')}` : '';
      problems.push(`${key} (from ${sourceOf(key!)}): ${schema[key!]!.sensitive ? 'invalid value' : message}${expected}`);
    }
    if (problems.length === 0) problems.push((error as Error).message);
  }
  if (problems.length) throw new PicoError('settings_invalid', `invalid settings:\n  - ${problems.join('\n  - ')}`);
  return { values: settings.getProperties() as Record<string, unknown>, sourceOf, env };
}

const isLoopback = (host: string) => /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/i.test(host.trim());

function resolveHomeAndConfig(values: Record<string, unknown>, env: NodeJS.ProcessEnv) {
  const paths = resolvePaths({ home: (values.home as string) || undefined, config: (values.config as string) || undefined, env: { ...env, PICOCLAW_HOME: (values.home as string) || env.PICOCLAW_HOME } });
  return { home: paths.home, config: resolve(expandHome(paths.config)) };
}

export function loadLauncherSettings(sources: SettingsSources = {}): Readonly<LauncherSettings> {
  const { values, env } = load(launcherSchema as Schema, sources, { port: 'port', public: 'public', host: 'host', log_level: 'logLevel', allowed_hosts: 'allowedHosts', trusted_proxy_cidrs: 'trustedProxies' }, 'launcher-config.json');
  // An explicit host wins over --public, as in the reference.
  const host = (values.host as string).trim() || (values.public ? '0.0.0.0' : '127.0.0.1');
  return Object.freeze({
    ...resolveHomeAndConfig(values, env),
    host,
    port: values.port as number,
    public: (values.public as boolean) || !isLoopback(host),
    logLevel: values.logLevel as LauncherSettings['logLevel'],
    token: (values.token as string).trim(),
    allowedHosts: Object.freeze((values.allowedHosts as string[]).map((h) => h.trim().toLowerCase()).filter(Boolean)),
    trustedProxies: Object.freeze((values.trustedProxies as string[]).map((c) => c.trim()).filter(Boolean)),
  });
}

export function loadGatewaySettings(sources: SettingsSources = {}): Readonly<GatewaySettings> {
  const { values, sourceOf, env } = load(gatewaySchema as Schema, sources, { host: 'host', port: 'port', log_level: 'logLevel' }, 'config.json gateway');
  let host = (values.host as string).trim();
  if (!host) throw new PicoError('settings_invalid', `invalid --host value: host cannot be empty (from ${sourceOf('host')})`);
  const token = (values.token as string).trim();
  const notes: string[] = [];
  if (!isLoopback(host) && (!values.allowPublic || !token) && sourceOf('host').startsWith('config.json')) {
    // PicoClaw's own example configs say 0.0.0.0: such a config loads, and the gateway stays on
    // loopback, as its API controls the assistant. A flag or variable asking for it is an error.
    notes.push(`gateway.host ${host} (config.json) is not loopback: the gateway listens on 127.0.0.1, as its API controls the assistant. To expose it, start it with --allow-public and a token (PICOCLAW_GATEWAY_TOKEN)`);
    host = '127.0.0.1';
  } else if (!isLoopback(host) && (!values.allowPublic || !token)) {
    throw new PicoError(
      'settings_invalid',
      `the gateway would listen on ${host} (from ${sourceOf('host')}), which is not loopback. Its API controls the assistant, so a non-loopback address needs both --allow-public and a token (PICOCLAW_GATEWAY_TOKEN). Use 127.0.0.1 unless other machines must reach it.`,
    );
  }
  return Object.freeze({
    ...resolveHomeAndConfig(values, env),
    host,
    port: values.port as number,
    allowPublic: values.allowPublic as boolean,
    logLevel: values.debug ? 'debug' : (values.logLevel as GatewaySettings['logLevel']),
    allowEmpty: values.allowEmpty as boolean,
    token,
    notes: Object.freeze(notes),
  });
}

/** A copy fit for a log line: tokens become "(set)" or "(not set)". */
export function describeSettings<T extends { token: string }>(settings: T): Omit<T, 'token'> & { token: string } {
  return { ...settings, token: settings.token ? '(set)' : '(not set)' };
}

/** `--help` text for a settings schema. */
export function settingsHelp(kind: 'launcher' | 'gateway'): string {
  const schema = (kind === 'launcher' ? launcherSchema : gatewaySchema) as Schema;
  return Object.values(schema)
    .filter((s) => s.arg || s.env)
    .map((s) => `  ${(s.arg ? `--${s.arg}` : '').padEnd(16)} ${(s.env ?? '').padEnd(34)} ${s.doc}${s.sensitive ? '' : s.default !== '' && s.default !== false && !(Array.isArray(s.default) && s.default.length === 0) ? ` (default ${String(s.default)})` : ''}`)
    .join('\n');
}
