"""Reading one configuration file safely, for every reader: a regular file only (never blocking on a
FIFO or a device), no symbolic link swapped in after the reader checked the path, bounded in size,
never binary. Each reader decides what a failure means for its platform (fatal or a gap) and words
the Problem; the reason here names no content of the file."""
from __future__ import annotations

import os
import stat


class UnreadableFile(Exception):
    """Why a file was not read. ``kind``: unreadable, not-regular, too-large or binary."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def why(exc: BaseException) -> str:
    """An OS error's own words (no path, no content), else the exception's type."""
    if isinstance(exc, OSError):
        return exc.strerror or exc.__class__.__name__
    return exc.__class__.__name__


# Open for reading: no controlling terminal, no blocking on a FIFO.
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


def _open(path: str) -> int:
    """Open a configuration file for reading, refusing a link swapped in at the end."""
    return os.open(path, _FLAGS | getattr(os, "O_NOFOLLOW", 0))


def read_regular(path: str, max_bytes: int, follow_links: bool = False) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``, or :class:`UnreadableFile`: opened without
    blocking (a FIFO) or becoming a controlling terminal, refused unless regular (a device never ends).
    ``follow_links``: a path people give (a profile, a ``file:`` secret) may be a link; a configuration
    tree's files are resolved by their reader first, so a link swapped in at the end is refused."""
    try:
        fd = os.open(path, _FLAGS) if follow_links else _open(path)
    except OSError as exc:
        raise UnreadableFile("unreadable", f"cannot read file: {why(exc)}") from None
    too_large = UnreadableFile("too-large", f"file larger than {max_bytes // (1024 * 1024)} MiB; not read")
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnreadableFile("not-regular", "not a regular file; not read")
        if st.st_size > max_bytes:
            raise too_large
        with os.fdopen(fd, "rb", closefd=False) as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise UnreadableFile("unreadable", f"cannot read file: {why(exc)}") from None
    finally:
        os.close(fd)
    if len(raw) > max_bytes:
        raise too_large
    return raw


def read_config_file(path: str, max_bytes: int) -> bytes:
    """The bytes of a regular, non-binary file of at most ``max_bytes``, or :class:`UnreadableFile`."""
    raw = read_regular(path, max_bytes)
    if b"\x00" in raw:
        raise UnreadableFile("binary", "file is binary (contains NUL bytes)")
    return raw
