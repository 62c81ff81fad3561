"""Contingency plan, data backup (45 CFR 164.308(a)(7)): voicemail and PBX configuration are backed up
by a scheduled job, the newest backup is recent, and backups sit on encrypted storage.

Only the existence, ages and sizes of backups and where they go are judged: a backup's content is
never read. No evidence is ERROR with what to capture, never PASS.
"""
from __future__ import annotations

from voxaudit.check import Param
from voxaudit.control import Params, Verdict, control, failed, passed, unknown
from voxaudit.records.storage import BackupCoverage, BackupFreshness, BackupStorage

CONTINGENCY = ("164.308(a)(7)",)
MAX_BACKUP_AGE = Param(name="max_backup_age_days", default=7, help="Oldest the newest backup may be, in days")
KINDS = {"luks": "LUKS (dm-crypt)", "dm-crypt": "dm-crypt", "zfs": "ZFS native encryption", "ecryptfs": "eCryptfs"}


@control(
    id="BAK-PHI-101", title="Voicemail and PBX configuration are backed up by a scheduled job", severity="high",
    hipaa=CONTINGENCY, area="storage", record=BackupCoverage,
    rationale="""A data backup plan (164.308(a)(7)(ii)(A), required) means exact copies of ePHI that can
    be restored: without a scheduled backup, a failed disk or ransomware loses every voicemail and
    the PBX's configuration (extensions, trunks, routes) with them.""",
)
def backups_scheduled(rec: BackupCoverage, params: Params) -> Verdict:
    if rec.undecidable:
        return unknown(rec.undecidable)
    jobs = ", ".join(rec.jobs[:5]) or "none"
    if rec.voicemail and rec.config:
        return passed(f"voicemail and configuration are backed up ({jobs})")
    missing = " and ".join(x for x, ok in (("voicemail", rec.voicemail), ("configuration", rec.config)) if not ok)
    if rec.unresolved:
        return unknown(f"no job shown to back up {missing}; {', '.join(rec.unresolved[:5])} run a command naming no "
                       "path (a script): add the script to the evidence or back the paths up by name")
    return failed(f"no scheduled job backs up {missing} (backup-like jobs: {jobs})")


@control(
    id="BAK-PHI-102", title="The newest backup is recent", severity="medium", hipaa=CONTINGENCY,
    area="storage", record=BackupFreshness, params=[MAX_BACKUP_AGE],
    rationale="""A backup job that stopped running (a full disk, a changed password, a moved share) fails
    silently; the age of the newest backup file is what proves the plan still works.""",
)
def backup_recent(rec: BackupFreshness, params: Params) -> Verdict:
    if rec.undecidable:
        return unknown(rec.undecidable)
    limit = params.int("max_backup_age_days")
    if rec.newest_age_days is None:
        return failed("no backup file found")
    if rec.newest_age_days > limit:
        return failed(f"newest of {rec.files} backup files is {rec.newest_age_days} days old (limit {limit})")
    return passed(f"newest of {rec.files} backup files is {rec.newest_age_days} days old (limit {limit})")


@control(
    id="BAK-PHI-103", title="Backups are kept on encrypted storage", severity="high",
    hipaa=("164.308(a)(7)", "164.312(a)(2)(iv)"), area="storage", record=BackupStorage,
    rationale="""A backup holds every voicemail and recording in one file; on an unencrypted disk, share
    or USB drive it is the easiest copy of the clinic's PHI to lose.""",
)
def backups_encrypted(rec: BackupStorage, params: Params) -> Verdict:
    if rec.undecidable:
        return unknown(rec.undecidable)
    if rec.encryption == "none":
        return failed(f"backups in {rec.destination} are on unencrypted storage ({rec.how})")
    if rec.encryption in KINDS:
        return passed(f"backups in {rec.destination}: {KINDS[rec.encryption]} ({rec.how})")
    return unknown(f"backups in {rec.destination}: {rec.how or 'storage encryption unknown'}")
