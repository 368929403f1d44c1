/**
 * Before the gateway starts: make sure the pico channel (the dashboard chat) exists, is enabled
 * and has its own random token, distinct from the launcher token. Saved like any config change,
 * so the token lands in .security.yml.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig, saveConfig, type Config } from '@picoclaw/core';

export async function ensurePicoChannel(options: { configPath: string; home: string; launcherToken: string }): Promise<{ changed: boolean; reason?: string }> {
  const loaded = await loadConfig({ configPath: options.configPath, home: options.home, env: {} });
  const doc: Config = structuredClone(loaded.document);
  const entry = Object.entries(doc.channel_list).find(([, c]) => c.type === 'pico');
  const token = () => randomBytes(16).toString('hex');
  if (!entry) {
    (doc.channel_list as Record<string, unknown>).pico = { type: 'pico', enabled: true, settings: { token: token() } };
  } else {
    const [, channel] = entry;
    if (channel.type !== 'pico') return { changed: false };
    const current = loaded.config.channel_list[entry[0]];
    const currentToken = current?.type === 'pico' ? current.settings.token : '';
    if (channel.enabled && currentToken && currentToken !== options.launcherToken) return { changed: false };
    channel.enabled = true;
    if (!currentToken || currentToken === options.launcherToken) channel.settings.token = token();
  }
  await saveConfig(doc, { configPath: options.configPath, launcherToken: options.launcherToken, backup: loaded.migratedFrom !== undefined });
  return { changed: true, reason: entry ? 'pico channel enabled with its own token' : 'pico channel created for the dashboard chat' };
}
