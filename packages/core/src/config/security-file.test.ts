import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'picoclaw-security-file-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const config = (keys: string[]) => JSON.stringify({ model_list: [{ model_name: 'm', model: 'mistral/mistral-small-latest', api_keys: keys }], agents: { defaults: { model_name: 'm' } } });

describe('.security.yml over config.json', () => {
  it('warns, without the values, when a stale .security.yml overrides a key config.json sets differently (a rotated key)', async () => {
    await writeFile(join(home, 'config.json'), config(['mk-rotated-new']));
    await writeFile(join(home, '.security.yml'), 'model_list:\n  m:\n    api_keys: ["mk-stale-old"]\n');
    const loaded = await loadConfig({ configPath: join(home, 'config.json'), home, env: {} });
    expect(loaded.config.model_list[0]!.api_keys).toEqual(['mk-stale-old']); // the documented precedence is unchanged
    const warning = loaded.warnings.find((w) => w.includes('overrides a different value'));
    expect(warning).toMatch(/\.security\.yml model_list\.m\.api_keys overrides a different value that config\.json sets at model_list\.0\.api_keys/);
    expect(loaded.warnings.join('\n')).not.toMatch(/mk-rotated-new|mk-stale-old/);
  });

  it('says nothing where config.json holds the placeholder, nothing, or the same value', async () => {
    for (const keys of [['[NOT_HERE]'], [], ['mk-same']]) {
      await writeFile(join(home, 'config.json'), config(keys));
      await writeFile(join(home, '.security.yml'), 'model_list:\n  m:\n    api_keys: ["mk-same"]\n');
      const loaded = await loadConfig({ configPath: join(home, 'config.json'), home, env: {} });
      expect(loaded.warnings.filter((w) => w.includes('overrides a different value'))).toEqual([]);
    }
  });
});
