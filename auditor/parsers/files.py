"""Reading one configuration file safely, for every reader: a regular file only (never blocking on a
FIFO or a device), no symbolic link swapped in after the reader checked the path, bounded in size,
never binary. Each reader decides what a failure means for its platform (fatal or a gap) and words
the Problem; the reason here names no content of the file."""
from __future__ import annotations

import os
from pathlib import Path

from voxaudit.files import UnreadableFile, open_no_follow, read_regular, why
from voxaudit.parsers.problem import Problem

MAX_FOREIGN_LISTED = 10_000  # files looked at before the count is given as "at least"

__all__ = ["LoadBudget", "UnreadableFile", "foreign_files", "lines", "read_config_file", "why"]


class LoadBudget:
    """How many file loads one include tree may make. A site laid out as one file per extension or user is
    20,000 loads of 20,000 files, which the platforms read without a bound; a fan-out (a few files that each
    include a glob of the next few, level after level) is the same few files loaded without end. So every
    distinct file may be loaded a few times, plus a flat allowance, under a ceiling."""

    def __init__(self, flat: int = 2000, per_file: int = 4, ceiling: int = 50_000) -> None:
        self.flat, self.per_file, self.ceiling = flat, per_file, ceiling
        self.loads = 0
        self.distinct: set[str] = set()

    def spend(self, path: str) -> bool:
        """Count one load of ``path``; False once the tree has loaded more than its budget."""
        self.loads += 1
        self.distinct.add(path)
        return self.loads <= min(self.ceiling, self.flat + self.per_file * len(self.distinct))

    def said(self) -> str:
        """Why reading stopped, in numbers only."""
        return f"{self.loads - 1} file loads of {len(self.distinct)} distinct files (an include fan-out)"


def _open(path: str) -> int:
    """The configuration readers' open (a seam the tests use to simulate refusals)."""
    return open_no_follow(path)


def read_config_file(path: str, max_bytes: int) -> bytes:
    """The bytes of a regular, non-binary file of at most ``max_bytes``, or :class:`UnreadableFile`."""
    raw = read_regular(path, max_bytes, opener=_open)
    if b"\x00" in raw:
        raise UnreadableFile("binary", "file is binary (contains NUL bytes)")
    return raw


def lines(text: str) -> list[str]:
    """The lines of a file as the programs we read split them: at "\\n" only, without a trailing "\\r".
    ``str.splitlines`` also breaks at form feed, vertical tab, \\x1c-\\x1e, \\x85, U+2028 and U+2029, which a
    phone, cron, logrotate or Postfix take as characters of the line: a second ``key = value`` hidden
    behind a form feed would be read as overriding the first, where the program sees one garbled value."""
    out = text.split("\n")
    if out and out[-1] == "":
        out.pop()  # a final newline ends the last line; it does not start another
    return [ln[:-1] if ln.endswith("\r") else ln for ln in out]


def foreign_files(directory: Path, what: str, suffixes: set[str]) -> list[Problem]:
    """For a per-file platform (phones, switches, MDM) whose directory holds files but none it reads: one
    gap saying so, so the target is an ERROR with the reason, never a quiet NOT_APPLICABLE ("no files").
    An empty directory (a backup job that wrote nothing, a wrong mount) is fatal: nothing to audit, as a
    PBX folder without its configuration is (every check ERROR, exit 3 alone). Nothing when it is no
    directory. Bounded: at most MAX_FOREIGN_LISTED names."""
    if not directory.is_dir():
        return []
    count = 0
    for _root, _dirs, names in os.walk(directory):
        count += len(names)
        if count >= MAX_FOREIGN_LISTED:
            break
    if not count:
        return [Problem(".", 0, f"the folder holds no file at all: no {what.removeprefix('a ').removeprefix('an ')} "
                                "to audit (a backup job that wrote nothing, or a wrong path?)", True)]
    shown = f"at least {count}" if count >= MAX_FOREIGN_LISTED else str(count)
    return [Problem(".", 0, f"{shown} file(s) here, none of them {what} ({', '.join(sorted(suffixes))}): "
                            "nothing was audited", False)]
