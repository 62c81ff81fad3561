"""FreeSWITCH XML configuration, preprocessed the way FreeSWITCH does it.

FreeSWITCH runs a text preprocessor before it parses XML: ``<X-PRE-PROCESS cmd="set"
data="name=value"/>`` defines a variable, ``cmd="include"`` pastes files (globs, relative
to the conf dir), and ``$${name}`` is replaced by the value defined so far. Because it is
textual, an X-PRE-PROCESS line inside an XML comment still runs (vars.xml warns about it);
this module does the same. ``exec``, ``exec-set``, ``env-set``, ``stun-set`` and
``backtick-set`` are never executed: the variable is recorded as unresolved.

The expanded text keeps a map back to (file, line) so that XML errors and settings are
reported where they are written, not where they land after expansion.
"""
from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from lxml import etree

from auditor.parsers.problem import Problem

MAX_INCLUDE_DEPTH = 16
MAX_FILE_LOADS = 2000
MAX_FILE_BYTES = 16 * 1024 * 1024

_PRE_RE = re.compile(r"""<X-PRE-PROCESS\s+cmd\s*=\s*"(?P<cmd>[^"]*)"\s+data\s*=\s*"(?P<data>[^"]*)"\s*/?>""", re.IGNORECASE)
_VAR_RE = re.compile(r"\$\$\{([^}]+)\}")
_INCLUDE_TAG_RE = re.compile(r"</?include\s*>")
_NEVER_RUN = {"exec", "exec-set", "env-set", "stun-set", "backtick-set", "exec-set-local"}


@dataclass
class FsDocument:
    """One FreeSWITCH XML file after preprocessing, parsed."""

    root_file: str
    root: Optional[etree._Element] = None
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    line_map: list[tuple[str, int]] = field(default_factory=list)
    found: bool = True

    @property
    def fatal(self) -> Optional[Problem]:
        return next((p for p in self.problems if p.fatal), None)

    def where(self, element: etree._Element) -> tuple[str, int]:
        """(file, line) of an element in the original sources."""
        line = element.sourceline or 0
        if 0 < line <= len(self.line_map):
            return self.line_map[line - 1]
        return self.root_file, line


class Preprocessor:
    """Expands one root file; variables persist across roots like FreeSWITCH's global set."""

    def __init__(self, conf_dir: Path, variables: Optional[dict[str, str]] = None) -> None:
        self.conf_dir = conf_dir
        self.variables: dict[str, str] = dict(variables or {})
        self.unresolved: set[str] = set()

    def expand(self, text: str) -> str:
        return _VAR_RE.sub(lambda m: self.variables.get(m.group(1), m.group(0)), text)

    def load(self, rel: str) -> FsDocument:
        doc = FsDocument(root_file=rel)
        path = self.conf_dir / rel
        if not path.exists():
            doc.found = False
            return doc
        out: list[str] = []
        self._file(path, doc, out, depth=0, stack=[], loads=[0])
        if doc.fatal is not None:
            return doc
        text = "\n".join(out)
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                                 remove_comments=True, remove_pis=True)
        try:
            doc.root = etree.fromstring(f"<voxaudit-root>{text}</voxaudit-root>".encode("utf-8"), parser)
        except etree.XMLSyntaxError as exc:
            line = (exc.lineno or 1)
            file, src_line = doc.line_map[line - 1] if 0 < line <= len(doc.line_map) else (rel, line)
            msg = re.sub(r",? line \d+, column \d+", "", str(exc.msg or exc))
            doc.problems.append(Problem(file, src_line, f"XML error: {msg}", True))
        return doc

    def _rel(self, path: Path) -> str:
        try:
            return os.path.relpath(path, self.conf_dir)
        except ValueError:
            return str(path)

    def _file(self, path: Path, doc: FsDocument, out: list[str], depth: int, stack: list[Path], loads: list[int]) -> None:
        rel = self._rel(path)
        if depth > MAX_INCLUDE_DEPTH or path.resolve() in stack:
            doc.problems.append(Problem(rel, 0, "X-PRE-PROCESS include loop or nesting too deep", True))
            return
        loads[0] += 1
        if loads[0] > MAX_FILE_LOADS:
            doc.problems.append(Problem(rel, 0, f"more than {MAX_FILE_LOADS} included files; stopped", True))
            return
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                doc.problems.append(Problem(rel, 0, "file larger than 16 MiB; not read", True))
                return
            raw = path.read_bytes()
        except OSError as exc:
            doc.problems.append(Problem(rel, 0, f"cannot read file: {exc.strerror or exc}", True))
            return
        if b"\x00" in raw:
            doc.problems.append(Problem(rel, 0, "file is binary (contains NUL bytes)", True))
            return
        doc.files.append(rel)
        text = raw.decode("utf-8", errors="replace")
        text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)  # declarations cannot appear mid-document
        stack = stack + [path.resolve()]
        for lineno, line in enumerate(text.splitlines(), start=1):
            if doc.fatal is not None:
                return
            pos = 0
            emitted = []
            for m in _PRE_RE.finditer(line):
                emitted.append(line[pos:m.start()])
                pos = m.end()
                self._directive(m.group("cmd").lower(), m.group("data"), rel, lineno, doc, out, depth, stack, loads)
            emitted.append(line[pos:])
            rest = "".join(emitted)
            if depth > 0:
                rest = _INCLUDE_TAG_RE.sub("", rest)
            out.append(self.expand(rest))
            doc.line_map.append((rel, lineno))

    def _directive(self, cmd: str, data: str, rel: str, lineno: int, doc: FsDocument, out: list[str],
                   depth: int, stack: list[Path], loads: list[int]) -> None:
        if cmd == "set":
            name, _, value = data.partition("=")
            self.variables[name.strip()] = self.expand(value)
        elif cmd == "include":
            pattern = self.expand(data)
            # Relative to the including file, as sofia.conf.xml's "../sip_profiles/*.xml" shows.
            full = pattern if os.path.isabs(pattern) else str(Path(stack[-1]).parent / pattern)
            for match in sorted(glob.glob(full)):
                self._file(Path(match), doc, out, depth + 1, stack, loads)
        elif cmd in _NEVER_RUN:
            name = data.partition("=")[0].strip()
            if name:
                self.unresolved.add(name)
                self.variables.setdefault(name, f"({cmd}: not run)")
            doc.problems.append(Problem(rel, lineno, f"X-PRE-PROCESS {cmd} not executed by the auditor", False))
        else:
            doc.problems.append(Problem(rel, lineno, f"unknown X-PRE-PROCESS cmd {cmd!r}", False))


def params(element: Optional[etree._Element], tag: str = "param") -> list[etree._Element]:
    """Direct <param>/<variable> children of ``element`` (or of its <settings>/<params>)."""
    if element is None:
        return []
    return [c for c in element if isinstance(c.tag, str) and c.tag == tag]
