#!/usr/bin/env bash
# PicoClaw container entrypoint.
#
#   (no argument)   the launcher (dashboard on :18800) supervising the gateway
#   gateway [flags] the gateway alone, headless (gateway-only mode)
#   render [flags]  render config.json + .security.yml from a template, then exit
#   anything else   run that command (e.g. sh) in the container
#
# Environment: PICOCLAW_HOME (default /root/.picoclaw), PICOCLAW_ENV_FILE (KEY=VALUE secrets,
# e.g. /run/picoclaw/env), PICOCLAW_RENDER_TEMPLATE (config template rendered at start),
# PICOCLAW_LAUNCHER_TOKEN, PICOCLAW_APP (where the app is installed, default /app).
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

# Secrets from an env file (the homelab's /run/picoclaw/env), exported to the processes.
if [ -n "${PICOCLAW_ENV_FILE:-}" ]; then
  [ -r "$PICOCLAW_ENV_FILE" ] || fail "PICOCLAW_ENV_FILE is set but $PICOCLAW_ENV_FILE does not exist or is not readable (is the secrets service running, and the file mounted?)"
  set -a
  # shellcheck disable=SC1090
  . "$PICOCLAW_ENV_FILE"
  set +a
  say "secrets loaded from $PICOCLAW_ENV_FILE"
fi

# The home skeleton. Files that hold secrets stay private.
umask 077
mkdir -p "$PICOCLAW_HOME/workspace" "$PICOCLAW_HOME/logs" || fail "cannot create $PICOCLAW_HOME (is the volume mounted read-only?)"

mode="${1:-launcher}"
case "$mode" in
  gateway|launcher|render) [ $# -gt 0 ] && shift ;;
  -*) mode=launcher ;;
  *) exec "$@" ;;
esac

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
  say "setup mode: open the dashboard on port ${PICOCLAW_LAUNCHER_PORT:-18800} and set a password with the one-time setup code the launcher prints below (or set PICOCLAW_LAUNCHER_TOKEN)"
fi
# In a container the dashboard must be reachable from outside the container's loopback.
if [ -z "${PICOCLAW_LAUNCHER_HOST:-}" ]; then
  set -- --public "$@"
fi
say "starting the launcher (dashboard on port ${PICOCLAW_LAUNCHER_PORT:-18800}), which starts the gateway"
exec node "${NODE_FLAGS[@]}" "$LAUNCHER" "$@"
