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

__all__ = ["UnreadableFile", "foreign_files", "lines", "read_config_file", "why"]


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
    Nothing when the directory is empty or is no directory. Bounded: at most MAX_FOREIGN_LISTED names."""
    if not directory.is_dir():
        return []
    count = 0
    for _root, _dirs, names in os.walk(directory):
        count += len(names)
        if count >= MAX_FOREIGN_LISTED:
            break
    if not count:
        return []
    shown = f"at least {count}" if count >= MAX_FOREIGN_LISTED else str(count)
    return [Problem(".", 0, f"{shown} file(s) here, none of them {what} ({', '.join(sorted(suffixes))}): "
                            "nothing was audited", False)]
