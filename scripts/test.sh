#!/usr/bin/env bash
# Set up everything the tests need and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --test
exec .venv/bin/python -m pytest "$@"
