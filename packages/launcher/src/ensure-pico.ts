/**
 * Before the gateway starts: make sure the pico channel (the dashboard chat) is enabled and has
 * its own random token, distinct from the launcher token.
 *
 * Contract: this never writes a file. config.json belongs to the user (or to their config
 * management, which regenerates it): rewriting it at start would write out every default, move
 * its secrets to .security.yml and leave markers behind, so a regenerated file would then have
 * its secrets in two places and a stale .security.yml could override a rotated key. What the
 * dashboard chat needs is given to the gateway child as the environment overrides
 * PICOCLAW_CHANNELS_PICO_ENABLED / _TOKEN instead (they create the entry when there is none).
 * Only a save from the dashboard writes the config.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '@picoclaw/core';

export interface PicoChannelPlan {
  /** Variables to add to the gateway's environment (empty when the config already has what is needed). */
  env: Record<string, string>;
  reason?: string;
}

export async function ensurePicoChannel(options: { configPath: string; home: string; launcherToken: string; env?: NodeJS.ProcessEnv; randomToken?: () => string }): Promise<PicoChannelPlan> {
  const loaded = await loadConfig({ configPath: options.configPath, home: options.home, env: options.env ?? {} });
  const picos = Object.values(loaded.config.channel_list).filter((c) => c.type === 'pico');
  const usable = picos.some((c) => c.type === 'pico' && c.enabled && !!c.settings.token && c.settings.token !== options.launcherToken);
  if (usable) return { env: {} };
  const token = options.randomToken?.() ?? randomBytes(16).toString('hex');
  return {
    env: { PICOCLAW_CHANNELS_PICO_ENABLED: 'true', PICOCLAW_CHANNELS_PICO_TOKEN: token },
    reason: picos.length ? 'pico channel enabled with its own token for this run (config.json is not changed)' : 'pico channel added for the dashboard chat for this run (config.json is not changed)',
  };
}
