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
 */
import { isPicoError } from '@picoclaw/core';
import type { ImageStore } from '../../media/image-store.js';

export type MediaResult = { ok: true; images: string[] } | { ok: false; message: string };

/** The data URL of one `media` entry or attachment object, or the reason there is none. */
function inlineValue(item: unknown): { value: string } | { error: string } {
  if (typeof item === 'string') return item.trim() ? { value: item.trim() } : { error: 'image payload is empty' };
  if (item && typeof item === 'object' && !Array.isArray(item)) {
    for (const key of ['url', 'data_url']) {
      const raw = (item as Record<string, unknown>)[key];
      if (typeof raw === 'string' && raw.trim()) return { value: raw.trim() };
    }
    return { error: 'image payload must include url or data_url' };
  }
  return { error: 'image payload must be a string or object' };
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

/** The inline images of a payload, in order (`media` then `attachments`), or the first problem. */
export function collectMedia(payload: Record<string, unknown>): { ok: true; images: InlineImage[] } | { ok: false; message: string } {
  const found: InlineImage[] = [];
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
  return { ok: true, images: found };
}

/**
 * Stores the images `collectMedia` found; resolves with their workspace paths. A refusal of an
 * image is a result; other errors (a full disk) reject.
 */
export async function storeMedia(found: InlineImage[], images: ImageStore | undefined): Promise<MediaResult> {
  if (!found.length) return { ok: true, images: [] };
  if (!images) return { ok: false, message: 'images are not available on this gateway' };
  const paths: string[] = [];
  for (const { url, where } of found) {
    try {
      paths.push((await images.saveDataUrl(url)).path);
    } catch (error) {
      if (isPicoError(error, 'invalid_input')) return { ok: false, message: `${where}${error.message}` };
      throw error;
    }
  }
  return { ok: true, images: paths };
}
