/**
 * The container scenarios of scripts/container-test.sh, run against the image it built
 * (PICOCLAW_IMAGE, default localhost/picoclaw-ts:latest) with real podman, the host network,
 * the fake model server and a real mosquitto on this machine. One line per scenario:
 * `ok N …` or `FAIL N …: why`; exit status 1 when any failed. Run by the script, not by vitest
 * directly: `node --import tsx test/e2e/container/scenarios.ts [N …]`.
 */
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startFakeLlm, startMosquitto, type FakeLlm } from '@picoclaw/test-fakes';
import { execa } from 'execa';
import mqtt from 'mqtt';
import WebSocket from 'ws';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const IMAGE = process.env.PICOCLAW_IMAGE ?? 'localhost/picoclaw-ts:latest';
const run = `pct${process.pid}`;
const UID = 10001;
const cleanups: (() => Promise<unknown>)[] = [];
export const figures: Record<string, number> = {};

function podman(args: string[], timeout = 120_000) {
  return execa('podman', args, { reject: false, all: true, timeout });
}
async function must(args: string[]) {
  const result = await podman(args);
  if (result.exitCode !== 0) throw new Error(`podman ${args.slice(0, 3).join(' ')} … failed (${result.exitCode}): ${String(result.all).slice(-800)}`);
  return String(result.stdout).trim();
}
function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Error(what);
}
async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 45_000, logsOf?: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > end) {
      const logs = logsOf ? String((await podman(['logs', logsOf])).all).slice(-1500) : '';
      throw new Error(`timed out waiting for ${what}${logs ? `; the container's last output:\n${logs}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
const logs = async (name: string) => String((await podman(['logs', name])).all);
const waitLog = (name: string, pattern: RegExp, ms?: number) => waitFor(`${pattern} in the logs of ${name}`, async () => pattern.test(await logs(name)), ms, name);

/** A container started detached with the host network; removed at the end. */
async function start(name: string, args: string[], command: string[] = []) {
  const full = `${run}-${name}`;
  cleanups.push(() => podman(['rm', '-f', '-t', '0', full]));
  await must(['run', '-d', '--name', full, '--network', 'host', ...args, IMAGE, ...command]);
  return full;
}
async function hostDir(name: string) {
  const dir = await mkdtemp(join(tmpdir(), `${run}-${name}-`));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
function volume(name: string) {
  const full = `${run}-${name}`;
  cleanups.push(() => podman(['volume', 'rm', '-f', full]));
  return full;
}

let llmServer: FakeLlm | undefined;
async function llm() {
  llmServer ??= await startFakeLlm([], { echo: true });
  cleanups.push(async () => {
    await llmServer?.close();
    llmServer = undefined;
  });
  return llmServer;
}
const modelConfig = (url: string, key: string) => ({
  agents: { defaults: { model_name: 'mistral-small' } },
  model_list: [{ model_name: 'mistral-small', model: 'mistral/mistral-small-latest', api_base: `${url}/v1`, api_keys: [key] }],
});

/** Logs in with the token link; returns the session cookie. */
async function tokenLogin(base: string, token: string) {
  const response = await fetch(`${base}/?token=${encodeURIComponent(token)}`, { redirect: 'manual' });
  check(response.status === 303, `/?token= answered ${response.status}, not 303`);
  const location = response.headers.get('location') ?? '';
  check(!location.includes('token'), `the redirect keeps the token: ${location}`);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0]!;
  check(cookie, '/?token= set no cookie');
  return cookie;
}
async function gatewayRunning(base: string, cookie: string, name: string) {
  await waitFor('the gateway running', async () => {
    const s = (await (await fetch(`${base}/api/gateway/status`, { headers: { cookie } })).json()) as { process: { state: string } };
    return s.process.state === 'running';
  }, 45_000, name);
}
async function chat(base: string, cookie: string, text: string, session: string) {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/pico/ws?session_id=${session}`, { headers: { cookie, origin: base } });
  const frames: { type: string; payload?: Record<string, unknown> }[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(JSON.stringify({ type: 'message.send', payload: { content: text } }));
  await waitFor('the chat answer', async () => frames.some((f) => f.type === 'typing.stop'), 30_000);
  ws.close();
  const answer = frames.filter((f) => f.type === 'message.update' || f.type === 'message.create').at(-1)?.payload?.content;
  check(answer === `you said: ${text}`, `chat answered ${JSON.stringify(answer)}`);
}
async function healthy(name: string) {
  const result = await podman(['healthcheck', 'run', name]);
  check(result.exitCode === 0, `podman healthcheck run ${name}: exit ${result.exitCode} ${String(result.all).slice(-300)}`);
}

const scenarios: [number, string, () => Promise<string>][] = [
  [1, 'first run with an empty volume: setup mode, setup code on the public bind, non-root', async () => {
    const [port, gatewayPort] = [await freePort(), await freePort()];
    const began = Date.now();
    const name = await start('first', ['-e', `PICOCLAW_LAUNCHER_PORT=${port}`, '-e', `PICOCLAW_GATEWAY_PORT=${gatewayPort}`, '-v', `${volume('first')}:/root/.picoclaw`]);
    const base = `http://127.0.0.1:${port}`;
    await waitFor('the dashboard', async () => (await fetch(`${base}/api/health`)).ok, 45_000, name);
    figures.dashboardMs = Date.now() - began;
    await waitLog(name, /gateway ready/);
    figures.gatewayReadyMs = Date.now() - began;
    const out = await logs(name);
    check(/first run: no config\.json/.test(out) && /setup mode/.test(out), 'no first-run / setup-mode lines');
    check(/setup code/i.test(out), 'no setup code in the log on a public bind');
    check(((await (await fetch(`${base}/api/auth/status`)).json()) as { setup_required: boolean }).setup_required, 'setup not required');
    const refused = await fetch(`${base}/api/auth/setup`, { method: 'POST', headers: { 'content-type': 'application/json', origin: base }, body: JSON.stringify({ password: 'correct horse battery' }) });
    check(refused.status >= 400, `a password without the setup code was accepted (${refused.status})`);
    check((await must(['exec', name, 'id', '-u'])) === String(UID), 'not running as uid 10001');
    return `dashboard ${figures.dashboardMs} ms, gateway ready ${figures.gatewayReadyMs} ms after podman run; uid ${UID}`;
  }],

  [2, 'unified home + token + host network: login, /?token= 303, gateway, chat; config.json untouched; health on launcher-config.json\'s port', async () => {
    const model = await llm();
    const [port, gatewayPort] = [await freePort(), await freePort()];
    const dir = await hostDir('home');
    await mkdir(join(dir, 'workspace'));
    // As config management writes it: short, the key inline (what the launcher used to move out).
    const configText = `${JSON.stringify(modelConfig(model.url, 'mk-scenario-2'))}\n`;
    await writeFile(join(dir, 'config.json'), configText);
    await writeFile(join(dir, 'launcher-config.json'), JSON.stringify({ port, password_hash: 'scrypt$32768$8$1$c2FsdA==$aGFzaA==' }));
    const token = 'homelab-token-2-abcdefghijkl';
    const name = await start('home', ['-e', `PICOCLAW_LAUNCHER_TOKEN=${token}`, '-e', `PICOCLAW_GATEWAY_PORT=${gatewayPort}`, '-v', `${dir}:/root/.picoclaw:U`]);
    const base = `http://127.0.0.1:${port}`;
    await waitFor('the dashboard on launcher-config.json\'s port', async () => (await fetch(`${base}/api/health`)).ok, 45_000, name);
    const out = await logs(name);
    check(/setup is skipped/.test(out) && !/setup mode/.test(out), 'setup not skipped');
    const status = (await (await fetch(`${base}/api/auth/status`)).json()) as { setup_required: boolean };
    check(!status.setup_required, 'setup required with a password and a token');
    check((await fetch(`${base}/`, { redirect: 'manual' })).headers.get('location') === '/launcher-login', 'no login page');
    const cookie = await tokenLogin(base, token);
    await gatewayRunning(base, cookie, name);
    await chat(base, cookie, 'hello from the homelab', 'ct2');
    check(model.requests.at(-1)?.authorization === 'Bearer mk-scenario-2', 'the model got another key');
    check((await readFile(join(dir, 'config.json'), 'utf8')) === configText, 'config.json was rewritten');
    check(!(await readdir(dir)).includes('.security.yml'), '.security.yml was written');
    await healthy(name);
    return `port ${port} from launcher-config.json, healthy; config.json byte for byte as written`;
  }],

  [3, 'secrets from an env file (literal, CRLF), a template rendered at start; bad line and missing file stop with 78', async () => {
    const model = await llm();
    const [port, gatewayPort] = [await freePort(), await freePort()];
    const dir = await hostDir('secrets');
    const secret = 'Ab$7x&Qp;w(z';
    const token = 'token-3-$(id)-`id`';
    const envFile = join(dir, 'env');
    await writeFile(envFile, [`# from op inject`, `MISTRAL_API_KEY=${secret}`, `PICOCLAW_LAUNCHER_TOKEN=${token}`, 'QUOTED="kept"', 'TICK=`touch /tmp/pwned`', ''].join('\r\n'), { mode: 0o600 });
    await chown(envFile, UID, UID);
    const template = join(dir, 'config.template.json');
    await writeFile(template, JSON.stringify(modelConfig(model.url, '${MISTRAL_API_KEY}')));
    await chmod(template, 0o644);
    const mounts = ['-v', `${envFile}:/run/picoclaw/env:ro`, '-e', 'PICOCLAW_ENV_FILE=/run/picoclaw/env', '-v', `${template}:/etc/picoclaw/config.template.json:ro`];
    const name = await start('secrets', [...mounts, '-e', 'PICOCLAW_RENDER_TEMPLATE=/etc/picoclaw/config.template.json', '-e', `PICOCLAW_LAUNCHER_PORT=${port}`, '-e', `PICOCLAW_GATEWAY_PORT=${gatewayPort}`, '-v', `${volume('secrets')}:/root/.picoclaw`]);
    const base = `http://127.0.0.1:${port}`;
    await waitFor('the dashboard', async () => (await fetch(`${base}/api/health`)).ok, 45_000, name);
    const cookie = await tokenLogin(base, token);
    await gatewayRunning(base, cookie, name);
    await chat(base, cookie, 'hello with a 1Password secret', 'ct3');
    check(model.requests.at(-1)?.authorization === `Bearer ${secret}`, `the model got ${JSON.stringify(model.requests.at(-1)?.authorization)}, not the secret byte for byte`);
    const environ = (await must(['exec', name, 'cat', '/proc/1/environ'])).split('\0');
    check(environ.includes('QUOTED="kept"') && environ.includes('TICK=`touch /tmp/pwned`'), 'quotes or backticks not kept literally');
    check((await podman(['exec', name, 'test', '-e', '/tmp/pwned'])).exitCode !== 0, 'a backtick value ran a command');
    const out = await logs(name);
    check(!out.includes(secret) && /QUOTED are in quotes/.test(out), 'the secret is logged, or no warning about quoted values');

    await writeFile(envFile, `GOOD=1\nthis line is not an assignment ${secret}\n`);
    const bad = await podman(['run', '--rm', '--network', 'host', ...mounts, IMAGE]);
    check(bad.exitCode === 78, `a bad env file line: exit ${bad.exitCode}, not 78`);
    check(/line 2 is not a KEY=VALUE line/.test(String(bad.all)) && !String(bad.all).includes(secret), `bad line not named, or its content shown: ${String(bad.all).slice(-300)}`);
    const missing = await podman(['run', '--rm', '--network', 'host', '-e', 'PICOCLAW_ENV_FILE=/run/picoclaw/env', IMAGE]);
    check(missing.exitCode === 78 && /PICOCLAW_ENV_FILE is set but \/run\/picoclaw\/env does not exist/.test(String(missing.all)), `missing env file: exit ${missing.exitCode}`);
    return 'secret reached the model byte for byte; quotes/backticks literal, nothing run; bad line → 78 (line 2), missing file → 78';
  }],

  [4, 'gateway-only headless mode, MQTT quick start from the environment against mosquitto on the host; healthy', async () => {
    const model = await llm();
    const broker = await startMosquitto();
    cleanups.push(() => broker.close());
    const gatewayPort = await freePort();
    const dir = await hostDir('gateway');
    await writeFile(join(dir, 'config.json'), JSON.stringify(modelConfig(model.url, 'mk-scenario-4')));
    const name = await start('gateway', ['-e', `PICOCLAW_GATEWAY_PORT=${gatewayPort}`, '-e', 'PICOCLAW_CHANNELS_MQTT_ENABLED=true', '-e', `PICOCLAW_CHANNELS_MQTT_BROKER=tcp://127.0.0.1:${broker.port}`, '-e', 'PICOCLAW_CHANNELS_MQTT_AGENT_ID=assistant', '-v', `${dir}:/root/.picoclaw:U`], ['gateway']);
    await waitLog(name, /ready on http/);
    check(/gateway-only mode/.test(await logs(name)), 'no gateway-only line');
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0 });
    try {
      const answers: string[] = [];
      client.on('message', (_topic, payload) => answers.push(payload.toString()));
      await client.subscribeAsync('/picoclaw/assistant/kitchen/response');
      // QoS 0: a request sent before the gateway has subscribed is lost, so ask until answered.
      let last = 0;
      await waitFor('the MQTT answer', async () => {
        if (answers.some((a) => JSON.parse(a).text === 'you said: lights?')) return true;
        if (Date.now() - last > 2_000) {
          last = Date.now();
          await client.publishAsync('/picoclaw/assistant/kitchen/request', JSON.stringify({ text: 'lights?' }));
        }
        return false;
      }, 30_000, name);
    } finally {
      await client.endAsync();
    }
    await healthy(name);
    return `answered on /picoclaw/assistant/kitchen/response; health check on the gateway's port ${gatewayPort}`;
  }],

  [5, 'HEALTHCHECK kept (--format docker), podman stop within the grace time, sessions kept across a restart, non-root home ownership', async () => {
    const health = await must(['image', 'inspect', '--format', '{{json .Config.Healthcheck}}', IMAGE]);
    check(/picoclaw-entrypoint.*health/.test(health), `no HEALTHCHECK in the image (built in OCI format?): ${health}`);
    await llm();
    const [port, gatewayPort] = [await freePort(), await freePort()];
    const token = 'homelab-token-5-abcdefghijkl';
    // A named volume holding a config.json, given to the image's uid as the docs say.
    const vol = volume('restart');
    await must(['volume', 'create', vol]);
    const mountpoint = await must(['volume', 'inspect', '--format', '{{.Mountpoint}}', vol]);
    await writeFile(join(mountpoint, 'config.json'), JSON.stringify(modelConfig(llmServer!.url, 'mk-5')));
    await execa('chown', ['-R', `${UID}:${UID}`, mountpoint]);
    const name = await start('restart', ['-e', `PICOCLAW_LAUNCHER_TOKEN=${token}`, '-e', `PICOCLAW_LAUNCHER_PORT=${port}`, '-e', `PICOCLAW_GATEWAY_PORT=${gatewayPort}`, '-v', `${vol}:/root/.picoclaw`]);
    const base = `http://127.0.0.1:${port}`;
    await waitFor('the dashboard', async () => (await fetch(`${base}/api/health`)).ok, 45_000, name);
    let cookie = await tokenLogin(base, token);
    await gatewayRunning(base, cookie, name);
    await healthy(name);
    await chat(base, cookie, 'remember this conversation', 'ct5');
    const began = Date.now();
    await must(['stop', '-t', '20', name]);
    figures.stopMs = Date.now() - began;
    check(figures.stopMs < 15_000, `podman stop took ${figures.stopMs} ms (SIGKILL after the grace time?)`);
    const exit = await must(['inspect', '--format', '{{.State.ExitCode}}', name]);
    check(exit === '0', `exit code ${exit} after podman stop`);
    check(/SIGTERM received/.test(await logs(name)), 'the launcher did not get SIGTERM');
    await must(['start', name]);
    await waitFor('the dashboard again', async () => (await fetch(`${base}/api/health`)).ok, 45_000, name);
    cookie = await tokenLogin(base, token);
    await gatewayRunning(base, cookie, name);
    const sessions = JSON.stringify(await (await fetch(`${base}/api/sessions`, { headers: { cookie } })).json());
    check(sessions.includes('ct5'), `the session is gone after a restart: ${sessions.slice(0, 300)}`);

    // Non-root: a root-owned host directory is explained (exit 78), and works once given to 10001.
    const owned = await hostDir('root-owned');
    await chmod(owned, 0o755);
    const refused = await podman(['run', '--rm', '--network', 'host', '-v', `${owned}:/root/.picoclaw`, IMAGE, 'gateway']);
    check(refused.exitCode === 78, `root-owned home: exit ${refused.exitCode}, not 78`);
    check(/belongs to uid 0 and this container runs as uid 10001/.test(String(refused.all)) && /chown -R 10001:10001/.test(String(refused.all)) && /:U/.test(String(refused.all)), `unclear message: ${String(refused.all).slice(-400)}`);
    await chown(owned, UID, UID);
    const fixed = await start('chowned', ['-e', `PICOCLAW_GATEWAY_PORT=${await freePort()}`, '-v', `${owned}:/root/.picoclaw`], ['gateway', '--allow-empty']);
    await waitLog(fixed, /ready on http/);
    return `stop in ${figures.stopMs} ms with exit 0; session kept; root-owned home → 78 with the chown / :U fix, works after chown 10001`;
  }],

  [6, 'quadlet generator (-dryrun) and systemd-analyze verify of the units', async () => {
    const dir = await hostDir('units');
    const notes: string[] = [];
    const quadlet = process.env.PICOCLAW_QUADLET;
    if (quadlet) {
      await mkdir(join(dir, 'quadlet'));
      await writeFile(join(dir, 'quadlet', 'picoclaw.container'), await readFile(join(root, 'docker/quadlet/picoclaw.container')));
      const generated = await execa(quadlet, ['-dryrun'], { env: { QUADLET_UNIT_DIRS: join(dir, 'quadlet') }, reject: false, all: true });
      check(generated.exitCode === 0, `quadlet -dryrun failed: ${String(generated.all).slice(-500)}`);
      const unit = String(generated.stdout);
      for (const expected of ['--health-cmd "/usr/local/bin/picoclaw-entrypoint health"', '/root/.picoclaw:Z,U', 'RestartPreventExitStatus=78', '--env PICOCLAW_ENV_FILE=/run/picoclaw/env']) {
        check(unit.includes(expected), `the generated unit lacks ${expected}`);
      }
      await mkdir(join(dir, 'quadlet-out'));
      await writeFile(join(dir, 'quadlet-out', 'picoclaw.service'), unit.replace(/^---picoclaw\.service---\n/, '').replace(/^\[X-Container\][\s\S]*?(?=^\[Service\])/m, ''));
      await writeFile(join(dir, 'quadlet-out', 'picoclaw-secrets.service'), await readFile(join(root, 'docker/quadlet/picoclaw-secrets.service')));
      await verify(join(dir, 'quadlet-out'), 'picoclaw.service', 'picoclaw-secrets.service');
      notes.push(`quadlet ${process.env.PICOCLAW_QUADLET_VERSION ?? ''} -dryrun + verify`.replace('  ', ' '));
    } else notes.push(`quadlet not checked: ${process.env.PICOCLAW_QUADLET_SKIPPED ?? 'no quadlet generator here'}`);
    await mkdir(join(dir, 'podman'));
    await writeFile(join(dir, 'podman', 'picoclaw.service'), await readFile(join(root, 'docker/systemd/picoclaw-podman.service')));
    await writeFile(join(dir, 'podman', 'picoclaw-secrets.service'), await readFile(join(root, 'docker/quadlet/picoclaw-secrets.service')));
    await verify(join(dir, 'podman'), 'picoclaw.service', 'picoclaw-secrets.service');
    await mkdir(join(dir, 'plain'));
    // The unit without containers, with its ExecStart pointed at this checkout (verify wants it to exist).
    const plain = (await readFile(join(root, 'docker/systemd/picoclaw.service'), 'utf8')).replace('/opt/picoclaw/docker/entrypoint.sh', join(root, 'docker/entrypoint.sh'));
    await writeFile(join(dir, 'plain', 'picoclaw.service'), plain);
    await verify(join(dir, 'plain'), 'picoclaw.service');
    notes.push('systemd-analyze verify: picoclaw-podman.service, picoclaw-secrets.service, picoclaw.service');
    return notes.join('; ');
  }],

  [7, 'no secrets in the build context: docker/picoclaw.env and .env files stay out of the build stage', async () => {
    // The build stage (COPY . . is there) as scripts/container-test.sh tagged it, or built here.
    let stage = process.env.PICOCLAW_BUILD_STAGE_IMAGE;
    if (!stage) {
      stage = `${run}-build-stage`;
      const built = await podman(['build', '--format', 'docker', '--network', 'host', '--target', 'build', '-t', stage, '-f', 'docker/Dockerfile', '.'], 300_000);
      cleanups.push(() => podman(['rmi', '-f', `${run}-build-stage`]));
      check(built.exitCode === 0, `build stage failed: ${String(built.all).slice(-500)}`);
    }
    const listed = await must(['run', '--rm', '--network', 'host', '--entrypoint', 'sh', stage, '-c', 'ls -a /src/docker; find /src -name "*.env" -o -name ".env" -o -name ".security.yml" | grep -v node_modules || true']);
    check(!/picoclaw\.env|\.env\b|\.security\.yml/.test(listed.replace(/entrypoint\.sh/g, '')), `secrets in the build stage: ${listed}`);
    return 'docker/picoclaw.env (present at build time) is not in /src';
  }],
];

async function verify(dir: string, ...units: string[]) {
  const result = await execa('systemd-analyze', ['verify', '--man=no', ...units.map((u) => join(dir, u))], { reject: false, all: true, cwd: dir });
  // Complaints about the host's own units (this machine boots no systemd) are not about ours.
  const ours = String(result.all).split('\n').filter((l) => l.trim() && units.some((u) => l.includes(u)));
  check(result.exitCode === 0 && ours.length === 0, `systemd-analyze verify ${units.join(' ')}: ${String(result.all).slice(-600)}`);
}

async function main() {
  process.chdir(root);
  const only = process.argv.slice(2).map(Number).filter(Boolean);
  let failed = 0;
  for (const [n, title, body] of scenarios) {
    if (only.length && !only.includes(n)) continue;
    const began = Date.now();
    try {
      const detail = await body();
      console.log(`ok ${n} ${title} — ${detail} (${((Date.now() - began) / 1000).toFixed(1)} s)`);
    } catch (error) {
      failed++;
      console.log(`FAIL ${n} ${title}: ${(error as Error).message.replace(/\n/g, '\n    ')}`);
    } finally {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
    }
  }
  if (Object.keys(figures).length) console.log(`figures ${JSON.stringify(figures)}`);
  process.exit(failed ? 1 : 0);
}

await main();
