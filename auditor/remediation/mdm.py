"""MDM profile writer: Apple configuration profiles exported as plist XML (``.mobileconfig``).

The facts keep each passcode key's line (``<key>maxInactivity</key>``). A key that is set has the
``<integer>`` element on the line after it changed, indentation and the rest of the line kept; a key that
is not set is added as ``<key>K</key>`` and ``<integer>V</integer>`` before the payload key the finding
points at, indented like it. Besides the patch, the corrected profile itself is written beside the
patches (``corrected__<file>``) for upload to the MDM. A signed profile (not XML text), Android
Management API and Intune JSON exports are not yet patchable: each finding says so. Notes (a passcode
payload to add, a choice of policy) are ``<!-- voxaudit: ... -->`` lines before the line pointed at.
"""
from __future__ import annotations

from pathlib import Path

from voxaudit.facts.mdm import MdmFacts
from voxaudit.remediation.change import NOTE, Change
from voxaudit.remediation.diff import FileEdit
from voxaudit.remediation.tree import NotWritable, Placed, TreeWriter

# Apple passcode payload keys voxaudit writes, with their plist type
INTEGER_KEYS = ("maxInactivity", "minLength")


def _indent(line: str) -> str:
    return line[:len(line) - len(line.lstrip(" \t"))]


def _is_plist(ed: FileEdit) -> bool:
    head = "".join(ed.lines[:5]).lstrip()
    return head.startswith(("<?xml", "<!DOCTYPE plist", "<plist"))


class MdmWriter(TreeWriter):
    def __init__(self, facts: MdmFacts, config_dir: Path) -> None:
        super().__init__(config_dir, config_dir)
        self.facts = facts

    def _plist(self, rel: str) -> FileEdit:
        if not rel.lower().endswith((".mobileconfig", ".plist")):
            raise NotWritable(f"{rel}: only Apple plist profiles are patchable yet (JSON policy exports are not)")
        ed = self.edit(rel)
        if not _is_plist(ed):
            raise NotWritable(f"{rel} is not a plist XML profile (a signed profile is re-exported from the MDM)")
        return ed

    def place(self, change: Change, location_file: str = "", location_line: int = 0) -> Placed:
        rel = location_file or change.root
        try:
            ed = self._plist(rel)
        except NotWritable as exc:
            return Placed(why=str(exc))
        if change.action == NOTE:
            return self._note(ed, change, location_line)
        if change.key not in INTEGER_KEYS or not (change.value or "").isdigit() or len(change.value or "") > 6:
            raise NotWritable(f"a change to {change.key or 'a key'} of {rel} is not one plist integer")
        return self.once((rel, change.key, change.value or ""), lambda: self._set(ed, change, location_line))

    def _set(self, ed: FileEdit, change: Change, line: int) -> Placed:
        if not 0 < line <= len(ed.lines):
            raise NotWritable(f"{ed.path}:{line} is not in the file")
        text = ed.lines[line - 1]
        if text.strip() == f"<key>{change.key}</key>":
            if line >= len(ed.lines):
                raise NotWritable(f"{ed.path}:{line}: {change.key} has no value after it")
            val = ed.replace.get(line + 1, ed.lines[line])
            start, end = val.find("<integer>"), val.find("</integer>")
            if start < 0 or end < start:
                raise NotWritable(f"{ed.path}:{line + 1}: {change.key} is not one <integer> line")
            ed.replace[line + 1] = val[:start + len("<integer>")] + (change.value or "") + val[end:]
            return Placed(file=ed.path)
        if not text.strip().startswith("<key>"):
            raise NotWritable(f"{ed.path}:{line} is not a payload key: {change.key} not added")
        indent = _indent(text)
        ed.before.setdefault(line, []).extend([ed.line(f"{indent}<key>{change.key}</key>"),
                                               ed.line(f"{indent}<integer>{change.value}</integer>")])
        return Placed(file=ed.path)

    def _note(self, ed: FileEdit, change: Change, line: int) -> Placed:
        if not 0 < line <= len(ed.lines) or not ed.lines[line - 1].lstrip().startswith("<key>"):
            return Placed(why=f"{ed.path}:{line} does not open a key: no comment placed")
        text = " ".join(change.text.split()).replace("--", "-")
        comment = ed.line(f"{_indent(ed.lines[line - 1])}<!-- voxaudit: {text} -->")
        if comment not in ed.before.get(line, []):
            ed.before.setdefault(line, []).append(comment)
        return Placed(file=ed.path)

    def extra_files(self) -> dict[str, str]:
        """Each corrected profile in full, for upload to the MDM."""
        return {"corrected__" + ed.path.replace("/", "__"): "".join(ed.result())
                for ed in self.edits.values() if ed.changed()}


def writer(facts: MdmFacts, config_dir: Path) -> MdmWriter:
    """The writer on the directory of exported profiles given to ``voxaudit fix --config-dir``."""
    return MdmWriter(facts, Path(config_dir))
