/**
 * Real processes for cross-process tests: the gateway bundle (built by the vitest global setup)
 * run as `picoclaw gateway`, with its output kept for assertions and a helper to wait until it is
 * ready.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';

const root = fileURLToPath(new URL('../../..', import.meta.url));

type Child = ResultPromise<{ reject: false; all: true; env: NodeJS.ProcessEnv; extendEnv: false }>;

/** A bundle run with node, its output kept, and a wait for the log line that carries its port. */
function spawnBundle(bundle: string, args: string[], env: NodeJS.ProcessEnv, portLine: RegExp) {
  const entry = `${root}/${bundle}`;
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`pnpm build\` first`);
  const child: Child = execa(process.execPath, [entry, ...args], { cwd: root, reject: false, all: true, extendEnv: false, env: { PATH: process.env.PATH, ...env } });
  let output = '';
  child.all?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const port = (timeoutMs = 15_000) =>
    new Promise<number>((resolve, reject) => {
      const started = Date.now();
      const check = setInterval(() => {
        const match = portLine.exec(output);
        if (match) {
          clearInterval(check);
          resolve(Number(match[1]));
        } else if (child.exitCode !== null || Date.now() - started > timeoutMs) {
          clearInterval(check);
          reject(new Error(`${bundle} did not start (exit ${child.exitCode}):\n${output}`));
        }
      }, 25);
    });
  return { child, output: () => output, port };
}

export interface GatewayProcess {
  child: Child;
  output(): string;
  /** Resolves with the bound port once the gateway logged that it is ready. */
  ready(timeoutMs?: number): Promise<number>;
}

export function spawnGateway(options: { home: string; args?: string[]; env?: NodeJS.ProcessEnv }): GatewayProcess {
  const { child, output, port } = spawnBundle('packages/gateway/dist/picoclaw.js', ['gateway', ...(options.args ?? ['--port', '0'])], { HOME: options.home, PICOCLAW_HOME: options.home, ...options.env }, /ready on http:\/\/[^:]+:(\d+)/);
  return { child, output, ready: port };
}

export interface LauncherProcess {
  child: Child;
  output(): string;
  /** Resolves with the dashboard port once the launcher listens. */
  listening(timeoutMs?: number): Promise<number>;
}

/**
 * The launcher bundle as a real process; it spawns the gateway bundle itself. `gatewayPort` is
 * passed as PICOCLAW_GATEWAY_PORT; `null` leaves it unset, so config.json's gateway.port decides.
 */
export function spawnLauncher(options: { home: string; gatewayPort: number | null; args?: string[]; env?: NodeJS.ProcessEnv }): LauncherProcess {
  const { child, output, port } = spawnBundle(
    'packages/launcher/dist/picoclaw-launcher.js',
    ['--port', '0', ...(options.args ?? [])],
    { HOME: options.home, PICOCLAW_HOME: options.home, ...(options.gatewayPort === null ? {} : { PICOCLAW_GATEWAY_PORT: String(options.gatewayPort) }), ...options.env },
    /dashboard on http:\/\/[^:]+:(\d+)/,
  );
  return { child, output, listening: port };
}
