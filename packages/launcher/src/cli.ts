#!/usr/bin/env node
/**
 * `picoclaw-launcher`: the dashboard on port 18800, supervising `picoclaw gateway`.
 * Exit codes: 0 after SIGTERM/SIGINT, 78 for invalid settings, 1 otherwise.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { createLogger, createSecretMasker, describeSettings, gatewayExitCodes, isPicoError, loadLauncherSettings, resolvePaths, settingsHelp } from '@picoclaw/core';
import { createLauncher } from './launcher.js';
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

Usage: picoclaw-launcher [flags]

Flags (flag > environment > launcher-config.json > default):
${settingsHelp('launcher')}`;

async function main(argv: string[]): Promise<number> {
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
  const gatewayEntry = env.PICOCLAW_GATEWAY_BIN || join(here, '../../gateway/dist/picoclaw.js');
  const launcher = await createLauncher({
    settings,
    log,
    masker,
    logs,
    // --allow-empty: without a model yet, the gateway still runs and chat explains what to set.
    gatewayCommand: [process.execPath, gatewayEntry, 'gateway', '--allow-empty'],
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

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(isPicoError(error) && /^(config_|settings_invalid)/.test(error.code) ? gatewayExitCodes.config : gatewayExitCodes.failure);
  },
);
