/**
 * Node flags for the long-running processes, measured in bench/ (docs/performance.md):
 * - 1 MB semi-spaces: V8's young generation otherwise grows to 16 MB semi-spaces during start-up
 *   and keeps them, a third of an idle gateway's RSS; smaller ones cost a few cheap scavenges.
 * - a 128 MB old generation: V8 otherwise lets the heap grow far beyond the live data before it
 *   collects (500 devices × 10 requests peaked at 230 MB RSS; with the cap, 133 MB and the same
 *   throughput). The live heap of a gateway is about 30 MB; PICOCLAW_MAX_HEAP_MB raises the cap.
 * - no Sparkplug: V8's baseline compiler runs on the main thread and, at start-up, compiles code
 *   that runs a few times and never again; without it the gateway is ready ~20 ms sooner and its
 *   hot path is still optimised by TurboFan (per-message overhead unchanged in A/B runs).
 * The bundles' shebangs, scripts/start.mjs and docker/entrypoint.sh pass the same flags.
 */
export function runtimeNodeFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  const heap = Number(env.PICOCLAW_MAX_HEAP_MB);
  return ['--max-semi-space-size=1', `--max-old-space-size=${Number.isInteger(heap) && heap >= 64 ? heap : 128}`, '--no-sparkplug'];
}

/**
 * Environment for the long-running processes: glibc's malloc otherwise gives each thread that
 * allocates (libuv's file-system pool, V8's helpers) an arena of its own, and keeps what they
 * touched: after 11,000 messages the gateway retained 7.7–8.9 MB more RSS, with two arenas
 * 5.1–6.2 MB (bench "RSS growth"), and the same throughput. A value set by the user is kept;
 * other C libraries (musl) ignore the variable. The launcher gives it to its gateway; the start
 * script and the container entrypoint set it for both processes.
 */
export function runtimeEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return { MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX || '2' };
}
