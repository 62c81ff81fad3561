"""What voicemail notifications carry off the PBX: audio, caller identity, the only copy.

Email and SMS alerts land on phones whose lock screens show previews; the minimum
necessary is "you have a new message", not who called or what they said.
"""
from __future__ import annotations

from auditor.check import check
from checks.asterisk._common import CALLER_VARS_RE, PLATFORMS, mailbox_option, mailboxes, vm_general, yes

PRIVACY = ["164.530(c)", "164.514(d)"]


def _with(facts, field):
    return [mb for mb in mailboxes(facts) if (mb.get(field) or "").strip()]


@check(
    id="AST-NTF-101", title="Voicemail audio is not attached to notification emails", severity="high",
    hipaa=["164.312(e)(1)"] + PRIVACY, area="notifications", platforms=PLATFORMS, sources=["voicemail.conf"],
    rationale="""attach=yes mails the recording itself (the patient's voice and words) through
    mail servers outside the clinic's control, usually unencrypted, and onto every device that
    syncs the mailbox.""",
    remediation={
        "asterisk": "In voicemail.conf [general] set attach=no and remove attach=yes from mailbox options.",
        "freepbx": "Applications > Extensions > (extension) > Voicemail: Email Attachment = No; "
                   "Settings > Voicemail Admin > Settings: attach = no.",
    },
)
def no_audio_attachments(facts, ctx):
    boxes = _with(facts, "email")
    if not boxes:
        yield ctx.not_applicable("voicemail.conf", "no mailbox sends email")
        return
    for mb in boxes:
        value, where = mailbox_option(facts, mb, "attach")
        res = f"mailbox {mb.name}"
        if yes(value):
            yield ctx.fail(res, f"audio attached to email (attach=yes from {where})", mb.source,
                           fix=[f"; options of mailbox {mb.name}" if where.startswith("mailbox") else "[general]", "attach=no"])
        else:
            yield ctx.passed(res, f"attach={value or 'no (default)'}", mb.source)


def _template_results(facts, ctx, kind: str, fields: tuple[str, str], default_leaks: bool):
    """Judge [general] templates once, and each mailbox that overrides them."""
    boxes = _with(facts, "email" if kind == "email" else "pager")
    if not boxes:
        yield ctx.not_applicable("voicemail.conf", f"no mailbox sends {kind} notifications")
        return
    general = vm_general(facts)
    subject_key, body_key = fields

    def judge(owner, label, fix_prefix):
        leaks = []
        for key in fields:
            text = owner.get(key) if owner is not None else None
            if text is None and owner is general:
                if key == body_key and default_leaks:
                    leaks.append(f"{key} unset: Asterisk's default {kind} body names the caller")
            elif text is not None and CALLER_VARS_RE.search(text):
                found = sorted({m.group(0) for m in CALLER_VARS_RE.finditer(text)})
                leaks.append(f"{key} includes {', '.join(found)}")
        loc = owner.location(body_key) if owner is not None else None
        if leaks:
            return ctx.fail(label, "; ".join(leaks), loc, fix=fix_prefix + [
                f"{subject_key}=New voicemail in mailbox ${{VM_MAILBOX}}",
                f"{body_key}=You have a new voicemail. Call the voicemail system to listen.\\n"])
        return ctx.passed(label, f"{kind} templates carry no caller identity", loc)

    if any(mb.get(subject_key) is None and mb.get(body_key) is None for mb in boxes):
        yield judge(general, f"voicemail.conf [general] {kind} template", ["[general]"])
    for mb in boxes:
        if mb.get(subject_key) is not None or mb.get(body_key) is not None:
            yield judge(mb, f"mailbox {mb.name} {kind} template", [f"; options of mailbox {mb.name}"])


@check(
    id="AST-NTF-102", title="Email notifications do not name the caller", severity="high",
    hipaa=PRIVACY, area="notifications", platforms=PLATFORMS, sources=["voicemail.conf"],
    rationale="""A subject like 'New message from JANE DOE <555-0100>' shows on a locked phone
    and in every mail client preview: the fact that a patient called is PHI. The default
    Asterisk body includes the caller ID, so an unset emailbody leaks too.""",
    remediation={
        "asterisk": "In voicemail.conf [general] set emailsubject and emailbody without ${VM_CALLERID}, "
                    "${VM_CIDNAME} or ${VM_CIDNUM}, e.g. emailbody=You have a new voicemail in mailbox ${VM_MAILBOX}.",
        "freepbx": "Settings > Voicemail Admin > Settings > Email Config: rewrite Email Subject and Email Body "
                   "without the caller ID variables.",
    },
)
def email_no_caller(facts, ctx):
    yield from _template_results(facts, ctx, "email", ("emailsubject", "emailbody"), default_leaks=True)


@check(
    id="AST-NTF-103", title="Pager/SMS notifications do not name the caller", severity="high",
    hipaa=PRIVACY, area="notifications", platforms=PLATFORMS, sources=["voicemail.conf"],
    rationale="""Pager notifications go to SMS gateways and show in full on lock screens. The
    default pager body includes the caller ID.""",
    remediation={
        "asterisk": "In voicemail.conf [general] set pagersubject and pagerbody without caller variables, e.g. "
                    "pagerbody=New voicemail in box ${VM_MAILBOX}.",
        "freepbx": "Settings > Voicemail Admin > Settings > Email Config: Pager Subject and Pager Body.",
    },
)
def pager_no_caller(facts, ctx):
    yield from _template_results(facts, ctx, "pager", ("pagersubject", "pagerbody"), default_leaks=True)


@check(
    id="AST-NTF-104", title="The only copy of a message is not sent away by email", severity="high",
    hipaa=["164.312(e)(1)", "164.310(d)(2)(i)"] + PRIVACY, area="notifications", platforms=PLATFORMS,
    sources=["voicemail.conf"],
    rationale="""delete=yes with attach=yes removes the message from the PBX after mailing it:
    the only copy of the PHI now lives in an email system, beyond the PBX's retention, access
    control and audit log.""",
    remediation={
        "asterisk": "Remove delete=yes (and deletevoicemail) from mailbox options, and set attach=no.",
        "freepbx": "Applications > Extensions > (extension) > Voicemail: Delete Voicemail = No.",
    },
)
def no_delete_after_email(facts, ctx):
    boxes = _with(facts, "email")
    if not boxes:
        yield ctx.not_applicable("voicemail.conf", "no mailbox sends email")
        return
    for mb in boxes:
        delete = yes(mailbox_option(facts, mb, "delete")[0]) or yes(mailbox_option(facts, mb, "deletevoicemail")[0])
        attach = yes(mailbox_option(facts, mb, "attach")[0])
        res = f"mailbox {mb.name}"
        if delete and attach:
            yield ctx.fail(res, "delete=yes with attach=yes: the message leaves only as an email attachment", mb.source,
                           fix=[f"; options of mailbox {mb.name}", "delete=no", "attach=no"])
        else:
            yield ctx.passed(res, "messages stay on the PBX", mb.source)
