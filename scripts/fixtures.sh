#!/usr/bin/env bash
# Builds the fixture images (test doubles, see fixtures/README.md) from host binaries:
# nothing is pulled. lab-fixture/node is the host's node binary with exactly its shared
# libraries FROM scratch; traefik, gitlab and runner add their sources on top of it.
# Idempotent and fast: each image carries a hash of its inputs in a label, and an image
# whose inputs did not change is not rebuilt. FIXTURES_FORCE=1 rebuilds everything.
set -euo pipefail
cd "$(dirname "$0")/.."

FIX=fixtures
LABEL=lab.fixture.hash
log() { printf 'fixtures: %s\n' "$*" >&2; }

is_static() { ! ldd "$1" >/dev/null 2>&1; }

ensure_host_packages() {
  local missing=()
  { [ -x /bin/busybox ] && is_static /bin/busybox; } || missing+=(busybox-static)
  [ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    log "missing ${missing[*]}: install them with 'sudo apt-get install ${missing[*]}'"
    exit 1
  fi
}

# Shared libraries of a dynamically linked binary, as ldd resolves them (loader included).
libs_of() { ldd "$1" | awk '/=> \//{print $3} /^[[:space:]]*\/[^ ]+ \(/{print $1}'; }

# A short hash of files and folders: contents for sources, identity (path, size, mtime) for
# big binaries, which keeps a warm run fast.
hash_sources() {
  local p
  for p in "$@"; do
    if [ -d "$p" ]; then find "$p" -type f ! -name '*.test.ts' -print0 | sort -z | xargs -0 sha256sum; else sha256sum "$p"; fi
  done
}
hash_binaries() { local p; for p in "$@"; do stat -L -c '%n %s %Y' "$p"; done; }

label_of() { docker image inspect -f "{{ index .Config.Labels \"$LABEL\" }}" "$1:latest" 2>/dev/null || true; }
id_of() { docker image inspect -f '{{.Id}}' "$1:latest"; }

# up_to_date <image> <hash>: whether the image exists with that input hash.
up_to_date() {
  if [ "${FIXTURES_FORCE:-}" != 1 ] && [ "$(label_of "$1")" = "$2" ]; then
    log "$1 is up to date"
    return 0
  fi
  return 1
}

build() {
  local image=$1 ctx=$2 hash=$3
  log "building $image"
  local out
  # The legacy builder's deprecation notice is noise; show the output only on failure.
  if ! out=$(DOCKER_BUILDKIT=0 docker build -q --label "$LABEL=$hash" -t "$image:latest" "$ctx" 2>&1); then
    printf '%s\n' "$out" >&2
    log "building $image failed"
    exit 1
  fi
}

# Copies a file to the same path under a root folder (hard link when possible).
place() {
  local src=$1 root=$2 dest=${3:-$1}
  mkdir -p "$root$(dirname "$dest")"
  ln -f "$(readlink -f "$src")" "$root$dest" 2>/dev/null || cp -L --preserve=mode "$src" "$root$dest"
}

ensure_host_packages
NODE_BIN=$(readlink -f "$(command -v node)")
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
SCRIPT_HASH=$(sha256sum "$0" | cut -c1-64)
NODE_MODULES=(node_modules/yaml node_modules/smol-toml)

# --- lab-fixture/node -------------------------------------------------------
mapfile -t NODE_LIBS < <(libs_of "$NODE_BIN")
node_hash=$({ echo "$SCRIPT_HASH"; hash_binaries "$NODE_BIN" "${NODE_LIBS[@]}"; hash_sources "$FIX/node" "$FIX/lib" "${NODE_MODULES[@]}"; } | sha256sum | cut -c1-32)
if ! up_to_date lab-fixture/node "$node_hash"; then
  ctx=$STAGE/node root=$STAGE/node/rootfs
  mkdir -p "$root/tmp" "$root/root" "$root/fixture/node_modules"
  chmod 1777 "$root/tmp"
  place "$NODE_BIN" "$root" /usr/local/bin/node
  for lib in "${NODE_LIBS[@]}"; do place "$lib" "$root"; done
  cp -r "$FIX/node/etc" "$root/etc"
  cp "$FIX/node/probe.mjs" "$root/fixture/probe.mjs"
  cp -r "$FIX/lib" "$root/fixture/lib"
  for m in "${NODE_MODULES[@]}"; do cp -r "$m" "$root/fixture/node_modules/"; done
  cp "$FIX/node/Dockerfile" "$ctx/"
  build lab-fixture/node "$ctx" "$node_hash"
fi
NODE_ID=$(id_of lab-fixture/node)

# --- lab-fixture/busybox ----------------------------------------------------
bb_hash=$({ echo "$SCRIPT_HASH"; hash_binaries /bin/busybox; hash_sources "$FIX/busybox"; } | sha256sum | cut -c1-32)
if ! up_to_date lab-fixture/busybox "$bb_hash"; then
  ctx=$STAGE/busybox
  mkdir -p "$ctx"
  place /bin/busybox "$ctx" /busybox
  cp "$FIX/busybox/Dockerfile" "$ctx/"
  build lab-fixture/busybox "$ctx" "$bb_hash"
fi

# --- lab-fixture/traefik ----------------------------------------------------
tr_hash=$({ echo "$SCRIPT_HASH $NODE_ID"; hash_sources "$FIX/traefik"; } | sha256sum | cut -c1-32)
if ! up_to_date lab-fixture/traefik "$tr_hash"; then
  ctx=$STAGE/traefik
  mkdir -p "$ctx/app"
  cp "$FIX"/traefik/*.mjs "$ctx/app/"
  install -m 0755 "$FIX/traefik/traefik.cjs" "$ctx/traefik"
  # Traefik's own fallback certificate, made once per build like Traefik makes it per start.
  san="$(openssl rand -hex 16).$(openssl rand -hex 16).traefik.default"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 -subj "/CN=TRAEFIK DEFAULT CERT" \
    -addext "subjectAltName=DNS:$san" -keyout "$ctx/app/default-key.pem" -out "$ctx/app/default-cert.pem" 2>/dev/null
  cp "$FIX/traefik/Dockerfile" "$ctx/"
  build lab-fixture/traefik "$ctx" "$tr_hash"
fi

# --- lab-fixture/gitlab -----------------------------------------------------
mapfile -t REG_LIBS < <(libs_of /usr/bin/docker-registry)
gl_hash=$({ echo "$SCRIPT_HASH $NODE_ID"; hash_binaries /usr/bin/docker-registry "${REG_LIBS[@]}"; hash_sources "$FIX/gitlab"; } | sha256sum | cut -c1-32)
if ! up_to_date lab-fixture/gitlab "$gl_hash"; then
  ctx=$STAGE/gitlab root=$STAGE/gitlab/rootfs
  mkdir -p "$root/fixture/gitlab" "$root/opt/gitlab/bin" "$root/usr/bin" "$root/etc/docker-registry"
  cp "$FIX"/gitlab/*.mjs "$root/fixture/gitlab/"
  cp "$FIX/gitlab/registry.yml" "$root/etc/docker-registry/config.yml"
  place /usr/bin/docker-registry "$root"
  for lib in "${REG_LIBS[@]}"; do place "$lib" "$root"; done
  for tool in gitlab-rails gitlab-healthcheck; do install -m 0755 "$FIX/gitlab/bin/$tool.cjs" "$root/opt/gitlab/bin/$tool"; done
  install -m 0755 "$FIX/gitlab/bin/gitlab-rails.cjs" "$root/usr/bin/gitlab-rails"
  cp "$FIX/gitlab/Dockerfile" "$ctx/"
  build lab-fixture/gitlab "$ctx" "$gl_hash"
fi

# --- lab-fixture/runner -----------------------------------------------------
rn_hash=$({ echo "$SCRIPT_HASH $NODE_ID"; hash_sources "$FIX/runner"; } | sha256sum | cut -c1-32)
if ! up_to_date lab-fixture/runner "$rn_hash"; then
  ctx=$STAGE/runner
  mkdir -p "$ctx/app"
  cp "$FIX"/runner/*.mjs "$ctx/app/"
  install -m 0755 "$FIX/runner/gitlab-runner.cjs" "$ctx/gitlab-runner"
  cp "$FIX/runner/Dockerfile" "$ctx/"
  build lab-fixture/runner "$ctx" "$rn_hash"
fi

docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep '^lab-fixture/' | sed 's/^/fixtures: /' >&2
