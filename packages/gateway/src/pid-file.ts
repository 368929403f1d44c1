/**
 * `<home>/.picoclaw.pid`: who is running, on which port, with which control token (mode 0600),
 * so `picoclaw status` and a restarted launcher can find a running gateway. A second gateway on
 * the same home refuses to start while the first is alive.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PicoError, writeFileAtomic } from '@picoclaw/core';

export interface PidInfo {
  pid: number;
  token: string;
  version: string;
  host: string;
  port: number;
}

export const pidFilePath = (home: string) => join(home, '.picoclaw.pid');

function alive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function readPidFile(home: string): Promise<PidInfo | undefined> {
  try {
    const info = JSON.parse(await readFile(pidFilePath(home), 'utf8')) as PidInfo;
    return typeof info.pid === 'number' && typeof info.port === 'number' ? info : undefined;
  } catch {
    return undefined;
  }
}

/** Refuses to start when another live gateway owns this home; PID 1 counts as stale (containers). */
export async function assertHomeFree(home: string): Promise<void> {
  const existing = await readPidFile(home);
  if (existing && existing.pid !== 1 && alive(existing.pid)) {
    const cmdline = await readFile(`/proc/${existing.pid}/cmdline`, 'utf8').catch(() => 'picoclaw');
    if (/picoclaw|gateway|node/i.test(cmdline)) {
      throw new PicoError('settings_invalid', `a gateway is already running for ${home} (PID ${existing.pid}, version ${existing.version}, port ${existing.port}); stop it first`);
    }
  }
}

/** Writes this gateway's PID file (after `assertHomeFree`). */
export async function writePidFile(home: string, info: PidInfo): Promise<void> {
  // Not fsynced: after a power cut the PID in it is stale whether it reached the disk or not,
  // and two fsyncs (tens of ms on a busy disk) would delay every start.
  await writeFileAtomic(pidFilePath(home), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600, durable: false });
}

export async function releasePidFile(home: string): Promise<void> {
  const existing = await readPidFile(home);
  if (existing?.pid === process.pid) await rm(pidFilePath(home), { force: true });
}
