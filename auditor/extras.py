"""Optional features and the pip extra that installs each.

``pip install voxaudit`` audits configuration files offline; the live collectors' libraries (SSH,
SNMP, TLS scanning, packet captures, switch CLI) come with ``voxaudit[live]`` and distributed mode's
with ``voxaudit[distributed]`` (pyproject.toml). Code that needs one of them asks here first, so a
missing library ends the target with one clear message naming the extra, instead of an ImportError
deep in a collector read as a bug, or a probe quietly skipped.

Importing this module imports nothing optional: the offline path must never load the live stack.
"""
from __future__ import annotations

import importlib

# extra -> the import names its code uses -> the distribution that provides each (for the message).
# tests/test_packaging.py checks this table against pyproject.toml's extras.
EXTRAS: dict[str, dict[str, str]] = {
    "live": {
        "paramiko": "paramiko", "pysnmp": "pysnmp", "scapy": "scapy", "sslyze": "sslyze", "nassl": "nassl",
        "cryptography": "cryptography", "netmiko": "netmiko", "ntc_templates": "ntc-templates", "keyring": "keyring",
    },
    "distributed": {
        "celery": "celery", "kombu": "kombu", "redis": "redis", "psycopg": "psycopg", "keyring": "keyring",
    },
}


class MissingExtra(ImportError):
    """A feature's library is not installed; ``reason`` names the feature, the library and the extra."""

    def __init__(self, feature: str, extra: str, missing: list[str]) -> None:
        self.feature = feature
        self.extra = extra
        self.missing = missing
        self.reason = f"{feature} needs {', '.join(missing)}, not installed: pip install 'voxaudit[{extra}]'"
        super().__init__(self.reason, name=missing[0])


def _distribution(extra: str, module: str) -> str:
    top = module.split(".")[0]
    return EXTRAS.get(extra, {}).get(top, top)


def require(feature: str, *modules: str, extra: str = "live") -> None:
    """Import every module (so a half-installed extra, e.g. paramiko without cryptography, is caught
    here too) or raise :class:`MissingExtra` naming all that are missing. ``feature`` says what
    needed them, in words a user recognises ("an SSH target")."""
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}")
    missing: list[str] = []
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            name = _distribution(extra, exc.name or module)
            if name not in missing:
                missing.append(name)
    if missing:
        raise MissingExtra(feature, extra, missing)


def require_for_target(feature: str, *modules: str, extra: str = "live") -> None:
    """:func:`require` for a collector: a missing library ends the target's collection as an ERROR
    (not collected) whose reason names the extra, like any other target that could not be collected."""
    try:
        require(feature, *modules, extra=extra)
    except MissingExtra as exc:
        from voxaudit.collectors.offline import CollectionError  # loaded already whenever a target is collected

        raise CollectionError("not_collected", exc.reason) from None
