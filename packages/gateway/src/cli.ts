#!/usr/bin/env -S node --max-semi-space-size=1 --max-old-space-size=128 --no-sparkplug
/**
 * `picoclaw` — the gateway's command line. `picoclaw gateway` runs the gateway headless (the
 * container's gateway-only mode, systemd, or under the launcher). Exit codes: 0 after a clean
 * stop, 78 when the config or settings are invalid (a supervisor should not restart), 1 otherwise.
 */
import { join } from 'node:path';
import {
  createLogger,
  createSecretMasker,
  describeSettings,
  gatewayExitCodes,
  ignoreBrokenPipes,
  isPicoError,
  loadConfig,
  loadGatewaySettings,
} from '@picoclaw/core';
import { channelFactories } from './channels/index.js';
import { configCommand, mcpCommand, modelsCommand, statusCommand, type CliIo } from './cli/cli-commands.js';
import { commandHelp, complete, completionScript, findCommand, overview } from './cli/cli-help.js';
import { colourEnabled, createStyle } from './cli/cli-style.js';
import { createGateway } from './gateway.js';
import { version } from './version.js';

const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);

async function runGateway(argv: string[]): Promise<number> {
  const env = process.env;
  // Paths first (they decide which config.json to read), then the settings with its gateway block.
  const early = loadGatewaySettings({ argv, env });
  const loaded = await loadConfig({ configPath: early.config, home: early.home, env, ...(env.PICOCLAW_LAUNCHER_TOKEN ? { launcherToken: env.PICOCLAW_LAUNCHER_TOKEN } : {}) });
  const { log_level: fileLevel, host, port } = loaded.config.gateway;
  const settings = loadGatewaySettings({ argv, env, file: { host, port, log_level: fileLevel === 'fatal' ? 'error' : fileLevel } });
  const masker = createSecretMasker();
  const log = createLogger({ name: 'gateway', level: settings.logLevel, file: join(settings.home, 'logs', 'gateway.log'), masker });
  log.debug('settings', describeSettings(settings));
  for (const note of settings.notes ?? []) log.warn(note);
  const gateway = createGateway({
    settings,
    log,
    masker,
    env,
    preloaded: loaded,
    channelFactories,
    ...(env.PICOCLAW_LAUNCHER_TOKEN ? { launcherToken: env.PICOCLAW_LAUNCHER_TOKEN } : {}),
  });

  let stopping: Promise<void> | undefined;
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => (stopped = resolve));
  let firstSignalAt = 0;
  const stop = (signal: string) => {
    if (stopping) {
      // The same signal often arrives twice (a wrapper forwards what the terminal also sent).
      if (Date.now() - firstSignalAt < 1000) return;
      log.warn(`${signal} again: exiting now`);
      process.exit(gatewayExitCodes.failure);
    }
    firstSignalAt = Date.now();
    log.info(`${signal} received`);
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(gatewayExitCodes.failure);
    }, 20_000);
    force.unref();
    stopping = gateway.close().then(() => {
      clearTimeout(force);
      stopped();
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    void gateway.reload().then((r) => (r.ok ? undefined : log.warn('reload on SIGHUP refused')));
  });

  // Under the launcher: if the launcher dies (even by SIGKILL), do not linger as an orphan.
  const parent = Number(env.PICOCLAW_PARENT_PID);
  if (parent > 1) {
    setInterval(() => {
      try {
        process.kill(parent, 0);
      } catch {
        if (!stopping) {
          log.warn(`the launcher (pid ${parent}) is gone; stopping`);
          stop('parent exit');
        }
      }
    }, 2_000).unref();
  }

  try {
    await gateway.start();
  } catch (error) {
    await gateway.close().catch(() => {});
    throw error;
  }
  await done;
  await new Promise((resolve) => log.on('finish', resolve).end());
  return gatewayExitCodes.ok;
}

/** Model and MCP server names for completion; a config that does not load completes nothing. */
async function configNames(env: NodeJS.ProcessEnv, pick: (config: Awaited<ReturnType<typeof loadConfig>>['config']) => string[]): Promise<string[]> {
  try {
    return pick((await loadConfig({ env })).config);
  } catch {
    return [];
  }
}

async function main(argv: string[]): Promise<number> {
  const [command = 'help', ...rest] = argv;
  const env = process.env;
  const io: CliIo = {
    out,
    err,
    env,
    style: createStyle(colourEnabled(process.stdout, env)),
    progress: process.stderr,
  };
  const known = findCommand(command);
  if (known && known.name !== 'help' && (rest.includes('--help') || rest.includes('-h'))) {
    out(commandHelp(known));
    return 0;
  }
  switch (known?.name ?? command) {
    case 'agent':
      return (await import('./cli/cli-agent.js')).agentCommand(rest, { ...io, write: (text) => process.stdout.write(text) });
    case 'onboard':
      return (await import('./cli/cli-onboard.js')).onboardCommand(rest, { ...io, input: process.stdin, output: process.stdout });
    case 'status':
      return statusCommand(io, rest);
    case 'config':
      return configCommand(rest, io);
    case 'models':
      return modelsCommand(rest, io);
    case 'mcp':
      return mcpCommand(rest, io);
    case 'cron':
      return (await import('./cli/cli-cron.js')).cronCommand(rest, io);
    case 'skills':
      return (await import('./cli/cli-skills.js')).skillsCommand(rest, io);
    case 'memory':
      return (await import('./cli/cli-memory.js')).memoryCommand(rest, io);
    case 'gateway':
      return runGateway(rest);
    case 'completion': {
      const script = completionScript(rest[0] ?? '');
      if (!script) {
        err('usage: picoclaw completion bash|zsh|fish');
        return 2;
      }
      process.stdout.write(script);
      return 0;
    }
    case '__complete':
      for (const candidate of await complete(rest, {
        models: () => configNames(env, (c) => c.model_list.filter((m) => m.enabled).map((m) => m.model_name)),
        mcpServers: () => configNames(env, (c) => Object.keys(c.tools.mcp.servers)),
        jobs: async () => (await import('./cli/cli-cron.js')).jobIdsForCompletion(env),
      }))
        out(candidate);
      return 0;
    case 'version':
    case '--version':
    case '-v':
      out(`picoclaw ${version}`);
      return 0;
    case 'help':
    case '--help':
    case '-h': {
      const topic = rest[0] === undefined ? undefined : findCommand(rest[0]);
      if (rest[0] !== undefined && !topic) {
        err(`no command "${rest[0]}"\n\n${overview()}`);
        return 2;
      }
      out(topic ? commandHelp(topic) : overview());
      return 0;
    }
    default:
      err(`unknown command "${command}"\n\n${overview()}`);
      return 2;
  }
}

ignoreBrokenPipes();
// libuv's pool runs file I/O; with its default 4 threads, a few session fsyncs can hold up the
// reads of the next turn. Takes effect because the pool starts on its first use, after this.
process.env.UV_THREADPOOL_SIZE ??= '8';
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const config = isPicoError(error) && /^(config_|settings_invalid|secret_ref)/.test(error.code);
    err(error instanceof Error ? error.message : String(error));
    process.exit(config ? gatewayExitCodes.config : gatewayExitCodes.failure);
  },
);
