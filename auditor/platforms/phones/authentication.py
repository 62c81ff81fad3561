"""Desk phones' admin (web UI) password as provisioned, one record per provisioning file.

Each vendor names the option its own way (Yealink static.security.user_password, Polycom
device.auth.localAdminPassword, Grandstream P2, Cisco SPA Admin_Passwd); the phone facts carry that
name. A phone whose files do not set it keeps its factory default (admin/admin, 456, empty); one whose own
file leaves it to a file the phone may or may not load (a Yealink common file of an unnamed model) is
undecidable, never judged on the default.
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


def admin_fix(cred: AccountSecret) -> list[str]:
    return [f"{cred.option} -> random, 16+ characters"]


def admin_change(cred: AccountSecret) -> list[Change]:
    """A new admin password is a person's choice: a marked note, never a value."""
    return [note(cred.section, cred.section, f"give the phone's admin password a random value of 16+ characters ({cred.option}; "
                 "Yealink: security.user_password = admin:<new password>); voxaudit writes no password",
                 kind="phone.device")]


BINDINGS = (
    Binding("AUTH-SECRET-101", "phone", admin_passwords, ("provisioning",), "PHONE-ACC-101", REMEDIATION, admin_fix,
            none="no provisioning files", change=admin_change),
)
