"""``voxaudit fix`` on desk-phone provisioning files: the round trip on the real Yealink tree, and the
writer's refusals.

Scan the tree, write the patches, apply them to a copy with ``patch -p1`` (a dry run first), scan the
copy again: every finding claimed fixed is resolved, no new FAIL, the same bytes twice, no secret of the
tree in any output. SRTP is a mechanical parameter (``account.N.srtp_encryption = 2``); TLS, the admin
password and the others are a person's (a ``# voxaudit:`` line) or not yet patchable.
"""
from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.test_fix import _fails, _fix, _scan
from tests.test_real_trees import TREES, _file_secrets, _token_re

CANARY = "Canary7Secret-h12-xyzzy"
PHONE_TREES = [t for t in TREES if yaml.safe_load((t / "EXPECTED.yaml").read_text()).get("platform") == "phone"]


def _config(tree: Path) -> Path:
    return tree / yaml.safe_load((tree / "EXPECTED.yaml").read_text()).get("config_dir", "provisioning")


@pytest.mark.parametrize("tree", PHONE_TREES, ids=[t.name for t in PHONE_TREES])
def test_phone_fix_round_trip(tree: Path, tmp_path: Path) -> None:
    copy = tmp_path / "tree"
    shutil.copytree(_config(tree), copy, symlinks=True)
    first = sorted(copy.glob("*.cfg"))[0]
    first.write_text(first.read_text() + f"\nsecurity.user_password = admin:{CANARY}\n")
    before = _scan(copy, tmp_path / "before", "phone")
    manifest = _fix(tmp_path / "before" / "scan.json", copy, tmp_path / "fix")
    _fix(tmp_path / "before" / "scan.json", copy, tmp_path / "fix2")
    written = sorted(p.name for p in (tmp_path / "fix").iterdir())
    assert written == sorted(p.name for p in (tmp_path / "fix2").iterdir())
    for f in written:
        assert (tmp_path / "fix" / f).read_bytes() == (tmp_path / "fix2" / f).read_bytes(), f
    failing = _fails(before)
    assert {(o["check_id"], o.get("alias", ""), o["resource"]) for o in manifest["findings"]} == failing
    counts = Counter(o["outcome"] for o in manifest["findings"])
    assert counts["patch"] > 0 and manifest["patches"]

    secrets = {s for f in copy.rglob("*") if f.is_file() for s in _file_secrets(f) if len(s) >= 4} | {CANARY}
    for f in written:
        text = (tmp_path / "fix" / f).read_text(errors="replace")
        assert not [s for s in secrets if _token_re(s).search(text)], f"{f} carries a secret value"

    for patch in manifest["patches"]:
        text = (tmp_path / "fix" / patch).read_text()
        assert "srtp_encryption = 2" in text or "# voxaudit:" in text
        for extra in (["--dry-run"], []):
            proc = subprocess.run(["patch", "-p1", "--batch", "--forward", *extra, "-i", str(tmp_path / "fix" / patch)],
                                  cwd=copy, capture_output=True, text=True, timeout=60, check=False)
            assert proc.returncode == 0, f"{patch}: {proc.stdout}{proc.stderr}"
    after = _scan(copy, tmp_path / "after", "phone")
    claimed = {(o["check_id"], o.get("alias", ""), o["resource"]) for o in manifest["findings"] if o["outcome"] == "patch"}
    assert not claimed & _fails(after), "claimed fixed but still failing"
    assert not _fails(after) - failing, "new failures after the patches"
    assert set(after.get("warnings", [])) <= set(before.get("warnings", []))


def _writer(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    from voxaudit.facts.phones import build_phone_facts
    from voxaudit.remediation.phones import writer
    (tmp_path / "y000000000044.cfg").write_text(text)
    return writer(build_phone_facts(tmp_path), tmp_path)


YEALINK = "#!version:1.0.0.1\naccount.1.enable = 1\naccount.1.srtp_encryption  =  0   \naccount.1.sip_server.1.address = pbx\n"


def test_yealink_value_changed_on_its_line_spacing_kept(tmp_path: Path) -> None:
    from voxaudit.remediation.change import set_
    w = _writer(tmp_path, YEALINK)
    w.place(set_("y000000000044.cfg", "y000000000044.cfg line 1", "account.1.srtp_encryption", "2", kind="phone.account"))
    ed = w.edits["y000000000044.cfg"]
    assert ed.result()[2] == "account.1.srtp_encryption  =  2\n"
    assert ed.result()[:2] == ed.lines[:2] and ed.result()[3:] == ed.lines[3:]


def test_yealink_missing_parameter_added_as_a_line(tmp_path: Path) -> None:
    from voxaudit.remediation.change import set_
    w = _writer(tmp_path, "#!version:1.0.0.1\naccount.1.sip_server.1.address = pbx")
    w.place(set_("y000000000044.cfg", "y000000000044.cfg line 1", "account.1.srtp_encryption", "2", kind="phone.account"))
    assert w.edits["y000000000044.cfg"].result()[-1] == "account.1.srtp_encryption = 2\n"


@pytest.mark.parametrize("value", ["2\nsecurity.user_password = admin:x", '2"', "<2>", "2 # x"])
def test_hostile_value_is_refused(tmp_path: Path, value: str) -> None:
    from voxaudit.remediation.change import set_
    from voxaudit.remediation.tree import NotWritable
    w = _writer(tmp_path, YEALINK)
    with pytest.raises(NotWritable) as err:
        w.place(set_("y000000000044.cfg", "y000000000044.cfg line 1", "account.1.srtp_encryption", value,
                     kind="phone.account"))
    assert value not in str(err.value)
    assert not any(e.changed() for e in w.edits.values())
