/**
 * Images in a pico `message.send`: PicoClaw's `payload.media` (a data URL, a list of them, or a
 * list of `{url|data_url}` objects) and `payload.attachments` (`[{type:'image', url|data_url}]`;
 * entries of another type, or not inline, are skipped as PicoClaw skips them). Only inline
 * `data:image/…;base64,` URLs are taken: the gateway never fetches a URL a browser names.
 *
 * The shape of the whole payload is checked before any image is stored, so a list with one bad
 * entry stores none. The store (ImageStore.saveDataUrl) then checks each image itself: type,
 * base64, size (`agents.defaults.max_media_size`) and the bytes' own signature. Every refusal is
 * a sentence prefixed with the entry (`media[1]: …`), sent back as an `invalid_media` frame.
 *
 * Files (our addition: PicoClaw skips every attachment that is not an image) come as
 * `attachments` entries `{type:'file', url|data_url:'data:<mime>;base64,…', filename}` and land in
 * the workspace inbox (MediaInbox: safe names, 0600, `agents.defaults.max_media_size` each), as
 * a Telegram document does. Every file of a message is decoded and checked before anything of
 * the message is stored.
 *
 * A recording (the dashboard's microphone) is one `{type:'audio', url|data_url:'data:audio/…;base64,…',
 * duration?}` attachment, transcribed as a Telegram voice note is (media/hear-audio.ts): its text
 * becomes the message's, after what was typed.
 */
import { isPicoError } from '@picoclaw/core';
import { audioRefusal, hearAudio } from '../../media/hear-audio.js';
import type { ImageStore } from '../../media/image-store.js';
import type { MediaInbox } from '../../media/media-inbox.js';
import type { Transcriber } from '../../media/transcriber.js';

/** A file stored in the inbox, for the text that announces it (media/received-file.ts). */
export interface StoredFile {
  path: string;
  bytes: number;
  mime: string;
}

export type MediaResult = { ok: true; images: string[]; files: StoredFile[] } | { ok: false; message: string };

/** The data URL of one `media` entry or attachment object, or the reason there is none. */
function inlineValue(item: unknown, kind = 'image'): { value: string } | { error: string } {
  if (typeof item === 'string') return item.trim() ? { value: item.trim() } : { error: `${kind} payload is empty` };
  if (item && typeof item === 'object' && !Array.isArray(item)) {
    for (const key of ['url', 'data_url']) {
      const raw = (item as Record<string, unknown>)[key];
      if (typeof raw === 'string' && raw.trim()) return { value: raw.trim() };
    }
    return { error: `${kind} payload must include url or data_url` };
  }
  return { error: `${kind} payload must be a string or object` };
}

/** Checked before storing: what can be told without decoding. The store repeats and completes it. */
function inlineImageProblem(url: string): string | undefined {
  if (!url) return 'image payload is empty';
  if (!url.startsWith('data:image/')) return 'only inline image data URLs are supported';
  return undefined;
}

/** One inline image of a payload, and where it was (`media[1]: `) for the store's refusals. */
export interface InlineImage {
  url: string;
  where: string;
}

/** One inline file of a payload: its name as sent, its data URL, and where it was (`attachments[2]: `). */
export interface InlineFile {
  name: string;
  url: string;
  where: string;
}

/** A `type:'file'` attachment, checked as far as it can be without decoding. */
function inlineFile(item: Record<string, unknown>): { file: Omit<InlineFile, 'where'> } | { error: string } {
  const value = inlineValue(item, 'file');
  if ('error' in value) return value;
  if (!value.value.startsWith('data:')) return { error: 'only inline file data URLs are supported' };
  const name = item.filename;
  if (typeof name !== 'string' || !name.trim()) return { error: 'file attachment must include filename' };
  return { file: { name: name.trim(), url: value.value } };
}

/** The recording of a payload: its data URL, the length the client measured (if it said), and where it was. */
export interface InlineAudio {
  url: string;
  seconds?: number;
  where: string;
}

/** What the transcription APIs read, by the recording's type: the upload's file name tells them the format. */
const AUDIO_FILES: Record<string, string> = {
  'audio/webm': 'voice.webm',
  'audio/ogg': 'voice.ogg',
  'audio/opus': 'voice.ogg',
  'audio/mp4': 'voice.m4a',
  'audio/x-m4a': 'voice.m4a',
  'audio/mpeg': 'voice.mp3',
  'audio/wav': 'voice.wav',
  'audio/x-wav': 'voice.wav',
};

/** A `type:'audio'` attachment, checked as far as it can be without decoding. */
function inlineAudio(item: Record<string, unknown>): { audio: Omit<InlineAudio, 'where'> } | { error: string } {
  const value = inlineValue(item, 'audio');
  if ('error' in value) return value;
  if (!value.value.startsWith('data:audio/')) return { error: 'only inline audio data URLs are supported' };
  const declared = /^data:([^;,]*)/.exec(value.value)![1]!.toLowerCase();
  if (!AUDIO_FILES[declared]) return { error: `unsupported audio format: ${declared.slice(0, 64)} (send WebM, OGG, MP3, M4A or WAV)` };
  const seconds = item.duration;
  if (seconds !== undefined && (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0)) return { error: 'audio duration must be a number of seconds' };
  return { audio: { url: value.value, ...(seconds !== undefined ? { seconds } : {}) } };
}

export type Collected = { ok: true; images: InlineImage[]; files: InlineFile[]; audio?: InlineAudio } | { ok: false; message: string };

/** The inline images (`media` then `attachments`) and files of a payload, in order, or the first problem. */
export function collectMedia(payload: Record<string, unknown>): Collected {
  const found: InlineImage[] = [];
  const files: InlineFile[] = [];
  let audio: InlineAudio | undefined;
  const { media, attachments } = payload;
  if (typeof media === 'string') {
    const problem = inlineImageProblem(media.trim());
    if (problem) return { ok: false, message: problem };
    found.push({ url: media.trim(), where: '' });
  } else if (Array.isArray(media)) {
    for (const [i, item] of media.entries()) {
      const value = inlineValue(item);
      const problem = 'error' in value ? value.error : inlineImageProblem(value.value);
      if (problem || 'error' in value) return { ok: false, message: `media[${i}]: ${problem}` };
      found.push({ url: value.value, where: `media[${i}]: ` });
    }
  } else if (media !== undefined && media !== null) return { ok: false, message: 'media must be a string or array of strings' };

  if (attachments !== undefined && attachments !== null) {
    if (!Array.isArray(attachments)) return { ok: false, message: 'attachments must be an array' };
    for (const [i, item] of attachments.entries()) {
      if (!item || typeof item !== 'object' || Array.isArray(item)) return { ok: false, message: `attachments[${i}]: attachment must be an object` };
      const declared = (item as { type?: unknown }).type;
      const type = typeof declared === 'string' ? declared.trim().toLowerCase() : '';
      if (type === 'file') {
        const file = inlineFile(item as Record<string, unknown>);
        if ('error' in file) return { ok: false, message: `attachments[${i}]: ${file.error}` };
        files.push({ ...file.file, where: `attachments[${i}]: ` });
        continue;
      }
      if (type === 'audio') {
        if (audio) return { ok: false, message: `attachments[${i}]: only one audio attachment per message` };
        const found = inlineAudio(item as Record<string, unknown>);
        if ('error' in found) return { ok: false, message: `attachments[${i}]: ${found.error}` };
        audio = { ...found.audio, where: `attachments[${i}]: ` };
        continue;
      }
      if (type !== '' && type !== 'image') continue;
      const value = inlineValue(item);
      if ('error' in value) {
        if (type === 'image') return { ok: false, message: `attachments[${i}]: ${value.error}` };
        continue;
      }
      if (!value.value.startsWith('data:')) continue;
      const problem = inlineImageProblem(value.value);
      if (problem) return { ok: false, message: `attachments[${i}]: ${problem}` };
      found.push({ url: value.value, where: `attachments[${i}]: ` });
    }
  }
  return { ok: true, images: found, files, ...(audio ? { audio } : {}) };
}

/** The bytes a base64 payload of this length decodes to, at most (padding not subtracted). */
const decodedSize = (payload: string) => Math.floor((payload.length * 3) / 4) - (payload.endsWith('==') ? 2 : payload.endsWith('=') ? 1 : 0);

/**
 * A file's (or a recording's) bytes and type from its data URL, or the sentence why not; the size
 * is checked before decoding.
 */
export function decodeFileUrl(url: string, maxBytes: number, kind: 'file' | 'audio' = 'file', setting = 'agents.defaults.max_media_size'): { bytes: Buffer; mime: string } | { error: string } {
  const match = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(url);
  if (!match) return { error: `${kind} data URL is malformed` };
  const [, declared, params, payload] = match as unknown as [string, string, string, string];
  if (!params.split(';').includes('base64')) return { error: `${kind} data URL must be base64 encoded` };
  // A 1 GB string is refused without allocating its bytes.
  if (decodedSize(payload) > maxBytes + 1) return { error: `${kind} exceeds ${maxBytes} byte limit (${setting})` };
  const clean = payload.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) return { error: `invalid base64 ${kind} data` };
  const bytes = Buffer.from(clean, 'base64');
  if (!bytes.length) return { error: `${kind} is empty` };
  if (bytes.length > maxBytes) return { error: `${kind} exceeds ${maxBytes} byte limit (${setting})` };
  return { bytes, mime: declared.trim().toLowerCase() || 'application/octet-stream' };
}

export type Heard = { ok: true; text: string; echo?: string } | { ok: false; code: 'invalid_media' | 'transcription_failed'; message: string };

/**
 * The recording of a message decoded and checked (`invalid_media`: no transcription model, over
 * voice.max_duration_seconds or voice.max_bytes, a bad data URL), before anything of the message
 * is stored; `transcribe` then gives the turn's text (`caption` first) or why not.
 */
export function checkAudio(audio: InlineAudio, transcriber: Transcriber | undefined): { ok: true; transcribe(caption: string, signal?: AbortSignal): Promise<Heard> } | { ok: false; message: string } {
  const payload = audio.url.slice(audio.url.indexOf(',') + 1);
  const refusal = audioRefusal(transcriber, 'recording', { seconds: audio.seconds, bytes: decodedSize(payload) });
  if (refusal) return { ok: false, message: `${audio.where}${refusal.reply}` };
  const decoded = decodeFileUrl(audio.url, transcriber!.limits().maxBytes, 'audio', 'voice.max_bytes');
  if ('error' in decoded) return { ok: false, message: `${audio.where}${decoded.error}` };
  return {
    ok: true,
    async transcribe(caption, signal) {
      try {
        const heard = await hearAudio(transcriber!, decoded.bytes, { kind: 'recording', filename: AUDIO_FILES[decoded.mime] ?? 'voice.webm', mimeType: decoded.mime, caption, ...(signal ? { signal } : {}) });
        if ('reply' in heard) return { ok: false, code: 'transcription_failed', message: heard.reply };
        return { ok: true, text: heard.text, ...(heard.echo ? { echo: heard.echo } : {}) };
      } catch (error) {
        return { ok: false, code: 'transcription_failed', message: `I could not transcribe that recording: ${error instanceof Error ? error.message : String(error)}` };
      }
    },
  };
}

/**
 * Stores what `collectMedia` found: every file is decoded and checked first, then the images are
 * stored, then the files; resolves with the workspace paths. A refusal is a result; other errors
 * (a full disk) reject.
 */
export async function storeMedia(found: { images: InlineImage[]; files: InlineFile[] }, deps: { images?: ImageStore | undefined; inbox?: MediaInbox | undefined }): Promise<MediaResult> {
  const { images, inbox } = deps;
  const decoded: { name: string; bytes: Buffer; mime: string }[] = [];
  if (found.files.length) {
    if (!inbox) return { ok: false, message: 'files are not available on this gateway' };
    for (const { name, url, where } of found.files) {
      const file = decodeFileUrl(url, inbox.maxBytes());
      if ('error' in file) return { ok: false, message: `${where}${file.error}` };
      decoded.push({ name, ...file });
    }
  }
  const paths: string[] = [];
  if (found.images.length && !images) return { ok: false, message: 'images are not available on this gateway' };
  for (const { url, where } of found.images) {
    try {
      paths.push((await images!.saveDataUrl(url)).path);
    } catch (error) {
      if (isPicoError(error, 'invalid_input')) return { ok: false, message: `${where}${error.message}` };
      throw error;
    }
  }
  const files: StoredFile[] = [];
  for (const { name, bytes, mime } of decoded) files.push({ path: (await inbox!.save(name, bytes)).path, bytes: bytes.length, mime });
  return { ok: true, images: paths, files };
}
