"""Voicemail access policy: what the system enforces on PINs and logins, the ways into the
voicemail menu, and whom a mailbox belongs to."""
from __future__ import annotations

from voxaudit.records.base import Record


class PinPolicy(Record, frozen=True, kw_only=True):
    """The shortest PIN the system lets a user set (0: no length enforced); ``setting`` states it
    as the configuration does ("minpassword=4")."""

    min_length: int
    setting: str


class LoginLimit(Record, frozen=True, kw_only=True):
    """How many wrong PINs one call may try; ``defaulted`` when the configuration leaves the
    platform's default; ``undecidable`` why the value cannot be known from the files."""

    attempts: int
    setting: str
    defaulted: bool = False
    undecidable: str = ""


class BlankPinLogin(Record, frozen=True, kw_only=True):
    """Whether a mailbox with an empty password opens without one (``setting`` as written)."""

    accepted: bool
    setting: str
    undecidable: str = ""


class PinPrompt(Record, frozen=True, kw_only=True):
    """One way into the voicemail menu and whether it asks the PIN: ``access`` is "asks", "skips"
    or "unknown" (decided at run time), ``why`` the reason. ``menu`` names the menu entry, ``call``
    the entry as written; ``mailbox`` the mailbox it names, ``step`` where a plain dialplan step
    runs it ("*98,1"), empty when it runs nested in another application."""

    access: str
    why: str
    menu: str
    call: str
    mailbox: str = ""
    step: str = ""


class MailboxOwner(Record, frozen=True, kw_only=True):
    """A mailbox and the name it is given (its owner's, or a group's)."""

    mailbox: str
    name: str
