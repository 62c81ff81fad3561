"""What notifications carry off the voice system, and what screens show of them.

Settings are stated as the platform writes them (``setting="attach=yes"``) so a control can quote
them without knowing them; a control judges the booleans and lists.
"""
from __future__ import annotations

from voxaudit.records.base import Record


class AudioAttachment(Record, frozen=True, kw_only=True):
    """Whether notifications sent for new messages (of one mailbox, one template, or the system
    default every later mailbox inherits) carry the recording itself.

    ``channel`` names what carries it ("email", "notifications", "every mailbox's email"),
    ``setting`` the deciding setting as written or defaulted, ``inherited`` when mailboxes created
    later take the same setting; ``undecidable`` why the files cannot tell."""

    attached: bool
    channel: str
    setting: str
    inherited: bool = False
    undecidable: str = ""


class NotificationText(Record, frozen=True, kw_only=True):
    """The subject and body a notification of a new message is sent with (``channel``: "email" or
    "pager"), and every way it names the caller (``leaks``, each as written: "emailsubject includes
    ${VM_CIDNAME}", or a built-in text that does)."""

    channel: str
    leaks: tuple[str, ...] = ()


class MessageAfterEmail(Record, frozen=True, kw_only=True):
    """Whether a message is deleted from the system once it is emailed (``deleted``), and whether
    that email carries the audio (``attached``); ``deletion`` and ``attachment`` state the settings
    as written; ``undecidable`` why the files cannot tell."""

    deleted: bool
    attached: bool
    deletion: str = ""
    attachment: str = ""
    undecidable: str = ""


class IdleScreenAlerts(Record, frozen=True, kw_only=True):
    """What a desk phone's idle screen pops up for passers-by ("voicemail", "missed-call"); ``undecidable``: why the
    configuration cannot tell (a setting an unrendered template leaves to its placeholder)."""

    shown: tuple[str, ...] = ()
    undecidable: str = ""


class ManagedAppNotifications(Record, frozen=True, kw_only=True):
    """The apps whose notification settings a device policy manages (their IDs), for one kind of
    device; any other app falls back to the user's choice."""

    managed: tuple[str, ...] = ()


class LockScreenContent(Record, frozen=True, kw_only=True):
    """Whether notification content shows on a locked screen (``shown``), for one app (``app``) or
    for every app on the device (``app`` empty); ``setting`` states why, as the policy writes it."""

    shown: bool
    setting: str
    app: str = ""
