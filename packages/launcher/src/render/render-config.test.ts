import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@picoclaw/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderConfig } from './render-config.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'picoclaw-render-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The homelab's config as a template: every secret of its table is a reference. */
const homelabTemplate = (ref: (name: string, env: string) => string) => ({
  version: 3,
  agents: { defaults: { model_name: 'mistral-small', model_fallbacks: ['nemotron', 'groq-llama', 'gemini-flash', 'big-pickle'] } },
  model_list: [
    { model_name: 'mistral-small', model: 'mistral/mistral-small-latest', api_keys: [ref('PicoClaw - Mistral AI Token', 'MISTRAL_API_KEY')] },
    { model_name: 'nemotron', model: 'openrouter/nvidia/nemotron-nano-9b-v2:free', api_keys: [ref('PicoClaw - OpenRouter Token', 'OPENROUTER_API_KEY')] },
    { model_name: 'groq-llama', model: 'groq/llama-3.3-70b-versatile', api_keys: [ref('OpenClaw - Groq API Key', 'GROQ_API_KEY')] },
    { model_name: 'gemini-flash', model: 'gemini/gemini-2.0-flash', api_keys: [ref('OpenClaw - Gemini API Key', 'GEMINI_API_KEY')] },
    { model_name: 'big-pickle', provider: 'opencode', model: 'big-pickle', api_keys: [ref('OpenCode - Zen Token', 'OPENCODE_ZEN_TOKEN')] },
  ],
  channel_list: {
    telegram: { enabled: true, type: 'telegram', allow_from: ['123456789'], settings: { token: ref('PicoClaw - Telegram Token', 'TELEGRAM_BOT_TOKEN') } },
    pico: { enabled: true, type: 'pico', settings: { token: '${PICO_TOKEN}' } },
  },
  tools: { mcp: { enabled: true, servers: { homeassistant: { type: 'http', url: 'http://127.0.0.1:8123/api/mcp', headers: { Authorization: ref('Home Assistant - PicoClaw Token', 'HA_BEARER') } } } } },
});

const values: Record<string, string> = {
  MISTRAL_API_KEY: 'mk-1', OPENROUTER_API_KEY: 'or-2', GROQ_API_KEY: 'gsk-3', GEMINI_API_KEY: 'AIza-4', OPENCODE_ZEN_TOKEN: 'zen-5',
  TELEGRAM_BOT_TOKEN: '123:tg-6', HA_BEARER: 'Bearer ha-7', PICO_TOKEN: 'pico-internal-8',
};

async function fakeOp(script: string) {
  const bin = join(dir, 'bin');
  await import('node:fs/promises').then((fs) => fs.mkdir(bin));
  await writeFile(join(bin, 'op'), `#!/bin/sh\n${script}\n`);
  await chmod(join(bin, 'op'), 0o755);
  return join(bin, 'op');
}

const paths = () => ({ configPath: join(dir, 'config.json'), home: dir });

describe('renderConfig', () => {
  it('renders the homelab config from an env file (/run/picoclaw/env style)', async () => {
    await writeFile(join(dir, 'template.json'), JSON.stringify(homelabTemplate((_n, env) => (env === 'HA_BEARER' ? '${HA_BEARER}' : `\${${env}}`))));
    await writeFile(join(dir, 'env'), `# written by picoclaw-secrets\n${Object.entries(values).map(([k, v]) => `${k}="${v}"`).join('\n')}\n`);
    const result = await renderConfig({ template: join(dir, 'template.json'), envFile: join(dir, 'env'), env: {}, ...paths() });
    expect(result.written).toBe(true);
    expect(result.references.env.sort()).toEqual(Object.keys(values).sort());
    const json = await readFile(join(dir, 'config.json'), 'utf8');
    for (const secret of Object.values(values)) expect(json).not.toContain(secret);
    expect((await stat(join(dir, 'config.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, '.security.yml'))).mode & 0o777).toBe(0o600);
    const { config } = await loadConfig({ ...paths(), env: {} });
    expect(config.model_list.map((m) => m.api_keys[0])).toEqual(['mk-1', 'or-2', 'gsk-3', 'AIza-4', 'zen-5']);
    expect(config.channel_list.telegram!.settings).toMatchObject({ token: '123:tg-6' });
    expect(config.tools.mcp.servers.homeassistant!.headers.Authorization).toBe('Bearer ha-7');
  });

  it('resolves op:// references with the 1Password CLI', async () => {
    const op = await fakeOp(`[ "$1" = read ] && [ "$2" = --no-newline ] || exit 9
case "$3" in
  "op://Homelab/PicoClaw - Mistral AI Token/credential") printf 'mk-from-op';;
  "op://Homelab/Home Assistant - PicoClaw Token/credential") printf 'Bearer ha-from-op';;
  op://Homelab/*) printf 'other-secret';;
  *) echo "[ERROR] not found" >&2; exit 1;;
esac`);
    await writeFile(join(dir, 'template.json'), JSON.stringify(homelabTemplate((name) => `op://Homelab/${name}/credential`)));
    // Found on PATH, as the real CLI would be.
    const result = await renderConfig({ template: join(dir, 'template.json'), env: { PICO_TOKEN: 'pico-x', PATH: `${join(op, '..')}:${process.env.PATH}` }, ...paths() });
    expect(result.references.op).toBe(7);
    const { config } = await loadConfig({ ...paths(), env: {} });
    expect(config.model_list[0]!.api_keys).toEqual(['mk-from-op']);
    expect(config.tools.mcp.servers.homeassistant!.headers.Authorization).toBe('Bearer ha-from-op');
    expect(await readFile(join(dir, 'config.json'), 'utf8')).not.toMatch(/from-op|other-secret/);
  });

  it('explains a missing or signed-out 1Password CLI, and writes nothing', async () => {
    await writeFile(join(dir, 'template.json'), JSON.stringify({ model_list: [{ model_name: 'm', model: 'groq/x', api_keys: ['op://Homelab/Groq/credential'] }] }));
    await expect(renderConfig({ template: join(dir, 'template.json'), op: join(dir, 'no-such-op'), env: {}, ...paths() })).rejects.toThrow(/1Password CLI .* is not installed or not on PATH/);
    const op = await fakeOp('echo "[ERROR] 2026/11/24 account is not signed in" >&2; exit 1');
    await expect(renderConfig({ template: join(dir, 'template.json'), op, env: {}, ...paths() })).rejects.toThrow(/could not read op:\/\/Homelab\/Groq\/credential: .*not signed in.*op signin/);
    await expect(readFile(join(dir, 'config.json'))).rejects.toThrow();
  });

  it('names a variable that the env file lacks', async () => {
    await writeFile(join(dir, 'template.json'), JSON.stringify({ model_list: [{ model_name: 'm', model: 'groq/x', api_keys: ['${GROQ_API_KEY}'] }] }));
    await writeFile(join(dir, 'env'), 'OTHER=1\n');
    await expect(renderConfig({ template: join(dir, 'template.json'), envFile: join(dir, 'env'), env: {}, ...paths() })).rejects.toThrow(/model_list\.0\.api_keys\.0: \$\{GROQ_API_KEY\} is not set in .*env nor in the environment/);
  });

  it('--dry-run lists what would change without writing or showing secrets', async () => {
    await writeFile(join(dir, 'template.json'), JSON.stringify({ agents: { defaults: { model_name: 'm' } }, model_list: [{ model_name: 'm', model: 'groq/x', api_keys: ['${K}'] }] }));
    const first = await renderConfig({ template: join(dir, 'template.json'), env: { K: 'secret-one' }, ...paths() });
    expect(first.written).toBe(true);
    const dry = await renderConfig({ template: join(dir, 'template.json'), env: { K: 'secret-two' }, dryRun: true, ...paths() });
    expect(dry).toMatchObject({ written: false, changes: ['model_list (secret changed)'] });
    expect(JSON.stringify(dry)).not.toMatch(/secret-one|secret-two/);
    const { config } = await loadConfig({ ...paths(), env: {} });
    expect(config.model_list[0]!.api_keys).toEqual(['secret-one']);
  });

  it('refuses a rendered config that is invalid, keeping the old files', async () => {
    await writeFile(join(dir, 'template.json'), JSON.stringify({ gateway: { port: '${PORT}' } }));
    await expect(renderConfig({ template: join(dir, 'template.json'), env: { PORT: 'x' }, ...paths() })).rejects.toThrow(/rendered config is invalid/);
    await expect(readFile(join(dir, 'config.json'))).rejects.toThrow();
  });
});
