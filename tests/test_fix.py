"""``voxaudit fix``: remediation patches proved by a round trip on real trees.

For the example clinic and each Asterisk tree of tests/real_trees: scan, write the patches, apply them to
a copy with the system ``patch -p1`` (a dry run first), scan the copy again. Every finding the patches
claimed to fix is resolved, no new FAIL appears, a second run writes the same bytes, and no secret of
the tree (the values test_real_trees collects from the files, plus a canary planted in the copy) is in
any patch or in fix.json/fix.md.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.test_real_trees import TREES, VOXAUDIT, _file_secrets, _token_re

ROOT = Path(__file__).resolve().parent.parent
CLINIC = ROOT / "examples" / "riverside-family-clinic"
CANARY = "Canary7Secret-h12-xyzzy"
OWN_WORDS = {"password", "secret"}


PATCHABLE = ("asterisk", "freeswitch")


def _patchable_trees() -> list[tuple[str, str, Path]]:
    out = [("riverside-family-clinic", "asterisk", CLINIC)]
    for tree in TREES:
        exp = yaml.safe_load((tree / "EXPECTED.yaml").read_text())
        if exp.get("platform") in PATCHABLE:
            out.append((tree.name, exp["platform"], tree / exp.get("config_dir", "conf")))
    return out


TREES_UNDER_TEST = _patchable_trees()


def _scan(config: Path, out: Path, platform: str = "asterisk") -> dict[str, Any]:
    spool = out.parent / f"{out.name}-spool"
    spool.mkdir(exist_ok=True)
    cmd = [*VOXAUDIT, "scan", "--config-dir", str(config), "--platform", platform, "-f", "json", "-o", str(out),
           "-q", "--no-history"]
    if platform == "asterisk" and not (config / "var").exists():
        cmd += ["--spool-dir", str(spool)]  # as test_real_trees: never the scanner's own spool
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    data: dict[str, Any] = json.loads((out / "scan.json").read_text())
    return data


def _fix(scan: Path, config: Path, out: Path) -> dict[str, Any]:
    proc = subprocess.run([*VOXAUDIT, "fix", str(scan), "--config-dir", str(config), "-o", str(out)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    data: dict[str, Any] = json.loads((out / "fix.json").read_text())
    return data


def _fails(scan: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(r["check_id"], r.get("alias") or "", r["resource"]) for r in scan["results"] if r["status"] == "FAIL"}


def round_trip(tree: Path, platform: str, tmp: Path, extra_secrets: tuple[str, ...] = ()) -> tuple[dict[str, Any], Path]:
    """The proof every platform's patches share: scan ``tree``, write the patches twice (the same bytes), no
    secret of the tree in any output, ``patch -p1`` (dry run, then for real) on ``tree``, scan again: every
    finding claimed fixed is resolved, no new FAIL, no new warning (line numbers aside: a note line moves
    what follows it). Returns the manifest and the folder the fix wrote."""
    from collections import Counter
    before = _scan(tree, tmp / "before", platform)
    manifest = _fix(tmp / "before" / "scan.json", tree, tmp / "fix")
    _fix(tmp / "before" / "scan.json", tree, tmp / "fix2")
    written = sorted(p.name for p in (tmp / "fix").iterdir())
    assert written == sorted(p.name for p in (tmp / "fix2").iterdir())
    for f in written:
        assert (tmp / "fix" / f).read_bytes() == (tmp / "fix2" / f).read_bytes(), f
    failing = _fails(before)
    assert {(o["check_id"], o.get("alias", ""), o["resource"]) for o in manifest["findings"]} == failing
    print(f"{tree.name} ({platform}): {len(failing)} failing: {dict(Counter(o['outcome'] for o in manifest['findings']))}")
    secrets = {s for f in tree.rglob("*") if f.is_file() for s in _file_secrets(f) if len(s) >= 4} | set(extra_secrets)
    for f in written:
        text = (tmp / "fix" / f).read_text(errors="replace")
        assert not [s for s in secrets if _token_re(s).search(text)], f"{f} carries a secret value"
    for patch in manifest["patches"]:
        for extra in (["--dry-run"], []):
            proc = subprocess.run(["patch", "-p1", "--batch", "--forward", *extra, "-i", str(tmp / "fix" / patch)],
                                  cwd=tree, capture_output=True, text=True, timeout=60, check=False)
            assert proc.returncode == 0, f"{patch}: {proc.stdout}{proc.stderr}"
    after = _scan(tree, tmp / "after", platform)
    claimed = {(o["check_id"], o.get("alias", ""), o["resource"]) for o in manifest["findings"] if o["outcome"] == "patch"}
    assert not claimed & _fails(after), "claimed fixed but still failing"
    assert not _fails(after) - failing, "new failures after the patches"

    def unlined(ws: list[str]) -> set[str]:
        return {re.sub(r":\d+:", ":N:", w) for w in ws}
    assert unlined(after.get("warnings", [])) <= unlined(before.get("warnings", []))
    return manifest, tmp / "fix"




def _warnings(scan: dict[str, Any]) -> set[str]:
    """The scan's warnings without line numbers (an added comment moves the lines below it)."""
    return {re.sub(r":\d+:", ":N:", w) for w in scan.get("warnings", [])}


def _plant_canary(tree: Path) -> None:
    """A secret the patches must never carry, in a file they are likely to touch."""
    for name in ("manager.conf", "pjsip.conf", "sip.conf", "voicemail.conf"):
        for f in tree.rglob(name):
            with f.open("a") as fh:
                fh.write(f"\n[voxaudit-canary]\nsecret={CANARY}\n")
            return
    for f in tree.rglob("vars.xml"):  # FreeSWITCH: a pre-processor variable no patch may repeat
        text = f.read_text()
        f.write_text(text.replace("<include>", f'<include>\n  <X-PRE-PROCESS cmd="set" data="canary_password={CANARY}"/>', 1))
        return


@pytest.mark.parametrize("name,platform,config", TREES_UNDER_TEST, ids=[t[0] for t in TREES_UNDER_TEST])
def test_fix_round_trip(name: str, platform: str, config: Path, tmp_path: Path) -> None:
    copy = tmp_path / "tree"
    shutil.copytree(config, copy, symlinks=True)
    _plant_canary(copy)
    before = _scan(copy, tmp_path / "before", platform)
    manifest = _fix(tmp_path / "before" / "scan.json", copy, tmp_path / "fix")
    again = _fix(tmp_path / "before" / "scan.json", copy, tmp_path / "fix2")

    written = sorted(p.name for p in (tmp_path / "fix").iterdir())
    assert written == sorted(p.name for p in (tmp_path / "fix2").iterdir())
    for f in written:  # the same bytes twice
        assert (tmp_path / "fix" / f).read_bytes() == (tmp_path / "fix2" / f).read_bytes(), f
    assert manifest == again

    failing = _fails(before)
    assert {(o["check_id"], o.get("alias", ""), o["resource"]) for o in manifest["findings"]} == failing, \
        "every failing finding has an outcome"

    # A value that is also a name the scan reports (PIN 1000 of mailbox 1000, password alaw of auth alaw)
    # is disclosed by naming the finding; every other secret of the tree must be absent.
    names = " ".join(r["resource"] for r in before["results"])
    # "password" as a password (a demo directory) is also a word of the notes' own text.
    secrets = {s for f in config.rglob("*") if f.is_file() for s in _file_secrets(f)
               if len(s) >= 4 and not _token_re(s).search(names) and s.lower() not in OWN_WORDS} | {CANARY}
    for f in written:
        lines = (tmp_path / "fix" / f).read_text(errors="replace").splitlines()
        text = "\n".join(line for line in lines if not line.startswith("@@"))  # line numbers are not values
        leaked = [s for s in secrets if _token_re(s).search(text)]
        assert not leaked, f"{f} carries a secret value"

    for patch in manifest["patches"]:
        for extra in (["--dry-run"], []):
            proc = subprocess.run(["patch", "-p1", "--batch", "--forward", *extra, "-i", str(tmp_path / "fix" / patch)],
                                  cwd=copy, capture_output=True, text=True, timeout=60, check=False)
            assert proc.returncode == 0, f"{patch}: {proc.stdout}{proc.stderr}"
    assert not list(copy.rglob("*.rej")) and not list(copy.rglob("*.orig"))

    after = _scan(copy, tmp_path / "after", platform)
    claimed = {(o["check_id"], o.get("alias", ""), o["resource"]) for o in manifest["findings"]
               if o["outcome"] == "patch"}
    still = claimed & _fails(after)
    assert not still, f"claimed fixed but still failing: {sorted(still)}"
    new = _fails(after) - failing
    assert not new, f"new failures after the patches: {sorted(new)}"
    warnings_before, warnings_after = _warnings(before), _warnings(after)
    assert warnings_after <= warnings_before, f"the patched tree reads worse: {sorted(warnings_after - warnings_before)}"


def test_clinic_outcomes(tmp_path: Path) -> None:
    """The clinic is FreePBX: generated files are changed in their overrides or left to the GUI with
    the menu path; PINs and passwords are marked comments, never values."""
    copy = tmp_path / "tree"
    shutil.copytree(CLINIC, copy)
    _scan(copy, tmp_path / "before")
    manifest = _fix(tmp_path / "before" / "scan.json", copy, tmp_path / "fix")
    by = {(o["check_id"], o["resource"]): o for o in manifest["findings"]}
    ami = by[("ACC-ADMIN-101", "manager.conf [general]")]
    assert ami["outcome"] == "patch" and ami["files"] == ["etc/asterisk/manager_custom.conf"]
    pin = by[("MBX-PIN-104", "mailbox 102@default")]
    assert pin["outcome"] == "person" and "set a new PIN for mailbox 102@default" in pin["notes"][0]
    gui = by[("MBX-POL-101", "voicemail.conf [general]")]
    assert gui["outcome"] == "gui" and "Voicemail Admin" in gui["menu"]
    tls = by[("ENC-TLS-101", "transport 0.0.0.0-tls")]
    assert tls["files"] == ["etc/asterisk/pjsip.transports_custom.conf"], "generated pjsip.transports.conf kept"
    patch = (tmp_path / "fix" / "etc__asterisk__pjsip.transports_custom.conf.patch").read_text()
    assert "+[0.0.0.0-tls](+)\n" in patch and "+method=tlsv1_2\n" in patch
    vm = (tmp_path / "fix" / "etc__asterisk__voicemail.conf.patch").read_text()
    assert "+; voxaudit: set a new PIN for mailbox 102@default here" in vm
    assert not [line for line in vm.splitlines() if line.startswith("-") and not line.startswith("---")], \
        "comments added, nothing removed"
    md = (tmp_path / "fix" / "fix.md").read_text()
    assert "change in the GUI" in md and "Settings > Voicemail Admin" in md


def test_every_finding_has_an_outcome_and_unsupported_ones_say_why(tmp_path: Path) -> None:
    """Every platform that reads configuration files has a writer; a finding with no structured fix is
    reported as not yet patchable with its text fix, never skipped."""
    from voxaudit.registry import load_registry
    from voxaudit.remediation.plan import WRITERS
    configured = {b.platform for r in load_registry().all() for b in getattr(r, "bindings", ())} - {"sip", "tls", "pcap", "snmp"}
    assert configured <= set(WRITERS), configured - set(WRITERS)
    tree = next(t for t in TREES if yaml.safe_load((t / "EXPECTED.yaml").read_text())["platform"] == "kamailio")
    exp = yaml.safe_load((tree / "EXPECTED.yaml").read_text())
    config = tree / exp.get("config_dir", "conf")
    proc = subprocess.run([*VOXAUDIT, "scan", "--config-dir", str(config), "--platform", "kamailio", "-f", "json",
                           "-o", str(tmp_path / "scan"), "-q", "--no-history"], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    before = json.loads((tmp_path / "scan" / "scan.json").read_text())
    manifest = _fix(tmp_path / "scan" / "scan.json", config, tmp_path / "fix")
    assert len(manifest["findings"]) == len(_fails(before)) > 0
    unsupported = [o for o in manifest["findings"] if o["outcome"] == "unsupported"]
    assert unsupported and all("no structured fix" in o["why"] for o in unsupported)


# -- the writer on small trees (no scan: the facts are read directly) --------------------------------

def _writer(tree: Path) -> Any:
    from voxaudit.collectors.offline import collect_asterisk_tree
    from voxaudit.remediation.asterisk import AsteriskWriter
    return AsteriskWriter(collect_asterisk_tree(tree), tree, tree)


def _apply(tree: Path, writer: Any) -> None:
    from voxaudit.remediation.diff import unified
    for ed in writer.edits.values():
        if ed.changed():
            proc = subprocess.run(["patch", "-p1", "--batch"], input=unified(ed), cwd=tree, capture_output=True,
                                  text=True, timeout=60, check=False)
            assert proc.returncode == 0, proc.stdout + proc.stderr


def test_value_changed_in_place_comment_and_spacing_kept(tmp_path: Path) -> None:
    from voxaudit.remediation import note, set_
    (tmp_path / "voicemail.conf").write_text("[general]\nminpassword = 4 ; policy\\; see wiki\n"
                                             "#include vm_more.conf\n\n[default]\n1001 => 4321,Ann\n")
    (tmp_path / "vm_more.conf").write_text("maxlogins=5")  # no newline at the end
    w = _writer(tmp_path)
    assert w.place(set_("voicemail.conf", "general", "minpassword", "6", "voicemail.general")).file == "voicemail.conf"
    assert w.place(set_("voicemail.conf", "general", "maxlogins", "3", "voicemail.general")).file == "vm_more.conf"
    assert w.place(set_("voicemail.conf", "general", "attach", "no", "voicemail.general")).file == "voicemail.conf"
    w.place(note("voicemail.conf", "", "set a new PIN for mailbox 1001@default here"), "voicemail.conf", 6)
    _apply(tmp_path, w)
    assert (tmp_path / "voicemail.conf").read_text() == (
        "[general]\nminpassword = 6 ; policy\\; see wiki\n#include vm_more.conf\nattach=no\n\n[default]\n"
        "; voxaudit: set a new PIN for mailbox 1001@default here\n1001 => 4321,Ann\n")
    assert (tmp_path / "vm_more.conf").read_text() == "maxlogins=3"  # still no newline: the file's own shape


def test_an_override_read_before_the_section_exists_is_not_used(tmp_path: Path) -> None:
    """FreePBX trees may include sip_custom_post.conf above [general] (amac00-freepbx-pjsip-asterisk): an
    ``[general](+)`` there is refused by Asterisk ("Category addition requested, but category 'general' does not
    exist"), so the fix goes to an override read after the header, or to the GUI when there is none."""
    from voxaudit.remediation import set_
    (tmp_path / "extensions_additional.conf").write_text("[from-internal]\n")  # a FreePBX tree
    (tmp_path / "sip_custom_post.conf").write_text("")
    (tmp_path / "sip.conf").write_text("#include sip_custom_post.conf\n\n[general]\nallowguest=yes\n")
    placed = _writer(tmp_path).place(set_("sip.conf", "general", "allowguest", "no", "sip.general"))
    assert placed.gui and not placed.file, placed
    (tmp_path / "sip_custom.conf").write_text("")
    (tmp_path / "sip.conf").write_text("#include sip_custom_post.conf\n\n[general]\nallowguest=yes\n"
                                       "#include sip_custom.conf\n")
    w = _writer(tmp_path)
    assert w.place(set_("sip.conf", "general", "allowguest", "no", "sip.general")).file == "sip_custom.conf"
    _apply(tmp_path, w)
    assert (tmp_path / "sip_custom.conf").read_text() == "[general](+)\nallowguest=no\n"


def test_template_setting_changed_in_the_template(tmp_path: Path) -> None:
    """A value an object inherits is changed where it is written: the template section."""
    from voxaudit.remediation import set_
    (tmp_path / "pjsip.conf").write_text("[tls-tpl](!)\ntype=transport\nprotocol=tls\nmethod=tlsv1\n\n"
                                         "[tls](tls-tpl)\nbind=0.0.0.0:5061\n")
    w = _writer(tmp_path)
    w.place(set_("pjsip.conf", "tls", "method", "tlsv1_2", "pjsip.transport"))
    _apply(tmp_path, w)
    assert "[tls-tpl](!)\ntype=transport\nprotocol=tls\nmethod=tlsv1_2\n" in (tmp_path / "pjsip.conf").read_text()


def test_gap_or_missing_root_is_left_to_a_person(tmp_path: Path) -> None:
    from voxaudit.remediation import set_
    (tmp_path / "voicemail.conf").write_text("#exec /usr/bin/generate-vm\n[default]\n1001 => 4321,Ann\n")
    w = _writer(tmp_path)
    placed = w.place(set_("voicemail.conf", "general", "attach", "no", "voicemail.general"))
    assert placed.person and not placed.file and "could not read" in placed.why
    placed = w.place(set_("cel.conf", "general", "enable", "yes", "cel.general"))
    assert placed.person and "not in the tree" in placed.why
    assert not any(ed.changed() for ed in w.edits.values())


def test_freeswitch_params_changed_on_their_line_or_added_to_settings(tmp_path: Path) -> None:
    tree = next(t for t in TREES if t.name == "retromusicbox-freeswitch")
    copy = tmp_path / "tree"
    shutil.copytree(tree / "conf", copy)
    _scan(copy, tmp_path / "before", "freeswitch")
    manifest = _fix(tmp_path / "before" / "scan.json", copy, tmp_path / "fix")
    patch = (tmp_path / "fix" / "sip_profiles__external.xml.patch").read_text()
    assert '-    <param name="auth-calls" value="false"/>\n' in patch
    assert '+    <param name="auth-calls" value="true"/>\n' in patch
    assert '+    <param name="accept-blind-auth" value="false"/>\n' in patch  # calls taken unchecked otherwise
    assert '+    <param name="log-auth-failures" value="true"/>\n' in patch  # unset: added inside <settings>
    assert "$${" not in patch, "a pre-processor variable is never rewritten"
    esl = next(o for o in manifest["findings"] if o.get("alias") == "FS-ESL-102")
    assert esl["outcome"] == "person"
    assert "<!-- voxaudit: set a new random password" in (
        tmp_path / "fix" / "autoload_configs__event_socket.conf.xml.patch").read_text()
