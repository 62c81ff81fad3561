"""Asterisk's stored voicemail and call recordings as records: spool statistics (counts, sizes, ages:
never content), voicemail.conf [general] limits and backupdeleted, and the dialplan's recordings.

app_voicemail's defaults: maxmsg=100 per folder, no maxsecs (no length limit; ``maxmessage`` is
its old name), backupdeleted=no. Nothing in Asterisk expires messages or MixMonitor/Monitor files.
"""
from __future__ import annotations

from typing import Iterator, Optional

from voxaudit.control import Binding, Params
from voxaudit.facts.asterisk import AsteriskFacts
from voxaudit.platforms.asterisk.common import vm_general
from voxaudit.platforms.common import config_int
from voxaudit.records.retention import DeletedMessages, MessageLimits, StoredMessages, StoredRecordings
from voxaudit.remediation import Change, set_

MAXMSG_DEFAULT = 100  # app_voicemail MAXMSG
RECORDING_APPS = {"mixmonitor", "monitor"}
AGE_REMEDIATION = {
    "asterisk": "Purge messages older than the policy from the spool (e.g. a daily `find /var/spool/asterisk/"
                "voicemail -name 'msg*' -mtime +90 -delete` followed by renumbering with the VoiceMail API), "
                "and tell users the policy.",
    "freepbx": "Settings > Voicemail Admin: clean old messages per mailbox; schedule a cron job for the policy.",
}
BOUNDS_REMEDIATION = {
    "asterisk": "In voicemail.conf [general] set maxmsg=100 and maxsecs=180 (minsecs=3 drops empty hang-ups).",
    "freepbx": "Settings > Voicemail Admin > Settings > General: maxmsg, maxsecs, minsecs.",
}
DELETED_REMEDIATION = {
    "asterisk": "In voicemail.conf [general] set backupdeleted=no (or remove it).",
    "freepbx": "Remove backupdeleted from voicemail.conf_custom / Voicemail Admin > Settings > Advanced.",
}
RECORDING_REMEDIATION = {
    "asterisk": "Schedule deletion of /var/spool/asterisk/monitor files older than the policy (cron + find "
                "-mtime +N -delete) and document the period in the retention policy.",
    "freepbx": "Admin > Call Recording Report / Settings > Advanced Settings: set a cleanup via the Recordings "
               "module or a cron job on /var/spool/asterisk/monitor.",
}


def stored_messages(facts: AsteriskFacts) -> Iterator[StoredMessages]:
    for box in facts.spool.mailboxes if facts.spool is not None else []:
        yield StoredMessages(subject=f"mailbox {box.mailbox}", mailbox=box.mailbox, messages=box.messages,
                             ages_days=tuple(box.ages_days))


def message_limits(facts: AsteriskFacts) -> Iterator[MessageLimits]:
    general = vm_general(facts)
    if general is None:
        return
    maxmsg = general.get("maxmsg")
    if not maxmsg:
        most: Optional[int] = MAXMSG_DEFAULT
    else:
        most = config_int(maxmsg)
    maxsecs = general.get("maxsecs") or general.get("maxmessage")
    seconds = config_int(maxsecs)
    longest = seconds if seconds else None
    yield MessageLimits(subject="voicemail.conf [general]", source=general.location("maxsecs"),
                        section="voicemail.conf [general]", max_messages=most, max_seconds=longest,
                        messages_setting=f"maxmsg={maxmsg or f'{MAXMSG_DEFAULT} (default)'}",
                        seconds_setting=f"maxsecs={maxsecs}" if longest is not None else "maxsecs unset")


def bounds_fix(limits: MessageLimits, params: Params) -> list[str]:
    """The profile's limits: maxmsg and maxsecs where they are above them, maxsecs=180 where there is none."""
    most, longest = params.int("max_messages"), params.int("max_message_seconds")
    fix = ["[general]"]
    if limits.max_messages is not None and limits.max_messages > most:
        fix.append(f"maxmsg={most}")
    if limits.max_seconds is None:
        fix.append(f"maxsecs={min(180, longest)}")
    elif limits.max_seconds > longest:
        fix.append(f"maxsecs={longest}")
    return fix


def bounds_change(limits: MessageLimits, params: Params) -> list[Change]:
    """bounds_fix's settings, in voicemail.conf [general]."""
    return [set_("voicemail.conf", "general", key, value, "voicemail.general")
            for key, _, value in (line.partition("=") for line in bounds_fix(limits, params)[1:])]


def deleted_messages(facts: AsteriskFacts) -> Iterator[DeletedMessages]:
    general = vm_general(facts)
    if general is None:
        return
    value = (general.get("backupdeleted") or "no").strip().lower()
    yield DeletedMessages(subject="voicemail.conf [general]", source=general.location("backupdeleted"),
                          section="voicemail.conf [general]", kept=value not in {"no", "0", "false", "off"},
                          setting=f"backupdeleted={value}")


def deleted_fix(rec: DeletedMessages) -> list[str]:
    return ["[general]", "backupdeleted=no"]


def deleted_change(rec: DeletedMessages) -> list[Change]:
    return [set_("voicemail.conf", "general", "backupdeleted", "no", "voicemail.general")]


def stored_recordings(facts: AsteriskFacts) -> Iterator[StoredRecordings]:
    """Recordings when the dialplan records calls (MixMonitor/Monitor, also inside ExecIf/Exec) or some are stored."""
    step = next((s for s in facts.dialplan if s.app.lower() in RECORDING_APPS), None)
    rec = facts.spool.recordings if facts.spool is not None else None
    where = step.source if step is not None else None
    if rec is None:
        if step is not None:
            yield StoredRecordings(subject="call recordings", source=where, stored=False)
        return
    if step is None and rec.files == 0:
        return
    yield StoredRecordings(subject="call recordings", source=where, stored=True, files=rec.files,
                           ages_days=tuple(rec.ages_days))


NO_GENERAL = "no [general] section"
BINDINGS = (
    Binding("RET-PHI-101", "asterisk", stored_messages, ("spool",), "AST-RET-101", AGE_REMEDIATION,
            none="no mailboxes in the spool"),
    Binding("RET-PHI-102", "asterisk", message_limits, ("voicemail.conf",), "AST-RET-102", BOUNDS_REMEDIATION,
            bounds_fix, none=NO_GENERAL, change=bounds_change),
    Binding("RET-PHI-103", "asterisk", deleted_messages, ("voicemail.conf",), "AST-RET-103", DELETED_REMEDIATION,
            deleted_fix, none=NO_GENERAL, change=deleted_change),
    Binding("RET-PHI-104", "asterisk", stored_recordings, ("extensions.conf", "extensions.ael", "extensions.lua", "spool"),
            "AST-RET-104", RECORDING_REMEDIATION,
            none="the dialplan does not record calls and no recordings are stored"),
)
