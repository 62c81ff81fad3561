"""Kamailio's configuration language, preprocessed as Kamailio does, and its tls.cfg.

OpenSIPS shares the SER language (globals, ``loadmodule``, ``modparam``, route blocks,
``include_file``); it has no ``#!`` preprocessor, so the same loader reads it faithfully.

The preprocessor: ``#!define NAME [value]`` (also ``#!trydef``, ``#!redefine``,
``#!undef``), ``#!ifdef`` / ``#!ifndef`` / ``#!else`` / ``#!endif`` (nested), and
``include_file`` / ``import_file`` (``import_file`` tolerates a missing file). ``!!`` is an
alias of ``#!``. Comments: ``#`` (not ``#!``), ``//`` and ``/* */``. Defined names are
substituted in values (``debug=DBGLEVEL``). ``#!subst`` rules are recorded, not applied.

From the active text it keeps what the checks need: global parameters, ``loadmodule``,
``modparam``, and which functions the routing blocks call, each with file and line.
"""
from __future__ import annotations

import configparser
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from auditor.parsers.problem import Problem

MAX_INCLUDE_DEPTH = 10
MAX_FILE_BYTES = 16 * 1024 * 1024

_DIRECTIVE_RE = re.compile(r"^\s*(?:#!|!!)(?P<name>[a-z_]+)\s*(?P<rest>.*)$")
_INCLUDE_RE = re.compile(r"^\s*(?P<kind>include_file|import_file)\s+\"(?P<path>[^\"]+)\"")
_GLOBAL_RE = re.compile(r"^\s*(?P<name>[a-z_][a-z0-9_.]*)\s*=\s*(?P<value>.+?)\s*;?\s*$", re.IGNORECASE)
_LOADMODULE_RE = re.compile(r"^\s*loadmodule\s+\"(?P<mod>[^\"]+)\"")
_MODPARAM_RE = re.compile(r"^\s*modparam\s*\(\s*\"(?P<mod>[^\"]+)\"\s*,\s*\"(?P<param>[^\"]+)\"\s*,\s*(?P<value>.+)\)\s*;?\s*$")
_ROUTE_RE = re.compile(r"^\s*(?P<kind>request_route|reply_route|onreply_route|failure_route|branch_route|event_route|route|onsend_route|local_route|startup_route|timer_route|error_route)\b")
_CALL_RE = re.compile(r"\b(?P<fn>[a-z_][a-z0-9_]*)\s*\(")
_KEYWORDS = {"if", "while", "switch", "return", "exit", "drop", "route", "case", "else", "break", "not", "and", "or"}


@dataclass
class Item:
    kind: str  # global | loadmodule | modparam | call | define
    name: str
    value: str
    file: str
    line: int
    route: str = ""


@dataclass
class KamailioConfig:
    root: str
    found: bool = True
    files: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    defines: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def fatal(self) -> Optional[Problem]:
        return next((p for p in self.problems if p.fatal), None)


def _strip_comments(line: str, in_block: bool) -> tuple[str, bool]:
    out, i, n = [], 0, len(line)
    quote = False
    while i < n:
        if in_block:
            end = line.find("*/", i)
            if end < 0:
                return "".join(out), True
            i, in_block = end + 2, False
            continue
        ch = line[i]
        if ch == '"':
            quote = not quote
        elif not quote:
            if line.startswith("/*", i):
                in_block, i = True, i + 2
                continue
            if line.startswith("//", i):
                break
            if ch == "#" and not line.startswith("#!", i):
                break
        out.append(ch)
        i += 1
    return "".join(out), in_block


class _Loader:
    def __init__(self, cfg_dir: Path, root: str, defines: Optional[dict[str, str]] = None) -> None:
        self.cfg_dir = cfg_dir
        self.cfg = KamailioConfig(root=root, defines=dict(defines or {}))
        self.cond: list[bool] = []  # stack of 'active' flags
        self.route = ""
        self.depth_braces = 0

    @property
    def active(self) -> bool:
        return all(self.cond)

    def subst(self, value: str) -> str:
        return re.sub(r"\b[A-Z_][A-Z0-9_]*\b", lambda m: self.cfg.defines.get(m.group(0), m.group(0)), value)

    def load(self, path: Path, rel: str, depth: int) -> None:
        if depth > MAX_INCLUDE_DEPTH:
            self.cfg.problems.append(Problem(rel, 0, "include_file nesting too deep (loop?)", True))
            return
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                self.cfg.problems.append(Problem(rel, 0, "file larger than 16 MiB; not read", True))
                return
            raw = path.read_bytes()
        except OSError as exc:
            self.cfg.problems.append(Problem(rel, 0, f"cannot read file: {exc.strerror or exc}", True))
            return
        if b"\x00" in raw:
            self.cfg.problems.append(Problem(rel, 0, "file is binary (contains NUL bytes)", True))
            return
        self.cfg.files.append(rel)
        in_block = False
        start_cond = len(self.cond)
        for lineno, raw_line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), start=1):
            if self.cfg.fatal is not None:
                return
            d = _DIRECTIVE_RE.match(raw_line)
            if d and not in_block:
                self.directive(d.group("name"), d.group("rest").strip(), rel, lineno)
                continue
            line, in_block = _strip_comments(raw_line, in_block)
            if not line.strip() or not self.active:
                continue
            inc = _INCLUDE_RE.match(line)
            if inc:
                target = self.cfg_dir / Path(inc.group("path")).name if inc.group("path").startswith("/") \
                    else path.parent / inc.group("path")
                if target.exists():
                    self.load(target, str(target.relative_to(self.cfg_dir)) if target.is_relative_to(self.cfg_dir)
                              else target.name, depth + 1)
                elif inc.group("kind") == "include_file":
                    self.cfg.problems.append(Problem(rel, lineno, f"include_file {inc.group('path')!r} not found", True))
                continue
            self.statement(line, rel, lineno)
        if len(self.cond) != start_cond:
            self.cfg.problems.append(Problem(rel, 0, "#!ifdef without matching #!endif", True))

    def directive(self, name: str, rest: str, rel: str, lineno: int) -> None:
        if name in {"ifdef", "ifndef"}:
            defined = rest.split()[0] in self.cfg.defines if rest else False
            self.cond.append(defined if name == "ifdef" else not defined)
        elif name == "else":
            if not self.cond:
                self.cfg.problems.append(Problem(rel, lineno, "#!else without #!ifdef", True))
            else:
                self.cond[-1] = not self.cond[-1]
        elif name == "endif":
            if not self.cond:
                self.cfg.problems.append(Problem(rel, lineno, "#!endif without #!ifdef", True))
            else:
                self.cond.pop()
        elif not self.active:
            return
        elif name in {"define", "trydef", "redefine"}:
            parts = rest.split(None, 1)
            if parts:
                key, value = parts[0], (parts[1].strip() if len(parts) > 1 else "")
                if name == "trydef" and key in self.cfg.defines:
                    return
                self.cfg.defines[key] = value.strip('"') if value.startswith('"') else value
                self.cfg.items.append(Item("define", key, value, rel, lineno))
        elif name == "undef":
            self.cfg.defines.pop(rest.split()[0] if rest else "", None)
        # #!KAMAILIO, #!subst, #!substdef and others: recorded nowhere, harmless for auditing

    def statement(self, line: str, rel: str, lineno: int) -> None:
        m = _ROUTE_RE.match(line)
        if m and "{" in line:
            name = re.search(r"\[([^\]]+)\]", line)
            self.route = f"{m.group('kind')}[{name.group(1)}]" if name else m.group("kind")
        if self.route:
            self.depth_braces += line.count("{") - line.count("}")
            for call in _CALL_RE.finditer(line):
                fn = call.group("fn")
                if fn not in _KEYWORDS:
                    self.cfg.items.append(Item("call", fn, "", rel, lineno, self.route))
            if self.depth_braces <= 0:
                self.route, self.depth_braces = "", 0
            return
        if (lm := _LOADMODULE_RE.match(line)):
            self.cfg.items.append(Item("loadmodule", lm.group("mod").rsplit("/", 1)[-1].removesuffix(".so"), "", rel, lineno))
        elif (mp := _MODPARAM_RE.match(line)):
            value = self.subst(mp.group("value").strip()).strip('"')
            self.cfg.items.append(Item("modparam", f"{mp.group('mod')}.{mp.group('param')}", value, rel, lineno))
        elif (g := _GLOBAL_RE.match(line)):
            self.cfg.items.append(Item("global", g.group("name").lower(), self.subst(g.group("value")).strip('"'), rel, lineno))


def parse_kamailio(cfg_dir: Path, root: str = "kamailio.cfg", defines: Optional[dict[str, str]] = None) -> KamailioConfig:
    loader = _Loader(Path(cfg_dir), root, defines)
    path = Path(cfg_dir) / root
    if not path.exists():
        loader.cfg.found = False
        return loader.cfg
    loader.load(path, root, 0)
    return loader.cfg


@dataclass
class TlsProfile:
    name: str
    settings: dict[str, tuple[str, int]]


def parse_tls_cfg(path: Path) -> tuple[list[TlsProfile], Optional[Problem]]:
    """tls.cfg: INI sections like [server:default] with method, verify_certificate, ..."""
    text = path.read_text(encoding="utf-8", errors="replace")
    parser = configparser.ConfigParser(strict=False, interpolation=None, comment_prefixes=("#", ";"),
                                       inline_comment_prefixes=("#",))
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        line = getattr(exc, "lineno", 0) or 0
        return [], Problem(path.name, line, f"tls.cfg syntax error: {exc.__class__.__name__}", True)
    lines = text.splitlines()
    profiles = []
    for section in parser.sections():
        start = next((i for i, ln in enumerate(lines, 1) if ln.strip() == f"[{section}]"), 0)
        settings = {}
        for key, value in parser.items(section):
            ln = next((i for i, l in enumerate(lines, 1) if i > start and l.strip().lower().startswith(key)), start)
            settings[key] = (value, ln)
        profiles.append(TlsProfile(section, settings))
    return profiles, None
