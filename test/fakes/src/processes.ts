/**
 * Real processes for cross-process tests: the gateway bundle (built by the vitest global setup)
 * run as `picoclaw gateway`, with its output kept for assertions and a helper to wait until it is
 * ready.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';

const root = fileURLToPath(new URL('../../..', import.meta.url));

export interface GatewayProcess {
  child: ResultPromise<{ reject: false; all: true; env: NodeJS.ProcessEnv; extendEnv: false }>;
  output(): string;
  /** Resolves with the bound port once the gateway logged that it is ready. */
  ready(timeoutMs?: number): Promise<number>;
}

export function spawnGateway(options: { home: string; args?: string[]; env?: NodeJS.ProcessEnv }): GatewayProcess {
  const entry = `${root}/packages/gateway/dist/picoclaw.js`;
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`pnpm build\` first`);
  const child = execa(process.execPath, [entry, 'gateway', ...(options.args ?? ['--port', '0'])], {
    cwd: root,
    reject: false,
    all: true,
    extendEnv: false,
    env: { PATH: process.env.PATH, HOME: options.home, PICOCLAW_HOME: options.home, ...options.env },
  });
  let output = '';
  child.all?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return {
    child,
    output: () => output,
    ready: (timeoutMs = 15_000) =>
      new Promise<number>((resolve, reject) => {
        const started = Date.now();
        const check = setInterval(() => {
          const match = /ready on http:\/\/[^:]+:(\d+)/.exec(output);
          if (match) {
            clearInterval(check);
            resolve(Number(match[1]));
          } else if (child.exitCode !== null || Date.now() - started > timeoutMs) {
            clearInterval(check);
            reject(new Error(`gateway did not become ready (exit ${child.exitCode}):\n${output}`));
          }
        }, 25);
      }),
  };
}

export interface LauncherProcess {
  child: ResultPromise<{ reject: false; all: true; env: NodeJS.ProcessEnv; extendEnv: false }>;
  output(): string;
  /** Resolves with the dashboard port once the launcher listens. */
  listening(timeoutMs?: number): Promise<number>;
}

/** The launcher bundle as a real process; it spawns the gateway bundle itself. */
export function spawnLauncher(options: { home: string; gatewayPort: number; args?: string[]; env?: NodeJS.ProcessEnv }): LauncherProcess {
  const entry = `${root}/packages/launcher/dist/picoclaw-launcher.js`;
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`pnpm build\` first`);
  const child = execa(process.execPath, [entry, '--port', '0', ...(options.args ?? [])], {
    cwd: root,
    reject: false,
    all: true,
    extendEnv: false,
    env: { PATH: process.env.PATH, HOME: options.home, PICOCLAW_HOME: options.home, PICOCLAW_GATEWAY_PORT: String(options.gatewayPort), ...options.env },
  });
  let output = '';
  child.all?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return {
    child,
    output: () => output,
    listening: (timeoutMs = 15_000) =>
      new Promise<number>((resolve, reject) => {
        const started = Date.now();
        const check = setInterval(() => {
          const match = /dashboard on http:\/\/[^:]+:(\d+)/.exec(output);
          if (match) {
            clearInterval(check);
            resolve(Number(match[1]));
          } else if (child.exitCode !== null || Date.now() - started > timeoutMs) {
            clearInterval(check);
            reject(new Error(`launcher did not start (exit ${child.exitCode}):\n${output}`));
          }
        }, 25);
      }),
  };
}
