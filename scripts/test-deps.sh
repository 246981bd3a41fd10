#!/usr/bin/env bash
# Installs every program the tests and benchmarks run, when it is missing (as root, with
# apt-get): certificate tools (mkcert, certutil, keytool, openssl), ruby (the Omnibus config is Ruby),
# curl, git, iproute2, what scripts/fixtures.sh builds from (debootstrap, busybox-static),
# Debian's docker-registry, and the Docker Compose v2 CLI plugin.
#
# Debian bookworm packages only Compose v1, so the plugin comes from trixie's docker-compose
# package (a static Go binary that needs libc6 >= 2.34): the InRelease signature is checked
# with gpgv against Debian's archive keyring, the Packages index against InRelease, and the
# .deb against the index, before dpkg-deb unpacks it to
# /usr/local/lib/docker/cli-plugins/docker-compose.
#
# With LAB_REQUIRE_DOCKER=1 (CI) anything that cannot be installed fails the script, with the
# reason. Elsewhere (no root, no apt) it says what is missing and carries on: the tests that
# need a missing program fail in their beforeAll (test/helpers/tools.ts).
set -euo pipefail

log() { printf 'test-deps: %s\n' "$*" >&2; }

failed=0
problem() {
  log "$*"
  if [ "${LAB_REQUIRE_DOCKER:-}" = 1 ]; then exit 1; fi
  failed=1
}

# "<check> <Debian package>": a program on PATH, or a function named check_<...>.
PROGRAMS=(
  "mkcert mkcert"
  "keytool default-jre-headless"
  "ruby ruby"
  "certutil libnss3-tools"
  "curl curl"
  "git git"
  "ssh openssh-client"
  "openssl openssl"
  "ip iproute2"
  "debootstrap debootstrap"
  "docker-registry docker-registry"
  "check_busybox_static busybox-static"
)

# scripts/fixtures.sh copies /bin/busybox into an image FROM scratch: it must be static.
check_busybox_static() { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; }

present() {
  if declare -F "$1" >/dev/null; then "$1"; else command -v "$1" >/dev/null 2>&1; fi
}

may_install() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

install_packages() {
  local check package missing=()
  for entry in "${PROGRAMS[@]}"; do
    read -r check package <<<"$entry"
    present "$check" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! may_install; then
    problem "missing ${missing[*]}; install them with: sudo apt-get install ${missing[*]}"
    return 0
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get update -qq >"$WORK/apt.log" 2>&1 ||
    ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$WORK/apt.log" 2>&1; then
    tail -n 20 "$WORK/apt.log" >&2
    problem "could not install ${missing[*]}"
  fi
}

# --- Docker Compose v2 ----------------------------------------------------------

MIRROR=http://deb.debian.org/debian
COMPOSE_SUITE=trixie
COMPOSE_PLUGIN=/usr/local/lib/docker/cli-plugins/docker-compose
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

compose_answers() {
  if command -v docker >/dev/null 2>&1; then
    docker compose version >/dev/null 2>&1
  else
    # Without a docker CLI the plugin still answers on its own.
    [ -x "$COMPOSE_PLUGIN" ] && "$COMPOSE_PLUGIN" version >/dev/null 2>&1
  fi
}

# sha256_is <file> <sha256> <size>
sha256_is() { [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ] && [ "$(stat -c %s "$1")" = "$3" ]; }

# The field of one package's stanza in a Packages index.
field() { awk -v pkg="$2" -v f="$3:" '$1 == "Package:" { p = ($2 == pkg) } p && $1 == f { sub(/^[^ ]+ /, ""); print; exit }' "$1"; }

install_compose() {
  local tmp=$WORK arch index sha size deb version depends plugin
  arch=$(dpkg --print-architecture)
  curl -fsSL "$MIRROR/dists/$COMPOSE_SUITE/InRelease" -o "$tmp/InRelease" || {
    problem "could not download $COMPOSE_SUITE's InRelease"
    return 0
  }
  if command -v gpgv >/dev/null 2>&1 && [ -r "$KEYRING" ]; then
    # Only what the signature covers is read from here on.
    gpgv --quiet --keyring "$KEYRING" --output "$tmp/Release" "$tmp/InRelease" 2>"$tmp/gpgv.log" || {
      problem "the signature of $COMPOSE_SUITE's InRelease does not verify: $(tail -n 1 "$tmp/gpgv.log")"
      return 0
    }
  else
    log "no gpgv or $KEYRING: the InRelease signature is not checked, only the hashes"
    cp "$tmp/InRelease" "$tmp/Release"
  fi
  index=main/binary-$arch/Packages.gz
  read -r sha size < <(awk -v f="$index" '/^SHA256:/ { s = 1; next } /^[^ ]/ { s = 0 } s && $3 == f { print $1, $2 }' "$tmp/Release")
  [ -n "${sha:-}" ] || {
    problem "$index is not listed in $COMPOSE_SUITE's Release"
    return 0
  }
  curl -fsSL "$MIRROR/dists/$COMPOSE_SUITE/$index" -o "$tmp/Packages.gz" && sha256_is "$tmp/Packages.gz" "$sha" "$size" || {
    problem "$COMPOSE_SUITE's $index does not match the hash its Release gives"
    return 0
  }
  gzip -dc "$tmp/Packages.gz" >"$tmp/Packages"
  deb=$(field "$tmp/Packages" docker-compose Filename)
  sha=$(field "$tmp/Packages" docker-compose SHA256)
  size=$(field "$tmp/Packages" docker-compose Size)
  version=$(field "$tmp/Packages" docker-compose Version)
  depends=$(field "$tmp/Packages" docker-compose Depends)
  [ -n "$deb" ] && [ -n "$sha" ] || {
    problem "no docker-compose package in $COMPOSE_SUITE"
    return 0
  }
  # A static binary: libc is all it needs, and bookworm's is new enough.
  if [[ $depends =~ ^libc6\ \(\>=\ ([0-9.]+)\)$ ]]; then
    dpkg --compare-versions "$(dpkg-query -W -f '${Version}' libc6)" ge "${BASH_REMATCH[1]}" || {
      problem "docker-compose $version needs libc6 >= ${BASH_REMATCH[1]}"
      return 0
    }
  else
    problem "docker-compose $version depends on '$depends', more than libc6: not installing it"
    return 0
  fi
  curl -fsSL "$MIRROR/$deb" -o "$tmp/compose.deb" && sha256_is "$tmp/compose.deb" "$sha" "$size" || {
    problem "$deb does not match the hash of $COMPOSE_SUITE's Packages index"
    return 0
  }
  dpkg-deb -x "$tmp/compose.deb" "$tmp/root"
  plugin=$(find "$tmp/root" -path '*/cli-plugins/docker-compose' -type f | head -n 1)
  [ -n "$plugin" ] || {
    problem "$deb holds no cli-plugins/docker-compose"
    return 0
  }
  install -D -m 0755 "$plugin" "$COMPOSE_PLUGIN"
  log "installed Docker Compose $version from $COMPOSE_SUITE as $COMPOSE_PLUGIN"
}

ensure_compose() {
  compose_answers && return 0
  if ! may_install; then
    problem "the Docker Compose v2 plugin is missing; run scripts/test-deps.sh as root to install it"
    return 0
  fi
  install_compose
  compose_answers || problem "the Docker Compose plugin does not answer 'docker compose version'"
}

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
install_packages
ensure_compose
[ "$failed" = 0 ] || log "some programs are missing: the tests that run them will fail"
exit 0
