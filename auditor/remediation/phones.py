"""Desk-phone provisioning writer: Yealink ``.cfg`` files (``key = value`` lines).

The facts keep each phone file as its own configuration root (the file name) and each account's vendor.
A Yealink parameter that is written is changed on its own line (the last one that sets it: the phone
keeps the last value), the spacing around ``=`` and any trailing text kept; one that is not written is
added as a new ``key = value`` line at the end of the file, which the phone reads like any other.
Notes (a password, a transport the registrar must offer first) are ``# voxaudit: ...`` lines before the
line the finding points at, or at the end of the file. Poly, Grandstream and Cisco files are not yet
patchable: each of their findings says so. A value or key with a newline, quote, ``#`` or ``<`` is
refused (NotWritable), never written broken.
"""
from __future__ import annotations

from pathlib import Path

from voxaudit.facts.phones import PhoneFacts
from voxaudit.remediation.change import NOTE, Change
from voxaudit.remediation.diff import FileEdit
from voxaudit.remediation.tree import NotWritable, Placed, TreeWriter

PATCHABLE_VENDORS = ("yealink",)
_BAD = set('\r\n"\'<>#=;\\\x00')


def _key_of(line: str) -> str:
    """The key of a ``key = value`` line, lower case; '' for a comment or any other line. Linear."""
    s = line.strip()
    if not s or s.startswith(("#", ";")) or "=" not in s:
        return ""
    return s.split("=", 1)[0].strip().lower()


class PhoneWriter(TreeWriter):
    def __init__(self, facts: PhoneFacts, config_dir: Path) -> None:
        super().__init__(config_dir, config_dir)
        self.facts = facts

    def _vendor(self, change: Change) -> str:
        obj = self.facts.named(change.kind, change.section) if change.kind else None
        return (obj.get("vendor") or "") if obj is not None else ""

    def place(self, change: Change, location_file: str = "", location_line: int = 0) -> Placed:
        vendor = self._vendor(change)
        if vendor not in PATCHABLE_VENDORS:
            return Placed(why=f"{vendor or 'this'} phone provisioning files are not yet patchable")
        if change.action == NOTE:
            return self._note(change, location_file or change.root, location_line)
        if not change.key or any(c in _BAD for c in change.key + (change.value or "")) \
                or any(c.isspace() for c in change.key):
            raise NotWritable(f"a change to {change.key or 'a parameter'} of {change.root} is not one key = value line")
        return self.once((change.root, change.key.lower(), change.action, change.value or ""), lambda: self._set(change))

    def _set(self, change: Change) -> Placed:
        ed = self.edit(change.root)
        want = change.key.lower()
        at = 0
        for n, text in enumerate(ed.lines, start=1):
            if _key_of(text) == want:
                at = n
        if at:
            text = ed.replace.get(at, ed.lines[at - 1])
            eq = text.index("=")
            rest = text[eq + 1:]
            lead = rest[:len(rest) - len(rest.lstrip(" \t"))]
            ending = text[len(text.rstrip("\r\n")):]
            ed.replace[at] = text[:eq + 1] + lead + (change.value or "") + ending
        else:
            ed.insert_after(len(ed.lines), [f"{change.key} = {change.value}"])
        return Placed(file=ed.path)

    def _note(self, change: Change, rel: str, line: int) -> Placed:
        try:
            ed = self.edit(rel)
        except NotWritable as exc:
            return Placed(why=str(exc))
        comment = "# voxaudit: " + " ".join(change.text.split())
        if 0 < line <= len(ed.lines):
            if ed.line(comment) not in ed.before.get(line, []):
                ed.before.setdefault(line, []).append(ed.line(comment))
        elif not _has(ed, comment):
            ed.insert_after(len(ed.lines), [comment])
        return Placed(file=ed.path)


def _has(ed: FileEdit, text: str) -> bool:
    return ed.line(text) in ed.after.get(len(ed.lines), [])


def writer(facts: PhoneFacts, config_dir: Path) -> PhoneWriter:
    """The writer on the provisioning directory given to ``voxaudit fix --config-dir``."""
    return PhoneWriter(facts, Path(config_dir))
