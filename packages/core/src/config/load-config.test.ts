import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPicoError } from '../errors.js';
import { ConfigError } from './config-error.js';
import { encryptCredential } from './credentials.js';
import { loadConfig } from './load-config.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'picoclaw-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const write = (name: string, content: unknown) =>
  writeFile(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
const load = (env: NodeJS.ProcessEnv = {}, extra: { launcherToken?: string } = {}) =>
  loadConfig({ configPath: join(dir, 'config.json'), home: dir, env, ...extra });
async function loadError(env: NodeJS.ProcessEnv = {}): Promise<ConfigError> {
  try {
    await load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected the load to fail');
}

describe('loadConfig', () => {
  it('uses defaults when config.json is missing, without writing anything', async () => {
    const loaded = await load();
    expect(loaded.exists).toBe(false);
    expect(loaded.config.gateway.port).toBe(18790);
    expect(loaded.config.agents.defaults.workspace).toBe(join(dir, 'workspace'));
    await expect(readFile(join(dir, 'config.json'))).rejects.toThrow();
  });

  it('loads the MQTT guide setup: config.json plus credentials in .security.yml', async () => {
    await write('config.json', {
      channel_list: {
        mqtt: { enabled: true, type: 'mqtt', settings: { broker: 'ssl://your-broker:8883', agent_id: 'assistant', topic_prefix: '/picoclaw', client_id: '', keep_alive: 60, qos: 0 } },
      },
    });
    await write('.security.yml', 'channel_list:\n  mqtt:\n    settings:\n      username: your_username\n      password: your_password\n');
    const loaded = await load();
    const mqtt = loaded.config.channel_list.mqtt!;
    expect(mqtt.settings).toMatchObject({ broker: 'ssl://your-broker:8883', username: 'your_username', password: 'your_password' });
    expect(loaded.migratedFrom).toBeUndefined();
    // The guide's config names no model: valid, and the loader says what to set.
    expect(loaded.warnings).toEqual([expect.stringMatching(/^no model is configured: add a model to model_list/)]);
  });

  it('applies all eight PICOCLAW_CHANNELS_MQTT_* variables, env beating both files', async () => {
    await write('config.json', { channel_list: { mqtt: { enabled: true, type: 'mqtt', settings: { broker: 'tcp://file:1883', agent_id: 'file' } } } });
    await write('.security.yml', { channel_list: { mqtt: { settings: { username: 'yaml-user', password: 'yaml-pass' } } } });
    const env = {
      PICOCLAW_CHANNELS_MQTT_BROKER: 'tcp://env:1884',
      PICOCLAW_CHANNELS_MQTT_AGENT_ID: 'env-agent',
      PICOCLAW_CHANNELS_MQTT_TOPIC_PREFIX: '/env/',
      PICOCLAW_CHANNELS_MQTT_USERNAME: 'env-user',
      PICOCLAW_CHANNELS_MQTT_PASSWORD: 'env-pass',
      PICOCLAW_CHANNELS_MQTT_CLIENT_ID: 'env-client',
      PICOCLAW_CHANNELS_MQTT_KEEP_ALIVE: '30',
      PICOCLAW_CHANNELS_MQTT_QOS: '1',
    };
    const loaded = await load(env);
    expect(loaded.config.channel_list.mqtt!.settings).toMatchObject({
      broker: 'tcp://env:1884', agent_id: 'env-agent', topic_prefix: '/env', username: 'env-user', password: 'env-pass',
      client_id: 'env-client', keep_alive: 30, qos: 1,
    });
    // The document is what the files say, so saving it never persists the environment.
    expect(loaded.document.channel_list.mqtt!.settings).toMatchObject({ broker: 'tcp://file:1883', username: 'yaml-user' });
    expect(loaded.envOverrides.sort()).toEqual(Object.keys(env).sort());
  });

  it('creates an MQTT channel from the environment alone (container setup)', async () => {
    const loaded = await load({ PICOCLAW_CHANNELS_MQTT_ENABLED: 'true', PICOCLAW_CHANNELS_MQTT_BROKER: 'tcp://b:1883', PICOCLAW_CHANNELS_MQTT_AGENT_ID: 'a' });
    expect(loaded.config.channel_list.mqtt).toMatchObject({ enabled: true, type: 'mqtt', settings: { broker: 'tcp://b:1883' } });
  });

  it('names the variable when an env value is bad', async () => {
    const error = await loadError({ PICOCLAW_CHANNELS_MQTT_QOS: '5' });
    expect(error.issues[0]).toMatchObject({ path: 'channel_list.mqtt.settings.qos', source: 'env PICOCLAW_CHANNELS_MQTT_QOS' });
    const notNumber = await loadError({ PICOCLAW_GATEWAY_PORT: 'eighty' });
    expect(notNumber.message).toMatch(/gateway\.port \(env PICOCLAW_GATEWAY_PORT\): expected a number/);
  });

  it('applies generated and irregular global overrides', async () => {
    const loaded = await load({
      PICOCLAW_AGENTS_DEFAULTS_MAX_TOKENS: '4096',
      PICOCLAW_AGENTS_DEFAULTS_TEMPERATURE: '0.2',
      PICOCLAW_TOOLS_EXEC_ENABLED: 'false',
      PICOCLAW_TOOLS_DISCOVERY_ENABLED: 'true',
      PICOCLAW_MAX_SEARCH_RESULTS: '9',
      PICOCLAW_TOOLS_WEB_PRIVATE_HOST_WHITELIST: '10.0.0.0/8, ha.local',
      PICOCLAW_LOG_LEVEL: 'debug',
    });
    expect(loaded.config.agents.defaults).toMatchObject({ max_tokens: 4096, temperature: 0.2 });
    expect(loaded.config.tools.exec.enabled).toBe(false);
    expect(loaded.config.tools.mcp.discovery).toMatchObject({ enabled: true, max_search_results: 9 });
    expect(loaded.config.tools.web.private_host_whitelist).toEqual(['10.0.0.0/8', 'ha.local']);
    expect(loaded.config.gateway.log_level).toBe('debug');
  });

  it('warns when a channel env variable applies to several instances', async () => {
    await write('config.json', { channel_list: { a: { type: 'mqtt' }, b: { type: 'mqtt' } } });
    const loaded = await load({ PICOCLAW_CHANNELS_MQTT_QOS: '2' });
    expect(loaded.config.channel_list.a!.settings).toMatchObject({ qos: 2 });
    expect(loaded.config.channel_list.b!.settings).toMatchObject({ qos: 2 });
    expect(loaded.warnings.join('\n')).toMatch(/PICOCLAW_CHANNELS_MQTT_QOS apply to every mqtt channel: a, b/);
  });

  it('merges model keys from .security.yml by model_name and by name:index for duplicates', async () => {
    await write('config.json', {
      agents: { defaults: { model_name: 'mistral-small', model_fallbacks: ['openrouter'] } },
      model_list: [
        { model_name: 'mistral-small', model: 'mistral/mistral-small-latest', api_keys: ['[NOT_HERE]'] },
        { model_name: 'openrouter', model: 'openrouter/nvidia/nemotron', api_keys: ['[NOT_HERE]'] },
        { model_name: 'openrouter', model: 'openrouter/meta/llama' },
      ],
    });
    await write('.security.yml', 'model_list:\n  mistral-small:\n    api_keys: ["mk-1"]\n  openrouter:\n    api_keys: ["or-any"]\n  openrouter:1:\n    api_keys: ["or-second"]\n');
    const { config } = await load();
    expect(config.model_list.map((m) => m.api_keys)).toEqual([['mk-1'], ['or-any'], ['or-second']]);
  });

  it('warns when a secret sits in config.json instead of .security.yml', async () => {
    await write('config.json', { channel_list: { telegram: { type: 'telegram', settings: { token: '123:plain' } } } });
    const loaded = await load();
    expect(loaded.warnings.join('\n')).toMatch(/secrets stored in config\.json \(channel_list\.telegram\.settings\.token\); move them to \.security\.yml/);
    expect(loaded.warnings.join('\n')).not.toContain('123:plain');
  });

  it('treats an unsupplied [NOT_HERE] secret as unset and says so without any value', async () => {
    await write('config.json', { model_list: [{ model_name: 'm', model: 'mistral/x', api_keys: ['[NOT_HERE]'] }] });
    const loaded = await load();
    expect(loaded.config.model_list[0]!.api_keys).toEqual(['']);
    expect(loaded.warnings.join('\n')).toMatch(/model_list\.0\.api_keys\.0 is "\[NOT_HERE\]" in config\.json but \.security\.yml has no value/);
  });

  it('reports a JSON syntax error with its line and column', async () => {
    await write('config.json', '{\n  "gateway": {\n    "port": 18790,\n  }\n}\n');
    const error = await loadError();
    expect(error.code).toBe('config_parse');
    expect(error.message).toMatch(/config\.json is not valid JSON/);
    expect(error.issues[0]!.source).toBe('config.json:4:3');
    expect(error.issues[0]!.message).toMatch(/trailing commas are not allowed/);
  });

  it('reports a validation error with the line of the offending key', async () => {
    await write('config.json', '{\n  "channel_list": {\n    "mqtt": {\n      "type": "mqtt",\n      "settings": { "qos": 7 }\n    }\n  }\n}\n');
    const error = await loadError();
    expect(error.issues[0]).toMatchObject({ path: 'channel_list.mqtt.settings.qos', source: 'config.json:5:21' });
    expect(error.message).toContain('channel_list.mqtt.settings.qos (config.json:5:21): must be 0, 1 or 2 (got 7)');
  });

  it("reads .security.yml in PicoClaw's flat channels form, for a version 3 config and for an old one (merged before the migration)", async () => {
    await write('config.json', { version: 3, channel_list: { telegram: { type: 'telegram', enabled: true, allow_from: ['42'] } }, model_list: [{ model_name: 'm', model: 'mistral/x' }] });
    await write('.security.yml', 'channels:\n  telegram:\n    token: "123:flat-token"\nmodel_list:\n  m:\n    api_key: mk-flat\n');
    let loaded = await load();
    expect(loaded.config.channel_list.telegram).toMatchObject({ allow_from: ['42'], settings: { token: '123:flat-token' } });
    expect(loaded.config.model_list[0]!.api_keys).toEqual(['mk-flat']);
    await write('config.json', { channels: { telegram: { enabled: true, allow_from: ['42'] } }, agents: { defaults: { model: 'm' } }, model_list: [{ model_name: 'm', model: 'mistral/x' }] });
    loaded = await load();
    expect(loaded.migratedFrom).toBe(0);
    expect(loaded.config.channel_list.telegram).toMatchObject({ enabled: true, allow_from: ['42'], settings: { token: '123:flat-token' } });
    // Secrets only in .security.yml, for a channel config.json does not list at all.
    await write('config.json', { version: 2, model_list: [{ model_name: 'm', model: 'mistral/x' }] });
    loaded = await load();
    expect(loaded.config.channel_list.telegram).toMatchObject({ type: 'telegram', settings: { token: '123:flat-token' } });
  });

  it('names a key of an old config as written, with its line, for errors and ignored keys', async () => {
    await write('config.json', '{\n  "channels": {\n    "telegram": {\n      "enabled": true,\n      "token": "1:x",\n      "allowFrom": ["42"]\n    },\n    "mqtt": {\n      "qos": 9\n    }\n  }\n}\n');
    const error = await loadError();
    expect(error.issues[0]).toMatchObject({ path: 'channels.mqtt.qos', source: 'config.json:9:7' });
    await write('config.json', '{\n  "channels": {\n    "telegram": {\n      "enabled": true,\n      "token": "1:x",\n      "allowFrom": ["42"]\n    }\n  }\n}\n');
    expect((await load()).warnings.join('\n')).toMatch(/ignored for compatibility with PicoClaw: channels\.telegram\.allowFrom — .*did you mean "allow_from"/);
  });

  it('says a problem came from .security.yml when it did, with its line', async () => {
    await write('config.json', { model_list: [{ model_name: 'm', model: 'mistral/x' }] });
    await write('.security.yml', 'model_list:\n  m:\n    api_keyz: [x]\n');
    const error = await loadError();
    expect(error.issues[0]).toMatchObject({ path: 'model_list.0.api_keyz', source: '.security.yml:3:5' });
    expect(error.issues[0]!.message).toMatch(/did you mean "api_keys"/);
  });

  it('reports invalid YAML with its line', async () => {
    await write('.security.yml', 'model_list:\n  m:\n    api_keys: [unclosed\n');
    const error = await loadError();
    expect(error.code).toBe('config_parse');
    expect(error.issues[0]!.source).toMatch(/^\.security\.yml:\d+:\d+$/);
  });

  it('refuses an unsupported version with what is supported', async () => {
    await write('config.json', { version: 9 });
    const error = await loadError();
    expect(error.code).toBe('config_version');
    expect(error.message).toMatch(/unsupported config version 9; this PicoClaw reads versions 0 to 3/);
  });

  it('refuses a document that is not an object', async () => {
    await write('config.json', '[1, 2]');
    expect((await loadError()).message).toMatch(/must be a JSON object/);
  });

  it('refuses a pico token equal to the launcher token', async () => {
    await write('config.json', { channel_list: { pico: { type: 'pico', enabled: true, settings: { token: '[NOT_HERE]' } } } });
    await write('.security.yml', { channel_list: { pico: { settings: { token: 'homelab-password' } } } });
    await expect(load({}, { launcherToken: 'homelab-password' })).rejects.toThrow(/must differ from the launcher token/);
    await expect(load({ PICOCLAW_CHANNELS_PICO_TOKEN: 'distinct' }, { launcherToken: 'homelab-password' })).resolves.toBeDefined();
  });

  it('resolves file:// credentials inside the config directory only', async () => {
    await write('mistral.key', 'mk-from-file\n');
    await write('config.json', { model_list: [{ model_name: 'm', model: 'mistral/x', api_keys: ['file://mistral.key'] }] });
    const loaded = await load();
    expect(loaded.config.model_list[0]!.api_keys).toEqual(['mk-from-file']);
    expect(loaded.document.model_list[0]!.api_keys).toEqual(['file://mistral.key']);

    await write('config.json', { model_list: [{ model_name: 'm', model: 'mistral/x', api_keys: ['file://../../etc/hostname'] }] });
    const error = await loadError();
    expect(isPicoError(error)).toBe(true);
    expect(error.message).toMatch(/model_list\.0\.api_keys\.0.*(outside the config directory|cannot read)/);
  });

  it('opens enc:// credentials with the SSH key and passphrase', async () => {
    await write('id.key', 'not really an ssh key, but bytes all the same');
    const env = { PICOCLAW_KEY_PASSPHRASE: 'correct horse', PICOCLAW_SSH_KEY_PATH: join(dir, 'id.key') };
    const sealed = await encryptCredential('tg-token-123', env);
    await write('config.json', { channel_list: { telegram: { type: 'telegram', enabled: true, settings: { token: sealed } } } });
    expect((await load(env)).config.channel_list.telegram!.settings).toMatchObject({ token: 'tg-token-123' });
    const wrong = await loadError({ ...env, PICOCLAW_KEY_PASSPHRASE: 'wrong' });
    expect(wrong.message).toMatch(/cannot decrypt enc:\/\/ value/);
    expect(wrong.message).not.toContain('tg-token-123');
  });

  it('resolves a relative or ~ workspace against the home', async () => {
    await write('config.json', { agents: { defaults: { workspace: 'ws' } } });
    expect((await load()).config.agents.defaults.workspace).toBe(join(dir, 'ws'));
  });

  // Root reads a 0000 file anyway, so there is nothing to observe when the tests run as root.
  it.skipIf(process.getuid?.() === 0)('reports an unreadable config.json clearly', async () => {
    await write('config.json', '{}');
    await chmod(join(dir, 'config.json'), 0o000);
    await expect(load()).rejects.toThrow(/cannot read .*config\.json/);
  });
});
