/**
 * Schedules on three gateway processes sharing a real redis-server: one gateway (the holder of
 * the `schedules` lease) runs the jobs; when it is SIGKILLed another takes over and the job
 * goes on, each occurrence delivered once. A plain-message job every 2 s to an MQTT device
 * (real mosquitto) is counted on the device's response topic.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayStatus, ScheduledJob } from '@picoclaw/core';
import { spawnGateway, startFakeLlm, startMosquitto, startRedis, type FakeLlm, type GatewayProcess, type Mosquitto, type RedisServer } from '@picoclaw/test-fakes';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const TOKEN = 'schedules-cluster-token';
let redis: RedisServer;
let broker: Mosquitto;
let llm: FakeLlm;
const gateways: { proc: GatewayProcess; home: string; port: number }[] = [];

async function startGateway() {
  const home = await mkdtemp(join(tmpdir(), 'picoclaw-sched-cluster-'));
  await writeFile(join(home, 'config.json'), JSON.stringify({
    agents: { defaults: { model_name: 'm' } },
    model_list: [{ model_name: 'm', model: 'groq/llama', api_base: llm.url, api_keys: ['k'] }],
    channel_list: { mqtt: { enabled: true, type: 'mqtt', settings: { broker: broker.tcpUrl, agent_id: 'fleet', protocol_version: 5, shared_group: 'picoclaw', qos: 1 } } },
    session: { store: 'redis', redis: { url: redis.url, key_prefix: 'sched:' } },
  }));
  const proc = spawnGateway({ home, env: { PICOCLAW_GATEWAY_TOKEN: TOKEN } });
  const port = await proc.ready(20_000);
  gateways.push({ proc, home, port });
}

async function api<T>(port: number, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as T };
}
const status = async (port: number) => (await api<GatewayStatus>(port, '/status')).body;

async function until<T>(probe: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The gateway whose member id holds the `schedules` lease, as every live gateway names it. */
async function runner() {
  const all = await Promise.all(gateways.map(async (g) => ({ g, s: await status(g.port) })));
  const holder = all[0]!.s.cluster.leaders.schedules;
  if (!holder || !all.every(({ s }) => s.cluster.leaders.schedules === holder)) return undefined;
  const leader = all.find(({ s }) => s.cluster.member === holder);
  return leader && leader.s.schedules?.runner && all.filter(({ s }) => s.schedules?.runner).length === 1 ? leader.g : undefined;
}

beforeAll(async () => {
  [redis, broker, llm] = await Promise.all([startRedis(), startMosquitto(), startFakeLlm([])]);
  await Promise.all([startGateway(), startGateway(), startGateway()]);
}, 60_000);

afterAll(async () => {
  for (const g of gateways) g.proc.child.kill('SIGTERM');
  await Promise.all(gateways.map((g) => g.proc.child));
  await Promise.all(gateways.map((g) => rm(g.home, { recursive: true, force: true })));
  await Promise.all([redis?.close(), broker?.close(), llm?.close()]);
});

describe('schedules on three gateways sharing Redis', () => {
  it('one gateway runs the job; SIGKILL it and another takes over; every occurrence delivered once', async () => {
    const t0 = Date.now();
    const device = await mqtt.connectAsync(broker.url, { clientId: 'kitchen', protocolVersion: 5, reconnectPeriod: 0 });
    const deliveries: number[] = [];
    const texts = new Set<string>();
    device.on('message', (_topic, payload) => {
      texts.add(payload.toString());
      deliveries.push(Date.now());
    });
    await device.subscribeAsync('/picoclaw/fleet/kitchen/response', { qos: 1 });
    const first = await until(runner, 10_000, 'one schedules runner');

    // Created through a gateway that does not run jobs: the runner sees it within its 2 s poll.
    const other = gateways.find((g) => g !== first)!;
    const created = await api<{ job: ScheduledJob }>(other.port, '/schedules', {
      method: 'POST',
      body: { name: 'plants', message: 'water the plants', schedule: { kind: 'cron', expr: '*/2 * * * * *' }, channel: 'mqtt', to: 'kitchen', deliver: true },
    });
    expect(created.status).toBe(201);
    const id = created.body.job.id;
    const jobOn = async (port: number) => (await api<{ job: ScheduledJob }>(port, `/schedules/${id}`)).body.job;

    await until(async () => (deliveries.length >= 3 ? true : undefined), 12_000, 'three deliveries');
    // Killed between occurrences (a delivery just recorded), so the count of runs is exact.
    const before = deliveries.length;
    await until(async () => (deliveries.length > before ? true : undefined), 4_000, 'a delivery');
    await new Promise((r) => setTimeout(r, 300));
    const leader = (await runner())!;
    expect(leader).toBe(first);
    leader.proc.child.kill('SIGKILL');
    await leader.proc.child.catch(() => {});
    const killedAt = Date.now();
    gateways.splice(gateways.indexOf(leader), 1);
    const deliveredBeforeKill = deliveries.length;

    const next = await until(runner, 15_000, 'a new schedules runner');
    const takeover = Date.now() - killedAt;
    expect(next).not.toBe(leader);
    await until(async () => (deliveries.length >= deliveredBeforeKill + 3 ? true : undefined), 10_000, 'three deliveries after the takeover');

    // A quiet moment (just after an occurrence): every delivery is a recorded run and a claimed occurrence.
    const seen = deliveries.length;
    await until(async () => (deliveries.length > seen ? true : undefined), 4_000, 'a delivery');
    await new Promise((r) => setTimeout(r, 400));
    const job = await jobOn(gateways[0]!.port);
    const claims = (await redis.cli('KEYS', `sched:cron:run:${id}:*`)).split('\n').filter(Boolean);
    expect([...texts]).toEqual([JSON.stringify({ text: 'water the plants' })]);
    expect(job.state.runs).toBe(deliveries.length);
    expect(claims).toHaveLength(deliveries.length);
    expect((await jobOn(gateways[1]!.port)).state.runs).toBe(deliveries.length);

    // No occurrence twice: deliveries 2 s apart, with two late runs allowed to land closer to the
    // next one: the first (the runner sees a job added elsewhere at its next 2 s poll, possibly
    // after its first occurrence) and the new runner's first (the occurrence that fell due while
    // nobody ran jobs, run once within the 2-minute grace).
    const gaps = deliveries.slice(1).map((t, i) => t - deliveries[i]!);
    const catchUp = deliveredBeforeKill; // index of the first delivery after the kill
    const late = new Set([1, catchUp + 1]); // gaps into these deliveries may be short
    for (const [i, g] of gaps.entries()) if (!late.has(i + 1)) expect(g, JSON.stringify(gaps)).toBeGreaterThan(1_500);
    // …and each on time: in the second after an even second (what "*/2" seconds means).
    for (const [i, t] of deliveries.entries()) if (i !== 0 && i !== catchUp) expect(t % 2_000, JSON.stringify(deliveries.map((d) => d % 2_000))).toBeLessThan(1_000);
    // The takeover waited for the dead runner's lease (TTL 6 s) to run out, no longer.
    expect(takeover).toBeLessThan(6_000 + 2_000 + 1_500);
    expect(deliveries[catchUp]! - killedAt).toBeLessThan(6_000 + 2_000 + 2_000);
    console.log(`schedules failover: ${deliveries.length} deliveries, runner changed ${takeover} ms after the SIGKILL (first delivery after ${deliveries[catchUp]! - killedAt} ms), gaps ${gaps.join(' ')} ms; test ${Date.now() - t0} ms`);
    await device.endAsync();
  }, 60_000);
});
