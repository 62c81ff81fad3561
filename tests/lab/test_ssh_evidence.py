"""Host evidence over the lab's real OpenSSH server: the SFTP collector reads mounts, dm-crypt layers,
crontabs and backup file ages as plain files under the target's evidence root (the lab cannot create a
LUKS device: the files are the evidence, laid out as on a Debian host with encrypted LVM), and the
encryption-at-rest and backup controls judge them as they judge an offline bundle."""
from __future__ import annotations

import getpass
import os
import shutil
import time
from pathlib import Path

import pytest

from tests.checks.test_storage import CANARY, DEBIAN_LUKS_MOUNTS, DEBIAN_LUKS_SYS, ROOT_CRONTAB
from tests.conftest import EXAMPLE
from tests.lab import servers
from voxaudit.check import CheckContext
from voxaudit.engine.collect import TargetSpec, collect
from voxaudit.model import Status
from voxaudit.targets import SshSource

pytestmark = pytest.mark.lab
DAY = 86400


@pytest.fixture()
def host_tree(tmp_path) -> Path:
    """The example clinic on a host whose root holds the evidence files a real host serves."""
    root = servers.stage_pbx_tree(EXAMPLE, tmp_path / "root")
    # This host's own evidence replaces the bundle the example clinic ships for offline scans.
    for name in ("proc", "sys", "etc/cron.d"):
        shutil.rmtree(root / name, ignore_errors=True)
    for name in ("etc/crypttab", "backup-files.txt", "captured-at"):
        (root / name).unlink(missing_ok=True)
    (root / "proc").mkdir()
    (root / "proc" / "mounts").write_text(DEBIAN_LUKS_MOUNTS)
    (root / "etc" / "crypttab").write_text("sda5_crypt UUID=5f0c2f0e-8f41-4c43-9d2b-1f4f3e7c6b90 none luks\n")
    for dev, (name, uuid, slaves) in DEBIAN_LUKS_SYS.items():
        d = root / "sys" / "class" / "block" / dev
        d.mkdir(parents=True)
        if uuid:
            (d / "dm").mkdir()
            (d / "dm" / "name").write_text(name + "\n")
            (d / "dm" / "uuid").write_text(uuid + "\n")
        for s in slaves:
            (d / "slaves").mkdir(exist_ok=True)
            (d / "slaves" / s).write_text("")
    (root / "var" / "spool" / "cron" / "crontabs").mkdir(parents=True)
    (root / "var" / "spool" / "cron" / "crontabs" / "root").write_text(ROOT_CRONTAB)
    now = time.time()
    backups = root / "srv" / "backup disk"
    backups.mkdir(parents=True)
    for i, age in enumerate((2, 9)):
        f = backups / f"pbx-{i}.tgz"
        f.write_bytes(b"\0" * 1024 * (i + 1))
        os.utime(f, (now - age * DAY, now - age * DAY))
    return root


def test_host_evidence_is_read_over_sftp_and_judged(ssh_lab, host_tree, tmp_path, registry):
    known = tmp_path / "known_hosts"
    known.write_text(ssh_lab.known_hosts_line() + "\n")
    source = SshSource(address=servers.LOOPBACK, port=ssh_lab.port, username=getpass.getuser(),
                       key=f"file:{ssh_lab.client_key}", known_hosts=known, timeout=5,
                       config_dir=str(host_tree / "etc" / "asterisk"),
                       spool_dir=str(host_tree / "var" / "spool" / "asterisk"),
                       host_evidence=True, evidence_root=str(host_tree), backup_dirs=["/srv/backup disk"])
    record = collect(TargetSpec(name="pbx", platform="asterisk", source=source))
    assert record.failure is None, record.failure
    host = record.facts.host
    assert host is not None and host.origin == "SFTP"
    assert sorted(f.path for f in host.backup_files) == ["/srv/backup disk/pbx-0.tgz", "/srv/backup disk/pbx-1.tgz"]
    assert [f.size for f in sorted(host.backup_files, key=lambda f: f.path)] == [1024, 2048]
    # the example's etc/postfix/main.cf, read over SFTP: the relay voicemail email leaves through
    assert [(r.program, r.host, r.file) for r in host.mail_relays or []] == [
        ("postfix", "smtp.office365.com", "etc/postfix/main.cf")]
    # voicemail.conf's mailcmd (vm_general.inc) runs /usr/sbin/sendmail-gcloud: its script is fetched over
    # SFTP and read for the speech service it sends voicemail to, never kept as text
    (script,) = host.scripts or []
    assert (script.path, script.services, script.problem) == (
        "/usr/sbin/sendmail-gcloud", [("Google Cloud Speech-to-Text", "speech.googleapis.com")], "")

    def judge(cid: str) -> dict[str, tuple[Status, str]]:
        ctl = registry.get(cid)
        return {o.resource: (o.status, o.evidence) for o in ctl(record.facts, CheckContext(ctl.defaults()))}

    enc = judge("ENC-REST-101")
    assert enc["voicemail (/var/spool/asterisk/voicemail)"][0] == Status.PASS
    assert "LUKS" in enc["voicemail (/var/spool/asterisk/voicemail)"][1]
    (cov,) = judge("BAK-PHI-101").values()
    assert cov == (Status.PASS, "voicemail and configuration are backed up (var/spool/cron/crontabs/root:3)")
    (fresh,) = judge("BAK-PHI-102").values()
    assert fresh[0] == Status.PASS and "2 days old" in fresh[1]
    dest = judge("BAK-PHI-103")
    assert dest["backups in /srv/backup disk"][0] == Status.FAIL  # sdb1: no dm-crypt layer
    assert CANARY not in repr(record.facts.host) and CANARY not in repr(dest)
    baa = judge("BAA-101")
    assert any("speech.googleapis.com" in resource for resource in baa), sorted(baa)
