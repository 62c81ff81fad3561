"""Knowledge every adapter shares: addresses as the platforms write them (no I/O)."""
from __future__ import annotations

import ipaddress
from typing import Optional


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
