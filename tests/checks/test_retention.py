"""AST-RET-*: retention and disposal, from config and spool statistics."""
import time
from pathlib import Path

import msgspec

from tests.conftest import only
from voxaudit.model import Status

FAIL, PASS, NA = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE
DAY = 86400


def _spool(root: Path, now: float) -> Path:
    spool = root / "spool"
    for box, ages in {"100": [5, 200], "101": [1], "102": []}.items():
        inbox = spool / "voicemail" / "default" / box / "INBOX"
        inbox.mkdir(parents=True)
        for i, age in enumerate(ages):
            (inbox / f"msg{i:04d}.txt").write_text(
                f'[message]\ncallerid="Pat Example" <5550100>\norigtime={int(now - age * DAY)}\nduration=9\n')
            (inbox / f"msg{i:04d}.wav").write_bytes(b"RIFF" + b"\x00" * 60)
    mon = spool / "monitor"
    mon.mkdir(parents=True)
    old = mon / "old.wav"
    old.write_bytes(b"\x00" * 10)
    import os
    os.utime(old, (now - 400 * DAY, now - 400 * DAY))
    return spool


def test_message_age_from_spool(tmp_path, tree, run):
    now = time.time()
    spool = _spool(tmp_path, now)
    facts = tree({"voicemail.conf": "[general]\n[default]\n100 => 583920,A\n"}, spool_dir=spool, now=now)
    r = run("AST-RET-101", facts)
    assert r == {"mailbox 100@default": FAIL, "mailbox 101@default": PASS, "mailbox 102@default": PASS}
    assert only(run("AST-RET-101", facts, max_message_age_days=365)) == PASS
    box = next(b for b in facts.spool.mailboxes if b.mailbox == "100@default")
    assert box.messages == 2 and box.ages_days == [200, 5] and box.total_bytes == 128
    assert "Pat Example" not in msgspec.json.encode(facts).decode()  # only origtime is read


def test_recordings_age(tmp_path, tree, run):
    now = time.time()
    spool = _spool(tmp_path, now)
    dialplan = "[from-internal]\nexten => _1XX,1,MixMonitor(${UNIQUEID}.wav,b)\n same => n,Dial(PJSIP/${EXTEN})\n"
    facts = tree({"extensions.conf": dialplan}, spool_dir=spool, now=now)
    assert run("AST-RET-104", facts) == {"call recordings": FAIL}
    assert run("AST-RET-104", facts, recording_retention_days=500) == {"call recordings": PASS}
    quiet = tree({"extensions.conf": "[x]\nexten => 1,1,Answer()\n"}, spool_dir=tmp_path / "empty", now=now)
    assert only(run("AST-RET-104", quiet)) == NA


def test_spool_not_collected_is_reported_by_runner(tree):
    from voxaudit.profile import load_profile
    from voxaudit.registry import load_registry
    from voxaudit.runner import evaluate_target
    from voxaudit.scan import TargetRecord
    facts = tree({"voicemail.conf": "[general]\n[default]\n100 => 583920,A\n"})
    assert facts.spool is None
    reg = load_registry()
    prof = load_profile("hipaa-security-rule", reg)
    results = evaluate_target(TargetRecord(name="t", platform="asterisk", facts=facts), [reg.get("AST-RET-101")],
                              prof.parameters)
    assert [(r.status, r.error_kind.value) for r in results] == [(Status.ERROR, "not_collected")]


def test_message_bounds_and_backupdeleted(tree, run):
    bad = tree({"voicemail.conf": "[general]\nmaxmsg=500\nbackupdeleted=50\n"})
    assert only(run("AST-RET-102", bad)) == FAIL
    assert only(run("AST-RET-103", bad)) == FAIL
    good = tree({"voicemail.conf": "[general]\nmaxmsg=100\nmaxsecs=180\nbackupdeleted=no\n"})
    assert only(run("AST-RET-102", good)) == PASS
    assert only(run("AST-RET-103", good)) == PASS
