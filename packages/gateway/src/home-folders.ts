/**
 * The folders the gateway writes to, made at start (and for a new workspace at reload) with mode
 * 0700, so a brand-new home works from the first message on; existing ones are left as they are.
 * A folder that cannot be made stops the start with the setting to change.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PicoError, type Config } from '@picoclaw/core';

export async function makeGatewayFolders(home: string, config: Config, atStart: boolean): Promise<void> {
  const workspace = config.agents.defaults.workspace;
  const wanted: [string, string][] = [[workspace, 'agents.defaults.workspace in config.json']];
  if (atStart) {
    wanted.push([join(home, 'logs'), 'PICOCLAW_HOME (--home)']);
    if (config.session.store !== 'redis') wanted.push([join(workspace, 'sessions'), 'agents.defaults.workspace in config.json']);
  }
  await Promise.all(wanted.map(async ([dir, setting]) => {
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new PicoError('settings_invalid', `cannot create ${dir} (${code}): the gateway writes there; make it writable by this user or change ${setting}`, { cause: error });
    }
  }));
}
