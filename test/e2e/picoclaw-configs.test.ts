/**
 * PicoClaw's own configs of every era, its docs' blocks, its Go tests' fixtures and users' configs
 * (test/fixtures/picoclaw-configs, SOURCES.md says where each shape came from): each one a PicoClaw
 * release loaded must pass `picoclaw config validate` and start a gateway, ready or degraded, never
 * an exit. What each one is told is ignored is kept in picoclaw-configs.warnings.json, reviewed like
 * any snapshot. The files PicoClaw refused (refused/) are refused here too, with a message.
 */
import { copyFile, mkdtemp, readdir, rm, writeFile, chmod, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnGateway } from '@picoclaw/test-fakes';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const corpus = join(root, 'test/fixtures/picoclaw-configs');
const bundle = join(root, 'packages/gateway/dist/picoclaw.js');
/** PicoClaw refuses these too, but they load here (turn_profile modes are not checked): documented leniency. */
const lenient = new Set(['gotest-turnprofileconfig-validationrejectsunsupportedmodes-L260.json', 'gotest-turnprofileconfig-validationrejectsunsupportedmodes-L265.json']);

let stubBin: string;
const fixtures = (dir: string) => readdir(dir).then((files) => files.filter((f) => f.endsWith('.json')).sort());

/** A home with the fixture as config.json and its .security.yml beside it, if it has one. */
async function homeFor(dir: string, file: string): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'picoclaw-corpus-'));
  await copyFile(join(dir, file), join(home, 'config.json'));
  const security = join(dir, file.replace(/\.json$/, '.security.yml'));
  if (existsSync(security)) await copyFile(security, join(home, '.security.yml'));
  return home;
}

// Info level whatever the config says (some set "fatal"): the test waits for the "ready on" line.
const env = (home: string) => ({ PATH: `${stubBin}:${process.env.PATH}`, HOME: home, PICOCLAW_HOME: home, PICOCLAW_CONFIG: join(home, 'config.json'), PICOCLAW_LOG_LEVEL: 'info' });
const validate = (home: string) => execa(process.execPath, [bundle, 'config', 'validate'], { env: env(home), extendEnv: false, reject: false, timeout: 20_000 });

/** Runs `work` over `items`, `limit` at a time. */
async function pool<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  }));
  return results;
}

beforeAll(async () => {
  // Configs name stdio MCP servers run with npx: they must not download anything in a test.
  stubBin = await mkdtemp(join(tmpdir(), 'picoclaw-corpus-bin-'));
  await mkdir(stubBin, { recursive: true });
  await writeFile(join(stubBin, 'npx'), '#!/bin/sh\necho "npx is not available in this test" >&2\nexit 1\n');
  await chmod(join(stubBin, 'npx'), 0o755);
});

describe('configs PicoClaw loaded', () => {
  it('each passes `picoclaw config validate` and starts a gateway (ready or degraded); the ignored keys are as reviewed', async () => {
    const files = await fixtures(corpus);
    expect(files.length).toBeGreaterThan(80);
    const outcomes = await pool(files, 3, async (file) => {
      const home = await homeFor(corpus, file);
      try {
        const checked = await validate(home);
        const warnings = String(checked.stdout).split('\n').filter((l) => l.startsWith('  warning: ')).map((l) => l.slice(11).replaceAll(home, '<home>'));
        const gateway = spawnGateway({ home, env: env(home) });
        let ready = 'exited';
        try {
          const port = await gateway.ready(20_000);
          const answer = await fetch(`http://127.0.0.1:${port}/ready`);
          ready = answer.ok ? ((await answer.json()) as { status: string }).status : `HTTP ${answer.status}`;
        } catch {
          ready = `exited ${gateway.child.exitCode}: ${gateway.output().slice(-600)}`;
        }
        gateway.child.kill('SIGTERM');
        await gateway.child;
        return { file, exit: checked.exitCode, output: checked.exitCode === 0 ? '' : `${checked.stdout}${checked.stderr}`, ready, warnings };
      } finally {
        await rm(home, { recursive: true, force: true });
      }
    });
    const failed = outcomes.filter((o) => o.exit !== 0 || !['ready', 'degraded'].includes(o.ready));
    expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
    const warnings = Object.fromEntries(outcomes.map((o) => [o.file, o.warnings]));
    await expect(`${JSON.stringify(warnings, null, 2)}\n`).toMatchFileSnapshot('./picoclaw-configs.warnings.json');
  }, 300_000);
});

describe('configs PicoClaw refused', () => {
  it('are refused here too (exit 78, with a message), except the documented leniencies', async () => {
    const dir = join(corpus, 'refused');
    for (const file of await fixtures(dir)) {
      const home = await homeFor(dir, file);
      const checked = await validate(home);
      await rm(home, { recursive: true, force: true });
      if (lenient.has(file)) expect(checked.exitCode, file).toBe(0);
      else {
        expect(checked.exitCode, `${file}: ${checked.stdout}`).toBe(78);
        expect(String(checked.stderr), file).toMatch(/config\.json/);
      }
    }
  }, 60_000);
});
