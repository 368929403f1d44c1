import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.js';
import { saveConfig } from './save-config.js';
import { redactSecrets, restoreSecrets } from './secrets.js';

let dir: string;
const configPath = () => join(dir, 'config.json');
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'picoclaw-save-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const homelab = {
  agents: { defaults: { model_name: 'mistral-small', model_fallbacks: ['nemotron'] } },
  model_list: [
    { model_name: 'mistral-small', model: 'mistral/mistral-small-latest', api_keys: ['mistral-key-1234'] },
    { model_name: 'nemotron', model: 'openrouter/nvidia/nemotron-nano-9b-v2:free', api_keys: ['or-key-5678'] },
  ],
  channel_list: {
    telegram: { enabled: true, type: 'telegram', allow_from: ['123456'], settings: { token: '123:telegram-token' } },
    pico: { enabled: true, type: 'pico', settings: { token: 'internal-pico-token' } },
  },
  tools: { mcp: { enabled: true, servers: { homeassistant: { type: 'http', url: 'http://127.0.0.1:8123/api/mcp', headers: { Authorization: 'Bearer ha-token-abc' } } } } },
};

describe('saveConfig', () => {
  it('writes secrets only to .security.yml, both files 0600, and the result loads back identically', async () => {
    const saved = await saveConfig(homelab, { configPath: configPath() });
    const json = await readFile(configPath(), 'utf8');
    const yaml = await readFile(join(dir, '.security.yml'), 'utf8');
    for (const secret of ['mistral-key-1234', 'or-key-5678', '123:telegram-token', 'internal-pico-token', 'ha-token-abc']) {
      expect(json).not.toContain(secret);
      expect(yaml).toContain(secret);
    }
    expect(json).toContain('"[NOT_HERE]"');
    expect((await stat(configPath())).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, '.security.yml'))).mode & 0o777).toBe(0o600);
    const loaded = await loadConfig({ configPath: configPath(), home: dir, env: {} });
    expect(loaded.document).toEqual(saved);
    expect(loaded.warnings).toEqual([]);
  });

  it('refuses an invalid document and leaves the files as they were', async () => {
    await saveConfig(homelab, { configPath: configPath() });
    const before = [await readFile(configPath(), 'utf8'), await readFile(join(dir, '.security.yml'), 'utf8')];
    const bad = structuredClone(homelab) as Record<string, unknown>;
    (bad.channel_list as Record<string, unknown>).mqtt = { type: 'mqtt', settings: { qos: 9 } };
    await expect(saveConfig(bad, { configPath: configPath() })).rejects.toThrow(/config not saved: it is invalid.*\n.*qos.*must be 0, 1 or 2/);
    expect([await readFile(configPath(), 'utf8'), await readFile(join(dir, '.security.yml'), 'utf8')]).toEqual(before);
    expect((await readdir(dir)).sort()).toEqual(['.security.yml', 'config.json']);
  });

  it('round-trips a redacted document edited by a client: secrets kept, edits applied', async () => {
    await saveConfig(homelab, { configPath: configPath() });
    const { document } = await loadConfig({ configPath: configPath(), home: dir, env: {} });
    const fromClient = redactSecrets(document);
    fromClient.agents.defaults.temperature = 0.3;
    await saveConfig(restoreSecrets(fromClient, document), { configPath: configPath() });
    const { config } = await loadConfig({ configPath: configPath(), home: dir, env: {} });
    expect(config.agents.defaults.temperature).toBe(0.3);
    expect(config.model_list.map((m) => m.api_keys[0])).toEqual(['mistral-key-1234', 'or-key-5678']);
    expect(config.tools.mcp.servers.homeassistant!.headers.Authorization).toBe('Bearer ha-token-abc');
  });

  it('keeps credential references as written', async () => {
    await writeFile(join(dir, 'k'), 'from-file');
    const doc = structuredClone(homelab);
    doc.model_list[0]!.api_keys = ['file://k'];
    await saveConfig(doc, { configPath: configPath() });
    expect(await readFile(join(dir, '.security.yml'), 'utf8')).toContain('file://k');
    const { config } = await loadConfig({ configPath: configPath(), home: dir, env: {} });
    expect(config.model_list[0]!.api_keys).toEqual(['from-file']);
  });

  it('backs up the previous files when asked (after a migration)', async () => {
    await writeFile(configPath(), JSON.stringify({ version: 1, channels: { telegram: { enabled: false, token: 'old' } } }));
    const loaded = await loadConfig({ configPath: configPath(), home: dir, env: {} });
    expect(loaded.migratedFrom).toBe(1);
    await saveConfig(loaded.document, { configPath: configPath(), backup: true, now: () => new Date('2026-11-24T10:00:00Z') });
    expect(JSON.parse(await readFile(join(dir, 'config.json.20261124.bak'), 'utf8'))).toMatchObject({ version: 1 });
    expect(JSON.parse(await readFile(configPath(), 'utf8'))).toMatchObject({ version: 3, channel_list: { telegram: { settings: { token: '[NOT_HERE]' } } } });
  });
});
