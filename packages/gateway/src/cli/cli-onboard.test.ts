import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { loadConfig } from '@picoclaw/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checks, modelNameOf, onboardCommand } from './cli-onboard.js';
import { createStyle } from './cli-style.js';

let home: string;
let out: string[];
let err: string[];

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'picoclaw-onboard-'));
  out = [];
  err = [];
});
afterEach(() => rm(home, { recursive: true, force: true }));

const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  onboardCommand(args, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: { PICOCLAW_HOME: home, ...env },
    style: createStyle(false),
    progress: { write: () => true },
    input: new PassThrough(),
    output: new PassThrough(),
  });

const HA_TOKEN = 'ha-long-lived-token-abc';
const TG_TOKEN = '123456789:AAFakeTokenForTheTestsOnly_xyz';
const KEY = 'mistral-secret-key-0123456789';

describe('picoclaw onboard (non-interactive)', () => {
  it('writes config.json, .security.yml (0600) and workspace/, with every secret out of config.json', async () => {
    const code = await run(['--mistral-key', KEY, '--telegram-token', TG_TOKEN, '--telegram-allow', '123456789, 987654321', '--ha-url', 'http://ha.local:8123/'], { HA_TOKEN });
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const config = await readFile(join(home, 'config.json'), 'utf8');
    const security = await readFile(join(home, '.security.yml'), 'utf8');
    for (const secret of [KEY, TG_TOKEN, HA_TOKEN]) {
      expect(config).not.toContain(secret);
      expect(security).toContain(secret);
    }
    expect(out.join('\n')).not.toMatch(new RegExp(`${KEY}|${HA_TOKEN}`));
    expect((await stat(join(home, '.security.yml'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, 'workspace'))).isDirectory()).toBe(true);

    const loaded = await loadConfig({ env: { PICOCLAW_HOME: home } });
    expect(loaded.config.agents.defaults.model_name).toBe('mistral-small');
    expect(loaded.config.model_list[0]).toMatchObject({ model: 'mistral/mistral-small-latest', api_keys: [KEY] });
    expect(loaded.config.channel_list.telegram).toMatchObject({ enabled: true, allow_from: ['123456789', '987654321'], settings: { token: TG_TOKEN } });
    expect(loaded.config.tools.mcp).toMatchObject({ enabled: true, servers: { homeassistant: { url: 'http://ha.local:8123/api/mcp', headers: { Authorization: `Bearer ${HA_TOKEN}` } } } });
  });

  it('only the Mistral key is needed; it can come from the environment', async () => {
    expect(await run([], { MISTRAL_API_KEY: KEY })).toBe(0);
    const loaded = await loadConfig({ env: { PICOCLAW_HOME: home } });
    expect(loaded.config.channel_list.telegram).toBeUndefined();
    expect(loaded.config.tools.mcp.enabled).toBe(false);
  });

  it('refuses to overwrite without --force and changes nothing; --force keeps backups', async () => {
    await writeFile(join(home, 'config.json'), '{"version": 3}\n');
    expect(await run(['--mistral-key', KEY])).toBe(1);
    expect(err.join('\n')).toMatch(/already exists.*--force/s);
    expect(await readFile(join(home, 'config.json'), 'utf8')).toBe('{"version": 3}\n');

    expect(await run(['--mistral-key', KEY, '--force'])).toBe(0);
    const files = await readdir(home);
    expect(files.some((f) => /^config\.json\.\d{8}\.bak$/.test(f))).toBe(true);
    expect((await loadConfig({ env: { PICOCLAW_HOME: home } })).config.model_list).toHaveLength(1);
  });

  it('bad or missing input: exit 2 with the reason, nothing written', async () => {
    const cases: [string[], RegExp][] = [
      [[], /--mistral-key \(or MISTRAL_API_KEY\) is required/],
      [['--mistral-key', KEY, '--telegram-token', 'nope'], /looks like 123456789:AAF/],
      [['--mistral-key', KEY, '--ha-url', 'http://ha.local:8123'], /--ha-url needs --ha-token/],
      [['--mistral-key', KEY, '--ha-url', 'http://ha.local:8123/mcp', '--ha-token', 't'], /\/api\/mcp, not \/mcp/],
      [['--mistral-key', KEY, '--model', 'groq/llama'], /must be a Mistral model/],
      [['--mistral-key', KEY, '--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      err = [];
      expect(await run(args), args.join(' ')).toBe(2);
      expect(err.join('\n')).toMatch(message);
    }
    expect(await readdir(home)).toEqual([]);
  });
});

describe('checks', () => {
  it('normalise what people paste', () => {
    expect(checks.haUrl('https://ha.example.org')).toBe('https://ha.example.org/api/mcp');
    expect(checks.haUrl('http://10.0.0.2:8123/api/mcp/')).toBe('http://10.0.0.2:8123/api/mcp');
    expect(() => checks.haUrl('ha.local:8123')).toThrow(/http:\/\/ or https:\/\//);
    expect(() => checks.haUrl('not a url')).toThrow(/is not a URL/);
    expect(checks.haToken('Bearer abc')).toBe('abc');
    expect(checks.telegramAllow('1, 2 @someone')).toEqual(['1', '2', '@someone']);
    expect(() => checks.telegramAllow('1;2')).toThrow(/not a Telegram user id/);
    expect(modelNameOf('mistral/mistral-large-latest')).toBe('mistral-large');
    expect(modelNameOf('mistral/open-mistral-nemo')).toBe('open-mistral-nemo');
  });
});
