"""Asterisk's .conf dialect, read the way Asterisk's config loader reads it.

Supported: ``[section]``, templates ``[name](!)``, inheritance ``[name](a,b)``,
additions ``[name](+)``, ``=`` / ``=>`` / ``+=``, ``;`` comments with ``\\;``
escapes, ``;-- --;`` block comments (nested), ``#include`` / ``#tryinclude``
(quoted, angle-bracketed or bare; relative to the config dir; globs). ``#exec``
is recorded and never run: the auditor is read-only.

Problems Asterisk treats as fatal for a file (it refuses to load it) are marked
``fatal``; checks that depend on that file then report ERROR. Others are warnings.
"""
from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from auditor.parsers.problem import Problem

MAX_INCLUDE_DEPTH = 16
MAX_FILE_LOADS = 2000  # per root file; a hostile glob cannot make the work unbounded
MAX_FILE_BYTES = 16 * 1024 * 1024


@dataclass
class Entry:
    key: str
    value: str
    file: str
    line: int
    op: str = "="


@dataclass
class Section:
    name: str
    file: str
    line: int
    is_template: bool = False
    templates: list[str] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)

    def get(self, key: str, default: Optional[str] = None) -> Optional[str]:
        """Last value of ``key`` (Asterisk's own lookup returns the last one for most options)."""
        key = key.lower()
        for entry in reversed(self.entries):
            if entry.key == key:
                return entry.value
        return default

    def entry(self, key: str) -> Optional[Entry]:
        key = key.lower()
        for entry in reversed(self.entries):
            if entry.key == key:
                return entry
        return None

    def all(self, key: str) -> list[Entry]:
        key = key.lower()
        return [e for e in self.entries if e.key == key]


@dataclass
class ParsedConfig:
    """One root config file (e.g. ``pjsip.conf``) with everything it includes."""

    root: str
    sections: list[Section] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    found: bool = True

    @property
    def fatal(self) -> Optional[Problem]:
        return next((p for p in self.problems if p.fatal), None)

    def instances(self) -> list[Section]:
        """Sections Asterisk instantiates (templates are not objects)."""
        return [s for s in self.sections if not s.is_template]

    def section(self, name: str) -> Optional[Section]:
        return next((s for s in self.sections if s.name.lower() == name.lower() and not s.is_template), None)


_SECTION_RE = re.compile(r"^\[(?P<name>[^\]]*)\](?:\((?P<opts>[^)]*)\))?\s*$")
_INCLUDE_RE = re.compile(r"^#\s*(?P<kind>include|tryinclude|exec)\s*(?P<arg>.*)$", re.IGNORECASE)


def _strip_comment(line: str, depth: int) -> tuple[str, int]:
    """Remove ``;`` comments and ``;-- --;`` blocks; returns (text, new block depth)."""
    if depth == 0:
        semi = line.find(";")
        if semi < 0:
            return line.strip(), 0
        if "\\" not in line and not line.startswith(";--", semi):
            return line[:semi].strip(), 0  # the common case: one plain trailing comment
    out: list[str] = []
    i = 0
    n = len(line)
    while i < n:
        if depth > 0:
            if line.startswith("--;", i):
                depth -= 1
                i += 3
            elif line.startswith(";--", i):
                depth += 1
                i += 3
            else:
                i += 1
            continue
        ch = line[i]
        if ch == "\\" and i + 1 < n and line[i + 1] == ";":
            out.append(";")
            i += 2
            continue
        if ch == ";":
            if line.startswith(";--", i):
                depth += 1
                i += 3
                continue
            break
        out.append(ch)
        i += 1
    return "".join(out).strip(), depth


class _Loader:
    def __init__(self, config_dir: Path, root: str) -> None:
        self.config_dir = config_dir
        self.result = ParsedConfig(root=root)
        self.by_name: dict[str, list[Section]] = {}
        self.current: Optional[Section] = None
        self.stack: list[Path] = []  # files being read, to refuse include recursion
        self.loads = 0
        self.stopped = False

    def rel(self, path: Path) -> str:
        try:
            return os.path.relpath(path, self.config_dir)
        except ValueError:
            return str(path)

    def problem(self, file: str, line: int, message: str, fatal: bool) -> None:
        self.result.problems.append(Problem(file, line, message, fatal))
        self.stopped = self.stopped or fatal

    def load(self, path: Path, depth: int, from_file: str = "", from_line: int = 0) -> None:
        if self.stopped:  # like Asterisk, stop reading a root file at its first fatal problem
            return
        rel = self.rel(path)
        if depth > MAX_INCLUDE_DEPTH:
            self.problem(from_file, from_line, f"#include nesting deeper than {MAX_INCLUDE_DEPTH} at {rel}", True)
            return
        resolved = path.resolve()
        if resolved in self.stack:
            self.problem(from_file, from_line, f"#include loop: {rel} includes itself", True)
            return
        self.loads += 1
        if self.loads > MAX_FILE_LOADS:
            if self.loads == MAX_FILE_LOADS + 1:
                self.problem(from_file, from_line, f"more than {MAX_FILE_LOADS} #include loads; stopped", True)
            return
        self.stack.append(resolved)
        try:
            self._read(path, rel, depth)
        finally:
            self.stack.pop()

    def _read(self, path: Path, rel: str, depth: int) -> None:
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                self.problem(rel, 0, f"file larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; not read", True)
                return
            raw = path.read_bytes()
        except OSError as exc:
            self.problem(rel, 0, f"cannot read file: {exc.strerror or exc.__class__.__name__}", True)
            return
        if b"\x00" in raw:
            self.problem(rel, 0, "file is binary (contains NUL bytes), not an Asterisk config", True)
            return
        text = raw.decode("utf-8", errors="replace")
        if "\ufffd" in text:
            self.problem(rel, 0, "file is not valid UTF-8; undecodable bytes were replaced", False)
        self.result.files.append(rel)
        depth_comment = 0
        comment_start = 0
        for lineno, raw_line in enumerate(text.splitlines(), start=1):
            was_in_comment = depth_comment > 0
            line, depth_comment = _strip_comment(raw_line, depth_comment)
            if depth_comment > 0 and not was_in_comment:
                comment_start = lineno
            if not line:
                continue
            if self.stopped:
                return
            if line.startswith("#"):
                self.directive(line, rel, lineno, path.parent, depth)
                continue
            if line.startswith("["):
                self.open_section(line, rel, lineno)
                continue
            self.assignment(line, rel, lineno)
        if depth_comment > 0:
            self.problem(rel, comment_start, "unterminated block comment (;-- without --;)", False)

    def directive(self, line: str, rel: str, lineno: int, here: Path, depth: int) -> None:
        m = _INCLUDE_RE.match(line)
        if not m:
            self.problem(rel, lineno, f"unknown directive {line.split()[0]!r}", False)
            return
        kind = m.group("kind").lower()
        arg = m.group("arg").strip()
        if len(arg) >= 2 and arg[0] in "\"<" and arg[-1] in "\">":
            arg = arg[1:-1]
        if kind == "exec":
            self.problem(rel, lineno, "#exec directive present; not executed by the auditor, its output is not audited", False)
            return
        if not arg:
            self.problem(rel, lineno, f"#{kind} without a file name", kind == "include")
            return
        pattern = arg if os.path.isabs(arg) else str(self.config_dir / arg)
        matches = sorted(glob.glob(pattern)) if any(c in arg for c in "*?[") else ([pattern] if os.path.exists(pattern) else [])
        if not matches:
            if kind == "include":
                self.problem(rel, lineno, f"#include of missing file {arg!r}", True)
            return
        for match in matches:
            self.load(Path(match), depth + 1, rel, lineno)

    def open_section(self, line: str, rel: str, lineno: int) -> None:
        m = _SECTION_RE.match(line)
        if not m:
            self.problem(rel, lineno, f"malformed section header {line[:60]!r} (no closing ']')", True)
            self.current = None
            return
        name = m.group("name").strip()
        opts = [o.strip() for o in (m.group("opts") or "").split(",") if o.strip()]
        if "+" in opts:
            existing = self.by_name.get(name.lower())
            if existing:  # like ast_category_get: the first section of that name
                self.current = existing[0]
                return
            self.problem(rel, lineno, f"[{name}](+) adds to a section that does not exist", True)
            self.current = None
            return
        section = Section(name=name, file=rel, line=lineno, is_template="!" in opts)
        for opt in opts:
            if opt == "!":
                continue
            parents = self.by_name.get(opt.lower())
            if not parents:
                self.problem(rel, lineno, f"[{name}] inherits from {opt!r}, which is not defined earlier", True)
                continue
            parent = parents[0]
            section.templates.append(parent.name)
            section.entries.extend(parent.entries)
        self.result.sections.append(section)
        self.by_name.setdefault(name.lower(), []).append(section)
        self.current = section

    def assignment(self, line: str, rel: str, lineno: int) -> None:
        if self.current is None:
            self.problem(rel, lineno, "setting outside of any [section]", True)
            return
        eq = line.find("=")
        if eq < 0:
            self.problem(rel, lineno, f"no '=' in line: {line[:40]!r}", False)
            return
        key = line[:eq]
        op = "="
        value = line[eq + 1:]
        if value.startswith(">"):
            op, value = "=>", value[1:]
        elif key.endswith("+"):
            op, key = "+=", key[:-1]
        key = key.strip().lower()
        if op == "+=":
            # Asterisk appends the text after '=' as written, leading blanks included.
            prev = self.current.entry(key)
            if prev is not None:
                self.current.entries.append(Entry(key, (prev.value + value).rstrip(), rel, lineno, op))
                return
        value = value.strip()
        self.current.entries.append(Entry(key, value, rel, lineno, op))


def parse_config(config_dir: Path | str, root: str) -> ParsedConfig:
    """Parse ``root`` (a file name relative to ``config_dir``) and its includes."""
    config_dir = Path(config_dir)
    loader = _Loader(config_dir, root)
    path = config_dir / root
    if not path.exists():
        loader.result.found = False
        return loader.result
    loader.load(path, 0)
    return loader.result


def parse_text(text: str, name: str = "inline.conf") -> ParsedConfig:
    """Parse config text without includes; for tests and for text fetched by collectors."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, name).write_text(text, encoding="utf-8")
        return parse_config(tmp, name)
