/** Workspace file tools of the reference: read_file, write_file, edit_file, append_file, list_dir. */
import { constants } from 'node:fs';
import { mkdir, open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import * as z from 'zod';
import { defineTool } from '../define-tool.js';
import { accessOf } from '../path-policy.js';
import type { Tool } from '../types.js';
import { resolveInWorkspace, type PathRules } from './workspace-path.js';

export interface FileToolOptions extends PathRules {
  maxReadBytes: number;
}

const failure = (error: unknown) => ({ content: error instanceof Error ? error.message : String(error), isError: true });

// O_NOFOLLOW: the leaf is never a link (resolveInWorkspace refused one; this holds if one appears
// since). O_NONBLOCK: a FIFO cannot hang the turn; the file must then prove to be a regular file.
const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_APPEND } = constants;
const SAFE = (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

export async function openRegular(file: string, shown: string, flags: number): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(file, flags | SAFE, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new Error(`access denied: ${shown} is a symbolic link; the file tools do not write through links`, { cause: error });
    throw error;
  }
  if (!(await handle.stat()).isFile()) {
    await handle.close();
    throw new Error(`${shown} is not a regular file`);
  }
  return handle;
}

/**
 * A workspace file to hand on whole (send_file, load_image), under read_file's rules: its resolved
 * path and bytes, or its size when it is over `maxBytes` (nothing read then).
 */
export async function readWorkspaceFile(workspace: string, path: string, rules: PathRules, maxBytes: number): Promise<{ file: string; bytes: Buffer } | { file: string; tooLarge: number }> {
  const file = await resolveInWorkspace(workspace, path, 'read', rules);
  const handle = await openRegular(file, path, O_RDONLY);
  try {
    const { size } = await handle.stat();
    return size > maxBytes ? { file, tooLarge: size } : { file, bytes: await handle.readFile() };
  } finally {
    await handle.close();
  }
}

async function writeAll(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  for (let done = 0; done < data.length; ) done += (await handle.write(data, done, data.length - done, position + done)).bytesWritten;
}

export function createFileTools(options: FileToolOptions): Record<'read_file' | 'write_file' | 'edit_file' | 'append_file' | 'list_dir', Tool> {
  const forRead = (ws: string, p: string) => resolveInWorkspace(ws, p, 'read', options);
  const forWrite = (ws: string, p: string) => resolveInWorkspace(ws, p, 'write', options);
  /** Creates the folders, then writes without following a link at the leaf; new files get mode 0600. */
  const put = async (ws: string, path: string, content: string, mode: 'replace' | 'append') => {
    const file = await forWrite(ws, path);
    await mkdir(dirname(file), { recursive: true });
    const handle = await openRegular(file, path, O_WRONLY | O_CREAT | (mode === 'append' ? O_APPEND : 0));
    try {
      if (mode === 'replace') await handle.truncate(0);
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
  };
  return {
    read_file: defineTool({
      name: 'read_file',
      description: `Reads a text file from the workspace (at most ${options.maxReadBytes} bytes; use offset to read further).`,
      input: { path: z.string().describe('File path, relative to the workspace'), offset: z.number().int().min(0).optional().describe('Byte offset to start from') },
      async execute({ path, offset = 0 }, ctx) {
        try {
          const handle = await openRegular(await forRead(ctx.workspace, path), path, O_RDONLY);
          try {
            // Only the slice asked for is read: a huge file costs no more than a small one.
            const { size } = await handle.stat();
            const slice = Buffer.alloc(Math.max(0, Math.min(options.maxReadBytes, size - offset)));
            const { bytesRead } = slice.length ? await handle.read(slice, 0, slice.length, offset) : { bytesRead: 0 };
            const rest = size - offset - bytesRead;
            return slice.subarray(0, bytesRead).toString('utf8') + (rest > 0 ? `\n\n[${rest} more bytes; call read_file with offset ${offset + bytesRead}]` : '');
          } finally {
            await handle.close();
          }
        } catch (error) {
          return failure(error);
        }
      },
    }),
    write_file: defineTool({
      name: 'write_file',
      description: 'Writes a text file in the workspace, replacing it if it exists and creating folders as needed.',
      input: { path: z.string(), content: z.string() },
      async execute({ path, content }, ctx) {
        try {
          await put(ctx.workspace, path, content, 'replace');
          return `wrote ${Buffer.byteLength(content)} bytes to ${path}`;
        } catch (error) {
          return failure(error);
        }
      },
    }),
    edit_file: defineTool({
      name: 'edit_file',
      description: 'Replaces one exact occurrence of old_text by new_text in a workspace file.',
      input: { path: z.string(), old_text: z.string().min(1), new_text: z.string() },
      async execute({ path, old_text, new_text }, ctx) {
        try {
          const handle = await openRegular(await forWrite(ctx.workspace, path), path, O_RDWR);
          try {
            const text = await handle.readFile('utf8');
            const count = text.split(old_text).length - 1;
            if (count !== 1) return { content: `old_text occurs ${count} times in ${path}; it must occur exactly once`, isError: true };
            await handle.truncate(0);
            await writeAll(handle, Buffer.from(text.replace(old_text, () => new_text)), 0);
          } finally {
            await handle.close();
          }
          return `edited ${path}`;
        } catch (error) {
          return failure(error);
        }
      },
    }),
    append_file: defineTool({
      name: 'append_file',
      description: 'Appends text to a workspace file, creating it if needed.',
      input: { path: z.string(), content: z.string() },
      async execute({ path, content }, ctx) {
        try {
          await put(ctx.workspace, path, content, 'append');
          return `appended ${Buffer.byteLength(content)} bytes to ${path}`;
        } catch (error) {
          return failure(error);
        }
      },
    }),
    list_dir: defineTool({
      name: 'list_dir',
      description: 'Lists a workspace folder: names, with a trailing / for folders and sizes for files.',
      input: { path: z.string().default('.') },
      async execute({ path }, ctx) {
        try {
          const dir = await forRead(ctx.workspace, path);
          // What the tools may not touch is not shown either (sessions/, state/, PicoClaw's files).
          const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => accessOf(options.policy, join(dir, e.name)).access !== 'none');
          if (entries.length === 0) return `${relative(ctx.workspace, dir) || '.'} is empty`;
          const lines = await Promise.all(
            entries.sort((a, b) => a.name.localeCompare(b.name)).slice(0, 500).map(async (e) =>
              e.isDirectory() ? `${e.name}/` : `${e.name} (${(await stat(join(dir, e.name)).catch(() => ({ size: 0 }))).size} bytes)`,
            ),
          );
          return lines.join('\n') + (entries.length > 500 ? `\n… ${entries.length - 500} more` : '');
        } catch (error) {
          return failure(error);
        }
      },
    }),
  };
}
