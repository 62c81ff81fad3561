"""mod_voicemail mailboxes: each directory user's vm-password (directory/<domain>/<user>.xml)."""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.freeswitch import FreeSwitchFacts
from voxaudit.platforms.freeswitch.common import runtime_reason
from voxaudit.records.mailbox import MailboxPin
from voxaudit.records.secrets import SecretShape

REMEDIATION = {
    "freeswitch": "Set a unique vm-password of 6+ digits in each user's <params> (directory/<domain>/<user>.xml), "
                  "not the extension number.",
    "fusionpbx": "Apps > Voicemail > (mailbox): Voicemail Password.",
}


def mailbox_pins(facts: FreeSwitchFacts) -> Iterator[MailboxPin]:
    for u in facts.of_kind("directory.user"):
        info = u.secrets.get("vm-password")
        hidden = runtime_reason(u, "vm-password")
        undecidable = hidden[0] if hidden else ""
        if not undecidable and info is not None and info.placeholder:
            undecidable = "vm-password is a placeholder filled in at deployment; not assessed"
        yield MailboxPin(subject=f"user {u.name}", source=(info.source if info and info.source else u.source),
                         section=f"directory user {u.name}", mailbox=u.name,
                         pin=SecretShape.of(info), undecidable=undecidable)


def pin_fix(box: MailboxPin) -> list[str]:
    return ['<param name="vm-password" value="<unique, 6+ digits>"/>']


def _pin(control: str, alias: str) -> Binding[MailboxPin]:
    return Binding(control, "freeswitch", mailbox_pins, ("directory",), alias, REMEDIATION, pin_fix,
                   none="no directory users")


BINDINGS = (
    _pin("MBX-PIN-101", "FS-VM-101"),
    _pin("MBX-PIN-102", "FS-VM-101"),
    _pin("MBX-PIN-103", "FS-VM-101"),
    _pin("MBX-PIN-104", "FS-VM-101"),
    _pin("MBX-PIN-105", "FS-VM-102"),
)
