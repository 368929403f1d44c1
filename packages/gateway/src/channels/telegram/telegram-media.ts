/**
 * What Telegram users send besides text, turned into what the agent is given: voice notes and
 * audio files (transcribed by deps.transcriber), documents (stored in media/inbox by deps.inbox
 * and announced by their path), photos and image documents (stored in media/images by
 * deps.images and attached to the turn). Stickers, videos and GIFs get a short reply.
 *
 * Every size Telegram announces is checked before anything is downloaded, and a download is cut
 * off at the limit whatever was announced. Each handler resolves with what to submit, or
 * undefined once the user has been told why not (in one sentence, never naming the bot token,
 * which is in Telegram's file URLs).
 */
import { httpRequest } from '@picoclaw/core';
import type { Telegram } from 'telegraf';
import { audioRefusal, hearAudio } from '../../media/hear-audio.js';
import { megabytes, receivedFileLine, withReceivedFiles } from '../../media/received-file.js';
import type { ChannelDeps } from '../channel.js';
import { TELEGRAM_LIMIT } from './telegram-format.js';

/** A voice note or audio file as the Bot API describes it (size and length known before download). */
export interface TelegramAudio {
  file_id: string;
  duration: number;
  mime_type?: string;
  file_size?: number;
  file_name?: string;
}

/** A file sent as a document (its size is known before download). */
export interface TelegramDocument {
  file_id: string;
  file_name?: string;
  mime_type?: string;
  file_size?: number;
}

/** One of the sizes Telegram keeps of a photo (smallest first, as the Bot API lists them). */
export interface TelegramPhotoSize {
  file_id: string;
  width: number;
  height: number;
  file_size?: number;
}

/** What a message becomes for the agent. */
export interface Said {
  text: string;
  images?: string[];
  /** Files stored in media/inbox (their lines are in `text`), kept with the message for the dashboard. */
  files?: string[];
  /** The text is a transcribed voice note or audio file. */
  voice?: boolean;
}

/** The most the Bot API lets a bot download (getFile): 20 MB. */
export const TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024;

/** Image types a vision model reads (what the image store accepts): such a document is an image, not a file. */
const IMAGE_DOCUMENT = /^image\/(jpeg|jpg|png|gif|webp)$/i;
export const isImageDocument = (document: TelegramDocument) => IMAGE_DOCUMENT.test(document.mime_type ?? '');

const describeError = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The photo size to fetch: the largest (by pixels) Telegram says fits `limit`; a size without a
 * file_size is taken as fitting (the download is capped anyway). `tooLarge` when none fits: the
 * smallest size's bytes, for the reply.
 */
export function pickPhotoSize(sizes: TelegramPhotoSize[], limit: number): { size: TelegramPhotoSize } | { tooLarge: number } | undefined {
  if (!sizes.length) return undefined;
  const bySize = [...sizes].sort((a, b) => a.width * a.height - b.width * b.height || (a.file_size ?? 0) - (b.file_size ?? 0));
  const fits = bySize.filter((s) => (s.file_size ?? 0) <= limit);
  return fits.length ? { size: fits.at(-1)! } : { tooLarge: bySize[0]!.file_size ?? 0 };
}

/** What is not supported, with the noun the reply uses (a message that carries `animation` carries a `document` too). */
export const UNSUPPORTED = { sticker: 'stickers', animation: 'GIFs', video: 'videos', video_note: 'video messages' } as const;

export interface TelegramMediaOptions {
  apiRoot: string;
  token: string;
  deps: Pick<ChannelDeps, 'transcriber' | 'inbox' | 'images'>;
  /** The client (created before the first update is handled). */
  telegram: () => Telegram;
  /** The channel's API call with its retry policy. */
  call: <T>(fn: () => Promise<T>, what: string) => Promise<T>;
  /** The channel's stop: aborts downloads and transcriptions, and a failure then gets no reply. */
  signal: AbortSignal;
  typing: boolean;
  log: (level: 'debug' | 'info' | 'warn', message: string) => void;
  /** Counts a message sent. */
  sent: () => void;
}

export function createTelegramMedia(options: TelegramMediaOptions) {
  const { deps, call, signal: stopped, log } = options;
  const mask = (text: string) => text.replaceAll(options.token, '<token>');

  const reply = (chatId: number, text: string) =>
    call(() => options.telegram().sendMessage(chatId, text.length > TELEGRAM_LIMIT ? `${text.slice(0, TELEGRAM_LIMIT - 1)}…` : text), 'sendMessage').then(
      () => options.sent(),
      (error: unknown) => log('warn', `replying to chat ${chatId} failed: ${mask(describeError(error))}`),
    );
  /** A failure told to the user (its reason in one sentence) and logged; nothing once the channel stops. */
  async function failed(chatId: number, what: string, logged: string, error: unknown): Promise<undefined> {
    if (stopped.aborted) return undefined;
    const reason = mask(describeError(error));
    log('warn', `${logged}: ${reason}`);
    return void (await reply(chatId, `I could not ${what}: ${reason.replace(/\.?$/, '.')}`));
  }

  /** GETs a file of the Bot API, at most `maxBytes`; the URL holds the token, so no error names it. */
  async function download(fileId: string, maxBytes: number, setting: string): Promise<{ bytes: Buffer; filePath: string }> {
    const file = await call(() => options.telegram().getFile(fileId), 'getFile');
    const filePath = file.file_path;
    if (!filePath) throw new Error('Telegram gave no file path');
    if (!/^[\w./-]{1,512}$/.test(filePath) || filePath.includes('..')) throw new Error('Telegram gave an unusable file path');
    const signal = AbortSignal.any([stopped, AbortSignal.timeout(120_000)]);
    const response = await httpRequest(`${options.apiRoot}file/bot${options.token}/${filePath}`, { method: 'GET', headers: {}, signal });
    if (!response.ok) {
      await response.text().catch(() => '');
      throw new Error(`downloading it from Telegram failed (HTTP ${response.status})`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += chunk.length;
      if (size > maxBytes) throw new Error(`it is larger than ${megabytes(maxBytes)} (${setting})`);
      chunks.push(Buffer.from(chunk));
    }
    return { bytes: Buffer.concat(chunks), filePath };
  }

  /** agents.defaults.max_media_size, or Telegram's own download limit when that is lower, and which it is. */
  function mediaLimit(configured: number) {
    const limit = Math.min(configured, TELEGRAM_DOWNLOAD_LIMIT);
    return { limit, setting: configured <= TELEGRAM_DOWNLOAD_LIMIT ? 'agents.defaults.max_media_size' : 'the most Telegram lets a bot download' };
  }

  /**
   * A voice note or audio file to the text it says (with the caption first): over a limit nothing
   * is downloaded; no transcription model, no words or a failure get a reply.
   */
  async function hear(chatId: number, audio: TelegramAudio, kind: 'voice note' | 'audio file', caption: string): Promise<Said | undefined> {
    const refusal = audioRefusal(deps.transcriber, kind, { seconds: audio.duration, bytes: audio.file_size });
    if (refusal) {
      if (refusal.unavailable) log('info', `${kind} in chat ${chatId} not transcribed: voice.model_name is not set`);
      return void (await reply(chatId, refusal.reply));
    }
    const transcriber = deps.transcriber!;
    const limits = transcriber.limits();
    const tick = () => void options.telegram().sendChatAction(chatId, 'typing').catch(() => {});
    if (options.typing) tick();
    const typingTimer = options.typing ? setInterval(tick, 4_000) : undefined;
    try {
      const { bytes } = await download(audio.file_id, limits.maxBytes, 'voice.max_bytes');
      const voice = kind === 'voice note';
      const filename = voice ? 'voice.ogg' : (audio.file_name ?? `audio.${/ogg|opus/.test(audio.mime_type ?? '') ? 'ogg' : 'mp3'}`);
      const heard = await hearAudio(transcriber, bytes, { kind, filename, mimeType: audio.mime_type ?? (voice ? 'audio/ogg' : 'audio/mpeg'), caption, signal: stopped });
      if ('reply' in heard) return void (await reply(chatId, heard.reply));
      log('debug', `${kind} in chat ${chatId} (${bytes.length} bytes, ${audio.duration} s) transcribed by ${heard.model}`);
      if (heard.echo) await reply(chatId, heard.echo);
      return { text: heard.text, voice: true };
    } catch (error) {
      return failed(chatId, `transcribe that ${kind}`, `${kind} in chat ${chatId} not transcribed`, error);
    } finally {
      clearInterval(typingTimer);
    }
  }

  /** A document to the text turn that tells the model where it is stored (then the caption). */
  async function receive(chatId: number, document: TelegramDocument, caption: string): Promise<Said | undefined> {
    const inbox = deps.inbox;
    if (!inbox) return void (await reply(chatId, 'Files cannot be received here: this gateway has no place to store them.'));
    const { limit, setting } = mediaLimit(inbox.maxBytes());
    if ((document.file_size ?? 0) > limit) {
      log('info', `file in chat ${chatId} not downloaded: ${document.file_size} bytes is over ${limit}`);
      return void (await reply(chatId, `That file is ${megabytes(document.file_size!)}; I accept files up to ${megabytes(limit)} (${setting}).`));
    }
    try {
      const { bytes, filePath } = await download(document.file_id, limit, setting);
      const saved = await inbox.save(document.file_name ?? filePath.split('/').pop() ?? 'file', bytes);
      log('debug', `file in chat ${chatId} (${bytes.length} bytes) stored as ${saved.path}`);
      return { text: withReceivedFiles([receivedFileLine(saved.path, bytes.length, document.mime_type)], caption), files: [saved.path] };
    } catch (error) {
      return failed(chatId, 'receive that file', `file in chat ${chatId} not received`, error);
    }
  }

  /**
   * A photo (its largest size that fits) or an image sent as a document, stored in media/images
   * and attached to the turn with the caption as its text ('' without one). The type is checked
   * on the bytes by the image store: a "PNG" that is not one gets the store's sentence.
   */
  async function see(chatId: number, image: { sizes: TelegramPhotoSize[] } | { document: TelegramDocument }, caption: string): Promise<Said | undefined> {
    const kind = 'sizes' in image ? 'photo' : 'image';
    const images = deps.images;
    if (!images) return void (await reply(chatId, 'Images cannot be received here: this gateway has no place to store them.'));
    const { limit, setting } = mediaLimit(images.maxBytes());
    const picked = 'sizes' in image ? pickPhotoSize(image.sizes, limit) : { size: image.document };
    if (!picked) return undefined;
    if ('tooLarge' in picked || (picked.size.file_size ?? 0) > limit) {
      const bytes = 'tooLarge' in picked ? picked.tooLarge : picked.size.file_size!;
      log('info', `${kind} in chat ${chatId} not downloaded: ${bytes} bytes is over ${limit}`);
      return void (await reply(chatId, `That ${kind} is ${megabytes(bytes)}; I accept images up to ${megabytes(limit)} (${setting}).`));
    }
    try {
      const { bytes } = await download(picked.size.file_id, limit, setting);
      const saved = await images.save(bytes);
      log('debug', `${kind} in chat ${chatId} (${bytes.length} bytes, ${saved.mime}) stored as ${saved.path}`);
      return { text: caption, images: [saved.path] };
    } catch (error) {
      return failed(chatId, `receive that ${kind}`, `${kind} in chat ${chatId} not received`, error);
    }
  }

  /** A short reply for what the assistant cannot take in. */
  async function refuse(chatId: number, what: (typeof UNSUPPORTED)[keyof typeof UNSUPPORTED]): Promise<undefined> {
    log('debug', `${what} in chat ${chatId} not supported`);
    return void (await reply(chatId, `I cannot take ${what}; send text, a photo, a voice note or a file.`));
  }

  return { hear, receive, see, refuse };
}

export type TelegramMedia = ReturnType<typeof createTelegramMedia>;
