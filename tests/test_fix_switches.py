"""``voxaudit fix`` on switch running-configs: the round trip (patch the saved running-config, rescan) and the
configuration-mode snippet beside it, on the weak fixtures (a Cisco 2960-X, an Aruba 2930F) and the real
OpenFest switch configurations. Community strings and users are never written (a person's note)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.test_fix import _fix, _scan, round_trip

REPO = Path(__file__).resolve().parents[1]
TREES = {"weak-fixtures": REPO / "tests" / "fixtures" / "switches" / "weak",
         "openfest-2023-switches": REPO / "tests" / "real_trees" / "openfest-2023-switches" / "configs",
         "openfest-2019-switches": REPO / "tests" / "real_trees" / "openfest-2019-switches" / "configs"}


@pytest.mark.parametrize("name", sorted(TREES))
def test_switch_fix_round_trip_and_snippet(name: str, tmp_path: Path) -> None:
    copy = tmp_path / "tree"
    shutil.copytree(TREES[name], copy, symlinks=True)
    manifest, out = round_trip(copy, "switch", tmp_path)
    for snippet in manifest.get("files", []):
        lines = (out / snippet).read_text().splitlines()
        assert lines[1] == "configure terminal" and lines[-1] == "end", lines


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
