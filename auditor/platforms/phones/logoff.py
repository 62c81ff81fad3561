"""Desk phones' web UI idle logoff as provisioned, one record per provisioning file.

Option names and defaults, each from the vendor's own configuration template:

* Yealink ``features.relog_offtime``: "the overtime (in minutes) of logging web user interface. It
  ranges from 1 to 1000, the default value is 5" (Yealink's common y0000000000xx.cfg template, as
  shipped in fusionpbx/fusionpbx resources/templates/provision/yealink/t40p/y000000000054.cfg).
* Grandstream ``P28116``: "Web Session Timeout (in minutes). Number: 2 - 60. Default is 10"
  (Grandstream's GRP261x config template, fusionpbx/fusionpbx resources/templates/provision/grandstream/
  grp2612/{$mac}.xml, ``security.webAccess.session.timeout``).

A file that does not set the option leaves the phone at its factory default. Poly (UC Software) and
Cisco SPA web UI session timeouts are not read: no option name could be verified against their
documentation, so those phones are an ERROR saying so, never a PASS.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from voxaudit.control import Binding, Params
from voxaudit.facts.common import ConfigObject
from voxaudit.facts.phones import PhoneFacts
from voxaudit.platforms.phones.common import PLACEHOLDER_WHY, per_vendor
from voxaudit.records.logoff import AdminSession

SERVICE = "phone web UI"


@dataclass(frozen=True)
class _Option:
    name: str
    default_minutes: int
    low: int
    high: int


OPTIONS = {
    "yealink": _Option("features.relog_offtime", 5, 1, 1000),
    "grandstream": _Option("P28116", 10, 2, 60),
}
REMEDIATION = per_vendor(
    yealink="features.relog_offtime = <minutes, at most the idle limit> (web UI login timeout; default 5).",
    grandstream="P28116 = <minutes, 2-60, at most the idle limit> (Web Session Timeout; default 10).",
    polycom="voxaudit does not read Poly's web UI session timeout; verify it on the phone or disable the web UI "
            "(httpd.enabled=\"0\") where it is not needed.",
    cisco_spa="voxaudit does not read the SPA web UI session timeout; verify it on the phone.",
)


def _record(d: ConfigObject, vendor: str) -> AdminSession:
    subject = f"phone {d.name}"
    opt = OPTIONS.get(vendor)
    if opt is None:
        return AdminSession(subject=subject, source=d.source, section=d.name, service=SERVICE,
                            undecidable=f"the {vendor} web UI session timeout is not read (no option name verified "
                                        "against the vendor's documentation)")
    if d.get("web_session_timeout") is None:
        return AdminSession(subject=subject, source=d.source, section=d.name, service=SERVICE, setting=opt.name,
                            undecidable=f"{opt.name} was not read (facts saved by an older voxaudit): scan again")
    if d.get("web_session_timeout.unknown"):  # set only by a file the phone may load: not known
        return AdminSession(subject=subject, source=d.source, section=d.name, service=SERVICE, setting=opt.name,
                            undecidable=d.get("web_session_timeout.unknown") or "")
    raw = (d.get("web_session_timeout") or "").strip()
    source = d.location("web_session_timeout")
    if not raw:
        return AdminSession(subject=subject, source=source, section=d.name, service=SERVICE, setting=opt.name,
                            idle_seconds=opt.default_minutes * 60, default=True)
    if d.get("web_session_timeout.placeholder"):
        return AdminSession(subject=subject, source=source, section=d.name, service=SERVICE, setting=opt.name,
                            undecidable=f"{opt.name} is {PLACEHOLDER_WHY}")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6):
        return AdminSession(subject=subject, source=source, section=d.name, service=SERVICE, setting=opt.name,
                            undecidable=f"{opt.name} is not a number of minutes")
    minutes = int(raw)
    if not opt.low <= minutes <= opt.high:
        return AdminSession(subject=subject, source=source, section=d.name, service=SERVICE, setting=opt.name,
                            undecidable=f"{opt.name} = {minutes} is outside the range the phone accepts "
                                        f"({opt.low}-{opt.high}); what the phone does with it is unknown")
    return AdminSession(subject=subject, source=source, section=d.name, service=SERVICE, setting=opt.name,
                        idle_seconds=minutes * 60)


def web_sessions(facts: PhoneFacts) -> Iterator[AdminSession]:
    for d in facts.of_kind("phone.device"):
        yield _record(d, d.get("vendor") or "")


def web_fix(session: AdminSession, params: Params) -> list[str]:
    limit = params.int("max_idle_minutes")
    if session.setting == "P28116":
        return [f"P28116 = {max(2, min(limit, 60))}"]
    return [f"{session.setting} = {max(1, limit)}"]


BINDINGS = (
    Binding("ACC-LOGOFF-101", "phone", web_sessions, ("provisioning",), remediation=REMEDIATION, fix=web_fix,
            none="no provisioning files"),
)
