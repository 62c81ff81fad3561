"""Desk phones' admin (web UI) password as provisioned, one record per provisioning file, and each SIP line's
password where the files set one (a line secret in a provisioning file is as readable as the admin one).

Each vendor names the option its own way (Yealink static.security.user_password, Polycom
device.auth.localAdminPassword, Grandstream P2, Cisco SPA Admin_Passwd); the phone facts carry that
name. A phone whose files do not set it keeps its factory default (admin/admin, 456, empty); one whose own
file leaves it to a file the phone may or may not load (a Yealink common file of an unnamed model) is
undecidable, never judged on the default. The same admin password written into several phones' own files is one
secret reused (shared: FAIL); one common file that many phones load sets it once (judged on its strength).
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.phones import PhoneFacts
from voxaudit.records.authentication import AccountSecret
from voxaudit.records.secrets import SecretShape
from voxaudit.remediation.change import Change, note

NOT_PROVISIONED = "admin password (not provisioned: factory default stays)"
REMEDIATION = {
    "yealink": "static.security.user_password = admin:<random 16+ characters>.",
    "polycom": "device.auth.localAdminPassword=\"<random>\" with device.auth.localAdminPassword.set=\"1\".",
    "grandstream": "P2 = <random 16+ characters>.",
    "cisco-spa": "<Admin_Passwd>random 16+ characters</Admin_Passwd>.",
}


def admin_passwords(facts: PhoneFacts) -> Iterator[AccountSecret]:
    for d in facts.of_kind("phone.device"):
        info = d.secrets.get("admin_password")
        option = d.get("admin_password.option") or NOT_PROVISIONED
        undecidable = (f"{option} is a placeholder filled in at deployment; its strength cannot be judged from the "
                       "configuration") if info is not None and info.placeholder else ""
        undecidable = d.get("admin_password.unknown") or undecidable  # a file the phone may load sets it
        yield AccountSecret(subject=f"phone {d.name}", source=(info.source or d.source) if info else d.source,
                            section=d.name, account="admin", setting=option, option=option,
                            secret=SecretShape.of(info), undecidable=undecidable)


def line_passwords(facts: PhoneFacts) -> Iterator[AccountSecret]:
    """Each enabled SIP line's password as the phone's files set it (Yealink account.N.password, Poly
    reg.N.auth.password, Grandstream P34, Cisco SPA Password_N_): the line's registration secret, whoever reads
    the file (or the phone's web UI) can take it. A line whose files set none is not judged here."""
    for a in facts.of_kind("phone.account"):
        info = a.secrets.get("sip_password")
        unknown = a.get("sip_password.unknown") or ""
        if info is None and not unknown:
            continue
        option = a.get("sip_password.option") or "SIP password"
        undecidable = unknown or (f"{option} is a placeholder filled in at deployment; its strength cannot be "
                                  "judged from the configuration" if info is not None and info.placeholder else "")
        yield AccountSecret(subject=a.name, source=(info.source or a.source) if info else a.source,
                            section=a.name, account="SIP line", setting=option, option=option,
                            secret=SecretShape.of(info), undecidable=undecidable)


def phone_secrets(facts: PhoneFacts) -> Iterator[AccountSecret]:
    """The admin password of each phone, then the SIP password of each of its lines."""
    yield from admin_passwords(facts)
    yield from line_passwords(facts)


def admin_fix(cred: AccountSecret) -> list[str]:
    return [f"{cred.option} -> random, 16+ characters"]


def admin_change(cred: AccountSecret) -> list[Change]:
    """A new password is a person's choice: a marked note, never a value."""
    if cred.account != "admin":
        return [note(cred.section, cred.section, f"give the SIP line a random password of 16+ characters ({cred.option}), "
                     "the same on the PBX account it registers to; voxaudit writes no password", kind="phone.account")]
    return [note(cred.section, cred.section, f"give the phone's admin password a random value of 16+ characters ({cred.option}; "
                 "Yealink: security.user_password = admin:<new password>); voxaudit writes no password",
                 kind="phone.device")]


BINDINGS = (
    Binding("AUTH-SECRET-101", "phone", phone_secrets, ("provisioning",), "PHONE-ACC-101", REMEDIATION, admin_fix,
            none="no provisioning files", change=admin_change),
)
