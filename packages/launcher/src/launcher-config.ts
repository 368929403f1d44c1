/**
 * `launcher-config.json` beside config.json (mode 0600): launcher port/host/public, the password
 * hash, and whatever else the file holds (kept as it is). Missing or unreadable → defaults, with
 * a warning for the unreadable case.
 */
import { readFileIfExists, writeFileAtomic } from '@picoclaw/core';

export interface LauncherFile {
  port?: number;
  public?: boolean;
  host?: string;
  log_level?: string;
  password_hash?: string;
  [key: string]: unknown;
}

export async function readLauncherFile(path: string): Promise<{ file: LauncherFile; warning?: string }> {
  const text = await readFileIfExists(path);
  if (!text?.trim()) return { file: {} };
  try {
    const value = JSON.parse(text) as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
    return { file: value as LauncherFile };
  } catch (error) {
    return { file: {}, warning: `${path} is unreadable (${(error as Error).message}); using defaults` };
  }
}

export async function updateLauncherFile(path: string, change: Partial<LauncherFile>): Promise<LauncherFile> {
  const { file } = await readLauncherFile(path);
  const next = { ...file, ...change };
  await writeFileAtomic(path, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  return next;
}
