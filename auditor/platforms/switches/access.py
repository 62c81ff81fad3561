"""A switch's own administration (IOS, EOS, AOS-S running-config) as an administrative interface.

Telnet is offered on a vty line whose ``transport input`` names telnet or all, or keeps the release
default; AOS-S runs telnet-server unless told not to. Plain HTTP management is ``ip http server`` (IOS,
on by default in many releases), EOS's http-commands API, AOS-S's web-management plaintext.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.switches import SwitchFacts
from voxaudit.platforms.switches.common import SOURCES, by_default, switch_label
from voxaudit.records.access import AdminInterface
from voxaudit.remediation import Change, note, remove, set_

SERVICE = "Telnet or plain-HTTP administration"
REMEDIATION = {
    "ios": "line vty 0 15 / transport input ssh; no ip http server (keep ip http secure-server if the web UI is used).",
    "eos": "management telnet / shutdown; management api http-commands with protocol https only.",
    "aos-s": "no telnet-server; web-management ssl; no web-management plaintext.",
}
PLAIN_HTTP = "plain HTTP management on"


def administration(facts: SwitchFacts) -> Iterator[AdminInterface]:
    for dev in facts.of_kind("switch.device"):
        flavor = dev.get("flavor") or "ios"
        paths: list[str] = []
        for vty in dev.values("vty"):
            transport = vty.split(": ", 1)[-1]
            if "telnet: enabled" == vty or any(w in transport.split() for w in ("telnet", "all")) \
                    or transport == "(release default)":
                paths.append(f"line vty {vty}" if flavor != "aos-s" else "telnet-server enabled (default)")
        if dev.get("http_plain") == "on":
            paths.append(f"{PLAIN_HTTP}{by_default(dev, 'http_plain')}")
        yield AdminInterface(subject=switch_label(dev), source=dev.location("vty"), section=f"{flavor} running-config",
                             service=SERVICE, plaintext=bool(paths), plaintext_paths=tuple(paths))


def admin_fix(iface: AdminInterface) -> list[str]:
    aos = iface.section.startswith("aos-s ")
    fixes = []
    if any(not p.startswith(PLAIN_HTTP) for p in iface.plaintext_paths):
        fixes.append("no telnet-server" if aos else "transport input ssh on every vty line")
    if any(p.startswith(PLAIN_HTTP) for p in iface.plaintext_paths):
        fixes.append("no web-management plaintext" if aos else "no ip http server")
    return fixes


def admin_change(iface: AdminInterface) -> list[Change]:
    """IOS: ``transport input ssh`` on each vty block that admits telnet, ``no ip http server``; other
    syntaxes are a person's (the exact commands are in the text fix)."""
    if iface.source is None:
        return []
    file = iface.source.file
    if not iface.section.startswith("ios "):
        return [note(file, "", f"{iface.subject}: " + "; ".join(admin_fix(iface)))]
    out: list[Change] = []
    for path in iface.plaintext_paths:
        if path.startswith(PLAIN_HTTP):
            out.append(remove(file, "", "ip http server"))
        elif path.startswith("line vty "):
            block = path.split(": ", 1)[0]
            out.append(set_(file, block, "transport input", "ssh"))
    return out


BINDINGS = (
    Binding("ACC-ADMIN-102", "switch", administration, tuple(SOURCES), "SW-MGT-101", REMEDIATION, admin_fix,
            none="no switch configuration", change=admin_change),
)
