"""The code stays ruff-clean and, where the design is typed, mypy --strict clean (both configured in pyproject.toml)."""
from __future__ import annotations

import subprocess
import sys

from scripts import package_view
from tests.conftest import REPO


def test_ruff_is_clean():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", str(REPO)],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_mypy_strict_is_clean_on_controls_records_adapters_and_engine():
    package_view.build()  # mypy reads the voxaudit package from a folder, not from the mapping
    proc = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml")],
                          capture_output=True, text=True, timeout=600, cwd=REPO)
    assert proc.returncode == 0, package_view.to_source(proc.stdout[-4000:] + proc.stderr[-2000:])
