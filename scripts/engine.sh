#!/usr/bin/env bash
# Makes sure a Docker engine answers. When none does, and we may (root, apt), installs
# Debian's docker.io and starts dockerd in the background. Idempotent: a running engine,
# Docker Desktop or a remote DOCKER_HOST is left alone.
set -euo pipefail

log() { printf 'engine: %s\n' "$*" >&2; }

engine_up() { command -v docker >/dev/null 2>&1 && timeout 5 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if engine_up; then
  log "Docker engine $(docker version --format '{{.Server.Version}}') is reachable"
  exit 0
fi

if [ -n "${DOCKER_HOST:-}" ]; then
  log "DOCKER_HOST=$DOCKER_HOST does not answer; not starting a local engine in its place"
  exit 1
fi

if [ "$(id -u)" != 0 ]; then
  log "no engine reachable and not root: start Docker yourself (e.g. 'sudo systemctl start docker')"
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || { log "no dockerd and no apt-get: install Docker Engine first"; exit 1; }
  log "installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends docker.io >/dev/null
fi

logfile=/var/log/lab-dockerd.log
log "starting dockerd (log: $logfile)"
# setsid: the daemon must outlive this script and the shell that ran it.
setsid dockerd >"$logfile" 2>&1 < /dev/null &

for _ in $(seq 1 60); do
  if engine_up; then
    log "Docker engine $(docker version --format '{{.Server.Version}}') is up"
    exit 0
  fi
  sleep 0.5
done
log "dockerd did not answer within 30 s; last lines of $logfile:"
tail -n 20 "$logfile" >&2 || true
exit 1
