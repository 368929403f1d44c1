import { describe, expect, it } from 'vitest';
import { runtimeEnv, runtimeNodeFlags } from './node-flags.js';

describe('runtimeNodeFlags', () => {
  it('small young generation, 128 MB heap unless PICOCLAW_MAX_HEAP_MB says otherwise (not below 64), no Sparkplug', () => {
    expect(runtimeNodeFlags({})).toEqual(['--max-semi-space-size=1', '--max-old-space-size=128', '--no-sparkplug']);
    expect(runtimeNodeFlags({ PICOCLAW_MAX_HEAP_MB: '512' })).toContain('--max-old-space-size=512');
    expect(runtimeNodeFlags({ PICOCLAW_MAX_HEAP_MB: '16' })).toContain('--max-old-space-size=128');
    expect(runtimeNodeFlags({ PICOCLAW_MAX_HEAP_MB: 'lots' })).toContain('--max-old-space-size=128');
  });
});

describe('runtimeEnv', () => {
  it('two malloc arenas unless the user chose a number', () => {
    expect(runtimeEnv({})).toEqual({ MALLOC_ARENA_MAX: '2' });
    expect(runtimeEnv({ MALLOC_ARENA_MAX: '8' })).toEqual({ MALLOC_ARENA_MAX: '8' });
  });
});
