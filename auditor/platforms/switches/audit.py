"""Switches' remote logging as records: the ``logging host`` (IOS, EOS) or ``logging <address>`` (AOS-S)
lines of each running-config. Without one, logs stay in the switch's small buffer, lost on reboot."""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.switches import SwitchFacts
from voxaudit.platforms.switches.common import SOURCES, switch_label
from voxaudit.records.audit import LogForwarding

REMEDIATION = {
    "ios": "logging host <syslog server> (and service timestamps log datetime msec localtime).",
    "eos": "logging host <syslog server>.",
    "aos-s": "logging <syslog server IP>.",
}


def remote_syslog(facts: SwitchFacts) -> Iterator[LogForwarding]:
    """One record per switch; ``section`` is the switch's CLI dialect, which the fix is written in."""
    for dev in facts.of_kind("switch.device"):
        hosts = dev.values("logging_host")
        flavor = dev.get("flavor") or "ios"
        label = switch_label(dev)
        if hosts:
            yield LogForwarding(subject=label, source=dev.location("logging_host"), section=flavor, forwarded=True,
                                setting=f"logs sent to {', '.join(hosts)}")
        else:
            yield LogForwarding(subject=label, source=dev.source, section=flavor, forwarded=False,
                                setting="no remote syslog host: logs stay in the switch's buffer")


def remote_syslog_fix(rec: LogForwarding) -> list[str]:
    return ["logging <server>" if rec.section == "aos-s" else "logging host <server>"]


BINDINGS = (
    Binding("LOG-AUD-103", "switch", remote_syslog, tuple(SOURCES), "SW-LOG-101", REMEDIATION, remote_syslog_fix),
)
