#!/usr/bin/env bash
# The one test command (README and .ci/run): style and layer boundaries, types, then the
# engine, the tools and fixture images the tests need, and the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

npm run --silent lint
npm run --silent typecheck

if bash scripts/engine.sh; then
  bash scripts/test-deps.sh
  bash scripts/fixtures.sh
elif [ "${LAB_REQUIRE_DOCKER:-}" = 1 ]; then
  echo "test: LAB_REQUIRE_DOCKER=1 but no Docker engine is reachable" >&2
  exit 1
else
  echo "test: no Docker engine; integration tests will be skipped" >&2
  bash scripts/test-deps.sh
fi

npm run --silent build
npx vitest run "$@"
