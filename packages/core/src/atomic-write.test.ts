import * as fsp from 'node:fs/promises';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, type AtomicFs } from './atomic-write.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'picoclaw-atomic-'));
});
afterEach(async () => {
  await chmod(dir, 0o700).catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

/** A file system whose writes die half-way, as a crash or a full disk would leave them. */
function failingFs(step: 'write' | 'sync' | 'rename'): AtomicFs {
  return {
    ...fsp,
    async open(path, flags, mode) {
      const handle = await fsp.open(path, flags, mode);
      if (String(flags) !== 'wx') return handle;
      return new Proxy(handle, {
        get(target, prop) {
          if (prop === 'writeFile' && step === 'write') {
            return async (data: string) => {
              await target.writeFile(data.slice(0, 5));
              throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
            };
          }
          if (prop === 'sync' && step === 'sync') return async () => { throw Object.assign(new Error('I/O error'), { code: 'EIO' }); };
          const value = Reflect.get(target, prop) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    },
    rename: step === 'rename' ? async () => { throw Object.assign(new Error('read-only file system'), { code: 'EROFS' }); } : fsp.rename,
  } as AtomicFs;
}

describe('writeFileAtomic', () => {
  it('writes a new file', async () => {
    const path = join(dir, 'config.json');
    await writeFileAtomic(path, '{"a":1}');
    expect(await readFile(path, 'utf8')).toBe('{"a":1}');
    expect((await stat(path)).mode & 0o777).toBe(0o644);
  });

  it('applies mode 0600 whatever the umask', async () => {
    const previous = process.umask(0o000);
    try {
      const path = join(dir, '.security.yml');
      await writeFileAtomic(path, 'secret: x', { mode: 0o600 });
      expect((await stat(path)).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  it('keeps the mode of an existing file', async () => {
    const path = join(dir, 'f');
    await writeFile(path, 'old');
    await chmod(path, 0o640);
    await writeFileAtomic(path, 'new');
    expect((await stat(path)).mode & 0o777).toBe(0o640);
  });

  it.each(['write', 'sync', 'rename'] as const)('leaves the old file intact and no temp file when the %s step fails', async (step) => {
    const path = join(dir, 'config.json');
    await writeFile(path, 'the old, valid config');
    const error = await writeFileAtomic(path, 'the new config that never lands', { fs: failingFs(step) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'config_write' });
    expect((error as Error).message).toContain(`cannot write ${path}`);
    if (step === 'write') expect((error as Error).message).toMatch(/no space left on device \(ENOSPC\)/);
    if (step === 'rename') expect((error as Error).message).toMatch(/read-only file system \(EROFS\)/);
    expect(await readFile(path, 'utf8')).toBe('the old, valid config');
    expect(await readdir(dir)).toEqual(['config.json']);
  });

  it('never leaves a torn file when writes race', async () => {
    const path = join(dir, 'config.json');
    const contents = Array.from({ length: 20 }, (_, i) => JSON.stringify({ writer: i, padding: 'x'.repeat(10_000 + i) }));
    await Promise.all(contents.map((c) => writeFileAtomic(path, c)));
    expect(contents).toContain(await readFile(path, 'utf8'));
    expect(await readdir(dir)).toEqual(['config.json']);
  });

  it('explains a missing directory', async () => {
    await expect(writeFileAtomic(join(dir, 'nope', 'f'), 'x')).rejects.toThrow(/directory does not exist \(ENOENT\)/);
  });

  it.skipIf(process.getuid?.() === 0)('explains a read-only directory', async () => {
    const path = join(dir, 'f');
    await writeFile(path, 'old');
    await chmod(dir, 0o555);
    await expect(writeFileAtomic(path, 'new')).rejects.toThrow(/permission denied \(EACCES\)/);
    expect(await readFile(path, 'utf8')).toBe('old');
  });
});
