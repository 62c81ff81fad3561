"""Knowledge the network adapter's views share (no I/O)."""
from __future__ import annotations


def per_platform(generic: str, asterisk: str, kamailio: str, freeswitch: str) -> dict[str, str]:
    """Remediation for a finding seen on the wire: the generic fix, and where to make it on each PBX."""
    return {"sip": generic, "asterisk": asterisk, "kamailio": kamailio, "freeswitch": freeswitch}
