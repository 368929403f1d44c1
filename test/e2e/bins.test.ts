/**
 * The commands the packages declare (`bin` in their package.json) exist after `pnpm build`, start
 * with a shebang and are executable, so a package manager or a symlink can put them on the PATH.
 */
import { access, constants, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('declared commands', () => {
  it.each([
    ['gateway', 'picoclaw', /^picoclaw \d+\.\d+\.\d+$/],
    ['launcher', 'picoclaw-launcher', /^picoclaw-launcher \d+\.\d+\.\d+$/],
  ])('packages/%s declares %s: a built file with a shebang, executable, that runs by itself', async (pkg, command, version) => {
    const manifest = join(root, 'packages', pkg, 'package.json');
    const { bin } = JSON.parse(await readFile(manifest, 'utf8')) as { bin?: Record<string, string> };
    expect(bin, `${manifest} declares no bin`).toHaveProperty(command);
    const file = join(dirname(manifest), bin![command]!);
    expect((await readFile(file, 'utf8')).split('\n', 1)[0]).toMatch(/^#!\/usr\/bin\/env -S node /);
    await access(file, constants.X_OK);
    // Run as a command (through its shebang), not as `node <file>`.
    const ran = await execa(file, ['--version'], { reject: false, env: { PATH: process.env.PATH }, extendEnv: false });
    expect(ran.exitCode).toBe(0);
    expect(ran.stdout).toMatch(version);
  });
});
