/**
 * docker/entrypoint.sh run directly with bash (no Docker engine here), against the built bundles
 * and a temporary home: first run, the homelab's unified-home pattern, gateway-only mode, signal
 * forwarding, a missing env file. Plus shellcheck on every shell script of the repository.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@picoclaw/test-fakes';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const entrypoint = join(root, 'docker/entrypoint.sh');
let home: string;
let running: ReturnType<typeof run> | undefined;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'picoclaw-entry-'));
});
afterEach(async () => {
  running?.child.kill('SIGKILL');
  await running?.child;
  running = undefined;
  await rm(home, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string> = {}) {
  const child = execa('bash', [entrypoint, ...args], {
    reject: false,
    all: true,
    extendEnv: false,
    env: { PATH: process.env.PATH!, HOME: home, PICOCLAW_APP: root, PICOCLAW_HOME: join(home, '.picoclaw'), ...env },
  });
  let output = '';
  child.all?.on('data', (c: Buffer) => (output += c.toString()));
  return {
    child,
    output: () => output,
    async waitFor(pattern: RegExp, ms = 15_000) {
      const end = Date.now() + ms;
      while (!pattern.test(output)) {
        if (Date.now() > end || child.exitCode !== null) throw new Error(`no ${pattern} in:\n${output}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      return pattern.exec(output)!;
    },
  };
}

describe('docker/entrypoint.sh', () => {
  it('first run: creates the home skeleton and starts the launcher in setup mode; SIGTERM reaches it', async () => {
    const [port, gatewayPort] = [await freePort(), await freePort()];
    running = run([], { PICOCLAW_LAUNCHER_PORT: String(port), PICOCLAW_GATEWAY_PORT: String(gatewayPort), PICOCLAW_LAUNCHER_HOST: '127.0.0.1' });
    await running.waitFor(/dashboard on http/);
    expect(running.output()).toMatch(/first run: no config\.json in .*\.picoclaw/);
    expect(running.output()).toMatch(/setup mode: open the dashboard on port \d+ and set a password/);
    expect((await readdir(join(home, '.picoclaw'))).sort()).toEqual(expect.arrayContaining(['logs', 'workspace']));
    expect(await (await fetch(`http://127.0.0.1:${port}/api/auth/status`)).json()).toMatchObject({ setup_required: true });
    await running.waitFor(/gateway ready/);
    // exec: the signal goes straight to the launcher, which stops the gateway and exits 0.
    running.child.kill('SIGTERM');
    const result = await running.child;
    expect(result.exitCode).toBe(0);
    expect(running.output()).toMatch(/SIGTERM received/);
  });

  it('unified home: a pre-generated config.json + launcher-config.json + workspace skip setup', async () => {
    const dir = join(home, '.picoclaw');
    await mkdir(join(dir, 'workspace'), { recursive: true });
    await writeFile(join(dir, 'config.json'), JSON.stringify({ agents: { defaults: { model_name: 'm' } }, model_list: [{ model_name: 'm', model: 'groq/x', api_base: 'http://127.0.0.1:9/v1' }] }));
    await writeFile(join(dir, 'launcher-config.json'), JSON.stringify({ password_hash: 'scrypt$32768$8$1$c2FsdA==$aGFzaA==' }));
    const [port, gatewayPort] = [await freePort(), await freePort()];
    running = run([], { PICOCLAW_LAUNCHER_PORT: String(port), PICOCLAW_GATEWAY_PORT: String(gatewayPort), PICOCLAW_LAUNCHER_HOST: '127.0.0.1', PICOCLAW_LAUNCHER_TOKEN: 'homelab-token-1234567890' });
    await running.waitFor(/dashboard on http/);
    expect(running.output()).toMatch(/using the configuration in .*\.picoclaw \(config\.json \+ launcher-config\.json\); setup is skipped/);
    expect(running.output()).not.toMatch(/setup mode/);
    expect(await (await fetch(`http://127.0.0.1:${port}/api/auth/status`)).json()).toMatchObject({ setup_required: false, password_set: true, token_configured: true });
  });

  it('gateway argument: the gateway alone, headless', async () => {
    const port = await freePort();
    running = run(['gateway', '--allow-empty'], { PICOCLAW_GATEWAY_PORT: String(port) });
    await running.waitFor(/ready on http/);
    expect(running.output()).toMatch(/gateway-only mode/);
    expect(await (await fetch(`http://127.0.0.1:${port}/health`)).json()).toMatchObject({ status: 'ok' });
    running.child.kill('SIGINT');
    expect((await running.child).exitCode).toBe(0);
  });

  it('loads secrets from PICOCLAW_ENV_FILE, and stops clearly when that file is missing', async () => {
    const missing = await run([], { PICOCLAW_ENV_FILE: join(home, 'nope.env') }).child;
    expect(missing.exitCode).toBe(78);
    expect(missing.all).toMatch(/PICOCLAW_ENV_FILE is set but .*nope\.env does not exist or is not readable/);
    await writeFile(join(home, 'env'), 'PICOCLAW_CHANNELS_MQTT_AGENT_ID=from-env-file\n');
    const shown = await run(['bash', '-c', 'echo "agent=$PICOCLAW_CHANNELS_MQTT_AGENT_ID"'], { PICOCLAW_ENV_FILE: join(home, 'env') }).child;
    expect(shown.all).toMatch(/secrets loaded from .*env/);
    expect(shown.all).toMatch(/agent=from-env-file/);
  });
});

describe('shell scripts', () => {
  it('pass shellcheck', async () => {
    const scripts = ['docker/entrypoint.sh', 'scripts/test.sh', '.ci/run'];
    const result = await execa('shellcheck', ['--shell=bash', ...scripts.map((s) => join(root, s))], { reject: false });
    expect(result.exitCode, result.stdout).toBe(0);
  });
});
