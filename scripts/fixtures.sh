#!/usr/bin/env bash
# Placeholder: builds the fixture images (test doubles) once they exist.
set -euo pipefail
