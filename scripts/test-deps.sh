#!/usr/bin/env bash
# Tools some tests use when present, installed where we may (root with apt) and missing:
# ruby evaluates the rendered Omnibus config as Ruby, certutil (libnss3-tools) exercises the
# NSS trust store. Without them those tests skip or test the "missing tool" path instead.
set -euo pipefail

want=()
command -v ruby >/dev/null 2>&1 || want+=(ruby)
command -v certutil >/dev/null 2>&1 || want+=(libnss3-tools)
command -v curl >/dev/null 2>&1 || want+=(curl)
[ ${#want[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: ${want[*]} missing; the tests that need them will skip" >&2
  exit 0
fi
echo "test-deps: installing ${want[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || true
apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null || echo "test-deps: could not install ${want[*]}; those tests will skip" >&2
