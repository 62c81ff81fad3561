"""Red team, round 2: host evidence bundles (``--evidence``). A bundle copied with ``cp -r`` keeps
absolute symbolic links; followed, they read the scanning machine's own files as the PBX's evidence
(its crontab as the PBX's backup schedule, its /etc/passwd as the crypttab). Such a file is a gap
naming the file, never read; the rest of the bundle is."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.conftest import EXAMPLE
from voxaudit.facts.host import read_host_evidence, read_program_scripts

CANARY = "CANARY-7f3a9c"


def _bundle(tmp_path: Path) -> Path:
    root = tmp_path / "bundle"
    shutil.copytree(EXAMPLE, root, symlinks=True)
    return root


def test_links_out_of_the_bundle_are_gaps_not_evidence(tmp_path):
    outside = tmp_path / "scanner-host"
    outside.mkdir()
    (outside / "crontab").write_text(f"0 2 * * * root tar czf /backup/{CANARY}.tgz /var/spool/asterisk\n")
    (outside / "crypttab").write_text(f"{CANARY} UUID=x none luks\n")
    root = _bundle(tmp_path)
    (root / "etc" / "cron.d" / "scanner-job").symlink_to(outside / "crontab")
    (root / "etc" / "crypttab").unlink()
    (root / "etc" / "crypttab").symlink_to(outside / "crypttab")
    ev = read_host_evidence(root)
    gaps = {p.file: p for p in ev.problems}
    assert {"etc/cron.d/scanner-job", "etc/crypttab"} <= set(gaps)
    assert all(not p.fatal and "outside the evidence bundle" in p.message for p in gaps.values())
    assert not any(CANARY in str(j.paths) for j in ev.jobs)
    assert ev.jobs, "the bundle's own cron.d entry is still read"


def test_a_link_inside_the_bundle_is_read(tmp_path):
    root = _bundle(tmp_path)
    (root / "etc" / "cron.d" / "copy").symlink_to("freepbx-backup")
    ev = read_host_evidence(root)
    assert not [p for p in ev.problems if p.file == "etc/cron.d/copy"]
    assert len([j for j in ev.jobs if j.where.startswith("etc/cron.d/")]) == 2


def test_a_program_reached_through_a_link_out_of_the_bundle_is_not_read(tmp_path):
    outside = tmp_path / "scanner-usr"
    (outside / "bin").mkdir(parents=True)
    (outside / "bin" / "vm2text").write_text("curl https://speech.googleapis.com/v1/speech:recognize\n")
    root = _bundle(tmp_path)
    os.symlink(outside, root / "opt")
    (script,) = read_program_scripts(root, ["/opt/bin/vm2text"])
    assert script.problem and not script.hosts and not script.services


def test_a_listing_longer_than_is_read_is_a_gap(tmp_path):
    """backup-files.txt past 4 MiB (a big backup folder's stat listing) was cut without a word: the newest
    backups at its end were missing and BAK-PHI-102 judged the older ones."""
    from voxaudit.parsers import host_evidence as hx

    root = _bundle(tmp_path)
    line = "/var/spool/asterisk/backup/" + "b" * 60 + ".tgz 1700000000 12345\n"
    (root / "backup-files.txt").write_text(line * (hx.MAX_TEXT // len(line) + 10))
    (root / "etc" / "cron.d" / "long").write_text("0 2 * * * root tar czf /backup/x.tgz " + "/a" * 5000 + "\n")
    gaps = read_host_evidence(root).problems
    assert any(p.file == "backup-files.txt" and "4 MiB" in p.message and not p.fatal for p in gaps)
    assert any(p.file == "etc/cron.d/long" and p.line == 1 and "longer than" in p.message for p in gaps)


def test_a_relay_hidden_behind_a_form_feed_is_not_a_second_line():
    """Postfix splits main.cf at newlines only; str.splitlines also at form feed and U+2028, so a second
    ``relayhost`` hidden behind one was read as the relay Postfix uses."""
    from voxaudit.parsers.mail_relay import parse_postfix

    problems: list = []
    relays = parse_postfix("relayhost = [smtp.example.com]:587\x0crelayhost=[other.example]\n"
                           "mynetworks = 127.0.0.0/8\u2028relayhost=[third.example]\n", "etc/postfix/main.cf",
                           problems)
    assert not {r.host for r in relays} & {"other.example", "third.example", "smtp.example.com"}
    assert [(p.line, p.fatal) for p in problems] == [(1, False)]  # one destination Postfix cannot use: a gap


def test_a_relay_named_past_the_lines_read_is_a_gap():
    from voxaudit.parsers.mail_relay import MAX_LINES, parse_postfix

    problems: list = []
    parse_postfix("# pad\n" * MAX_LINES + "relayhost = [smtp.example.com]:587\n", "etc/postfix/main.cf", problems)
    assert [p.line for p in problems] == [MAX_LINES] and not problems[0].fatal
