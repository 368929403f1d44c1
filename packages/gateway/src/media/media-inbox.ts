/**
 * Where files sent to the assistant land: `<workspace>/media/inbox/<date>-<safe name>`, mode 0600,
 * inside the workspace so the file tools (read_file, send_file) reach them under the same path
 * policy as everything else. A name from a chat is never trusted: no path separators, no leading
 * dots (no `.bashrc`), no control characters, at most 100 characters; a name already taken by
 * other bytes gets a suffix (`-2`, `-3`…), the same bytes under the same name are kept once.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { DEFAULT_MAX_MEDIA_SIZE, type Config } from '@picoclaw/core';
import { mediaDir, writeNewFile } from './media-dir.js';

const MAX_NAME = 100;

export interface MediaInbox {
  /** `agents.defaults.max_media_size` (default 20 MiB), read at each call so a reload applies. */
  maxBytes(): number;
  /** Stores `bytes` under a safe form of `name`; resolves with the path relative to the workspace. */
  save(name: string, bytes: Buffer, at?: Date): Promise<{ path: string }>;
}

/** A file name a chat sent, made safe to create in one folder (never empty, never a dot file). */
export function safeFileName(name: string, fallback = 'file'): string {
  const base = name.split(/[/\\]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  let clean = base.replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_').replace(/\s+/g, ' ').trim().replace(/^[.\s-]+/, '');
  if (!clean || clean === '.' || clean === '..') clean = fallback;
  if (clean.length > MAX_NAME) {
    const ext = extname(clean).slice(0, 16);
    clean = clean.slice(0, MAX_NAME - ext.length) + ext;
  }
  return clean;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

export function createMediaInbox(config: () => Config): MediaInbox {
  return {
    maxBytes: () => config().agents.defaults.max_media_size ?? DEFAULT_MAX_MEDIA_SIZE,
    async save(name, bytes, at = new Date()) {
      const dir = await mediaDir(config().agents.defaults.workspace, 'inbox');
      const safe = safeFileName(name);
      const stem = `${at.toISOString().slice(0, 10)}-${safe.slice(0, safe.length - extname(safe).length) || safe}`;
      const ext = extname(safe);
      const digest = sha256(bytes);
      for (let n = 1; n <= 100; n++) {
        const file = `${stem}${n > 1 ? `-${n}` : ''}${ext}`;
        const target = join(dir, file);
        if (await writeNewFile(target, bytes)) return { path: `media/inbox/${file}` };
        const existing = await readFile(target).catch(() => undefined);
        if (existing && existing.length === bytes.length && sha256(existing) === digest) return { path: `media/inbox/${file}` };
      }
      throw new Error(`media/inbox already holds 100 files named like ${safe}`);
    },
  };
}
