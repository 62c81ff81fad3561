"""mod_voicemail profiles (autoload_configs/voicemail.conf.xml): empty-password logins and login attempts."""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding, Params
from voxaudit.facts.freeswitch import FreeSwitchFacts
from voxaudit.platforms.common import config_int
from voxaudit.platforms.freeswitch.common import fs_true, runtime_reason
from voxaudit.records.voicemail import BlankPinLogin, LoginLimit

EMPTY = "allow-empty-password-auth"
ATTEMPTS = "max-login-attempts"
ATTEMPTS_DEFAULT = 3  # mod_voicemail's default


def blank_pin_logins(facts: FreeSwitchFacts) -> Iterator[BlankPinLogin]:
    for p in facts.of_kind("voicemail.profile"):
        subject = f"voicemail profile {p.name}"
        hidden = runtime_reason(p, EMPTY)
        if hidden is not None:
            yield BlankPinLogin(subject=subject, source=hidden[1], accepted=False, setting="", undecidable=hidden[0])
            continue
        value = p.get(EMPTY) or "true"  # mod_voicemail's default
        yield BlankPinLogin(subject=subject, source=p.location(EMPTY), accepted=fs_true(value),
                            setting=f"{EMPTY}={value}")


def login_limits(facts: FreeSwitchFacts) -> Iterator[LoginLimit]:
    for p in facts.of_kind("voicemail.profile"):
        subject = f"voicemail profile {p.name}"
        hidden = runtime_reason(p, ATTEMPTS)
        if hidden is not None:
            yield LoginLimit(subject=subject, source=hidden[1], attempts=0, setting="", undecidable=hidden[0])
            continue
        raw = p.get(ATTEMPTS)
        given = config_int(raw)
        value = given if given is not None else ATTEMPTS_DEFAULT
        yield LoginLimit(subject=subject, source=p.location(ATTEMPTS), attempts=value,
                         setting=f"{ATTEMPTS}={value}", defaulted=not raw)


def blank_fix(login: BlankPinLogin) -> list[str]:
    return [f'<param name="{EMPTY}" value="false"/>']


def attempts_fix(limit: LoginLimit, params: Params) -> list[str]:
    return [f'<param name="{ATTEMPTS}" value="{params.int("max_logins")}"/>']


BINDINGS = (
    Binding("MBX-POL-103", "freeswitch", blank_pin_logins, ("voicemail.conf.xml",), "FS-VM-103", {
        "freeswitch": "In autoload_configs/voicemail.conf.xml set allow-empty-password-auth=false in every profile.",
        "fusionpbx": "Edit voicemail.conf.xml (Advanced > XML Editor): allow-empty-password-auth = false.",
    }, blank_fix, none="no voicemail profiles"),
    Binding("MBX-POL-102", "freeswitch", login_limits, ("voicemail.conf.xml",), "FS-VM-104", {
        "freeswitch": "Set max-login-attempts=3 in each voicemail profile.",
        "fusionpbx": "voicemail.conf.xml: max-login-attempts = 3.",
    }, attempts_fix, none="no voicemail profiles"),
)
