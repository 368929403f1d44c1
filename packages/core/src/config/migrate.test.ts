import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.js';
import { migrateConfig } from './migrate.js';
import { configSchema } from './schema.js';

describe('migrateConfig', () => {
  it('V0: providers become model_list, agents.defaults.model becomes model_name', () => {
    const { doc, from } = migrateConfig({
      agents: { defaults: { provider: 'mistral', model: 'mistral-small-latest' } },
      providers: { mistral: { api_key: 'mk' }, groq: { api_key: 'gk', api_base: 'https://g/v1' }, openai: { api_key: '' } },
    });
    expect(from).toBe(0);
    expect(doc.version).toBe(3);
    expect(doc.providers).toBeUndefined();
    expect(doc.model_list).toEqual([
      { model_name: 'mistral', model: 'mistral/mistral-small-latest', api_keys: ['mk'], enabled: true },
      { model_name: 'groq', model: 'groq/llama-3.1-70b-versatile', api_base: 'https://g/v1', api_keys: ['gk'], enabled: true },
    ]);
    expect((doc.agents as { defaults: object }).defaults).toEqual({ provider: 'mistral', model_name: 'mistral' });
    expect(configSchema.safeParse(doc).success).toBe(true);
  });

  it('V1: flat channels move into channel_list with settings, mention_only into group_trigger', () => {
    const { doc, from } = migrateConfig({
      version: 1,
      channels: {
        telegram: { enabled: true, token: 't', allow_from: ['1'], mention_only: true, use_markdown_v2: true },
        mqtt: { enabled: true, broker: 'tcp://h:1883', agent_id: 'assistant', qos: 1 },
        onebot: { enabled: false, ws_url: 'ws://x', group_trigger_prefix: ['/bot'] },
      },
      model_list: [{ model_name: 'm', model: 'mistral/x', api_key: 'k' }, { model_name: 'local-model', model: 'ollama/llama3' }, { model_name: 'n', model: 'groq/y' }],
    });
    expect(from).toBe(1);
    expect(doc.channels).toBeUndefined();
    expect(doc.channel_list).toEqual({
      telegram: { enabled: true, type: 'telegram', allow_from: ['1'], group_trigger: { mention_only: true }, settings: { token: 't', use_markdown_v2: true } },
      mqtt: { enabled: true, type: 'mqtt', settings: { broker: 'tcp://h:1883', agent_id: 'assistant', qos: 1 } },
      onebot: { enabled: false, type: 'onebot', group_trigger: { prefixes: ['/bot'] }, settings: { ws_url: 'ws://x' } },
    });
    expect(doc.model_list).toEqual([
      { model_name: 'm', model: 'mistral/x', api_keys: ['k'], enabled: true },
      { model_name: 'local-model', model: 'ollama/llama3', enabled: true },
      { model_name: 'n', model: 'groq/y', enabled: false },
    ]);
    expect(configSchema.safeParse(doc).success).toBe(true);
  });

  it('V2: bindings become dispatch rules, agents model becomes model_name', () => {
    const { doc } = migrateConfig({
      version: 2,
      agents: { defaults: { model: 'm' } },
      bindings: [
        { agent_id: 'home', match: { channel: 'Telegram', peer: { kind: 'direct', id: '42' } } },
        { agent_id: 'work', match: { channel: 'discord', guild_id: 'g1' } },
      ],
    });
    expect(doc.bindings).toBeUndefined();
    expect(doc.agents).toEqual({
      defaults: { model_name: 'm' },
      dispatch: { rules: [
        { name: 'legacy-binding-0', agent: 'home', when: { channel: 'telegram', sender: '42' } },
        { name: 'legacy-binding-1', agent: 'work', when: { channel: 'discord', space: 'guild:g1' } },
      ] },
    });
  });

  it('leaves a current document alone apart from legacy spellings, and never mutates its input', () => {
    const input = { version: 3, model_list: [{ model_name: 'm', model: 'x', api_key: 'k', api_keys: ['k', 'k2'] }], channel_list: { tg: { settings: {} } } };
    const copy = structuredClone(input);
    const { doc, from } = migrateConfig(input);
    expect(from).toBeUndefined();
    expect(input).toEqual(copy);
    expect(doc.model_list).toEqual([{ model_name: 'm', model: 'x', api_keys: ['k', 'k2'] }]);
    expect((doc.channel_list as Record<string, { type: string }>).tg!.type).toBe('tg');
  });

  it('treats a version-less document without legacy blocks as current (the MQTT guide example)', () => {
    expect(migrateConfig({ channel_list: { mqtt: { enabled: true, type: 'mqtt', settings: {} } } }).from).toBeUndefined();
  });

  it('migrates secrets from .security.yml together with the legacy config on load', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'picoclaw-migrate-'));
    try {
      await writeFile(join(dir, 'config.json'), JSON.stringify({ version: 2, channels: { telegram: { enabled: true, token: '[NOT_HERE]' } } }));
      await writeFile(join(dir, '.security.yml'), 'channels:\n  telegram:\n    token: from-yaml\nweb:\n  brave:\n    api_keys: ["bk"]\nskills:\n  github:\n    token: gh\n');
      const loaded = await loadConfig({ configPath: join(dir, 'config.json'), home: dir, env: {} });
      expect(loaded.migratedFrom).toBe(2);
      expect(loaded.config.channel_list.telegram).toMatchObject({ type: 'telegram', enabled: true, settings: { token: 'from-yaml' } });
      expect(loaded.config.tools.web.brave.api_keys).toEqual(['bk']);
      expect(loaded.config.tools.skills.registries.github).toMatchObject({ auth_token: 'gh' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('resolves a bare model id with agents.defaults.provider: a model_list entry with that model first, then provider/id', () => {
    const doc = (defaults: Record<string, unknown>, list: unknown[] = []) => migrateConfig({ version: 3, agents: { defaults }, model_list: list }).doc as { agents: { defaults: { model_name: string; model_fallbacks: string[] } } };
    expect(doc({ provider: 'openai', model: 'gpt-4' }).agents.defaults.model_name).toBe('openai/gpt-4');
    expect(doc({ provider: 'openai', model: 'gpt-4' }, [{ model_name: 'main', model: 'openai/gpt-4' }]).agents.defaults.model_name).toBe('main');
    expect(doc({ provider: 'OpenAI', model_name: 'gpt-4o', model_fallbacks: ['gpt-4o-mini', 'groq/llama'] }, [{ model_name: 'mini', model: 'gpt-4o-mini' }]).agents.defaults).toMatchObject({ model_name: 'openai/gpt-4o', model_fallbacks: ['mini', 'groq/llama'] });
    expect(doc({ provider: 'openrouter', model: 'meta-llama/llama-3.3-70b' }).agents.defaults.model_name).toBe('openrouter/meta-llama/llama-3.3-70b');
    // Without a provider a bare id stays as written (the schema then says to set the provider).
    expect(doc({ model: 'gpt-4' }).agents.defaults.model_name).toBe('gpt-4');
  });
});
