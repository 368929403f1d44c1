#!/usr/bin/env -S node --max-semi-space-size=1 --max-old-space-size=128 --no-sparkplug
/**
 * `picoclaw-launcher`: the dashboard on port 18800, supervising `picoclaw gateway`.
 * Exit codes: 0 after SIGTERM/SIGINT, 78 for invalid settings, 1 otherwise.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { createLogger, createSecretMasker, describeSettings, gatewayExitCodes, ignoreBrokenPipes, isPicoError, loadLauncherSettings, resolvePaths, runtimeNodeFlags, settingsHelp } from '@picoclaw/core';
import { createLauncher } from './launcher.js';
import { renderConfig } from './render/render-config.js';
import { readLauncherFile } from './launcher-config.js';
import { createLogBuffer } from './supervisor/log-buffer.js';

const here = dirname(fileURLToPath(import.meta.url));
const version = (() => {
  try {
    return (JSON.parse(readFileSync(join(here, '../package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();

const usage = `picoclaw-launcher ${version} — the PicoClaw dashboard, supervising the gateway

Usage:
  picoclaw-launcher [flags]
  picoclaw-launcher render --template <config template> [--env-file <KEY=VALUE file>] [--dry-run] [--home <dir>] [--config <path>]
      Render config.json and .security.yml from a template whose strings hold \${NAME}
      (env file or environment) and op://vault/item/field references (1Password CLI).
      With PICOCLAW_RENDER_TEMPLATE (and PICOCLAW_ENV_FILE) set, the launcher renders at start.

Flags (flag > environment > launcher-config.json > default):
${settingsHelp('launcher')}

The gateway listens where config.json's gateway.host and gateway.port say (127.0.0.1:18790 by
default); PICOCLAW_GATEWAY_HOST and PICOCLAW_GATEWAY_PORT override them. The launcher reads them
again each time it starts the gateway.`;

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0) return argv[i + 1];
  return argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

async function render(argv: string[]): Promise<number> {
  const known = ['template', 'env-file', 'home', 'config', 'dry-run'];
  const unknown = argv.filter((a) => a.startsWith('--') && !known.includes(a.slice(2).split('=')[0]!));
  if (unknown.length) throw new Error(`unknown flag ${unknown[0]}; flags: ${known.map((k) => `--${k}`).join(', ')}`);
  const template = flag(argv, 'template') ?? process.env.PICOCLAW_RENDER_TEMPLATE;
  if (!template) throw new Error('render needs --template <path> (or PICOCLAW_RENDER_TEMPLATE)');
  const paths = resolvePaths({ home: flag(argv, 'home'), config: flag(argv, 'config') });
  const envFile = flag(argv, 'env-file') ?? process.env.PICOCLAW_ENV_FILE;
  const result = await renderConfig({
    template,
    configPath: paths.config,
    home: paths.home,
    ...(envFile ? { envFile } : {}),
    dryRun: argv.includes('--dry-run'),
    ...(process.env.PICOCLAW_LAUNCHER_TOKEN ? { launcherToken: process.env.PICOCLAW_LAUNCHER_TOKEN } : {}),
  });
  const refs = `${result.references.env.length} variable(s), ${result.references.op} 1Password reference(s)`;
  process.stdout.write(`${result.written ? `rendered ${paths.config} and .security.yml` : 'dry run: nothing written'} (${refs})\n`);
  for (const change of result.changes) process.stdout.write(`  changed: ${change}\n`);
  if (result.changes.length === 0) process.stdout.write('  no changes\n');
  return 0;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'render') return render(argv.slice(1));
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (argv[0] === '--version' || argv[0] === 'version') {
    process.stdout.write(`picoclaw-launcher ${version}\n`);
    return 0;
  }
  const env = process.env;
  const early = loadLauncherSettings({ argv, env });
  const { file, warning } = await readLauncherFile(resolvePaths({ home: early.home, config: early.config }).launcherConfig);
  const settings = loadLauncherSettings({ argv, env, file });
  const masker = createSecretMasker();
  const logs = createLogBuffer();
  const log = createLogger({
    name: 'launcher',
    level: settings.logLevel,
    file: join(settings.home, 'logs', 'launcher.log'),
    masker,
    onEntry: (entry) => logs.push({ ...entry, source: 'launcher' }),
  });
  if (warning) log.warn(warning);
  log.debug('settings', describeSettings(settings));
  if (settings.token && settings.token.length < 16) log.warn('PICOCLAW_LAUNCHER_TOKEN is shorter than 16 characters; a longer one is harder to guess');
  if (settings.public) log.warn(`the dashboard listens on ${settings.host}, reachable from other machines`);
  if (settings.allowedHosts.includes('*')) log.warn('allowed_hosts is "*" (launcher-config.json or PICOCLAW_LAUNCHER_ALLOWED_HOSTS): the Host check is off, so a web page in your browser can reach the dashboard through DNS rebinding; list the names you open it by instead');
  if (env.PICOCLAW_RENDER_TEMPLATE) {
    // The boot step of the homelab, built in: secrets → config, before anything reads the config.
    try {
      const result = await renderConfig({
        template: env.PICOCLAW_RENDER_TEMPLATE,
        configPath: settings.config,
        home: settings.home,
        ...(env.PICOCLAW_ENV_FILE ? { envFile: env.PICOCLAW_ENV_FILE } : {}),
        ...(settings.token ? { launcherToken: settings.token } : {}),
      });
      log.info(`config rendered from ${env.PICOCLAW_RENDER_TEMPLATE}: ${result.changes.length ? result.changes.join(', ') : 'no changes'}`);
    } catch (error) {
      log.error(`config rendering failed; keeping the current config: ${(error as Error).message}`);
    }
  }
  const gatewayEntry = env.PICOCLAW_GATEWAY_BIN || join(here, '../../gateway/dist/picoclaw.js');
  const launcher = await createLauncher({
    settings,
    log,
    masker,
    logs,
    // Its address is passed for each start (config.json's gateway block, or PICOCLAW_GATEWAY_HOST/PORT).
    gatewayCommand: [process.execPath, ...runtimeNodeFlags(env), gatewayEntry, 'gateway'],
    dashboardDir: join(here, '../../dashboard/dist'),
    version,
  });
  await launcher.start();

  let stopping = false;
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info(`${signal} received: stopping the gateway and the dashboard`);
      const force = setTimeout(() => process.exit(gatewayExitCodes.failure), 20_000);
      force.unref();
      void launcher.close().then(resolve);
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
  await new Promise((resolve) => log.on('finish', resolve).end());
  return 0;
}

ignoreBrokenPipes();
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(isPicoError(error) && /^(config_|settings_invalid)/.test(error.code) ? gatewayExitCodes.config : gatewayExitCodes.failure);
  },
);
