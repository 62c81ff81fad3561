"""Pure helpers shared by FreeSWITCH checks (no I/O)."""
from __future__ import annotations

from typing import Optional

from auditor.facts.common import ConfigObject

PLATFORMS = ["freeswitch"]
TLS_NAMES = {"sslv2": 0.2, "sslv3": 0.3, "tlsv1": 1.0, "tlsv1.1": 1.1, "tlsv1.2": 1.2, "tlsv1.3": 1.3}


def fs_true(value: Optional[str]) -> bool:
    """switch_true(): yes, on, true, t, enabled, active, allow and non-zero numbers."""
    v = (value or "").strip().lower()
    if v in {"yes", "on", "true", "t", "enabled", "active", "allow"}:
        return True
    return v.isdigit() and int(v) != 0


def unresolved(value: Optional[str]) -> bool:
    return value is not None and "$${" in value


def profile_label(p: ConfigObject) -> str:
    return f"sofia profile {p.name}"
