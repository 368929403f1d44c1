/**
 * `send_file` (PicoClaw's name and arguments): sends a workspace file to the turn's own chat, and
 * nowhere else. The path goes through the same rules as read_file (workspace, path policy: not
 * PicoClaw's files, the sessions, the channel state or cron/), so it reaches nothing the model
 * could not already read and paste into its answer to the same chat; the size is capped by
 * `agents.defaults.max_media_size`.
 */
import { basename } from 'node:path';
import * as z from 'zod';
import { safeFileName } from '../../media/media-inbox.js';
import { defineTool } from '../define-tool.js';
import type { Tool } from '../types.js';
import { readWorkspaceFile } from './file-tools.js';
import type { PathRules } from './workspace-path.js';

/** What sends the file: the channel manager (ChannelManager.sendFile). */
export interface FileOutbound {
  sendFile(channel: string, chatId: string, file: { path: string; filename: string; bytes: Buffer }): Promise<void>;
}

const megabytes = (n: number) => (n < 1048576 ? `${Math.ceil(n / 1024)} KB` : `${Math.round((n / 1048576) * 10) / 10} MB`);

export function createSendFileTool(options: PathRules & { maxBytes: () => number; outbound: () => FileOutbound | undefined }): Tool {
  return defineTool({
    name: 'send_file',
    // Short: this definition travels with every turn.
    description: 'Send a workspace file to the user in this chat, as a document.',
    input: {
      path: z.string().min(1),
      filename: z.string().optional(),
    },
    async execute({ path, filename }, ctx) {
      try {
        const max = options.maxBytes();
        const read = await readWorkspaceFile(ctx.workspace, path, options, max);
        if ('tooLarge' in read) return { content: `${path} is ${megabytes(read.tooLarge)}; send_file sends up to ${megabytes(max)} (agents.defaults.max_media_size)`, isError: true };
        const { file, bytes } = read;
        if (bytes.length === 0) return { content: `${path} is empty; there is nothing to send`, isError: true };
        const name = safeFileName(filename ?? basename(file));
        const outbound = options.outbound();
        if (!outbound) return { content: `files cannot be sent yet (the channels are starting); tell the user where the file is (${path})`, isError: true };
        await outbound.sendFile(ctx.channel, ctx.chatId, { path, filename: name, bytes });
        return `File "${name}" sent to user`;
      } catch (error) {
        return { content: error instanceof Error ? error.message : String(error), isError: true };
      }
    },
  });
}
