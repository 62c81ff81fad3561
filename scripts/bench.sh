#!/usr/bin/env bash
# Run the benchmarks (see benchmarks/README.md) and print their table.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/python benchmarks/run.py "$@"
