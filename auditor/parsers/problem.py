"""The one record every parser uses for what it could not read."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Problem:
    """A problem at ``file:line``. ``fatal``: the platform itself would refuse to load the file."""

    file: str
    line: int
    message: str
    fatal: bool
