import { describe, expect, it } from 'vitest';
import { configSchema, effectiveMcpTransport } from './schema.js';
import { validateConfigDocument } from './load-config.js';
import { resolveModelTarget } from './providers.js';

const parse = (doc: unknown) => configSchema.parse(doc);
const problems = (doc: unknown, options: Parameters<typeof validateConfigDocument>[1] = {}) => {
  const result = validateConfigDocument(doc, options);
  return result.ok ? [] : result.issues.map((i) => `${i.path}: ${i.message}`);
};

describe('config schema: defaults', () => {
  it('fills a complete config from an empty document', () => {
    const config = parse({});
    expect(config.version).toBe(3);
    expect(config.agents.defaults).toMatchObject({ max_tokens: 32768, max_tool_iterations: 50, temperature: 0.7, model_name: '', model_fallbacks: [] });
    expect(config.gateway).toEqual({ host: '127.0.0.1', port: 18790, hot_reload: false, log_level: 'info' });
    expect(config.tools.mcp).toMatchObject({ enabled: false, max_inline_text_chars: 16384, servers: {} });
    expect(config.tools.exec.timeout_seconds).toBe(60);
    expect(config.channel_list).toEqual({});
    expect(config.model_list).toEqual([]);
  });

  it('parses the MQTT guide quick-start example with every documented default', () => {
    const config = parse({
      channel_list: { mqtt: { enabled: true, type: 'mqtt', settings: { broker: 'tcp://localhost:1883', agent_id: 'assistant' } } },
    });
    const mqtt = config.channel_list.mqtt!;
    expect(mqtt.type).toBe('mqtt');
    if (mqtt.type !== 'mqtt') throw new Error('type');
    expect(mqtt.settings).toMatchObject({
      broker: 'tcp://localhost:1883', agent_id: 'assistant', topic_prefix: '/picoclaw', client_id: '',
      keep_alive: 60, qos: 0, username: '', password: '',
    });
  });

  it('parses the MQTT guide full example (ssl broker, explicit fields)', () => {
    const config = parse({
      channel_list: {
        mqtt: {
          enabled: true, type: 'mqtt',
          settings: { broker: 'ssl://your-broker:8883', agent_id: 'assistant', topic_prefix: '/picoclaw', client_id: '', keep_alive: 60, qos: 0 },
        },
      },
    });
    expect(config.channel_list.mqtt!.settings).toMatchObject({ broker: 'ssl://your-broker:8883', qos: 0, keep_alive: 60 });
  });

  it('keeps the documented quirks: keep_alive <= 0 means 60, topic_prefix loses a trailing slash', () => {
    const s = parse({ channel_list: { m: { type: 'mqtt', settings: { keep_alive: 0, topic_prefix: '/home/' } } } }).channel_list.m!.settings as { keep_alive: number; topic_prefix: string };
    expect(s.keep_alive).toBe(60);
    expect(s.topic_prefix).toBe('/home');
  });

  it('fills channel defaults per field, not per entry (a hand-written pico entry keeps streaming on)', () => {
    const config = parse({ channel_list: { pico: { type: 'pico', enabled: true, settings: { token: 'x' } } } });
    expect(config.channel_list.pico!.settings).toMatchObject({ streaming: { enabled: true }, ping_interval: 30, max_connections: 100 });
  });

  it('gives telegram its placeholder default and accepts numbers and comma lists in allow_from', () => {
    const config = parse({ channel_list: { tg: { type: 'telegram', allow_from: '123, 456，789', settings: {} }, tg2: { type: 'telegram', allow_from: [42, '@me'] } } });
    expect(config.channel_list.tg!.placeholder).toEqual({ enabled: true, text: ['Thinking... 💭'] });
    expect(config.channel_list.tg!.allow_from).toEqual(['123', '456', '789']);
    expect(config.channel_list.tg2!.allow_from).toEqual(['42', '@me']);
  });

  it('keeps channel types it does not run, with their settings as written', () => {
    const config = parse({ channel_list: { dc: { type: 'discord', settings: { token: 't', guild: 1 } } } });
    expect(config.channel_list.dc!.settings).toEqual({ token: 't', guild: 1 });
  });

  it('parses a Home Assistant MCP server and infers transports as the reference does', () => {
    const config = parse({
      tools: { mcp: { enabled: true, servers: { homeassistant: { type: 'streamable-http', url: 'http://127.0.0.1:8123/api/mcp', headers: { Authorization: 'Bearer x' } } } } },
    });
    const ha = config.tools.mcp.servers.homeassistant!;
    expect(ha).toMatchObject({ enabled: true, connect_timeout: 15, call_timeout: 60 });
    expect(effectiveMcpTransport(ha)).toBe('http');
    expect(effectiveMcpTransport({ url: 'http://x' })).toBe('sse');
    expect(effectiveMcpTransport({ command: 'npx' })).toBe('stdio');
    expect(effectiveMcpTransport({ type: 'STDIO ' })).toBe('stdio');
  });

  it('resolves model targets like the reference', () => {
    expect(resolveModelTarget({ model: 'mistral/mistral-small-latest' })).toMatchObject({ provider: { id: 'mistral' }, modelId: 'mistral-small-latest' });
    expect(resolveModelTarget({ model: 'openrouter/nvidia/nemotron-nano-9b-v2:free' })).toMatchObject({ provider: { id: 'openrouter' }, modelId: 'nvidia/nemotron-nano-9b-v2:free' });
    expect(resolveModelTarget({ model: 'meta/llama-3' })).toMatchObject({ provider: { id: 'openai' }, modelId: 'meta/llama-3' });
    expect(resolveModelTarget({ provider: 'google', model: 'gemini-2.0-flash' })).toMatchObject({ provider: { id: 'gemini' }, modelId: 'gemini-2.0-flash' });
    expect(resolveModelTarget({ provider: 'opencode', model: 'big-pickle' })).toMatchObject({ provider: { id: 'opencode', apiBase: 'https://opencode.ai/zen/v1' } });
  });

  it("knows PicoClaw's whole provider list: OpenAI-compatible ones work, the others load and say why they cannot answer", () => {
    expect(resolveModelTarget({ model: 'volcengine/doubao-seed-1.6' })).toMatchObject({ provider: { id: 'volcengine', apiBase: 'https://ark.cn-beijing.volces.com/api/v3', wire: 'openai' }, modelId: 'doubao-seed-1.6' });
    expect(resolveModelTarget({ provider: 'z.ai', model: 'glm-4.6' })).toMatchObject({ provider: { id: 'zai' } });
    expect(resolveModelTarget({ provider: 'dashscope-intl', model: 'qwen-max' })).toMatchObject({ provider: { id: 'qwen-intl' } });
    for (const id of ['venice', 'novita', 'modelscope', 'minimax', 'qwen-us', 'avian', 'mimo', 'longcat', 'vivgrid', 'shengsuanyun', 'alibaba-coding', 'gpt4free']) {
      expect(resolveModelTarget({ provider: id, model: 'x' }).provider, id).toMatchObject({ id, wire: 'openai' });
      expect(resolveModelTarget({ provider: id, model: 'x' }).provider.unsupported, id).toBeUndefined();
    }
    for (const id of ['azure', 'bedrock', 'github-copilot', 'antigravity', 'claude-cli', 'codex-cli', 'anthropic-messages']) {
      expect(resolveModelTarget({ provider: id, model: 'x' }).provider.unsupported, id).toMatch(/not supported|not spoken/);
    }
    const parsed = configSchema.safeParse({ model_list: [{ model_name: 'a', provider: 'azure', model: 'gpt-4o' }, { model_name: 'b', model: 'volcengine/doubao' }] });
    expect(parsed.success).toBe(true);
  });
});

describe('config schema: each bad input gets its precise error', () => {
  const cases: [string, unknown, RegExp][] = [
    ['typo at top level', { chanel_list: {} }, /^chanel_list: unknown key \(did you mean "channel_list"\?\): no PicoClaw version has it\. Valid keys here: version, agents/],
    ['typo without a near key', { tools: { zzzzzz: true } }, /^tools\.zzzzzz: unknown key: no PicoClaw version has it\. Valid keys here: allow_read_paths/],
    ['qos out of range', { channel_list: { mqtt: { type: 'mqtt', settings: { qos: 3 } } } }, /^channel_list\.mqtt\.settings\.qos: must be 0, 1 or 2 \(got 3\)/],
    ['broker without scheme', { channel_list: { mqtt: { type: 'mqtt', settings: { broker: 'localhost:1883' } } } }, /^channel_list\.mqtt\.settings\.broker: must be a broker URL such as tcp:\/\/localhost:1883/],
    ['broker with unknown scheme', { channel_list: { mqtt: { type: 'mqtt', settings: { broker: 'http://h:1883' } } } }, /broker: must be a broker URL/],
    ['agent_id with a slash', { channel_list: { mqtt: { type: 'mqtt', settings: { agent_id: 'a/b' } } } }, /agent_id: must not contain "\/"/],
    ['keep_alive as a string', { channel_list: { mqtt: { type: 'mqtt', settings: { keep_alive: '60' } } } }, /keep_alive: expected number, got string/],
    ['unknown channel type', { channel_list: { x: { type: 'whatsup' } } }, /^channel_list\.x\.type: unknown channel type "whatsup"; known types: pico, pico_client, telegram/],
    ['two enabled pico channels', { channel_list: { a: { type: 'pico', enabled: true }, b: { type: 'pico', enabled: true } } }, /^channel_list: channel type "pico" is a singleton, but 2 instances are enabled: a, b/],
    ['shared group on MQTT 3.1.1', { channel_list: { m: { type: 'mqtt', settings: { shared_group: 'g' } } } }, /shared_group: needs protocol_version 5/],
    ['model without model', { model_list: [{ model_name: 'm' }] }, /^model_list\.0\.model: is required \(expected string\)/],
    ['model with a URL', { model_list: [{ model_name: 'm', model: 'https://x/y' }] }, /^model_list\.0\.model: must not contain "\/\/"/],
    ['model with whitespace', { model_list: [{ model_name: 'm', model: 'mistral/small latest' }] }, /model: must not contain whitespace/],
    ['unknown provider', { model_list: [{ model_name: 'm', provider: 'byteplus', model: 'x' }] }, /^model_list\.0\.provider: is not a known provider; valid: mistral, openrouter, groq, gemini, opencode/],
    ['max_tool_iterations negative', { agents: { defaults: { max_tool_iterations: -1 } } }, /max_tool_iterations: must be from 1 to 1000 \(got -1\)/],
    ['temperature too high', { agents: { defaults: { temperature: 3 } } }, /temperature: must be from 0 to 2 \(got 3\)/],
    ['gateway port out of range', { gateway: { port: 70000 } }, /^gateway\.port: must be from 1 to 65535 \(got 70000\)/],
    ['context_window negative', { agents: { defaults: { context_window: -5 } } }, /context_window: must be 1 or more \(got -5\)/],
    ['unsupported version', { version: 7 }, /^version: Invalid input: expected 3/],
    ['mcp server without url or command', { tools: { mcp: { servers: { ha: {} } } } }, /^tools\.mcp\.servers\.ha\.url: either url \(for http\/sse\) or command \(for stdio\) is required/],
    ['mcp http server with a bad url', { tools: { mcp: { servers: { ha: { type: 'http', url: 'ha.local/api/mcp' } } } } }, /url: must be an http:\/\/ or https:\/\/ URL/],
    ['mcp unknown transport', { tools: { mcp: { servers: { ha: { type: 'websocket', url: 'http://h' } } } } }, /type: must be one of stdio, sse, http, streamable-http/],
    ['mcp stdio without command', { tools: { mcp: { servers: { fs: { type: 'stdio' } } } } }, /servers\.fs\.command: is required for a stdio server/],
  ];
  it.each(cases)('%s', (_name, doc, expected) => {
    const found = problems(doc);
    expect(found.length, `expected an error for ${JSON.stringify(doc)}`).toBeGreaterThan(0);
    expect(found.some((p) => expected.test(p)), `none of\n${found.join('\n')}\nmatches ${expected}`).toBe(true);
  });

  it('accepts an enabled channel whose required setting comes from the environment', () => {
    expect(problems({ channel_list: { mqtt: { type: 'mqtt', enabled: true, settings: { agent_id: 'a' } } } }, { env: { PICOCLAW_CHANNELS_MQTT_BROKER: 'tcp://h:1883' } })).toEqual([]);
  });

  it('refuses a pico token equal to the launcher token, explaining why', () => {
    const found = problems({ channel_list: { pico: { type: 'pico', enabled: true, settings: { token: 'same-secret-123' } } } }, { launcherToken: 'same-secret-123' });
    expect(found.join('\n')).toMatch(/pico\.settings\.token: must differ from the launcher token.*Invalid Pico token/);
    expect(found.join('\n')).not.toContain('same-secret-123');
    expect(problems({ channel_list: { pico: { type: 'pico', enabled: true, settings: { token: 'other' } } } }, { launcherToken: 'same-secret-123' })).toEqual([]);
  });

  it('never quotes a secret value in an error', () => {
    const found = problems({ channel_list: { mqtt: { type: 'mqtt', settings: { password: 12345678 } } }, model_list: [{ model_name: 'm', model: 'x', api_keys: [987654321] }] });
    expect(found.join('\n')).not.toMatch(/12345678|987654321/);
    expect(found.length).toBe(2);
  });
});
