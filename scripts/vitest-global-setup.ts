// Cross-process tests run the bundles, as users do: build them once before any test file runs.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup() {
  // For a quick loop on tests that do not need fresh bundles: PICOCLAW_SKIP_BUILD=1.
  if (process.env.PICOCLAW_SKIP_BUILD === '1') return;
  execFileSync(process.execPath, [fileURLToPath(new URL('./build.mjs', import.meta.url))], { stdio: 'inherit' });
}
