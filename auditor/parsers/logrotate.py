"""logrotate configuration: which paths are rotated, how often, how many kept.

Only what retention checks need is read: period, ``rotate``, ``maxage`` and the
path patterns of each stanza; global directives apply to stanzas that follow.
"""
from __future__ import annotations

import shlex
from pathlib import Path

from auditor.facts.common import LogrotateRule
from auditor.model import SourceRef

PERIODS = {"hourly", "daily", "weekly", "monthly", "yearly"}


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
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if in_script:
            if line == "endscript":
                in_script = False
            continue
        if current is None:
            if line.endswith("{"):
                try:
                    pending_paths += shlex.split(line[:-1])
                except ValueError as exc:
                    raise LogrotateError(file, lineno, f"bad path list: {exc}") from None
                current = dict(defaults)
                start_line = lineno
                continue
            if line.startswith("/") or line.startswith("__") or line.startswith('"'):
                pending_paths += shlex.split(line)  # paths may span lines before '{'
                continue
            _apply(defaults, line, file, lineno)
            continue
        if line == "}":
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
    elif key in {"rotate", "maxage"}:
        if len(words) < 2 or not words[1].lstrip("-").isdigit():
            raise LogrotateError(file, lineno, f"'{key}' needs a whole number")
        target[key] = max(int(words[1]), 0)


def parse_logrotate_file(path: Path, display: str) -> list[LogrotateRule]:
    return parse_logrotate(path.read_text(encoding="utf-8", errors="replace"), display)
