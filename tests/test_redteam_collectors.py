"""Red team: what a hostile snapshot or capture puts where a collector reads files (the voicemail
spool, logrotate files, a capture file): a FIFO or a device never blocks the scan, an odd value
never crashes the target, and what could not be read is an ERROR, never an empty (PASS/NA) result."""
from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE
from voxaudit.collectors.offline import CollectionError, collect_asterisk_tree

INBOX = Path("var/spool/asterisk/voicemail/default/1001/INBOX")


def _in_time(fn, seconds: float = 10.0):
    """Run ``fn`` in a thread; a reader that blocks on a FIFO fails the test instead of hanging it."""
    out: dict[str, object] = {}

    def run() -> None:
        try:
            out["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "the reader blocked"
    if "error" in out:
        raise out["error"]  # type: ignore[misc]
    return out.get("value")


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    root = tmp_path / "snap"
    shutil.copytree(EXAMPLE / "etc" / "asterisk", root / "etc" / "asterisk")
    (root / INBOX).mkdir(parents=True)
    return root


@pytest.mark.parametrize("origtime", ["\u00b2", "9" * 400, "1" * 5000, "-1", "1e9", ""])
def test_an_odd_origtime_falls_back_to_the_file_age(snapshot, origtime):
    (snapshot / INBOX / "msg0000.txt").write_text(f"[message]\norigtime={origtime}\n", encoding="utf-8")
    facts = _in_time(lambda: collect_asterisk_tree(snapshot))
    box = next(m for m in facts.spool.mailboxes if m.mailbox == "1001@default")
    assert box.messages == 1 and box.ages_days == [0]


def test_an_envelope_that_is_no_file_makes_the_spool_unread(snapshot):
    os.mkfifo(snapshot / INBOX / "msg0000.txt")
    os.symlink("/dev/zero", snapshot / INBOX / "msg0001.txt")
    facts = _in_time(lambda: collect_asterisk_tree(snapshot))
    state, why = facts.source_state("spool")
    assert facts.spool is None and state == "not_collected"
    assert "not a regular file" in why


def test_an_endless_envelope_is_read_bounded(snapshot):
    (snapshot / INBOX / "msg0000.txt").write_bytes(b"x" * (20 * 1024 * 1024) + b"\norigtime=1\n")
    started = time.perf_counter()
    facts = _in_time(lambda: collect_asterisk_tree(snapshot))
    assert time.perf_counter() - started < 5
    assert facts.spool is not None


@pytest.mark.parametrize("kind", ["fifo", "file", "missing"])
def test_a_given_spool_dir_that_is_no_directory_is_unread_not_empty(tmp_path, kind):
    spool = tmp_path / "spool"
    if kind == "fifo":
        os.mkfifo(spool)
    elif kind == "file":
        spool.write_text("x")
    facts = _in_time(lambda: collect_asterisk_tree(EXAMPLE, spool_dir=spool))
    assert facts.spool is None
    assert facts.source_state("spool")[0] == "not_collected"


def test_logrotate_files_that_are_no_files_are_a_problem_not_a_hang(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for bad in (fifo, Path("/dev/zero")):
        facts = _in_time(lambda bad=bad: collect_asterisk_tree(EXAMPLE, logrotate_files=[bad]))
        assert facts.logrotate is None
        assert "not a regular file" in (facts.logrotate_problem or "")


def test_a_logrotate_d_entry_that_is_a_fifo_is_skipped_without_blocking(snapshot):
    lr = snapshot / "etc" / "logrotate.d"
    lr.mkdir(parents=True)
    os.mkfifo(lr / "asterisk")
    _in_time(lambda: collect_asterisk_tree(snapshot))


# -- packet captures -------------------------------------------------------------------------------

scapy = pytest.importorskip("scapy.all")


def _pcap(path: Path, payloads: list[bytes]) -> Path:
    from scapy.all import IP, UDP, Ether, wrpcap

    wrpcap(str(path), [Ether() / IP(src="10.0.0.2", dst="10.0.0.1") / UDP(sport=5060, dport=5060) / p
                       for p in payloads])
    return path


def test_a_capture_that_is_a_fifo_or_device_is_refused_at_once(tmp_path):
    from voxaudit.collectors.packets import analyse
    from voxaudit.targets import PcapSource

    fifo = tmp_path / "cap.pcap"
    os.mkfifo(fifo)
    for path in (str(fifo), "/dev/zero", str(tmp_path)):
        with pytest.raises(CollectionError, match="not a regular file"):
            _in_time(lambda path=path: analyse(PcapSource(file=path)))


def test_a_hostile_sdp_does_not_end_the_capture_early(tmp_path):
    """An m= port of 5,000 digits made int() raise ValueError, which the reader took for a truncated
    file: every later packet went unseen (1 of 51 packets analysed)."""
    from voxaudit.collectors.packets import analyse
    from voxaudit.targets import PcapSource

    bad = (b"INVITE sip:1@x SIP/2.0\r\n\r\nv=0\r\nc=IN IP4 10.0.0.1\r\nm=audio " + b"9" * 5000
           + b" RTP/AVP 0\r\n")
    path = _pcap(tmp_path / "c.pcap", [bad] + [b"INVITE sip:2@x SIP/2.0\r\n\r\n"] * 50)
    facts = analyse(PcapSource(file=str(path)))
    assert facts.packets == 51 and facts.sip_in_clear == {"INVITE": 51}


def test_an_mdm_lock_time_of_nan_is_never_short_enough(tmp_path):
    """A plist ``<real>nan</real>`` (or JSON NaN) read by float() compared false with the limit: the
    lock time counted as short enough and DEV-LOCK-102 passed."""
    from voxaudit.collectors.offline import collect_mdm_policies
    from voxaudit.platforms.mdm.devices import auto_locks

    for value in ("nan", "inf", "-inf"):
        (tmp_path / "p.mobileconfig").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict>'
            "<key>PayloadType</key><string>Configuration</string><key>PayloadIdentifier</key><string>x</string>"
            "<key>PayloadContent</key><array><dict>"
            "<key>PayloadType</key><string>com.apple.mobiledevice.passwordpolicy</string>"
            "<key>PayloadIdentifier</key><string>x.pw</string><key>forcePIN</key><true/>"
            f"<key>maxInactivity</key><real>{value}</real></dict></array></dict></plist>\n")
        locks = list(auto_locks(collect_mdm_policies(tmp_path)))
        assert locks and all(lock.minutes is None for lock in locks), (value, locks)


def test_a_spool_directory_linked_outside_the_spool_is_not_walked(snapshot, tmp_path):
    outside = tmp_path / "scanner-home" / "1001" / "INBOX"
    outside.mkdir(parents=True)
    (outside / "msg0000.txt").write_text("origtime=1\n")
    os.symlink(tmp_path / "scanner-home", snapshot / "var/spool/asterisk/voicemail/elsewhere")
    facts = _in_time(lambda: collect_asterisk_tree(snapshot))
    state, why = facts.source_state("spool")
    assert facts.spool is None and state == "not_collected" and "links outside the spool" in why


def test_a_backup_file_dated_after_the_capture_does_not_make_old_backups_fresh(tmp_path):
    from voxaudit.collectors.offline import collect_host_evidence
    from voxaudit.platforms.host import backup_freshness

    captured = 1_800_000_000
    (tmp_path / "captured-at").write_text(f"{captured}\n")
    old = captured - 40 * 86400
    (tmp_path / "backup-files.txt").write_text(f"/var/backups/pbx-old.tgz {old} 100\n"
                                               f"/var/backups/pbx-bogus.tgz {captured + 400 * 86400} 100\n")
    host = collect_host_evidence(tmp_path, None)
    (fresh,) = backup_freshness(host, "backups")
    assert fresh.newest_age_days == 40 and not fresh.undecidable
    (tmp_path / "backup-files.txt").write_text(f"/var/backups/pbx-bogus.tgz {captured + 400 * 86400} 100\n")
    (fresh,) = backup_freshness(collect_host_evidence(tmp_path, None), "backups")
    assert fresh.newest_age_days is None and "dated after" in fresh.undecidable


def test_an_envelope_dated_in_the_future_falls_back_to_the_file_age(snapshot):
    msg = snapshot / INBOX / "msg0000.txt"
    msg.write_text(f"origtime={int(time.time()) + 400 * 86400}\n")
    old = time.time() - 200 * 86400
    os.utime(msg, (old, old))
    facts = collect_asterisk_tree(snapshot)
    box = next(m for m in facts.spool.mailboxes if m.mailbox == "1001@default")
    assert box.ages_days == [200]


@pytest.mark.parametrize("collector", ["collect_phone_files", "collect_switch_configs", "collect_mdm_policies"])
def test_a_per_file_platform_given_a_fifo_or_device_says_so(tmp_path, collector):
    from voxaudit.collectors import offline

    fifo = tmp_path / "prov"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(CollectionError, match="neither a directory nor a regular file"):
            _in_time(lambda path=path: getattr(offline, collector)(path))
