"""app_voicemail (voicemail.conf, users.conf) and app_minivm (minivm.conf) mailboxes as records.

app_voicemail keeps a mailbox's PIN in its ``box => PIN,Name,email`` line unless
``passwordlocation=spooldir`` moves it to the spool's secret.conf, which the audit does not read;
an app_minivm account's ``pincode`` is what the dialplan checks with MINIVMACCOUNT().
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.asterisk import AsteriskFacts
from voxaudit.platforms.asterisk.common import mailboxes, pins_elsewhere
from voxaudit.records.mailbox import MailboxPin
from voxaudit.records.secrets import SecretShape
from voxaudit.remediation import Change, note

PIN_SOURCES = ("voicemail.conf", "minivm.conf")
MINIVM_NO_PIN = ("MiniVM account without a pincode: app_minivm keeps no messages to listen to by phone "
                 "(it mails them), so no PIN guards them")
IN_SPOOL = ("passwordlocation=spooldir: the PIN is kept in the spool (secret.conf), which the audit does not "
            "read; not assessed")
VM_REMEDIATION = {
    "asterisk": "Set a new PIN in the mailbox line of voicemail.conf (box => PIN,Name,email) or have the user change "
                "it from VoiceMailMain (option 0, 5); enforce minpassword in [general].",
    "freepbx": "Applications > Extensions > (extension) > Voicemail: Voicemail Password; or Settings > Voicemail Admin.",
}


def mailbox_pins(facts: AsteriskFacts) -> Iterator[MailboxPin]:
    spool = pins_elsewhere(facts)
    for mb in mailboxes(facts):
        minivm = mb.get("app") == "minivm"
        info = mb.secrets.get("pin")
        undecidable = IN_SPOOL if spool and not minivm else ""
        if not undecidable and info is not None and info.placeholder:
            undecidable = "the PIN is a placeholder filled in at deployment; not assessed"
        section = f"minivm.conf [{mb.name}]" if minivm else f"voicemail.conf [{mb.get('context')}]"
        yield MailboxPin(subject=f"mailbox {mb.name}", source=mb.source, section=section, mailbox=mb.name,
                         pin=SecretShape.of(info) if not undecidable else SecretShape(present=info is not None and info.present),
                         undecidable=undecidable, optional=MINIVM_NO_PIN if minivm else "")


def pin_fix(box: MailboxPin) -> list[str]:
    return [f"; {box.section}", "pincode=<new PIN>" if box.optional else "box => <new PIN>,Name,email"]


def pin_change(box: MailboxPin) -> list[Change]:
    """A PIN is the owner's choice: a marked note at the mailbox line, never a value."""
    root = "minivm.conf" if box.optional else "voicemail.conf"
    return [note(root, "", f"set a new PIN for mailbox {box.mailbox} here")]


def _pin(control: str, alias: str) -> Binding[MailboxPin]:
    return Binding(control, "asterisk", mailbox_pins, PIN_SOURCES, alias, VM_REMEDIATION, pin_fix,
                   none="no mailboxes defined", change=pin_change)


BINDINGS = (
    _pin("MBX-PIN-101", "AST-VM-101"),
    _pin("MBX-PIN-102", "AST-VM-102"),
    _pin("MBX-PIN-103", "AST-VM-103"),
    _pin("MBX-PIN-104", "AST-VM-104"),
    _pin("MBX-PIN-105", "AST-VM-106"),
)
