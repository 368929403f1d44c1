/**
 * Speech a user sent (a Telegram voice note or audio file, a recording from the dashboard chat)
 * turned into the text of a turn, the same way whichever chat it came from: the transcription
 * model must be set (`voice.model_name`), the recording must be within `voice.max_duration_seconds`
 * and `voice.max_bytes` (checked before anything is downloaded or decoded), a transcript without
 * words is not a message, and with `voice.echo_transcription` the user is shown what was heard.
 * Every refusal is one sentence for the user that names the setting to change.
 */
import { megabytes } from './received-file.js';
import type { Transcriber } from './transcriber.js';

/** What the user is told when no transcription model is configured. */
export const NO_TRANSCRIBER =
  'Voice notes need a transcription model: set voice.model_name in config.json. For Groq\'s Whisper, add a model_list ' +
  'entry such as { "model_name": "whisper", "model": "groq/whisper-large-v3-turbo" } (its Groq key in .security.yml) and ' +
  'set "voice": { "model_name": "whisper" }. See docs/voice-and-images.md.';

/** What the recording is called in the sentences: `That voice note is 3 min long…`. */
export type AudioKind = 'voice note' | 'audio file' | 'recording';

const minutes = (s: number) => (s >= 60 ? `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}` : `${s} s`);

/**
 * Why this audio will not be transcribed, before it is fetched or decoded: no transcription
 * model (`unavailable`), or over a limit the sender's own figures show (either may be unknown).
 */
export function audioRefusal(
  transcriber: Transcriber | undefined,
  kind: AudioKind,
  audio: { seconds?: number | undefined; bytes?: number | undefined },
): { reply: string; unavailable?: true } | undefined {
  if (!transcriber?.available()) return { reply: NO_TRANSCRIBER, unavailable: true };
  const limits = transcriber.limits();
  if ((audio.seconds ?? 0) > limits.maxDurationSeconds) {
    return { reply: `That ${kind} is ${minutes(Math.ceil(audio.seconds!))} long; I transcribe up to ${minutes(limits.maxDurationSeconds)} (voice.max_duration_seconds).` };
  }
  if ((audio.bytes ?? 0) > limits.maxBytes) {
    return { reply: `That ${kind} is ${megabytes(audio.bytes!)}; I transcribe up to ${megabytes(limits.maxBytes)} (voice.max_bytes).` };
  }
  return undefined;
}

/**
 * Transcribes `bytes` (after `audioRefusal` said nothing): the turn's text (`caption` first) and,
 * with `voice.echo_transcription`, the line to show the user first; or, when no words were
 * heard, the reply to send instead. A failing provider rejects (a PicoError fit for the user).
 */
export async function hearAudio(
  transcriber: Transcriber,
  bytes: Uint8Array,
  options: { kind: AudioKind; filename: string; mimeType: string; caption: string; signal?: AbortSignal },
): Promise<{ text: string; echo?: string; model: string } | { reply: string }> {
  const heard = await transcriber.transcribe(bytes, { filename: options.filename, mimeType: options.mimeType, ...(options.signal ? { signal: options.signal } : {}) });
  if (!heard.text) return { reply: `I could not make out any words in that ${options.kind}.` };
  const text = options.caption ? `${options.caption}\n\n${heard.text}` : heard.text;
  return { text, model: heard.model, ...(transcriber.limits().echo ? { echo: `🎙 heard: ${heard.text}` } : {}) };
}
