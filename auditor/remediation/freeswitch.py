"""FreeSWITCH XML writer: a ``<param>`` changed on its own line, or added to the profile's ``<settings>``.

The facts keep each param's file and line (``Setting``) and each profile's opening tag
(``ConfigObject.source``). A param that is set has its ``value="..."`` replaced on that line, the rest
of the line kept. A value written as a pre-processor variable (``$${var}``, set in vars.xml and used
elsewhere too) is left to a person: changing the variable changes every other use. A param that is not
set is added after the profile's ``<settings>`` tag, indented like the line after it. FusionPBX keeps
its SIP profiles in its database and writes the XML from it: the GUI is the place (menu path given).
Notes are XML comments (``<!-- voxaudit: ... -->``), placed only before a line that opens an element.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from voxaudit.facts.common import ConfigObject
from voxaudit.facts.freeswitch import FreeSwitchFacts
from voxaudit.remediation.change import NOTE, Change
from voxaudit.remediation.tree import NotWritable, Placed, TreeWriter

MAX_SCAN_LINES = 5000  # lines looked at for a profile's <settings> tag


def _quoted_value(line: str, key: str) -> Optional[tuple[int, int]]:
    """(start, end) of the value of ``value="..."`` on a ``<param name="key" ...>`` line. Linear."""
    low = line.lower()
    if f'name="{key.lower()}"' not in low:
        return None
    at = low.find('value="')
    if at < 0:
        return None
    start = at + len('value="')
    end = line.find('"', start)
    return (start, end) if end >= 0 else None


def _indent(line: str) -> str:
    return line[:len(line) - len(line.lstrip(" \t"))]


class FreeSwitchWriter(TreeWriter):
    def __init__(self, facts: FreeSwitchFacts, config_dir: Path, root: Path) -> None:
        super().__init__(config_dir, root)
        self.facts = facts

    def place(self, change: Change, location_file: str = "", location_line: int = 0) -> Placed:
        if change.action == NOTE:
            return self._note(change, location_file, location_line)
        if self.facts.flavor == "fusionpbx":
            return Placed(gui=True, why="FusionPBX writes its SIP profiles from its database")
        if any(c in '"<>&\r\n' for c in change.key + (change.value or "")):
            raise NotWritable(f"a change to {change.key} is not one XML attribute")
        return self.once((change.section.lower(), change.key.lower(), change.action), lambda: self._place(change))

    def _place(self, change: Change) -> Placed:
        obj: Optional[ConfigObject] = self.facts.named(change.kind, change.section) if change.kind else None
        if obj is None:
            raise NotWritable(f"no {change.kind or 'object'} named {change.section} in the facts")
        setting = obj.setting(change.key)
        if setting is not None:
            if "${" in setting.value:
                return Placed(person=True, why=f"{change.key} of {change.section} comes from a variable that "
                                                f"may be used elsewhere: set {change.key} to {change.value} by hand")
            ed, text, span = self.value_on_line(setting.file, setting.line, change.key, _quoted_value)
            ed.replace[setting.line] = text[:span[0]] + (change.value or "") + text[span[1]:]
            return Placed(file=ed.path)
        ed = self.edit(obj.source.file)
        last = min(len(ed.lines), obj.source.line + MAX_SCAN_LINES)
        for n in range(max(obj.source.line, 1), last + 1):
            s = ed.lines[n - 1].strip().lower()
            if s.startswith("</profile"):
                break
            if s.startswith("<settings") and not s.endswith("/>"):
                nxt = ed.lines[n] if n < len(ed.lines) else ""
                indent = _indent(nxt) if nxt.strip() else _indent(ed.lines[n - 1]) + "  "
                ed.insert_after(n, [f'{indent}<param name="{change.key}" value="{change.value}"/>'])
                return Placed(file=ed.path)
        raise NotWritable(f"profile {change.section} has no <settings> block in {obj.source.file}")

    def _note(self, change: Change, rel: str, line: int) -> Placed:
        if not rel:
            return Placed(why="the finding names no file")
        if self.facts.flavor == "fusionpbx":
            return Placed(gui=True, why="FusionPBX writes its configuration from its database")
        try:
            ed = self.edit(rel)
        except NotWritable as exc:
            return Placed(why=str(exc))
        if not 0 < line <= len(ed.lines):
            return Placed(why=f"{rel}:{line} is not in the file")
        s = ed.lines[line - 1].lstrip()
        if not s.startswith("<") or s.startswith(("<?", "<!")):
            return Placed(why=f"{rel}:{line} does not open an element: no comment placed")
        indent = _indent(ed.lines[line - 1])
        text = " ".join(change.text.split()).replace("--", "-")
        comment = ed.line(f"{indent}<!-- voxaudit: {text} -->")
        if comment not in ed.before.get(line, []):
            ed.before.setdefault(line, []).append(comment)
        return Placed(file=ed.path)


def writer(facts: FreeSwitchFacts, config_dir: Path) -> FreeSwitchWriter:
    """The writer on the FreeSWITCH ``conf`` directory inside ``config_dir``."""
    from voxaudit.collectors.offline import locate_freeswitch_conf
    found = locate_freeswitch_conf(config_dir)
    return FreeSwitchWriter(facts, found[0] if found else config_dir, config_dir)
