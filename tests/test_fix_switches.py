"""``voxaudit fix`` on switch running-configs: the round trip (patch the saved running-config, rescan) and the
configuration-mode snippet beside it, on the weak fixtures (a Cisco 2960-X, an Aruba 2930F) and the real
OpenFest switch configurations. Community strings and users are never written (a person's note)."""
from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from tests.test_fix import _fails, _fix, _scan
from tests.test_real_trees import _file_secrets, _token_re

REPO = Path(__file__).resolve().parents[1]
TREES = {"weak-fixtures": REPO / "tests" / "fixtures" / "switches" / "weak",
         "openfest-2023-switches": REPO / "tests" / "real_trees" / "openfest-2023-switches" / "configs"}


@pytest.mark.parametrize("name", sorted(TREES))
def test_switch_fix_round_trip_and_snippet(name: str, tmp_path: Path) -> None:
    copy = tmp_path / "tree"
    shutil.copytree(TREES[name], copy, symlinks=True)
    before = _scan(copy, tmp_path / "before", "switch")
    manifest = _fix(tmp_path / "before" / "scan.json", copy, tmp_path / "fix")
    _fix(tmp_path / "before" / "scan.json", copy, tmp_path / "fix2")
    written = sorted(p.name for p in (tmp_path / "fix").iterdir())
    assert written == sorted(p.name for p in (tmp_path / "fix2").iterdir())
    for f in written:
        assert (tmp_path / "fix" / f).read_bytes() == (tmp_path / "fix2" / f).read_bytes(), f
    failing = _fails(before)
    assert {(o["check_id"], o.get("alias", ""), o["resource"]) for o in manifest["findings"]} == failing
    counts = Counter(o["outcome"] for o in manifest["findings"])
    print(f"{name}: {len(failing)} failing: {dict(counts)}")
    secrets = {s for f in copy.rglob("*") if f.is_file() for s in _file_secrets(f) if len(s) >= 4}
    for f in written:
        text = (tmp_path / "fix" / f).read_text(errors="replace")
        assert not [s for s in secrets if _token_re(s).search(text)], f"{f} carries a secret value"
    for patch in manifest["patches"]:
        for extra in (["--dry-run"], []):
            proc = subprocess.run(["patch", "-p1", "--batch", "--forward", *extra, "-i", str(tmp_path / "fix" / patch)],
                                  cwd=copy, capture_output=True, text=True, timeout=60, check=False)
            assert proc.returncode == 0, f"{patch}: {proc.stdout}{proc.stderr}"
    after = _scan(copy, tmp_path / "after", "switch")
    claimed = {(o["check_id"], o.get("alias", ""), o["resource"]) for o in manifest["findings"] if o["outcome"] == "patch"}
    assert not claimed & _fails(after), "claimed fixed but still failing"
    assert not _fails(after) - failing, "new failures after the patches"

    def unlined(ws: list[str]) -> set[str]:
        return {re.sub(r":\d+:", ":N:", w) for w in ws}
    assert unlined(after.get("warnings", [])) <= unlined(before.get("warnings", []))
    for snippet in manifest.get("files", []):
        text = (tmp_path / "fix" / snippet).read_text()
        lines = text.splitlines()
        assert lines[1] == "configure terminal" and lines[-1] == "end", text


def test_the_weak_cisco_gets_ssh_only_vty_lines_and_no_plain_http(tmp_path: Path) -> None:
    copy = tmp_path / "tree"
    shutil.copytree(TREES["weak-fixtures"], copy)
    _scan(copy, tmp_path / "before", "switch")
    manifest = _fix(tmp_path / "before" / "scan.json", copy, tmp_path / "fix")
    assert "clinic-core-c2960x.cfg.snippet.txt" in manifest["files"]
    snippet = (tmp_path / "fix" / "clinic-core-c2960x.cfg.snippet.txt").read_text()
    assert "line vty 0 4\n transport input ssh\nexit\n" in snippet and "no ip http server\nend\n" in snippet
    aruba = (tmp_path / "fix" / "clinic-edge-2930f.cfg.patch").read_text()
    assert "+; voxaudit:" in aruba  # AOS-S comments with ';'; its fix stays a person's
