/**
 * `picoclaw onboard`: a new home in one step — config.json, .security.yml (mode 0600, where every
 * secret goes) and workspace/. On a terminal it asks for the essentials (secrets typed without
 * echo); otherwise, or with --non-interactive, it takes them from flags or the environment.
 * An existing config.json is never overwritten without --force, and then the old files are kept
 * as .bak. Exit codes: 0 written, 1 refused (exists), 2 bad or missing input, 130 cancelled.
 */
import { mkdir, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { CONFIG_VERSION, isPicoError, resolvePaths, saveConfig } from '@picoclaw/core';
import type { CliIo } from './cli-commands.js';
import type { Style } from './cli-style.js';

export interface OnboardIo extends CliIo {
  style: Style;
  /** Prompts read from here; onboarding is interactive only when it is a TTY. */
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
}

export interface OnboardAnswers {
  mistralKey: string;
  model: string;
  telegramToken: string;
  telegramAllow: string[];
  haUrl: string;
  haToken: string;
}

class InputError extends Error {}
class CancelledError extends Error {}

/** Each check returns the normalised value or throws an InputError saying what is expected. */
export const checks = {
  mistralKey(value: string): string {
    const key = value.trim();
    if (!key) throw new InputError('a Mistral API key is required (create one at https://console.mistral.ai/api-keys)');
    if (/\s/.test(key) || key.length < 8) throw new InputError('that does not look like an API key (no spaces, at least 8 characters)');
    return key;
  },
  model(value: string): string {
    const model = value.trim() || 'mistral/mistral-small-latest';
    if (!/^mistral\/[\w.:-]+$/.test(model)) throw new InputError(`the model must be a Mistral model written "mistral/<id>", e.g. mistral/mistral-small-latest (got "${model}"); add other providers later in the dashboard or config.json`);
    return model;
  },
  telegramToken(value: string): string {
    const token = value.trim();
    if (token && !/^\d+:[\w-]{20,}$/.test(token)) throw new InputError('a Telegram bot token looks like 123456789:AAF… (ask @BotFather for one)');
    return token;
  },
  telegramAllow(value: string): string[] {
    const ids = value.split(/[,\s]+/).filter(Boolean);
    const bad = ids.find((id) => !/^(-?\d+|@?\w{5,32})$/.test(id));
    if (bad) throw new InputError(`"${bad}" is not a Telegram user id (a number such as 123456789) or @username`);
    return ids;
  },
  /** A bare Home Assistant address gets its MCP path (/api/mcp) appended. */
  haUrl(value: string): string {
    const raw = value.trim().replace(/\/+$/, '');
    if (!raw) return '';
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new InputError(`"${raw}" is not a URL; write it like http://homeassistant.local:8123`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InputError('the Home Assistant URL must start with http:// or https://');
    if (url.pathname === '/' || url.pathname === '') return `${url.origin}/api/mcp`;
    if (url.pathname === '/mcp') throw new InputError(`Home Assistant serves MCP at /api/mcp, not /mcp: use ${url.origin}/api/mcp`);
    return raw;
  },
  haToken(value: string): string {
    const token = value.trim().replace(/^Bearer\s+/i, '');
    if (/\s/.test(token)) throw new InputError('the access token must not contain spaces');
    return token;
  },
};

/** `mistral/mistral-small-latest` → `mistral-small`. */
export function modelNameOf(model: string): string {
  return (model.split('/').at(-1) ?? model).replace(/-latest$/, '').replace(/[^\w.-]+/g, '-');
}

/** The config.json document (secrets inline; saveConfig moves them to .security.yml). */
export function onboardDocument(a: OnboardAnswers): Record<string, unknown> {
  const name = modelNameOf(a.model);
  const doc: Record<string, unknown> = {
    version: CONFIG_VERSION,
    agents: { defaults: { model_name: name } },
    model_list: [{ model_name: name, model: a.model, api_keys: [a.mistralKey] }],
    channel_list: {},
    tools: { mcp: { enabled: false, servers: {} } },
  };
  if (a.telegramToken) {
    doc.channel_list = { telegram: { enabled: true, type: 'telegram', allow_from: a.telegramAllow, settings: { token: a.telegramToken } } };
  }
  if (a.haUrl) {
    doc.tools = { mcp: { enabled: true, servers: { homeassistant: { type: 'http', url: a.haUrl, headers: { Authorization: `Bearer ${a.haToken}` } } } } };
  }
  return doc;
}

/** Questions on a terminal; secret answers are not echoed. Ctrl-C cancels with nothing written. */
function createPrompter(io: OnboardIo) {
  let muted = false;
  // readline echoes through this; muted after the question is shown, so typed secrets never are.
  const output = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!muted) io.output.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input: io.input, output, terminal: true, historySize: 0 });
  const cancel = new AbortController();
  rl.on('SIGINT', () => cancel.abort());
  return {
    async ask<T>(question: string, check: (value: string) => T, options: { secret?: boolean } = {}): Promise<T> {
      for (;;) {
        const pending = rl.question(`${io.style.bold(question)} `, { signal: cancel.signal });
        muted = options.secret === true;
        let answer: string;
        try {
          answer = await pending;
        } catch (error) {
          if (cancel.signal.aborted) throw new CancelledError();
          throw error;
        } finally {
          if (muted) io.output.write('\n');
          muted = false;
        }
        try {
          return check(answer);
        } catch (error) {
          if (!(error instanceof InputError)) throw error;
          io.output.write(`${io.style.bad('✗')} ${error.message}\n`);
        }
      }
    },
    close: () => rl.close(),
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export async function onboardCommand(args: string[], io: OnboardIo): Promise<number> {
  let flags;
  try {
    flags = parseArgs({
      args,
      strict: true,
      options: {
        'mistral-key': { type: 'string' },
        model: { type: 'string' },
        'telegram-token': { type: 'string' },
        'telegram-allow': { type: 'string' },
        'ha-url': { type: 'string' },
        'ha-token': { type: 'string' },
        force: { type: 'boolean' },
        'non-interactive': { type: 'boolean', short: 'y' },
      },
    }).values;
  } catch (error) {
    io.err(`${(error as Error).message}\nusage: picoclaw onboard [--force] [--non-interactive] [flags]; see picoclaw onboard --help`);
    return 2;
  }
  const paths = resolvePaths({ env: io.env });
  if ((await exists(paths.config)) && !flags.force) {
    io.err(`${paths.config} already exists, so onboarding stops here and changes nothing.\nEdit it in the dashboard or with an editor (picoclaw config validate checks it), or run picoclaw onboard --force to start over (the old files are kept as .bak).`);
    return 1;
  }
  const env = io.env;
  const given = {
    mistralKey: flags['mistral-key'] ?? env.MISTRAL_API_KEY,
    model: flags.model,
    telegramToken: flags['telegram-token'] ?? env.TELEGRAM_BOT_TOKEN,
    telegramAllow: flags['telegram-allow'],
    haUrl: flags['ha-url'] ?? env.HA_URL,
    haToken: flags['ha-token'] ?? env.HA_TOKEN,
  };
  const interactive = !flags['non-interactive'] && io.input.isTTY === true;
  let answers: OnboardAnswers;
  try {
    answers = interactive ? await askAnswers(io, given, paths.home) : fromFlags(given);
  } catch (error) {
    if (error instanceof CancelledError) {
      io.err('\nonboarding cancelled: nothing was written');
      return 130;
    }
    if (!(error instanceof InputError)) throw error;
    io.err(`onboard: ${error.message}`);
    return 2;
  }

  await mkdir(paths.workspace, { recursive: true, mode: 0o700 });
  await mkdir(paths.logs, { recursive: true, mode: 0o700 });
  try {
    await saveConfig(onboardDocument(answers), { configPath: paths.config, backup: flags.force === true, ...(env.PICOCLAW_LAUNCHER_TOKEN ? { launcherToken: env.PICOCLAW_LAUNCHER_TOKEN } : {}) });
  } catch (error) {
    if (!isPicoError(error)) throw error;
    io.err(`onboard: ${error.message}`);
    return 2;
  }
  const s = io.style;
  const secrets = 1 + (answers.telegramToken ? 1 : 0) + (answers.haUrl ? 1 : 0);
  io.out(`${s.ok('✓')} ${paths.config}`);
  io.out(`${s.ok('✓')} ${paths.security} (mode 0600, ${secrets} secret${secrets === 1 ? '' : 's'})`);
  io.out(`${s.ok('✓')} ${paths.workspace}/`);
  io.out('');
  io.out('Next:');
  io.out(`  picoclaw models test ${modelNameOf(answers.model)}   check the key`);
  if (answers.haUrl) io.out('  picoclaw mcp test homeassistant   check Home Assistant');
  io.out('  picoclaw agent                    chat in the terminal');
  io.out('  picoclaw gateway                  run the channels (or picoclaw-launcher for the dashboard)');
  return 0;
}

type Given = { [K in keyof OnboardAnswers]: string | undefined };

function fromFlags(given: Given): OnboardAnswers {
  if (given.mistralKey === undefined) throw new InputError('--mistral-key (or MISTRAL_API_KEY) is required without a terminal; see picoclaw onboard --help');
  const haUrl = checks.haUrl(given.haUrl ?? '');
  const haToken = checks.haToken(given.haToken ?? '');
  if (haUrl && !haToken) throw new InputError('--ha-url needs --ha-token (or HA_TOKEN): a long-lived access token from your Home Assistant profile');
  if (haToken && !haUrl) throw new InputError('--ha-token needs --ha-url (or HA_URL)');
  const telegramToken = checks.telegramToken(given.telegramToken ?? '');
  if (given.telegramAllow && !telegramToken) throw new InputError('--telegram-allow needs --telegram-token');
  return { mistralKey: checks.mistralKey(given.mistralKey), model: checks.model(given.model ?? ''), telegramToken, telegramAllow: checks.telegramAllow(given.telegramAllow ?? ''), haUrl, haToken };
}

async function askAnswers(io: OnboardIo, given: Given, home: string): Promise<OnboardAnswers> {
  const prompter = createPrompter(io);
  const w = (text: string) => io.output.write(`${text}\n`);
  try {
    w(`PicoClaw onboarding: writes ${home}/config.json, .security.yml (secrets, mode 0600) and workspace/.`);
    w(io.style.dim('Secrets are typed without echo. Press Enter to skip an optional step.'));
    w('');
    const mistralKey = given.mistralKey ? checks.mistralKey(given.mistralKey) : await prompter.ask('Mistral API key (https://console.mistral.ai/api-keys):', checks.mistralKey, { secret: true });
    const model = checks.model(given.model ?? '');
    const telegramToken = given.telegramToken !== undefined ? checks.telegramToken(given.telegramToken) : await prompter.ask('Telegram bot token from @BotFather (optional):', checks.telegramToken, { secret: true });
    let telegramAllow: string[] = [];
    if (telegramToken) {
      telegramAllow = given.telegramAllow !== undefined ? checks.telegramAllow(given.telegramAllow) : await prompter.ask('  Telegram user ids allowed to chat, comma-separated (empty: anyone who finds the bot):', checks.telegramAllow);
    }
    const haUrl = given.haUrl !== undefined ? checks.haUrl(given.haUrl) : await prompter.ask('Home Assistant URL, e.g. http://homeassistant.local:8123 (optional):', checks.haUrl);
    let haToken = '';
    if (haUrl) {
      if (haUrl !== given.haUrl?.trim()) w(io.style.dim(`  using ${haUrl}`));
      const required = (value: string) => {
        const token = checks.haToken(value);
        if (!token) throw new InputError('Home Assistant needs a long-lived access token (your HA profile → Security → Long-lived access tokens)');
        return token;
      };
      haToken = given.haToken ? required(given.haToken) : await prompter.ask('  Home Assistant long-lived access token:', required, { secret: true });
    }
    w('');
    return { mistralKey, model, telegramToken, telegramAllow, haUrl, haToken };
  } finally {
    prompter.close();
  }
}
