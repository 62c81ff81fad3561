#!/usr/bin/env bash
# Set up and audit the bundled example clinic offline; reports land in demo-output/.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
echo "==> voxaudit scan --config-dir examples/riverside-family-clinic"
.venv/bin/voxaudit scan --config-dir examples/riverside-family-clinic --name riverside-pbx \
  --baa-register examples/riverside-family-clinic/baa-register.yaml --format all --output demo-output "$@"
echo "==> open demo-output/report.html in a browser (Markdown: demo-output/report.md)"
