"""Shared fixtures: the real-config corpus, config trees built from text, the registry."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Optional

import pytest

from voxaudit.check import CheckContext
from voxaudit.collectors.offline import collect_asterisk_tree
from voxaudit.facts.asterisk import AsteriskFacts
from voxaudit.model import Status
from voxaudit.registry import Registry, load_registry

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "riverside-family-clinic"


def corpus_dir() -> Path:
    """../shared/corpus next to the repository (override with VOXAUDIT_CORPUS)."""
    env = os.environ.get("VOXAUDIT_CORPUS")
    candidates = [Path(env)] if env else []
    candidates += [REPO.parent / "shared" / "corpus", REPO.parent.parent / "shared" / "corpus"]
    for c in candidates:
        if c.is_dir():
            return c
    pytest.fail("the shared corpus (../shared/corpus) is missing; set VOXAUDIT_CORPUS to its path")


@pytest.fixture(scope="session")
def corpus() -> Path:
    return corpus_dir()


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry()


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def stage_corpus(corpus: Path, tmp: Path, names: dict[str, str]) -> Path:
    """Copy corpus files under the names Asterisk reads (e.g. voicemail.conf.sample -> voicemail.conf)."""
    tmp.mkdir(parents=True, exist_ok=True)
    for src, dst in names.items():
        shutil.copy(corpus / src, tmp / dst)
    return tmp


@pytest.fixture
def tree(tmp_path):
    """tree({'pjsip.conf': '...'}) -> AsteriskFacts of that config directory."""
    def make(files: dict[str, str], **kw) -> AsteriskFacts:
        root = write_tree(tmp_path / "etc-asterisk", files)
        return collect_asterisk_tree(root, **kw)
    return make


@pytest.fixture
def run(registry):
    """run('AST-VM-101', facts, **params) -> {resource: status}."""
    def go(check_id: str, facts: AsteriskFacts, **params) -> dict[str, Status]:
        chk = registry.get(check_id)
        assert chk is not None, check_id
        outcomes = chk(facts, CheckContext({**chk.defaults(), **params}))
        return {o.resource: o.status for o in outcomes}
    return go


def statuses(result: dict[str, Status], status: Status) -> set[str]:
    return {k for k, v in result.items() if v == status}


def only(result: dict[str, Status]) -> Optional[Status]:
    values = set(result.values())
    return values.pop() if len(values) == 1 else None


def scan_secret_free(config_dir: Path, out: Path, formats: str, secret: str,
                     platform: Optional[str] = None) -> dict[str, Any]:
    """Run ``voxaudit scan`` (its own process) on ``config_dir`` (as ``platform``, else as detected) into ``out``
    in ``formats``; assert that ``secret`` is in no report and not on the terminal; return scan.json."""
    proc = subprocess.run([str(Path(sys.executable).parent / "voxaudit"), "scan", "--config-dir", str(config_dir),
                           *(["--platform", platform] if platform else []), "-o", str(out), "-f", formats],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    for path in out.iterdir():
        assert secret not in path.read_text(errors="replace"), path.name
    assert secret not in proc.stdout + proc.stderr
    doc: dict[str, Any] = json.loads((out / "scan.json").read_text())
    return doc


@pytest.fixture(scope="session", autouse=True)
def private_history_store(tmp_path_factory):
    """Scans run by the tests (and the voxaudit processes they start) record into a throwaway
    history store, never the user's own."""
    os.environ["VOXAUDIT_HISTORY"] = str(tmp_path_factory.mktemp("history") / "history.sqlite")
    yield
