"""Where PHI is stored and how it is backed up: storage encryption and backup jobs, files and targets.

Metadata only (mount points, device types, job locations, file ages): never a file's content nor a
job's command line (it may carry a password).
"""
from __future__ import annotations

from typing import Optional

from voxaudit.records.base import Record


class PhiStorage(Record, frozen=True, kw_only=True):
    """One place PHI is written (voicemail, recordings, backups, logs) and the storage under it.

    ``encryption``: what encrypts it ("luks", "dm-crypt", "zfs", "ecryptfs"), "none" when the
    evidence shows nothing does. ``undecidable``: why it cannot be told (no evidence, a network
    filesystem, an unknown device) and what to capture; never judged as encrypted."""

    location: str
    path: str
    mountpoint: str = ""
    device: str = ""
    fstype: str = ""
    encryption: str = ""
    how: str = ""
    undecidable: str = ""


class BackupCoverage(Record, frozen=True, kw_only=True):
    """The scheduled jobs that back up a PBX: whether any copies its voicemail and its configuration.

    ``jobs`` names where each backup-looking job is defined (file:line), ``unresolved`` those whose
    command names no path (a script): what they copy is not visible."""

    voicemail: bool
    config: bool
    jobs: tuple[str, ...] = ()
    unresolved: tuple[str, ...] = ()
    undecidable: str = ""


class BackupFreshness(Record, frozen=True, kw_only=True):
    """The backup files found: how many, and the newest one's age in days (None: none found)."""

    files: int
    newest_age_days: Optional[int] = None
    undecidable: str = ""


class BackupStorage(Record, frozen=True, kw_only=True):
    """One place backups are written: a local directory (and the storage under it) or a remote host."""

    destination: str
    remote: bool = False
    encryption: str = ""
    how: str = ""
    undecidable: str = ""
