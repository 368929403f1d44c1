/**
 * `pnpm start` before the gateway and launcher exist: loads the config exactly as they will and
 * reports what it found, with secrets redacted. Exit status 1 when the config is invalid.
 */
import { loadConfig } from './config/load-config.js';
import { collectSecrets, redactSecrets } from './config/secrets.js';
import { createSecretMasker } from './logger.js';

const out = (line: string) => process.stdout.write(`${line}\n`);

try {
  const loaded = await loadConfig({ launcherToken: process.env.PICOCLAW_LAUNCHER_TOKEN });
  const { config } = loaded;
  const masker = createSecretMasker();
  masker.add(...collectSecrets(config));
  out(`config: ${loaded.paths.config}${loaded.exists ? '' : ' (not found: using defaults)'}`);
  if (loaded.migratedFrom !== undefined) out(`  migrated in memory from version ${loaded.migratedFrom}`);
  for (const warning of loaded.warnings) out(`  warning: ${masker.mask(warning)}`);
  out(`primary model: ${config.agents.defaults.model_name || '(none)'}; fallbacks: ${config.agents.defaults.model_fallbacks.join(', ') || '(none)'}`);
  out(`models: ${config.model_list.map((m) => `${m.model_name} (${m.model})`).join(', ') || '(none)'}`);
  const channels = Object.entries(config.channel_list).map(([n, c]) => `${n}:${c.type}${c.enabled ? '' : ' (disabled)'}`);
  out(`channels: ${channels.join(', ') || '(none)'}`);
  out(`mcp servers: ${Object.keys(config.tools.mcp.servers).join(', ') || '(none)'}${config.tools.mcp.enabled ? '' : ' (mcp disabled)'}`);
  if (process.argv.includes('--json')) out(JSON.stringify(redactSecrets(config), null, 2));
  out('The gateway and launcher are not built yet; this check is all `pnpm start` does for now.');
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
