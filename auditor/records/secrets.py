"""Secrets by shape: what a control may know about a PIN or password, never its value."""
from __future__ import annotations

from typing import Optional

import msgspec

from voxaudit.records.base import Record
from voxaudit.secretinfo import SecretInfo


class SecretShape(msgspec.Struct, frozen=True, gc=False):
    """Present or not, how long, equal to its account's name, a known weak value, shared with whom."""

    present: bool
    length: int = 0
    equals_identity: bool = False
    weakness: str = ""  # "known-weak", "sequential", "repeated", or ""
    shared_with: str = ""  # the accounts sharing it, or ""

    @classmethod
    def of(cls, info: Optional[SecretInfo]) -> SecretShape:
        if info is None or not info.present:
            return cls(present=False)
        return cls(True, info.length, info.equals_identity, info.weakness or "", info.shared_group or "")


ABSENT = SecretShape(present=False)


class Credential(Record, frozen=True, kw_only=True):
    """An account's secret (SIP, AMI, ARI, event socket, database, device admin).

    ``undecidable`` says why its shape cannot be judged from configuration (stored hashed, a
    deployment placeholder, set at run time); then it is never judged strong."""

    account: str
    secret: SecretShape = ABSENT
    undecidable: str = ""
