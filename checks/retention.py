"""Retention and disposal of voicemail and call recordings (45 CFR 164.310(d)(2)(i)).

Records hold counts, sizes and ages only; no audio is ever read.
"""
from __future__ import annotations

from voxaudit.check import Param
from voxaudit.control import Params, Verdict, control, failed, passed
from voxaudit.records.retention import DeletedMessages, MessageLimits, StoredMessages, StoredRecordings

DISPOSAL = ("164.310(d)(2)(i)",)
MAX_AGE = Param(name="max_message_age_days", default=90, help="Oldest voicemail a mailbox may hold, in days")
MAX_MESSAGES = Param(name="max_messages", default=100, help="Most messages a mailbox folder may be allowed to hold")
MAX_SECONDS = Param(name="max_message_seconds", default=300, help="Longest voicemail message allowed, in seconds")
RECORDING_DAYS = Param(name="recording_retention_days", default=365, help="Oldest call recording allowed, in days")


@control(
    id="RET-PHI-101", title="Voicemail is not kept past the clinic's retention period", severity="medium",
    hipaa=DISPOSAL, area="retention", record=StoredMessages, params=[MAX_AGE],
    rationale="""Old messages are PHI with no remaining purpose; each one kept widens what a breach
    exposes. Voicemail systems commonly never expire messages by themselves.""",
)
def message_age(box: StoredMessages, params: Params) -> Verdict:
    limit = params.int("max_message_age_days")
    old = [a for a in box.ages_days if a > limit]
    if old:
        return failed(f"{len(old)} of {box.messages} messages older than {limit} days (oldest {max(old)} days)")
    return passed(f"{box.messages} messages, none older than {limit} days")


@control(
    id="RET-PHI-102", title="Message count and length are bounded", severity="low",
    hipaa=DISPOSAL, area="retention", record=MessageLimits, params=[MAX_MESSAGES, MAX_SECONDS],
    rationale="""Limits on messages per mailbox and seconds per message bound how much PHI a mailbox
    accumulates; without a length limit a caller can leave an unbounded message.""",
)
def message_bounds(limits: MessageLimits, params: Params) -> Verdict:
    most, longest = params.int("max_messages"), params.int("max_message_seconds")
    problems = []
    if limits.max_messages is not None and limits.max_messages > most:
        problems.append(f"{limits.messages_setting} above {most}")
    if limits.max_seconds is None:
        problems.append(f"{limits.seconds_setting}: messages have no length limit")
    elif limits.max_seconds > longest:
        problems.append(f"{limits.seconds_setting} above {longest}")
    if problems:
        return failed("; ".join(problems))
    return passed(f"{limits.messages_setting}, {limits.seconds_setting}")


@control(
    id="RET-PHI-103", title="Deleted voicemail is really disposed of", severity="medium",
    hipaa=DISPOSAL, area="retention", record=DeletedMessages,
    rationale="""Keeping a hidden copy of 'deleted' messages means users believe a message is gone while
    it stays on disk and in every backup.""",
)
def deleted_disposed(rec: DeletedMessages, params: Params) -> Verdict:
    return failed(f"{rec.setting}: deleted messages are kept") if rec.kept else passed("deleted messages are removed")


@control(
    id="RET-PHI-104", title="Call recordings are not kept past their retention period", severity="medium",
    hipaa=DISPOSAL, area="retention", record=StoredRecordings, params=[RECORDING_DAYS],
    rationale="""Recorded calls are written to disk and nothing in the phone system deletes them;
    recordings of clinical calls are PHI and need a disposal schedule.""",
)
def recording_age(rec: StoredRecordings, params: Params) -> Verdict:
    if not rec.stored:
        return passed("recording is configured but no recordings directory exists yet")
    limit = params.int("recording_retention_days")
    old = [a for a in rec.ages_days if a > limit]
    if old:
        return failed(f"{len(old)} of {rec.files} recordings older than {limit} days (oldest {max(old)} days)")
    return passed(f"{rec.files} recordings, none older than {limit} days")
