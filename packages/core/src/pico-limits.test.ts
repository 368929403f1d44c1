import { describe, expect, it } from 'vitest';
import { configSchema } from './config/schema.js';
import { DEFAULT_MAX_MEDIA_SIZE, picoFrameLimits, picoFrameLimitsOf } from './pico-limits.js';

describe('pico frame limits', () => {
  it('text frames keep max_frame_bytes; a frame with images gets the base64 size of max_media_size on top, no more', () => {
    expect(picoFrameLimits(256 * 1024, undefined)).toEqual({ text: 262_144, frame: 262_144, payload: 1_048_576 });
    const limits = picoFrameLimits(256 * 1024, DEFAULT_MAX_MEDIA_SIZE);
    const base64 = Math.ceil(DEFAULT_MAX_MEDIA_SIZE / 3) * 4;
    expect(limits.frame - limits.text).toBeGreaterThanOrEqual(base64);
    expect(limits.frame - limits.text).toBeLessThan(base64 + 64 * 1024);
    expect(limits.payload - limits.frame).toBe(1_048_576 - 262_144);
  });

  it('reads the pico channel and agents.defaults.max_media_size of a config; defaults without them', () => {
    const config = configSchema.parse({ agents: { defaults: { max_media_size: 3 * 1024 * 1024 } }, channel_list: { web: { type: 'pico', enabled: true, settings: { token: 't', max_frame_bytes: 4096 } } } });
    expect(picoFrameLimitsOf(config)).toEqual(picoFrameLimits(4096, 3 * 1024 * 1024));
    expect(picoFrameLimitsOf(undefined)).toEqual(picoFrameLimits(256 * 1024, DEFAULT_MAX_MEDIA_SIZE));
  });
});
