"""Stored voicemail and call recordings: how much is kept, for how long, and whether deletion disposes of it.

Only counts, sizes and ages: a record never holds a message's content or its caller.
"""
from __future__ import annotations

from typing import Optional

from voxaudit.records.base import Record


class StoredMessages(Record, frozen=True, kw_only=True):
    """The messages one mailbox holds: how many, and each one's age in days."""

    mailbox: str
    messages: int
    ages_days: tuple[int, ...] = ()


class MessageLimits(Record, frozen=True, kw_only=True):
    """How much a mailbox may accumulate: messages per folder and seconds per message.

    ``max_messages`` None: the limit is written in a form that cannot be read as a number (not
    judged). ``max_seconds`` None: messages have no length limit. The ``*_setting`` fields quote the
    configuration (with the platform's default when unset) for evidence."""

    max_messages: Optional[int]
    max_seconds: Optional[int]
    messages_setting: str
    seconds_setting: str


class DeletedMessages(Record, frozen=True, kw_only=True):
    """Whether a message the user deletes is kept anyway (a hidden copy), and the setting that says so."""

    kept: bool
    setting: str


class StoredRecordings(Record, frozen=True, kw_only=True):
    """Call recordings on disk: ``stored`` False when calls are recorded but no store exists yet;
    otherwise how many files and each one's age in days."""

    stored: bool
    files: int = 0
    ages_days: tuple[int, ...] = ()
