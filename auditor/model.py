"""Core vocabulary shared by the engine, the checks and the reports.

Kept free of I/O so that checks (pure functions) and reports (renderers of saved
scans) can import it without pulling in any collector.
"""
from __future__ import annotations

from enum import Enum
from typing import Optional

import msgspec


class Severity(str, Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse; used by --fail-on and for sorting."""
        return {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}[self.value]

    @property
    def weight(self) -> int:
        """Score weight of a check of this severity (see docs/scoring.md)."""
        return {"critical": 10, "high": 5, "medium": 3, "low": 1, "info": 0}[self.value]


class Status(str, Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    ERROR = "ERROR"


class ErrorKind(str, Enum):
    """Why a result is ERROR. Only the runner sets these, never a check."""

    CONNECTIVITY = "connectivity"
    AUTH = "auth"
    PARSE = "parse"
    TIMEOUT = "timeout"
    NOT_COLLECTED = "not_collected"
    BUG = "bug"


class Data(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Machine data (facts and the saved scan): slotted structs built without validation, so a
    10,000-extension tree costs what its objects cost; a saved scan or a collector's answer is
    validated once, when it is decoded (auditor.scan). What people write in YAML is validated by
    msgspec too (auditor.targets, inventory, profile, waivers). Defaults are left out of the JSON,
    which keeps scans compact."""


class SourceRef(Data, kw_only=True, gc=False):  # a string and an int: never in a cycle, not tracked
    """Where a fact came from: a file (relative to the scanned tree) and a line."""

    file: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


class Waiver(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An accepted risk (auditor.waivers validates the file people write); saved in scans, defaults left out."""

    check: str
    resource: str = "*"
    target: str = "*"
    owner: str
    reason: str
    expires: str  # ISO date; kept as text so saved scans stay plain JSON


class Result(Data, kw_only=False, omit_defaults=False):
    """One verdict of one control (or check) on one resource of one target.

    A struct rather than a validating class: a 10,000-extension tree makes 140,000 of them, and
    building them with validation cost more than judging them. The saved scan validates them when it is decoded;
    unlike facts, every field is written (people's scripts read ``results[].waiver``)."""

    check_id: str
    target: str
    resource: str
    status: Status
    evidence: str = ""
    location: Optional[SourceRef] = None
    fix: list[str] = []
    error_kind: Optional[ErrorKind] = None
    waiver: Optional[Waiver] = None
    alias: Optional[str] = None  # the 1.x check ID this result answers for (a control's binding on this platform)

    def answers(self, check_id: str) -> bool:
        """Is this a result of ``check_id``, as a control or as the 1.x check its binding replaced?"""
        return self.check_id == check_id or self.alias == check_id

    @property
    def effective_status(self) -> str:
        """WAIVED for a waived failure; the raw status otherwise."""
        if self.waiver is not None and self.status == Status.FAIL:
            return "WAIVED"
        return self.status.value
