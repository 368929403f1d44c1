import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScheduledJob } from '@picoclaw/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileJobStore, jobsPath } from './job-store.js';

let workspace: string;
beforeEach(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'job-store-'));
});
afterEach(() => rm(workspace, { recursive: true, force: true }));

const job = (id: string): ScheduledJob => ({
  id, name: id, enabled: true, schedule: { kind: 'cron', expr: '0 9 * * *' },
  payload: { kind: 'agent_turn', message: id, deliver: true, channel: 'pico', to: 'e2e' },
  state: {}, createdAtMs: 0, updatedAtMs: 0, deleteAfterRun: false,
} as ScheduledJob);

describe('file job store', () => {
  it('loses nothing when a load and changes overlap (the scheduler starting while the API adds jobs)', async () => {
    await mkdir(join(workspace, 'cron'), { recursive: true });
    await writeFile(jobsPath(workspace), JSON.stringify({ version: 1, jobs: [job('0000000000000000')] }));
    for (let round = 0; round < 20; round++) {
      const store = createFileJobStore({ workspace });
      const ids = Array.from({ length: 5 }, (_, i) => `${String(round).padStart(8, '0')}0000000${i}`);
      // Not awaited one by one: every operation starts before the first read of the file is done.
      await Promise.all([store.load(), ...ids.map((id) => store.put(job(id))), store.load()]);
      const reread = await createFileJobStore({ workspace }).load();
      expect(reread.map((j) => j.id)).toEqual(expect.arrayContaining(['0000000000000000', ...ids]));
    }
  });
});
