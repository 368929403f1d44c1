/**
 * The container image built and run for real: scripts/container-test.sh (podman, a local base
 * image, docker/Dockerfile built with --format docker, the scenarios of container/scenarios.ts).
 * One test per scenario, so they count in the suite's "N passed, N failed". Skipped, with the
 * reason printed, where podman cannot run (the script says why) or PICOCLAW_SKIP_CONTAINER=1.
 */
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const scenarios: [number, string][] = [
  [1, 'first run with an empty volume: setup mode, setup code, non-root'],
  [2, 'unified home, token, host network: login, /?token= 303, chat; config.json untouched; health on the real port'],
  [3, 'env-file secrets taken literally; template rendered at start; bad line and missing file stop with 78'],
  [4, 'gateway-only headless mode with MQTT against mosquitto on the host; healthy'],
  [5, 'HEALTHCHECK kept, podman stop in the grace time, sessions kept across a restart, non-root home ownership'],
  [6, 'quadlet -dryrun and systemd-analyze verify of the units'],
  [7, 'no secrets in the build context'],
];

let output = '';
let skipped: string | undefined;

beforeAll(async () => {
  if (process.env.PICOCLAW_SKIP_CONTAINER === '1') {
    skipped = 'PICOCLAW_SKIP_CONTAINER=1';
  } else {
    const result = await execa('bash', [`${root}scripts/container-test.sh`], { cwd: root, reject: false, all: true, timeout: 20 * 60_000 });
    output = String(result.all);
    skipped = /^skipped: (.*)$/m.exec(output)?.[1];
  }
  if (skipped) console.log(`container tests skipped: ${skipped}`);
  else console.log(output.split('\n').filter((l) => /^(container-test:|ok |FAIL |figures )/.test(l)).join('\n'));
}, 20 * 60_000);

describe('container image (scripts/container-test.sh)', () => {
  it('builds with --format docker', (ctx) => {
    if (skipped) return ctx.skip(skipped);
    expect(output, output.slice(-3000)).toMatch(/^container-test: build: \d+ s; image .* \d+ MB$/m);
  });
  for (const [n, title] of scenarios) {
    it(`scenario ${n}: ${title}`, (ctx) => {
      if (skipped) return ctx.skip(skipped);
      const line = new RegExp(`^(ok|FAIL) ${n} .*(?:\\n    .*)*`, 'm').exec(output)?.[0];
      expect(line, `no line for scenario ${n}:\n${output.slice(-3000)}`).toBeDefined();
      expect(line).toMatch(new RegExp(`^ok ${n} `));
    });
  }
});
