/**
 * How large a pico chat frame may be. Text alone stays within the pico channel's
 * `max_frame_bytes` (256 KiB); a frame with images may add what the images of one message need
 * as base64 (4 bytes per 3, `agents.defaults.max_media_size` in total, 20 MiB by default), and
 * nothing more. The gateway's pico channel and the launcher's chat proxy both apply these
 * numbers, so a message with a photo is not cut off by the proxy before the gateway can answer.
 */
import type { Config } from './config/schema.js';

/** PicoClaw's default for `agents.defaults.max_media_size`: 20 MiB. */
export const DEFAULT_MAX_MEDIA_SIZE = 20 * 1024 * 1024;
/** Room for the `data:image/…;base64,` prefixes and the JSON around the images of one message. */
const MEDIA_SLACK = 16 * 1024;

export interface PicoFrameLimits {
  /** Largest frame without images, and the most text any frame may carry. */
  text: number;
  /** Largest frame with images. */
  frame: number;
  /**
   * The WebSocket library's own ceiling: frames up to it are read and answered with an error
   * frame; past it the socket is closed (1009). Memory held per connection is bounded by it.
   */
  payload: number;
}

/** `maxMediaBytes` undefined: no images are taken (frames keep the text limits). */
export function picoFrameLimits(maxFrameBytes: number, maxMediaBytes: number | undefined): PicoFrameLimits {
  const media = maxMediaBytes === undefined ? 0 : Math.ceil(maxMediaBytes / 3) * 4 + MEDIA_SLACK;
  return { text: maxFrameBytes, frame: maxFrameBytes + media, payload: Math.max(maxFrameBytes * 4, 1024 * 1024) + media };
}

/** The limits for a config: its pico channel's `max_frame_bytes` (default 256 KiB) and `max_media_size`. */
export function picoFrameLimitsOf(config: Config | undefined): PicoFrameLimits {
  const pico = Object.values(config?.channel_list ?? {}).find((c) => c.type === 'pico');
  const frame = pico?.type === 'pico' ? pico.settings.max_frame_bytes : 256 * 1024;
  return picoFrameLimits(frame, config?.agents.defaults.max_media_size ?? DEFAULT_MAX_MEDIA_SIZE);
}
