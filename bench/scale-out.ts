/**
 * Throughput of 1, 2 and 3 gateways sharing sessions in Redis and splitting MQTT requests by a
 * shared subscription, against a fake model that takes 200 ms per answer. Each gateway runs
 * with the default `max_parallel_turns` (4), so one gateway tops out near 4 / 0.2 s = 20 answers
 * a second and each added gateway adds as much: what a fleet gains by scaling out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runtimeEnv, runtimeNodeFlags } from '@picoclaw/core';
import { freePort, startFakeLlm, startMosquitto, startRedis } from '@picoclaw/test-fakes';
import mqtt from 'mqtt';

const round = (x: number) => Math.round(x * 10) / 10;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

export async function scaleOut(gatewayBundle: string, options: { devices?: number; each?: number; modelMs?: number } = {}) {
  const devices = options.devices ?? 60;
  const each = options.each ?? 10;
  const modelMs = options.modelMs ?? 200;
  const [redis, broker, llm] = await Promise.all([startRedis(), startMosquitto(), startFakeLlm([], { echo: true, answerDelayMs: modelMs, record: false })]);
  const results: { gateways: number; requests: number; seconds: number; perSecond: number; p50Ms: number; p99Ms: number; lost: number }[] = [];
  try {
    for (const count of [1, 2, 3]) {
      await redis.cli('FLUSHALL');
      const children: ChildProcess[] = [];
      const homes: string[] = [];
      for (let g = 0; g < count; g++) {
        const home = await mkdtemp(join(tmpdir(), 'picoclaw-bench-scale-'));
        homes.push(home);
        await writeFile(join(home, 'config.json'), JSON.stringify({
          agents: { defaults: { model_name: 'm' } },
          model_list: [{ model_name: 'm', model: 'groq/bench', api_base: llm.url, api_keys: ['k'] }],
          channel_list: { mqtt: { enabled: true, type: 'mqtt', settings: { broker: broker.tcpUrl, agent_id: 'scale', protocol_version: 5, shared_group: 'bench', qos: 1 } } },
          session: { store: 'redis', redis: { url: redis.url } },
        }));
        const port = await freePort();
        children.push(spawn(process.execPath, [...runtimeNodeFlags(), gatewayBundle, 'gateway', '--port', String(port)], { env: { PATH: process.env.PATH!, ...runtimeEnv(process.env), PICOCLAW_HOME: home }, stdio: 'ignore' }));
        const end = Date.now() + 20_000;
        while (!(await fetch(`http://127.0.0.1:${port}/ready`).then((r) => r.ok, () => false))) {
          if (Date.now() > end) throw new Error('a gateway did not become ready');
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      // Let the MQTT subscriptions settle before the clock starts.
      await new Promise((r) => setTimeout(r, 500));
      const latencies: number[] = [];
      let lost = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: devices }, async (_, d) => {
          const id = `bench-${count}-${d}`;
          const client = await mqtt.connectAsync(broker.url, { clientId: id, protocolVersion: 5 });
          await client.subscribeAsync(`/picoclaw/scale/${id}/response`, { qos: 1 });
          for (let n = 0; n < each; n++) {
            const sent = performance.now();
            const answered = await new Promise<boolean>((resolve) => {
              const timer = setTimeout(() => resolve(false), 60_000);
              client.once('message', () => {
                clearTimeout(timer);
                resolve(true);
              });
              void client.publishAsync(`/picoclaw/scale/${id}/request`, JSON.stringify({ text: `n${n}` }), { qos: 1 });
            });
            if (answered) latencies.push(performance.now() - sent);
            else lost++;
          }
          await client.endAsync();
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      results.push({ gateways: count, requests: devices * each, seconds: round(seconds), perSecond: round(latencies.length / seconds), p50Ms: round(pct(latencies, 50)), p99Ms: round(pct(latencies, 99)), lost });
      for (const child of children) child.kill('SIGTERM');
      await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(undefined) : c.once('exit', r)))));
      await Promise.all(homes.map((h) => rm(h, { recursive: true, force: true })));
    }
  } finally {
    await Promise.all([redis.close(), broker.close(), llm.close()]);
  }
  return { modelMs, devices, requestsPerDevice: each, runs: results };
}
