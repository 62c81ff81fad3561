"""Credential references: the inventory names where a secret lives, never the secret.

``env:NAME`` (an environment variable), ``file:PATH`` (a file's first line, or the whole file
for a private key; relative to the inventory), ``keyring:SERVICE/USERNAME`` (the OS keyring
through ``keyring``). A resolved :class:`Secret` prints as its reference only, so a secret
cannot reach a report, a log line or an exception message by accident.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REF_RE = re.compile(r"^(?P<scheme>env|file|keyring):(?P<rest>.+)$")


class CredentialError(Exception):
    """A reference that cannot be resolved; the message names the reference, never a value."""


class Secret:
    __slots__ = ("_value", "ref")

    def __init__(self, value: str, ref: str) -> None:
        self._value = value
        self.ref = ref

    def reveal(self) -> str:
        """The value, for the one call that needs it (a login); never store the result."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self.ref})"

    __str__ = __repr__

    def __reduce__(self):  # never pickled into a task queue or cache with its value
        raise TypeError("a Secret cannot be serialised")


def validate_ref(ref: str) -> str:
    """For inventory validation: the shape of a reference, without resolving it."""
    if not REF_RE.match(ref or ""):
        raise ValueError("credentials are references like env:NAME, file:PATH or keyring:SERVICE/USER, "
                         "never inline values")
    return ref


def resolve(ref: str, base: Path | None = None, whole_file: bool = False) -> Secret:
    m = REF_RE.match(ref or "")
    if not m:
        raise CredentialError("not a credential reference: use env:NAME, file:PATH or keyring:SERVICE/USER")
    scheme, rest = m.group("scheme"), m.group("rest")
    if scheme == "env":
        value = os.environ.get(rest)
        if value is None:
            raise CredentialError(f"{ref}: environment variable {rest} is not set")
        return _non_empty(value, ref)
    if scheme == "file":
        path = Path(rest).expanduser()
        if not path.is_absolute() and base is not None:
            path = base / path
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CredentialError(f"{ref}: cannot read ({exc.strerror})") from None
        except UnicodeDecodeError:  # its message would quote a byte of the secret and where it sits
            raise CredentialError(f"{ref}: not UTF-8 text") from None
        value = text if whole_file else (text.splitlines()[0] if text else "")
        return _non_empty(value, ref)
    service, _, user = rest.partition("/")
    try:
        import keyring
    except ImportError:
        raise CredentialError(f"{ref}: keyring: references need the keyring library: "
                              "pip install 'voxaudit[live]'") from None
    try:
        value = keyring.get_password(service, user)
    except Exception as exc:  # noqa: BLE001 - no keyring backend on a headless scanner, or any backend error
        raise CredentialError(f"{ref}: keyring unavailable ({exc.__class__.__name__})") from None
    if value is None:
        raise CredentialError(f"{ref}: no such entry in the keyring")
    return _non_empty(value, ref)


def _non_empty(value: str, ref: str) -> Secret:
    """An empty secret is a reference that did not resolve to anything (an empty file, ``export X=``):
    using it would probe with nothing and read the silence as a refusal."""
    if not value.strip():
        raise CredentialError(f"{ref}: empty")
    return Secret(value, ref)


def key_path(ref: str, base: Path | None = None) -> Path | None:
    """A file: reference to a private key, as a path (paramiko reads it itself)."""
    m = REF_RE.match(ref or "")
    if not m or m.group("scheme") != "file":
        return None
    path = Path(m.group("rest")).expanduser()
    return path if path.is_absolute() or base is None else base / path


def redact_url(url: str) -> str:
    """A service URL as it may be shown (broker, database): its password, if any, becomes ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
