"""What app_voicemail and app_minivm notifications carry off the PBX, as records.

Settings that apply to mailboxes not created yet are judged where they are written:
voicemail.conf ``[general]`` (app_voicemail copies it into every mailbox, including the ones
FreePBX creates later) and app_minivm's templates (``[template-*]`` and the built-in
``email-default``/``pager-default`` made from minivm.conf ``[general]``). A mailbox is judged
on what it sets itself.
"""
from __future__ import annotations

import re
from typing import Iterator, Optional

from voxaudit.control import Binding
from voxaudit.facts.asterisk import AsteriskFacts
from voxaudit.facts.common import ConfigObject
from voxaudit.model import SourceRef
from voxaudit.platforms.asterisk.common import mailboxes, module_state, vm_general, yes
from voxaudit.platforms.common import derived
from voxaudit.records.notifications import AudioAttachment, MessageAfterEmail, NotificationText
from voxaudit.remediation import Change, note, set_

SOURCES = ("voicemail.conf", "minivm.conf")
GENERAL = "voicemail.conf [general]"
MAILBOX = "voicemail.conf mailbox "
MINIVM_GENERAL = "minivm.conf [general]"
# app_voicemail's VM_CALLERID/VM_CIDNAME/VM_CIDNUM (ORIG_ for forwarded messages) and app_minivm's
# MVM_CALLERID/MVM_CIDNAME/MVM_CIDNUM; a substring suffix (${VM_CIDNUM:0:3}) still names the caller.
CALLER_VARS_RE = re.compile(r"\$\{(?:ORIG_)?M?VM_(?:CALLERID|CIDNAME|CIDNUM)[}:]", re.IGNORECASE)


def _app_voicemail_boxes(facts: AsteriskFacts, field: Optional[str] = None) -> list[ConfigObject]:
    """app_voicemail's mailboxes (those with ``field`` set, if given); the same list for every view."""
    def build() -> list[ConfigObject]:
        boxes = [mb for mb in mailboxes(facts) if mb.get("app") != "minivm"]
        return [mb for mb in boxes if (mb.get(field) or "").strip()] if field else boxes
    return derived(facts, f"app_voicemail_boxes:{field or ''}", build)


def _minivm_accounts(facts: AsteriskFacts) -> list[ConfigObject]:
    return derived(facts, "minivm_accounts", lambda: [mb for mb in mailboxes(facts) if mb.get("app") == "minivm"])


def _template_label(t: ConfigObject) -> str:
    if t.get("default_of"):
        return f"minivm.conf {t.name} template ([general])"
    return f"minivm.conf [template-{t.name}]"


def _template_section(t: ConfigObject) -> str:
    return MINIVM_GENERAL if t.get("default_of") else f"minivm.conf [template-{t.name}]"


def _vm_attach(facts: AsteriskFacts, mb: Optional[ConfigObject] = None) -> tuple[str, str]:
    """app_voicemail's attach for a mailbox (its own option, else [general]) or for [general]; unset in
    [general] means yes (app_voicemail load_config: ``attach`` defaults to "yes")."""
    own = mb.get("attach") if mb is not None else None
    if own is not None:
        return own, f"mailbox option attach={own}"
    general = vm_general(facts)
    value = general.get("attach") if general is not None else None
    if value is not None:
        return value, f"[general] attach={value}"
    return "yes", "attach unset: app_voicemail's default is yes"


def _caller_vars(text: str) -> list[str]:
    return sorted({m.group(0).rstrip(":}") + "}" for m in CALLER_VARS_RE.finditer(text)})


# --- audio attachments ----------------------------------------------------------------------------

def audio_attachments(facts: AsteriskFacts) -> Iterator[AudioAttachment]:
    if facts.has_config("voicemail.conf"):
        general = vm_general(facts)
        value, where = _vm_attach(facts)
        yield AudioAttachment(subject=GENERAL, source=general.location("attach") if general is not None else None,
                              section=GENERAL, attached=yes(value), channel="every mailbox's email", setting=where,
                              inherited=True)
    for mb in _app_voicemail_boxes(facts, "email"):
        own = mb.get("attach")
        if own is None:
            continue  # judged with [general]
        yield AudioAttachment(subject=f"mailbox {mb.name}", source=mb.location("attach"), section=MAILBOX + mb.name,
                              attached=yes(own), channel="email", setting=f"mailbox option attach={own}")
    for t in facts.of_kind("minivm.template"):
        attached = yes(t.get("attach"))
        if not attached:
            setting = "app_minivm's built-in pager template attaches nothing" if t.get("default_of") \
                else "attachmedia=no"
        elif t.name == "email-default" and t.get("default_of"):
            setting = "app_minivm's built-in email template always attaches the recording"
        else:
            setting = "attachmedia is yes (app_minivm's default when unset)"
        yield AudioAttachment(subject=_template_label(t), source=t.location("attach"), section=_template_section(t),
                              attached=attached, channel="notifications", setting=setting)


def attach_fix(att: AudioAttachment) -> list[str]:
    if att.section == GENERAL:
        return ["[general]", "attach=no"]
    if att.section.startswith(MAILBOX):
        return [f"; options of mailbox {att.section[len(MAILBOX):]}", "attach=no"]
    if att.section == MINIVM_GENERAL:
        return ["; give every minivm.conf account an etemplate whose attachmedia=no"]
    return [att.section.removeprefix("minivm.conf "), "attachmedia=no"]


def attach_change(att: AudioAttachment) -> list[Change]:
    """[general] is a setting; a mailbox's options share its line with the PIN, so they are a note."""
    if att.section == GENERAL:
        return [set_("voicemail.conf", "general", "attach", "no", "voicemail.general")]
    if att.section.startswith(MAILBOX):
        return [note("voicemail.conf", "", f"remove attach=yes from the options of mailbox "
                                           f"{att.section[len(MAILBOX):]} here")]
    return [note("minivm.conf", "", f"{att.section}: set attachmedia=no (and give every account an etemplate)")]


# --- caller identity in notification text ---------------------------------------------------------

def _judge_text(owner: ConfigObject, keys: tuple[str, str], default_leaks: dict[str, str]
                ) -> tuple[list[str], SourceRef]:
    """Leaks of one owner (a [general], a mailbox): (messages, where the first one is written)."""
    leaks: list[str] = []
    where: Optional[SourceRef] = None
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


def _vm_texts(facts: AsteriskFacts, kind: str) -> Iterator[NotificationText]:
    """app_voicemail: [general] is always judged (defaults included); mailboxes on what they set."""
    fields = (f"{kind}subject", f"{kind}body")
    body_key = fields[1]
    default = f"Asterisk's default {kind} body names the caller"
    if facts.has_config("voicemail.conf"):
        general = vm_general(facts)
        loc: Optional[SourceRef] = None
        if general is not None:
            leaks, loc = _judge_text(general, fields, {body_key: default})
        else:
            leaks = [f"{body_key} unset (no [general] section): {default}"]
        yield NotificationText(subject=f"{GENERAL} {kind} template", source=loc, section=GENERAL, channel=kind,
                               leaks=tuple(leaks))
    if kind == "email":  # app_voicemail has per-mailbox emailsubject/emailbody, no per-mailbox pager text
        for mb in _app_voicemail_boxes(facts, "email"):
            if mb.get(fields[0]) is None and mb.get(body_key) is None:
                continue
            leaks, loc = _judge_text(mb, fields, {})
            yield NotificationText(subject=f"mailbox {mb.name} {kind} template", source=loc,
                                   section=MAILBOX + mb.name, channel=kind, leaks=tuple(leaks))


def _minivm_texts(facts: AsteriskFacts, pager: bool) -> Iterator[NotificationText]:
    """app_minivm templates used for email (pager=False) or pager messages (pager=True)."""
    accounts = _minivm_accounts(facts)
    ptemplates = {(mb.get("ptemplate") or "").lower() for mb in accounts} - {""}
    etemplates = {(mb.get("etemplate") or "").lower() for mb in accounts} - {""}
    for t in facts.of_kind("minivm.template"):
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
        if not leaks and source == "templatefile":
            continue  # the body was not read: a gap of minivm.conf says so (never PASS on what was not read)
        yield NotificationText(subject=_template_label(t), source=t.location("body_source"),
                               section=_template_section(t), channel="pager" if pager else "email",
                               leaks=tuple(leaks))


def email_texts(facts: AsteriskFacts) -> Iterator[NotificationText]:
    yield from _vm_texts(facts, "email")
    yield from _minivm_texts(facts, pager=False)


def pager_texts(facts: AsteriskFacts) -> Iterator[NotificationText]:
    yield from _vm_texts(facts, "pager")
    yield from _minivm_texts(facts, pager=True)


def text_fix(text: NotificationText) -> list[str]:
    kind = text.channel
    if text.section == MINIVM_GENERAL:
        return ["[general]", f"{kind}subject=New voicemail", f"{kind}body=You have a new voicemail."]
    if text.section.startswith("minivm.conf "):
        return [text.section.removeprefix("minivm.conf "), "subject=New voicemail",
                "messagebody=You have a new voicemail."]
    prefix = "[general]" if text.section == GENERAL else f"; options of mailbox {text.section[len(MAILBOX):]}"
    return [prefix, f"{kind}subject=New voicemail in mailbox ${{VM_MAILBOX}}",
            f"{kind}body=You have a new voicemail. Call the voicemail system to listen.\\n"]


def text_change(text: NotificationText) -> list[Change]:
    if text.section == GENERAL:
        return [set_("voicemail.conf", "general", key, value, "voicemail.general")
                for key, _, value in (line.partition("=") for line in text_fix(text)[1:])]
    return [note(text.section.split(" ", 1)[0], "", f"{text.subject}: rewrite the {text.channel} subject and body "
                                                    "without the caller's number or name")]


# --- the only copy sent away ----------------------------------------------------------------------

def messages_after_email(facts: AsteriskFacts) -> Iterator[MessageAfterEmail]:
    for mb in _app_voicemail_boxes(facts, "email"):
        # delete/deletevoicemail is a mailbox option only (app_voicemail apply_option); attach falls back to
        # [general], whose default is yes.
        attach, where = _vm_attach(facts, mb)
        yield MessageAfterEmail(subject=f"mailbox {mb.name}", source=mb.source, section=MAILBOX + mb.name,
                                deleted=yes(mb.get("delete")) or yes(mb.get("deletevoicemail")),
                                attached=yes(attach), deletion="delete=yes", attachment=where)


def delete_change(msg: MessageAfterEmail) -> list[Change]:
    return [note("voicemail.conf", "", f"remove delete=yes and set attach=no in the options of mailbox "
                                       f"{msg.section[len(MAILBOX):]} here")]


def delete_fix(msg: MessageAfterEmail) -> list[str]:
    return [f"; options of mailbox {msg.section[len(MAILBOX):]}", "delete=no", "attach=no"]


MINIVM_DIALPLAN_SOURCES = ("minivm.conf", "modules.conf", "extensions.conf", "extensions.ael", "extensions.lua")


def _minivm_notify_template(args: str) -> tuple[str, bool]:
    """(template, is_variable) of MinivmNotify(user@domain[,template]): the arguments are split after variable
    substitution, so a variable in the template, or in a lone first argument, may carry any template."""
    parts = args.split(",", 2)
    if len(parts) > 1 and parts[1].strip():
        return parts[1].strip(), "$" in parts[1]
    return "", "$" in parts[0]


def minivm_messages_after_email(facts: AsteriskFacts) -> Iterator[MessageAfterEmail]:
    """app_minivm keeps no mailbox to listen to: MinivmNotify() emails the recording (with the audio when its
    template attaches it, apps/app_minivm.c sendmail()) and MinivmDelete() removes the file. A dialplan
    context that deletes what it notified leaves the email as the only copy. The template is the one named
    in the call (a variable: every email template it may be; they must agree, else undecidable), else the
    account's etemplate or ``email-default``, which always attaches."""
    if not facts.has_config("minivm.conf") or not module_state(facts, "app_minivm", "minivm.conf").loaded:
        return
    templates = {t.name: t for t in facts.of_kind("minivm.template")}
    email_templates = [t for t in templates.values() if t.name != "pager-default"]
    deleting = {s.context for s in facts.dialplan if s.app.lower() == "minivmdelete"}
    seen: set[str] = set()
    for step in facts.dialplan:
        if step.app.lower() != "minivmnotify" or step.context in seen:
            continue
        seen.add(step.context)
        named, variable = _minivm_notify_template(step.args)
        undecidable = ""
        if variable:  # the template may come in a variable: any email template
            attaching = {yes(t.get("attach")) for t in email_templates}
            attached = attaching == {True}
            attachment = "every email template in minivm.conf attaches the audio" if attached else \
                "no email template attaches the audio"
            if len(attaching) > 1:
                undecidable = ("MinivmNotify's template is a variable, and minivm.conf's email templates differ on "
                               "attachmedia: whether the email carries the audio depends on the call")
        else:
            t = templates.get(named or "email-default") or templates.get("email-default")
            attached = t is not None and yes(t.get("attach"))
            attachment = f"template {t.name if t is not None else named} attaches the audio" if attached else \
                "the template attaches nothing"
        yield MessageAfterEmail(subject=f"dialplan {step.label}", source=step.source,
                                section=f"{step.source.file} [{step.context}]", deleted=step.context in deleting,
                                attached=attached, deletion=f"MinivmDelete() after MinivmNotify() in [{step.context}]",
                                attachment=attachment, undecidable=undecidable if step.context in deleting else "")


def minivm_delete_fix(msg: MessageAfterEmail) -> list[str]:
    return [f"; {msg.section}: do not call MinivmDelete() after MinivmNotify() (keep the recording on the PBX "
            "under its retention policy), or notify with a template whose attachmedia=no"]


def minivm_delete_change(msg: MessageAfterEmail) -> list[Change]:
    return [note(msg.section.split(" ", 1)[0], "", f"{msg.section}: remove MinivmDelete() after MinivmNotify(), "
                                                   "or give the template attachmedia=no")]


BINDINGS = (
    Binding("NTF-PHI-101", "asterisk", audio_attachments, SOURCES, "AST-NTF-101", {
        "asterisk": "In voicemail.conf [general] set attach=no and remove attach=yes from mailbox options; in "
                    "minivm.conf give every template attachmedia=no and every account an etemplate.",
        "freepbx": "Applications > Extensions > (extension) > Voicemail: Email Attachment = No; "
                   "Settings > Voicemail Admin > Settings: attach = no.",
    }, attach_fix, none="no voicemail configuration sends email", change=attach_change),
    Binding("NTF-PHI-102", "asterisk", email_texts, SOURCES, "AST-NTF-102", {
        "asterisk": "In voicemail.conf [general] set emailsubject and emailbody without ${VM_CALLERID}, "
                    "${VM_CIDNAME} or ${VM_CIDNUM}, e.g. emailbody=You have a new voicemail in mailbox ${VM_MAILBOX}; "
                    "in minivm.conf give every template a messagebody without ${MVM_CALLERID}, ${MVM_CIDNAME}, "
                    "${MVM_CIDNUM}.",
        "freepbx": "Settings > Voicemail Admin > Settings > Email Config: rewrite Email Subject and Email Body "
                   "without the caller ID variables.",
    }, text_fix, none="no voicemail configuration sends email", change=text_change),
    Binding("NTF-PHI-102", "asterisk", pager_texts, SOURCES, "AST-NTF-103", {
        "asterisk": "In voicemail.conf [general] set pagersubject and pagerbody without caller variables, e.g. "
                    "pagerbody=New voicemail in box ${VM_MAILBOX}; in minivm.conf set pagerbody and the ptemplate "
                    "templates likewise.",
        "freepbx": "Settings > Voicemail Admin > Settings > Email Config: Pager Subject and Pager Body.",
    }, text_fix, none="no voicemail configuration sends pager messages", change=text_change),
    Binding("NTF-PHI-103", "asterisk", messages_after_email, ("voicemail.conf",), "AST-NTF-104", {
        "asterisk": "Remove delete=yes (and deletevoicemail) from mailbox options, and set attach=no.",
        "freepbx": "Applications > Extensions > (extension) > Voicemail: Delete Voicemail = No.",
    }, delete_fix, none="no mailbox sends email", change=delete_change),
    Binding("NTF-PHI-103", "asterisk", minivm_messages_after_email, MINIVM_DIALPLAN_SOURCES, remediation={
        "asterisk": "Do not call MinivmDelete() after MinivmNotify() in the dialplan, or notify with a minivm.conf "
                    "template whose attachmedia=no, so the recording stays under the PBX's retention policy.",
    }, fix=minivm_delete_fix, none="app_minivm does not notify by email (not loaded, or no MinivmNotify)",
            change=minivm_delete_change),
)
