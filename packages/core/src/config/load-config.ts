/**
 * The config load pipeline: read config.json → migrate older shapes → merge .security.yml →
 * validate (the *document*: what the files say) → apply PICOCLAW_* env overrides → resolve
 * credential refs → validate again (the runtime *config*). Every failure is a ConfigError whose
 * issues name the key path, its source and what would be valid; nothing is ever written here.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { dirname, isAbsolute, resolve } from 'node:path';
import { findNodeAtLocation, parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import type { z } from 'zod';
import { readFileIfExists } from '../atomic-write.js';
import { jsonNestingTooDeep, MAX_JSON_DEPTH } from '../http-input.js';
import { expandHome, resolvePaths } from '../paths.js';
import { ConfigError, dotted, formatIssues, toConfigIssues, type ConfigIssue } from './config-error.js';
import { ignoredWarnings, parseWithCompat, restoreKept } from './compat.js';
import { defaultModelProblem } from './providers.js';
import { resolveCredential } from './credentials.js';
import { channelEnvBindings, globalEnvBindings, parseEnvValue } from './env-overrides.js';
import { migrateConfig, writtenPath } from './migrate.js';
import { configSchema, CONFIG_VERSION, type Config } from './schema.js';
import { forEachSecret, SECRET_PLACEHOLDER } from './secrets.js';
import { loadYaml } from './load-yaml.js';
import { mergeSecurity } from './security-file.js';

type Json = Record<string, unknown>;
type Path = readonly PropertyKey[];

export interface LoadConfigOptions {
  /** Path of config.json; default from PICOCLAW_CONFIG / PICOCLAW_HOME. */
  configPath?: string;
  /** Home directory (the default workspace is `<home>/workspace`); default from PICOCLAW_HOME. */
  home?: string;
  /** Environment for overrides and credential refs; pass `{}` to read the files alone. */
  env?: NodeJS.ProcessEnv;
  /** The launcher's dashboard token: a pico channel token equal to it is refused. */
  launcherToken?: string;
}

export interface LoadedConfig {
  /** What the gateway runs with: env overrides applied, credential refs resolved, workspace absolute. */
  config: Config;
  /** What the files say (secrets merged, refs unresolved, no env): the thing to edit and save. */
  document: Config;
  paths: { config: string; security: string; home: string };
  /** False when config.json does not exist and defaults are in use. */
  exists: boolean;
  /** Set when the file had an older schema version and was migrated in memory. */
  migratedFrom?: number;
  /** Non-fatal findings worth a log line (never containing a secret value). */
  warnings: string[];
  /** Environment variables that changed the document. */
  envOverrides: string[];
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `${line}:${offset - before.lastIndexOf('\n')}`;
}

const parseHints: Record<string, string> = {
  CommaExpected: 'expected a comma between entries',
  ColonExpected: 'expected a colon after the key',
  PropertyNameExpected: 'expected a quoted key (trailing commas are not allowed in JSON)',
  ValueExpected: 'expected a value',
  CloseBraceExpected: 'expected a closing brace }',
  CloseBracketExpected: 'expected a closing bracket ]',
  EndOfFileExpected: 'unexpected content after the end of the document',
  InvalidCommentToken: 'comments are not allowed in config.json',
  UnexpectedEndOfComment: 'comments are not allowed in config.json',
  UnexpectedEndOfString: 'unterminated string',
  InvalidSymbol: 'invalid character (keys and strings need double quotes)',
  InvalidEscapeCharacter: 'invalid escape sequence in a string',
  InvalidUnicode: 'invalid \\u escape in a string',
  InvalidCharacter: 'invalid character in a string (control characters must be escaped)',
};

/** Parses config.json text, with errors that name the line and column. */
/** Deeper than any real config; beyond it parsers and walkers would exhaust the stack. */
const MAX_NESTING = MAX_JSON_DEPTH;

/** Iterative, so a hostile document cannot overflow the stack while being measured. */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

export function parseConfigText(text: string, file = 'config.json'): { value: Json; tree?: JsonNode } {
  if (text.trim() === '') return { value: {} };
  const deep = jsonNestingTooDeep(text, MAX_NESTING);
  if (deep >= 0) {
    const issue = { path: '', source: `${file}:${lineCol(text, deep)}`, message: `nested more than ${MAX_NESTING} levels deep; a config is never nested like this (is the file damaged?)` };
    throw new ConfigError(formatIssues(`${file} is invalid`, [issue]), [issue], 'config_parse');
  }
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length > 0 || !tree) {
    const issues = errors.slice(0, 5).map((e) => {
      const code = printParseErrorCode(e.error);
      return { path: '', source: `${file}:${lineCol(text, e.offset)}`, message: parseHints[code] ?? code };
    });
    throw new ConfigError(formatIssues(`${file} is not valid JSON`, issues), issues, 'config_parse');
  }
  const value: unknown = JSON.parse(text);
  if (!isObject(value)) {
    const issue = { path: '', source: file, message: 'the document must be a JSON object ({ … })' };
    throw new ConfigError(formatIssues(`${file} is invalid`, [issue]), [issue], 'config_parse');
  }
  return { value, tree };
}

/** Parses .security.yml text; it must be a mapping (or empty). */
export async function parseSecurityText(text: string, file = '.security.yml'): Promise<Json> {
  return (await parseSecurityDocument(text, file)).value;
}

/**
 * Parses .security.yml text, with a way to name the line of a key path in it (`file:line:col`;
 * the nearest existing ancestor when the path itself is not there, e.g. after a legacy spelling moved).
 */
async function parseSecurityDocument(text: string, file = '.security.yml'): Promise<{ value: Json; locate(path: readonly (string | number)[]): string }> {
  const { parseDocument } = await loadYaml();
  let doc: ReturnType<typeof parseDocument>;
  let value: unknown;
  try {
    doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    value = doc.errors.length ? undefined : doc.toJS();
  } catch (error) {
    // The YAML library recurses per nesting level: a hostile or damaged file overflows the stack.
    if (!(error instanceof RangeError)) throw error;
    const issue = { path: '', source: file, message: 'nested too deeply to read (is the file damaged?)' };
    throw new ConfigError(formatIssues(`${file} is invalid`, [issue]), [issue], 'config_parse');
  }
  const error = doc.errors[0];
  if (error) {
    const [line, col] = error.linePos?.[0] ? [error.linePos[0].line, error.linePos[0].col] : [0, 0];
    const issue = { path: '', source: `${file}:${line}:${col}`, message: error.message.split('\n')[0] ?? 'invalid YAML' };
    throw new ConfigError(formatIssues(`${file} is not valid YAML`, [issue]), [issue], 'config_parse');
  }
  if (!isObject(value) && value !== null && value !== undefined) {
    const issue = { path: '', source: file, message: 'the document must be a mapping of key paths to secrets' };
    throw new ConfigError(formatIssues(`${file} is invalid`, [issue]), [issue], 'config_parse');
  }
  const parsed = doc;
  return {
    value: isObject(value) ? value : {},
    locate(path) {
      type Ranged = { range?: [number, number, number] };
      for (let n = path.length; n > 0; n--) {
        // The key's own line (the pair in its parent map), else its value's.
        const parent = (n === 1 ? parsed.contents : parsed.getIn(path.slice(0, n - 1), true)) as { items?: { key?: Ranged & { value?: unknown } }[] } | undefined;
        const key = parent?.items?.find((pair) => String(pair.key?.value) === String(path[n - 1]))?.key;
        const node = key?.range ? key : (parsed.getIn(path.slice(0, n), true) as Ranged | undefined);
        if (node?.range) return `${file}:${lineCol(text, node.range[0])}`;
      }
      return file;
    },
  };
}

function readText(path: string): Promise<string | undefined> {
  return readFileIfExists(path).catch((error: Error) => {
    throw new ConfigError(`cannot read ${path}: ${error.message}`, [], 'config_parse');
  });
}

function setAt(doc: Json, path: readonly string[], value: unknown) {
  let node = doc;
  for (const key of path.slice(0, -1)) {
    if (!isObject(node[key])) node[key] = {};
    node = node[key] as Json;
  }
  node[path.at(-1)!] = value;
}

/**
 * Applies PICOCLAW_* overrides to a raw document (in place). Returns which variable set which
 * path, for error messages, and problems with the values themselves.
 */
export function applyEnvOverrides(doc: Json, env: NodeJS.ProcessEnv): { sources: Map<string, string>; issues: ConfigIssue[]; warnings: string[] } {
  const sources = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];
  const apply = (target: Json, base: readonly string[], binding: { name: string; path: readonly string[]; kind: Parameters<typeof parseEnvValue>[1] }) => {
    const raw = env[binding.name];
    if (raw === undefined) return;
    const fullPath = [...base, ...binding.path];
    try {
      setAt(target, binding.path, parseEnvValue(raw, binding.kind));
      sources.set(fullPath.join('.'), binding.name);
    } catch (error) {
      issues.push({ path: fullPath.join('.'), source: `env ${binding.name}`, message: (error as Error).message });
    }
  };
  for (const binding of globalEnvBindings()) apply(doc, [], binding);

  const list = isObject(doc.channel_list) ? doc.channel_list : undefined;
  for (const type of ['pico', 'telegram', 'mqtt']) {
    const bindings = channelEnvBindings(type).filter((b) => env[b.name] !== undefined);
    if (bindings.length === 0) continue;
    const channelList = list ?? (doc.channel_list = {} as Json);
    let instances = Object.entries(channelList as Json).filter(([name, c]) => isObject(c) && (c.type ?? name) === type);
    if (instances.length === 0) {
      // Environment-only setup (containers): the variables create the channel entry.
      (channelList as Json)[type] = { type };
      instances = [[type, (channelList as Json)[type]]];
    } else if (instances.length > 1) {
      warnings.push(`${bindings.map((b) => b.name).join(', ')} apply to every ${type} channel: ${instances.map(([n]) => n).join(', ')}`);
    }
    for (const [name, channel] of instances) {
      for (const binding of bindings) apply(channel as Json, ['channel_list', name], binding);
    }
  }
  return { sources, issues, warnings };
}

/**
 * Validates a raw document (already migrated and merged). `locate` names where a path came from.
 * Returns the typed config or throws a ConfigError.
 */
function validate(doc: Json, title: string, locate: (path: Path) => string | undefined, show?: (path: Path) => Path, parsed = configSchema.safeParse(doc)): Config {
  const result = parsed;
  if (result.success) return result.data;
  const issues = toConfigIssues(result.error as z.ZodError, doc, locate, show);
  throw new ConfigError(formatIssues(title, issues), issues);
}

function sameSecret(a: string, b: string): boolean {
  const hash = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(hash(a), hash(b));
}

/**
 * What an enabled channel needs to start, and whether the default model can be found: warnings,
 * as in PicoClaw (the config loads; that channel fails when it starts, the gateway is ready but
 * degraded and says why). Shared by the loader and `validateConfigDocument`.
 */
function runtimeWarnings(config: Config): string[] {
  const warnings: string[] = [];
  for (const [name, channel] of Object.entries(config.channel_list)) {
    if (!channel.enabled) continue;
    const at = (key: string) => `channel_list.${name}.settings.${key}`;
    const missing = (key: string, how: string) => warnings.push(`${at(key)} is not set, so the enabled ${channel.type} channel "${name}" will not start: ${how}`);
    if (channel.type === 'mqtt') {
      if (!channel.settings.broker) missing('broker', 'set it, e.g. "tcp://localhost:1883" (or PICOCLAW_CHANNELS_MQTT_BROKER)');
      if (!channel.settings.agent_id) missing('agent_id', 'set it, e.g. "assistant" (or PICOCLAW_CHANNELS_MQTT_AGENT_ID)');
    }
    if (channel.type === 'telegram' && !channel.settings.token) missing('token', 'put the bot token from @BotFather in .security.yml (or PICOCLAW_CHANNELS_TELEGRAM_TOKEN)');
    if (channel.type === 'telegram' && !channel.allow_from.some((a) => a.trim())) {
      warnings.push(`channel_list.${name}.allow_from is empty, so nobody may use the Telegram bot (PicoClaw lets everyone): add your numeric Telegram user id (the bot tells you yours when you write to it), or "*" to let anyone who finds the bot use it and your Home Assistant through it`);
    }
  }
  // No model to answer with: the one sentence the gateway also gives (readiness, /status, chat).
  const problem = defaultModelProblem(config);
  if (problem) warnings.push(`${problem}; the gateway runs anyway (ready, degraded: no_model) and answers every message with this`);
  // A fallback that is neither a model_list model_name nor vendor/model (PicoClaw, too, finds out only when it is needed).
  const aliases = new Set(config.model_list.map((m) => m.model_name));
  const known = [...aliases].join(', ') || '(model_list is empty)';
  const check = (ref: string, at: string) => {
    if (ref && !aliases.has(ref) && !/^[^/\s]+\/\S+$/.test(ref)) {
      warnings.push(`${at} "${ref}" is not a model_list model_name (known: ${known}) nor a vendor/model reference; for a bare model id, set agents.defaults.provider (e.g. "openai")`);
    }
  };
  config.agents.defaults.model_fallbacks.forEach((ref, i) => check(ref, `agents.defaults.model_fallbacks.${i}`));
  config.model_list.forEach((m, i) => m.fallbacks.forEach((ref, j) => check(ref, `model_list.${i}.fallbacks.${j}`)));
  // Transcription models come from model_list only: an entry holds the endpoint and its key.
  [config.voice.model_name, ...config.voice.model_fallbacks].forEach((ref, i) => {
    if (ref && !aliases.has(ref)) warnings.push(`${i ? `voice.model_fallbacks.${i - 1}` : 'voice.model_name'} "${ref}" is not a model_list model_name (known: ${known}); voice notes cannot be transcribed with it`);
  });
  if (config.voice.tts_model_name && !aliases.has(config.voice.tts_model_name)) {
    warnings.push(`voice.tts_model_name "${config.voice.tts_model_name}" is not a model_list model_name (known: ${known}); send_tts cannot speak with it`);
  }
  return warnings;
}

/** A pico token distinct from the launcher token: a security rule, so an error (the API refuses it too). */
function runtimeChecks(config: Config, launcherToken: string | undefined): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [name, channel] of Object.entries(config.channel_list)) {
    if (!channel.enabled) continue;
    if (channel.type === 'pico' && launcherToken && channel.settings.token && sameSecret(channel.settings.token, launcherToken)) {
      issues.push({
        path: `channel_list.${name}.settings.token`,
        message:
          'must differ from the launcher token (PICOCLAW_LAUNCHER_TOKEN). The pico token is an internal secret between ' +
          'launcher and gateway; reusing the dashboard login token makes chat fail with "Invalid Pico token". ' +
          'Remove it to let the launcher generate one, or set a distinct value (e.g. `openssl rand -hex 16`).',
      });
    }
  }
  return issues;
}

export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const homePaths = resolvePaths({ home: options.home, config: options.configPath, env });
  const paths = { config: homePaths.config, security: homePaths.security, home: homePaths.home };
  const warnings: string[] = [];

  const text = await readText(paths.config);
  const { value: raw, tree } = text === undefined ? { value: {} as Json, tree: undefined } : parseConfigText(text);
  if (text !== undefined && text.trim() === '') warnings.push(`${paths.config} is empty; using defaults`);

  const securityText = await readText(paths.security);
  const securityFile = securityText === undefined ? undefined : await parseSecurityDocument(securityText);
  const security = securityFile?.value ?? {};

  if (raw.version !== undefined && ![0, 1, 2, CONFIG_VERSION].includes(raw.version as number)) {
    const issue = { path: 'version', source: 'config.json', message: `unsupported config version ${JSON.stringify(raw.version)}; this PicoClaw reads versions 0 to ${CONFIG_VERSION}` };
    throw new ConfigError(formatIssues('config.json is invalid', [issue]), [issue], 'config_version');
  }
  // Secrets are merged before migration so legacy shapes in both files move together.
  const merged = structuredClone(raw);
  const securityMerge = mergeSecurity(merged, security);
  warnings.push(...securityMerge.warnings);
  const { doc, from, notes } = migrateConfig(merged);
  warnings.push(...notes);
  const fromSecurity = new Set(securityMerge.paths.map((p) => dotted(p)));

  // Where a key is as the user wrote it: before the migration, for a config of an older version.
  const written = (path: Path): Path => (from === undefined ? path : writtenPath(raw, path.map((s) => (typeof s === 'number' ? s : String(s)))));
  const locate = (envSources?: Map<string, string>) => (path: Path): string | undefined => {
    const asWritten = written(path);
    for (let n = path.length; n >= 0; n--) {
      const envName = envSources?.get(dotted(path.slice(0, n)));
      if (envName) return `env ${envName}`;
    }
    for (let n = asWritten.length; n >= 0; n--) {
      const yamlPath = securityMerge.sources.get(dotted(asWritten.slice(0, n)));
      if (yamlPath) return securityFile?.locate(yamlPath) ?? '.security.yml';
      if (fromSecurity.has(dotted(asWritten.slice(0, n)))) return '.security.yml';
    }
    if (tree) {
      for (let n = asWritten.length; n >= 0; n--) {
        const node = findNodeAtLocation(tree, asWritten.slice(0, n).map((s) => (typeof s === 'number' ? s : String(s))));
        if (node && text !== undefined) {
          const at = node.parent?.type === 'property' ? node.parent.offset : node.offset;
          return `config.json:${lineCol(text, at)}`;
        }
      }
    }
    return text === undefined ? 'default' : 'config.json';
  };

  // PicoClaw's comments, nulls, zeros and keys this project lacks (compat.ts), then the schema.
  const { result: parsed, compat } = parseWithCompat(doc, configSchema);
  warnings.push(...ignoredWarnings(compat.ignored.map((i) => ({ ...i, path: dotted(written(i.path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s)))) }))));
  const document = restoreKept(validate(doc, `${paths.config} is invalid`, locate(), written, parsed as ReturnType<typeof configSchema.safeParse>), compat.kept);
  // Secrets belong in .security.yml (mode 0600, kept out of backups of config.json and of the API).
  const plaintext: string[] = [];
  forEachSecret(document, (value, path) => {
    const merged = path.some((_, n) => fromSecurity.has(dotted(path.slice(0, n + 1))));
    if (value && value !== SECRET_PLACEHOLDER && !/^(file|enc):\/\//.test(value) && !merged) plaintext.push(dotted(path));
  });
  if (plaintext.length) {
    warnings.push(`secrets stored in config.json (${plaintext.join(', ')}); move them to .security.yml, or save the config from the dashboard, which does it for you`);
  }

  // Runtime layer: environment overrides, then credential references.
  const runtimeDoc = structuredClone(doc);
  const envResult = applyEnvOverrides(runtimeDoc, env);
  warnings.push(...envResult.warnings);
  if (envResult.issues.length) throw new ConfigError(formatIssues('environment overrides are invalid', envResult.issues), envResult.issues);
  const runtimeLocate = locate(envResult.sources);
  const config = envResult.sources.size ? validate(runtimeDoc, `${paths.config} with environment overrides is invalid`, runtimeLocate) : structuredClone(document);

  const pending: Promise<void>[] = [];
  const refIssues: ConfigIssue[] = [];
  const configDir = dirname(paths.config);
  forEachSecret(config, (value, path, set) => {
    const where = dotted(path);
    if (value === SECRET_PLACEHOLDER) {
      warnings.push(`${where} is "${SECRET_PLACEHOLDER}" in config.json but .security.yml has no value for it; treating it as not set`);
      set('');
    } else if (value.startsWith('file://') || value.startsWith('enc://')) {
      pending.push(
        resolveCredential(value, where, { configDir, env }).then(set, (error: Error) => {
          refIssues.push({ path: where, source: runtimeLocate(path), message: error.message.replace(`${where}: `, '') });
        }),
      );
    }
  });
  await Promise.all(pending);
  if (refIssues.length) throw new ConfigError(formatIssues('credential references cannot be resolved', refIssues), refIssues);

  const cross = runtimeChecks(config, options.launcherToken).map((i) => ({ ...i, source: runtimeLocate(i.path.split('.')) }));
  if (cross.length) throw new ConfigError(formatIssues(`${paths.config} is invalid`, cross), cross);
  warnings.push(...runtimeWarnings(config));

  const workspace = config.agents.defaults.workspace;
  config.agents.defaults.workspace = workspace ? resolve(paths.home, expandHome(workspace)) : homePaths.workspace;
  if (workspace && !isAbsolute(expandHome(workspace))) warnings.push(`agents.defaults.workspace "${workspace}" is relative; using ${config.agents.defaults.workspace}`);

  for (const entry of config.model_list) {
    if (!entry.enabled && [config.agents.defaults.model_name, ...config.agents.defaults.model_fallbacks].includes(entry.model_name)) {
      warnings.push(`model ${entry.model_name} is disabled but agents.defaults refers to it; it will be skipped`);
    }
  }

  return {
    config,
    document,
    paths,
    exists: text !== undefined,
    ...(from !== undefined ? { migratedFrom: from } : {}),
    warnings,
    envOverrides: [...new Set(envResult.sources.values())],
  };
}

/**
 * Validates a document sent by a client (the launcher's config API) with the same rules as the
 * loader. Secrets still holding the placeholder are accepted (the caller restores them first).
 */
export function validateConfigDocument(
  doc: unknown,
  options: { launcherToken?: string; env?: NodeJS.ProcessEnv } = {},
): { ok: true; config: Config; warnings: string[] } | { ok: false; issues: ConfigIssue[] } {
  if (!isObject(doc)) return { ok: false, issues: [{ path: '', source: 'request', message: 'the config must be a JSON object' }] };
  if (nestedDeeperThan(doc, MAX_NESTING)) return { ok: false, issues: [{ path: '', source: 'request', message: `nested more than ${MAX_NESTING} levels deep; a config is never nested like this` }] };
  const { doc: migrated } = migrateConfig(doc);
  const { result: parsed, compat } = parseWithCompat(migrated, configSchema);
  const result = parsed as ReturnType<typeof configSchema.safeParse>;
  if (!result.success) return { ok: false, issues: toConfigIssues(result.error as z.ZodError, migrated, () => 'request') };
  restoreKept(result.data, compat.kept);
  // The runtime checks see what the gateway will see: the document plus the environment.
  const runtimeDoc = structuredClone(migrated);
  const envResult = applyEnvOverrides(runtimeDoc, options.env ?? {});
  const runtime = configSchema.safeParse(runtimeDoc);
  const issues = [
    ...envResult.issues,
    ...(runtime.success ? runtimeChecks(runtime.data, options.launcherToken) : []).map((i) => ({ ...i, source: 'request' })),
  ];
  if (issues.length) return { ok: false, issues };
  // What loading it would warn about (keys ignored for compatibility, channels that will not start, …).
  return { ok: true, config: result.data, warnings: [...ignoredWarnings(compat.ignored), ...envResult.warnings, ...(runtime.success ? runtimeWarnings(runtime.data) : [])] };
}
