"""Kamailio/OpenSIPS writer: tls.cfg profile options changed on their own lines, notes in the cfg script.

Kamailio's tls module reads tls.cfg with its cfg_parser (src/core/cfg_parser.c): ``[role:domain]``
sections of ``option = value`` lines, ``#`` starting a comment. The facts keep each profile's header
line (``ConfigObject.source``) and each option's line (``Setting``). An option that is set has its
value replaced on that line, the key, the spacing around ``=`` and a trailing comment kept; one that
is not set is added after the profile's last option line. A value written as a ``#!define``/``#!substdef``
name or a quoted string with a ``$`` is left to a person: changing it here would change every use.

Everything else a finding asks of the routing script (which listener to drop, a module to load, a
route to add, a database password) is a person's choice: a ``# voxaudit:`` comment line before the
line the finding points at (never ``#!``, which the preprocessor reads), and nothing else changes.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from voxaudit.facts.common import ConfigObject
from voxaudit.facts.kamailio import KamailioFacts
from voxaudit.remediation.change import NOTE, REMOVE, Change
from voxaudit.remediation.tree import NotWritable, Placed, TreeWriter

MARK = "# voxaudit:"
MAX_SCAN_LINES = 2000  # lines looked at after a profile's header for its last option


def _value_span(line: str, key: str) -> Optional[tuple[int, int]]:
    """(start, end) of the value of ``key = value`` on one tls.cfg line, a trailing comment excluded. Linear."""
    head, eq, rest = line.partition("=")
    if not eq or head.strip().lower() != key.lower():
        return None
    start = len(head) + 1
    body = rest.rstrip("\r\n")
    while body[:1] in (" ", "\t"):
        body, start = body[1:], start + 1
    hash_at = body.find("#")
    value = body if hash_at < 0 else body[:hash_at]
    return start, start + len(value.rstrip(" \t"))


class KamailioWriter(TreeWriter):
    def __init__(self, facts: KamailioFacts, config_dir: Path, root: Path) -> None:
        super().__init__(config_dir, root)
        self.facts = facts

    def place(self, change: Change, location_file: str = "", location_line: int = 0) -> Placed:
        if change.action == NOTE:
            return self._note(change, location_file, location_line)
        if any(c in "\r\n#[]" for c in change.key + (change.value or "") + change.section):
            raise NotWritable(f"a change to {change.key or 'a section'} is not one tls.cfg line")
        return self.once((change.section.lower(), change.key.lower(), change.action), lambda: self._place(change))

    def _place(self, change: Change) -> Placed:
        obj: Optional[ConfigObject] = self.facts.named(change.kind, change.section) if change.kind else None
        if obj is None:
            raise NotWritable(f"no {change.kind or 'profile'} [{change.section}] in the facts")
        setting = obj.setting(change.key)
        if setting is not None:
            if change.action == REMOVE:
                ed = self.edit(setting.file)
                ed.delete.add(setting.line)
                return Placed(file=ed.path)
            ed, text, span = self.value_on_line(setting.file, setting.line, change.key, _value_span)
            current = text[span[0]:span[1]]
            if current[:1] in ('"', "'") or current.isupper() and "_" in current:
                return Placed(person=True, why=f"{change.key} of [{change.section}] is written as a quoted string or a "
                                                f"#!define name: set {change.key} = {change.value} by hand")
            ed.replace[setting.line] = text[:span[0]] + (change.value or "") + text[span[1]:]
            return Placed(file=ed.path)
        if change.action == REMOVE:
            return Placed(why=f"{change.key} is not set in [{change.section}]: nothing to remove")
        ed = self.edit(obj.source.file)
        last = obj.source.line
        for values in obj.settings.values():
            for s in values:
                if s.file == obj.source.file and last < s.line <= obj.source.line + MAX_SCAN_LINES:
                    last = s.line
        for info in obj.secrets.values():
            src = info.source
            if src is not None and src.file == obj.source.file and last < src.line <= obj.source.line + MAX_SCAN_LINES:
                last = src.line
        if not 0 < last <= len(ed.lines):
            raise NotWritable(f"{obj.source.file}:{last} is not in the file")
        ed.insert_after(last, [f"{change.key}{change.sep}{change.value}"])
        return Placed(file=ed.path)

    def _note(self, change: Change, rel: str, line: int) -> Placed:
        """A marked comment line before the line the finding points at (the cfg script's or tls.cfg's)."""
        return self.note_before(rel or self.facts.cfg_name, line, f"{MARK} {' '.join(change.text.split())}")


def writer(facts: KamailioFacts, config_dir: Path) -> KamailioWriter:
    """The writer on the directory inside ``config_dir`` that holds kamailio.cfg (or opensips.cfg)."""
    root = facts.cfg_name
    for candidate in (config_dir, config_dir / "etc" / "kamailio", config_dir / "etc" / "opensips"):
        if (candidate / root).is_file():
            return KamailioWriter(facts, candidate, config_dir)
    return KamailioWriter(facts, config_dir, config_dir)
