"""Where a host's mail transfer agent sends mail on: Postfix ``relayhost``, Exim's Debian smarthost,
msmtp and sSMTP hubs. Voicemail-to-email leaves the PBX through that relay, which is a party PHI
is sent to (164.308(b)(1)); these readers name it and never read a password.

Each reader follows its program's own rules:

* Postfix ``main.cf`` (postconf(5)): a logical line starts with non-whitespace and goes on over
  lines that start with whitespace; a line whose first non-whitespace character is ``#`` is a
  comment; the last definition of a parameter wins; ``$name``/``${name}`` expand other parameters.
  ``relayhost`` is ``[host]:port`` (no MX lookup), ``host:port`` or empty (direct delivery to each
  recipient domain's MX). A ``sender_dependent_relayhost_maps`` or ``transport_maps`` can send
  mail elsewhere per sender or recipient: named, not followed (the maps are separate files).
* Exim on Debian (``update-exim4.conf.conf``): shell-style ``dc_name='value'``; ``dc_smarthost``
  is a colon-separated host list where ``::`` separates a port, used when
  ``dc_eximconfig_configtype`` is ``smarthost`` or ``satellite``.
* msmtp (``msmtprc``): ``host NAME`` per ``account``; ``password`` lines are never looked at.
* sSMTP (``ssmtp.conf``): ``mailhub=host[:port]``; ``AuthPass`` is never looked at.

Every reader is linear in its input and bounded; an evidence file it cannot read is a problem
naming the file and line, never a value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from voxaudit.parsers.files import lines
from voxaudit.parsers.problem import Problem

MAX_LINES = 20000
MAX_EXPANSIONS = 8  # $name references followed inside one value (Postfix recurses; a loop stops here)
MAX_HOST = 253


@dataclass
class Relay:
    """One place mail leaves through: ``host`` ("" = straight to each recipient domain's mail
    exchanger), the file and line that says so, the program; ``undecidable`` when it cannot be
    named from the file (a map, a variable that does not resolve)."""

    program: str
    host: str
    file: str
    line: int
    undecidable: str = ""


def _too_long(text: str, file: str, problems: list[Problem]) -> None:
    """A gap when the file has more lines than are read: a relay named past them would be missed and
    the mail taken to go where the first lines say (real files are a few hundred lines)."""
    if text.count("\n") + (not text.endswith("\n")) > MAX_LINES:
        problems.append(Problem(file, MAX_LINES, f"more than {MAX_LINES} lines; the rest is not read", False))


def _clean_host(text: str) -> str:
    """A relay host as written: ``[host]:port``, ``host:port``, ``host::port`` (Exim), ``[v6]``. Anything
    else (an unclosed bracket, a port that is no number or service name) is returned whole, which
    :func:`_host_ok` refuses: the caller reports it rather than reading a host the program would not."""
    text = text.strip().strip("'\"").strip()
    if text.startswith("["):
        end = text.find("]")
        if end <= 0:
            return text
        host, rest = text[1:end].strip(), text[end + 1:]
    elif text.count(":") > 1 and "::" not in text:  # a bare IPv6 address
        return text
    else:
        host, colon, port = text.partition(":")
        host, rest = host.strip(), colon + port
    if rest and not (rest[:1] == ":" and rest[1:].isascii() and rest[1:].isalnum()):
        return text
    return host


def _host_ok(host: str) -> bool:
    return 0 < len(host) <= MAX_HOST and all(c.isalnum() or c in ".-_:" for c in host)


def postfix_parameters(text: str) -> dict[str, tuple[str, int]]:
    """main.cf's parameters: name -> (value, line of the logical line's start); the last definition wins."""
    params: dict[str, tuple[str, int]] = {}
    name, parts, start = "", [], 0

    def flush() -> None:
        if name:
            params[name] = (" ".join(parts).strip(), start)

    for n, raw in enumerate(lines(text)[:MAX_LINES], 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if raw[:1] in (" ", "\t"):
            if name:
                parts.append(stripped)
            continue
        flush()
        key, eq, value = raw.partition("=")
        name, parts, start = (key.strip(), [value.strip()], n) if eq else ("", [], 0)
    flush()
    return params


def _expand(value: str, params: dict[str, tuple[str, int]]) -> tuple[str, bool]:
    """``$name`` and ``${name}`` replaced by their values (bounded); False when one does not resolve."""
    for _ in range(MAX_EXPANSIONS):
        at = value.find("$")
        if at < 0:
            return value, True
        if value[at + 1:at + 2] in ("{", "("):
            close = value.find("}" if value[at + 1] == "{" else ")", at)
            if close < 0:
                return value, False
            ref, end = value[at + 2:close], close + 1
        else:
            end = at + 1
            while end < len(value) and (value[end].isalnum() or value[end] == "_"):
                end += 1
            ref = value[at + 1:end]
        if ref not in params:
            return value, False
        value = value[:at] + params[ref][0] + value[end:]
    return value, "$" not in value


def parse_postfix(text: str, file: str, problems: list[Problem]) -> list[Relay]:
    _too_long(text, file, problems)
    params = postfix_parameters(text)
    out: list[Relay] = []
    raw, line = params.get("relayhost", ("", 0))
    value, resolved = _expand(raw, params)
    if not resolved:
        out.append(Relay("postfix", "", file, line, "relayhost is built from a parameter this file does not set"))
    else:
        # Postfix splits a destination list at commas, spaces, tabs and newlines only (CHARS_COMMA_SP)
        hosts = [h for h in (_clean_host(v) for v in re.split(r"[, \t\r\n]+", value)) if h]
        bad = [h for h in hosts if not _host_ok(h)]
        if bad:
            problems.append(Problem(file, line, "relayhost does not name a host voxaudit can read", False))
        out += [Relay("postfix", h, file, line) for h in hosts if _host_ok(h)] or (
            [] if bad else [Relay("postfix", "", file, line)])
    for key in ("sender_dependent_relayhost_maps", "transport_maps", "sender_dependent_default_transport_maps"):
        if params.get(key, ("", 0))[0]:
            out.append(Relay("postfix", "", file, params[key][1],
                             f"{key} may send some mail to another relay; capture the map it names"))
    return out


def _shell_assignments(text: str) -> dict[str, tuple[str, int]]:
    out: dict[str, tuple[str, int]] = {}
    for n, raw in enumerate(lines(text)[:MAX_LINES], 1):
        s = raw.strip()
        if not s or s.startswith("#") or "=" not in s:
            continue
        key, _, value = s.partition("=")
        out[key.strip()] = (value.strip().strip("'\""), n)
    return out


def parse_exim_debian(text: str, file: str, problems: list[Problem]) -> list[Relay]:
    _too_long(text, file, problems)
    conf = _shell_assignments(text)
    kind, _ = conf.get("dc_eximconfig_configtype", ("", 0))
    hosts, line = conf.get("dc_smarthost", ("", 0))
    if kind not in ("smarthost", "satellite"):
        return [Relay("exim4", "", file, conf.get("dc_eximconfig_configtype", ("", 0))[1])] if kind == "internet" else []
    out = []
    for item in hosts.split(" : ") if " : " in hosts else [hosts]:
        host = _clean_host(item.replace("::", "\0", 1).split("\0", 1)[0])
        if _host_ok(host):
            out.append(Relay("exim4", host, file, line))
        elif item.strip():
            problems.append(Problem(file, line, "dc_smarthost does not name a host voxaudit can read", False))
    return out or [Relay("exim4", "", file, line, "the smarthost configuration names no host")]


def parse_msmtp(text: str, file: str, problems: list[Problem]) -> list[Relay]:
    _too_long(text, file, problems)
    out = []
    for n, raw in enumerate(lines(text)[:MAX_LINES], 1):
        s = raw.strip()
        if s.startswith("host ") or s.startswith("host\t"):
            host = _clean_host(s[5:])
            if _host_ok(host):
                out.append(Relay("msmtp", host, file, n))
            else:
                problems.append(Problem(file, n, "host does not name a host voxaudit can read", False))
    return out


def parse_ssmtp(text: str, file: str, problems: list[Problem]) -> list[Relay]:
    _too_long(text, file, problems)
    for n, raw in enumerate(lines(text)[:MAX_LINES], 1):
        key, eq, value = raw.strip().partition("=")
        if eq and key.strip().lower() == "mailhub":
            host = _clean_host(value)
            if _host_ok(host):
                return [Relay("ssmtp", host, file, n)]
            problems.append(Problem(file, n, "mailhub does not name a host voxaudit can read", False))
            return []
    return []


# evidence path (the host's own) -> reader
READERS = {
    "etc/postfix/main.cf": parse_postfix,
    "etc/exim4/update-exim4.conf.conf": parse_exim_debian,
    "etc/msmtprc": parse_msmtp,
    "etc/ssmtp/ssmtp.conf": parse_ssmtp,
}
