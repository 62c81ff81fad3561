"""Staff devices: phone screen locks (from MDM policies) and how desk phones fetch their configuration."""
from __future__ import annotations

from typing import Optional

from voxaudit.records.base import Record


class Passcode(Record, frozen=True, kw_only=True):
    """A device passcode policy. ``defined`` is False when devices of a kind have no policy at all;
    ``required_option`` / ``length_option`` name the settings as the policy writes them;
    ``min_length`` is the shortest passcode allowed (None: unset or unreadable), ``length_text``
    as written."""

    defined: bool = True
    required: bool = False
    required_option: str = ""
    min_length: Optional[float] = None
    length_option: str = ""
    length_text: str = ""


class AutoLock(Record, frozen=True, kw_only=True):
    """Idle minutes before a device locks (None or <= 0: not set, the user chooses); ``option``
    names the setting as the policy writes it."""

    minutes: Optional[float]
    option: str


class Provisioning(Record, frozen=True, kw_only=True):
    """How a phone fetches its configuration: ``protocol`` and whether it is ``encrypted``.
    Configured (``setting`` names the option, ``url`` its value with any password redacted,
    ``credentials_in_url`` when it embeds user:password) or seen on the wire (``observed``,
    ``fetches`` counted). ``undecidable``: why the configuration read cannot tell how (a file the
    answer depends on could not be read)."""

    protocol: str
    encrypted: bool
    setting: str = ""
    url: str = ""
    credentials_in_url: bool = False
    fetches: int = 0
    undecidable: str = ""
    # Whether the server asks the requester to prove which device it is before handing over a file (HTTP
    # credentials per device, a client certificate): None when the evidence cannot tell (a phone's own
    # settings, a capture); ``authentication`` says how the server decides, as the platform knows it.
    authenticated: Optional[bool] = None
    authentication: str = ""
