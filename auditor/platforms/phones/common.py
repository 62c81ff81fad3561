"""Desk-phone knowledge the adapter's views share (no I/O)."""
from __future__ import annotations


def per_vendor(**texts: str) -> dict[str, str]:
    """Remediation keyed by phone vendor as reports name them (``cisco_spa`` -> ``cisco-spa``)."""
    return {k.replace("_", "-"): v for k, v in texts.items()}
