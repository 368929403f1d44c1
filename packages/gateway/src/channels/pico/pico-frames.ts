/**
 * The pico WebSocket frame protocol (reference gateway-and-channels.md §4.3): JSON text frames
 * `{ type, id?, session_id?, timestamp?, payload? }` both ways.
 */

export interface PicoFrame {
  type: string;
  id?: string;
  session_id?: string;
  timestamp?: number;
  payload?: Record<string, unknown>;
}

export type PicoErrorCode = 'invalid_message' | 'unknown_type' | 'empty_content' | 'invalid_media' | 'transcription_failed' | 'message_too_large' | 'invalid_session' | 'rate_limited';

export const SESSION_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Parses one client frame; returns an error code and message instead of throwing. */
export function parseClientFrame(text: string): { ok: true; frame: PicoFrame } | { ok: false; code: PicoErrorCode; message: string; id?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: 'invalid_message', message: 'failed to parse message: not JSON' };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { ok: false, code: 'invalid_message', message: 'a frame must be a JSON object' };
  const frame = value as Record<string, unknown>;
  const id = typeof frame.id === 'string' ? frame.id.slice(0, 128) : undefined;
  if (typeof frame.type !== 'string') return { ok: false, code: 'invalid_message', message: 'a frame needs a string "type"', ...(id ? { id } : {}) };
  if (frame.session_id !== undefined && (typeof frame.session_id !== 'string' || !SESSION_ID.test(frame.session_id))) {
    return { ok: false, code: 'invalid_session', message: 'session_id must be 1-128 letters, digits or _ . : -', ...(id ? { id } : {}) };
  }
  if (frame.payload !== undefined && (typeof frame.payload !== 'object' || frame.payload === null || Array.isArray(frame.payload))) {
    return { ok: false, code: 'invalid_message', message: '"payload" must be an object', ...(id ? { id } : {}) };
  }
  return {
    ok: true,
    frame: {
      type: frame.type,
      ...(id ? { id } : {}),
      ...(typeof frame.session_id === 'string' ? { session_id: frame.session_id } : {}),
      ...(frame.payload ? { payload: frame.payload as Record<string, unknown> } : {}),
    },
  };
}
