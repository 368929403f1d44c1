/**
 * The save pipeline: validate → split secrets off into .security.yml → write .security.yml, then
 * config.json, each atomically with mode 0600. An invalid document is refused before anything
 * is written, so the files on disk are always a config that loads.
 */
import { copyFile } from 'node:fs/promises';
import { writeFileAtomic } from '../atomic-write.js';
import { resolvePaths } from '../paths.js';
import { ConfigError, formatIssues } from './config-error.js';
import { validateConfigDocument } from './load-config.js';
import { loadYaml } from './load-yaml.js';
import type { Config } from './schema.js';
import { splitSecurity } from './security-file.js';

export interface SaveConfigOptions {
  /** Path of config.json; .security.yml is written beside it. */
  configPath?: string;
  launcherToken?: string;
  /** Environment the gateway will run with, for the runtime checks (default: none). */
  env?: NodeJS.ProcessEnv;
  /** Copy the current files to `<name>.YYYYMMDD.bak` first (done after a migration). */
  backup?: boolean;
  now?: () => Date;
}

const SECRET_FILE_MODE = 0o600;

/**
 * Saves a config document (as returned in `LoadedConfig.document`, or edited by a client with
 * its secrets restored). Returns the validated config that was written.
 */
export async function saveConfig(document: unknown, options: SaveConfigOptions = {}): Promise<Config> {
  const checked = validateConfigDocument(document, { launcherToken: options.launcherToken, env: options.env ?? {} });
  if (!checked.ok) throw new ConfigError(formatIssues('config not saved: it is invalid', checked.issues), checked.issues);
  const paths = resolvePaths({ config: options.configPath });

  const { doc, security } = splitSecurity(checked.config);

  if (options.backup) {
    const stamp = (options.now?.() ?? new Date()).toISOString().slice(0, 10).replaceAll('-', '');
    for (const file of [paths.config, paths.security]) {
      await copyFile(file, `${file}.${stamp}.bak`).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    }
  }
  const { stringify } = await loadYaml();
  const header = '# Secrets for config.json, by the same key paths. Keep this file private (mode 0600).\n';
  await writeFileAtomic(paths.security, header + stringify(security), { mode: SECRET_FILE_MODE });
  await writeFileAtomic(paths.config, `${JSON.stringify(doc, null, 2)}\n`, { mode: SECRET_FILE_MODE });
  return checked.config;
}
