"""The source tree as it installs, for tools that read packages from the file system.

setuptools maps the repository's folders onto one import name (pyproject.toml: auditor/ is the
voxaudit package, checks/, reports/ and profiles/ its subpackages). Python follows that mapping
through the editable install's finder; mypy and import-linter (grimp) do not: they look for a
voxaudit/ folder. This builds one, .cache/pkgview/voxaudit/, of symlinks to the real files (so
edits show at once and error paths map back), for them to read.

    python scripts/package_view.py      # prints the directory to put first on MYPYPATH/PYTHONPATH
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VIEW = REPO / ".cache" / "pkgview"
MAPPING = {"auditor": "voxaudit", "checks": "voxaudit/checks", "reports": "voxaudit/reports",
           "profiles": "voxaudit/profiles"}


def build(repo: Path = REPO, view: Path = VIEW) -> Path:
    """(Re)build the view; real directories, symlinked files (grimp does not descend symlinked
    directories). Returns the directory that holds voxaudit/."""
    shutil.rmtree(view, ignore_errors=True)
    for folder, target in MAPPING.items():
        for src in sorted((repo / folder).rglob("*")):
            if src.is_dir() or "__pycache__" in src.parts:
                continue
            dst = view / target / src.relative_to(repo / folder)
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(src, dst)
    return view


def to_source(text: str, repo: Path = REPO, view: Path = VIEW) -> str:
    """Tool output with view paths turned back into the repository's (longest mapping first)."""
    for folder, target in sorted(MAPPING.items(), key=lambda kv: -len(kv[1])):
        for prefix in (f"{view}/{target}/", f"{view.relative_to(repo)}/{target}/"):
            text = text.replace(prefix, f"{folder}/")
    return text


if __name__ == "__main__":
    print(build())
    sys.exit(0)
