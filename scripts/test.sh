#!/usr/bin/env bash
# The one test command (README and .ci/run): engine, fixture images, type-check, tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if bash scripts/engine.sh; then
  bash scripts/fixtures.sh
elif [ "${LAB_REQUIRE_DOCKER:-}" = 1 ]; then
  echo "test: LAB_REQUIRE_DOCKER=1 but no Docker engine is reachable" >&2
  exit 1
else
  echo "test: no Docker engine; integration tests will be skipped" >&2
fi

bash scripts/test-deps.sh
npm run --silent typecheck
npm run --silent build
npx vitest run "$@"
