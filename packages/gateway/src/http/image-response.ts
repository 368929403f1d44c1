/**
 * `GET /media/images/<name>`: an image a chat sent, for the dashboard to show in the conversation
 * (through the launcher's authenticated `/api/media/images/<name>`). Only names the image store
 * made (`<32 hex>.<jpg|png|gif|webp>`) are looked up, only in `<workspace>/media/images`, and the
 * file is opened without following a link: nothing else in the workspace or on the machine can be
 * read through this route. The type is the one sniffed when the image was stored, never guessed
 * from what is asked, and `nosniff` keeps a browser from reading it as anything else.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';

/** What ImageStore.file gives: the file behind a stored image's name. */
export interface ImageFile {
  path: string;
  mime: string;
}

/** Sends the image, or resolves false (the caller answers 404) when it is not a stored image file. */
export async function sendImage(req: IncomingMessage, res: ServerResponse, file: ImageFile | undefined): Promise<boolean> {
  if (!file) return false;
  // O_NOFOLLOW: a link put in place of the file after the store's check is refused, not followed.
  const handle = await open(file.path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0)).catch(() => undefined);
  if (!handle) return false;
  const info = await handle.stat().catch(() => undefined);
  if (!info?.isFile()) {
    await handle.close();
    return false;
  }
  res.writeHead(200, {
    'content-type': file.mime,
    'content-length': info.size,
    'content-disposition': 'inline',
    'x-content-type-options': 'nosniff',
    // Named by their content: the bytes behind a name never change.
    'cache-control': 'private, max-age=31536000, immutable',
  });
  if (req.method === 'HEAD') {
    await handle.close();
    res.end();
    return true;
  }
  await pipeline(handle.createReadStream(), res).catch(() => res.destroy());
  return true;
}
