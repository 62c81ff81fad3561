"""Describe a secret (PIN, password) without keeping it.

Facts are saved to disk and re-scored later, so they may never hold a secret.
What checks need is its shape: present, length, classes of characters, whether it
equals the account name, whether it is on a list of known-weak values, and which
other accounts share it (an opaque group label, never a hash: a hash of a 4-digit
PIN is reversed in microseconds).
"""
from __future__ import annotations

import re
from typing import Optional

from voxaudit.model import Data, SourceRef

# Vendor defaults and values seen in the wild on PBXes; checked case-insensitively.
KNOWN_WEAK = {
    "", "0000", "1111", "1234", "12345", "123456", "1234567", "12345678", "4242",
    "0123", "9999", "2580", "password", "passw0rd", "secret", "mysecret", "admin",
    "admin123", "changeme", "asterisk", "amp111", "amp109", "freepbx", "default",
    "voicemail", "welcome", "letmein", "pass", "test", "1q2w3e", "qwerty", "fop", "cluecon",
    "public", "private", "cisco", "community", "manager", "operator",  # SNMP and switch defaults
    "kamailiorw", "kamailioro", "opensipsrw", "opensipsro",  # SIP proxy database defaults
}


class SecretInfo(Data, kw_only=True, gc=False):  # scalars and a SourceRef: never in a cycle
    present: bool
    length: int = 0
    digits_only: bool = False
    char_classes: int = 0
    equals_identity: bool = False
    weakness: Optional[str] = None  # "known-weak", "sequential", "repeated"
    shared_group: Optional[str] = None
    source: Optional[SourceRef] = None
    # The value is a deployment-time reference (${NAME}, $${name}, {{ name }}, %NAME%): the real secret
    # is filled in on the host, so its strength is unknown here (never judged strong).
    placeholder: bool = False

    @property
    def is_trivial(self) -> bool:
        return self.weakness is not None or self.equals_identity


def _is_sequential(s: str) -> bool:
    if len(s) < 3 or not s.isdigit():
        return False
    steps = {int(b) - int(a) for a, b in zip(s, s[1:])}
    return steps in ({1}, {-1})


_PLACEHOLDER_RE = re.compile(r"\$\$?\{[A-Za-z_][A-Za-z0-9_.]{0,63}\}|\{\{ ?[A-Za-z_][A-Za-z0-9_.]{0,63} ?\}\}|"
                             r"%[A-Za-z_][A-Za-z0-9_]{0,63}%|ENV_[A-Z0-9_]{1,64}")


def describe_secret(value: Optional[str], identity: str = "", source: Optional[SourceRef] = None) -> SecretInfo:
    """Return the shape of ``value``; the value itself is not kept anywhere."""
    if value is None or value == "":
        return SecretInfo(present=False, source=source)
    if _PLACEHOLDER_RE.fullmatch(value.strip()):
        return SecretInfo(present=True, placeholder=True, source=source)
    weakness: Optional[str] = None
    if value.lower() in KNOWN_WEAK:
        weakness = "known-weak"
    elif _is_sequential(value):
        weakness = "sequential"
    elif len(set(value)) == 1:
        weakness = "repeated"
    classes = sum(
        [any(c.islower() for c in value), any(c.isupper() for c in value),
         any(c.isdigit() for c in value), any(not c.isalnum() for c in value)]
    )
    ident = identity.strip().lower()
    equals = bool(ident) and (value.lower() == ident or value.lower() == ident.split("@")[0])
    return SecretInfo(
        present=True,
        length=len(value),
        digits_only=value.isdigit(),
        char_classes=classes,
        equals_identity=equals,
        weakness=weakness,
        source=source,
    )


class SharedSecretTracker:
    """Assigns the same opaque label to accounts that share a secret.

    Holds secrets in memory only while one tree is being turned into facts.
    """

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._members: dict[str, list[SecretInfo]] = {}

    def add(self, value: Optional[str], info: SecretInfo) -> None:
        if info.present and value is not None:
            self._members.setdefault(value, []).append(info)

    def assign(self) -> None:
        n = 0
        for infos in self._members.values():
            if len(infos) > 1:
                n += 1
                for info in infos:
                    info.shared_group = f"{self._prefix}-{n}"
        self._members.clear()
