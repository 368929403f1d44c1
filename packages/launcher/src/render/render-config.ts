/**
 * Config rendering, the built-in replacement for the homelab's secrets-then-config boot services:
 * a template config.json whose strings may hold `${NAME}` (from an env file such as
 * /run/picoclaw/env, or the environment) and `op://vault/item/field` references (read with the
 * 1Password CLI), rendered into config.json + .security.yml through the ordinary save pipeline:
 * validated, secrets split off, atomic writes, mode 0600. Secret values are never printed.
 */
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { ConfigError, loadConfig, parseConfigText, parseEnvFile, PicoError, redactSecrets, saveConfig, validateConfigDocument } from '@picoclaw/core';

export interface RenderOptions {
  template: string;
  configPath: string;
  home: string;
  envFile?: string;
  env?: NodeJS.ProcessEnv;
  dryRun?: boolean;
  launcherToken?: string;
  /** The 1Password CLI (tests point it at a fake). */
  op?: string;
  opTimeoutMs?: number;
}

export interface RenderResult {
  written: boolean;
  /** Key paths whose value changes; secrets are named, never shown. */
  changes: string[];
  references: { env: string[]; op: number };
}

async function readOp(reference: string, op: string, timeoutMs: number, env: NodeJS.ProcessEnv): Promise<string> {
  const result = await execa(op, ['read', '--no-newline', reference], { reject: false, timeout: timeoutMs, stdin: 'ignore', env, extendEnv: false });
  if ((result as { code?: string }).code === 'ENOENT' || /ENOENT/.test(String(result.message ?? ''))) {
    throw new PicoError('secret_ref', `the 1Password CLI ("${op}") is not installed or not on PATH; install it, or put the secrets in an env file`);
  }
  if (result.timedOut) throw new PicoError('secret_ref', `1Password did not answer within ${timeoutMs / 1000} s for ${reference.replace(/\/[^/]+$/, '/…')}`);
  if (result.exitCode !== 0) {
    const why = String(result.stderr).split('\n').find(Boolean) ?? `exit code ${result.exitCode}`;
    const hint = /signed? ?in|signin|session|authenticat/i.test(why) ? ' (sign in with `op signin`, or set OP_SERVICE_ACCOUNT_TOKEN)' : '';
    throw new PicoError('secret_ref', `1Password could not read ${reference}: ${why}${hint}`);
  }
  return String(result.stdout);
}

/** Replaces references in every string of the template; returns what it used. */
async function substitute(value: unknown, vars: Record<string, string>, options: RenderOptions, used: RenderResult['references'], path: string): Promise<unknown> {
  if (typeof value === 'string') {
    if (value.startsWith('op://')) {
      used.op++;
      // op finds its session (OP_SESSION_*, OP_SERVICE_ACCOUNT_TOKEN) and PATH in the environment.
      return readOp(value, options.op ?? 'op', options.opTimeoutMs ?? 20_000, { ...process.env, ...options.env });
    }
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const found = vars[name];
      if (found === undefined) {
        throw new PicoError('secret_ref', `${path}: \${${name}} is not set ${options.envFile ? `in ${options.envFile} nor ` : ''}in the environment`);
      }
      used.env.push(name);
      return found;
    });
  }
  if (Array.isArray(value)) return Promise.all(value.map((v, i) => substitute(v, vars, options, used, `${path}.${i}`)));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await substitute(v, vars, options, used, path ? `${path}.${k}` : k);
    return out;
  }
  return value;
}

function diffPaths(a: unknown, b: unknown, path = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => diffPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return [path || '(document)'];
}

export async function renderConfig(options: RenderOptions): Promise<RenderResult> {
  const templateText = await readFile(options.template, 'utf8').catch((error: Error) => {
    throw new PicoError('config_parse', `cannot read the template ${options.template}: ${error.message}`);
  });
  const template = parseConfigText(templateText, options.template).value;
  const fileVars = options.envFile
    ? parseEnvFile(await readFile(options.envFile, 'utf8').catch((error: Error) => {
        throw new PicoError('secret_ref', `cannot read the env file ${options.envFile}: ${error.message}`);
      }))
    : {};
  const vars = { ...(options.env ?? process.env), ...fileVars } as Record<string, string>;
  const used: RenderResult['references'] = { env: [], op: 0 };
  const rendered = await substitute(template, vars, options, used, '');
  const checked = validateConfigDocument(rendered, { ...(options.launcherToken ? { launcherToken: options.launcherToken } : {}), env: options.env ?? process.env });
  if (!checked.ok) throw new ConfigError(`the rendered config is invalid; nothing was written`, checked.issues);

  const current = await loadConfig({ configPath: options.configPath, home: options.home, env: {} }).then((l) => l.document).catch(() => undefined);
  // Compare redacted documents plus a per-secret comparison, so the diff never shows a value.
  const changes = diffPaths(current ? redactSecrets(current) : {}, redactSecrets(checked.config));
  const secretChanges = current ? diffPaths(current, checked.config).filter((p) => !changes.includes(p)).map((p) => `${p} (secret changed)`) : [];
  const result: RenderResult = { written: false, changes: [...changes, ...secretChanges], references: { env: [...new Set(used.env)], op: used.op } };
  if (options.dryRun) return result;
  await saveConfig(checked.config, { configPath: options.configPath, ...(options.launcherToken ? { launcherToken: options.launcherToken } : {}), env: options.env ?? process.env });
  return { ...result, written: true };
}
