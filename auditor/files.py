"""Reading one file people or devices hand us, safely: a regular file only (never blocking on a FIFO
or reading a device for ever), bounded in size. Configuration readers (voxaudit.parsers.files), the
structured files people write (voxaudit.structured) and ``file:`` secrets (voxaudit.credentials) share it;
the reason it gives names no content of the file."""
from __future__ import annotations

import os
import stat
from typing import Callable, Optional


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


def open_no_follow(path: str) -> int:
    """Open for reading, refusing a link swapped in at the end."""
    return os.open(path, _FLAGS | getattr(os, "O_NOFOLLOW", 0))


def read_regular(path: str, max_bytes: int, follow_links: bool = False,
                 opener: Optional[Callable[[str], int]] = None) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``, or :class:`UnreadableFile`: opened without
    blocking (a FIFO) or becoming a controlling terminal, refused unless regular (a device never ends).
    ``follow_links``: a path people give (a profile, a ``file:`` secret) may be a link; a configuration
    tree's files are resolved by their reader first, so a link swapped in at the end is refused."""
    try:
        fd = os.open(path, _FLAGS) if follow_links else (opener or open_no_follow)(path)
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
