"""Voicemail boxes and how they are opened."""
from __future__ import annotations

from voxaudit.records.base import Record
from voxaudit.records.secrets import ABSENT, SecretShape


class MailboxPin(Record, frozen=True, kw_only=True):
    """The PIN that opens one mailbox's messages by phone.

    ``undecidable``: why the PIN cannot be judged from configuration (kept in the spool, hashed,
    a placeholder, set at run time). ``optional``: why a missing PIN guards nothing on this
    mailbox (an account that keeps no messages to hear by phone)."""

    mailbox: str
    pin: SecretShape = ABSENT
    undecidable: str = ""
    optional: str = ""
