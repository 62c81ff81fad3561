"""Switch writer (Cisco IOS/IOS-XE running-configs): the saved running-config patched, and beside it the
configuration-mode snippet an engineer pastes, in the order IOS needs.

A running-config is blocks: a line at column 0 opens a parent (``line vty 0 4``, ``interface Gi1/0/2``),
the indented lines under it are its commands. A command is changed where the block has it (the line
whose first words are the command's), or added at the block's end, indented by one space as IOS shows
it. A global command to turn off is written as IOS writes a disabled default (``no ip http server``).
The snippet is ``configure terminal``, each parent and its commands, ``exit``, then ``end``: applying it
to the device is the engineer's step, never the tool's. Other switch syntaxes (Aruba AOS-S, Arista EOS)
and anything naming a secret (SNMP communities, users) are a person's.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from voxaudit.remediation.change import NOTE, REMOVE, Change
from voxaudit.remediation.diff import FileEdit
from voxaudit.remediation.tree import NotWritable, Placed, TreeWriter

MARK = "! voxaudit:"


def _block(lines: list[str], parent: str) -> tuple[int, int]:
    """(header line, last line) of the block ``parent`` opens, 1-based; (0, n) for the global level."""
    if not parent:
        return 0, len(lines)
    for i, text in enumerate(lines, start=1):
        if text.rstrip("\r\n") == parent:
            end = i
            while end < len(lines) and lines[end][:1] == " ":
                end += 1
            return i, end
    raise NotWritable(f"no block '{parent}' in the running-config")


class SwitchWriter(TreeWriter):
    def __init__(self, facts: Any, config_dir: Path, root: Path) -> None:
        super().__init__(config_dir, root)
        self.facts = facts
        self._snippets: dict[str, dict[str, list[str]]] = {}  # file -> parent -> commands

    def place(self, change: Change, location_file: str = "", location_line: int = 0) -> Placed:
        if change.action == NOTE:
            return self._note(change, location_file, location_line)
        if any(c in "\r\n!" for c in change.root + change.section + change.key + (change.value or "")):
            raise NotWritable(f"a change to {change.key} is not one configuration line")
        return self.once((change.root, change.section, change.key, change.action), lambda: self._place(change))

    def _place(self, change: Change) -> Placed:
        ed = self.edit(change.root)
        header, last = _block(ed.lines, change.section)
        indent = " " if change.section else ""
        command = f"no {change.key}" if change.action == REMOVE else f"{change.key} {change.value}".rstrip()
        for n in range(header + 1, last + 1):
            words = ed.lines[n - 1].strip()
            if words == change.key or words.startswith(change.key + " ") or words == f"no {change.key}":
                if words != command:
                    ed.replace[n] = ed.line(indent + command)
                break
        else:
            if change.action == REMOVE:  # not in the running-config: nothing to turn off here
                return Placed(why=f"{change.key} is not in {change.section or 'the global configuration'}")
            if not change.section:  # a global command: before "end", as IOS lists it
                end = next((i for i in range(len(ed.lines), 0, -1) if ed.lines[i - 1].strip() == "end"), 0)
                last = end - 1 if end else last
            ed.insert_after(last, [indent + command])
        self._snippets.setdefault(change.root, {}).setdefault(change.section, []).append(command)
        return Placed(file=ed.path)

    def _note(self, change: Change, rel: str, line: int) -> Placed:
        def comment(ed: FileEdit) -> str:
            # Aruba AOS-S marks comments with ';' (its header line), IOS and EOS with '!'
            first = next((ln for ln in ed.lines if ln.strip()), "").lstrip()
            return f"{'; voxaudit:' if first.startswith(';') else MARK} {' '.join(change.text.split())}"
        return self.note_before(rel, line, comment)

    def extra_files(self) -> dict[str, str]:
        """One configuration-mode snippet per running-config with structured changes."""
        out = {}
        for rel, parents in sorted(self._snippets.items()):
            lines = [f"! voxaudit fix for {rel}: paste in privileged EXEC mode, check, then 'copy running-config "
                     "startup-config'", "configure terminal"]
            for parent, commands in parents.items():
                if parent:
                    lines += [parent, *(f" {c}" for c in dict.fromkeys(commands)), "exit"]
                else:
                    lines += list(dict.fromkeys(commands))
            lines.append("end")
            out[f"{rel}.snippet.txt"] = "\n".join(lines) + "\n"
        return out


def writer(facts: Any, config_dir: Path) -> SwitchWriter:
    return SwitchWriter(facts, config_dir, config_dir)
