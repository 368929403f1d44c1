#!/usr/bin/env bash
# PicoClaw container entrypoint.
#
#   (no argument)   the launcher (dashboard on :18800) supervising the gateway
#   gateway [flags] the gateway alone, headless (gateway-only mode)
#   render [flags]  render config.json + .security.yml from a template, then exit
#   health          the container's health check: asks whatever this container runs (the
#                   launcher's /api/health on its real port, or the gateway-only /health)
#   anything else   run that command (e.g. sh) in the container
#
# Environment: PICOCLAW_HOME (default /root/.picoclaw), PICOCLAW_ENV_FILE (KEY=VALUE secrets,
# e.g. /run/picoclaw/env), PICOCLAW_RENDER_TEMPLATE (config template rendered at start),
# PICOCLAW_LAUNCHER_TOKEN, PICOCLAW_APP (where the app is installed, default /app),
# PICOCLAW_RUN_DIR (where the health check finds what runs, default /tmp).
set -euo pipefail

say() { printf 'picoclaw: %s\n' "$*" >&2; }
fail() { say "error: $*"; exit 78; }

APP="${PICOCLAW_APP:-/app}"
export PICOCLAW_HOME="${PICOCLAW_HOME:-/root/.picoclaw}"
LAUNCHER="$APP/packages/launcher/dist/picoclaw-launcher.js"
GATEWAY="$APP/packages/gateway/dist/picoclaw.js"
# A small V8 young generation and a capped heap: much less RSS per process; no Sparkplug: a
# quicker start (runtimeNodeFlags in packages/core explains the figures). PICOCLAW_MAX_HEAP_MB
# raises the cap.
NODE_FLAGS=(--max-semi-space-size=1 "--max-old-space-size=${PICOCLAW_MAX_HEAP_MB:-128}" --no-sparkplug)
# Two glibc malloc arenas instead of one per thread: less memory kept after busy periods
# (runtimeEnv in packages/core).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"

RUN_DIR="${PICOCLAW_RUN_DIR:-/tmp}"

# The health check (HEALTHCHECK, quadlet HealthCmd): one command for both modes. The entrypoint
# records what it started in $RUN_DIR/picoclaw.run; the launcher's port is worked out as the
# launcher does it (--port, PICOCLAW_LAUNCHER_PORT, launcher-config.json "port", 18800) and the
# gateway's address is read from its own PID file, so it is the port really used, never a
# guessed one that another service on the host network may answer.
if [ "${1:-}" = health ]; then
  exec node -e '
const fs = require("node:fs"), path = require("node:path");
const [runFile, home, config] = process.argv.slice(1);
const read = (f) => { try { return fs.readFileSync(f, "utf8"); } catch { return undefined; } };
const lines = (read(runFile) ?? "launcher\n").split("\n").filter(Boolean);
const mode = lines[0];
const arg = (name) => { for (let i = 1; i < lines.length; i++) { if (lines[i] === name) return lines[i + 1]; if (lines[i].startsWith(name + "=")) return lines[i].slice(name.length + 1); } };
const loopback = (h) => (!h || h === "0.0.0.0" || h === "::" || h === "[::]" ? "127.0.0.1" : h.includes(":") ? "[" + h + "]" : h);
let url, expect;
if (mode === "gateway") {
  let pid; try { pid = JSON.parse(read(path.join(home, ".picoclaw.pid")) ?? ""); } catch {}
  if (!pid || !pid.port) { console.error("unhealthy: the gateway has not written " + path.join(home, ".picoclaw.pid") + " yet"); process.exit(1); }
  url = "http://" + loopback(pid.host) + ":" + pid.port + "/health";
  expect = (b) => b.status === "ok" && (!pid.pid || b.pid === pid.pid);
} else {
  let file = {}; try { file = JSON.parse(read(path.join(config ? path.dirname(config) : home, "launcher-config.json")) ?? "{}"); } catch {}
  const port = arg("--port") || process.env.PICOCLAW_LAUNCHER_PORT || file.port || 18800;
  const host = arg("--host") || process.env.PICOCLAW_LAUNCHER_HOST || file.host;
  url = "http://" + loopback(host) + ":" + port + "/api/health";
  expect = (b) => b.status === "ok";
}
fetch(url, { signal: AbortSignal.timeout(4000) }).then((r) => r.json().then((b) => {
  if (r.ok && expect(b)) process.exit(0);
  console.error("unhealthy: " + url + " answered " + r.status); process.exit(1);
})).catch((e) => { console.error("unhealthy: " + url + ": " + e.message); process.exit(1); });
' "$RUN_DIR/picoclaw.run" "$PICOCLAW_HOME" "${PICOCLAW_CONFIG:-}"
fi

# Secrets from an env file (the homelab's /run/picoclaw/env), exported to the processes. Read as
# literal KEY=VALUE lines, never as shell: a secret such as Ab$7x&Qp;w(z or one with quotes or
# backticks is taken byte for byte (no expansion, no command substitution, quotes kept), CRLF
# line ends are accepted, '#' lines and blank lines are skipped. A line that is not KEY=VALUE
# stops the start with exit 78 (which RestartPreventExitStatus=78 does not restart), naming the
# line number but never its content, which may be a secret.
load_env_file() {
  local file="$1" line key value n=0 quoted=()
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    line="${line%$'\r'}"
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    [[ "$line" =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] \
      || fail "PICOCLAW_ENV_FILE $file line $n is not a KEY=VALUE line (KEY: letters, digits and _, not starting with a digit; the value is taken literally, quotes included). Fix that line; its content is not shown because it may hold a secret."
    key="${BASH_REMATCH[2]}"
    value="${BASH_REMATCH[3]}"
    [[ "$value" =~ ^\".*\"$|^\'.*\'$ ]] && quoted+=("$key")
    export "$key=$value"
  done <"$file"
  if ((${#quoted[@]})); then
    say "warning: in $file the values of ${quoted[*]} are in quotes, and the quotes are part of the value (the file is read literally, not as shell): remove them if they are not part of the secret"
  fi
}
if [ -n "${PICOCLAW_ENV_FILE:-}" ]; then
  [ -r "$PICOCLAW_ENV_FILE" ] || fail "PICOCLAW_ENV_FILE is set but $PICOCLAW_ENV_FILE does not exist or is not readable (is the secrets service running, and the file mounted?)"
  load_env_file "$PICOCLAW_ENV_FILE"
  say "secrets loaded from $PICOCLAW_ENV_FILE"
fi

mode="${1:-launcher}"
case "$mode" in
  gateway|launcher|render) [ $# -gt 0 ] && shift ;;
  -*) mode=launcher ;;
  *) exec "$@" ;;
esac

# The home skeleton. Files that hold secrets stay private. A home this user cannot write is
# explained (owner, user, the fixes), not guessed to be read-only.
umask 077
home_problem() {
  local dir="$PICOCLAW_HOME" me owner
  while [ ! -e "$dir" ] && [ "$dir" != / ]; do dir="$(dirname "$dir")"; done
  me="$(id -u)"
  owner="$(stat -c %u "$dir" 2>/dev/null || echo '?')"
  if [ "$owner" != "$me" ] && [ ! -w "$dir" ]; then
    fail "cannot write to $dir: it belongs to uid $owner and this container runs as uid $me. Give the volume to uid $me: on the host 'chown -R $me:$me <host dir>', or with Podman mount it with ':U' (-v <host dir>:$PICOCLAW_HOME:U), or run the container as that owner (--user $owner)"
  fi
  if grep -qsE "^[^ ]+ $dir [^ ]+ ro[, ]" /proc/mounts; then
    fail "cannot write to $dir: it is mounted read-only; the home needs to be writable (drop ':ro' from its volume)"
  fi
  fail "cannot create $PICOCLAW_HOME/workspace and $PICOCLAW_HOME/logs as uid $me (check the volume's permissions)"
}
mkdir -p "$PICOCLAW_HOME/workspace" "$PICOCLAW_HOME/logs" 2>/dev/null || home_problem

# What the health check asks (best effort: a read-only /tmp only makes it assume the launcher).
{ printf '%s\n' "$mode"; [ $# -gt 0 ] && printf '%s\n' "$@"; } >"$RUN_DIR/picoclaw.run" 2>/dev/null || true

if [ "$mode" = render ]; then
  exec node "${NODE_FLAGS[@]}" "$LAUNCHER" render "$@"
fi

if [ -f "$PICOCLAW_HOME/config.json" ]; then
  extra=""
  [ -f "$PICOCLAW_HOME/launcher-config.json" ] && extra=" + launcher-config.json"
  say "using the configuration in $PICOCLAW_HOME (config.json$extra); setup is skipped"
elif [ -n "${PICOCLAW_RENDER_TEMPLATE:-}" ]; then
  say "no config.json yet: it will be rendered from $PICOCLAW_RENDER_TEMPLATE"
else
  say "first run: no config.json in $PICOCLAW_HOME"
fi

if [ "$mode" = gateway ]; then
  if [ -n "${PICOCLAW_RENDER_TEMPLATE:-}" ]; then
    node "${NODE_FLAGS[@]}" "$LAUNCHER" render || fail "rendering the config from $PICOCLAW_RENDER_TEMPLATE failed"
  fi
  say "gateway-only mode: channels and agent without the dashboard (HTTP API on config.json's gateway.host/port unless PICOCLAW_GATEWAY_HOST/PORT are set; the gateway logs the address)"
  exec node "${NODE_FLAGS[@]}" "$GATEWAY" gateway "$@"
fi

if [ -z "${PICOCLAW_LAUNCHER_TOKEN:-}" ] && ! grep -qs '"password_hash"' "$PICOCLAW_HOME/launcher-config.json"; then
  say "setup mode: open the dashboard at the address the launcher logs below and set a password with the one-time setup code it prints (or set PICOCLAW_LAUNCHER_TOKEN)"
fi
# In a container the dashboard must be reachable from outside the container's loopback.
if [ -z "${PICOCLAW_LAUNCHER_HOST:-}" ]; then
  set -- --public "$@"
fi
# The port is not guessed here (--port, PICOCLAW_LAUNCHER_PORT or launcher-config.json decide): the launcher logs its address.
say "starting the launcher, which starts the gateway; its 'dashboard on' line below gives the address"
exec node "${NODE_FLAGS[@]}" "$LAUNCHER" "$@"
