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
        text = _read_secret_file(path, ref)
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


MAX_SECRET_FILE = 1024 * 1024  # a password or a private key; far more is not one (/dev/zero, a disk image)


def _read_secret_file(path: Path, ref: str) -> str:
    """A regular file's text, bounded: a FIFO or a device would block or never end (``file:/dev/zero``)."""
    from voxaudit.files import UnreadableFile, read_regular

    try:
        raw = read_regular(str(path), MAX_SECRET_FILE, follow_links=True)
    except UnreadableFile as exc:
        said = {"not-regular": "not a regular file", "too-large": f"larger than {MAX_SECRET_FILE // 1024} KiB; "
                "not a secret"}.get(exc.kind, f"cannot read ({exc.reason.removeprefix('cannot read file: ')})")
        raise CredentialError(f"{ref}: {said}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:  # its message would quote a byte of the secret and where it sits
        raise CredentialError(f"{ref}: not UTF-8 text") from None


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


# Query parameters whose value is a secret in the URLs we take (libpq's password/sslpassword, a
# token or key some brokers accept); matched on the lower-cased name, before any "=".
_SECRET_PARAMS = ("pass", "secret", "token", "key", "auth", "cred")
_QUOTED = re.compile(r'"[^"\n]*"|\'[^\'\n]*\'')  # one quoted span, no nesting: linear


def _secret_spans(url: str) -> list[tuple[int, int]]:
    """Where in ``url`` a secret may sit, as (start, end) offsets: the user-info's password (or the
    whole user-info when its user part holds a character that ends the authority, ``/?#``, so that a
    password containing one still counts), and the values of password-like query parameters (or a
    whole parameter without ``=``: it may be a pasted secret). Not a URL at all: all of it.

    Why not ``urlsplit``: it stops the authority at the first ``/``, ``?`` or ``#``, so a password
    holding one of them is read as path or query and shown, and its ``.port`` raises a ``ValueError``
    quoting what follows the last ``:`` (which may be the password)."""
    sep = url.find("://")
    if sep < 0:
        return [(0, len(url))] if url else []
    base = sep + 3
    spans: list[tuple[int, int]] = []
    at = url.rfind("@", base)
    if at >= 0:
        colon = url.find(":", base, at)
        if any(ch in url[base:colon if colon >= 0 else at] for ch in "/?#"):
            spans.append((base, at))
        elif colon >= 0 and colon + 1 < at:
            spans.append((colon + 1, at))
        base = at + 1
    host_end = len(url)
    for ch in "/?#":
        found = url.find(ch, base)
        if 0 <= found < host_end:
            host_end = found
    colon = url.rfind(":", max(base, url.rfind("]", base, host_end)), host_end)
    if colon >= 0 and not url[colon + 1:host_end].isdigit():
        spans.append((colon + 1, host_end))  # a "port" that is no number: a password typed after the host
    q = url.find("?", base)
    if q >= 0:
        end = url.find("#", q)
        end = len(url) if end < 0 else end
        pos = q + 1
        while pos <= end:
            amp = url.find("&", pos, end)
            stop = end if amp < 0 else amp
            eq = url.find("=", pos, stop)
            if eq < 0:
                spans.append((pos, stop))
            elif any(word in url[pos:eq].lower() for word in _SECRET_PARAMS):
                spans.append((eq + 1, stop))
            pos = stop + 1
    return [(a, b) for a, b in spans if b > a]


def url_secrets(url: str) -> list[str]:
    """The parts of a service URL that may be a secret, as written (see :func:`_secret_spans`)."""
    return [url[a:b] for a, b in _secret_spans(url)]


def redact_url(url: str) -> str:
    """A service URL as it may be shown (broker, database): its password, password-like query
    parameters and anything that cannot be told apart from them become ``***``; never raises."""
    out: list[str] = []
    last = 0
    for a, b in _secret_spans(url):
        out += [url[last:a], "***"]
        last = b
    return "".join(out) + url[last:]


def scrub(message: str, url: str) -> str:
    """A driver's or broker client's error message about ``url``, safe to show: libpq, kombu and redis
    quote the offending value (``invalid integer value "..." for connection option "port"``), and that
    value may be a password typed in the wrong place. Every quoted span and every secret of the URL go."""
    for secret in sorted(url_secrets(url), key=len, reverse=True):
        if len(secret) >= 3:  # shorter is no secret worth hiding, and would garble the message
            message = message.replace(secret, "***")
    return _QUOTED.sub('"***"', message)
