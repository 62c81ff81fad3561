"""Idle logoff of a switch's terminal sessions (IOS lines, EOS SSH), one record per line or service.

* Cisco IOS/IOS-XE: ``exec-timeout <minutes> [<seconds>]`` under ``line con``/``line vty``/``line aux``;
  Cisco's command reference: default 10 minutes, and an interval of zero means no timeout
  (``exec-timeout 0 0``). A line with ``no exec`` starts no session.
* Arista EOS: ``management ssh`` / ``idle-timeout <minutes>``; EOS ends no idle SSH session unless it is
  set (DISA's Arista MLS EOS 4.X NDM STIG, V-255956 / AMLS-NM-000240, checks for this very line), and
  ``idle-timeout 0`` disables it. EOS's console idle timeout is not read (its option was not verified).
* Aruba AOS-S: its console/telnet/SSH idle-timeout option could not be verified against HPE's
  documentation, so it is not read; an AOS-S switch is an ERROR saying so, never a PASS.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding, Params
from voxaudit.facts.common import ConfigObject
from voxaudit.facts.switches import SwitchFacts
from voxaudit.platforms.switches.common import SOURCES, switch_label
from voxaudit.records.logoff import AdminSession
from voxaudit.remediation import Change, note, set_

IOS_DEFAULT_SECONDS = 600
REMEDIATION = {
    "ios": "Under line con 0 and every line vty: exec-timeout <minutes> 0 (never exec-timeout 0 0).",
    "eos": "management ssh / idle-timeout <minutes> (not 0).",
    "aos-s": "voxaudit does not read AOS-S idle timeouts; verify the console/SSH idle timeout on the switch.",
}


def _digits(*values: str) -> bool:
    """Every value is a plain number of at most 9 digits (what the reader keeps)."""
    return bool(values) and all(v.isascii() and v.isdigit() and len(v) <= 9 for v in values)


def _ios_lines(dev: ConfigObject, label: str) -> Iterator[AdminSession]:
    if "exec_timeout" not in dev.settings:
        yield AdminSession(subject=label, source=dev.source, section="ios running-config", service="terminal lines",
                           setting="exec-timeout", undecidable="no terminal line (line con/vty) was read: facts saved "
                           "by an older voxaudit, or a configuration without line blocks")
    for entry in dev.settings.get("exec_timeout", []):
        line, _, timeout = entry.value.partition("=")
        if timeout == "no exec":
            yield AdminSession(subject=f"{label} line {line}", source=entry.source, section=f"line {line}",
                               service=f"line {line}", setting="exec-timeout",
                               no_sessions="no exec: the line starts no EXEC session")
        elif timeout == "default":
            yield AdminSession(subject=f"{label} line {line}", source=entry.source, section=f"line {line}",
                               service=f"line {line}", setting="exec-timeout", idle_seconds=IOS_DEFAULT_SECONDS,
                               default=True)
        elif not _digits(*timeout.split(" ")):  # only from a hand-edited saved scan: the reader keeps digits
            yield AdminSession(subject=f"{label} line {line}", source=entry.source, section=f"line {line}",
                               service=f"line {line}", setting="exec-timeout",
                               undecidable="exec-timeout in the saved facts is not minutes and seconds")
        else:
            minutes, _, seconds = timeout.partition(" ")
            total = int(minutes) * 60 + int(seconds or 0)
            yield AdminSession(subject=f"{label} line {line}", source=entry.source, section=f"line {line}",
                               service=f"line {line}", setting="exec-timeout" if total else "exec-timeout 0 0",
                               idle_seconds=total or None)


def _eos_ssh(dev: ConfigObject, label: str) -> AdminSession:
    value = dev.get("ssh_idle_timeout")
    subject, source = f"{label} management ssh", dev.location("ssh_idle_timeout")
    if value is None:
        return AdminSession(subject=subject, source=source, section="management ssh", service="SSH (management ssh)",
                            setting="idle-timeout", undecidable="management ssh was not read (facts saved by an older "
                            "voxaudit): scan again")
    if value == "off":
        return AdminSession(subject=subject, source=source, section="management ssh", service="SSH (management ssh)",
                            setting="idle-timeout", no_sessions="management ssh is shut down")
    if value != "default" and not _digits(value):
        return AdminSession(subject=subject, source=source, section="management ssh", service="SSH (management ssh)",
                            setting="idle-timeout", undecidable="idle-timeout in the saved facts is not minutes")
    return AdminSession(subject=subject, source=source, section="management ssh", service="SSH (management ssh)",
                        setting="idle-timeout 0" if value.strip("0") == "" else "idle-timeout",
                        default=value == "default",
                        idle_seconds=None if value == "default" else int(value) * 60 or None)


def terminal_sessions(facts: SwitchFacts) -> Iterator[AdminSession]:
    for dev in facts.of_kind("switch.device"):
        flavor = dev.get("flavor") or "ios"
        label = switch_label(dev)
        if flavor == "ios":
            yield from _ios_lines(dev, label)
        elif flavor == "eos":
            yield _eos_ssh(dev, label)
        else:
            yield AdminSession(subject=label, source=dev.source, section=f"{flavor} running-config",
                               service="terminal sessions",
                               undecidable=f"{flavor} idle timeouts are not read (the option was not verified against "
                                           "the vendor's documentation)")


def timeout_fix(session: AdminSession, params: Params) -> list[str]:
    limit = params.int("max_idle_minutes")
    if session.setting.startswith("exec-timeout"):
        return [session.section, f" exec-timeout {limit} 0"]
    return ["management ssh", f"   idle-timeout {limit}"]


def timeout_change(session: AdminSession, params: Params) -> list[Change]:
    """IOS ``line`` blocks: exec-timeout <limit> 0 (the idle limit is the profile's); EOS is a person's."""
    if session.source is None:
        return []
    if session.setting.startswith("exec-timeout"):
        return [set_(session.source.file, session.section, "exec-timeout", f"{params.int('max_idle_minutes')} 0")]
    return [note(session.source.file, "", f"{session.subject}: " + " ".join(timeout_fix(session, params)))]


BINDINGS = (
    Binding("ACC-LOGOFF-101", "switch", terminal_sessions, tuple(SOURCES), remediation=REMEDIATION, fix=timeout_fix,
            none="no switch configuration", change=timeout_change),
)
