"""The one record every parser uses for what it could not read."""
from __future__ import annotations

import re
from dataclasses import dataclass

_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]{0,15}")
# A host as a URL writes it: a name or IPv4 address with an optional port, or a bracketed IPv6 address (only
# there a '%': its zone). '%' anywhere else let "h%2F<token>" (an encoded path) pass for a host name.
_HOST_RE = re.compile(r"[A-Za-z0-9.\-_:]{1,255}|\[[0-9A-Fa-f:.]{2,45}(?:%[A-Za-z0-9._~\-]{1,32})?\](?::[0-9]{1,5})?")
# "scheme:" then two slashes or backslashes in any mix: browsers and many HTTP clients read "http:\\host" and
# "http:/\\host" as "http://host" (WHATWG URL, special schemes), so such a name is a URL too; and so is a
# scheme-relative "//user:password@host/path" (RFC 3986 network-path reference).
_URL_SEP_RE = re.compile(r"^//|:[/\\]{2}")


@dataclass
class Problem:
    """A problem at ``file:line``.

    ``fatal``: the platform itself would refuse to load the file; checks that depend on it are ERROR.
    Otherwise the problem is a *gap*: something present that was not understood (an unknown object
    type, a skipped section, an unreadable include). The runner shows every gap as a warning and gives
    each check that depends on the file an ERROR for it, so coverage drops instead of a check saying
    NOT_APPLICABLE. ``note``: informational only (the platform ignores it too and nothing is hidden
    from the audit, e.g. a ``#tryinclude`` of a file that does not exist); shown, coverage unchanged.

    ``message`` names the file, line, key or section, never a value read from the file: any value may
    be a secret.
    """

    file: str
    line: int
    message: str
    fatal: bool
    note: bool = False


def label(text: str, limit: int = 48) -> str:
    """A key, section or file name fit for a problem message: printable ASCII only (no terminal
    escapes, no newlines), at most ``limit`` characters. Only ever for names, never for values; a name
    that is a URL (a file a phone is told to fetch) shows its scheme, host and port only
    (:func:`shown_url`): its user:password, path and query may hold secrets."""
    if (sep := _URL_SEP_RE.search(text)) is not None:
        text = shown_url(f"{text[:sep.start()]}://{text[sep.end():]}")
    clean = "".join(ch if " " <= ch <= "~" else "?" for ch in text[:limit])
    return clean + ("..." if len(text) > limit else "")


def _shown_host(host: str) -> bool:
    """A host[:port] as a URL writes it (a name, an IPv4 address, a bracketed IPv6 one): "user:password"
    with no "@" after it is none (its "port" is no number)."""
    if not _HOST_RE.fullmatch(host):
        return False
    if host.startswith("["):
        return "]" in host and (host.endswith("]") or host[host.index("]") + 1:].lstrip(":").isdigit())
    name, colon, port = host.partition(":")
    return not colon or (port.isdigit() and len(port) <= 5 and ":" not in port)


def shown_url(url: str) -> str:
    """A URL as evidence: scheme, host and port only. Any userinfo (user:password, a bare
    token, a %-encoded password) is ``<redacted>@``; a path, query or fragment is ``/...``, because
    provisioning servers put secrets there too (per-tenant tokens in the path, ``?token=``,
    ``#access_token=``). Linear: a few ``partition``/``find`` calls."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    end = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    at = rest.rfind("@", 0, end)
    host_start = at + 1
    host_end = min((i for i in (rest.find("/", host_start), rest.find(";", host_start)) if i >= 0), default=len(rest))
    host_end = min(host_end, end) if end > host_start else host_start
    host = rest[host_start:host_end]
    shown_scheme = scheme.lower() if scheme and _SCHEME_RE.fullmatch(scheme) else ("unknown" if scheme else "")
    return "".join((f"{shown_scheme}://" if shown_scheme else "", "<redacted>@" if at >= 0 else "",
                    host if _shown_host(host) else "<not a host name>",
                    "/..." if rest[host_end:].strip("/") else ""))
