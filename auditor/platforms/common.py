"""Knowledge every adapter shares: addresses as the platforms write them (no I/O)."""
from __future__ import annotations

import ipaddress
from typing import Any, Callable, Optional, TypeVar

from voxaudit.facts.common import PlatformFacts

T = TypeVar("T")


def derived(facts: PlatformFacts, key: str, build: Callable[[], T]) -> T:
    """``build()``, worked out once per target and shared by every view that asks for ``key`` (several
    views filter the same 10,000 mailboxes; every switch port asks for its switch's voice VLANs). Kept beside
    the facts' index, and dropped with it by ``reindex()``; facts are not changed once built, so it never goes
    stale during an evaluation."""
    memo: dict[str, Any] = facts.__dict__.setdefault("_derived", {})
    if key not in memo:
        memo[key] = build()
    value: T = memo[key]
    return value


def config_int(text: Optional[str], digits: int = 18) -> Optional[int]:
    """A whole number as a configuration writes it (ASCII digits, surrounding blanks allowed), else None.
    ``str.isdigit`` alone also accepts digits ``int`` refuses (superscripts) and lengths past Python's
    conversion limit: a hostile value must make the setting unknown, not the view raise."""
    text = (text or "").strip()
    if 0 < len(text) <= digits and text.isascii() and text.isdigit():
        return int(text)
    return None


def host_of(bind: Optional[str]) -> str:
    """'0.0.0.0:5061' -> '0.0.0.0'; '[::1]:5060' -> '::1'."""
    if not bind:
        return ""
    bind = bind.strip()
    if bind.startswith("["):
        return bind[1:].split("]")[0]
    if bind.count(":") == 1:
        return bind.split(":")[0]
    return bind


def is_loopback(bind: Optional[str]) -> bool:
    host = host_of(bind)
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
