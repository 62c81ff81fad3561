"""Who receives PHI: the outside parties a configuration sends calls, messages or call records to,
and the business-associate register they are judged against (45 CFR 164.308(b)(1), 164.314(a)).

A platform adapter turns each configured destination (a SIP trunk, the domain a voicemail is emailed
to, a remote call-record database) into a :class:`PhiRecipient`. The register reaches the control
as a profile-style parameter the engine adds per target (:data:`REGISTER_PARAM`, see
``voxaudit.engine.evaluate``): :func:`register_value` writes it, :func:`register_of` reads it back.
Matching a host against the register is here, once, so every platform is judged the same way.
"""
from __future__ import annotations

import functools
import ipaddress
import json
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Mapping, Optional

from voxaudit.records.base import Record

REGISTER_PARAM = "business_associates"  # the key the engine puts the target's register under

MAX_HOST = 253  # a DNS name is at most 253 characters: longer text is not a host


class PhiRecipient(Record, frozen=True, kw_only=True):
    """One outside party PHI flows to, as the configuration names it.

    ``role``: what it receives, in plain words ("SIP trunk", "voicemail email domain", "call records
    database"); ``host``: the host name, address or mail domain ("" when the configuration does not
    say); ``how``: where and how it is configured ("pjsip.conf [carrier] registration server_uri");
    ``private``: a private or local-only address (a vendor's hosted system on a VPN, or the clinic's
    own server); ``undecidable``: why the configuration read cannot name the party (a mail relay set
    in the MTA's configuration, a script that may send audio away)."""

    role: str
    host: str = ""
    how: str = ""
    private: bool = False
    undecidable: str = ""


@dataclass(frozen=True, slots=True)
class Associate:
    """One entry of the business-associate register, as the control sees it (no document contents)."""

    vendor: str
    covers: tuple[str, ...]
    signed: Optional[date] = None
    expires: Optional[date] = None
    document: str = ""
    internal: bool = False  # the clinic's own system: no BAA is needed, it is listed to say so


@dataclass(frozen=True, slots=True)
class Register:
    """A target's register and the day it is judged on (the scan's date: the judge stays pure)."""

    associates: tuple[Associate, ...]
    today: date


def register_value(associates: Iterable[Mapping[str, Any]], today: date) -> str:
    """The register as the engine passes it to the control (a string, as profile parameters are read)."""
    rows = [{"vendor": str(a["vendor"]), "covers": [str(c) for c in a.get("covers", ())],
             "signed": _iso(a.get("baa_signed")), "expires": _iso(a.get("baa_expires")),
             "document": str(a.get("document") or ""), "internal": bool(a.get("internal", False))}
            for a in associates]
    return json.dumps({"today": today.isoformat(), "associates": rows}, sort_keys=True)


def _iso(value: Any) -> Optional[str]:
    return value.isoformat() if isinstance(value, date) else (str(value) if value else None)


@functools.lru_cache(maxsize=64)
def register_of(value: str) -> Optional[Register]:
    """The register :func:`register_value` wrote (decoded once per scan, not per recipient); None when
    the value is empty: no register was given for this target."""
    if not value:
        return None
    data = json.loads(value)
    return Register(today=date.fromisoformat(data["today"]), associates=tuple(
        Associate(vendor=a["vendor"], covers=tuple(a["covers"]), document=a["document"], internal=a["internal"],
                  signed=date.fromisoformat(a["signed"]) if a["signed"] else None,
                  expires=date.fromisoformat(a["expires"]) if a["expires"] else None)
        for a in data["associates"]))


def normal_host(host: str) -> str:
    """Lowercase, without brackets or a trailing dot: how hosts and register patterns are compared."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host.rstrip(".")


def covers(pattern: str, host: str) -> bool:
    """Does a register pattern cover ``host``? ``*.twilio.com`` covers every name under twilio.com (not
    twilio.com itself: list both); an address or network (``203.0.113.0/24``) covers the addresses in it;
    anything else must be equal (case-insensitive)."""
    pattern, host = normal_host(pattern), normal_host(host)
    if not pattern or not host:
        return False
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    if "/" in pattern:
        try:
            return ipaddress.ip_address(host) in ipaddress.ip_network(pattern, strict=False)
        except ValueError:
            return False
    return pattern == host


def matching(register: Register, host: str) -> list[Associate]:
    """Every register entry that covers ``host``."""
    return [a for a in register.associates if any(covers(p, host) for p in a.covers)]


def is_private(host: str) -> bool:
    """A private, link-local or unique-local address, or a name that only resolves inside a site (one
    label, ``.local``, ``.lan``, ``.internal``, ``.home.arpa``): it may still be a vendor's hosted system."""
    host = normal_host(host)
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host or host.endswith((".local", ".lan", ".internal", ".home.arpa", ".localdomain"))
    return any(ip in net for net in PRIVATE_NETS if net.version == ip.version)


# RFC 1918, shared address space (RFC 6598), link-local, unique-local (RFC 4193). Not Python's
# is_private, which also counts the documentation ranges (203.0.113.0/24 is a public address in examples).
PRIVATE_NETS = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "fc00::/7", "fe80::/10"))


def is_local(host: str) -> bool:
    """This machine itself (loopback, localhost, a unix socket path): PHI does not leave it."""
    host = normal_host(host)
    if host in ("localhost", "localhost.localdomain", "") or host.startswith("/"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified
