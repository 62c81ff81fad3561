"""Describe a secret (PIN, password) without keeping it.

Facts are saved to disk and re-scored later, so they may never hold a secret.
What checks need is its shape: present, length, classes of characters, whether it
equals the account name, whether it is on a list of known-weak values, and which
other accounts share it (an opaque group label, never a hash: a hash of a 4-digit
PIN is reversed in microseconds).
"""
from __future__ import annotations

import re
import string
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
    "cxmanager*con",  # FreePBX cxpanel (iSymphony) module's AMI user, written by its installer
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
    if s.isascii():  # steps of +1 or -1 throughout: a run of one of these (10,000 PINs on a large PBX)
        return s in "0123456789" or s in "9876543210"
    steps = {int(b) - int(a) for a, b in zip(s, s[1:])}
    return steps in ({1}, {-1})


# What a deployment fills in, not a secret: ${VAR}/$${VAR} (FreeSWITCH, shells), {{name}}, a Handlebars triple-stash
# {{{name}}} and a Jinja placeholder with filters ({{ pw | default('x') }}), a Smarty one ({$admin_password},
# FusionPBX's provisioning templates), %VAR%, ENV_NAME (Kamailio's docker images).
_PLACEHOLDER_RE = re.compile(r"\$\$?\{[A-Za-z_][A-Za-z0-9_.]{0,63}\}|"
                             r"\{\$[A-Za-z_][A-Za-z0-9_.]{0,63}(?:\|[^{}]{0,64})?\}|"
                             r"\{\{\{?[ \t]*[A-Za-z_][A-Za-z0-9_.]{0,63}[ \t]*(?:\|[^{}]{0,256})?\}\}\}?|"
                             r"%[A-Za-z_][A-Za-z0-9_]{0,63}%|@[A-Za-z_][A-Za-z0-9_]{0,63}@|ENV_[A-Z0-9_]{1,64}")


_ASCII_LOWER = frozenset(string.ascii_lowercase)
_ASCII_UPPER = frozenset(string.ascii_uppercase)
_ASCII_DIGITS = frozenset(string.digits)
_ASCII_ALNUM = _ASCII_LOWER | _ASCII_UPPER | _ASCII_DIGITS


def _char_classes(value: str, chars: set[str]) -> int:
    """Lower, upper, digit, other: one pass over the distinct characters (a scan describes one secret per
    account, 20,000 on a 10,000-extension PBX). Each test is independent, as ``str`` defines them: a few
    characters are both lowercase and not alphanumeric."""
    if value.isascii():  # ASCII: the classes are these sets, tested at C speed
        return ((not chars.isdisjoint(_ASCII_LOWER)) + (not chars.isdisjoint(_ASCII_UPPER))
                + (not chars.isdisjoint(_ASCII_DIGITS)) + (not chars <= _ASCII_ALNUM))
    lower = upper = digit = other = False
    for c in chars:
        if c.islower():
            lower = True
        if c.isupper():
            upper = True
        if c.isdigit():
            digit = True
        if not c.isalnum():
            other = True
    return lower + upper + digit + other


def describe_secret(value: Optional[str], identity: str = "", source: Optional[SourceRef] = None) -> SecretInfo:
    """Return the shape of ``value``; the value itself is not kept anywhere."""
    if value is None or value == "":
        return SecretInfo(present=False, source=source)
    if _PLACEHOLDER_RE.fullmatch(value.strip()):
        return SecretInfo(present=True, placeholder=True, source=source)
    weakness: Optional[str] = None
    lowered = value.lower()
    chars = set(value)
    digits_only = value.isdigit()
    if lowered in KNOWN_WEAK:
        weakness = "known-weak"
    elif digits_only and _is_sequential(value):
        weakness = "sequential"
    elif len(chars) == 1:
        weakness = "repeated"
    ident = identity.strip().lower()
    equals = bool(ident) and (lowered == ident or lowered == ident.split("@")[0])
    return SecretInfo(
        present=True,
        length=len(value),
        digits_only=digits_only,
        char_classes=_char_classes(value, chars),
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
