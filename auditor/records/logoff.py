"""Automatic logoff: how long an administrative session may sit idle before the interface ends it."""
from __future__ import annotations

from typing import Optional

from voxaudit.records.base import Record


class AdminSession(Record, frozen=True, kw_only=True):
    """One administrative interface's idle-session limit (a web UI, a terminal line, a manager API).

    ``service`` names the interface for evidence ("AMI over HTTP", "line vty 0 4", "phone web UI");
    ``setting`` the option that sets the limit, in the platform's words ("manager.conf httptimeout");
    ``idle_seconds`` the idle time after which a session ends, None when it never ends; ``default``:
    the option is not set, so the value is the platform's own default (the adapter applies it);
    ``no_sessions``: why the interface keeps no session that could be left open, so nothing needs
    ending ("" when it does);
    ``undecidable``: why the configuration read cannot tell (a setting kept in a database or a
    file outside the snapshot, an option name not verified for this vendor)."""

    service: str
    setting: str = ""
    idle_seconds: Optional[int] = None
    default: bool = False
    no_sessions: str = ""
    undecidable: str = ""
