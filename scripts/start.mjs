#!/usr/bin/env node
// `pnpm start`: starts the product from the source tree.
// The launcher (http://localhost:18800, supervising the gateway) is started when its package
// exists; until then this runs the newest process that does, so the README's command stays true.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const candidates = [
  ['launcher', 'packages/launcher/src/cli.ts'],
  // Until the launcher exists: the gateway, allowed to start before a model is configured.
  ['gateway', 'packages/gateway/src/cli.ts', 'gateway', '--allow-empty'],
];
const [name, entry, ...args] = candidates.find(([, file]) => existsSync(join(root, file)));
console.error(`Starting ${name} (${entry})`);
const child = spawn(process.execPath, ['--import', 'tsx', join(root, entry), ...args, ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: root,
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
