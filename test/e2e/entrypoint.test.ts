/**
 * docker/entrypoint.sh run directly with bash (no Docker engine here), against the built bundles
 * and a temporary home: first run, the homelab's unified-home pattern, gateway-only mode, signal
 * forwarding, a missing env file. Plus shellcheck on every shell script of the repository.
 */
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
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
    expect(running.output()).toMatch(/setup mode: open the dashboard at the address the launcher logs below and set a password/);
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

describe('docker/entrypoint.sh: the env file is data, not shell', () => {
  const secret = 'Ab$7x&Qp;w(z';
  const dump = ['node', '-e', 'console.log("ENV=" + JSON.stringify(Object.fromEntries(["S", "Q", "T", "H", "E", "X", "SPACED"].map((k) => [k, process.env[k]]))))'];

  it('takes 1Password-style secrets byte for byte: no expansion, no command, quotes kept, CRLF accepted', async () => {
    const file = join(home, 'env');
    const pwned = join(home, 'pwned');
    await writeFile(file, ['# from op inject', '', `S=${secret}`, 'Q="quoted"', `T=\`touch ${pwned}\``, 'H=$HOME/x', 'E=', 'export X=a=b', 'SPACED=  two  '].join('\r\n') + '\r\n');
    const result = await run(dump, { PICOCLAW_ENV_FILE: file }).child;
    expect(result.exitCode, result.all).toBe(0);
    const env = JSON.parse(/^ENV=(.*)$/m.exec(String(result.all))![1]!);
    expect(env).toEqual({ S: secret, Q: '"quoted"', T: `\`touch ${pwned}\``, H: '$HOME/x', E: '', X: 'a=b', SPACED: '  two  ' });
    await expect(readdir(home)).resolves.not.toContain('pwned');
    expect(result.all).toMatch(/the values of Q are in quotes, and the quotes are part of the value/);
    expect(String(result.all).replace(/^ENV=.*$/m, '')).not.toContain(secret); // the entrypoint's own lines
  });

  it('a line that is not KEY=VALUE stops with 78, naming the line but not its content', async () => {
    const file = join(home, 'env');
    await writeFile(file, `GOOD=1\nMISTRAL KEY=${secret}\n`);
    const result = await run(dump, { PICOCLAW_ENV_FILE: file }).child;
    expect(result.exitCode).toBe(78);
    expect(result.all).toMatch(/PICOCLAW_ENV_FILE .*env line 2 is not a KEY=VALUE line/);
    expect(result.all).not.toContain(secret);
    expect(result.all).not.toMatch(/^ENV=/m);
  });
});

describe('docker/entrypoint.sh health: one check for both modes, on the port really used', () => {
  it('launcher mode: the port from launcher-config.json (not PICOCLAW_LAUNCHER_PORT or 18800)', async () => {
    const dir = join(home, '.picoclaw');
    await mkdir(dir, { recursive: true });
    const [port, gatewayPort] = [await freePort(), await freePort()];
    await writeFile(join(dir, 'launcher-config.json'), JSON.stringify({ port }));
    const env = { PICOCLAW_RUN_DIR: home, PICOCLAW_GATEWAY_PORT: String(gatewayPort), PICOCLAW_LAUNCHER_HOST: '127.0.0.1' };
    const before = await run(['health'], env).child;
    expect(before.exitCode).toBe(1);
    expect(before.all).toMatch(new RegExp(`unhealthy: http://127\\.0\\.0\\.1:${port}/api/health`));
    running = run([], env);
    await running.waitFor(new RegExp(`dashboard on http://127\\.0\\.0\\.1:${port}`));
    expect(running.output()).not.toMatch(/port 18800/);
    const after = await run(['health'], env).child;
    expect(after.exitCode, after.all).toBe(0);
  });

  it('gateway-only mode: the gateway\'s own address from its PID file', async () => {
    const port = await freePort();
    const env = { PICOCLAW_RUN_DIR: home, PICOCLAW_GATEWAY_PORT: String(port) };
    running = run(['gateway', '--allow-empty'], env);
    await running.waitFor(/ready on http/);
    const result = await run(['health'], env).child;
    expect(result.exitCode, result.all).toBe(0);
    running.child.kill('SIGTERM');
    await running.child;
    running = undefined;
    const gone = await run(['health'], env).child;
    expect(gone.exitCode).toBe(1);
  });
});

describe('docker/entrypoint.sh: a home this user cannot write', () => {
  it('names the owner, the user and the fixes (chown 10001, :U, --user) with exit 78, not "read-only?"', async () => {
    await chmod(home, 0o755); // the temporary folder above it, which uid 10001 must traverse
    const dir = join(home, 'rootowned');
    await mkdir(dir, { mode: 0o755 });
    const result = await execa('setpriv', ['--reuid', '10001', '--regid', '10001', '--clear-groups', 'bash', entrypoint, 'gateway'], {
      reject: false,
      all: true,
      extendEnv: false,
      env: { PATH: process.env.PATH!, HOME: '/tmp', PICOCLAW_APP: root, PICOCLAW_HOME: join(dir, '.picoclaw') },
    });
    expect(result.exitCode).toBe(78);
    expect(result.all).toMatch(/cannot write to .*rootowned: it belongs to uid 0 and this container runs as uid 10001/);
    expect(result.all).toMatch(/chown -R 10001:10001 <host dir>.*:U.*--user 0/);
    expect(result.all).not.toMatch(/read-only\?/);
  });
});

describe('shell scripts', () => {
  it('pass shellcheck', async () => {
    const scripts = ['docker/entrypoint.sh', 'scripts/test.sh', 'scripts/container-test.sh', '.ci/run'];
    const result = await execa('shellcheck', ['--shell=bash', ...scripts.map((s) => join(root, s))], { reject: false });
    expect(result.exitCode, result.stdout).toBe(0);
  });
});
