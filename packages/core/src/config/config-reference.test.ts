import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { configReference } from './config-reference.js';

describe('docs/config-reference.md', () => {
  it('matches the schema (regenerate with `pnpm docs:config`)', async () => {
    const committed = await readFile(new URL('../../../../docs/config-reference.md', import.meta.url), 'utf8');
    expect(committed).toBe(configReference());
  });

  it('lists the MQTT guide keys with their defaults and variables', () => {
    const text = configReference();
    expect(text).toContain('| `channel_list.<mqtt>.settings.topic_prefix` | string | `"/picoclaw"` |');
    expect(text).toContain('| `PICOCLAW_CHANNELS_MQTT_KEEP_ALIVE` | `settings.keep_alive` |');
    expect(text).toMatch(/\| `model_list\[\]\.api_keys` 🔒 \|/);
  });
});
