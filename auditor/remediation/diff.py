"""One file's edits, applied to its original lines, and written as a unified diff for ``patch -p1``.

Hunks carry no context lines (``n=0``): a context line could be a neighbouring ``secret=`` or a
mailbox line with its PIN, and no secret may appear in a patch. The line numbers are exact (the diff is
made from the very file the facts were read from), which is all GNU patch needs for such hunks.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

NO_NEWLINE = "\\ No newline at end of file\n"


@dataclass
class FileEdit:
    """Edits by original line number (1-based), so several edits never shift each other."""

    path: str  # as the patch names it, relative to the config root given to ``voxaudit fix``
    lines: list[str]  # the original text, line endings kept
    replace: dict[int, str] = field(default_factory=dict)
    delete: set[int] = field(default_factory=set)
    before: dict[int, list[str]] = field(default_factory=dict)  # inserted before line n
    after: dict[int, list[str]] = field(default_factory=dict)  # inserted after line n (0: at the top)

    @property
    def newline(self) -> str:
        return "\r\n" if self.lines and self.lines[0].endswith("\r\n") else "\n"

    def line(self, text: str) -> str:
        return text + self.newline

    def insert_after(self, n: int, texts: list[str]) -> None:
        """Add lines after line ``n``; a last line without a newline gets one first."""
        if n == len(self.lines) and self.lines and not self.lines[-1].endswith("\n"):
            self.replace.setdefault(n, self.lines[-1] + self.newline)
        self.after.setdefault(n, []).extend(self.line(t) for t in texts)

    def result(self) -> list[str]:
        out: list[str] = list(self.after.get(0, []))
        for i, text in enumerate(self.lines, start=1):
            out += self.before.get(i, [])
            if i not in self.delete:
                out.append(self.replace.get(i, text))
            out += self.after.get(i, [])
        return out

    def changed(self) -> bool:
        return self.result() != self.lines


def unified(edit: FileEdit) -> str:
    """The diff of one file: ``a/<path>`` to ``b/<path>`` (voxaudit edits existing files only)."""
    out = []
    for line in difflib.unified_diff(edit.lines, edit.result(), f"a/{edit.path}", f"b/{edit.path}", n=0,
                                     lineterm="\n"):
        out.append(line if line.endswith("\n") else line + "\n" + NO_NEWLINE)
    return "".join(out)
