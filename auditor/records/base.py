"""What every record has: the resource it describes, where that came from, and how it is known."""
from __future__ import annotations

from typing import Optional

import msgspec

from voxaudit.model import SourceRef


class Record(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One thing a control judges.

    ``subject`` is the resource as reports name it ("mailbox 1001@default", "transport tls-5061"),
    ``source`` the file and line it was read from (None for a target-level observation), and
    ``observed`` tells evidence seen on the network from a setting read in configuration, and
    ``section`` names where its settings are written, in the platform's terms ("voicemail.conf
    [default]"), for the adapter's exact fix."""

    subject: str
    source: Optional[SourceRef] = None
    observed: bool = False
    section: str = ""
