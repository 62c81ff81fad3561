"""Who can reach what: administrative interfaces, address limits, flood limits, what a service tells a
scanner, and what answers from the data network."""
from __future__ import annotations

from voxaudit.records.base import Record


class AdminInterface(Record, frozen=True, kw_only=True):
    """A management or control interface (call control API, event socket, web or terminal administration).

    ``service`` names it for evidence ("AMI", "event socket"); ``listen`` is the address it listens on,
    "" when it has no plaintext listener; ``loopback``: it listens on loopback only; ``plaintext``: its
    logins and data cross the network in clear beyond loopback; ``plaintext_paths`` lists each clear-text
    way in, for evidence ("line vty 0 4: telnet"); ``limited``: only known hosts may connect, as
    ``limit`` says (or, when not limited, why not: "no inbound ACL"); ``undecidable``: why the
    configuration cannot tell (a value set only on the running host). ``port``: the TCP port it
    listens on (0: not known), which a probe of the host can check."""

    service: str
    listen: str = ""
    port: int = 0
    loopback: bool = False
    plaintext: bool = False
    plaintext_paths: tuple[str, ...] = ()
    limited: bool = False
    limit: str = ""
    undecidable: str = ""


class AddressLimit(Record, frozen=True, kw_only=True):
    """The addresses an account or endpoint is accepted from.

    ``holder`` is the account or endpoint; ``limit`` describes the limit in force ("" when there is
    none); ``open`` says why the limit it has admits every address anyway ("" when it restricts)."""

    holder: str
    limit: str = ""
    open: str = ""


class RateLimit(Record, frozen=True, kw_only=True):
    """Flood and scan protection on incoming requests: the limiters loaded and the checks the request
    handling actually calls (both are needed)."""

    limiters: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    undecidable: str = ""  # why the request handling cannot be read (routing in a script the audit does not read)


class Banner(Record, frozen=True, kw_only=True):
    """What a service says about itself in its answers: ``header`` names where ("Server/User-Agent"),
    ``text`` is what it said ("" when nothing)."""

    header: str
    text: str = ""


class Reachability(Record, frozen=True, kw_only=True):
    """Which voice services answered a scanner, and where that scanner sits.

    ``vantage`` is the network it probed from; ``data_network``: that network is a data (user, guest,
    external) network, not the voice or management one; ``reached`` lists what answered."""

    vantage: str
    data_network: bool
    reached: tuple[str, ...] = ()
