/** Workspace file tools of the reference: read_file, write_file, edit_file, append_file, list_dir. */
import { appendFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import * as z from 'zod';
import { defineTool } from '../define-tool.js';
import type { Tool } from '../types.js';
import { resolveInWorkspace } from './workspace-path.js';

export interface FileToolOptions {
  restrictToWorkspace: boolean;
  allowReadOutside: boolean;
  maxReadBytes: number;
}

const failure = (error: unknown) => ({ content: error instanceof Error ? error.message : String(error), isError: true });

export function createFileTools(options: FileToolOptions): Record<'read_file' | 'write_file' | 'edit_file' | 'append_file' | 'list_dir', Tool> {
  const forRead = (ws: string, p: string) => resolveInWorkspace(ws, p, !options.restrictToWorkspace || options.allowReadOutside);
  const forWrite = (ws: string, p: string) => resolveInWorkspace(ws, p, !options.restrictToWorkspace);
  return {
    read_file: defineTool({
      name: 'read_file',
      description: `Reads a text file from the workspace (at most ${options.maxReadBytes} bytes; use offset to read further).`,
      input: { path: z.string().describe('File path, relative to the workspace'), offset: z.number().int().min(0).optional().describe('Byte offset to start from') },
      async execute({ path, offset = 0 }, ctx) {
        try {
          const file = await forRead(ctx.workspace, path);
          const buffer = await readFile(file);
          const slice = buffer.subarray(offset, offset + options.maxReadBytes);
          const rest = buffer.length - offset - slice.length;
          return slice.toString('utf8') + (rest > 0 ? `\n\n[${rest} more bytes; call read_file with offset ${offset + slice.length}]` : '');
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
          const file = await forWrite(ctx.workspace, path);
          await mkdir(dirname(file), { recursive: true });
          await writeFile(file, content, { mode: 0o600 });
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
          const file = await forWrite(ctx.workspace, path);
          const text = await readFile(file, 'utf8');
          const count = text.split(old_text).length - 1;
          if (count !== 1) return { content: `old_text occurs ${count} times in ${path}; it must occur exactly once`, isError: true };
          await writeFile(file, text.replace(old_text, () => new_text));
          return `edited ${path}`;
        } catch (error) {
          return failure(error);
        }
      },
    }),
    append_file: defineTool({
      name: 'append_file',
      description: 'Appends text to a workspace file, creating it if needed (e.g. memory/MEMORY.md).',
      input: { path: z.string(), content: z.string() },
      async execute({ path, content }, ctx) {
        try {
          const file = await forWrite(ctx.workspace, path);
          await mkdir(dirname(file), { recursive: true });
          await appendFile(file, content, { mode: 0o600 });
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
          const entries = await readdir(dir, { withFileTypes: true });
          if (entries.length === 0) return `${relative(ctx.workspace, dir) || '.'} is empty`;
          const lines = await Promise.all(
            entries.sort((a, b) => a.name.localeCompare(b.name)).slice(0, 500).map(async (e) =>
              e.isDirectory() ? `${e.name}/` : `${e.name} (${(await stat(`${dir}/${e.name}`).catch(() => ({ size: 0 }))).size} bytes)`,
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
