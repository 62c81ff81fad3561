"""``voxaudit fix`` on desk-phone provisioning files: the round trip on the real Yealink tree, and the
writer's refusals.

Scan the tree, write the patches, apply them to a copy with ``patch -p1`` (a dry run first), scan the
copy again: every finding claimed fixed is resolved, no new FAIL, the same bytes twice, no secret of the
tree in any output. SRTP is a mechanical parameter (``account.N.srtp_encryption = 2``); TLS, the admin
password and the others are a person's (a ``# voxaudit:`` line) or not yet patchable.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.test_fix import round_trip
from tests.test_real_trees import TREES

CANARY = "Canary7Secret-h12-xyzzy"


def _config(tree: Path) -> Path:
    return tree / yaml.safe_load((tree / "EXPECTED.yaml").read_text()).get("config_dir", "provisioning")


def _yealink_files(tree: Path) -> list[Path]:
    """The tree's Yealink configuration files (the only vendor the writer patches), by their first line."""
    return [p for p in sorted(_config(tree).glob("*.cfg")) if p.read_text(errors="replace").startswith("#!version:")]


# Trees with findings an auditor expects fixed, in Yealink files: an unrendered template tree
# (fusionpbx-*-templates) has none, every value being the provisioning server's placeholder, and Poly,
# Grandstream and Cisco files are not yet patchable (their findings say so: test_fix covers the refusal).
PHONE_TREES = [t for t in TREES if (exp := yaml.safe_load((t / "EXPECTED.yaml").read_text())).get("platform") == "phone"
               and exp.get("findings") and _yealink_files(t)]


@pytest.mark.parametrize("tree", PHONE_TREES, ids=[t.name for t in PHONE_TREES])
def test_phone_fix_round_trip(tree: Path, tmp_path: Path) -> None:
    copy = tmp_path / "tree"
    shutil.copytree(_config(tree), copy, symlinks=True)
    first = copy / _yealink_files(tree)[0].name
    first.write_text(first.read_text() + f"\nsecurity.user_password = admin:{CANARY}\n")
    manifest, out = round_trip(copy, "phone", tmp_path, (CANARY,))
    assert any(o["outcome"] == "patch" for o in manifest["findings"]) and manifest["patches"]
    for patch in manifest["patches"]:
        text = (out / patch).read_text()
        assert "srtp_encryption = 2" in text or "# voxaudit:" in text


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
