"""Retention and disposal of voicemail and call recordings (45 CFR 164.310(d)(2)(i)).

Spool facts are counts and ages only; no audio is ever read.
"""
from __future__ import annotations

from auditor.check import Param, check
from checks.asterisk._common import PLATFORMS, vm_general

DISPOSAL = ["164.310(d)(2)(i)"]


@check(
    id="AST-RET-101", title="Voicemail is not kept past the clinic's retention period", severity="medium",
    hipaa=DISPOSAL, area="retention", platforms=PLATFORMS, sources=["spool"],
    params=[Param(name="max_message_age_days", default=90, help="Oldest voicemail a mailbox may hold, in days")],
    rationale="""Old messages are PHI with no remaining purpose; each one kept widens what a
    breach exposes. Asterisk never expires messages by itself.""",
    remediation={
        "asterisk": "Purge messages older than the policy from the spool (e.g. a daily `find /var/spool/asterisk/"
                    "voicemail -name 'msg*' -mtime +90 -delete` followed by renumbering with the VoiceMail API), "
                    "and tell users the policy.",
        "freepbx": "Settings > Voicemail Admin: clean old messages per mailbox; schedule a cron job for the policy.",
    },
)
def message_age(facts, ctx):
    limit = ctx.param("max_message_age_days")
    if not facts.spool.mailboxes:
        yield ctx.not_applicable("voicemail spool", "no mailboxes in the spool")
        return
    for box in facts.spool.mailboxes:
        old = [a for a in box.ages_days if a > limit]
        res = f"mailbox {box.mailbox}"
        if old:
            yield ctx.fail(res, f"{len(old)} of {box.messages} messages older than {limit} days (oldest {max(old)} days)")
        else:
            yield ctx.passed(res, f"{box.messages} messages, none older than {limit} days")


@check(
    id="AST-RET-102", title="Message count and length are bounded", severity="low",
    hipaa=DISPOSAL, area="retention", platforms=PLATFORMS, sources=["voicemail.conf"],
    params=[Param(name="max_messages", default=100, help="Highest acceptable maxmsg per folder"),
            Param(name="max_message_seconds", default=300, help="Highest acceptable maxsecs per message")],
    rationale="""maxmsg and maxsecs bound how much PHI a mailbox accumulates; without maxsecs a
    caller can leave an unbounded message (app_voicemail's default is no limit).""",
    remediation={
        "asterisk": "In voicemail.conf [general] set maxmsg=100 and maxsecs=180 (minsecs=3 drops empty hang-ups).",
        "freepbx": "Settings > Voicemail Admin > Settings > General: maxmsg, maxsecs, minsecs.",
    },
)
def message_bounds(facts, ctx):
    general = vm_general(facts)
    if general is None:
        yield ctx.not_applicable("voicemail.conf", "no [general] section")
        return
    problems, fix = [], ["[general]"]
    maxmsg = general.get("maxmsg")
    if maxmsg and maxmsg.isdigit() and int(maxmsg) > ctx.param("max_messages"):
        problems.append(f"maxmsg={maxmsg} above {ctx.param('max_messages')}")
        fix.append(f"maxmsg={ctx.param('max_messages')}")
    maxsecs = general.get("maxsecs") or general.get("maxmessage")
    if not maxsecs or not maxsecs.isdigit() or int(maxsecs) == 0:
        problems.append("maxsecs unset: messages have no length limit")
        fix.append("maxsecs=180")
    elif int(maxsecs) > ctx.param("max_message_seconds"):
        problems.append(f"maxsecs={maxsecs} above {ctx.param('max_message_seconds')}")
        fix.append(f"maxsecs={ctx.param('max_message_seconds')}")
    if problems:
        yield ctx.fail("voicemail.conf [general]", "; ".join(problems), general.location("maxsecs"), fix=fix)
    else:
        yield ctx.passed("voicemail.conf [general]", f"maxmsg={maxmsg or '100 (default)'}, maxsecs={maxsecs}",
                         general.location("maxsecs"))


@check(
    id="AST-RET-103", title="Deleted voicemail is really disposed of", severity="medium",
    hipaa=DISPOSAL, area="retention", platforms=PLATFORMS, sources=["voicemail.conf"],
    rationale="""backupdeleted keeps up to N 'deleted' messages per mailbox in a hidden Deleted
    folder. Users believe the message is gone; it stays on disk and in every backup.""",
    remediation={
        "asterisk": "In voicemail.conf [general] set backupdeleted=no (or remove it).",
        "freepbx": "Remove backupdeleted from voicemail.conf_custom / Voicemail Admin > Settings > Advanced.",
    },
)
def deleted_disposed(facts, ctx):
    general = vm_general(facts)
    if general is None:
        yield ctx.not_applicable("voicemail.conf", "no [general] section")
        return
    value = (general.get("backupdeleted") or "no").strip().lower()
    if value not in {"no", "0", "false", "off"}:
        yield ctx.fail("voicemail.conf [general]", f"backupdeleted={value}: deleted messages are kept",
                       general.location("backupdeleted"), fix=["[general]", "backupdeleted=no"])
    else:
        yield ctx.passed("voicemail.conf [general]", "deleted messages are removed", general.location("backupdeleted"))


@check(
    id="AST-RET-104", title="Call recordings are not kept past their retention period", severity="medium",
    hipaa=DISPOSAL, area="retention", platforms=PLATFORMS, sources=["extensions.conf", "extensions.ael", "spool"],
    params=[Param(name="recording_retention_days", default=365, help="Oldest call recording allowed, in days")],
    rationale="""MixMonitor and Monitor write every recorded call to the spool and nothing in
    Asterisk deletes them; recordings of clinical calls are PHI and need a disposal schedule.
    A recording started inside ExecIf/Exec (e.g. ExecIf(cond?MixMonitor(...))) counts too.""",
    remediation={
        "asterisk": "Schedule deletion of /var/spool/asterisk/monitor files older than the policy (cron + find "
                    "-mtime +N -delete) and document the period in the retention policy.",
        "freepbx": "Admin > Call Recording Report / Settings > Advanced Settings: set a cleanup via the Recordings "
                   "module or a cron job on /var/spool/asterisk/monitor.",
    },
)
def recording_age(facts, ctx):
    limit = ctx.param("recording_retention_days")
    apps = [s for s in facts.dialplan if s.app.lower() in {"mixmonitor", "monitor"}]
    rec = facts.spool.recordings
    if not apps and (rec is None or rec.files == 0):
        yield ctx.not_applicable("call recordings", "the dialplan does not record calls and no recordings are stored")
        return
    if rec is None:
        yield ctx.passed("call recordings", "recording is configured but no recordings directory exists yet",
                         apps[0].source if apps else None)
        return
    old = [a for a in rec.ages_days if a > limit]
    where = apps[0].source if apps else None
    if old:
        yield ctx.fail("call recordings", f"{len(old)} of {rec.files} recordings older than {limit} days "
                       f"(oldest {max(old)} days)", where)
    else:
        yield ctx.passed("call recordings", f"{rec.files} recordings, none older than {limit} days", where)
