"""Phone provisioning seen in a packet capture: each cleartext (TFTP/HTTP) fetch of a
provisioning file, as an observed record. An HTTPS fetch cannot be told apart from other TLS,
so a capture without a cleartext fetch yields nothing (not evaluated), never a pass."""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.network import PacketFacts
from voxaudit.records.devices import Provisioning


def provisioning_fetches(facts: PacketFacts) -> Iterator[Provisioning]:
    for f in facts.provisioning:
        yield Provisioning(subject=f"{f.protocol} {f.path}", observed=True, protocol=f.protocol, encrypted=False,
                           fetches=f.requests)


def https_fix(prov: Provisioning) -> list[str]:
    return ["provision over HTTPS"]


BINDINGS = (
    Binding("DEV-PRV-101", "pcap", provisioning_fetches, ("capture",), "PCAP-104", {
        "pcap": "Provision over HTTPS with per-device credentials (see DEV-PRV-101), and block TFTP/69 "
                "and HTTP to the provisioning server from the voice VLAN.",
    }, https_fix, none="not evaluated: no cleartext provisioning fetch in the capture, and an HTTPS one cannot be "
                       "told apart; capture a phone booting to assess"),
)
