"""Where Asterisk and FreePBX write PHI, and how it is backed up, as records.

asterisk.conf [directories] places the spool (astspooldir, default /var/spool/asterisk: voicemail/
and MixMonitor's monitor/) and the logs (astlogdir, default /var/log/asterisk); the configuration is
astetcdir (default /etc/asterisk). FreePBX's Backup & Restore module keeps local backups in
astspooldir/backup and schedules each job as ``fwconsole backup --backup=ID`` in the asterisk
user's crontab (backup module, Console/Backup.class.php).
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.asterisk import AsteriskFacts
from voxaudit.platforms.host import backup_coverage, backup_freshness, backup_storage, phi_storage
from voxaudit.records.storage import BackupCoverage, BackupFreshness, BackupStorage, PhiStorage

SOURCES = ("asterisk.conf", "host evidence")  # a gap in either makes the results ERROR
ENCRYPT_REMEDIATION = {
    "asterisk": "Move the spool, logs and backups onto a LUKS-encrypted volume (cryptsetup luksFormat on a new "
                "disk or partition, an /etc/crypttab entry, and a bind mount or astspooldir/astlogdir in "
                "asterisk.conf [directories] pointing to it), or reinstall with full-disk encryption.",
    "freepbx": "FreePBX Distro/Sangoma Linux: add an encrypted volume (LUKS) for /var/spool/asterisk and "
               "/var/log/asterisk and the backup storage; on a VM, enable the hypervisor's disk encryption too.",
}
BACKUP_REMEDIATION = {
    "asterisk": "Schedule a nightly backup of astspooldir/voicemail and astetcdir (e.g. a root cron job running "
                "tar, borg or restic onto encrypted storage) and check its age weekly.",
    "freepbx": "Admin > Backup & Restore: add a job with all modules (voicemail included), a daily schedule, and "
               "an encrypted storage location (Settings > Filestore).",
}


def _dirs(facts: AsteriskFacts) -> tuple[str, str, str]:
    d = facts.first("asterisk.directories")

    def get(key: str, default: str) -> str:
        value = d.get(key) if d is not None else None
        return value.rstrip("/") if value and value.startswith("/") else default

    return (get("astspooldir", "/var/spool/asterisk"), get("astlogdir", "/var/log/asterisk"),
            get("astetcdir", "/etc/asterisk"))


def _locations(facts: AsteriskFacts) -> list[tuple[str, str]]:
    spool, logs, _ = _dirs(facts)
    out = [("voicemail", f"{spool}/voicemail"), ("recordings", f"{spool}/monitor"), ("logs", logs)]
    if facts.flavor == "freepbx":
        out.append(("backups", f"{spool}/backup"))
    return out


def phi_locations(facts: AsteriskFacts) -> Iterator[PhiStorage]:
    return phi_storage(facts.host, _locations(facts))


def coverage(facts: AsteriskFacts) -> Iterator[BackupCoverage]:
    spool, _, etc = _dirs(facts)
    return backup_coverage(facts.host, [f"{spool}/voicemail"], [etc], "PBX backups")


def freshness(facts: AsteriskFacts) -> Iterator[BackupFreshness]:
    return backup_freshness(facts.host, "newest backup")


def targets(facts: AsteriskFacts) -> Iterator[BackupStorage]:
    spool, _, etc = _dirs(facts)
    return backup_storage(facts.host, [f"{spool}/voicemail", f"{spool}/monitor", etc], [f"{spool}/backup"])


BINDINGS = (
    Binding("ENC-REST-101", "asterisk", phi_locations, SOURCES, remediation=ENCRYPT_REMEDIATION),
    Binding("BAK-PHI-101", "asterisk", coverage, SOURCES, remediation=BACKUP_REMEDIATION),
    Binding("BAK-PHI-102", "asterisk", freshness, SOURCES, remediation=BACKUP_REMEDIATION),
    Binding("BAK-PHI-103", "asterisk", targets, SOURCES, remediation={**ENCRYPT_REMEDIATION}),
)
