"""Reading one configuration file safely, for every reader: a regular file only (never blocking on a
FIFO or a device), no symbolic link swapped in after the reader checked the path, bounded in size,
never binary. Each reader decides what a failure means for its platform (fatal or a gap) and words
the Problem; the reason here names no content of the file."""
from __future__ import annotations

from voxaudit.files import UnreadableFile, open_no_follow, read_regular, why

__all__ = ["UnreadableFile", "read_config_file", "why"]


def _open(path: str) -> int:
    """The configuration readers' open (a seam the tests use to simulate refusals)."""
    return open_no_follow(path)


def read_config_file(path: str, max_bytes: int) -> bytes:
    """The bytes of a regular, non-binary file of at most ``max_bytes``, or :class:`UnreadableFile`."""
    raw = read_regular(path, max_bytes, opener=_open)
    if b"\x00" in raw:
        raise UnreadableFile("binary", "file is binary (contains NUL bytes)")
    return raw
