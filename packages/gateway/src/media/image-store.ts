/**
 * Images the assistant was shown: `<workspace>/media/images/<sha256>.<ext>`, mode 0600, named by
 * their content so the same photo sent twice is stored once and a name can never be chosen by a
 * chat. Sessions keep only these paths; the bytes are read again when a model must see them and
 * when the dashboard shows a conversation after a reload.
 *
 * The type is taken from the bytes, never from what a client declared: JPEG, PNG, GIF and WebP
 * (what every vision API accepts); anything else is refused with a sentence naming what was sent.
 */
import { createHash } from 'node:crypto';
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_MAX_MEDIA_SIZE, PicoError, type Config } from '@picoclaw/core';
import { mediaDir, writeNewFile } from './media-dir.js';

export interface StoredImage {
  /** Relative to the workspace: `media/images/<32 hex>.<ext>`. */
  path: string;
  mime: string;
  bytes: number;
}

/** What a model is sent: the image's type and its bytes in base64. */
export interface ImageData {
  mime: string;
  data: string;
}

export interface ImageStore {
  /** `agents.defaults.max_media_size` (default 20 MiB), read at each call so a reload applies. */
  maxBytes(): number;
  /** Stores an image; rejects with PicoError `invalid_input` (a sentence for the sender) when it is not a supported image or too large. */
  save(bytes: Buffer): Promise<StoredImage>;
  /** Decodes and stores a `data:image/<type>;base64,…` URL (the dashboard's and PicoClaw's wire form). */
  saveDataUrl(url: string): Promise<StoredImage>;
  /** Reads a stored image back for a model; rejects when `path` is not a stored image. */
  read(path: string): Promise<ImageData>;
  /** The file behind a stored image's name (`<32 hex>.<ext>`), for serving; undefined for any other name or a missing file. */
  file(name: string): Promise<{ path: string; mime: string; bytes: number } | undefined>;
}

const TYPES: { mime: string; ext: string; test(b: Buffer): boolean }[] = [
  { mime: 'image/jpeg', ext: 'jpg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { mime: 'image/png', ext: 'png', test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { mime: 'image/gif', ext: 'gif', test: (b) => b.subarray(0, 6).toString('latin1') === 'GIF87a' || b.subarray(0, 6).toString('latin1') === 'GIF89a' },
  { mime: 'image/webp', ext: 'webp', test: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP' },
];
const NAME = /^([0-9a-f]{32})\.(jpg|png|gif|webp)$/;

/** The image type of `bytes` by their signature, or undefined. */
export function sniffImage(bytes: Buffer): { mime: string; ext: string } | undefined {
  const type = TYPES.find((t) => t.test(bytes));
  return type && { mime: type.mime, ext: type.ext };
}

/** A stored image's path in a session (`media/images/…`), as opposed to any other text. */
export function isStoredImagePath(path: string): boolean {
  return path.startsWith('media/images/') && NAME.test(path.slice('media/images/'.length));
}

const mimeOf = (name: string) => TYPES.find((t) => name.endsWith(`.${t.ext}`))!.mime;

export function createImageStore(config: () => Config): ImageStore {
  const maxBytes = () => config().agents.defaults.max_media_size ?? DEFAULT_MAX_MEDIA_SIZE;
  const dir = () => mediaDir(config().agents.defaults.workspace, 'images');

  async function save(bytes: Buffer): Promise<StoredImage> {
    if (bytes.length > maxBytes()) throw new PicoError('invalid_input', `the image is ${bytes.length} bytes; the limit is ${maxBytes()} (agents.defaults.max_media_size)`);
    const type = sniffImage(bytes);
    if (!type) throw new PicoError('invalid_input', 'that is not an image a model can read: send a JPEG, PNG, GIF or WebP picture');
    const name = `${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}.${type.ext}`;
    const target = join(await dir(), name);
    // A name taken is the same content: named by its hash.
    await writeNewFile(target, bytes);
    return { path: `media/images/${name}`, mime: type.mime, bytes: bytes.length };
  }

  async function file(name: string) {
    if (!NAME.test(name)) return undefined;
    const path = join(await dir(), name);
    const info = await lstat(path).catch(() => undefined); // a link is not a stored image
    return info?.isFile() ? { path, mime: mimeOf(name), bytes: info.size } : undefined;
  }

  return {
    maxBytes,
    save,
    async saveDataUrl(url) {
      const match = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(url);
      if (!match) throw new PicoError('invalid_input', 'image data URL is malformed');
      const [, declared, params, payload] = match as unknown as [string, string, string, string];
      if (!/^image\/(jpeg|jpg|png|gif|webp)$/i.test(declared)) throw new PicoError('invalid_input', `unsupported image format: ${declared || '(none)'} (send JPEG, PNG, GIF or WebP)`);
      if (!params.split(';').includes('base64')) throw new PicoError('invalid_input', 'image data URL must be base64 encoded');
      // Checked before decoding: a 1 GB string is refused without allocating its bytes.
      if (Math.floor((payload.length * 3) / 4) > maxBytes() + 3) throw new PicoError('invalid_input', `image exceeds ${maxBytes()} byte limit (agents.defaults.max_media_size)`);
      const clean = payload.replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) throw new PicoError('invalid_input', 'invalid base64 image data');
      return save(Buffer.from(clean, 'base64'));
    },
    async read(path) {
      if (!isStoredImagePath(path)) throw new PicoError('invalid_input', `${path} is not a stored image`);
      const found = await file(path.slice('media/images/'.length));
      if (!found) throw new PicoError('invalid_input', `the image ${path} is no longer in the workspace`);
      return { mime: found.mime, data: (await readFile(found.path)).toString('base64') };
    },
    file,
  };
}
