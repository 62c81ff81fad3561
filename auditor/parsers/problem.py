"""The one record every parser uses for what it could not read."""
from __future__ import annotations

from dataclasses import dataclass


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
    escapes, no newlines), at most ``limit`` characters. Only ever for names, never for values."""
    clean = "".join(ch if " " <= ch <= "~" else "?" for ch in text[:limit])
    return clean + ("..." if len(text) > limit else "")
