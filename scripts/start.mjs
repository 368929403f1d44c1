#!/usr/bin/env node
// `pnpm start`: builds the bundles, then starts the product.
// The launcher (http://localhost:18800, supervising the gateway) is started when its package
// exists; until then the gateway runs alone (it starts before a model is configured too).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const candidates = [
  ['launcher', 'packages/launcher/dist/picoclaw-launcher.js'],
  ['gateway', 'packages/gateway/dist/picoclaw.js', 'gateway'],
];
const [name, entry, ...args] = candidates.find(([, file]) => existsSync(join(root, file)));
console.error(`Starting the ${name}`);
// The same flags and malloc setting as the launcher gives its gateway (runtimeNodeFlags and
// runtimeEnv in packages/core).
const heap = Number(process.env.PICOCLAW_MAX_HEAP_MB);
const flags = ['--max-semi-space-size=1', `--max-old-space-size=${Number.isInteger(heap) && heap >= 64 ? heap : 128}`, '--no-sparkplug'];
const env = { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX || '2' };
const child = spawn(process.execPath, [...flags, join(root, entry), ...args, ...process.argv.slice(2)], { stdio: 'inherit', cwd: root, env });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
