"""Kamailio carrierroute's route file (``config_source "file"``, ``config_file``, default
/etc/kamailio/carrierroute.conf), read as the module reads it: ``cr_config.c`` ``load_config`` over the
line reader of ``parser_carrierroute.c`` (Kamailio's own parser; the libconfuse one of old releases is gone).

The file is a strict line format, not a free-form config language::

    domain <name> {            # or "domain <name>{", or the "{" alone on the next line
        prefix <digits|NULL> {
            max_targets = <n>      # the only prefix option, before the first target
            target <host|NULL> {   # the host the request URI is rewritten to (sip:<user>@<host>)
                prob = 0.5         # comment, strip, rewrite_prefix, prob, hash_index,
                status = 1         # rewrite_suffix, status, backed_up, backup: "name = value"
            }                      # exactly max_targets targets
        }
    }

What get_non_blank_line does: each line is read with ``fgets(buf, 256)`` and must end with a newline (a longer
line, or a last line without one, is refused), then trimmed of blanks; blank lines are skipped; there are no
comments (a ``#`` line is an option line without ``=``). Any deviation makes load_config fail, so mod_init
fails and Kamailio does not start: every problem here is fatal, naming the line, never a value. At most 64
domains (MAX_DOMAIN_NUM). One pass over the lines: linear in the input.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from voxaudit.parsers.problem import Problem

CR_MAX_LINE_SIZE = 256  # parser_carrierroute.h: fgets(buf, 256): at most 255 characters with the newline
MAX_DOMAIN_NUM = 64  # parser_carrierroute.h
INT_LIST_MAX_SIZE = 10
INT_MAX = 2**31 - 1
FLT_MAX = 3.4028234663852886e38
MAX_TARGETS = 10000  # targets kept from one file (bounded work and report size)
EMPTY = "null"  # CR_EMPTY_PREFIX "NULL", compared without case: an empty prefix / no host

# target option -> type (cr_config.c init_target_opts)
TARGET_OPTIONS = {"comment": "str", "strip": "int", "rewrite_prefix": "str", "prob": "float", "hash_index": "int",
                  "rewrite_suffix": "str", "status": "int", "backed_up": "int_list", "backup": "int"}
PREFIX_OPTIONS = {"max_targets": "int"}
_INT_RE = re.compile(r"[ \t\n\v\f\r]*[+-]?[0-9]+")  # strtol(s, &end, 10) consuming all of s
_FLOAT_RE = re.compile(r"[ \t\n\v\f\r]*[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                       r"|0[xX](?:[0-9a-fA-F]+(?:\.[0-9a-fA-F]*)?|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?"
                       r"|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN](?:\([0-9A-Za-z_]*\))?)")
_TRIM = " \t\r\n"  # core trim(): blanks, tabs, CR, LF
_SPACE_RE = re.compile(r"[ \t\n\v\f\r]+")


@dataclass
class Target:
    domain: str
    prefix: str
    host: str  # "" for NULL: no destination (a blocklisted prefix)
    line: int
    status: int = 0


@dataclass
class RouteFile:
    targets: list[Target] = field(default_factory=list)
    problem: Problem | None = None  # the first error: Kamailio refuses the whole file
    content_lines: int = 0


class _Refused(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


class _Lines:
    """get_non_blank_line over the file's lines: (number, trimmed text), refusing an over-long or unterminated
    line; ``back()`` is the fseek back the parser does after a header that is not the one it expected."""

    def __init__(self, text: str) -> None:
        self.raw = text.split("\n") if text else []
        self.ends_with_newline = text.endswith("\n")
        if self.ends_with_newline:
            self.raw.pop()
        self.pos = 0
        self.last = 0

    def next(self) -> tuple[int, str] | None:
        while self.pos < len(self.raw):
            n = self.pos + 1
            raw = self.raw[self.pos]
            self.pos += 1
            self.last = n
            size = len(raw) if raw.isascii() else len(raw.encode())  # fgets counts bytes
            if size + 1 > CR_MAX_LINE_SIZE - 1:
                raise _Refused(n, f"line longer than {CR_MAX_LINE_SIZE - 2} characters: carrierroute refuses it")
            if self.pos == len(self.raw) and not self.ends_with_newline:
                raise _Refused(n, "the last line does not end with a newline: carrierroute refuses it")
            body = raw.strip(_TRIM)
            if body:
                return n, body
        return None

    def back(self) -> None:
        self.pos = self.last - 1


def _header(lines: _Lines, kind: str) -> tuple[int, str] | None:
    """parse_struct_header: ``<kind> <name> {`` -> (line, name); None (and the line given back) when the next
    line is not such a header; an error where it is one but malformed. Raises nothing at end of file."""
    got = lines.next()
    if got is None:
        return None
    n, body = got
    if not body.startswith(kind):  # sscanf(" <kind> %s %s %*s") fails on the literal
        lines.back()
        return None
    tokens = [t for t in _SPACE_RE.split(body[len(kind):]) if t]  # sscanf's %s: C isspace() separates
    if not tokens:
        lines.back()
        return None
    name = tokens[0]
    if len(tokens) == 1:
        if name.endswith("{"):
            if len(name) == 1:
                raise _Refused(n, f"{kind} header without a name")
            return n, name[:-1]
        follow = lines.next()
        if follow is None or not follow[1].startswith("{"):
            raise _Refused(n, f"{kind} header not followed by '{{'")
        return n, name
    if not tokens[1].startswith("{"):
        raise _Refused(n, f"{kind} header: '{{' expected after the name")
    return n, name


def _value_ok(kind: str, value: str) -> int | None:
    """parse_rv_option: is the value of its type? An int's value is returned (0 for other types); None: refused."""
    if kind == "int":
        if not _INT_RE.fullmatch(value):
            return None
        number = int(value.strip())
        return number if 0 <= number <= INT_MAX else None
    if kind == "float":
        if not _FLOAT_RE.fullmatch(value):
            return None
        text = value.strip()
        if text.lstrip("+-")[:3].lower() == "nan":
            return 0  # strtod reads NaN, and no comparison refuses it
        try:
            number = float.fromhex(text) if "x" in text.lower() else float(text)
        except (ValueError, OverflowError):
            return None
        return 0 if 0.0 <= number <= FLT_MAX else None
    if kind == "str":  # the module checks that one end is a quote and no quote is inside
        if (value[0] != '"' and value[-1] != '"') or len(value) < 2 or '"' in value[1:-2]:
            return None
        return 0
    # int_list: "{1, 2}"
    if len(value) == 2 or (value[0] != "{" and value[-1] != "}"):
        return None
    items = [t for t in re.split(r"[, \t]", value[1:-1]) if t]
    if not items or len(items) > INT_LIST_MAX_SIZE:
        return None
    return 0 if all(_value_ok("int", t) is not None for t in items) else None


def _options(lines: _Lines, allowed: dict[str, str], end: str) -> dict[str, int]:
    """parse_options: ``name = value`` lines until one starting with ``end`` (given back)."""
    seen: dict[str, int] = {}
    while True:
        got = lines.next()
        if got is None:
            raise _Refused(lines.last, f"end of file before '{end}'")
        n, body = got
        if body.startswith(end):
            lines.back()
            return seen
        name, eq, value = body.partition("=")
        name, value = name.strip(_TRIM), value.strip(_TRIM)
        if not eq or not name or not value:
            raise _Refused(n, "not a 'name = value' option line")
        if name not in allowed:
            raise _Refused(n, "unknown option")
        if name in seen:
            raise _Refused(n, f"option {name!r} given twice")
        number = _value_ok(allowed[name], value)
        if number is None:
            raise _Refused(n, f"the value of {name!r} is not of its type ({allowed[name].replace('_', ' ')})")
        seen[name] = number


def _close(lines: _Lines, what: str) -> None:
    """parse_struct_stop: the next line is exactly ``}``."""
    got = lines.next()
    if got is None or got[1] != "}":
        raise _Refused(got[0] if got else lines.last, f"'}}' expected to close the {what}")


def parse_carrierroute(text: str, file: str) -> RouteFile:
    """The route file's targets; the first error refuses the whole file (a fatal problem naming its line)."""
    out = RouteFile(content_lines=sum(1 for ln in text.split("\n") if ln.strip(_TRIM)))
    lines = _Lines(text)
    domains = total = 0
    try:
        while True:
            head = _header(lines, "domain")
            if head is None:
                if lines.next() is not None:
                    raise _Refused(lines.last, "a 'domain <name> {' header expected")
                break
            domains += 1
            if domains > MAX_DOMAIN_NUM:
                raise _Refused(head[0], f"more than {MAX_DOMAIN_NUM} domains: carrierroute refuses the file")
            domain = head[1]
            while (prefix_head := _header(lines, "prefix")) is not None:
                prefix = "" if prefix_head[1].lower() == EMPTY else prefix_head[1]
                max_targets = _options(lines, PREFIX_OPTIONS, "target").get("max_targets", -1)
                if max_targets < 0:
                    raise _Refused(prefix_head[0], "prefix without max_targets")
                for _ in range(max_targets):
                    target = _header(lines, "target")
                    if target is None:
                        raise _Refused(lines.last, "fewer targets than max_targets")
                    opts = _options(lines, TARGET_OPTIONS, "}")
                    _close(lines, "target")
                    total += 1
                    if total <= MAX_TARGETS:
                        host = "" if target[1].lower() == EMPTY else target[1]
                        out.targets.append(Target(domain, prefix, host, target[0], opts.get("status", 0)))
                _close(lines, "prefix")
            _close(lines, "domain")
    except _Refused as exc:
        out.problem = Problem(file=file, line=exc.line, fatal=True, message=(
            f"{file} line {exc.line}: {exc.message}; carrierroute's load_config fails on it, so Kamailio does not "
            "start with this file"))
    if total > MAX_TARGETS and out.problem is None:
        out.problem = Problem(file=file, line=0, fatal=False, message=(
            f"more than {MAX_TARGETS} targets: the rest is not assessed"))
    return out
