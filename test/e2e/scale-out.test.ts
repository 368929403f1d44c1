/**
 * Three gateway processes serving one fleet: sessions in a real redis-server, requests split by
 * an MQTT 5 shared subscription on a real mosquitto, one Telegram poller chosen by a Redis lease.
 * The fake model answers with the user messages it was sent, so every answer shows whether the
 * device's whole conversation reached whichever gateway took the turn.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayStatus } from '@picoclaw/core';
import { spawnGateway, startFakeLlm, startFakeTelegram, startMosquitto, startRedis, type FakeLlm, type FakeTelegram, type GatewayProcess, type Mosquitto, type RedisServer } from '@picoclaw/test-fakes';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const TOKEN = 'scale-control-token';
let redis: RedisServer;
let broker: Mosquitto;
let llm: FakeLlm;
let telegram: FakeTelegram;
const gateways: { proc: GatewayProcess; home: string; port: number }[] = [];

/** The fake model's answer: the user messages of the request, in order. */
const digest = (body: { messages: { role: string; content?: unknown }[] }) => `history: ${body.messages.filter((m) => m.role === 'user').map((m) => String(m.content)).join('|')}`;

async function startGateway() {
  const home = await mkdtemp(join(tmpdir(), 'picoclaw-scale-'));
  await writeFile(join(home, 'config.json'), JSON.stringify({
    agents: { defaults: { model_name: 'm' } },
    model_list: [{ model_name: 'm', model: 'groq/llama', api_base: llm.url, api_keys: ['k'] }],
    channel_list: {
      mqtt: { enabled: true, type: 'mqtt', settings: { broker: broker.tcpUrl, agent_id: 'fleet', protocol_version: 5, shared_group: 'picoclaw', qos: 1 } },
      telegram: { enabled: true, type: 'telegram', allow_from: ['*'], settings: { token: telegram.token, base_url: telegram.url } },
    },
    session: { store: 'redis', redis: { url: redis.url, key_prefix: 'scale:' } },
  }));
  const proc = spawnGateway({ home, env: { PICOCLAW_GATEWAY_TOKEN: TOKEN } });
  const port = await proc.ready(20_000);
  const gateway = { proc, home, port };
  gateways.push(gateway);
  return gateway;
}

async function status(port: number): Promise<GatewayStatus> {
  return (await (await fetch(`http://127.0.0.1:${port}/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as GatewayStatus;
}

async function until<T>(probe: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An MQTT device: one client id, its own response topic, requests answered in order. */
async function device(id: string) {
  const client = await mqtt.connectAsync(broker.url, { clientId: id, protocolVersion: 5, reconnectPeriod: 0 });
  const received: string[] = [];
  let waiting: ((text: string) => void) | undefined;
  client.on('message', (_topic, payload) => {
    const body = JSON.parse(payload.toString()) as { text?: string; error?: string };
    const text = body.text ?? `error: ${body.error}`;
    received.push(text);
    waiting?.(text);
  });
  await client.subscribeAsync(`/picoclaw/fleet/${id}/response`, { qos: 1 });
  return {
    received,
    /** Sends `text` and waits up to `timeoutMs` for the next answer (undefined on timeout). */
    async ask(text: string, timeoutMs: number): Promise<string | undefined> {
      const answer = new Promise<string | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), timeoutMs);
        waiting = (t) => {
          clearTimeout(timer);
          resolve(t);
        };
      });
      await client.publishAsync(`/picoclaw/fleet/${id}/request`, JSON.stringify({ text }), { qos: 1 });
      const result = await answer;
      waiting = undefined;
      return result;
    },
    close: () => client.endAsync(),
  };
}

/** `history: a|a|b` → [a, b]: a retried request whose first try died with a gateway shows twice. */
const collapse = (answer: string) => answer.replace(/^history: /, '').split('|').filter((t, i, all) => i === 0 || all[i - 1] !== t);

beforeAll(async () => {
  [redis, broker, llm, telegram] = await Promise.all([startRedis(), startMosquitto(), startFakeLlm([], { answer: digest, record: false }), startFakeTelegram()]);
  await Promise.all([startGateway(), startGateway(), startGateway()]);
}, 60_000);

afterAll(async () => {
  for (const g of gateways) g.proc.child.kill('SIGTERM');
  await Promise.all(gateways.map((g) => g.proc.child));
  await Promise.all(gateways.map((g) => rm(g.home, { recursive: true, force: true })));
  await Promise.all([redis?.close(), broker?.close(), llm?.close(), telegram?.close()]);
});

describe('three gateways, one Redis, one broker', () => {
  it('200 devices × 10 turns: every answer carries the device’s whole history; nothing lost or answered twice', async () => {
    const devices = await Promise.all(Array.from({ length: 200 }, (_, i) => device(`dev-${i}`)));
    const failures: string[] = [];
    await Promise.all(
      devices.map(async (d, i) => {
        const sent: string[] = [];
        for (let n = 1; n <= 10; n++) {
          sent.push(`d${i} t${n}`);
          const answer = await d.ask(`d${i} t${n}`, 30_000);
          if (answer !== `history: ${sent.join('|')}`) failures.push(`dev-${i} turn ${n}: ${answer ?? '(no answer)'}`);
        }
      }),
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(failures).toEqual([]);
    expect(devices.map((d) => d.received.length)).toEqual(devices.map(() => 10));
    await Promise.all(devices.map((d) => d.close()));

    const all = await Promise.all(gateways.map((g) => status(g.port)));
    const served = all.map((s) => s.channels.find((c) => c.name === 'mqtt')!.messages.in);
    expect(served.reduce((a, b) => a + b, 0)).toBe(2000);
    for (const n of served) expect(n).toBeGreaterThan(0);
    expect(Number(await redis.cli('ZCARD', 'scale:sessions'))).toBeGreaterThanOrEqual(200);
    console.log(`fleet: 2000 turns split ${served.join(' / ')} across 3 gateways`);
  }, 180_000);

  it('cluster status: three members; exactly one Telegram poller, named by all; the others stand by', async () => {
    // Members learn of each other on their next heartbeat (every 2 s).
    const all = await until(async () => {
      const list = await Promise.all(gateways.map((g) => status(g.port)));
      return list.every((s) => s.cluster.members.length === 3) ? list : undefined;
    }, 10_000, 'three members');
    for (const s of all) {
      expect(s.cluster).toMatchObject({ store: 'redis', redis: { connected: true } });
      expect(s.cluster.members).toHaveLength(3);
      expect(JSON.stringify(s.cluster)).not.toContain(TOKEN);
    }
    const states = all.map((s) => s.channels.find((c) => c.name === 'telegram')!.state);
    expect(states.filter((s) => s === 'running'), JSON.stringify(all.map((s) => s.channels))).toHaveLength(1);
    expect(states.filter((s) => s === 'standby')).toHaveLength(2);
    const leader = all[states.indexOf('running')]!.cluster.member;
    const lease = Object.keys(all[0]!.cluster.leaders).find((k) => k.startsWith('telegram:'))!;
    for (const s of all) expect(s.cluster.leaders[lease]).toBe(leader);
    for (const s of all) expect(s.ready).toBe('ready');
    // The same in the terminal.
    const cli = await execa(process.execPath, [fileURLToPath(new URL('../../packages/gateway/dist/picoclaw.js', import.meta.url)), 'status'], { env: { PATH: process.env.PATH, PICOCLAW_HOME: gateways[0]!.home }, extendEnv: false, reject: false });
    expect(cli.stdout).toMatch(/^cluster: 3 gateways sharing sessions in redis:\/\/127\.0\.0\.1:\d+\/? \(connected\); this one is \S+$/m);
    expect(cli.stdout).toMatch(/^ {2}leader of telegram:[0-9a-f]+: /m);
  });

  it('Telegram poller failover: the leader is killed, another gateway polls within seconds, each message answered once', async () => {
    telegram.pushMessage('before the failover');
    await until(async () => (telegram.sent().some((c) => String(c.body.text).endsWith('before the failover')) ? true : undefined), 10_000, 'the first answer');
    const states = await Promise.all(gateways.map(async (g) => (await status(g.port)).channels.find((c) => c.name === 'telegram')!.state));
    const leader = gateways[states.indexOf('running')]!;
    leader.proc.child.kill('SIGKILL');
    await leader.proc.child;
    gateways.splice(gateways.indexOf(leader), 1);
    const killedAt = Date.now();
    const next = await until(async () => {
      for (const g of gateways) if ((await status(g.port)).channels.find((c) => c.name === 'telegram')!.state === 'running') return g;
      return undefined;
    }, 20_000, 'a new Telegram poller');
    const takeover = Date.now() - killedAt;
    telegram.pushMessage('after the failover');
    await until(async () => (telegram.sent().some((c) => String(c.body.text).endsWith('after the failover')) ? true : undefined), 10_000, 'the answer after the failover');
    await new Promise((r) => setTimeout(r, 500));
    // Each answer ends with the message it answers (the fake model lists the history).
    const answers = telegram.sent().map((c) => String(c.body.text)).filter((t) => t.startsWith('history: '));
    expect(answers).toEqual(['history: before the failover', 'history: before the failover|after the failover']);
    expect(telegram.conflicts()).toBe(0);
    expect(next).toBeDefined();
    console.log(`telegram: a new poller ${takeover} ms after the leader was killed`);
    await startGateway();
  }, 60_000);

  it('a gateway killed mid-run: its devices retry and continue on the others with their history', async () => {
    const devices = await Promise.all(Array.from({ length: 200 }, (_, i) => device(`k-${i}`)));
    let answered = 0;
    let retries = 0;
    let killed = false;
    const victim = gateways[1]!;
    const failures: string[] = [];
    await Promise.all(
      devices.map(async (d, i) => {
        for (let n = 1; n <= 10; n++) {
          let answer: string | undefined;
          // A device's own rule: no answer within 15 s (longer than the 10 s session lock a dead gateway
          // may hold) → send again, up to 3 more tries of 25 s.
          for (let attempt = 0; attempt < 4 && answer === undefined; attempt++) {
            if (attempt > 0) retries++;
            answer = await d.ask(`k${i} t${n}`, attempt === 0 ? 15_000 : 25_000);
          }
          answered++;
          if (!killed && answered >= 600) {
            killed = true;
            victim.proc.child.kill('SIGKILL');
          }
          const expected = Array.from({ length: n }, (_, k) => `k${i} t${k + 1}`);
          if (!answer || JSON.stringify(collapse(answer)) !== JSON.stringify(expected)) failures.push(`k-${i} turn ${n}: ${answer ?? '(no answer)'}`);
        }
      }),
    );
    await victim.proc.child;
    gateways.splice(gateways.indexOf(victim), 1);
    await new Promise((r) => setTimeout(r, 500));
    const extra = devices.reduce((sum, d) => sum + d.received.length - 10, 0);
    await Promise.all(devices.map((d) => d.close()));
    console.log(`kill mid-run: ${retries} requests lost with the killed gateway and sent again by their devices; ${extra} answered twice; ${failures.length} conversations broken`);
    expect(killed).toBe(true);
    expect(failures).toEqual([]);
    expect(extra).toBe(0);
  }, 240_000);
});
