"""``voxaudit fix`` on Kamailio and OpenSIPS: the round trip on the real trees and the lab's own configurations.

Scan, write the patches, apply them to a copy with ``patch -p1`` (a dry run first), scan the copy again:
every finding claimed fixed is resolved, no new FAIL, the same bytes twice, no secret of the tree in any
output. tls.cfg options are mechanical (method, cipher_list, verify_certificate); which listener to drop,
a module to load and a database password are a person's (a ``# voxaudit:`` line before the finding's line).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.test_fix import round_trip

REPO = Path(__file__).resolve().parents[1]
CANARY = "Canary7Kam-Db-Pw-5521"
CASES = {  # name -> (tree, platform)
    "havfo-webrtc-to-sip-kamailio": (REPO / "tests" / "real_trees" / "havfo-webrtc-to-sip-kamailio" / "conf", "kamailio"),
    "opensips-softswitch-ce": (REPO / "tests" / "real_trees" / "opensips-softswitch-ce" / "conf", "opensips"),
    "lab-weak": (REPO / "tests" / "lab" / "kamailio", "kamailio"),
}


def _stage(name: str, dst: Path) -> Path:
    src, _ = CASES[name]
    if name == "lab-weak":  # the lab's weak front end as a tree: kamailio.cfg and tls.cfg
        dst.mkdir(parents=True)
        for s, d in (("weak.cfg", "kamailio.cfg"), ("weak-tls.cfg", "tls.cfg")):
            text = (src / s).read_text().replace("@DIR@", "/etc/kamailio").replace("@PORT_TLS@", "5061")
            (dst / d).write_text(text.replace("@PORT_SIP@", "5060"))
        return dst
    shutil.copytree(src, dst, symlinks=True)
    return dst


@pytest.mark.parametrize("name", sorted(CASES))
def test_kamailio_fix_round_trip(name: str, tmp_path: Path) -> None:
    copy = _stage(name, tmp_path / "tree")
    manifest, _ = round_trip(copy, CASES[name][1], tmp_path)
    if CASES[name][1] == "kamailio":
        assert any(o["outcome"] == "patch" for o in manifest["findings"]) and "tls.cfg.patch" in manifest["patches"]


def _writer(tmp_path: Path, tls_cfg: str):  # type: ignore[no-untyped-def]
    from voxaudit.collectors.offline import collect_kamailio_tree
    from voxaudit.remediation.kamailio import writer
    (tmp_path / "kamailio.cfg").write_text('enable_tls=yes\nloadmodule "tls.so"\nmodparam("tls", "config", "tls.cfg")\n'
                                           "listen=tls:10.0.0.5:5061\n")
    (tmp_path / "tls.cfg").write_text(tls_cfg)
    return writer(collect_kamailio_tree(tmp_path), tmp_path)


def test_value_changed_on_its_line_comment_kept_and_defines_left_to_a_person(tmp_path: Path) -> None:
    from voxaudit.remediation.change import set_
    w = _writer(tmp_path, "[server:default]\nmethod   =  TLSv1+   # old phones\ncipher_list = \"HIGH\"\n")
    w.place(set_("tls.cfg", "server:default", "method", "TLSv1.2+", "tls.profile", " = "))
    (ed,) = w.edits.values()
    assert ed.result()[1] == "method   =  TLSv1.2+   # old phones\n"
    quoted = w.place(set_("tls.cfg", "server:default", "cipher_list", "ECDHE-RSA-AES128-GCM-SHA256", "tls.profile", " = "))
    assert quoted.person and "by hand" in quoted.why


@pytest.mark.parametrize("value", ["TLSv1.2+\nverify_certificate = no", "x # y", "[server:evil]"])
def test_hostile_value_is_refused_and_never_quoted(tmp_path: Path, value: str) -> None:
    from voxaudit.remediation.change import set_
    from voxaudit.remediation.tree import NotWritable
    w = _writer(tmp_path, "[server:default]\nmethod = TLSv1+\n")
    with pytest.raises(NotWritable) as exc:
        w.place(set_("tls.cfg", "server:default", "method", value, "tls.profile", " = "))
    assert value not in str(exc.value)
