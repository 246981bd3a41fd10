#!/usr/bin/env bash
# Builds the fixture images (test doubles and CI job images, see fixtures/README.md).
# Nothing is pulled: lab-fixture/debian is made with debootstrap and `docker import`, and
# every other image is built with the legacy builder FROM it (or FROM scratch).
#
#   scripts/fixtures.sh [build] [name...]  builds what changed (default: every image), then
#                                          tags the real-name aliases
#   scripts/fixtures.sh aliases            tags the real-name aliases only
#   scripts/fixtures.sh clean [name...]    removes the fixture images (default: all) and the
#                                          alias tags that point at them
#
# Each image `fixtures/<name>/` is built from its own folder: the script stages that folder
# as the build context, plus the inputs declared below. Each image carries the label
# `lab.fixture.hash`, a hash of its inputs (and of the images it is FROM), so a warm run only
# compares hashes. FIXTURES_FORCE=1 rebuilds everything. FIXTURES_ALIASES replaces the
# alias table (one "<image> <alias>" pair a line).
set -euo pipefail
cd "$(dirname "$0")/.."

# --- What is built ------------------------------------------------------------

# In build order: an image comes after every lab-fixture image it is FROM.
IMAGES=(debian node busybox traefik gitlab runner docker dind golang runner-helper)

# Inputs from outside fixtures/<name>/, staged into its build context as <context path>=<source>.
# A source starting with / is a host file, hashed by path, size and mtime to keep a warm run
# fast; other sources are repository paths, hashed by content.
declare -A INPUTS=(
  [node]="node=$(readlink -f "$(command -v node)") lib=fixtures/lib node_modules/yaml=node_modules/yaml node_modules/smol-toml=node_modules/smol-toml"
  [busybox]="busybox=/bin/busybox"
)

# Real image names the doubles also carry, so that .gitlab-ci.yml files and Dockerfiles
# written for the real images run unchanged. An alias is only set where the engine has no
# image by that name, or where that image is the same fixture (label dev.lab.fixture=<name>).
# The helper image name is gitlab-runner's own default at v19.4.1: registry and flavourless
# tag <arch>-v<version> (helpers/container/helperimage/{info,linux_info}.go).
DEFAULT_ALIASES="
docker docker:28.3.3
docker docker:28
dind docker:28.3.3-dind
dind docker:28-dind
dind docker:dind
golang golang:1.24-bookworm
golang golang:1.24
runner-helper registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:x86_64-v19.4.1
"
ALIASES=${FIXTURES_ALIASES:-$DEFAULT_ALIASES}

DEBIAN_SUITE=bookworm
DEBIAN_MIRROR=http://deb.debian.org/debian
CACHE=${FIXTURES_CACHE:-/var/cache/lab-fixtures}

HASH_LABEL=lab.fixture.hash
NAME_LABEL=dev.lab.fixture

# --- Helpers ------------------------------------------------------------------

log() { printf 'fixtures: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

# Host packages some builds read from; installed with apt-get when we may.
ensure_host_packages() {
  local missing=()
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; } || missing+=(busybox-static)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    die "missing ${missing[*]}: install them with 'sudo apt-get install ${missing[*]}'"
  fi
}

# The lab-fixture images a Dockerfile is FROM (every stage).
bases_of() {
  [ -f "fixtures/$1/Dockerfile" ] || return 0
  sed -n 's#^[[:space:]]*FROM[[:space:]]\{1,\}lab-fixture/\([a-z0-9-]*\).*#\1#Ip' "fixtures/$1/Dockerfile" | sort -u
}

# What the engine holds, read with two docker calls: the image ID of each name, and the two
# labels of each image. A warm run then needs no other docker call.
declare -A REF_ID=() ID_LABELS=()
read_engine() {
  local ref id labels
  while read -r ref id; do REF_ID[$ref]=$id; done < <(docker image ls --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' | grep -v '<none>')
  [ ${#REF_ID[@]} -gt 0 ] || return 0
  while IFS='|' read -r id labels; do ID_LABELS[$id]=$labels; done < <(
    docker image inspect -f "{{.Id}}|{{with .Config.Labels}}{{index . \"$NAME_LABEL\"}}|{{index . \"$HASH_LABEL\"}}{{end}}" $(printf '%s\n' "${REF_ID[@]}" | sort -u)
  )
}
# remember <name:tag>: reads one image again after it was built or tagged.
remember() {
  local id
  id=$(docker image inspect -f '{{.Id}}' "$1") || return 0
  REF_ID[$1]=$id
  ID_LABELS[$id]=$(docker image inspect -f "{{with .Config.Labels}}{{index . \"$NAME_LABEL\"}}|{{index . \"$HASH_LABEL\"}}{{end}}" "$id")
}
# A name without a tag means :latest, as for docker.
full_ref() { if [[ ${1##*/} == *:* ]]; then echo "$1"; else echo "$1:latest"; fi; }
id_of() {
  local ref=$1
  [[ ${ref##*/} == *:* ]] || ref=$ref:latest
  [ -n "${REF_ID[$ref]:-}" ] && echo "${REF_ID[$ref]}"
}
label_of() {
  local id labels
  id=$(id_of "$1") || return 0
  labels=${ID_LABELS[$id]:-|}
  if [ "$2" = "$NAME_LABEL" ]; then echo "${labels%%|*}"; else echo "${labels#*|}"; fi
}

# Contents of files and folders (test files excluded); identity only for host files.
hash_tree() {
  local p
  for p in "$@"; do
    if [ -d "$p" ]; then
      (cd "$p" && find . \( -type f -o -type l \) ! -name '*.test.ts' -print0 | sort -z | xargs -0 -r sha256sum)
      (cd "$p" && find . -type f -perm -u+x | sort)
    else sha256sum "$p"; fi
  done
}

inputs_of() { local pair; for pair in ${INPUTS[$1]:-}; do printf '%s\n' "$pair"; done; }

# The input hash of an image: how it is built (this script's functions for it), its folder,
# its declared inputs and the IDs of the fixture images it is FROM.
image_hash() {
  local name=$1 pair src base id
  {
    declare -f build_image stage_context docker_build
    declare -f "build_$name" "stage_$name" 2>/dev/null || true
    echo "$DEBIAN_SUITE $DEBIAN_MIRROR ${INPUTS[$name]:-}"
    hash_tree "fixtures/$name"
    while read -r pair; do
      src=${pair#*=}
      if [ "${src:0:1}" = / ]; then stat -L -c '%n %s %Y' "$src"; else hash_tree "$src"; fi
    done < <(inputs_of "$name")
    for base in $(bases_of "$name"); do
      id=$(id_of "lab-fixture/$base:latest") || die "lab-fixture/$name is FROM lab-fixture/$base, which is not built: list $base first in IMAGES"
      printf '%s %s\n' "$base" "$id"
    done
  } | sha256sum | cut -c1-32
}

# Copies a file or folder into the context, hard-linking big files when possible.
place() {
  local src=$1 dest=$2
  mkdir -p "$(dirname "$dest")"
  if [ -d "$src" ]; then cp -r "$src" "$dest"; else ln -f "$(readlink -f "$src")" "$dest" 2>/dev/null || cp -L --preserve=mode "$src" "$dest"; fi
}

# The build context: the image's folder, then its declared inputs, then its stage hook.
stage_context() {
  local name=$1 ctx=$2 pair
  mkdir -p "$ctx"
  cp -a "fixtures/$name/." "$ctx/"
  while read -r pair; do place "${pair#*=}" "$ctx/${pair%%=*}"; done < <(inputs_of "$name")
  if declare -F "stage_$name" >/dev/null; then "stage_$name" "$ctx"; fi
}

docker_build() {
  local name=$1 ctx=$2 hash=$3 out
  # The legacy builder's deprecation notice is noise; show the output only on failure.
  if ! out=$(DOCKER_BUILDKIT=0 docker build -q --label "$HASH_LABEL=$hash" --label "$NAME_LABEL=$name" -t "lab-fixture/$name:latest" "$ctx" 2>&1); then
    printf '%s\n' "$out" >&2
    die "building lab-fixture/$name failed"
  fi
}

build_image() {
  local name=$1 hash=$2
  if [ "$name" = debian ]; then build_debian "$hash"; return; fi
  stage_context "$name" "$STAGE/$name"
  docker_build "$name" "$STAGE/$name" "$hash"
}

# --- lab-fixture/debian: debootstrap, then docker import -------------------------
# The .debs are kept in $CACHE/debs, so that a second cold build downloads only the indexes.
build_debian() {
  local hash=$1 root=$STAGE/debian-root
  [ "$(id -u)" = 0 ] || die "lab-fixture/debian is made with debootstrap, which needs root"
  mkdir -p "$CACHE/debs"
  log "debootstrap $DEBIAN_SUITE (minbase) into $root"
  if ! debootstrap --variant=minbase --include=ca-certificates --cache-dir="$CACHE/debs" \
    "$DEBIAN_SUITE" "$root" "$DEBIAN_MIRROR" >"$STAGE/debootstrap.log" 2>&1; then
    tail -n 30 "$STAGE/debootstrap.log" >&2
    die "debootstrap failed"
  fi
  # Configuration (apt sources with updates and security, container-friendly apt and dpkg).
  cp -a fixtures/debian/rootfs/. "$root/"
  rm -f "$root/etc/apt/sources.list" "$root/etc/hostname" "$root/etc/resolv.conf"
  # What the dpkg excludes would have kept out, the apt caches, and the build's logs.
  find "$root/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  rm -rf "$root"/usr/share/{man,info}/* "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin \
    "$root"/var/lib/apt/lists/* "$root"/var/log/* "$root"/tmp/* "$root"/dev/*
  tar --numeric-owner -C "$root" -c . | docker import \
    --change "LABEL $HASH_LABEL=$hash" --change "LABEL $NAME_LABEL=debian" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - lab-fixture/debian:latest >/dev/null
}

# --- Legacy layouts -----------------------------------------------------------
# The traefik and runner Dockerfiles COPY from these layouts (app/ and a binary). A
# Dockerfile that COPYs straight from its folder (like gitlab's) needs no stage hook.

# Traefik's fallback certificate, made once per build like Traefik makes one per start.
stage_traefik() {
  local ctx=$1 san
  mkdir -p "$ctx/app"
  cp fixtures/traefik/*.mjs "$ctx/app/"
  install -m 0755 fixtures/traefik/traefik.cjs "$ctx/traefik"
  san="$(openssl rand -hex 16).$(openssl rand -hex 16).traefik.default"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 -subj "/CN=TRAEFIK DEFAULT CERT" \
    -addext "subjectAltName=DNS:$san" -keyout "$ctx/app/default-key.pem" -out "$ctx/app/default-cert.pem" 2>/dev/null
}

stage_runner() {
  local ctx=$1
  mkdir -p "$ctx/app"
  cp fixtures/runner/*.mjs "$ctx/app/"
  install -m 0755 fixtures/runner/gitlab-runner.cjs "$ctx/gitlab-runner"
}

# --- Commands -----------------------------------------------------------------

build_all() {
  local name hash old superseded=()
  ensure_host_packages
  for name in "$@"; do
    hash=$(image_hash "$name")
    if [ "${FIXTURES_FORCE:-}" != 1 ] && [ "$(label_of "lab-fixture/$name:latest" "$HASH_LABEL")" = "$hash" ]; then
      log "lab-fixture/$name is up to date"
      continue
    fi
    old=$(id_of "lab-fixture/$name:latest" || true)
    log "building lab-fixture/$name"
    local started=$SECONDS
    build_image "$name" "$hash"
    remember "lab-fixture/$name:latest"
    log "built lab-fixture/$name in $((SECONDS - started)) s"
    [ -n "$old" ] && [ "$old" != "$(id_of "lab-fixture/$name:latest")" ] && superseded=("$old" "${superseded[@]}")
  done
  apply_aliases
  # Images a rebuild replaced, children first; one still in use by a container stays.
  for old in "${superseded[@]}"; do
    [ -z "$(docker image inspect -f '{{join .RepoTags ""}}' "$old" 2>/dev/null)" ] && docker image rm "$old" >/dev/null 2>&1 || true
  done
}

alias_pairs() { printf '%s\n' "$ALIASES" | awk 'NF == 2 && $1 !~ /^#/ {print $1, $2}'; }

# Whether an image is the fixture image <name> (or an earlier build of it). Labels are
# inherited, so an image built FROM a fixture carries its base's label: only the name is
# checked, and an image built FROM lab-fixture/docker and tagged docker:28 counts as ours.
is_fixture() { [ "$(label_of "$1" "$NAME_LABEL")" = "$2" ]; }

# Tags each alias whose fixture image exists, unless the alias names some other image.
apply_aliases() {
  local name alias target current
  while read -r name alias; do
    target=$(id_of "lab-fixture/$name:latest") || continue
    current=$(id_of "$alias" || true)
    [ "$current" != "$target" ] || continue
    if [ -n "$current" ] && ! is_fixture "$alias" "$name"; then
      log "$alias names an image that scripts/fixtures.sh did not build: left alone"
      continue
    fi
    docker tag "lab-fixture/$name:latest" "$alias"
    remember "$(full_ref "$alias")"
    log "$alias -> lab-fixture/$name"
  done < <(alias_pairs)
}

# Removes the aliases of the named images, then the images, children first.
clean() {
  local name alias failed=0 i
  local names=" $* "
  while read -r name alias; do
    [[ $names == *" $name "* ]] && is_fixture "$alias" "$name" || continue
    if docker image rm "$alias" >/dev/null; then log "removed $alias"; else failed=1; fi
  done < <(alias_pairs)
  for ((i = $#; i >= 1; i--)); do
    name=${!i}
    is_fixture "lab-fixture/$name:latest" "$name" || continue
    if docker image rm "lab-fixture/$name:latest" >/dev/null; then log "removed lab-fixture/$name"; else failed=1; fi
  done
  return $failed
}

summary() {
  docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' --filter 'reference=lab-fixture/*' | sed 's/^/fixtures: /' >&2
}

cmd=build
case "${1:-}" in build | aliases | clean) cmd=$1 && shift ;; esac
[ $# -gt 0 ] || set -- "${IMAGES[@]}"
for name in "$@"; do
  [ "$cmd" = clean ] || [[ " ${IMAGES[*]} " == *" $name "* ]] || die "unknown image $name (known: ${IMAGES[*]})"
done

read_engine
case $cmd in
  build)
    STAGE=$(mktemp -d "${TMPDIR:-/var/tmp}/lab-fixtures.XXXXXX")
    trap 'rm -rf "$STAGE"' EXIT
    build_all "$@"
    summary
    ;;
  aliases) apply_aliases ;;
  clean) clean "$@" ;;
esac
