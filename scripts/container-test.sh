#!/usr/bin/env bash
# The container image, built and run for real with Podman, as the homelab runs it:
#   1. the base image the Dockerfile names (node:20-bookworm-slim) made locally when no registry
#      is reachable: a debootstrap --variant=minbase bookworm rootfs (cached in .cache/container)
#      plus this machine's Node 20, imported with `podman import`;
#   2. the image built from docker/Dockerfile as it is, with --format docker (keeps HEALTHCHECK);
#   3. the scenarios of test/e2e/container/scenarios.ts, one line each (first run, unified home,
#      env-file secrets, gateway-only MQTT, health/stop/restart/non-root, units, build context).
# Installs podman, buildah, debootstrap (and runc) with apt when it is root on Debian; otherwise,
# or when podman cannot run containers here, prints "skipped: podman cannot run here because …"
# and exits 0. Exit status 1 when a scenario fails. Arguments: scenario numbers to run (default all).
#   PICOCLAW_IMAGE    the tag to build (default localhost/picoclaw-ts:latest)
#   PICOCLAW_DEBIAN_MIRROR  for debootstrap (default http://deb.debian.org/debian)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root="$PWD"
cache="$root/.cache/container"
image="${PICOCLAW_IMAGE:-localhost/picoclaw-ts:latest}"
export PICOCLAW_IMAGE="$image"
started=$SECONDS

say() { printf 'container-test: %s\n' "$*"; }
skip() { printf 'skipped: podman cannot run here because %s\n' "$*"; exit 0; }

# --- prerequisites ------------------------------------------------------------------------
missing=()
command -v podman >/dev/null || missing+=(podman)
command -v buildah >/dev/null || missing+=(buildah)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v runc >/dev/null || missing+=(runc)
command -v systemd-analyze >/dev/null || missing+=(systemd)
command -v mosquitto >/dev/null || missing+=(mosquitto)
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing ${missing[*]}"
    install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; }
    install || { apt-get update -qq >/dev/null 2>&1 && install; } || skip "apt-get could not install ${missing[*]}"
  else
    command -v podman >/dev/null || skip "podman is not installed and this is not root on Debian (install podman, buildah and debootstrap, then run scripts/container-test.sh as root)"
  fi
fi
[ "$(id -u)" = 0 ] || skip "this script needs root (rootful podman with --network=host and ':U' volumes; rootless is not set up by this script)"

# Storage: overlay where the kernel allows it, vfs otherwise.
if ! podman info >/dev/null 2>&1; then
  export STORAGE_DRIVER=vfs
  podman info >/dev/null 2>&1 || skip "'podman info' fails with both the overlay and the vfs storage drivers: $(podman info 2>&1 | tail -1)"
  say "storage driver: vfs"
fi
mkdir -p "$cache"

# --- the base image ----------------------------------------------------------------------
base="$(sed -n 's/^FROM[[:space:]]\{1,\}\([^[:space:]]*\).*/\1/p' docker/Dockerfile | head -1)"
[ -n "$base" ] || { echo "FAIL: no FROM line in docker/Dockerfile"; exit 1; }
case "$base" in */*) qualified="$base" ;; *) qualified="docker.io/library/$base" ;; esac
t=$SECONDS
if podman image exists "$qualified"; then
  say "base image $qualified: present"
else
  node_bin="$(readlink -f "$(command -v node)")"
  node_major="$("$node_bin" -p 'process.versions.node.split(".")[0]')"
  want_major="$(printf '%s' "$base" | sed -n 's/^.*node:\([0-9]\{1,\}\).*$/\1/p')"
  [ -z "$want_major" ] || [ "$node_major" = "$want_major" ] || { echo "FAIL: $base needs Node $want_major, this machine has Node $node_major"; exit 1; }
  rootfs_tar="$cache/bookworm-minbase.tar"
  if [ ! -s "$rootfs_tar" ]; then
    say "making a bookworm minbase rootfs with debootstrap (once; cached in $rootfs_tar)"
    work="$(mktemp -d)"
    if ! debootstrap --variant=minbase bookworm "$work/rootfs" "${PICOCLAW_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$cache/debootstrap.log" 2>&1; then
      rm -rf "$work"
      skip "debootstrap failed (no Debian mirror reachable?): $(tail -1 "$cache/debootstrap.log")"
    fi
    rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
    tar --numeric-owner -cf "$rootfs_tar.part" -C "$work/rootfs" . && mv "$rootfs_tar.part" "$rootfs_tar"
    rm -rf "$work"
  fi
  # This machine's Node where the official image has it (/usr/local), with npm and corepack.
  stage="$(mktemp -d)"
  cp "$rootfs_tar" "$stage/base.tar"
  mods="$(dirname "$node_bin")/../lib/node_modules"
  mkdir -p "$stage/root/usr/local/bin" "$stage/root/usr/local/lib/node_modules"
  cp "$node_bin" "$stage/root/usr/local/bin/node"
  for m in npm corepack; do [ -d "$mods/$m" ] && cp -a "$mods/$m" "$stage/root/usr/local/lib/node_modules/"; done
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$stage/root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$stage/root/usr/local/bin/npx"
  ln -s ../lib/node_modules/corepack/dist/corepack.js "$stage/root/usr/local/bin/corepack"
  changes=(--change 'CMD ["node"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
  # A machine behind a TLS-inspecting proxy trusts its CA through NODE_EXTRA_CA_CERTS: the build's
  # npm needs it too (only in this stand-in base, never in the Dockerfile).
  if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r "$NODE_EXTRA_CA_CERTS" ]; then
    mkdir -p "$stage/root/etc/ssl/certs"
    cp "$NODE_EXTRA_CA_CERTS" "$stage/root/etc/ssl/certs/extra-ca.crt"
    changes+=(--change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/extra-ca.crt')
  fi
  # Files, links and the new node_modules folders only: a folder the rootfs has already (usr/local/bin…)
  # appended again would be a duplicate path, which podman import refuses.
  (cd "$stage/root" && { find . -mindepth 1 ! -type d; find ./usr/local/lib/node_modules -type d; } >"$stage/list")
  tar --numeric-owner --owner=0 --group=0 --no-recursion -rf "$stage/base.tar" -C "$stage/root" -T "$stage/list"
  podman import "${changes[@]}" "$stage/base.tar" "$qualified" >/dev/null || { rm -rf "$stage"; echo "FAIL: podman import of the base image failed"; exit 1; }
  rm -rf "$stage"
  say "base image $qualified: made in $((SECONDS - t)) s (minbase rootfs + Node $("$node_bin" -v))"
fi

# --- can podman run a container here? -------------------------------------------------------
probe() { podman run --rm --network host "$qualified" node -e '' >"$cache/probe.log" 2>&1; }
if ! probe; then
  # Sandboxes without CAP_SYS_RESOURCE (podman's default rlimits cannot be set) or with hybrid
  # cgroups (crun refuses them): runc and the current limits, in a config of this test only.
  cat >"$cache/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=4096:4096"]
[engine]
runtime = "runc"
EOF
  export CONTAINERS_CONF="$cache/containers.conf"
  probe || skip "a container does not start: $(tail -1 "$cache/probe.log")"
  say "runtime: runc with this machine's rlimits ($CONTAINERS_CONF)"
fi

# Containers and volumes left by an earlier run that was killed (named pct<pid>-…, that pid gone).
for name in $(podman ps -a --format '{{.Names}}' 2>/dev/null; podman volume ls --format '{{.Name}}' 2>/dev/null); do
  [[ "$name" =~ ^pct([0-9]+)- ]] || continue
  kill -0 "${BASH_REMATCH[1]}" 2>/dev/null && continue
  podman rm -f -t 0 "$name" >/dev/null 2>&1 || podman volume rm -f "$name" >/dev/null 2>&1
done

# --- build ---------------------------------------------------------------------------------
# A secrets file where compose.yaml looks for it, present at build time: .dockerignore must keep
# it out of the build context (scenario 7). A real one is left alone.
canary=""
if [ ! -e docker/picoclaw.env ]; then
  canary=docker/picoclaw.env
  printf 'CANARY_SECRET=must-not-be-in-the-image\n' >"$canary"
fi
trap '[ -z "$canary" ] || rm -f "$canary"' EXIT

t=$SECONDS
# The build stage first, tagged for scenario 7 to look into; the full build then reuses its layers.
export PICOCLAW_BUILD_STAGE_IMAGE="localhost/picoclaw-ts-test:build-stage"
if ! { podman build --format docker --network host --target build -f docker/Dockerfile -t "$PICOCLAW_BUILD_STAGE_IMAGE" . \
  && podman build --format docker --network host -f docker/Dockerfile -t "$image" .; } >"$cache/build.log" 2>&1; then
  tail -30 "$cache/build.log"
  echo "FAIL 0 the image does not build (podman build --format docker -f docker/Dockerfile .)"
  exit 1
fi
build_s=$((SECONDS - t))
# Images of earlier builds nothing refers to any more: without this every changed build keeps ~250 MB.
podman image prune -f >/dev/null 2>&1 || true
size="$(podman image inspect --format '{{.Size}}' "$image")"
say "build: ${build_s} s; image $image: $((size / 1000000)) MB"

# --- the quadlet generator -----------------------------------------------------------------
quadlet=/usr/libexec/podman/quadlet
podman_version="$(podman version --format '{{.Client.Version}}' 2>/dev/null)"
if [ ! -x "$quadlet" ]; then
  quadlet="$cache/quadlet"
  if [ ! -x "$quadlet" ] && command -v apt-get >/dev/null; then
    # Podman < 4.4 has no quadlet. The generator is one program: take it from Debian trixie's
    # podman package (not installed), only to check the .container file with -dryrun.
    q="$(mktemp -d)"
    mkdir -p "$q/lists/partial" "$q/cache/archives/partial"
    echo "deb ${PICOCLAW_DEBIAN_MIRROR:-http://deb.debian.org/debian} trixie main" >"$q/sources.list"
    o=(-o "Dir::Etc::sourcelist=$q/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$q/lists" -o "Dir::Cache=$q/cache")
    if apt-get "${o[@]}" update -qq >/dev/null 2>&1 && (cd "$q" && apt-get "${o[@]}" download podman >/dev/null 2>&1); then
      dpkg-deb -x "$q"/podman_*.deb "$q/x" && cp "$q/x/usr/libexec/podman/quadlet" "$quadlet" \
        && dpkg-deb -f "$q"/podman_*.deb Version >"$cache/quadlet.version"
    fi
    rm -rf "$q"
  fi
fi
if [ -x "$quadlet" ]; then
  export PICOCLAW_QUADLET="$quadlet"
  PICOCLAW_QUADLET_VERSION="$( [ "$quadlet" = /usr/libexec/podman/quadlet ] && echo "$podman_version" || echo "from podman $(cat "$cache/quadlet.version" 2>/dev/null)")"
  export PICOCLAW_QUADLET_VERSION
else
  export PICOCLAW_QUADLET_SKIPPED="podman $podman_version has no quadlet (needs 4.4+) and none could be fetched"
fi

# --- scenarios -----------------------------------------------------------------------------
t=$SECONDS
node --import tsx test/e2e/container/scenarios.ts "$@"
rc=$?
say "scenarios: $((SECONDS - t)) s; total $((SECONDS - started)) s"
exit "$rc"
