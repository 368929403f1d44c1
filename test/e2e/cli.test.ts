/** `picoclaw config|models|mcp|status` from the gateway bundle, against fakes. */
import { chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnGateway, startFakeHomeAssistant, startFakeLlm, type FakeHomeAssistant, type FakeLlm, type GatewayProcess } from '@picoclaw/test-fakes';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const bundle = fileURLToPath(new URL('../../packages/gateway/dist/picoclaw.js', import.meta.url));
let home: string;
let llm: FakeLlm;
let ha: FakeHomeAssistant;
let gateway: GatewayProcess | undefined;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'picoclaw-cli-'));
  llm = await startFakeLlm([{ text: ['pong'] }, { status: 401, body: { message: 'invalid key' } }]);
  ha = await startFakeHomeAssistant();
  await writeFile(join(home, 'config.json'), JSON.stringify({
    agents: { defaults: { model_name: 'mistral-small' } },
    model_list: [{ model_name: 'mistral-small', model: 'groq/llama', api_base: llm.url, api_keys: ['[NOT_HERE]'] }],
    channel_list: { pico: { enabled: true, type: 'pico', settings: { token: '[NOT_HERE]' } } },
    tools: { mcp: { enabled: true, servers: { homeassistant: { type: 'http', url: ha.url, headers: { Authorization: '[NOT_HERE]' } } } } },
  }));
  await writeFile(join(home, '.security.yml'), `model_list:\n  mistral-small:\n    api_keys: ["cli-secret-key"]\nchannel_list:\n  pico:\n    settings: { token: "cli-pico-token" }\ntools:\n  mcp:\n    servers:\n      homeassistant:\n        headers: { Authorization: "Bearer ${ha.token}" }\n`);
});
afterEach(async () => {
  gateway?.child.kill('SIGTERM');
  await gateway?.child;
  gateway = undefined;
  await Promise.all([llm.close(), ha.close()]);
  await rm(home, { recursive: true, force: true });
});

const picoclaw = (...args: string[]) => execa(process.execPath, [bundle, ...args], { reject: false, env: { PATH: process.env.PATH, HOME: home, PICOCLAW_HOME: home }, extendEnv: false });

/** A program in a real terminal (tmux), read back from the screen. */
async function startTmux(command: string) {
  const session = `picoclaw-test-${process.pid}-${Date.now()}`;
  await execa('tmux', ['new-session', '-d', '-s', session, '-x', '120', '-y', '30', command]);
  const screen = async () => (await execa('tmux', ['capture-pane', '-p', '-t', session], { reject: false })).stdout;
  return {
    screen,
    async waitFor(pattern: RegExp, ms = 10_000) {
      const end = Date.now() + ms;
      while (!pattern.test(await screen())) {
        if (Date.now() > end) throw new Error(`no ${pattern} on the screen:\n${await screen()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    /** The screen with its colours as escape sequences. */
    styled: async () => (await execa('tmux', ['capture-pane', '-p', '-e', '-t', session], { reject: false })).stdout,
    keys: (...k: string[]) => execa('tmux', ['send-keys', '-t', session, ...k]),
    /** Whether the program is still running. */
    alive: async () => (await execa('tmux', ['has-session', '-t', session], { reject: false })).exitCode === 0,
    close: () => execa('tmux', ['kill-session', '-t', session], { reject: false }),
  };
}

const terminalEnv = (dir: string) => `env -i PATH="${process.env.PATH}" HOME="${dir}" PICOCLAW_HOME="${dir}" TERM=xterm`;

describe('picoclaw CLI', () => {
  it('config path, validate and show (secrets redacted)', async () => {
    expect((await picoclaw('config', 'path')).stdout).toBe(join(home, 'config.json'));
    const valid = await picoclaw('config', 'validate');
    expect(valid.exitCode).toBe(0);
    expect(valid.stdout).toMatch(/config\.json: valid/);
    const shown = await picoclaw('config', 'show');
    expect(JSON.parse(shown.stdout).model_list[0].api_keys).toEqual(['[NOT_HERE]']);
    expect(shown.stdout).not.toMatch(/cli-secret-key|cli-pico-token/);
    await writeFile(join(home, 'config.json'), '{"gateway": {"port": "x"}}');
    const invalid = await picoclaw('config', 'validate');
    expect(invalid.exitCode).toBe(78);
    expect(invalid.stderr).toMatch(/gateway\.port \(config\.json:1:14\): expected number, got string/);
  });

  it('config validate and gateway agree on a config without a usable model: valid with a warning; the gateway runs, degraded, and says the same', async () => {
    const config = JSON.parse(await readFile(join(home, 'config.json'), 'utf8')) as { agents: { defaults: { model_name: string } }; model_list: { enabled?: boolean }[]; tools: { mcp: { enabled: boolean } } };
    config.tools.mcp.enabled = false; // an MCP server still connecting would add its own reason
    const pid = join(home, '.picoclaw.pid');
    const check = async (what: string) => {
      const validated = await picoclaw('config', 'validate');
      expect(validated.exitCode).toBe(0);
      expect(validated.stdout).toMatch(/config\.json: valid/);
      expect(validated.stdout).toContain(`warning: ${what}`);
      // No --allow-empty: the gateway starts, ready but degraded, and its /ready and status say why.
      gateway = spawnGateway({ home });
      const port = await gateway.ready();
      expect(gateway.output()).toContain(JSON.stringify(what).slice(1, -1)); // in a JSON log line
      expect(await (await fetch(`http://127.0.0.1:${port}/ready`)).json()).toEqual({ status: 'degraded', reasons: ['no_model'] });
      const token = (JSON.parse(await readFile(pid, 'utf8')) as { token: string }).token;
      const ready = (await (await fetch(`http://127.0.0.1:${port}/ready`, { headers: { authorization: `Bearer ${token}` } })).json()) as { checks: Record<string, unknown> };
      expect(ready.checks.model).toEqual({ ok: false, detail: what });
      const status = await picoclaw('status');
      expect(status.exitCode).toBe(1);
      expect(status.stdout).toMatch(/^gateway [\d.]+: degraded/m);
      expect(status.stdout).toContain(`model: none can answer — ${what}`);
      expect(JSON.parse((await picoclaw('status', '--json')).stdout).models.problem).toBe(what);
      // Every message is answered with the explanation.
      const socket = new WebSocket(`ws://127.0.0.1:${port}/pico/ws?session_id=cli`, ['token.cli-pico-token']);
      const frames: { type: string; payload?: { content?: string } }[] = [];
      socket.on('message', (d) => frames.push(JSON.parse(d.toString())));
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      socket.send(JSON.stringify({ type: 'message.send', payload: { content: 'hello?' } }));
      for (let i = 0; i < 200 && !frames.some((f) => f.type === 'typing.stop'); i++) await new Promise((r) => setTimeout(r, 25));
      socket.close();
      expect(frames.filter((f) => f.type === 'message.create' || f.type === 'message.update').at(-1)?.payload?.content).toContain(what);
      gateway.child.kill('SIGTERM');
      expect((await gateway.child).exitCode).toBe(0);
      gateway = undefined;
    };
    config.agents.defaults.model_name = '';
    await writeFile(join(home, 'config.json'), JSON.stringify(config));
    await check('no model is configured: set agents.defaults.model_name to one of: mistral-small');
    config.agents.defaults.model_name = 'gone';
    await writeFile(join(home, 'config.json'), JSON.stringify(config));
    await check('no usable model: agents.defaults.model_name is "gone", which is not in model_list; add it to model_list (for a bare model id, set agents.defaults.provider, e.g. "openai") or set agents.defaults.model_name to one of: mistral-small');
    config.agents.defaults.model_name = 'mistral-small';
    config.model_list[0]!.enabled = false;
    await writeFile(join(home, 'config.json'), JSON.stringify(config));
    await check('no usable model: agents.defaults.model_name is "mistral-small", whose model_list entry is disabled; set "enabled": true on its model_list entry');
    expect(llm.requests).toHaveLength(0);
  });

  it('models list and test: latency, or the exact failure', async () => {
    const list = await picoclaw('models', 'list');
    expect(list.stdout).toMatch(/^mistral-small\s+groq\/llama\s+primary\s+1 key$/m);
    const ok = await picoclaw('models', 'test', 'mistral-small');
    expect(ok.stdout).toMatch(/^mistral-small: answered in \d+ ms: "pong"$/);
    const failed = await picoclaw('models', 'test', 'mistral-small');
    expect(failed.exitCode).toBe(1);
    expect(failed.stdout).toMatch(/failed after \d+ ms: model mistral-small: HTTP 401: invalid key \(check the API key\)/);
    expect((await picoclaw('models', 'test', 'nope')).stderr).toMatch(/no enabled model named "nope"/);
    const json = JSON.parse((await picoclaw('models', 'list', '--json')).stdout);
    expect(json).toEqual({ primary: 'mistral-small', fallbacks: [], models: [{ name: 'mistral-small', provider: 'groq', model: 'groq/llama', enabled: true, keys: 1 }] });
  });

  it('mcp list and test: tools, or the reason with a hint', async () => {
    expect((await picoclaw('mcp', 'list')).stdout).toMatch(/^homeassistant\s+http\s+http:\/\/127\.0\.0\.1:\d+\/api\/mcp$/m);
    const listed = JSON.parse((await picoclaw('mcp', 'list', '--json')).stdout);
    expect(listed).toEqual({ enabled: true, servers: [{ name: 'homeassistant', transport: 'http', target: ha.url, enabled: true, headers: ['Authorization'], env: [] }] });
    const ok = await picoclaw('mcp', 'test', 'homeassistant');
    expect(ok.stdout).toMatch(/homeassistant: connected in \d+ ms, 4 tools: .*HassTurnOn/);
    await ha.stop();
    const down = await picoclaw('mcp', 'test', 'homeassistant');
    expect(down.exitCode).toBe(1);
    expect(down.stdout).toMatch(/failed: MCP server homeassistant: cannot reach .*connection refused\n {2}hint: .*host network/);
  });

  it('status: not running, then running with its channels and models', async () => {
    const stopped = await picoclaw('status');
    expect(stopped.exitCode).toBe(1);
    expect(JSON.parse((await picoclaw('status', '--json')).stdout)).toEqual({ running: false });
    expect(stopped.stdout).toMatch(/gateway: not running/);
    // A PicoClaw key that does nothing here: the running gateway's status says so, as validate does.
    const config = JSON.parse(await readFile(join(home, 'config.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(home, 'config.json'), JSON.stringify({ ...config, tools: { ...(config.tools as object), skills: { enabled: true } } }));
    expect((await picoclaw('config', 'validate')).stdout).toMatch(/warning: ignored for compatibility with PicoClaw: tools\.skills\.enabled — the model cannot search for or install skills here/);
    gateway = spawnGateway({ home });
    await gateway.ready();
    const status = await picoclaw('status');
    expect(status.stdout).toMatch(/^ {2}warning: ignored for compatibility with PicoClaw: tools\.skills\.enabled — the model cannot search for or install skills here \(find_skills, install_skill\); installed skills, \/use and picoclaw skills work \(docs\/memory-and-skills\.md\)$/m);
    expect(status.stdout).toMatch(/^gateway [\d.]+: (ready|degraded), up \d+ s/m);
    expect(status.stdout).toMatch(/^channel pico \(pico\): running/m);
    expect(status.stdout).toMatch(/^model mistral-small \(groq\/llama\) primary:/m);
    expect(status.stdout).toMatch(/^tokens today: none \(no model call yet\)$/m);
    const json = JSON.parse((await picoclaw('status', '--json')).stdout);
    expect(json).toMatchObject({ running: true, channels: [{ name: 'pico', state: 'running' }], models: { primary: 'mistral-small' } });
    expect(JSON.stringify(json)).not.toMatch(/cli-secret-key|cli-pico-token|ha-test-token/);
  });

  it('cron without a gateway: add writes <workspace>/cron/jobs.json in PicoClaw\'s format, list reads it, disable/enable/remove change it; refusals exit 2, run and Redis need a gateway', async () => {
    const jobsFile = join(home, 'workspace', 'cron', 'jobs.json');
    const readJobs = async () => JSON.parse(await readFile(jobsFile, 'utf8')) as { version: number; jobs: { id: string; enabled: boolean }[] };
    const added = await picoclaw('cron', 'add', '--name', 'Bins', '--message', 'take the bins out', '--at', '2030-12-07 08:00', '--tz', 'Europe/Madrid', '--channel', 'pico', '--to', 's1', '--deliver');
    expect(added.exitCode, added.stderr).toBe(0);
    const bins = /^✓ added ([0-9a-f]{16}) "Bins": once at 2030-12-07 08:00 Europe\/Madrid → pico:s1, sent as is$/m.exec(added.stdout)?.[1];
    expect(bins, added.stdout).toBeDefined();
    expect(added.stdout).toContain('next run (Europe/Madrid): 2030-12-07 08:00');
    expect(added.stdout).toMatch(/no gateway is running: changed .*jobs\.json/);
    // PicoClaw's spelling: -n -m -e <seconds>.
    const picoStyle = await picoclaw('cron', 'add', '-n', 'Weather', '-m', 'send the weather', '-e', '3600', '--channel', 'pico', '--to', 's1', '--json');
    expect(picoStyle.exitCode, picoStyle.stderr).toBe(0);
    const weather = (JSON.parse(picoStyle.stdout) as { source: string; job: { id: string }; next: string[] });
    expect(weather.source).toBe('file');
    expect(weather.next).toHaveLength(5);
    expect(Date.parse(weather.next[1]!) - Date.parse(weather.next[0]!)).toBe(3_600_000);

    const doc = await readJobs();
    expect(doc.version).toBe(1);
    expect(doc.jobs).toHaveLength(2);
    expect(doc.jobs[0]).toMatchObject({ id: bins, name: 'Bins', enabled: true, schedule: { kind: 'at', atMs: Date.UTC(2030, 11, 7, 7, 0) }, payload: { kind: 'agent_turn', message: 'take the bins out', channel: 'pico', to: 's1', deliver: true }, deleteAfterRun: true });
    expect(doc.jobs[1]).toMatchObject({ id: weather.job.id, name: 'Weather', enabled: true, schedule: { kind: 'every', everyMs: 3_600_000 }, payload: { message: 'send the weather', channel: 'pico', to: 's1' }, state: { nextRunAtMs: expect.any(Number) }, deleteAfterRun: false });

    const listed = JSON.parse((await picoclaw('cron', 'list', '--json')).stdout) as Record<string, unknown>;
    expect(listed).toEqual({ source: 'file', timezone: 'UTC', path: jobsFile, jobs: doc.jobs });
    const table = (await picoclaw('cron', 'list')).stdout;
    expect(table).toMatch(/^ID\s+NAME\s+SCHEDULE\s+TARGET\s+NEXT RUN \(UTC\)\s+LAST RESULT$/m);
    expect(table).toMatch(new RegExp(`^${weather.job.id}\\s+Weather\\s+every 1 hour\\s+pico:s1\\s+\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}\\s+never run$`, 'm'));
    expect(table).toMatch(new RegExp(`^${bins}\\s+Bins\\s+once at 2030-12-07 07:00 UTC\\s+pico:s1 \\(as is\\)\\s+2030-12-07 07:00\\s+never run$`, 'm'));

    // The start of an id is enough.
    const disabled = await picoclaw('cron', 'disable', weather.job.id.slice(0, 6));
    expect(disabled.exitCode, disabled.stderr).toBe(0);
    expect(disabled.stdout).toMatch(/^✓ disabled .*"Weather"/);
    expect((await readJobs()).jobs.find((j) => j.id === weather.job.id)?.enabled).toBe(false);
    expect((await picoclaw('cron', 'list')).stdout).toMatch(new RegExp(`^${weather.job.id}.*\\sdisabled\\s`, 'm'));
    expect((await picoclaw('cron', 'enable', weather.job.id)).exitCode).toBe(0);
    expect((await readJobs()).jobs.find((j) => j.id === weather.job.id)?.enabled).toBe(true);
    expect((await picoclaw('cron', 'remove', bins!)).stdout).toBe(`✓ removed ${bins} "Bins"`);
    expect((await readJobs()).jobs.map((j) => j.id)).toEqual([weather.job.id]);

    // Refusals: the scheduler's sentence and exit 2; nothing written.
    const gone = await picoclaw('cron', 'remove', bins!);
    expect([gone.exitCode, gone.stderr]).toEqual([2, `no job with id ${bins} (picoclaw cron list shows them)`]);
    const badCron = await picoclaw('cron', 'add', '-m', 'x', '--cron', '61 * * * *', '--channel', 'pico', '--to', 's1');
    expect([badCron.exitCode, badCron.stderr]).toEqual([2, '"61 * * * *" is not a valid cron expression: Invalid value for minute: 61']);
    const noChannel = await picoclaw('cron', 'add', '-m', 'x', '--every', '30m', '--channel', 'telegram', '--to', '123456789');
    expect([noChannel.exitCode, noChannel.stderr]).toEqual([2, 'no channel named "telegram" in channel_list']);
    const usage = await picoclaw('cron', 'add', '-m', 'x', '--every', '30m');
    expect(usage.exitCode).toBe(2);
    expect(usage.stderr).toMatch(/^--channel and --to are required/);
    expect((await readJobs()).jobs).toHaveLength(1);
    const run = await picoclaw('cron', 'run', weather.job.id);
    expect([run.exitCode, run.stderr]).toEqual([1, 'running a job now needs a running gateway, and none runs for this home; start one (picoclaw gateway, or the launcher) and try again']);

    // Root editing another user's workspace would leave a jobs file that user's gateway cannot read.
    if (process.getuid?.() === 0) {
      await chown(join(home, 'workspace'), 10001, 10001);
      const other = await picoclaw('cron', 'disable', weather.job.id);
      expect(other.exitCode).toBe(1);
      expect(other.stderr).toBe(`${join(home, 'workspace')} belongs to another user (uid 10001); run this as that user (e.g. sudo -u '#10001' picoclaw cron …) so that the gateway can still read the jobs file`);
      expect((await picoclaw('cron', 'list')).exitCode).toBe(0);
      await chown(join(home, 'workspace'), 0, 0);
    }

    // Jobs in Redis are reached through a gateway only: no file is read or written.
    const config = JSON.parse(await readFile(join(home, 'config.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(home, 'config.json'), JSON.stringify({ ...config, session: { store: 'redis' } }));
    const before = await readFile(jobsFile, 'utf8');
    for (const args of [['list'], ['add', '-m', 'x', '--every', '1h', '--channel', 'pico', '--to', 's1'], ['remove', weather.job.id]]) {
      const refused = await picoclaw('cron', ...args);
      expect(refused.exitCode, args.join(' ')).toBe(1);
      expect(refused.stderr).toMatch(/^with session\.store "redis" the jobs live in Redis, which this command reaches through a gateway only, and none runs for this home/);
    }
    expect(await readFile(jobsFile, 'utf8')).toBe(before);
  });

  it('cron with a running gateway: add goes through its /schedules API, which has it at once, and picoclaw status shows the next run; run, disable, remove', async () => {
    gateway = spawnGateway({ home });
    const port = await gateway.ready();
    const token = (JSON.parse(await readFile(join(home, '.picoclaw.pid'), 'utf8')) as { token: string }).token;
    const schedules = async () => (await (await fetch(`http://127.0.0.1:${port}/schedules`, { headers: { authorization: `Bearer ${token}` } })).json()) as { jobs: { id: string; enabled: boolean }[] };
    const added = await picoclaw('cron', 'add', '--name', 'Windows', '--message', 'which windows are open?', '--every', '2h', '--channel', 'pico', '--to', 's1', '--json');
    expect(added.exitCode, added.stderr).toBe(0);
    const { source, job } = JSON.parse(added.stdout) as { source: string; job: { id: string; state: { nextRunAtMs: number } } };
    expect(source).toBe('gateway');
    // The gateway's scheduler has it now: status() shows what the scheduler holds, which a file
    // edit would reach only at its next read (its timer, up to a minute later, or an API call).
    const status = await picoclaw('status');
    expect(status.stdout).toMatch(/^schedules: 1 job, 1 enabled$/m);
    expect(status.stdout).toMatch(/^ {2}next runs \(UTC\):$/m);
    const next = new Date(job.state.nextRunAtMs).toISOString();
    expect(status.stdout).toContain(`    ${next.slice(0, 10)} ${next.slice(11, 16)}  Windows (${job.id})`);
    const statusJson = JSON.parse((await picoclaw('status', '--json')).stdout) as { schedules: unknown };
    expect(statusJson.schedules).toEqual({ jobs: 1, enabled: 1, runner: true, next: [{ id: job.id, name: 'Windows', at: next }], failing: [] });
    expect((await schedules()).jobs.map((j) => j.id)).toEqual([job.id]);
    // The text list comes from the gateway too (no note about the file).
    const table = (await picoclaw('cron', 'list')).stdout;
    expect(table).toMatch(new RegExp(`^${job.id}\\s+Windows\\s+every 2 hours\\s+pico:s1\\s`, 'm'));
    expect(table).not.toContain('no gateway is running');

    // A refusal is the API's sentence, exit 2.
    const bad = await picoclaw('cron', 'add', '-m', 'x', '--cron', '0 25 * * *', '--channel', 'pico', '--to', 's1');
    expect([bad.exitCode, bad.stderr]).toEqual([2, '"0 25 * * *" is not a valid cron expression: Invalid value for hour: 25']);

    // Run now: the fake model answers, and the job records it.
    const run = await picoclaw('cron', 'run', job.id.slice(0, 8));
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^✓ started .*"Windows"; what it sends goes to pico:s1/);
    let state: { lastStatus?: string; lastResult?: string } = {};
    for (let i = 0; i < 200 && !state.lastStatus; i++) {
      await new Promise((r) => setTimeout(r, 50));
      state = (JSON.parse((await picoclaw('cron', 'list', '--json')).stdout) as { jobs: { state: typeof state }[] }).jobs[0]!.state;
    }
    expect(state).toMatchObject({ lastStatus: 'ok', lastResult: 'pong' });
    expect((await picoclaw('cron', 'list')).stdout).toMatch(/\sok \d{4}-\d{2}-\d{2} \d{2}:\d{2}$/m);
    // Run again: the fake model now refuses the key; status names the failing job and why.
    expect((await picoclaw('cron', 'run', job.id)).exitCode).toBe(0);
    let failing: { id: string; error: string }[] = [];
    for (let i = 0; i < 200 && !failing.length; i++) {
      await new Promise((r) => setTimeout(r, 50));
      failing = (JSON.parse((await picoclaw('status', '--json')).stdout) as { schedules: { failing: typeof failing } }).schedules.failing;
    }
    expect(failing).toMatchObject([{ id: job.id, name: 'Windows', error: expect.stringMatching(/401/) }]);
    expect((await picoclaw('status')).stdout).toMatch(new RegExp(`^ {2}failed \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} {2}Windows \\(${job.id}\\): .*401`, 'm'));
    expect((await picoclaw('cron', 'list')).stdout).toMatch(/\serror \d{4}-\d{2}-\d{2} \d{2}:\d{2}: .*401/m);

    const disabled = JSON.parse((await picoclaw('cron', 'disable', job.id, '--json')).stdout) as { source: string; job: { enabled: boolean } };
    expect(disabled).toMatchObject({ source: 'gateway', job: { enabled: false } });
    expect((await schedules()).jobs[0]!.enabled).toBe(false);
    expect((JSON.parse((await picoclaw('status', '--json')).stdout) as { schedules: { enabled: number } }).schedules.enabled).toBe(0);
    expect(JSON.parse((await picoclaw('cron', 'remove', job.id, '--json')).stdout)).toEqual({ status: 'deleted', id: job.id });
    expect((await schedules()).jobs).toEqual([]);
    const targets = JSON.parse((await picoclaw('cron', 'targets', '--json')).stdout) as { targets: unknown[] };
    expect(Array.isArray(targets.targets)).toBe(true);
  });

  it('agent -m: one turn in the terminal, with the Home Assistant tool call', async () => {
    await llm.close();
    llm = await startFakeLlm([
      { toolCalls: [{ id: 'c1', name: 'mcp_homeassistant_hassturnon', arguments: '{"name":"kitchen light"}' }] },
      { text: ['The kitchen ', 'light is on.'] },
    ]);
    await writeFile(join(home, 'config.json'), JSON.stringify({
      agents: { defaults: { model_name: 'mistral-small' } },
      model_list: [{ model_name: 'mistral-small', model: 'groq/llama', api_base: llm.url, api_keys: ['[NOT_HERE]'] }],
      tools: { mcp: { enabled: true, servers: { homeassistant: { type: 'http', url: ha.url, headers: { Authorization: '[NOT_HERE]' } } } } },
    }));
    const result = await picoclaw('agent', '-m', 'turn on the kitchen light');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('The kitchen light is on.');
    expect(result.stderr).toContain('… mcp_homeassistant_hassturnon');
    expect(ha.calls).toEqual([{ tool: 'HassTurnOn', args: { name: 'kitchen light' } }]);
    expect(llm.requests[0]!.authorization).toBe('Bearer cli-secret-key');
    // The model failing: exit 1 and the reason on stderr, without the key.
    llm.push({ status: 401, body: { message: 'bad key cli-secret-key' } });
    const failed = await picoclaw('agent', '-m', 'again');
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toMatch(/HTTP 401/);
    expect(failed.stderr).not.toContain('cli-secret-key');
  });

  it('interactive agent in a real terminal (tmux): streamed answer, Ctrl-C stops the answer and not the program', async () => {
    await llm.close();
    llm = await startFakeLlm([{ text: ['Hello ', 'there.'] }, { text: ['slow ', 'slow ', 'slow ', 'never'], delayMs: 700 }, { text: ['Still here.'] }]);
    await writeFile(join(home, 'config.json'), JSON.stringify({ agents: { defaults: { model_name: 'm' } }, model_list: [{ model_name: 'm', model: 'groq/llama', api_base: llm.url, api_keys: ['k'] }] }));
    await rm(join(home, '.security.yml'));
    const { screen, waitFor, keys, alive, close } = await startTmux(`${terminalEnv(home)} ${process.execPath} ${bundle} agent`);
    try {
      // Type only at a fresh prompt (a line holding just "you ›"), as a person would.
      const freshPrompts = async () => (await screen()).split('\n').filter((l) => /^you ›\s*$/.test(l)).length;
      await waitFor(/^you ›\s*$/m);
      await keys('hi', 'Enter');
      await waitFor(/picoclaw › Hello there\./);
      const end0 = Date.now() + 5000;
      while ((await freshPrompts()) < 1 && Date.now() < end0) await new Promise((r) => setTimeout(r, 50));
      await keys('tell me slowly', 'Enter');
      await waitFor(/picoclaw › slow/);
      await keys('C-c');
      await waitFor(/\(stopped\)/);
      await waitFor(/\(stopped\)\s*\n\s*you ›\s*$/m);
      await keys('are you there?', 'Enter');
      await waitFor(/picoclaw › Still here\./);
      await keys('/exit', 'Enter');
      const end = Date.now() + 5000;
      while ((await alive()) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(await alive()).toBe(false);
    } finally {
      await close();
    }
  });

  it('onboard in a real terminal (tmux): asks for the essentials, never echoes a secret, re-asks after a bad answer', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'picoclaw-onboard-'));
    const key = 'typed-mistral-key-0123456789';
    const haToken = 'typed-ha-token-abcdef';
    const t = await startTmux(`sh -c '${terminalEnv(fresh)} ${process.execPath} ${bundle} onboard; echo "exit=$?"; sleep 60'`);
    try {
      await t.waitFor(/Mistral API key.*:\s*$/m);
      await t.keys('-l', key);
      await t.keys('Enter');
      await t.waitFor(/Telegram bot token.*:\s*$/m);
      await t.keys('-l', 'not-a-token');
      await t.keys('Enter');
      await t.waitFor(/✗ a Telegram bot token looks like/);
      await t.waitFor(/✗.*\n.*Telegram bot token.*:\s*$/m);
      await t.keys('Enter');
      await t.waitFor(/Home Assistant URL.*:\s*$/m);
      await t.keys('-l', 'http://ha.local:8123');
      await t.keys('Enter');
      await t.waitFor(/using http:\/\/ha\.local:8123\/api\/mcp[\s\S]*access token:\s*$/m);
      await t.keys('-l', haToken);
      await t.keys('Enter');
      await t.waitFor(/exit=0/);
      const screen = await t.screen();
      expect(screen).not.toContain(key);
      expect(screen).not.toContain(haToken);
      expect(screen).toMatch(/✓ .*\.security\.yml \(mode 0600, 2 secrets\)/);
      const security = await readFile(join(fresh, '.security.yml'), 'utf8');
      expect(security).toContain(key);
      expect(security).toContain(haToken);
      expect((await stat(join(fresh, '.security.yml'))).mode & 0o777).toBe(0o600);
      expect(await readFile(join(fresh, 'config.json'), 'utf8')).not.toMatch(new RegExp(`${key}|${haToken}`));
      // The files it wrote are a config the gateway accepts.
      const valid = await execa(process.execPath, [bundle, 'config', 'validate'], { reject: false, env: { PATH: process.env.PATH, PICOCLAW_HOME: fresh }, extendEnv: false });
      expect(valid.exitCode).toBe(0);
    } finally {
      await t.close();
      await rm(fresh, { recursive: true, force: true });
    }
  });

  it('onboard without a terminal: flags, refusing to overwrite, exit codes', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'picoclaw-onboard-'));
    const run = (...args: string[]) => execa(process.execPath, [bundle, 'onboard', ...args], { reject: false, env: { PATH: process.env.PATH, PICOCLAW_HOME: fresh, HA_TOKEN: 'env-ha-token' }, extendEnv: false, input: '' });
    try {
      const missing = await run();
      expect(missing.exitCode).toBe(2);
      expect(missing.stderr).toMatch(/--mistral-key \(or MISTRAL_API_KEY\) is required without a terminal/);
      const ok = await run('--mistral-key', 'flag-mistral-key-123', '--ha-url', 'http://10.0.0.5:8123');
      expect(ok.exitCode).toBe(0);
      expect(ok.stdout).not.toMatch(/flag-mistral-key|env-ha-token/);
      expect(ok.stdout).not.toContain('\x1b[');
      const again = await run('--mistral-key', 'flag-mistral-key-123');
      expect(again.exitCode).toBe(1);
      expect(again.stderr).toMatch(/already exists/);
      const shown = JSON.parse((await execa(process.execPath, [bundle, 'mcp', 'list', '--json'], { env: { PATH: process.env.PATH, PICOCLAW_HOME: fresh }, extendEnv: false })).stdout);
      expect(shown.servers[0]).toMatchObject({ name: 'homeassistant', target: 'http://10.0.0.5:8123/api/mcp' });
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  });

  it('--help on every command, help <command>, and unknown commands', async () => {
    for (const command of ['gateway', 'agent', 'onboard', 'status', 'config', 'models', 'mcp', 'cron', 'completion', 'version']) {
      const help = await picoclaw(command, '--help');
      expect(help.exitCode, command).toBe(0);
      expect(help.stdout, command).toMatch(new RegExp(`^picoclaw ${command}`));
    }
    expect((await picoclaw('help', 'models')).stdout).toMatch(/^picoclaw models list/);
    expect((await picoclaw('agent', '-h')).stdout).toMatch(/Ctrl-C stops the answer/);
    const unknown = await picoclaw('frobnicate');
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"[\s\S]*picoclaw onboard/);
  });

  it('bash completion: commands, subcommands and the model names of this config', async () => {
    const bin = join(home, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'picoclaw'), `#!/bin/sh\nexec "${process.execPath}" "${bundle}" "$@"\n`, { mode: 0o755 });
    const completeWith = async (...words: string[]) => {
      const script = `source <(picoclaw completion bash); COMP_WORDS=(picoclaw ${words.map((w) => `"${w}"`).join(' ')}); COMP_CWORD=${words.length}; _picoclaw; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const result = await execa('bash', ['-c', script], { env: { PATH: `${bin}:${process.env.PATH}`, PICOCLAW_HOME: home }, extendEnv: false });
      return result.stdout.split('\n').filter(Boolean);
    };
    expect(await completeWith('mo')).toEqual(['models']);
    expect(await completeWith('models', '')).toEqual(['list', 'test']);
    expect(await completeWith('models', 'test', '')).toEqual(['mistral-small']);
    expect(await completeWith('mcp', 'test', 'home')).toEqual(['homeassistant']);
    expect(await completeWith('cron', '')).toEqual(['list', 'add', 'remove', 'enable', 'disable', 'run', 'targets']);
    expect(await completeWith('cron', 'add', '--mi')).toEqual(['--missed']);
    const id = (JSON.parse((await picoclaw('cron', 'add', '-m', 'x', '--every', '1h', '--channel', 'pico', '--to', 's', '--json')).stdout) as { job: { id: string } }).job.id;
    expect(await completeWith('cron', 'remove', '')).toEqual([id]);
    expect((await picoclaw('completion', 'zsh')).stdout).toMatch(/^#compdef picoclaw/);
    expect((await picoclaw('completion', 'tcsh')).exitCode).toBe(2);
  });

  it('colour only on a terminal (or with FORCE_COLOR); never with NO_COLOR', async () => {
    expect((await picoclaw('config', 'validate')).stdout).not.toContain('\x1b[');
    const forced = await execa(process.execPath, [bundle, 'config', 'validate'], { env: { PATH: process.env.PATH, PICOCLAW_HOME: home, FORCE_COLOR: '1' }, extendEnv: false });
    expect(forced.stdout).toContain('\x1b[32mvalid\x1b[39m');
    for (const [extra, coloured] of [['', true], ['NO_COLOR=1', false]] as const) {
      const t = await startTmux(`sh -c '${terminalEnv(home)} ${extra} ${process.execPath} ${bundle} config validate; echo done; sleep 30'`);
      try {
        await t.waitFor(/done/);
        expect((await t.styled()).includes('\x1b[32mvalid'), extra).toBe(coloured);
      } finally {
        await t.close();
      }
    }
  });
});
