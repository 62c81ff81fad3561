"""The audit trail: which events are logged, where the logs go, which call records are kept, and for how long.

``setting`` quotes what the configuration says in the platform's own words ("channel security.log",
"log-auth-failures=unset (false)"), built by the adapter for evidence; the controls judge the
booleans and numbers beside it.
"""
from __future__ import annotations

from voxaudit.records.base import Record


class LogSetting(Record, frozen=True, kw_only=True):
    """What the records of this module share: the configuration's words, and why it cannot be judged.

    ``undecidable``: why the configuration does not show the answer (a value set only on the
    running host); a control answers unknown, never PASS."""

    setting: str = ""
    undecidable: str = ""


class SecurityEventLog(LogSetting, frozen=True, kw_only=True):
    """Whether failed log-ins and rejected requests (security events) are written to a log."""

    logged: bool


class PersistentLog(LogSetting, frozen=True, kw_only=True):
    """Whether notices, warnings and errors are written somewhere that survives a restart."""

    kept: bool


class LogForwarding(LogSetting, frozen=True, kw_only=True):
    """Whether the logs are handed to syslog or a remote collector, off the system that wrote them."""

    forwarded: bool


class CallRecords(LogSetting, frozen=True, kw_only=True):
    """Whether a record of each call (who called whom, when, for how long) is written."""

    written: bool


class ChannelEvents(LogSetting, frozen=True, kw_only=True):
    """Whether events within a call (transfers, mailbox access, recording) are logged."""

    logged: bool


class LogRetention(LogSetting, frozen=True, kw_only=True):
    """How long rotated logs survive on the system.

    ``managed`` is False when no rotation rule covers the logs at all (``setting`` says so);
    otherwise ``retained_days`` is how long the rule keeps them and ``setting`` its schedule."""

    managed: bool
    retained_days: int = 0
    forever: bool = False  # the rule never removes old logs (logrotate's rotate -1 without maxage)
