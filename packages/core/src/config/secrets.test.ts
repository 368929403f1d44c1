import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configSchema, type Config } from './schema.js';
import { collectSecrets, redactSecrets, restoreSecrets, SECRET_PLACEHOLDER, secretPaths } from './secrets.js';
import { mergeSecurity, splitSecurity } from './security-file.js';

/** Secrets worth hunting for: long enough not to occur by chance in the rest of the document. */
const secretArb = fc.string({ minLength: 12, maxLength: 40, unit: 'grapheme' }).map((s) => `S3cr3t-${s}`);
const nameArb = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/);

/** A generated config with secrets in every kind of place the schema tags. */
const configArb = fc
  .record({
    models: fc.array(fc.record({ name: nameArb, keys: fc.array(secretArb, { maxLength: 3 }) }), { maxLength: 5 }),
    telegram: secretArb,
    pico: secretArb,
    mqtt: fc.record({ username: secretArb, password: secretArb }),
    discordToken: secretArb,
    mcpHeader: secretArb,
    mcpEnv: secretArb,
    braveKey: secretArb,
    voiceKey: secretArb,
    redisPassword: secretArb,
  })
  .map((g) =>
    configSchema.parse({
      model_list: g.models.map((m) => ({ model_name: m.name, model: `mistral/${m.name}`, api_keys: m.keys, custom_headers: { 'X-Key': m.keys[0] ?? '' } })),
      channel_list: {
        telegram: { type: 'telegram', settings: { token: g.telegram } },
        pico: { type: 'pico', settings: { token: g.pico } },
        mqtt: { type: 'mqtt', settings: { username: g.mqtt.username, password: g.mqtt.password } },
        discord: { type: 'discord', settings: { token: g.discordToken, guild: 'public-guild' } },
      },
      tools: {
        mcp: { servers: { ha: { type: 'http', url: 'http://ha:8123/api/mcp', headers: { Authorization: `Bearer ${g.mcpHeader}` } }, fs: { command: 'fs-server', env: { API_TOKEN: g.mcpEnv } } } },
        web: { brave: { api_keys: [g.braveKey] } },
      },
      voice: { elevenlabs_api_key: g.voiceKey },
      session: { redis: { password: g.redisPassword } },
    }),
  );

const secretsOf = (config: Config) => [
  ...config.model_list.flatMap((m) => m.api_keys),
  ...Object.values(config.channel_list).flatMap((c) => Object.entries(c.settings).filter(([k]) => ['token', 'password', 'username'].includes(k)).map(([, v]) => String(v))),
  ...Object.values(config.tools.mcp.servers).flatMap((s) => [...Object.values(s.headers), ...Object.values(s.env)]),
  ...config.tools.web.brave.api_keys,
  config.voice.elevenlabs_api_key,
  config.session.redis.password,
].filter(Boolean);

describe('secrets', () => {
  it('finds the tagged secret fields in the schema', () => {
    const paths = secretPaths().map((p) => p.join('.'));
    expect(paths).toEqual(expect.arrayContaining([
      'model_list.*.api_keys.*', 'channel_list.*.settings.token', 'channel_list.*.settings.username', 'channel_list.*.settings.password',
      'tools.mcp.servers.*.headers.*', 'tools.mcp.servers.*.env.*', 'tools.web.brave.api_keys.*', 'voice.elevenlabs_api_key',
    ]));
    expect(paths).not.toContain('channel_list.*.settings.broker');
  });

  it('no secret survives redactSecrets, over generated configs', () => {
    fc.assert(
      fc.property(configArb, (config) => {
        const redacted = JSON.stringify(redactSecrets(config));
        for (const secret of secretsOf(config)) expect(redacted).not.toContain(secret);
        expect(redacted).toContain('public-guild'); // non-secret settings stay
      }),
      { numRuns: 150 },
    );
  });

  it('collectSecrets finds every secret; restoreSecrets undoes redaction exactly', () => {
    fc.assert(
      fc.property(configArb, (config) => {
        expect(new Set(collectSecrets(config))).toEqual(new Set(secretsOf(config)));
        expect(restoreSecrets(redactSecrets(config), config)).toEqual(config);
      }),
      { numRuns: 150 },
    );
  });

  it('splitSecurity keeps secrets out of config.json, and merging .security.yml back restores them', () => {
    fc.assert(
      fc.property(configArb, (config) => {
        const { doc, security } = splitSecurity(config);
        const json = JSON.stringify(doc);
        for (const secret of secretsOf(config)) expect(json).not.toContain(secret);
        const merged = structuredClone(doc) as unknown as Record<string, unknown>;
        mergeSecurity(merged, security);
        expect(configSchema.parse(merged)).toEqual(config);
      }),
      { numRuns: 150 },
    );
  });

  it('duplicate model names: each entry keeps its own keys through .security.yml, a keyless duplicate stays keyless', () => {
    // Found by the property above: the second "a" used to fall back to the bare "a" key.
    const config = configSchema.parse({ model_list: [{ model_name: 'a', model: 'mistral/a', api_keys: ['first-key'] }, { model_name: 'a', model: 'mistral/a' }, { model_name: 'b', model: 'mistral/b', api_keys: ['b-key'] }] });
    const { doc, security } = splitSecurity(config);
    expect(Object.keys(security.model_list as object)).toEqual(['a:0', 'b']);
    const merged = structuredClone(doc) as unknown as Record<string, unknown>;
    mergeSecurity(merged, security);
    expect(configSchema.parse(merged).model_list.map((m) => m.api_keys)).toEqual([['first-key'], [], ['b-key']]);
  });

  it('leaves unset secrets empty, so a client can tell "set" from "not set"', () => {
    const config = configSchema.parse({ channel_list: { telegram: { type: 'telegram', settings: { token: '' } }, pico: { type: 'pico', settings: { token: 'p' } } } });
    const redacted = redactSecrets(config);
    expect(redacted.channel_list.telegram!.settings).toMatchObject({ token: '' });
    expect(redacted.channel_list.pico!.settings).toMatchObject({ token: SECRET_PLACEHOLDER });
  });

  it('restores each model its own key when a client reorders, renames or adds models', () => {
    const stored = configSchema.parse({ model_list: [
      { model_name: 'a', model: 'mistral/a', api_keys: ['key-a'] },
      { model_name: 'b', model: 'groq/b', api_keys: ['key-b0', 'key-b1'] },
      { model_name: 'b', model: 'groq/b2', api_keys: ['key-b-dup'] },
    ] });
    const incoming = redactSecrets(stored);
    incoming.model_list.reverse();
    incoming.model_list.push({ ...incoming.model_list[0]!, model_name: 'new', api_keys: ['', 'typed-by-user'] });
    const restored = restoreSecrets(incoming, stored);
    expect(restored.model_list.map((m) => [m.model_name, m.api_keys])).toEqual([
      ['b', ['key-b-dup']], // same-named entries are told apart by their model
      ['b', ['key-b0', 'key-b1']],
      ['a', ['key-a']],
      ['new', ['', 'typed-by-user']],
    ]);
  });

  it('a renamed or copied entry keeps the one key stored for its endpoint; an ambiguous or unknown placeholder is refused, never saved empty or literal', () => {
    const stored = configSchema.parse({ model_list: [
      { model_name: 'a', model: 'mistral/a', api_keys: ['key-a'] },
      { model_name: 'g1', model: 'groq/x', api_keys: ['key-g1'] },
      { model_name: 'g2', model: 'groq/y', api_keys: ['key-g2'] },
    ] });
    const incoming = redactSecrets(stored);
    incoming.model_list[0]!.model_name = 'a-renamed';
    incoming.model_list.push({ ...incoming.model_list[0]!, model_name: 'a-copy' });
    expect(restoreSecrets(incoming, stored).model_list.map((m) => [m.model_name, m.api_keys])).toEqual([['a-renamed', ['key-a']], ['g1', ['key-g1']], ['g2', ['key-g2']], ['a-copy', ['key-a']]]);
    const refusal = (doc: typeof incoming) => {
      try {
        restoreSecrets(doc, stored);
      } catch (error) {
        return (error as { issues: { path: string; message: string }[] }).issues;
      }
      throw new Error('restored');
    };
    // Two Groq keys: which one the renamed entry meant is unknown.
    const ambiguous = redactSecrets(stored);
    ambiguous.model_list[1]!.model_name = 'g-renamed';
    expect(refusal(ambiguous)).toEqual([expect.objectContaining({ path: 'model_list.1.api_keys.0', message: expect.stringMatching(/none is stored for model "g-renamed".*enter the secret again/) })]);
    // Renamed and pointed elsewhere: nothing matches (and nothing may follow it there).
    const moved = redactSecrets(stored);
    Object.assign(moved.model_list[0]!, { model_name: 'z', api_base: 'http://elsewhere.example/v1' });
    expect(refusal(moved)).toEqual([expect.objectContaining({ path: 'model_list.0.api_keys.0' })]);
  });

  describe('a stored secret does not follow a changed endpoint', () => {
    const stored = configSchema.parse({
      model_list: [{ model_name: 'm', model: 'mistral/mistral-small-latest', api_keys: ['mk-stored'] }],
      channel_list: { mqtt: { type: 'mqtt', settings: { broker: 'tcp://broker.lan:1883', agent_id: 'a', username: 'u', password: 'mqtt-pass' } } },
      tools: { mcp: { servers: { ha: { type: 'http', url: 'http://ha.lan:8123/api/mcp', headers: { Authorization: 'Bearer ha-token' } } } } },
      session: { redis: { url: 'redis://r.lan:6379', password: 'redis-pass' } },
    });
    const edit = (change: (doc: Config) => void) => {
      const doc = redactSecrets(stored);
      change(doc);
      return doc;
    };
    const refused = (doc: Config) => {
      try {
        restoreSecrets(doc, stored);
      } catch (error) {
        return (error as { issues: { path: string; message: string }[] }).issues;
      }
      throw new Error('restored');
    };

    it('is refused for a new api_base, a provider with another endpoint, an MCP URL, a broker, a Redis URL', () => {
      expect(refused(edit((d) => (d.model_list[0]!.api_base = 'http://evil.example/v1')))).toEqual([
        { path: 'model_list.0.api_keys.0', source: 'request', message: expect.stringMatching(/not sent to a new api_base \(https:\/\/api\.mistral\.ai\/v1 → http:\/\/evil\.example\/v1\): enter it again for model "m"/) },
      ]);
      expect(refused(edit((d) => (d.model_list[0]!.model = 'openai/gpt-4o')))[0]!.message).toMatch(/api\.openai\.com/);
      expect(refused(edit((d) => (d.model_list[0]!.proxy = 'http://mitm.example:3128')))[0]!.message).toMatch(/via http:\/\/mitm/);
      expect(refused(edit((d) => (d.tools.mcp.servers.ha!.url = 'http://evil.example/api/mcp')))[0]!.path).toBe('tools.mcp.servers.ha.headers.Authorization');
      const mqtt = refused(edit((d) => ((d.channel_list.mqtt!.settings as { broker: string }).broker = 'tcp://evil.example:1883')));
      expect(mqtt.map((i) => i.path)).toEqual(['channel_list.mqtt.settings.username']); // one issue per entry
      expect(refused(edit((d) => (d.session.redis.url = 'redis://evil.example:6379')))[0]!.path).toBe('session.redis.password');
    });

    it('is restored when the endpoint stays (another model id of the same provider) and replaced when sent anew', () => {
      expect(restoreSecrets(edit((d) => (d.model_list[0]!.model = 'mistral/mistral-large-latest')), stored).model_list[0]!.api_keys).toEqual(['mk-stored']);
      const anew = restoreSecrets(edit((d) => Object.assign(d.model_list[0]!, { api_base: 'http://localhost:4000/v1', api_keys: ['typed-again'] })), stored);
      expect(anew.model_list[0]!.api_keys).toEqual(['typed-again']);
      expect(restoreSecrets(edit((d) => (d.model_list[0]!.api_base = 'https://api.mistral.ai/v1/')), stored).model_list[0]!.api_keys).toEqual(['mk-stored']);
    });
  });
});
