/**
 * Where PicoClaw's files live (reference config.md §1): home is `$PICOCLAW_HOME`, else
 * `~/.picoclaw`; config.json is `$PICOCLAW_CONFIG`, else `<home>/config.json`; `.security.yml`
 * always sits beside config.json; launcher-config.json too.
 */
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** Expands a leading `~` or `~/` to the user's home directory. */
export function expandHome(path: string, home = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return path;
}

export interface HomePaths {
  home: string;
  config: string;
  security: string;
  launcherConfig: string;
  workspace: string;
  logs: string;
}

export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.PICOCLAW_HOME?.trim();
  return resolve(expandHome(fromEnv || '~/.picoclaw'));
}

/** All home paths, from an explicit home/config or from the environment. */
export function resolvePaths(options: { home?: string; config?: string; env?: NodeJS.ProcessEnv } = {}): HomePaths {
  const env = options.env ?? process.env;
  const home = options.home ? resolve(expandHome(options.home)) : resolveHome(env);
  const configOption = options.config || env.PICOCLAW_CONFIG?.trim();
  const config = configOption ? resolve(expandHome(configOption)) : join(home, 'config.json');
  const dir = dirname(config);
  return {
    home,
    config,
    security: join(dir, '.security.yml'),
    launcherConfig: join(dir, 'launcher-config.json'),
    workspace: join(home, 'workspace'),
    logs: join(home, 'logs'),
  };
}
