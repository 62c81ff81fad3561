"""minivm.conf (app_minivm) and voicemail.conf [general], turned into the facts the voicemail checks read.

app_minivm (apps/app_minivm.c ``load_config``) reads minivm.conf section by section:

* ``[general]``: global options (``mailcmd`` and others, matched case-sensitively), and the defaults of
  the two built-in templates: ``email-default`` (``emailsubject``, ``emailbody``...; it **always**
  attaches the recording: ``template->attachment = TRUE`` after reading them) and ``pager-default``
  (``pagersubject``, ``pagerbody``; never attaches).
* ``[template-NAME]``: a message template (``subject``, ``messagebody`` or ``templatefile``,
  ``attachmedia`` which defaults to yes, ...). A template without a body uses sendmail()'s built-in
  text, which names the caller ("from <caller name or number>"); the default subject does not.
* ``[zonemessages]``: time zones.
* any other section ``[user@domain]``: a mailbox account (``pincode``, ``email`` -- the address
  defaults to ``user@domain`` --, ``pager``, ``fullname``, ``etemplate``, ``ptemplate``...). A section
  without ``@domain`` is not configured.

Accounts become ``voicemail.mailbox`` objects (setting ``app=minivm``; the PIN as a SecretInfo, never its
value) so the PIN and notification checks judge them beside app_voicemail's; templates become
``minivm.template`` objects with the resolved ``subject``, ``body`` (or ``body_source`` saying it is
the built-in text or a file) and ``attach``. ``mailcmd`` (here and in voicemail.conf) keeps only the
program: its arguments may carry an SMTP password.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from voxaudit.facts.common import ConfigObject, ParseProblem, Setting
from voxaudit.model import SourceRef
from voxaudit.parsers.asterisk_conf import Entry, ParsedConfig, Section
from voxaudit.secretinfo import describe_secret

if TYPE_CHECKING:
    from voxaudit.facts.asterisk import BuildContext

MINIVM_ROOT = "minivm.conf"
DEFAULT_TEMPLATE_SUBJECT = "New message in mailbox ${MVM_USERNAME}@${MVM_DOMAIN}"
PINCODE_CHARS = 9  # struct minivm_account: char pincode[10]

_AST_TRUE = {"yes", "true", "y", "t", "1", "on"}
TEMPLATE_OPTIONS = frozenset({"fromaddress", "fromemail", "subject", "locale", "attachmedia", "dateformat",
                              "charset", "templatefile", "messagebody"})
ACCOUNT_OPTIONS = frozenset({"serveremail", "email", "accountcode", "pincode", "domain", "language", "timezone",
                             "externnotify", "etemplate", "ptemplate", "fullname", "setvar", "pager", "volgain"})
MAX_NOTES_PER_FILE = 50


def program_only(command: str) -> str:
    """The program of a mail command (``/usr/sbin/sendmail -t`` -> ``/usr/sbin/sendmail``): its arguments
    may hold a password (``-xp secret``, ``--passwordeval=...``), so they are never kept."""
    words = command.split()
    if not words:
        return ""
    return words[0] + (" <arguments not kept>" if len(words) > 1 else "")


def sanitize_mailcmd(obj: ConfigObject) -> None:
    """Keep only the program of every ``mailcmd`` setting of ``obj`` (new settings: one read from a
    template is shared by every object that inherits it, and is never changed in place)."""
    if "mailcmd" in obj.settings:
        obj.settings["mailcmd"] = [Setting(value=program_only(s.value), file=s.file, line=s.line)
                                   for s in obj.settings["mailcmd"]]


def _entry_setting(e: Entry, value: str | None = None) -> dict:
    return {"value": e.value if value is None else value, "file": e.file, "line": e.line}


class _Notes:
    def __init__(self, b: BuildContext) -> None:
        self.b = b
        self.count: dict[str, int] = {}

    def note(self, file: str, line: int, message: str) -> None:
        n = self.count.get(file, 0) + 1
        self.count[file] = n
        if n <= MAX_NOTES_PER_FILE:
            self.b.problems.append(ParseProblem(file=file, line=line, message=message, fatal=False, note=True))

    def gap(self, file: str, line: int, message: str) -> None:
        self.b.problems.append(ParseProblem(file=file, line=line, message=message, fatal=False))


def _template(section: Section, name: str, notes: _Notes) -> ConfigObject:
    """message_template_build(): the options as written (last one wins), resolved into subject, body
    and attach."""
    settings: dict[str, list[dict]] = {}
    subject: Entry | None = None
    body: Entry | None = None
    attach: Entry | None = None
    for e in section.entries:
        key = e.key
        if key not in TEMPLATE_OPTIONS:
            notes.note(e.file, e.line, f"[{section.name}] unknown template option: app_minivm logs an error and "
                       "ignores it")
            continue
        if key == "subject":
            subject = e
        elif key in ("messagebody", "templatefile"):
            body = e
        elif key == "attachmedia":
            attach = e
        settings.setdefault(key, []).append(_entry_setting(e))
    _resolve(settings, section, subject, body, attach, attach_default=True)
    if body is not None and body.key == "templatefile":
        notes.gap(body.file, body.line, f"[{section.name}] the message body comes from a templatefile, which is "
                  "not read: caller details in it are not audited")
    return ConfigObject.of({"kind": "minivm.template", "name": name, "settings": settings,
                                        "source": {"file": section.file, "line": section.line}})


def _resolve(settings: dict[str, list[dict]], section: Section, subject: Entry | None, body: Entry | None,
             attach: Entry | None, attach_default: bool, attach_forced: bool | None = None) -> None:
    head = {"file": section.file, "line": section.line}
    if subject is not None:
        settings["subject"] = [_entry_setting(subject)]
    else:
        settings["subject"] = [{"value": DEFAULT_TEMPLATE_SUBJECT, **head}]
    if body is None:
        settings["body_source"] = [{"value": "default", **head}]
    elif body.key == "templatefile":
        settings["body_source"] = [_entry_setting(body, "templatefile")]
    else:
        settings["body_source"] = [_entry_setting(body, "messagebody")]
        settings["body"] = [_entry_setting(body)]
    if attach_forced is not None:
        settings["attach"] = [{"value": "yes" if attach_forced else "no", **head}]
    elif attach is not None:
        settings["attach"] = [_entry_setting(attach, "yes" if attach.value.lower() in _AST_TRUE else "no")]
    else:
        settings["attach"] = [{"value": "yes" if attach_default else "no", **head}]


def _default_template(general: Section | None, pc: ParsedConfig, name: str, prefix: str) -> ConfigObject:
    """email-default / pager-default, built after the sections from [general]'s options."""
    section = general if general is not None else Section(name="general", file=pc.root, line=0)
    subject = section.entry(f"{prefix}subject")
    body = section.entry(f"{prefix}body")
    settings: dict[str, list[dict]] = {"default_of": [{"value": "[general]", "file": section.file,
                                                       "line": section.line}]}
    _resolve(settings, section, subject, body, None, attach_default=False, attach_forced=prefix == "email")
    return ConfigObject.of({"kind": "minivm.template", "name": name, "settings": settings,
                                        "source": {"file": section.file, "line": section.line}})


def _account(section: Section, b: BuildContext, notes: _Notes) -> ConfigObject | None:
    """create_vmaccount(): ``user@domain`` sections; the PIN is described, never kept."""
    user, at, domain = section.name.partition("@")
    if not at or not domain:
        notes.note(section.file, section.line, f"[{section.name}] no @domain: app_minivm does not configure this "
                   "account")
        return None
    settings: dict[str, list[dict]] = {}
    head = {"file": section.file, "line": section.line}

    def put(key: str, value: str, where: dict) -> None:
        settings[key] = [{"value": value, **where}]

    put("app", "minivm", head)
    put("mailbox", user, head)
    put("context", domain, head)
    pin: Entry | None = None
    email: Entry | None = None
    for e in section.entries:
        key = e.key
        where = {"file": e.file, "line": e.line}
        if key not in ACCOUNT_OPTIONS:
            notes.note(e.file, e.line, f"[{section.name}] unknown account option: app_minivm logs an error and "
                       "ignores it")
        elif key == "pincode":
            pin = e
        elif key == "setvar":  # channel variables for the templates: the names only
            name = e.value.partition("=")[0]
            settings.setdefault("setvar", []).append({"value": f"{name}=<value not kept>", **where})
        elif key == "domain":
            put("context", e.value, where)
        elif key == "email":
            email = e
        else:
            put(key, e.value, where)
    if email is not None and email.value:
        put("email", email.value, {"file": email.file, "line": email.line})
    else:  # sendmail(): no email= sends to the account name itself
        put("email", f"{user}@{settings['context'][0]['value']}", head)
    value = pin.value[:PINCODE_CHARS] if pin is not None else ""
    src = SourceRef(file=pin.file, line=pin.line) if pin is not None else SourceRef(**head)
    info = describe_secret(value, user, src)
    b.pin_tracker.add(value, info)
    return ConfigObject.of({"kind": "voicemail.mailbox", "name": section.name, "settings": settings,
                                        "secrets": {"pin": info}, "source": head})


def build_minivm(pc: ParsedConfig, b: BuildContext) -> None:
    """minivm.conf as app_minivm's load_config() reads it."""
    # auditor.facts.asterisk imports this module: import its helper when building, not at import time.
    from voxaudit.facts.asterisk import _object

    notes = _Notes(b)
    general = pc.section("general")
    for section in pc.instances():
        lname = section.name.lower()
        if lname == "general":
            obj, _ = _object("minivm.general", section)
            sanitize_mailcmd(obj)
            b.objects.append(obj)
        elif lname.startswith("template-"):
            b.objects.append(_template(section, section.name[9:], notes))
        elif lname == "zonemessages":
            continue
        else:
            account = _account(section, b, notes)
            if account is not None:
                b.objects.append(account)
    b.objects.append(_default_template(general, pc, "email-default", "email"))
    b.objects.append(_default_template(general, pc, "pager-default", "pager"))
