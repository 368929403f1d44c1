import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { loadConfig } from './load-config.js';
import { saveConfig } from './save-config.js';
import { redactSecrets } from './secrets.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'picoclaw-compat-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const configPath = () => join(dir, 'config.json');
const load = async (doc: unknown) => {
  await writeFile(configPath(), JSON.stringify(doc, null, 2));
  return loadConfig({ configPath: configPath(), home: dir, env: {} });
};
const model = { model_name: 'm', model: 'mistral/mistral-small-latest', api_keys: ['mk-compat'] };
const ignoredOnly = (warnings: string[]) => warnings.filter((w) => w.startsWith('ignored'));

describe('PicoClaw configs as PicoClaw loads them', () => {
  it('null for a list is an empty list, for a map an empty map, elsewhere the default', async () => {
    const loaded = await load({
      model_list: [model],
      agents: { defaults: { model_name: 'm', model_fallbacks: null, max_tokens: null } },
      tools: { exec: { custom_deny_patterns: null, custom_allow_patterns: null }, mcp: { servers: null }, allow_read_paths: null },
      channel_list: { telegram: { type: 'telegram', allow_from: null, settings: { token: '' } } },
    });
    expect(loaded.config.tools.exec.custom_deny_patterns).toEqual([]);
    expect(loaded.config.tools.mcp.servers).toEqual({});
    expect(loaded.config.tools.allow_read_paths).toBeNull(); // nullable in the schema: null stays null
    expect(loaded.config.agents.defaults.model_fallbacks).toEqual([]);
    expect(loaded.config.agents.defaults.max_tokens).toBe(32768);
    expect(loaded.config.channel_list.telegram!.allow_from).toEqual([]);
  });

  it('0 where only positive numbers are valid means the default; 0 where 0 is valid stays 0', async () => {
    const loaded = await load({
      model_list: [model],
      agents: { defaults: { model_name: 'm', max_tokens: 0, max_tool_iterations: 0, context_window: 0, max_llm_retries: 0 } },
      tools: { web: { tavily: { max_results: 0 } } },
      gateway: { port: 0 },
      channel_list: { mqtt: { type: 'mqtt', settings: { qos: 0, keep_alive: 0 } } },
    });
    const d = loaded.config.agents.defaults;
    expect([d.max_tokens, d.max_tool_iterations, d.context_window, d.max_llm_retries]).toEqual([32768, 50, undefined, 0]);
    expect(loaded.config.tools.web.tavily.max_results).toBe(5);
    expect(loaded.config.gateway.port).toBe(18790);
    const mqtt = loaded.config.channel_list.mqtt!;
    expect(mqtt.type === 'mqtt' && [mqtt.settings.qos, mqtt.settings.keep_alive]).toEqual([0, 60]);
  });

  it('keys starting with _ are comments, kept when the config is saved', async () => {
    const loaded = await load({ _comment: 'my homelab', model_list: [{ ...model, _note: 'primary' }], agents: { defaults: { model_name: 'm', _why: 'cheap' } } });
    expect(ignoredOnly(loaded.warnings)).toEqual([]);
    await saveConfig(loaded.document, { configPath: configPath() });
    const saved = JSON.parse(await readFile(configPath(), 'utf8')) as Record<string, unknown> & { model_list: Record<string, unknown>[]; agents: { defaults: Record<string, unknown> } };
    expect([saved._comment, saved.model_list[0]!._note, saved.agents.defaults._why]).toEqual(['my homelab', 'primary', 'cheap']);
  });

  it('a PicoClaw key this project lacks loads, is reported once with why, kept on save, and its secret goes to .security.yml', async () => {
    const loaded = await load({ model_list: [model], agents: { defaults: { model_name: 'm' } }, tools: { web: { brave: { enabled: true, api_key: 'BSA-compat-secret' }, search: { max_results: 3 } }, skills: { github: { token: 'ghp-compat-secret' } } } });
    expect(ignoredOnly(loaded.warnings)).toEqual([
      'ignored for compatibility with PicoClaw: tools.web.brave.api_key — an old PicoClaw spelling, not read here: put the key in api_keys (a list) of the same backend',
      'ignored for compatibility with PicoClaw: tools.web.search — an old PicoClaw block, not read here: set up a backend under tools.web (brave, tavily, searxng, duckduckgo)',
      'ignored for compatibility with PicoClaw: tools.skills.github — an old PicoClaw block, not read here: use tools.skills.registries.github / .clawhub (base_url, auth_token)',
    ]);
    expect(JSON.stringify(redactSecrets(loaded.document))).not.toMatch(/BSA-compat-secret|ghp-compat-secret/);
    await saveConfig(loaded.document, { configPath: configPath() });
    const [json, yaml] = await Promise.all([readFile(configPath(), 'utf8'), readFile(join(dir, '.security.yml'), 'utf8')]);
    expect(json).not.toMatch(/BSA-compat-secret|ghp-compat-secret/);
    expect(yaml).toMatch(/BSA-compat-secret/);
    expect(yaml).toMatch(/ghp-compat-secret/);
    const again = await loadConfig({ configPath: configPath(), home: dir, env: {} });
    expect((again.document.tools.web as unknown as { search: unknown }).search).toEqual({ max_results: 3 });
    expect((again.document.tools.web.brave as unknown as { api_key: string }).api_key).toBe('BSA-compat-secret');
  });

  it('an unknown setting of a channel is ignored as PicoClaw ignores it, with a did-you-mean', async () => {
    const loaded = await load({ model_list: [model], agents: { defaults: { model_name: 'm' } }, channel_list: { telegram: { type: 'telegram', settings: { token: '1:a', allowFrom: ['1'] } } } });
    expect(ignoredOnly(loaded.warnings)).toEqual(['ignored for compatibility with PicoClaw: channel_list.telegram.settings.allowFrom — not a setting of this channel type; ignored, as PicoClaw ignores it (did you mean "allow_from", beside "settings"?)']);
  });

  it('reports what a config switches on that does nothing here, and nothing for a config saved here', async () => {
    const loaded = await load({ model_list: [model], agents: { defaults: { model_name: 'm' } }, heartbeat: { enabled: true, interval: 30 }, tools: { exec: { enabled: true }, cron: { enabled: true, allow_command: false }, message: { media_enabled: true } }, channel_list: { discord: { type: 'discord', enabled: true, settings: { token: 'x' } } } });
    expect(loaded.warnings.join('\n')).toMatch(/tools\.exec\.enabled, tools\.cron\.allow_command — no shell tool/);
    expect(loaded.warnings.join('\n')).toMatch(/tools\.message\.media_enabled — this media option is not available here yet/);
    expect(loaded.warnings.join('\n')).not.toMatch(/heartbeat|tools\.cron\.enabled/);
    expect(loaded.warnings.join('\n')).toMatch(/channel_list\.discord — the discord channel is not available here/);
    await saveConfig({ ...loaded.document, tools: { ...loaded.document.tools, exec: { enabled: false }, cron: { enabled: true }, message: { media_enabled: false } }, channel_list: {} }, { configPath: configPath() });
    expect((await loadConfig({ configPath: configPath(), home: dir, env: {} })).warnings).toEqual([]);
  });

  it('web search: the backends web_search has are not reported, the others are', async () => {
    const loaded = await load({ model_list: [model], agents: { defaults: { model_name: 'm' } }, tools: { web: { enabled: true, provider: 'brave', brave: { enabled: true, api_keys: ['k'] }, tavily: { enabled: true, api_keys: ['t'] }, searxng: { enabled: true, base_url: 'http://s' }, duckduckgo: { enabled: true }, perplexity: { enabled: true, api_keys: ['p'] } } } });
    expect(ignoredOnly(loaded.warnings)).toEqual(['ignored for compatibility with PicoClaw: tools.web.perplexity.enabled, tools.web.perplexity.api_keys — this search backend is not available here; web_search uses brave, tavily, searxng or duckduckgo']);
  });

  it('a key no PicoClaw version has is still an error, with the nearest valid key', async () => {
    const error = await load({ tools: { mcp: { servres: {} } } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues[0]!.message).toMatch(/^unknown key \(did you mean "servers"\?\): no PicoClaw version has it\. Valid keys here: /);
  });

  it('loads what PicoClaw loads and fails later, with a warning saying what to set: a channel without its required setting, a model reference that resolves nowhere', async () => {
    const loaded = await load({
      model_list: [{ model_name: 'a', model: 'mistral/x' }],
      agents: { defaults: { model_name: 'glm-4.7', model_fallbacks: ['zz'] } },
      voice: { model_name: 'a', model_fallbacks: ['groq/whisper-large-v3'], tts_model_name: 'openai/tts-1' },
      channel_list: { mqtt: { type: 'mqtt', enabled: true, settings: { agent_id: 'a' } }, telegram: { type: 'telegram', enabled: true } },
    });
    const text = loaded.warnings.join('\n');
    expect(text).toMatch(/channel_list\.mqtt\.settings\.broker is not set, so the enabled mqtt channel "mqtt" will not start: set it, e\.g\. "tcp:\/\/localhost:1883"/);
    expect(text).toMatch(/channel_list\.telegram\.settings\.token is not set, so the enabled telegram channel "telegram" will not start/);
    expect(text).toMatch(/no usable model: agents\.defaults\.model_name is "glm-4\.7", which is not in model_list.*; the gateway runs anyway \(ready, degraded: no_model\)/);
    expect(text).toMatch(/agents\.defaults\.model_fallbacks\.0 "zz"/);
    expect(text).toMatch(/voice\.model_fallbacks\.0 "groq\/whisper-large-v3" is not a model_list model_name \(known: a\); voice notes cannot be transcribed with it/);
    expect(text).not.toMatch(/voice\.model_name/);
    expect(text).toMatch(/voice\.tts_model_name "openai\/tts-1" is not a model_list model_name \(known: a\); send_tts cannot speak with it/);
  });

  it("reads a channel's settings written beside \"enabled\" (PicoClaw's channel docs) from \"settings\", and says so", async () => {
    const loaded = await load({ model_list: [model], agents: { defaults: { model_name: 'm' } }, channel_list: { telegram: { enabled: true, token: '1:flat', allow_from: ['7'], settings: { proxy: 'http://p:3128' } } } });
    expect(loaded.config.channel_list.telegram).toMatchObject({ type: 'telegram', allow_from: ['7'], settings: { token: '1:flat', proxy: 'http://p:3128' } });
    expect(loaded.warnings.join('\n')).toMatch(/channel_list\.telegram: token belongs in "settings" and was read from there/);
  });

  it('early PicoClaw guessed the vendor of a model from its name among the providers with a key', async () => {
    const loaded = await load({ agents: { defaults: { model: 'glm-4.7', provider: '' } }, providers: { zhipu: { api_key: 'z-key' }, openai: { api_key: '' } } });
    expect(loaded.migratedFrom).toBe(0);
    expect(loaded.config.agents.defaults.model_name).toBe('zhipu');
    expect(loaded.config.model_list).toEqual([expect.objectContaining({ model_name: 'zhipu', model: 'zhipu/glm-4.7', api_keys: ['z-key'] })]);
  });
});
