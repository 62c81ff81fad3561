"""Audit logging: security events and operational events are logged, persistently and off the system;
each call leaves a record and events within a call are logged; logs are kept for the profile's period.

Each record's ``setting`` quotes the configuration in the platform's words; these controls judge
the record's fields and add only vendor-neutral words.
"""
from __future__ import annotations

from typing import Optional

from voxaudit.check import Param
from voxaudit.control import Params, Verdict, control, failed, passed, unknown
from voxaudit.records.audit import (
    CallRecords,
    ChannelEvents,
    LogForwarding,
    LogRetention,
    LogSetting,
    PersistentLog,
    SecurityEventLog,
)

AUDIT = ("164.312(b)", "164.308(a)(1)(ii)(D)")
LOG_YEARS = Param(name="log_retention_years", default=6, help="Years audit logs must be kept")


def _cannot_tell(rec: LogSetting) -> Optional[Verdict]:
    """A setting the configuration does not show is unknown, never acceptable."""
    return unknown(rec.undecidable) if rec.undecidable else None


@control(
    id="LOG-AUD-101", title="Security events (failed log-ins, rejected requests) are logged", severity="high",
    hipaa=(*AUDIT, "164.308(a)(5)(ii)(C)"), area="audit-log", record=SecurityEventLog,
    rationale="""Failed registrations, bad passwords and rejected requests are the log-in monitoring the
    Security Rule asks for, and what intrusion blockers such as fail2ban act on. Common default
    configurations do not log them.""",
)
def security_events_logged(rec: SecurityEventLog, params: Params) -> Verdict:
    return _cannot_tell(rec) or (passed(rec.setting) if rec.logged else failed(rec.setting))


@control(
    id="LOG-AUD-102", title="Notices, warnings and errors go to a persistent log", severity="medium",
    hipaa=AUDIT, area="audit-log", record=PersistentLog,
    rationale="""Console output is lost at restart; investigations need notice, warning and error
    lines (registrations, call failures, module errors) in a file or syslog.""",
)
def persistent_log(rec: PersistentLog, params: Params) -> Verdict:
    return _cannot_tell(rec) or (passed(rec.setting) if rec.kept else failed(rec.setting))


@control(
    id="LOG-AUD-103", title="Logs are shipped off the system (syslog)", severity="medium",
    hipaa=("164.312(b)", "164.312(c)(1)", "164.308(a)(1)(ii)(D)"), area="audit-log", record=LogForwarding,
    rationale="""Logs that live only on the system that wrote them can be altered or erased by whoever
    compromises it, and a device's own buffer is small and lost on reboot. Logs handed to syslog and
    forwarded to a central collector keep a tamper-resistant copy that can be reviewed.""",
)
def logs_shipped(rec: LogForwarding, params: Params) -> Verdict:
    return _cannot_tell(rec) or (passed(rec.setting) if rec.forwarded else failed(rec.setting))


@control(
    id="LOG-AUD-104", title="Call records are written", severity="medium",
    hipaa=AUDIT, area="audit-log", record=CallRecords,
    rationale="Call records are the record of who called whom and when: the activity review the Security Rule requires.",
)
def call_records_written(rec: CallRecords, params: Params) -> Verdict:
    return _cannot_tell(rec) or (passed(rec.setting) if rec.written else failed(rec.setting))


@control(
    id="LOG-AUD-105", title="Events within a call are logged", severity="low",
    hipaa=AUDIT, area="audit-log", record=ChannelEvents,
    rationale="""Channel events record transfers, voicemail and application events within a call; they
    show who reached a mailbox, which a call record alone does not.""",
)
def channel_events_logged(rec: ChannelEvents, params: Params) -> Verdict:
    return _cannot_tell(rec) or (passed(rec.setting) if rec.logged else failed(rec.setting))


@control(
    id="LOG-AUD-106", title="Logs are retained for the profile's period", severity="medium",
    hipaa=("164.316(b)(2)(i)", "164.312(b)"), area="audit-log", record=LogRetention, params=[LOG_YEARS],
    rationale="""HIPAA documentation must be kept six years (164.316(b)(2)(i)); the usual log rotation
    ('weekly, keep 4') deletes a system's security log after a month.""",
)
def logs_retained(rec: LogRetention, params: Params) -> Verdict:
    if rec.undecidable:
        return unknown(rec.undecidable)
    if not rec.managed:
        return failed(f"{rec.setting}: retention is unmanaged")
    need = 365 * params.int("log_retention_years")
    if rec.forever:
        return passed(f"{rec.setting}: old logs are never removed")
    if rec.retained_days >= need:
        return passed(f"{rec.setting}: about {rec.retained_days} days")
    return failed(f"{rec.setting}: about {rec.retained_days} days, below {need}")
