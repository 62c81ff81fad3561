"""What every platform writer shares: the files of one configuration tree, read once, edited as copies."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Hashable, Optional, Protocol

from voxaudit.remediation.change import Change
from voxaudit.remediation.diff import FileEdit

MAX_FILE_BYTES = 8 * 1024 * 1024  # a configuration file larger than this is not edited


class NotWritable(Exception):
    """Why a change cannot be written as a patch (names files and keys only, never a value)."""


@dataclass
class Placed:
    """Where one change went: a file of the patch set, or the GUI (FreePBX, FusionPBX)."""

    file: str = ""
    gui: bool = False
    why: str = ""
    person: bool = False  # could not be placed safely: a person adds it (``why`` says where and why)


class TreeWriter:
    """``config_dir`` holds the files the facts name; ``root`` is the directory the patches are relative
    to (what ``voxaudit fix --config-dir`` was given). Nothing outside them is read."""

    def __init__(self, config_dir: Path, root: Path) -> None:
        self.config_dir = Path(config_dir)
        self.root = Path(root)
        self.edits: dict[str, FileEdit] = {}  # by path relative to the config directory
        self._placed: dict[Hashable, Placed] = {}

    def once(self, key: Hashable, place: Callable[[], Placed]) -> Placed:
        """One setting asked for by several findings is placed once; each of them gets that answer."""
        got = self._placed.get(key)
        if got is None:
            got = self._placed[key] = place()
        return got

    def note_before(self, rel: str, line: int, text: str | Callable[[FileEdit], str]) -> Placed:
        """A marked comment before line ``line`` of ``rel`` (``text`` may depend on the file: its comment
        mark), or why the file cannot be edited."""
        try:
            ed = self.edit(rel)
        except NotWritable as exc:
            return Placed(why=str(exc))
        comment_before(ed, line, text(ed) if callable(text) else text)
        return Placed(file=ed.path)

    def value_on_line(self, rel: str, line: int, key: str, span_of: Callable[[str, str], Optional[tuple[int, int]]]
                      ) -> tuple[FileEdit, str, tuple[int, int]]:
        """Line ``line`` of ``rel`` as edited so far, and where the value of ``key`` sits on it (``span_of``
        knows the dialect); NotWritable when the line is not there or does not set ``key``."""
        ed = self.edit(rel)
        if not 0 < line <= len(ed.lines):
            raise NotWritable(f"{rel}:{line} is not in the file")
        text = ed.replace.get(line, ed.lines[line - 1])
        span = span_of(text, key)
        if span is None:
            raise NotWritable(f"{rel}:{line} does not set {key} on one line")
        return ed, text, span

    def _path(self, rel: str) -> Path:
        inside = (self.root.resolve(), self.config_dir.resolve())
        for base in (self.config_dir, self.root):
            p = (base / rel).resolve()
            if p.is_file() and any(p.is_relative_to(d) for d in inside):
                return p
        raise NotWritable(f"{rel} is not in the configuration tree given")

    def edit(self, rel: str) -> FileEdit:
        """The text of one file of the tree, read once."""
        got = self.edits.get(rel)
        if got is not None:
            return got
        path = self._path(rel)
        if path.stat().st_size > MAX_FILE_BYTES:
            raise NotWritable(f"{rel} is larger than {MAX_FILE_BYTES} bytes; not edited")
        text = path.read_bytes().decode("utf-8", errors="surrogateescape")
        try:
            shown = path.relative_to(self.root.resolve()).as_posix()
        except ValueError:
            shown = rel
        self.edits[rel] = got = FileEdit(shown, text.splitlines(keepends=True))
        return got


def comment_before(ed: FileEdit, line: int, text: str) -> None:
    """A marked comment line before line ``line`` (clamped into the file; at the top of an empty file),
    once: the same note for several findings on one line is written one time."""
    if not ed.lines:
        ed.insert_after(0, [text])
        return
    where = min(max(line, 1), len(ed.lines))
    if ed.line(text) not in ed.before.get(where, []):
        ed.before.setdefault(where, []).append(ed.line(text))


class Writer(Protocol):
    """What the planner asks of a platform writer: place one change, and the files it edited. A writer may
    also have ``extra_files() -> dict[str, str]``: files written beside the patches (a configuration-mode
    snippet, a corrected profile), by plain file name."""

    edits: dict[str, FileEdit]

    def place(self, change: Change, location_file: str = "", location_line: int = 0) -> Placed: ...
