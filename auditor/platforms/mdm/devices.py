"""Staff phone screen locks from MDM policies: Apple configuration profiles, Android Management
API policies and Intune exports, each passcode policy as the collector normalised it."""
from __future__ import annotations

import math
from typing import Iterator, Optional

from voxaudit.control import Binding, Params
from voxaudit.facts.common import ConfigObject
from voxaudit.facts.mdm import MdmFacts
from voxaudit.platforms.common import config_int
from voxaudit.records.devices import AutoLock, Passcode
from voxaudit.remediation.change import Change, note, set_

OSES = ("ios", "android")


def _number(value: Optional[str]) -> Optional[float]:
    """A policy's number, or None when there is none to judge: ``float`` also reads ``nan`` and ``inf``
    (a plist ``<real>nan</real>``, JSON ``NaN``), and NaN compares false with every limit, so a lock
    time of NaN minutes passed as short enough."""
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def _passcodes(facts: MdmFacts, os_: str) -> list[ConfigObject]:
    return [p for p in facts.of_kind("mdm.passcode") if p.get("os") == os_]


def passcodes(facts: MdmFacts) -> Iterator[Passcode]:
    managed = {p.get("os") for p in facts.of_kind("mdm.profile")}
    for os_ in OSES:
        if os_ not in managed:
            continue
        policies = _passcodes(facts, os_)
        if not policies:
            yield Passcode(subject=f"{os_} devices", defined=False)
            continue
        for p in policies:
            required = p.get("required") == "yes"
            length = p.get("min_length")
            digits = config_int((length or "").replace(".", "", 1)) is not None
            yield Passcode(subject=f"{os_} passcode ({p.source.file})",
                           source=p.location("min_length") if required else p.location("required"),
                           required=required, required_option=p.get("required.option") or "",
                           min_length=float(length) if length is not None and digits else None,
                           length_option=p.get("min_length.option") or "", length_text=length or "")


def auto_locks(facts: MdmFacts) -> Iterator[AutoLock]:
    for os_ in OSES:
        for p in _passcodes(facts, os_):
            yield AutoLock(subject=f"{os_} passcode ({p.source.file})", source=p.location("max_inactivity_minutes"),
                           minutes=_number(p.get("max_inactivity_minutes")),
                           option=p.get("max_inactivity_minutes.option") or "")


def passcode_fix(code: Passcode, params: Params) -> list[str]:
    if not code.defined:
        return ["add a passcode payload"]
    if not code.required:
        return [f"{code.required_option} -> required"]
    return [f"{code.length_option} -> {params.int('min_device_passcode')}"]


def lock_fix(lock: AutoLock, params: Params) -> list[str]:
    return [f"{lock.option} -> {params.int('max_lock_minutes')} minutes"]


def _file(subject: str) -> str:
    """The profile file of a ``<os> passcode (FILE)`` record."""
    return subject.partition(" (")[2][:-1]


def passcode_change(code: Passcode, params: Params) -> list[Change]:
    """iOS: ``minLength`` raised to the profile's length; a missing or optional passcode is a person's
    policy choice (which payload, forcePIN), left as a note. The writer patches plist profiles only."""
    if code.defined and code.required and code.subject.startswith("ios ") and code.length_option == "minLength":
        return [set_(_file(code.subject), code.subject, "minLength", str(params.int("min_device_passcode")),
                     kind="mdm.passcode")]
    return [note(_file(code.subject), code.subject,
                 f"require a device passcode of at least {params.int('min_device_passcode')} characters "
                 f"({code.required_option or code.length_option or 'a passcode payload'})", kind="mdm.passcode")]


def lock_change(lock: AutoLock, params: Params) -> list[Change]:
    """iOS: ``maxInactivity`` (minutes) lowered to the profile's maximum."""
    return [set_(_file(lock.subject), lock.subject, lock.option or "maxInactivity",
                 str(params.int("max_lock_minutes")), kind="mdm.passcode")]


BINDINGS = (
    Binding("DEV-LOCK-101", "mdm", passcodes, ("profiles",), "MDM-ACC-101", {
        "ios": "com.apple.mobiledevice.passwordpolicy: forcePIN=true, minLength=6 (or more), allowSimple=false.",
        "android": "passwordPolicies: [{passwordScope: SCOPE_DEVICE, passwordQuality: NUMERIC_COMPLEX "
                   "(or COMPLEXITY_HIGH), passwordMinimumLength: 6}].",
        "intune": "Device restrictions > Password: required, minimum length 6 (passcodeRequired / "
                  "passwordRequiredType and passcodeMinimumLength / passwordMinimumLength).",
    }, passcode_fix, none="no iOS or Android profiles", change=passcode_change),
    Binding("DEV-LOCK-102", "mdm", auto_locks, ("profiles",), "MDM-ACC-102", {
        "ios": "com.apple.mobiledevice.passwordpolicy: maxInactivity=5 (minutes) or less.",
        "android": "Policy maximumTimeToLock: \"300000\" (milliseconds) or less.",
        "intune": "passcodeMinutesOfInactivityBeforeLock / passwordMinutesOfInactivityBeforeScreenTimeout = 5 or less.",
    }, lock_fix, none="no passcode policy (DEV-LOCK-101 reports it)", change=lock_change),
)
