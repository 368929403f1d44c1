import { mkdtemp, readFile, rm, stat, symlink, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '@picoclaw/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMediaInbox, safeFileName } from './media-inbox.js';

let ws: string;
beforeEach(async () => void (ws = await mkdtemp(join(tmpdir(), 'picoclaw-inbox-'))));
afterEach(() => rm(ws, { recursive: true, force: true }));
const inbox = (max?: number) => createMediaInbox(() => ({ agents: { defaults: { workspace: ws, ...(max ? { max_media_size: max } : {}) } } }) as unknown as Config);
const day = new Date('2026-12-06T10:00:00Z');

describe('safeFileName', () => {
  it('keeps no folder, no leading dot, no control characters, and caps the length', () => {
    expect(safeFileName('../../etc/passwd')).toBe('passwd');
    expect(safeFileName('..\\..\\boot.ini')).toBe('boot.ini');
    expect(safeFileName('.bashrc')).toBe('bashrc');
    expect(safeFileName('..')).toBe('file');
    expect(safeFileName('')).toBe('file');
    expect(safeFileName('a\u0000b\nc.txt')).toBe('a_b_c.txt');
    const long = safeFileName(`${'x'.repeat(300)}.pdf`);
    expect(long).toHaveLength(100);
    expect(long.endsWith('.pdf')).toBe(true);
  });
});

describe('createMediaInbox', () => {
  it('stores under media/inbox with the date, mode 0600; other bytes under the same name get a suffix, the same bytes are kept once', async () => {
    const box = inbox();
    expect(box.maxBytes()).toBe(20 * 1024 * 1024);
    expect(inbox(1000).maxBytes()).toBe(1000);
    const first = await box.save('report.pdf', Buffer.from('one'), day);
    expect(first.path).toBe('media/inbox/2026-12-06-report.pdf');
    expect(await readFile(join(ws, first.path), 'utf8')).toBe('one');
    expect((await stat(join(ws, first.path))).mode & 0o777).toBe(0o600);
    expect((await box.save('report.pdf', Buffer.from('two'), day)).path).toBe('media/inbox/2026-12-06-report-2.pdf');
    expect((await box.save('report.pdf', Buffer.from('one'), day)).path).toBe(first.path);
    expect((await box.save('../../.bashrc', Buffer.from('x'), day)).path).toBe('media/inbox/2026-12-06-bashrc');
  });

  it('does not store through a media folder that links out of the workspace', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'picoclaw-out-'));
    try {
      await symlink(outside, join(ws, 'media'));
      await expect(inbox().save('a.txt', Buffer.from('x'), day)).rejects.toThrow(/link/);
      await mkdir(join(outside, 'x'), { recursive: true });
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
