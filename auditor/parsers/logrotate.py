"""logrotate configuration: which paths are rotated, how often, how many kept.

Only what retention checks need is read: period, ``rotate``, ``maxage`` and the
path patterns of each stanza; global directives apply to stanzas that follow.

Every failure is a :class:`LogrotateError` naming the file, line and directive (never a value),
so the collector reports it and goes on; files are bounded in size and numbers in digits, and
the path lists are split in one linear pass.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

from voxaudit.facts.common import LogrotateRule
from voxaudit.model import SourceRef
from voxaudit.parsers.files import lines

PERIODS = {"hourly", "daily", "weekly", "monthly", "yearly"}
MAX_FILE_BYTES = 1024 * 1024  # a logrotate.d entry is a few hundred bytes
MAX_LINE_CHARS = 64 * 1024
# logrotate reads counts with strtol/strtoul base 0 (config.c): decimal, 0x hexadecimal, a leading 0 octal; more
# digits than these is no policy anyone wrote.
_COUNT_RE = re.compile(r"([+-]?)(0[xX][0-9a-fA-F]{1,8}|0[0-7]{0,10}|[1-9][0-9]{0,8})")


def _paths(line: str, file: str, lineno: int) -> list[str]:
    """The path patterns of a stanza head, quoted as logrotate allows (shell-like words)."""
    if len(line) > MAX_LINE_CHARS:
        raise LogrotateError(file, lineno, f"line longer than {MAX_LINE_CHARS} characters")
    try:
        return shlex.split(line)
    except ValueError:  # its message is fixed ("No closing quotation"), but say it in our words
        raise LogrotateError(file, lineno, "bad path list: unbalanced quotes") from None


class LogrotateError(ValueError):
    def __init__(self, file: str, line: int, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}")
        self.file, self.line = file, line


def parse_logrotate(text: str, file: str) -> list[LogrotateRule]:
    rules: list[LogrotateRule] = []
    defaults: dict[str, object] = {"period": "weekly", "rotate": None, "maxage": None}
    current: dict[str, object] | None = None
    pending_paths: list[str] = []
    start_line = 0
    in_script = False
    for lineno, raw in enumerate(lines(text), start=1):  # at "\n" only, as logrotate reads
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if in_script:
            if line == "endscript":
                in_script = False
            continue
        if current is None:
            if line.endswith("{"):
                pending_paths += _paths(line[:-1], file, lineno)
                current = dict(defaults)
                start_line = lineno
                continue
            if line.startswith(("/", "__", '"')):
                pending_paths += _paths(line, file, lineno)  # paths may span lines before '{'
                continue
            _apply(defaults, line, file, lineno)
            continue
        if line == "}":
            for key in ("size", "maxsize"):
                if key in current:
                    raise LogrotateError(file, int(current[key]),  # type: ignore[call-overload]
                                         f"'{key}' rotates by size: how long logs are kept depends on how fast "
                                         "they grow, so retention cannot be judged from the policy")
            rules.append(LogrotateRule(
                paths=pending_paths, period=str(current["period"]),
                rotate=current["rotate"], maxage=current["maxage"],  # type: ignore[arg-type]
                source=SourceRef(file=file, line=start_line),
            ))
            current, pending_paths = None, []
            continue
        if line in {"postrotate", "prerotate", "firstaction", "lastaction", "preremove"}:
            in_script = True
            continue
        _apply(current, line, file, lineno)
    if current is not None:
        raise LogrotateError(file, start_line, "stanza opened with '{' is never closed")
    return rules


def _apply(target: dict[str, object], line: str, file: str, lineno: int) -> None:
    words = line.split()
    key = words[0]
    if key in PERIODS:
        target["period"] = key
        target.pop("size", None)  # logrotate(8): of 'size' and a period, the one written last decides
    elif key in {"size", "maxsize"}:
        # 'size' rotates by size alone (when written after the period), 'maxsize' also before the period
        # ends: how long rotated logs survive then depends on how fast they grow, which no file says.
        target[key] = lineno
    elif key in {"rotate", "maxage"}:
        count = _c_integer(words[1]) if len(words) > 1 else None
        # rotate: -1 keeps old logs for ever (only maxage removes them); below -1 logrotate refuses the file, as it
        # refuses a negative maxage ("bad rotation count", "bad maximum age")
        if count is None or count < (-1 if key == "rotate" else 0):
            raise LogrotateError(file, lineno, f"'{key}' needs a whole number logrotate accepts (rotate -1 or more, "
                                               "maxage 0 or more)")
        target[key] = count


def _c_integer(word: str) -> int | None:
    """The number strtol(word, &end, 0) reads when it reads all of ``word``; None otherwise."""
    m = _COUNT_RE.fullmatch(word)
    if m is None:
        return None
    sign, digits = m.groups()
    base = 16 if digits[:2].lower() == "0x" else 8 if digits.startswith("0") and len(digits) > 1 else 10
    value = int(digits, base)
    return -value if sign == "-" else value


def parse_logrotate_file(path: Path, display: str) -> list[LogrotateRule]:
    """Raises LogrotateError (the file is not a policy we can read) or OSError (it cannot be read)."""
    with path.open("rb") as fh:
        raw = fh.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise LogrotateError(display, 0, "file larger than 1 MiB; not a logrotate policy")
    if b"\x00" in raw:
        raise LogrotateError(display, 0, "file is binary (contains NUL bytes)")
    return parse_logrotate(raw.decode("utf-8", errors="replace"), display)
