/**
 * Node flags for the long-running processes. V8's young generation grows to 16 MB semi-spaces
 * (48 MB with the copy reserve) during start-up and keeps them: a third of an idle gateway's RSS.
 * 1 MB semi-spaces cost a few more, cheap scavenges and save about 17 MB per process (measured in
 * bench/, see docs/performance.md). The bundles' shebangs, scripts/start.mjs and
 * docker/entrypoint.sh pass the same flag.
 */
export const runtimeNodeFlags: readonly string[] = ['--max-semi-space-size=1'];
