"""``voxaudit fix`` on MDM profile exports: the round trip on the weak fixtures (an Apple profile, Android
and Intune JSON), the corrected profile written beside the patch, and refusals.

Scan, write the patches, ``patch -p1`` a copy (dry run first), rescan: every finding claimed fixed is
resolved, no new FAIL, the same bytes twice; the corrected profile equals the patched file.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.test_fix import _fails, _fix, _scan, round_trip

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "mdm"
PROFILE = "clinic-iphones.mobileconfig"


def _weak_tree(tmp: Path) -> Path:
    """The weak fixtures: an Apple profile (15-minute auto-lock, 4-digit passcode), Android and Intune JSON."""
    tree = tmp / "tree"
    shutil.copytree(FIXTURES / "weak", tree)
    return tree


def test_mdm_fix_round_trip(tmp_path: Path) -> None:
    tree = _weak_tree(tmp_path)
    manifest, out = round_trip(tree, "mdm", tmp_path)
    assert sum(o["outcome"] == "patch" for o in manifest["findings"]) == 2
    assert manifest["patches"] == [f"{PROFILE}.patch"]
    patch = (out / f"{PROFILE}.patch").read_text()
    assert "<integer>5</integer>" in patch and "<integer>6</integer>" in patch
    # the corrected profile written beside the patch is the patched file, byte for byte
    assert (out / f"corrected__{PROFILE}").read_bytes() == (tree / PROFILE).read_bytes()


def test_json_exports_are_reported_not_patched(tmp_path: Path) -> None:
    tree = tmp_path / "json"
    tree.mkdir()
    for f in (FIXTURES / "weak").glob("*.json"):
        shutil.copy(f, tree / f.name)
    before = _scan(tree, tmp_path / "before", "mdm")
    manifest = _fix(tmp_path / "before" / "scan.json", tree, tmp_path / "fix")
    assert manifest["patches"] == []
    assert len(manifest["findings"]) == len(_fails(before)) > 0
    assert all(o["outcome"] in ("unsupported", "person") for o in manifest["findings"])


def _writer(tmp_path: Path) -> Any:
    from voxaudit.facts.mdm import build_mdm_facts
    from voxaudit.remediation.mdm import writer
    tree = _weak_tree(tmp_path)
    return writer(build_mdm_facts(tree), tree), tree


def _line(tree: Path, text: str) -> int:
    return next(i for i, t in enumerate((tree / PROFILE).read_text().splitlines(), 1) if t.strip() == text)


@pytest.mark.parametrize("value", ["5\n<key>x</key>", "5<", '"5"', "-1", "99999999"])
def test_hostile_value_is_refused(tmp_path: Path, value: str) -> None:
    from voxaudit.remediation.change import set_
    from voxaudit.remediation.tree import NotWritable
    w, tree = _writer(tmp_path)
    with pytest.raises(NotWritable) as err:
        w.place(set_(PROFILE, "ios passcode", "maxInactivity", value), PROFILE, _line(tree, "<key>maxInactivity</key>"))
    assert value not in str(err.value)
    assert not any(e.changed() for e in w.edits.values())


def test_missing_key_added_before_the_payload_key_indented_alike(tmp_path: Path) -> None:
    from voxaudit.remediation.change import set_
    w, tree = _writer(tmp_path)
    at = _line(tree, "<key>minLength</key>")
    w.place(set_(PROFILE, "ios passcode", "maxInactivity", "5"), PROFILE, at)
    out = w.edits[PROFILE].result()
    indent = w.edits[PROFILE].lines[at - 1].partition("<")[0]
    assert out[at - 1].rstrip("\r\n") == f"{indent}<key>maxInactivity</key>"
    assert out[at].rstrip("\r\n") == f"{indent}<integer>5</integer>"
    assert out[at + 1] == w.edits[PROFILE].lines[at - 1]
