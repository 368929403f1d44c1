/**
 * `load_image` (PicoClaw's name and argument): lets a vision model look at an image in the
 * workspace — a photo from an earlier turn (history keeps `[image: media/images/…]` tags, not the
 * pictures) or one a tool wrote. Same path rules as read_file; the type is taken from the bytes;
 * the size is capped by `agents.defaults.max_media_size`. The turn shows the image to the model
 * after the tool result (run-turn.ts).
 */
import * as z from 'zod';
import { sniffImage } from '../../media/image-store.js';
import { defineTool } from '../define-tool.js';
import type { Tool } from '../types.js';
import { readWorkspaceFile } from './file-tools.js';
import type { PathRules } from './workspace-path.js';

export function createLoadImageTool(options: PathRules & { maxBytes: () => number }): Tool {
  return defineTool({
    name: 'load_image',
    // Short: this definition travels with every turn of a chat that has images.
    description: 'Look at a workspace image, e.g. an [image: path] from earlier.',
    input: { path: z.string().min(1) },
    async execute({ path }, ctx) {
      try {
        const read = await readWorkspaceFile(ctx.workspace, path, options, options.maxBytes());
        if ('tooLarge' in read) return { content: `${path} is ${read.tooLarge} bytes; load_image reads up to ${options.maxBytes()} (agents.defaults.max_media_size)`, isError: true };
        const { bytes } = read;
        const type = sniffImage(bytes);
        if (!type) return { content: `${path} is not a JPEG, PNG, GIF or WebP image`, isError: true };
        return { content: `Loaded image ${path}`, images: [{ mime: type.mime, data: bytes.toString('base64') }] };
      } catch (error) {
        return { content: error instanceof Error ? error.message : String(error), isError: true };
      }
    },
  });
}
