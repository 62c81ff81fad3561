"""FreeSWITCH XML configuration, read the way FreeSWITCH reads it (``src/switch_xml.c``).

FreeSWITCH loads one document, ``freeswitch.xml`` in its conf dir. ``preprocess()`` turns it into
text line by line, then ``switch_xml_parse_str()`` (an ezxml derivative, far more lenient than an
XML library) parses that text. Modules later look up ``<section name="configuration">`` /
``<configuration name="sofia.conf">`` and ``<section name="directory">`` in the parsed tree.
Every rule below follows that code:

* Lines end at ``\\r`` or ``\\n`` (``switch_fp_read_dline``); a line longer than 1 MiB is read in
  1 MiB pieces. ``$${name}`` is expanded first, on every line, comments included, with the value the
  variable has at that point; names are case-insensitive; an undefined name expands to nothing; the
  name ends at the matching ``}`` (nested braces count). A value stored by ``set`` has each ``${``
  turned into ``%{`` (``switch_string_var_check``).
* A line holding ``<include>``, ``</include>`` or ``<?`` is dropped whole. Inside a ``<!--#`` block
  (closed by ``-->``) lines are dropped. Plain ``<!-- -->`` comments are not the preprocessor's
  business: an ``X-PRE-PROCESS`` inside one still runs (``vars.xml`` warns about it).
* The first ``X-PRE-PROCESS`` on a line (any case) is the line's only effect: the rest of the line,
  before and after it, is dropped; ``cmd="..."`` then ``data="..."`` are found by plain search.
  ``set`` (``name=value``, spaces around ``=`` trimmed), ``include`` (a glob, relative to the
  directory of the file being read; the root file's is the conf dir), ``exec``, ``exec-set``,
  ``stun-set``, ``env-set``; any other command is ignored. ``<!--#cmd arg-->`` is the other form
  (no ``env-set``); the text around it is kept.
* An include that matches nothing is skipped (FreeSWITCH logs it); includes nest at most 100 deep.
* The XML parser: a tag name ends at blanks, ``/`` or ``>``; attribute values are quoted with ``"``
  or ``'`` and may hold ``<`` or ``>``; an attribute without a quoted value is empty; ``&``
  starts an entity only for ``&lt; &gt; &quot; &apos; &amp;`` and character references, anything
  else stays as written; blanks in values become spaces; the first element is the document and
  anything but comments after it is an error, as is a closing tag that does not match.

The auditor never runs ``exec``/``exec-set``/``stun-set`` and never reads the environment: such
variables are kept as run-time values (``$${name}`` in facts) and their users are not assessed.
Its own guards: includes that leave the configuration directory (after symlinks and ``..``) are
refused without reading them, include loops are refused, unreadable files, symlink loops,
directories, FIFOs and binary files are Problems, never exceptions; file sizes, the number of
files, the expanded text (``$${var}`` blow-up), element count and nesting are bounded, and every
step is linear in its input. Problem messages name files, lines, commands, variable and tag names
from a fixed vocabulary, never a value or a raw line (any value may be a secret).
"""
from __future__ import annotations

import bisect
import errno
import fnmatch
import os
import re
import stat as stat_mod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from voxaudit.parsers.files import LoadBudget, UnreadableFile, read_config_file
from voxaudit.parsers.files import why as _why
from voxaudit.parsers.problem import Problem, label

# FreeSWITCH's own limits.
MAX_INCLUDE_LEVEL = 100          # preprocess(): rlevel > 100 is not read
DLINE_MAX_BYTES = 1048574        # switch_fp_read_dline(): DLINE_MAX_SIZE (1 MiB) less the terminator room
# The auditor's bounds (a hostile tree cannot make the work unbounded).
# A directory of one file per user is how FreeSWITCH is run (directory/default/*.xml): a 20,000-user site is
# 20,000 includes. The document's bytes and elements bound the work below these.
MAX_FILE_LOADS = 50_000          # files read for one document
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024     # the preprocessed document
MAX_EXPANSION_BYTES = 256 * 1024 * 1024   # bytes produced by $${var} expansion, all lines together
MAX_GLOB_RESULTS = 50_000        # paths one include pattern may expand to
MAX_LISTED_ENTRIES = 200_000     # directory entries examined by one include pattern
MAX_ELEMENTS = 500_000
MAX_DEPTH = 512
MAX_PROBLEMS_PER_FILE = 50

# Variables FreeSWITCH's core sets before it reads the configuration (switch_core.c): their values
# exist only on the running host.
CORE_VARIABLES = (
    "hostname", "local_ip_v4", "local_mask_v4", "local_ip_v6", "switch_serial", "base_dir", "recordings_dir",
    "sound_prefix", "sounds_dir", "conf_dir", "log_dir", "run_dir", "db_dir", "mod_dir", "htdocs_dir", "script_dir",
    "temp_dir", "grammar_dir", "fonts_dir", "images_dir", "certs_dir", "storage_dir", "cache_dir", "data_dir",
    "localstate_dir", "core_uuid", "zrtp_enabled", "nat_public_addr", "nat_private_addr", "nat_port", "nat_type",
)
# Where packages put the conf dir: an absolute include below one of them is read from the snapshot.
KNOWN_CONF_DIRS = ("/etc/freeswitch", "/usr/local/freeswitch/conf", "/usr/share/freeswitch/conf",
                   "/opt/freeswitch/conf", "/opt/freeswitch/etc/freeswitch")
# Tag names a message may show (anything else in a document could be a pasted value).
KNOWN_TAGS = frozenset({
    "document", "section", "configuration", "settings", "global_settings", "param", "params", "variable",
    "variables", "profiles", "profile", "gateways", "gateway", "domains", "domain", "groups", "group", "users",
    "user", "modules", "load", "network-lists", "list", "node", "mappings", "map", "email", "aliases", "alias",
    "context", "extension", "condition", "action", "anti-action", "bindings", "binding", "include", "macros",
    "macro", "language", "phrases", "input", "match", "nomatch", "fields", "field", "templates", "template",
    "listeners", "listener", "vhosts", "vhost", "menus", "menu", "entry", "queues", "queue", "agents", "agent",
    "tiers", "tier", "caller-controls", "advertise", "X-PRE-PROCESS",
})

_RT_OPEN, _RT_CLOSE = b"\x01", b"\x02"          # a run-time variable's marker inside expanded text
_RT_RE = re.compile(rb"\x01([^\x01\x02]*)\x02")
_RT_STR_RE = re.compile("\x01([^\x01\x02]*)\x02")
_MARKER_SAFE = bytes.maketrans(b"\x01\x02", b"\x1a\x1a")  # input bytes that would fake a marker
_LINE_END = re.compile(rb"[\r\n]")
# What makes preprocess() do anything but copy a line (X-PRE-PROCESS in any case).
_SPECIAL = re.compile(rb"\$\$\{|<include>|</include>|<\?|<!--#|[Xx]-[Pp][Rr][Ee]-[Pp][Rr][Oo][Cc][Ee][Ss][Ss]")
# A start tag in its plain form (quoted values, '=' right after names, blanks between attributes): read in
# one match; anything else goes through the character-level path below, which follows switch_xml exactly.
_SIMPLE_TAG = re.compile(rb"<([A-Za-z_:\x80-\xff][^\t\r\n />]*)((?:[\t\n\v\f\r ]+[^\t\r\n =/>]+[\t\r\n ]*=[\t\r\n ]*"
                         rb"(?:\"[^\"]*+\"|'[^']*+'))*+)[\t\n\v\f\r ]*+(/?)>")
_SIMPLE_ATTR = re.compile(rb"[\t\n\v\f\r ]+([^\t\r\n =/>]+)[\t\r\n ]*=[\t\r\n ]*(?:\"([^\"]*)\"|'([^']*)')")
_VAR_CHECK = re.compile(rb"\$(\\*)\{")           # switch_string_var_check(): ${ -> %{
_ISSPACE = b" \t\n\v\f\r"
_NAME_STOP = re.compile(rb"[\t\r\n />]")         # strcspn(s, SWITCH_XML_WS "/>")
_ATTR_STOP = re.compile(rb"[\t\r\n =/>]")
_CLOSE_STOP = re.compile(rb"[\t\r\n >]")
_NOT_SPACE = re.compile(rb"[^ \t\n\v\f\r]")
_NOT_SPACE_EQ = re.compile(rb"[^\t\r\n =]")
_ATTR_DECODE = re.compile(rb"&#x([0-9A-Fa-f]+);|&#([0-9]+);|&(lt|gt|quot|apos|amp);|\r\n|[\t\n\v\f\r]")
_NEEDS_DECODE = re.compile(rb"[&\t\n\v\f\r]")
_ENTITIES = {b"lt": b"<", b"gt": b">", b"quot": b'"', b"apos": b"'", b"amp": b"&"}
_ELEMENT_START = re.compile(rb"<[A-Za-z_:\x80-\xff]")
_MAGIC = re.compile(r"[*?\[]")
_VAR_NAME_SAFE = re.compile(rb"[^A-Za-z0-9_.\-]")
_DTD_STOP = re.compile(rb"[\[\]>]")


class _Stop(Exception):
    """The document cannot be read any further (a bound was reached); the problem is recorded."""


def tag_label(name: str) -> str:
    """A tag name fit for a message: only FreeSWITCH's own vocabulary is shown."""
    return f"<{name}>" if name in KNOWN_TAGS else "an element"


class Element:
    """One parsed element: what switch_xml keeps that the audit uses (tag, attributes in order,
    children in order) plus where it starts and ends in the preprocessed text."""

    __slots__ = ("attrs", "children", "end", "parent", "pos", "tag", "used")

    def __init__(self, tag: str, attrs: tuple[tuple[str, str], ...], parent: Element | None, pos: int) -> None:
        self.tag = tag
        self.attrs = attrs
        self.children: list[Element] = []
        self.parent = parent
        self.pos = pos
        self.end = pos
        self.used = False

    def get(self, name: str, default: str | None = None) -> str | None:
        """switch_xml_attr(): the first attribute of that exact name."""
        for k, v in self.attrs:
            if k == name:
                return v
        return default

    def child(self, tag: str) -> Element | None:
        """switch_xml_child(): the first child of that exact tag."""
        for c in self.children:
            if c.tag == tag:
                return c
        return None

    def children_named(self, tag: str) -> list[Element]:
        return [c for c in self.children if c.tag == tag]

    def walk(self) -> Iterator[Element]:
        """This element and all below it, in document order, without recursion."""
        stack = [self]
        while stack:
            el = stack.pop()
            yield el
            stack.extend(reversed(el.children))


@dataclass
class FsDocument:
    """The preprocessed and parsed document, with a map back to (file, line)."""

    root_file: str
    found: bool = True
    root: Element | None = None
    files: list[str] = field(default_factory=list)
    problems: list[tuple[int, Problem]] = field(default_factory=list)   # (offset in the text, problem)
    runtime: dict[str, str] = field(default_factory=dict)               # variable -> what sets it at run time
    used_runtime: set[str] = field(default_factory=set)                 # run-time variables that were expanded
    matched: set[str] = field(default_factory=set)                      # every path an include matched, read or not
    overflow_fatal: list[tuple[int, str]] = field(default_factory=list)  # (offset, file) of unlisted fatal problems
    elements: list[Element] = field(default_factory=list)               # every element, in document order
    size: int = 0
    _starts: list[int] = field(default_factory=list)             # offset where each run of source lines starts
    _sources: list[tuple[str, int]] = field(default_factory=list)  # (file, first line) of each run
    _newlines: list[int] = field(default_factory=list)           # offsets of the text's newlines

    @property
    def fatal(self) -> Problem | None:
        return next((p for _, p in self.problems if p.fatal), None)

    def where(self, pos: int) -> tuple[str, int]:
        """(file, line) in the original sources of an offset in the preprocessed text: the run holding it,
        plus the newlines between the run's start and the offset (a run is copied line for line)."""
        i = bisect.bisect_right(self._starts, pos) - 1
        if i < 0:
            return self.root_file, 0
        file, line = self._sources[i]
        nl = self._newlines
        return file, line + bisect.bisect_left(nl, pos) - bisect.bisect_left(nl, self._starts[i])


class Preprocessor:
    """FreeSWITCH's preprocess() over one root file (or the text of an assumed one)."""

    def __init__(self, conf_dir: Path) -> None:
        self.conf_dir = os.path.abspath(conf_dir)
        try:
            self.root_real = os.path.realpath(self.conf_dir, strict=True)
        except (OSError, RuntimeError, ValueError):
            self.root_real = os.path.realpath(self.conf_dir)
        self.vars: dict[bytes, bytes] = {}
        self.out = bytearray()
        self.doc = FsDocument(root_file="")
        self.reading: list[str] = []
        self.loads = LoadBudget(ceiling=MAX_FILE_LOADS)
        self.expanded = 0
        self.per_file: dict[tuple[str, str], int] = {}
        self.undefined: set[bytes] = set()
        self.stopped = False
        for name in CORE_VARIABLES:
            self._runtime(name.encode(), "core")

    # -- problems -----------------------------------------------------------------------------------
    def problem(self, file: str, line: int, message: str, fatal: bool = False, note: bool = False) -> None:
        """Record a problem at the current offset; at most MAX_PROBLEMS_PER_FILE of each kind (fatal, gap,
        note) per file are listed, the rest counted (a hostile file could otherwise make millions)."""
        kind = "fatal" if fatal else "note" if note else "gap"
        listed = self.per_file.get((file, kind), 0) + 1
        self.per_file[(file, kind)] = listed
        if listed <= MAX_PROBLEMS_PER_FILE:
            self.doc.problems.append((len(self.out), Problem(file, line, message, fatal, note)))
        elif fatal:  # where it happened still decides which part cannot be used
            self.doc.overflow_fatal.append((len(self.out), file))

    def stop(self, file: str, line: int, message: str) -> None:
        self.problem(file, line, message, fatal=True)
        raise _Stop

    # -- entry point --------------------------------------------------------------------------------
    def run(self, root_rel: str, text: bytes | None = None) -> FsDocument:
        """Preprocess ``root_rel`` (or ``text`` shown under that name) and parse the result."""
        self.doc.root_file = root_rel
        try:
            if text is not None:
                self.doc.files.append(root_rel)
                self._lines(text, root_rel, self.conf_dir, 0)
            else:
                path = os.path.join(self.conf_dir, root_rel)
                if not os.path.lexists(path):
                    self.doc.found = False
                    return self.doc
                self._file(path, root_rel, 0, 0, root=True)
        except _Stop:
            self.stopped = True
        for (file, kind), listed in self.per_file.items():
            if listed > MAX_PROBLEMS_PER_FILE and kind != "fatal":
                self.doc.problems.append((0, Problem(file, 0, f"{listed - MAX_PROBLEMS_PER_FILE} more "
                                                     f"{'notes' if kind == 'note' else 'problems'} in this file are "
                                                     "not listed", False, kind == "note")))
        self.doc.size = len(self.out)
        text = bytes(self.out)
        self.doc._newlines = [m.start() for m in re.finditer(b"\n", text)]
        if not self.stopped and self.doc.files:
            _parse(text, self.doc)
        return self.doc

    # -- variables ----------------------------------------------------------------------------------
    def _runtime(self, name: bytes, how: str) -> None:
        key = name.lower()
        self.vars[key] = _RT_OPEN + _VAR_NAME_SAFE.sub(b"_", name)[:64] + _RT_CLOSE
        self.doc.runtime[key.decode("utf-8", "replace")] = how

    def _set(self, name: bytes, value: bytes) -> None:
        self.vars[name.lower()] = _VAR_CHECK.sub(rb"%\1{", value) if b"{" in value else value

    def expand(self, line: bytes, rel: str, lineno: int) -> bytes:
        """expand_vars(): every ``$${name}``, the name ending at its matching brace."""
        if b"$${" not in line:
            return line
        match: dict[int, int] | None = None  # brace matching for the whole line, only when a name nests braces
        unterminated = False
        out: list[bytes] = []
        size = 0
        i = 0
        while True:
            j = line.find(b"$${", i)
            if j < 0:
                out.append(line[i:])
                break
            out.append(line[i:j])
            if match is None:  # the plain $${name}: its '}' is the first one (each scan ends where the next starts)
                e = line.find(b"}", j + 3)
                if e < 0 or line.find(b"{", j + 3, e) >= 0:
                    match = _brace_matches(line)  # once per line, then used for the rest of it
            if match is not None:
                e = match.get(j + 2, -1)
            if e < 0:  # unterminated: FreeSWITCH logs it and copies the '$'
                if not unterminated:
                    unterminated = True
                    self.problem(rel, lineno, "unterminated $${ (FreeSWITCH copies it as written)", note=True)
                out.append(b"$")
                i = j + 1
                continue
            name = line[j + 3:e]
            value = self.vars.get(name.lower())
            if value is None:
                key = name.lower()
                if key not in self.undefined and len(self.undefined) < 1000:
                    self.undefined.add(key)
                    self.problem(rel, lineno, f"$${{{label(name.decode('utf-8', 'replace'))}}} is not defined here; "
                                 "FreeSWITCH expands it to an empty value", note=True)
            else:
                out.append(value)
                size += len(value)
                if _RT_OPEN in value:
                    self.doc.used_runtime.update(m.group(1).decode().lower() for m in _RT_RE.finditer(value))
            i = e + 1
        self.expanded += size
        if self.expanded > MAX_EXPANSION_BYTES:
            self.stop(rel, lineno, f"$${{...}} expansion produces more than {MAX_EXPANSION_BYTES >> 20} MiB "
                      "(variables that double); not read")
        return b"".join(out)

    # -- files --------------------------------------------------------------------------------------
    def rel(self, path: str) -> str:
        try:
            r = os.path.relpath(path, self.conf_dir)
        except ValueError:
            r = os.path.basename(path)
        return r if not r.startswith("..") else os.path.basename(path)

    def inside(self, real: str) -> bool:
        return real == self.root_real or real.startswith(self.root_real.rstrip(os.sep) + os.sep)

    def _file(self, path: str, rel: str, level: int, from_line: int, root: bool = False,
              from_file: str = "") -> None:
        """preprocess() of one file; ``root``: FreeSWITCH cannot start without it."""
        where = (from_file or rel, from_line)
        self.doc.matched.add(rel)
        if level > MAX_INCLUDE_LEVEL:
            self.problem(*where, f"include of {label(rel)} is {level} levels deep: FreeSWITCH stops at "
                         f"{MAX_INCLUDE_LEVEL} and does not read it", note=True)
            return
        loose = os.path.realpath(path)
        if not self.inside(loose):
            self.problem(*where, f"include of {label(rel)} leaves the configuration directory; refused", fatal=True)
            return
        try:
            real = os.path.realpath(path, strict=True)
        except (OSError, RuntimeError, ValueError) as exc:
            if isinstance(exc, FileNotFoundError) and not os.path.islink(path):
                if root:
                    self.doc.found = False
                return  # matched, then vanished: nothing to read
            why = "symbolic link loop" if not isinstance(exc, OSError) or exc.errno == errno.ELOOP else _why(exc)
            self.problem(rel, 0, f"cannot read file: {why}; what it holds is not audited", fatal=root)
            return
        if not self.inside(real):
            self.problem(*where, f"include of {label(rel)} leaves the configuration directory; refused", fatal=True)
            return
        if real in self.reading:
            self.problem(*where, f"include loop: {label(rel)} includes itself (FreeSWITCH repeats it "
                         f"{MAX_INCLUDE_LEVEL} levels deep); refused", fatal=True)
            return
        if not self.loads.spend(real):
            self.stop(*where, f"more than {self.loads.said()}; not read further")
        try:
            st = os.stat(real)
        except OSError as exc:
            self.problem(rel, 0, f"cannot read file: {_why(exc)}; what it holds is not audited", fatal=root)
            return
        if stat_mod.S_ISDIR(st.st_mode):
            self.problem(rel, 0, "a directory: FreeSWITCH reads nothing from it", fatal=root, note=not root)
            return
        if not stat_mod.S_ISREG(st.st_mode):
            self.problem(rel, 0, "not a regular file (FIFO, socket or device); not read", fatal=root)
            return
        raw = self._read(real, rel, root)
        if raw is None:
            return
        self.doc.files.append(rel)
        self.reading.append(real)
        try:
            self._lines(raw, rel, os.path.dirname(path), level)
        finally:
            self.reading.pop()

    def _read(self, real: str, rel: str, root: bool) -> bytes | None:
        """Read a regular file without following a link swapped in meanwhile, nor blocking on a FIFO.
        A file too large or binary is refused as FreeSWITCH would; one it cannot open costs its root."""
        try:
            return read_config_file(real, MAX_FILE_BYTES)
        except UnreadableFile as exc:
            if exc.kind == "binary":
                self.problem(rel, 0, f"{exc.reason}, not FreeSWITCH XML; not read", fatal=True)
            elif exc.kind == "too-large":
                self.problem(rel, 0, exc.reason, fatal=True)
            elif exc.kind == "unreadable":
                self.problem(rel, 0, f"{exc.reason}; what it holds is not audited", fatal=root)
            else:
                self.problem(rel, 0, exc.reason, fatal=root)
            return None

    # -- lines --------------------------------------------------------------------------------------
    def emit(self, text: bytes, rel: str, lineno: int) -> None:
        """Append text that starts at ``lineno`` of ``rel`` (whole lines, or a piece of one line)."""
        if not text:
            return
        self.doc._starts.append(len(self.out))
        self.doc._sources.append((rel, lineno))
        self.out += text
        if len(self.out) > MAX_DOCUMENT_BYTES:
            self.stop(rel, lineno, f"preprocessed configuration larger than {MAX_DOCUMENT_BYTES >> 20} MiB; not read")

    def _lines(self, raw: bytes, rel: str, cwd: str, level: int) -> None:
        """The line loop of preprocess() for one file."""
        if b"\x01" in raw or b"\x02" in raw:
            raw = raw.translate(_MARKER_SAFE)
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            self.problem(rel, 0, "file is not valid UTF-8; undecodable bytes are shown replaced", note=True)
        n = len(raw)
        pos = 0
        lineno = 1
        ml = False
        long_noted = False
        while pos < n:
            if not ml:  # lines without anything the preprocessor acts on are copied as they are, in one piece
                m = _SPECIAL.search(raw, pos)
                stop = n if m is None else max(raw.rfind(b"\n", pos, m.start()), raw.rfind(b"\r", pos, m.start())) + 1
                if stop > pos:
                    self.emit(raw[pos:stop], rel, lineno)
                    lineno += raw.count(b"\n", pos, stop)
                    pos = stop
                    continue
            m = _LINE_END.search(raw, pos)
            end = m.end() if m else n
            if end - pos > DLINE_MAX_BYTES:
                end = pos + DLINE_MAX_BYTES
                if not long_noted:
                    long_noted = True
                    self.problem(rel, lineno, "line longer than 1 MiB: FreeSWITCH reads it in 1 MiB pieces", note=True)
            buf = raw[pos:end]
            pos = end
            this_line = lineno
            if buf.endswith(b"\n"):
                lineno += 1
            ml = self._line(buf, rel, this_line, cwd, level, ml)

    def _line(self, buf: bytes, rel: str, lineno: int, cwd: str, level: int, ml: bool) -> bool:
        """One line; returns whether a ``<!--#`` block is still open."""
        bp = self.expand(buf, rel, lineno)
        if b"<include>" in buf or b"</include>" in buf or b"<?" in buf:
            if _ELEMENT_START.search(_strip_tokens(buf)):
                self.problem(rel, lineno, "line holds <include>, </include> or <? and other elements: "
                             "FreeSWITCH drops the whole line", note=True)
            return ml
        if ml:
            e = buf.find(b"-->")
            if e < 0:
                return True
            ml = False
            bp = buf[e + 3:]
        low = bp.lower()
        t = low.find(b"x-pre-process")
        if t >= 0:
            if t == 0 or bp[t - 1:t] != b"<":
                return ml  # FreeSWITCH drops the line
            close = bp.find(b"/>", t)
            rest = bp[:t - 1] + (bp[close + 2:] if close >= 0 else b"")
            if _ELEMENT_START.search(rest):
                self.problem(rel, lineno, "elements on the same line as an X-PRE-PROCESS: FreeSWITCH drops "
                             "the whole line", note=True)
            parsed = _xpre_args(bp, low, t)
            if parsed is not None:
                self.directive(parsed[0].lower(), parsed[1], rel, lineno, cwd, level, "X-PRE-PROCESS", b"$${" in buf)
            return ml
        c = bp.find(b"<!--#")
        if c >= 0:
            self.emit(bp[:c], rel, lineno)
            e = bp.find(b"-->", c)
            if e >= 0:
                self.emit(bp[e + 3:], rel, lineno)
                body = bp[c + 5:e]
            else:
                ml = True
                body = bp[c + 5:]
            cut = _LINE_END.search(body)
            if cut:
                body = body[:cut.start()]
            sp = body.find(b" ")
            if sp >= 0:
                cmd, arg = body[:sp].lower(), body[sp + 1:]
                q = arg.find(b'"')
                if q >= 0:
                    q2 = arg.find(b'"', q + 1)
                    if q2 >= 0:
                        arg = arg[q + 1:q2]
                if cmd != b"comment":
                    self.directive(cmd, arg, rel, lineno, cwd, level, "<!--#", b"$${" in buf)
            return ml
        self.emit(bp, rel, lineno)
        return ml

    def directive(self, cmd: bytes, data: bytes, rel: str, lineno: int, cwd: str, level: int, form: str,
                  expanded: bool = False) -> None:
        """One preprocessor command; ``expanded``: the line held ``$${...}`` (its data may hold a value)."""
        shown = cmd.decode("ascii", "replace")
        if cmd == b"set":
            eq = data.find(b"=")
            if eq >= 0:
                self._set(data[:eq].rstrip(b" "), data[eq + 1:].lstrip(b" "))
        elif cmd in (b"exec-set", b"stun-set") or (cmd == b"env-set" and form == "X-PRE-PROCESS"):
            eq = data.find(b"=")
            if eq < 0:
                return
            name = data[:eq] if cmd == b"env-set" else data[:eq].rstrip(b" ")
            if cmd == b"env-set" and not data[eq + 1:].startswith(b"$"):
                return  # preprocess_env_set() sets nothing then
            self._runtime(name, cmd.decode())
            var = label(name.decode("utf-8", "replace"))
            if cmd == b"exec-set":
                self.problem(rel, lineno, f"X-PRE-PROCESS exec-set of $${{{var}}}: the command is never run by the "
                             "auditor, so its output is not audited; values using it are not assessed")
            else:
                self.problem(rel, lineno, f"X-PRE-PROCESS {shown} of $${{{var}}}: known only on the running host; "
                             "values using it are not assessed", note=True)
        elif cmd == b"include":
            self.include(data, rel, lineno, cwd, level, expanded)
        elif cmd == b"exec":
            self.problem(rel, lineno, "X-PRE-PROCESS exec: the command is never run by the auditor; the "
                         "configuration it prints here is not audited")
        else:  # the command itself is not shown: it could be anything pasted there
            self.problem(rel, lineno, f"{form} with a cmd other than set, include, exec, exec-set, stun-set or "
                         "env-set; FreeSWITCH ignores it", note=True)

    # -- includes -----------------------------------------------------------------------------------
    def include(self, data: bytes, rel: str, lineno: int, cwd: str, level: int, expanded: bool = False) -> None:
        """preprocess_glob(): the pattern relative to ``cwd`` unless absolute; files in glob order."""
        m = _RT_RE.search(data)
        if m:
            name = m.group(1).decode("utf-8", "replace")
            head = data[:m.start()]
            tail = data[m.end():].decode("utf-8", "replace")
            if not head and name == "conf_dir":
                pattern = self.conf_dir + tail
            elif not head and name == "base_dir" and tail.startswith("/conf/"):
                pattern = self.conf_dir + tail[len("/conf"):]
            else:
                self.problem(rel, lineno, f"include path depends on $${{{label(name)}}}, known only on the running "
                             "host; not read")
                return
        else:
            pattern = data.decode("utf-8", "replace")
        # a file name may be shown; a pattern built from variables may carry a value, so it is not
        shown = "a pattern built from $${...} variables" if expanded else label(pattern)
        if pattern.startswith("/") or "://" in pattern:  # switch_is_file_path(): used as it is
            mapped = next((self.conf_dir + pattern[len(d):] for d in KNOWN_CONF_DIRS if pattern.startswith(d + "/")),
                          None)
            if not pattern.startswith("/") or not self.inside(os.path.realpath(_fixed_prefix(pattern))):
                if mapped is None:
                    self.problem(rel, lineno, f"include of {shown} leaves the configuration directory; refused",
                                 fatal=True)
                    return
                pattern = mapped  # the packaged conf dir's path, read from the snapshot
        else:
            pattern = os.path.join(cwd, pattern)
        matches = self._glob(pattern, rel, lineno, shown)
        if matches is None:
            return
        if not matches:
            self.problem(rel, lineno, f"include {shown} matches no file; FreeSWITCH skips it", note=True)
            return
        for path in matches:
            self._file(path, self.rel(path), level + 1, lineno, from_file=rel)

    def _glob(self, pattern: str, rel: str, lineno: int, shown: str) -> list[str] | None:
        """glob(3) of ``pattern`` without ever listing a directory outside the configuration directory;
        None when refused (the problem is recorded)."""
        parts = pattern.split("/")
        if not any(_MAGIC.search(p) for p in parts):
            return [pattern] if os.path.lexists(pattern) else []
        first = next(i for i, p in enumerate(parts) if _MAGIC.search(p))
        base = "/".join(parts[:first]) or "/"
        current = [base]
        examined = 0
        for k in range(first, len(parts)):
            part, last = parts[k], k == len(parts) - 1
            nxt: list[str] = []
            for d in current:
                if not _MAGIC.search(part):
                    p = os.path.join(d, part) if part else d + "/"
                    if os.path.lexists(p):
                        nxt.append(p)
                    continue
                real = os.path.realpath(d)
                if not self.inside(real):
                    self.problem(rel, lineno, f"include of {shown} leaves the configuration directory; refused",
                                 fatal=True)
                    return None
                try:
                    names = sorted(os.listdir(d), key=os.fsencode)
                except OSError:
                    continue  # GLOB_ERR: FreeSWITCH reports the include as failed and reads nothing
                examined += len(names)
                if examined > MAX_LISTED_ENTRIES:
                    self.problem(rel, lineno, f"include {shown} examines more than {MAX_LISTED_ENTRIES} directory "
                                 "entries; not read", fatal=True)
                    return None
                hidden_ok = part.startswith(".")
                for name in names:
                    if (hidden_ok or not name.startswith(".")) and fnmatch.fnmatchcase(name, part):
                        p = os.path.join(d, name)
                        if last or os.path.isdir(p):
                            nxt.append(p)
            current = nxt
            if len(current) > MAX_GLOB_RESULTS:
                self.problem(rel, lineno, f"include {shown} matches more than {MAX_GLOB_RESULTS} paths; not read",
                             fatal=True)
                return None
        return sorted(current, key=os.fsencode)


# -- helpers ---------------------------------------------------------------------------------------
def _fixed_prefix(pattern: str) -> str:
    """The directory part of a glob pattern before its first wildcard."""
    parts = pattern.split("/")
    for i, p in enumerate(parts):
        if _MAGIC.search(p):
            return "/".join(parts[:i]) or "/"
    return pattern


def _strip_tokens(buf: bytes) -> bytes:
    return buf.replace(b"<include>", b"").replace(b"</include>", b"")


def _brace_matches(line: bytes) -> dict[int, int]:
    """For each '{' of the line, the index of its matching '}' (switch_find_end_paren), in one pass."""
    out: dict[int, int] = {}
    stack: list[int] = []
    for m in re.finditer(rb"[{}]", line):
        if m.group() == b"{":
            stack.append(m.start())
        elif stack:
            out[stack.pop()] = m.start()
    return out


def _xpre_args(bp: bytes, low: bytes, t: int) -> tuple[bytes, bytes] | None:
    """cmd and data of an X-PRE-PROCESS, found the way preprocess() searches for them."""
    k = low.find(b"cmd", t)
    if k < 0:
        return None
    k = bp.find(b"=", k)
    if k < 0:
        return None
    k = bp.find(b'"', k)
    if k < 0:
        return None
    e = bp.find(b'"', k + 1)
    if e < 0:
        return None
    cmd = bp[k + 1:e]
    d = low.find(b"data", e + 1)
    if d < 0:
        return None
    d = bp.find(b"=", d)
    if d < 0:
        return None
    d = bp.find(b'"', d)
    if d < 0:
        return None
    e2 = bp.find(b'"', d + 1)
    return cmd, (bp[d + 1:e2] if e2 >= 0 else bp[d + 1:])


def _decode_ref(m: re.Match) -> bytes:
    hexa, dec, name = m.group(1), m.group(2), m.group(3)
    if name is not None:
        return _ENTITIES[name]
    if hexa is None and dec is None:
        return b" "  # a blank (CR LF counts once) becomes a space
    digits = (hexa or dec).lstrip(b"0")
    if not digits or len(digits) > 10:
        return m.group()  # zero, or beyond strtoul's range: left as written
    c = int(digits, 16 if hexa is not None else 10)
    if c > 0x7FFFFFFF:
        return m.group()
    if c > 0x10FFFF or 0xD800 <= c <= 0xDFFF:
        return "\ufffd".encode()
    return chr(c).encode("utf-8", "replace")


def decode_value(raw: bytes) -> str:
    """switch_xml_decode(..., ' '): character references and the five XML entities, blanks to spaces;
    any other '&' stays as written."""
    if _NEEDS_DECODE.search(raw) is not None:
        raw = _ATTR_DECODE.sub(_decode_ref, raw)
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")


def _start_tag(buf: bytes, d: int) -> tuple[str, tuple[tuple[str, str], ...], bool, int] | str:
    """A start tag read character by character as switch_xml_parse_str() does: (name, attributes,
    self-closing, offset of its '>'), or why it is an error. An attribute without a quoted value is
    empty; blanks and '=' between a name and its quote are skipped; a value may hold '<' and '>'."""
    n = len(buf)
    m = _NAME_STOP.search(buf, d)
    ne = m.start() if m else n
    name = buf[d:ne].decode("utf-8", "replace")
    s = ne
    attrs: list[tuple[str, str]] = []
    while True:
        m = _NOT_SPACE.search(buf, s)
        s = m.start() if m else n
        if s >= n or buf[s] in (0x2F, 0x3E):
            break
        m = _ATTR_STOP.search(buf, s)
        ae = m.start() if m else n
        aname = buf[s:ae].decode("utf-8", "replace")
        value = ""
        s = ae
        if s < n and (buf[s] == 0x3D or buf[s] in _ISSPACE):
            m = _NOT_SPACE_EQ.search(buf, s + 1)
            s = m.start() if m else n
            q = buf[s] if s < n else 0
            if q in (0x22, 0x27):
                close = buf.find(bytes((q,)), s + 1)
                if close < 0:
                    return "attribute value without its closing quote"
                value = decode_value(buf[s + 1:close])
                s = close + 1
        attrs.append((aname, value))
    if s >= n:
        return "missing '>'"
    if buf[s] == 0x2F:
        if s + 1 >= n or buf[s + 1] != 0x3E:
            return "missing '>' after '/'"
        return name, tuple(attrs), True, s + 1
    return name, tuple(attrs), False, s


def _parse(buf: bytes, doc: FsDocument) -> None:
    """switch_xml_parse_str() over the preprocessed text; the first error refuses the document."""
    n = len(buf)
    root: Element | None = None
    stack: list[Element] = []
    elements: list[Element] = []
    closed = False
    names: dict[bytes, str] = {}  # tag and attribute names repeat: decoded once

    def fail(pos: int, message: str, limit: bool = False) -> None:
        file, line = doc.where(pos)
        why = (f"{message}: beyond what the auditor reads; not read" if limit else
               f"XML error: {message}; FreeSWITCH refuses the whole configuration")
        doc.problems.append((pos, Problem(file, line, why, True)))

    s = buf.find(b"<")
    if s < 0:
        fail(0, "no root element")
        return
    while True:
        d = s + 1
        c = buf[d] if d < n else 0
        if c == 0x2F:  # '/': closing tag
            m = _CLOSE_STOP.search(buf, d + 1)
            ce = m.start() if m else n
            if ce >= n:
                return fail(s, "missing '>'")
            name = buf[d + 1:ce].decode("utf-8", "replace")
            if not stack or stack[-1].tag != name:
                expected = f"; {tag_label(stack[-1].tag)} is open" if stack else ""
                return fail(s, f"unexpected closing tag {tag_label(name)}{expected}")
            el = stack.pop()
            el.end = ce + 1
            if not stack:
                closed = True
            s = ce
            if buf[s] in _ISSPACE:
                m = _NOT_SPACE.search(buf, s)
                s = m.start() if m else n
                el.end = s + 1
        elif 0x61 <= (c | 0x20) <= 0x7A or c in (0x5F, 0x3A) or c >= 0x80:  # isalpha, '_', ':', 8-bit
            if closed:
                return fail(s, "element after the end of the root element")
            m = _SIMPLE_TAG.match(buf, s)
            if m is not None:
                raw_name, raw_attrs, slash = m.groups()
                name = names.get(raw_name) or names.setdefault(raw_name, raw_name.decode("utf-8", "replace"))
                attrs = tuple((names.get(k) or names.setdefault(k, k.decode("utf-8", "replace")),
                               decode_value(v2 if v2 is not None else v3))
                              for k, v2, v3 in (a.groups() for a in _SIMPLE_ATTR.finditer(raw_attrs)))
                self_closing = bool(slash)
                s = m.end() - 1
            else:
                parsed = _start_tag(buf, d)
                if isinstance(parsed, str):
                    return fail(s, parsed)
                name, attrs, self_closing, s = parsed
            parent = stack[-1] if stack else None
            if len(elements) >= MAX_ELEMENTS:
                return fail(s, f"more than {MAX_ELEMENTS} elements", limit=True)
            el = Element(name, attrs, parent, d - 1)
            elements.append(el)
            if parent is not None:
                parent.children.append(el)
            else:
                root = el
            if self_closing:
                el.end = s + 1
                if parent is None:
                    closed = True
            else:
                if len(stack) >= MAX_DEPTH:
                    return fail(d - 1, f"elements nested more than {MAX_DEPTH} deep", limit=True)
                stack.append(el)
        elif buf.startswith(b"!--", d):
            k = buf.find(b"--", d + 3)
            if k < 0 or k + 2 >= n or buf[k + 2] != 0x3E:
                return fail(s, "comment not closed by '-->' (or '--' inside a comment)")
            s = k + 2
        elif buf.startswith(b"![CDATA[", d):
            k = buf.find(b"]]>", d)
            if k < 0:
                return fail(s, "CDATA section not closed")
            s = k + 2
        elif buf.startswith(b"!DOCTYPE", d):
            i, subset = d, False
            while i < n:
                ch = buf[i]
                if not subset and ch == 0x3E:
                    break
                if subset and ch == 0x5D:
                    m = _NOT_SPACE.search(buf, i + 1)
                    if m and buf[m.start()] == 0x3E:
                        i = m.start()
                        break
                m = _DTD_STOP.search(buf, i + 1)
                i = m.start() if m else n
                if i < n and buf[i] == 0x5B:
                    subset = True
            if i >= n:
                return fail(s, "DOCTYPE not closed")
            if subset:
                file, line = doc.where(s)
                doc.problems.append((s, Problem(file, line, "DOCTYPE with declarations: FreeSWITCH expands the "
                                                "entities it declares, the auditor does not; values using them "
                                                "are not assessed", False)))
            s = i
        elif c == 0x3F:  # '?': processing instruction
            k = buf.find(b"?>", d)
            if k < 0:
                return fail(s, "processing instruction not closed")
            s = k + 1
        else:
            return fail(s, "'<' that starts no tag")
        if s + 1 >= n:
            break
        j = buf.find(b"<", s + 1)
        if j < 0:
            break
        s = j
    if stack:
        return fail(stack[-1].pos, f"{tag_label(stack[-1].tag)} is never closed")
    if root is None:
        return fail(n, "no root element")
    doc.root = root
    doc.elements = elements


def runtime_value(value: str) -> str:
    """A value from the parsed document with its run-time markers shown as ``$${name}``."""
    return _RT_STR_RE.sub(lambda m: "$${" + m.group(1) + "}", value) if "\x01" in value else value
