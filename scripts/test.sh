#!/usr/bin/env bash
# The whole test suite, as the README gives it and CI runs it:
#   system packages the tests need (mosquitto, chromium, shellcheck, tmux, redis-server, espeak-ng, opus-tools,
#   podman, buildah, debootstrap, runc) → typecheck → lint → vitest (which includes the container image test),
# then one plain closing line "N passed, N failed". Exit status is non-zero on any failure,
# and a failed typecheck or lint step counts as one failure each.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
export NPM_CONFIG_LOGLEVEL=error NO_COLOR=1 FORCE_COLOR=0

missing=()
command -v mosquitto >/dev/null || missing+=(mosquitto mosquitto-clients)
command -v chromium >/dev/null || missing+=(chromium)
command -v shellcheck >/dev/null || missing+=(shellcheck)
command -v tmux >/dev/null || missing+=(tmux)
command -v redis-server >/dev/null || missing+=(redis-server)
# Real voice notes for the Telegram voice tests: text to WAV, WAV to OGG/Opus.
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
command -v opusenc >/dev/null || missing+=(opus-tools)
# The container image, built and run for real (scripts/container-test.sh, test/e2e/container.test.ts).
command -v podman >/dev/null || missing+=(podman)
command -v buildah >/dev/null || missing+=(buildah)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v runc >/dev/null || missing+=(runc)
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing system packages for the tests: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
      || echo "warning: could not install ${missing[*]}; tests that need them will fail" >&2
  else
    echo "warning: missing ${missing[*]}; install them (Debian: sudo apt-get install ${missing[*]})" >&2
  fi
fi

steps=0
echo "== typecheck"; pnpm -s typecheck || steps=$((steps + 1))
echo "== lint";      pnpm -s lint      || steps=$((steps + 1))
echo "== tests"
rm -f .vitest.json
vitest_rc=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=.vitest.json "$@" || vitest_rc=$?

node - "$steps" "$vitest_rc" <<'JS'
const [steps, rc] = process.argv.slice(2).map(Number);
let passed = 0, failed = 0;
try {
  const report = JSON.parse(require('node:fs').readFileSync('.vitest.json', 'utf8'));
  passed = report.numPassedTests;
  failed = report.numFailedTests;
} catch { failed = 1; }                 // no report: vitest itself crashed
if (rc !== 0 && failed === 0) failed = 1; // e.g. a suite failed to load
failed += steps;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
JS
