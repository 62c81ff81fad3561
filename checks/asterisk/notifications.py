"""What voicemail notifications carry off the PBX: audio, caller identity, the only copy.

Email and SMS alerts land on phones whose lock screens show previews; the minimum
necessary is "you have a new message", not who called or what they said.

Settings that apply to mailboxes not created yet are judged where they are written:
voicemail.conf ``[general]`` (app_voicemail copies it into every mailbox, including the ones
FreePBX creates later) and app_minivm's templates (``[template-*]`` and the built-in
``email-default``/``pager-default`` made from minivm.conf ``[general]``). A mailbox is judged
on what it sets itself.
"""
from __future__ import annotations

import re

from auditor.check import check
from checks.asterisk._common import PLATFORMS, mailboxes, vm_general, yes

PRIVACY = ["164.530(c)", "164.514(d)"]
SOURCES = ["voicemail.conf", "minivm.conf"]
# app_voicemail's VM_CALLERID/VM_CIDNAME/VM_CIDNUM (ORIG_ for forwarded messages) and app_minivm's
# MVM_CALLERID/MVM_CIDNAME/MVM_CIDNUM; a substring suffix (${VM_CIDNUM:0:3}) still names the caller.
CALLER_VARS_RE = re.compile(r"\$\{(?:ORIG_)?M?VM_(?:CALLERID|CIDNAME|CIDNUM)[}:]", re.IGNORECASE)


def _app_voicemail_boxes(facts, field=None):
    boxes = [mb for mb in mailboxes(facts) if mb.get("app") != "minivm"]
    return [mb for mb in boxes if (mb.get(field) or "").strip()] if field else boxes


def _minivm_templates(facts):
    return facts.of_kind("minivm.template")


def _template_label(t) -> str:
    if t.get("default_of"):
        return f"minivm.conf {t.name} template ([general])"
    return f"minivm.conf [template-{t.name}]"


def _vm_attach(facts, mb=None):
    """app_voicemail's attach for a mailbox (its own option, else [general]) or for [general]; unset in
    [general] means yes (app_voicemail load_config: ``attach`` defaults to "yes")."""
    if mb is not None and mb.get("attach") is not None:
        return mb.get("attach"), f"mailbox option attach={mb.get('attach')}"
    general = vm_general(facts)
    value = general.get("attach") if general is not None else None
    if value is not None:
        return value, f"[general] attach={value}"
    return "yes", "attach unset: app_voicemail's default is yes"


def _caller_vars(text: str) -> list[str]:
    return sorted({m.group(0).rstrip(":}") + "}" for m in CALLER_VARS_RE.finditer(text)})


@check(
    id="AST-NTF-101", title="Voicemail audio is not attached to notification emails", severity="high",
    hipaa=["164.312(e)(1)"] + PRIVACY, area="notifications", platforms=PLATFORMS, sources=SOURCES,
    rationale="""attach=yes mails the recording itself (the patient's voice and words) through
    mail servers outside the clinic's control, usually unencrypted, and onto every device that
    syncs the mailbox. app_voicemail attaches by default when [general] does not say attach=no,
    and every mailbox created later inherits [general]; app_minivm templates attach unless
    attachmedia=no, and its built-in email template always does.""",
    remediation={
        "asterisk": "In voicemail.conf [general] set attach=no and remove attach=yes from mailbox options; in "
                    "minivm.conf give every template attachmedia=no and every account an etemplate.",
        "freepbx": "Applications > Extensions > (extension) > Voicemail: Email Attachment = No; "
                   "Settings > Voicemail Admin > Settings: attach = no.",
    },
)
def no_audio_attachments(facts, ctx):
    judged = False
    if facts.has_config("voicemail.conf"):
        judged = True
        general = vm_general(facts)
        value, where = _vm_attach(facts)
        loc = general.location("attach") if general is not None else None
        if yes(value):
            yield ctx.fail("voicemail.conf [general]", f"audio attached to every mailbox's email ({where}), "
                           "including mailboxes created later", loc, fix=["[general]", "attach=no"])
        else:
            yield ctx.passed("voicemail.conf [general]", where, loc)
    for mb in _app_voicemail_boxes(facts, "email"):
        if mb.get("attach") is None:
            continue  # judged with [general]
        judged = True
        res = f"mailbox {mb.name}"
        if yes(mb.get("attach")):
            yield ctx.fail(res, "audio attached to email (mailbox option attach=yes)", mb.location("attach"),
                           fix=[f"; options of mailbox {mb.name}", "attach=no"])
        else:
            yield ctx.passed(res, f"attach={mb.get('attach')}", mb.location("attach"))
    for t in _minivm_templates(facts):
        judged = True
        res = _template_label(t)
        loc = t.location("attach")
        if yes(t.get("attach")):
            why = ("app_minivm's built-in email template always attaches the recording" if t.name == "email-default"
                   and t.get("default_of") else "attachmedia is yes (app_minivm's default when unset)")
            fix = ["; give every minivm.conf account an etemplate whose attachmedia=no"] if t.get("default_of") \
                else [f"[template-{t.name}]", "attachmedia=no"]
            yield ctx.fail(res, f"audio attached to notifications: {why}", loc, fix=fix)
        else:
            yield ctx.passed(res, "no audio attached", loc)
    if not judged:
        yield ctx.not_applicable("voicemail.conf", "no voicemail configuration sends email")


def _judge_text(owner, keys, default_leaks):
    """Leaks of one owner (a [general], a mailbox): (messages, where the first one is written)."""
    leaks = []
    where = None
    for key in keys:
        text = owner.get(key)
        if text is None:
            if default_leaks.get(key):
                leaks.append(f"{key} unset: {default_leaks[key]}")
        else:
            found = _caller_vars(text)
            if found:
                leaks.append(f"{key} includes {', '.join(found)}")
                where = where or owner.location(key)
    return leaks, where or owner.location(keys[-1])


def _vm_template_results(facts, ctx, kind: str, fields: tuple[str, str]):
    """app_voicemail: [general] is always judged (defaults included); mailboxes on what they set."""
    subject_key, body_key = fields
    default = f"Asterisk's default {kind} body names the caller"
    if facts.has_config("voicemail.conf"):
        general = vm_general(facts)
        label = f"voicemail.conf [general] {kind} template"
        leaks, loc = _judge_text(general, fields, {body_key: default}) if general is not None else \
            ([f"{body_key} unset (no [general] section): {default}"], None)
        yield _verdict(ctx, label, leaks, loc, ["[general]"], subject_key, body_key, kind)
    if kind == "email":  # app_voicemail has per-mailbox emailsubject/emailbody, no per-mailbox pager text
        for mb in _app_voicemail_boxes(facts, "email"):
            if mb.get(subject_key) is None and mb.get(body_key) is None:
                continue
            leaks, loc = _judge_text(mb, fields, {})
            yield _verdict(ctx, f"mailbox {mb.name} {kind} template", leaks, loc,
                           [f"; options of mailbox {mb.name}"], subject_key, body_key, kind)


def _verdict(ctx, label, leaks, loc, fix_prefix, subject_key, body_key, kind):
    if leaks:
        return ctx.fail(label, "; ".join(leaks), loc, fix=fix_prefix + [
            f"{subject_key}=New voicemail in mailbox ${{VM_MAILBOX}}",
            f"{body_key}=You have a new voicemail. Call the voicemail system to listen.\\n"])
    return ctx.passed(label, f"{kind} templates carry no caller identity", loc)


def _minivm_results(facts, ctx, pager: bool):
    """app_minivm templates used for email (pager=False) or pager messages (pager=True)."""
    accounts = [mb for mb in mailboxes(facts) if mb.get("app") == "minivm"]
    ptemplates = {(mb.get("ptemplate") or "").lower() for mb in accounts} - {""}
    etemplates = {(mb.get("etemplate") or "").lower() for mb in accounts} - {""}
    for t in _minivm_templates(facts):
        name = t.name.lower()
        if t.get("default_of"):
            used = (name == "pager-default") == pager
        elif pager:
            used = name in ptemplates
        else:  # any template may be named by MinivmNotify(account,template) or etemplate=
            used = name in etemplates or name not in ptemplates
        if not used:
            continue
        leaks = []
        subject = t.get("subject") or ""
        if _caller_vars(subject):
            leaks.append(f"subject includes {', '.join(_caller_vars(subject))}")
        source = t.get("body_source")
        if source == "default":
            leaks.append("no message body: app_minivm's built-in text names the caller")
        elif source == "messagebody" and _caller_vars(t.get("body") or ""):
            leaks.append(f"body includes {', '.join(_caller_vars(t.get('body') or ''))}")
        label = _template_label(t)
        loc = t.location("body_source")
        if leaks:
            fix = ["[general]", "pagersubject=New voicemail" if pager else "emailsubject=New voicemail",
                   ("pagerbody=" if pager else "emailbody=") + "You have a new voicemail."] if t.get("default_of") \
                else [f"[template-{t.name}]", "subject=New voicemail", "messagebody=You have a new voicemail."]
            yield ctx.fail(label, "; ".join(leaks), loc, fix=fix)
        elif source == "templatefile":
            continue  # the body was not read: a gap of minivm.conf says so (never PASS on what was not read)
        else:
            yield ctx.passed(label, "template carries no caller identity", loc)


@check(
    id="AST-NTF-102", title="Email notifications do not name the caller", severity="high",
    hipaa=PRIVACY, area="notifications", platforms=PLATFORMS, sources=SOURCES,
    rationale="""A subject like 'New message from JANE DOE <555-0100>' shows on a locked phone
    and in every mail client preview: the fact that a patient called is PHI. The default
    Asterisk body includes the caller ID, so an unset emailbody leaks too, for every mailbox
    created later as well as today's.""",
    remediation={
        "asterisk": "In voicemail.conf [general] set emailsubject and emailbody without ${VM_CALLERID}, "
                    "${VM_CIDNAME} or ${VM_CIDNUM}, e.g. emailbody=You have a new voicemail in mailbox ${VM_MAILBOX}; "
                    "in minivm.conf give every template a messagebody without ${MVM_CALLERID}, ${MVM_CIDNAME}, "
                    "${MVM_CIDNUM}.",
        "freepbx": "Settings > Voicemail Admin > Settings > Email Config: rewrite Email Subject and Email Body "
                   "without the caller ID variables.",
    },
)
def email_no_caller(facts, ctx):
    results = list(_vm_template_results(facts, ctx, "email", ("emailsubject", "emailbody")))
    results += list(_minivm_results(facts, ctx, pager=False))
    yield from results or [ctx.not_applicable("voicemail.conf", "no voicemail configuration sends email")]


@check(
    id="AST-NTF-103", title="Pager/SMS notifications do not name the caller", severity="high",
    hipaa=PRIVACY, area="notifications", platforms=PLATFORMS, sources=SOURCES,
    rationale="""Pager notifications go to SMS gateways and show in full on lock screens. The
    default pager body includes the caller ID, for any mailbox given a pager address now or later.""",
    remediation={
        "asterisk": "In voicemail.conf [general] set pagersubject and pagerbody without caller variables, e.g. "
                    "pagerbody=New voicemail in box ${VM_MAILBOX}; in minivm.conf set pagerbody and the ptemplate "
                    "templates likewise.",
        "freepbx": "Settings > Voicemail Admin > Settings > Email Config: Pager Subject and Pager Body.",
    },
)
def pager_no_caller(facts, ctx):
    results = list(_vm_template_results(facts, ctx, "pager", ("pagersubject", "pagerbody")))
    results += list(_minivm_results(facts, ctx, pager=True))
    yield from results or [ctx.not_applicable("voicemail.conf", "no voicemail configuration sends pager messages")]


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
    boxes = _app_voicemail_boxes(facts, "email")
    if not boxes:
        yield ctx.not_applicable("voicemail.conf", "no mailbox sends email")
        return
    for mb in boxes:
        # delete/deletevoicemail is a mailbox option only (app_voicemail apply_option); attach falls back to
        # [general], whose default is yes.
        delete = yes(mb.get("delete")) or yes(mb.get("deletevoicemail"))
        attach, where = _vm_attach(facts, mb)
        res = f"mailbox {mb.name}"
        if delete and yes(attach):
            yield ctx.fail(res, f"delete=yes with audio attached ({where}): the message leaves only as an email "
                           "attachment", mb.source, fix=[f"; options of mailbox {mb.name}", "delete=no", "attach=no"])
        else:
            yield ctx.passed(res, "messages stay on the PBX", mb.source)
