import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@picoclaw/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensurePicoChannel } from './ensure-pico.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'picoclaw-ensure-pico-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

/** A config as the homelab's config management writes it: short, a secret inline, no pico channel. */
const generated = `${JSON.stringify({
  version: 3,
  agents: { defaults: { model_name: 'm' } },
  model_list: [{ model_name: 'm', model: 'mistral/mistral-small-latest', api_keys: ['mk-inline-key'] }],
  channel_list: { telegram: { enabled: true, type: 'telegram', allow_from: ['1'], settings: { token: '123:tg' } } },
}, null, 2)}\n`;

describe('ensurePicoChannel', () => {
  it('never rewrites a pre-generated config.json: the pico channel rides the environment instead', async () => {
    const configPath = join(home, 'config.json');
    await writeFile(configPath, generated);
    const plan = await ensurePicoChannel({ configPath, home, launcherToken: 'launcher-token', randomToken: () => 'pico-random-token' });
    expect(await readFile(configPath, 'utf8')).toBe(generated);
    expect((await readdir(home)).sort()).toEqual(['config.json']); // no .security.yml, no backup
    expect(plan.env).toEqual({ PICOCLAW_CHANNELS_PICO_ENABLED: 'true', PICOCLAW_CHANNELS_PICO_TOKEN: 'pico-random-token' });
    expect(plan.reason).toMatch(/config\.json is not changed/);
    // What the gateway child loads with that environment: the chat channel, the user's settings intact.
    const runtime = await loadConfig({ configPath, home, env: plan.env });
    expect(runtime.config.channel_list.pico).toMatchObject({ type: 'pico', enabled: true, settings: { token: 'pico-random-token' } });
    expect(runtime.config.channel_list.telegram).toMatchObject({ enabled: true });
    expect(runtime.document.channel_list.pico).toBeUndefined();
  });

  it('enables a disabled pico channel, or replaces a token equal to the launcher token, without writing', async () => {
    const configPath = join(home, 'config.json');
    const text = JSON.stringify({ channel_list: { web: { enabled: false, type: 'pico', settings: { token: 'launcher-token' } } } });
    await writeFile(configPath, text);
    const plan = await ensurePicoChannel({ configPath, home, launcherToken: 'launcher-token', randomToken: () => 'fresh' });
    expect(await readFile(configPath, 'utf8')).toBe(text);
    const runtime = await loadConfig({ configPath, home, env: plan.env });
    expect(runtime.config.channel_list.web).toMatchObject({ enabled: true, settings: { token: 'fresh' } });
  });

  it('adds nothing when the config (or the environment) already has an enabled pico channel with its own token', async () => {
    const configPath = join(home, 'config.json');
    await writeFile(configPath, JSON.stringify({ channel_list: { pico: { enabled: true, type: 'pico', settings: { token: 'own-token' } } } }));
    expect((await ensurePicoChannel({ configPath, home, launcherToken: 'launcher-token' })).env).toEqual({});
    await writeFile(configPath, '{}');
    expect((await ensurePicoChannel({ configPath, home, launcherToken: 'x', env: { PICOCLAW_CHANNELS_PICO_ENABLED: 'true', PICOCLAW_CHANNELS_PICO_TOKEN: 'from-env' } })).env).toEqual({});
  });

  it('first run without a config.json: creates no file either', async () => {
    const plan = await ensurePicoChannel({ configPath: join(home, 'config.json'), home, launcherToken: '' });
    expect(plan.env.PICOCLAW_CHANNELS_PICO_TOKEN).toMatch(/^[0-9a-f]{32}$/);
    expect(await readdir(home)).toEqual([]);
  });
});
