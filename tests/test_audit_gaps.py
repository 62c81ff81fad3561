"""Silence is a finding about the audit: what is present but not understood is a warning and an
ERROR for every check that reads it (coverage drops), never a silent NOT_APPLICABLE."""
from __future__ import annotations

import msgspec

from tests.conftest import write_tree
from voxaudit.engine.collect import TargetSpec, collect
from voxaudit.engine.evaluate import build_document
from voxaudit.facts.asterisk import AsteriskFacts, DialplanStep
from voxaudit.facts.common import ConfigFileFacts, ParseProblem
from voxaudit.model import SourceRef, Status
from voxaudit.profile import load_profile

PJSIP_WITH_UNREAD_SECTION = """
[transport-tls]
type=transport
protocol=tls
bind=0.0.0.0:5061

[1001]
type=endpoint
transport=transport-tls
aors=1001
media_encryption=sdes

[leftover]
context=from-internal
"""


def _scan(root, registry):
    record = collect(TargetSpec(name="pbx", platform="asterisk", config_dir=root))
    return build_document([record], registry, load_profile("hipaa-security-rule", registry), [], started_at="now")


def test_unread_section_is_a_warning_and_an_error_for_every_check_reading_its_file(tmp_path, registry):
    root = write_tree(tmp_path, {"pjsip.conf": PJSIP_WITH_UNREAD_SECTION})
    doc = _scan(root, registry)
    assert any("pbx: pjsip.conf:12:" in w for w in doc.warnings), doc.warnings
    # every control with an Asterisk binding that reads pjsip.conf
    pjsip_checks = {c.id for c in registry.all() if any("pjsip.conf" in p.sources for p in c.parts("asterisk"))}
    errored = {r.check_id for r in doc.results
               if r.status == Status.ERROR and r.resource == "(unread parts of pjsip.conf)"}
    assert errored == pjsip_checks
    assert all("pjsip.conf:12" in r.evidence for r in doc.results if r.resource == "(unread parts of pjsip.conf)")
    # the endpoint itself is still judged beside the gap, and coverage shows the gap
    assert any(r.resource.endswith("1001") and r.status in {Status.PASS, Status.FAIL} for r in doc.results)
    assert doc.scores.coverage is not None and doc.scores.coverage < 100


def test_root_with_content_but_nothing_understood_is_flagged_not_read_as_empty():
    facts = AsteriskFacts(configs={"voicemail.conf": ConfigFileFacts(
        root="voicemail.conf", found=True, files=["voicemail.conf", "voicemail_custom.conf"], content_lines=12)})
    facts.flag_unread_roots()
    [gap] = facts.configs["voicemail.conf"].problems
    assert gap.is_gap and "12 configuration line(s)" in gap.message
    assert facts.resource_errors("voicemail.conf")[0][0] == "(unread parts of voicemail.conf)"
    facts.flag_unread_roots()  # said once, not once per call
    assert len(facts.configs["voicemail.conf"].problems) == 1


def test_dialplan_only_and_comment_only_files_are_not_flagged():
    step = DialplanStep(context="c", exten="1", priority="1", app="Hangup", args="",
                        source=SourceRef(file="extensions.conf", line=3))
    facts = AsteriskFacts(dialplan=[step], configs={
        "extensions.conf": ConfigFileFacts(root="extensions.conf", found=True, files=["extensions.conf"], content_lines=3),
        "cel.conf": ConfigFileFacts(root="cel.conf", found=True, files=["cel.conf"], content_lines=0),
    })
    facts.flag_unread_roots()
    assert not facts.configs["extensions.conf"].problems and not facts.configs["cel.conf"].problems


def test_notes_are_shown_but_do_not_lower_coverage():
    facts = AsteriskFacts(configs={"pjsip.conf": ConfigFileFacts(root="pjsip.conf", found=True, files=["pjsip.conf"], problems=[
        ParseProblem(file="pjsip.conf", line=4, message="#tryinclude of a file that does not exist", fatal=False, note=True)])})
    assert facts.resource_errors("pjsip.conf") == []


def test_symlink_loop_and_vanished_files_stay_per_target(tmp_path, registry):
    root = write_tree(tmp_path, {"etc/asterisk/logger.conf": "[logfiles]\nfull => notice,warning,error\n",
                                 "etc/logrotate.d/other": "/var/log/other {\n daily\n}\n"})
    (root / "etc/logrotate.d/loop").symlink_to(root / "etc/logrotate.d/loop")
    (root / "etc/asterisk/dangling.conf").symlink_to(root / "nowhere.conf")
    doc = _scan(root, registry)
    assert not doc.targets[0].failure, doc.targets[0].failure
    logrotate_checks = [r for r in doc.results if (r.alias or r.check_id) == "AST-LOG-104" or "logrotate" in r.evidence]
    assert logrotate_checks  # judged or ERROR with a reason, never a crash of the target


def test_spool_dir_outside_the_snapshot_is_not_walked(tmp_path, registry):
    outside = tmp_path / "outside" / "voicemail" / "default" / "100" / "INBOX"
    outside.mkdir(parents=True)
    (outside / "msg0000.txt").write_text("origtime=1\n")
    root = write_tree(tmp_path / "snap", {
        "etc/asterisk/asterisk.conf": f"[directories](!)\nastspooldir => /../../../../../../..{tmp_path}/outside\n",
        "etc/asterisk/voicemail.conf": "[default]\n100 => 4826,Dr A\n"})
    record = collect(TargetSpec(name="pbx", platform="asterisk", config_dir=root))
    assert record.facts.spool is None
    assert "outside the snapshot" in (record.facts.spool_problem or "")


def test_absolute_includes_follow_astetcdir_and_never_leave_the_tree(tmp_path):
    """asterisk.conf's astetcdir is where Asterisk resolves absolute #includes; the copy is read instead."""
    from voxaudit.collectors.offline import collect_asterisk_tree

    (tmp_path / "secret.txt").write_text("Canary-S3cr3t-9f2\n")
    root = write_tree(tmp_path / "snap", {
        "etc/asterisk/asterisk.conf": "[directories](!)\nastetcdir => /opt/pbx/etc\n",
        "etc/asterisk/pjsip.conf": "#include /opt/pbx/etc/pjsip_phones.conf\n",
        "etc/asterisk/pjsip_phones.conf": "[1001]\ntype=endpoint\nmedia_encryption=no\n",
        "etc/asterisk/manager.conf": f"[general]\nenabled=yes\n#include {tmp_path}/secret.txt\n"})
    facts = collect_asterisk_tree(root)
    assert facts.named("pjsip.endpoint", "1001") is not None
    assert facts.configs["manager.conf"].fatal_problem is not None
    assert "Canary" not in msgspec.json.encode(facts).decode()


def test_every_report_format_shows_the_gap(tmp_path):
    """A part not understood is visible in html, md, json, csv, sarif and junit alike."""
    import json
    import subprocess
    import sys
    import xml.etree.ElementTree as ET

    root = write_tree(tmp_path / "tree", {"pjsip.conf": PJSIP_WITH_UNREAD_SECTION})
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "voxaudit.cli", "scan", "--config-dir", str(root), "-f", "all",
                           "-o", str(out), "-q"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    needle = "[leftover] has no type="
    for name in ("report.html", "scan.json", "findings.csv", "junit.xml"):
        assert needle in (out / name).read_text(), name
    assert "\\[leftover\\] has no type=" in (out / "report.md").read_text()  # escaped for Markdown
    sarif = json.loads((out / "results.sarif").read_text())
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert any(needle in n["message"]["text"] and n["level"] == "warning" for n in notes)
    assert any(needle in (e.text or "") for e in ET.parse(out / "junit.xml").getroot().iter("system-err"))
