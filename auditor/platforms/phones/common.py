"""Desk-phone knowledge the adapter's views share (no I/O)."""
from __future__ import annotations

# Why a setting an unrendered provisioning template leaves to a placeholder cannot be judged.
PLACEHOLDER_WHY = ("a template placeholder the provisioning server fills in when it renders the file; the value "
                   "phones get is not in the configuration read")


def per_vendor(**texts: str) -> dict[str, str]:
    """Remediation keyed by phone vendor as reports name them (``cisco_spa`` -> ``cisco-spa``)."""
    return {k.replace("_", "-"): v for k, v in texts.items()}
