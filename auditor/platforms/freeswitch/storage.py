"""Where FreeSWITCH (and FusionPBX) write PHI, and how it is backed up, as records.

The packaged layout (Debian packages from SignalWire, FusionPBX's installer): voicemail under
/var/lib/freeswitch/storage (mod_voicemail's storage_dir), recordings under
/var/lib/freeswitch/recordings (recordings_dir), logs in /var/log/freeswitch, configuration in
/etc/freeswitch; FusionPBX's backup script writes /var/backups/fusionpbx. A source build under
/usr/local/freeswitch has other paths: the evidence then names them only if a backup job does.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.freeswitch import FreeSwitchFacts
from voxaudit.platforms.host import backup_coverage, backup_freshness, backup_storage, phi_storage
from voxaudit.records.storage import BackupCoverage, BackupFreshness, BackupStorage, PhiStorage

STORAGE = "/var/lib/freeswitch/storage"
RECORDINGS = "/var/lib/freeswitch/recordings"
LOGS = "/var/log/freeswitch"
CONF = "/etc/freeswitch"
FUSIONPBX_BACKUPS = "/var/backups/fusionpbx"
ENCRYPT_REMEDIATION = {
    "freeswitch": "Put /var/lib/freeswitch (storage, recordings), /var/log/freeswitch and the backup folder on a "
                  "LUKS-encrypted volume (cryptsetup luksFormat, an /etc/crypttab entry, a mount there).",
    "fusionpbx": "Same for FusionPBX: /var/lib/freeswitch, /var/log/freeswitch and /var/backups/fusionpbx on a "
                 "LUKS-encrypted volume.",
}
BACKUP_REMEDIATION = {
    "freeswitch": "Schedule a nightly backup of /var/lib/freeswitch/storage and /etc/freeswitch onto encrypted "
                  "storage (a root cron job running tar, borg or restic).",
    "fusionpbx": "Enable FusionPBX's backup script (/etc/cron.daily/fusionpbx-backup) and keep its output on "
                 "encrypted storage.",
}


def _locations(facts: FreeSwitchFacts) -> list[tuple[str, str]]:
    out = [("voicemail", f"{STORAGE}/voicemail"), ("recordings", RECORDINGS), ("logs", LOGS)]
    if facts.flavor == "fusionpbx":
        out.append(("backups", FUSIONPBX_BACKUPS))
    return out


def phi_locations(facts: FreeSwitchFacts) -> Iterator[PhiStorage]:
    return phi_storage(facts.host, _locations(facts))


def coverage(facts: FreeSwitchFacts) -> Iterator[BackupCoverage]:
    return backup_coverage(facts.host, [f"{STORAGE}/voicemail"], [CONF], "PBX backups")


def freshness(facts: FreeSwitchFacts) -> Iterator[BackupFreshness]:
    return backup_freshness(facts.host, "newest backup")


def targets(facts: FreeSwitchFacts) -> Iterator[BackupStorage]:
    return backup_storage(facts.host, [STORAGE, RECORDINGS, CONF], [FUSIONPBX_BACKUPS])


SOURCES = ("host evidence",)  # a gap in it makes the results ERROR
BINDINGS = (
    Binding("ENC-REST-101", "freeswitch", phi_locations, SOURCES, remediation=ENCRYPT_REMEDIATION),
    Binding("BAK-PHI-101", "freeswitch", coverage, SOURCES, remediation=BACKUP_REMEDIATION),
    Binding("BAK-PHI-102", "freeswitch", freshness, SOURCES, remediation=BACKUP_REMEDIATION),
    Binding("BAK-PHI-103", "freeswitch", targets, SOURCES, remediation=ENCRYPT_REMEDIATION),
)
