"""One change to one setting, as a binding states it (no file, no line: the writer finds those)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

SET, REMOVE, NOTE = "set", "remove", "note"


@dataclass(frozen=True)
class Change:
    """``section``/``key`` in the configuration root ``root`` (the file the platform reads first, e.g.
    ``voicemail.conf``); ``kind`` names the facts' object type that holds the section (its source
    locations say where the section and the key are written), empty when none does.

    ``note`` is a human choice the tool must not make (a PIN, a password, a certificate, which
    transport): the patch carries ``text`` as a marked comment and changes nothing. ``text`` names
    files, sections and keys only, never a value read from the configuration."""

    root: str
    section: str
    key: str = ""
    value: Optional[str] = None
    action: str = SET
    kind: str = ""
    sep: str = "="
    text: str = ""

    @property
    def needs_person(self) -> bool:
        return self.action == NOTE


def set_(root: str, section: str, key: str, value: str, kind: str = "", sep: str = "=") -> Change:
    return Change(root, section, key, value, SET, kind, sep)


def remove(root: str, section: str, key: str, kind: str = "") -> Change:
    return Change(root, section, key, None, REMOVE, kind)


def note(root: str, section: str, text: str, kind: str = "") -> Change:
    return Change(root, section, action=NOTE, kind=kind, text=text)
