"""Asterisk's .conf dialect, read exactly the way Asterisk's ``main/config.c`` reads it.

Every rule below follows ``config_text_file_load`` / ``process_text_line`` (Asterisk master);
``tests/test_asterisk_config_fidelity.py`` states each one with its config.c reference.

* Lines end at ``\\n`` only; a UTF-8 BOM is dropped from the first line of a load; a line longer
  than 8190 bytes is skipped (``fgets`` into ``buf[8192]``); leading/trailing bytes below 33 are
  blanks (``ast_strip``).
* ``;`` starts a comment unless escaped as ``\\;`` (the backslash is removed). ``;--`` opens a block
  comment only when the next character is not another ``-`` (so ``;-------- banner`` is an ordinary
  comment), ``--;`` closes one; blocks nest (128 deep at most: beyond that Asterisk loops forever);
  text before and after an inline block joins up. A ``--;`` with no block open drives the depth
  negative and Asterisk then ignores every line until a ``;--``. A block's depth carries over to the
  next file of the same ``#include`` glob.
* ``[name]`` (name kept as written, cut to 79 bytes; text after ``]`` ignored unless it is ``(``),
  ``[name](opts)`` with comma-separated, untrimmed options: ``!`` template, ``+`` / ``+filter`` add
  to the first non-template section of that name (matching the filter), any other token inherits
  from the first section (template or not) of that name, in order, entries copied at that moment.
* ``key = value``, ``key => value``, ``key += more`` (appends to the last ``key`` written exactly so,
  in place), ``\\`` escaping the first character of a key. A line without ``=`` or without a key is
  ignored (a warning in Asterisk, a gap here).
* ``#include`` / ``#tryinclude`` (quoted ``"..."``, ``<...>`` or bare) relative to the configuration
  directory, glob-expanded like glibc ``glob(GLOB_NOMAGIC | GLOB_BRACE)``; the section current when
  an included file returns is the includer's own, not the included file's; 10 nested levels at
  most. ``#exec`` is never run: a gap says its output is not audited.
* An error in the root file makes Asterisk refuse the whole configuration (``fatal``); an error in
  an included file only stops reading that file (a gap: the rest of it is not in effect).

The auditor adds its own guards: includes that leave the configuration directory (after symlinks
and ``..``) are refused without reading them; unreadable files, symlink loops, directories and
vanished files are Problems, never exceptions; sizes and work are bounded so any input is read in
linear time. Problem messages name files, lines, sections and include targets, never a value or a
raw line (any value may be a secret).
"""
from __future__ import annotations

import os
import re
import stat as stat_mod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from voxaudit.parsers.files import LoadBudget, UnreadableFile, read_config_file
from voxaudit.parsers.files import why as _why
from voxaudit.parsers.problem import Problem, label

# Asterisk's own limits (main/config.c).
MAX_INCLUDE_LEVEL = 10          # MAX_INCLUDE_LEVEL: nested #include levels below the root file
MAX_NESTED_COMMENTS = 128       # MAX_NESTED_COMMENTS: one more ';--' and Asterisk loops forever
MAX_LINE_BYTES = 8190           # fgets() into buf[8192]: a longer line is skipped
MAX_CATEGORY_NAME_BYTES = 79    # struct ast_category: char name[80]
# The auditor's bounds (a hostile tree cannot make the work unbounded).
# One file per extension or trunk (#include "users/*.conf") is how many sites are laid out: a 20,000-line site is
# 20,000 includes, which Asterisk reads without a bound. These only stop a hostile tree's fan-out.
MAX_FILE_LOADS = 50_000         # files read per root
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_GLOB_RESULTS = 50_000       # paths one #include pattern may expand to
MAX_BRACE_ALTERNATIVES = 256    # GLOB_BRACE alternatives per pattern
MAX_SCAN_STEPS = 2_000_000      # look-ups that are not indexed ((+filter), += corner cases)
# Settings copied from templates, per root: [tN](tN-1,tN-1) doubles them at every line (40 lines would be
# 2**40), and Asterisk itself never finishes loading such a file. A 50,000-extension tree copies ~400,000.
MAX_INHERITED_ENTRIES = 4_000_000
TEMPLATE_SUFFIXES = (".template", ".tmpl", ".tpl", ".j2", ".in", ".dist", ".example", ".sample")
MAX_PROBLEMS_PER_FILE = 50      # non-fatal problems listed per file; the rest are counted
DEFAULT_ASTERISK_CONFIG_DIR = "/etc/asterisk"

_BLANKS = "".join(chr(i) for i in range(33))  # ast_strip(): every byte below 33
_LONG_CHARS = MAX_LINE_BYTES // 4             # below this many characters a line cannot exceed the byte limit
_LONG_NAME = MAX_CATEGORY_NAME_BYTES // 4 + 1  # a header whose "]" is at most here has a name that cannot exceed it
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_SHOWN_NAME = 40


def _ci(s: str) -> str:
    """strcasecmp()'s folding: ASCII letters only (Asterisk compares in the C locale)."""
    return s.lower() if s.isascii() else s.translate(_ASCII_LOWER)


def _show(name: str) -> str:
    """A section or key name for a message: printable ASCII only, at most 40 characters, quoted."""
    return f"'{label(name, _SHOWN_NAME)}'"


_FILE_NAME = re.compile(r"[A-Za-z0-9_./*?{},+@-]{1,80}")


def _show_file(name: str) -> str:
    """An include target for a message, only when it looks like a file name or pattern (the rest of
    a directive line is not quoted: it could be anything)."""
    return f" {_show(name)}" if _FILE_NAME.fullmatch(name) else ""


_LINK_TARGET = re.compile(r"[A-Za-z0-9_./+@-]{1,200}")


def _link_target(path: str) -> str | None:
    """Where ``path`` points when it is itself a symbolic link (the quoted target when it looks like a
    file name, "" otherwise); None when it is not a link. FreePBX and IssabelPBX make sip.conf,
    extensions.conf, logger.conf... absolute links into their web modules: a copy made without
    following links keeps only the link, and the message must say so to be acted on."""
    try:
        target = os.readlink(path)
    except (OSError, ValueError):
        return None
    return f"'{label(target, 96)}'" if _LINK_TARGET.fullmatch(target) else ""


class Entry(msgspec.Struct, gc=False):
    """One configuration line as Asterisk keeps it (a struct: a 10,000-extension tree has 140,000)."""

    key: str
    value: str
    file: str
    line: int
    op: str = "="
    name: str = ""  # the key as written (``key`` is folded); ``+=`` matches it exactly, as Asterisk does
    # What the facts builder made of this line, kept so that every section inheriting it (a template's
    # lines are shared, as ast_category_inherit shares them) reuses one fact instead of a copy each.
    fact: Any = None


class Section(msgspec.Struct):
    """One ``[category]`` (a struct: a 10,000-extension tree has 30,000, and a dataclass's two list
    factories made building them a tenth of the read)."""

    name: str
    file: str
    line: int
    is_template: bool = False
    templates: list[str] = []
    entries: list[Entry] = []

    def get(self, key: str, default: str | None = None) -> str | None:
        """Last value of ``key``, as ``ast_variable_retrieve`` returns it (so a setting overrides its template)."""
        key = _ci(key)
        for entry in reversed(self.entries):
            if entry.key == key:
                return entry.value
        return default

    def entry(self, key: str) -> Entry | None:
        key = _ci(key)
        for entry in reversed(self.entries):
            if entry.key == key:
                return entry
        return None

    def all(self, key: str) -> list[Entry]:
        key = _ci(key)
        return [e for e in self.entries if e.key == key]


@dataclass
class ParsedConfig:
    """One root config file (e.g. ``pjsip.conf``) with everything it includes."""

    root: str
    sections: list[Section] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    found: bool = True
    content_lines: int = 0  # section headers and settings left after comments were removed (not directives)
    config_dir: str = ""  # where the root was looked for (to tell a missing root's leftover fragments)

    @property
    def fatal(self) -> Problem | None:
        return next((p for p in self.problems if p.fatal), None)

    def instances(self) -> list[Section]:
        """Sections Asterisk instantiates (templates are not objects)."""
        return [s for s in self.sections if not s.is_template]

    def section(self, name: str) -> Section | None:
        """The first non-template section of that name, as ``ast_category_get`` finds it."""
        name = _ci(name)
        return next((s for s in self.sections if _ci(s.name) == name and not s.is_template), None)


class _NestLimit(Exception):
    """More than MAX_NESTED_COMMENTS open block comments: Asterisk's comment loop never ends."""


class _Stop(Exception):
    """A fatal problem was recorded: stop reading this root."""


def _strip_comment(line: str, depth: int) -> tuple[str, int]:
    """config_text_file_load's comment loop for one line: (text Asterisk processes, new block depth).

    Follows the C loop ';' by ';' (positions in the original line): ``\\;`` is a literal ';'
    (backslash removed); ``;--`` not followed by '-' opens a block (cutting the text there); ``--;``
    closes one (at depth 0 the text after it joins the text before the block), even when none is
    open (the depth then goes negative, and the ';' is kept); any other ';' ends the line at depth 0.
    """
    semi = line.find(";")
    if depth == 0:
        if semi < 0:
            return line.strip(_BLANKS), 0
        # The common case: the first ';' is an ordinary comment (not escaped, not ';--x', not '--;').
        if ((semi == 0 or line[semi - 1] != "\\")
                and (line[semi + 1:semi + 3] != "--" or line[semi + 3:semi + 4] == "-")
                and (semi < 2 or line[semi - 2:semi] != "--")):
            return line[:semi].strip(_BLANKS), 0
    elif semi < 0:
        return "", depth
    pieces: list[str] = []
    processing = depth == 0          # process_buf != NULL
    live = 0 if processing else -1   # where the part of the line still joined to process_buf starts
    new_buf = 0
    n = len(line)
    i = semi
    while i >= 0:
        if i > new_buf and line[i - 1] == "\\":            # escaped: memmove drops the backslash
            if live >= 0:
                pieces.append(line[live:i - 1])
                live = i
            new_buf = i + 1
        elif line[i + 1:i + 3] == "--" and line[i + 3:i + 4] != "-":   # ';--' opens a block
            if depth >= MAX_NESTED_COMMENTS:
                raise _NestLimit
            if live >= 0:
                pieces.append(line[live:i])
                live = -1
            depth += 1
            new_buf = i + 3
        elif i >= new_buf + 2 and line[i - 2:i] == "--":   # '--;' closes one
            depth -= 1
            new_buf = i + 1
            if depth == 0:
                processing = True
                live = i + 1
        elif depth == 0:                                    # an ordinary comment: the line ends here
            if live >= 0:
                pieces.append(line[live:i])
                live = -1
            new_buf = n
            break
        else:
            new_buf = i + 1
        i = line.find(";", new_buf)
    if not processing:
        return "", depth
    if live >= 0:
        pieces.append(line[live:])
    return "".join(pieces).strip(_BLANKS), depth


# --- glob, as glibc glob(GLOB_NOMAGIC | GLOB_BRACE) expands an include pattern --------------------

def _next_brace_sub(p: str, i: int) -> int:
    """glibc next_brace_sub(): index of the ',' or '}' ending the alternative starting at ``i``, or -1."""
    depth = 0
    n = len(p)
    while i < n:
        ch = p[i]
        if ch == "\\":
            i += 1
            if i >= n:
                return -1
            i += 1
            continue
        if (ch == "}" and depth == 0) or (ch == "," and depth == 0):
            return i
        if ch == "}":
            depth -= 1
        elif ch == "{":
            depth += 1
        i += 1
    return -1


def _brace_expand(p: str, budget: list[int], nesting: int = 0) -> list[str] | None:
    """GLOB_BRACE: the alternatives in order (nested braces recursively); None if the pattern has no
    well-formed brace expression (glibc then globs it literally). ``budget`` bounds the total count
    and ``nesting`` the recursion (OverflowError beyond either)."""
    if nesting > 32:
        raise OverflowError
    i = 0
    n = len(p)
    while i < n:
        if p[i] == "\\" and i + 1 < n:
            i += 2
            continue
        if p[i] == "{":
            break
        i += 1
    else:
        return None
    begin = i
    first = _next_brace_sub(p, begin + 1)
    if first < 0:
        return None
    ends = [first]
    while p[ends[-1]] != "}":
        nxt = _next_brace_sub(p, ends[-1] + 1)
        if nxt < 0:
            return None
        ends.append(nxt)
    prefix, rest = p[:begin], p[ends[-1] + 1:]
    out: list[str] = []
    start = begin + 1
    for end in ends:
        alt = prefix + p[start:end] + rest
        sub = _brace_expand(alt, budget, nesting + 1)
        for item in (sub if sub is not None else [alt]):
            budget[0] -= 1
            if budget[0] < 0:
                raise OverflowError
            out.append(item)
        start = end + 1
    return out


def _is_magic(component: str) -> bool:
    return any(c in component for c in "*?[\\")


_STAR = ("*",)
_ANY = ("?",)
_POSIX_CLASSES: dict[str, Callable[[str], bool]] = {
    "alpha": str.isalpha, "digit": str.isdigit, "alnum": str.isalnum, "upper": str.isupper,
    "lower": str.islower, "space": str.isspace, "punct": lambda c: c.isascii() and not c.isalnum() and c.isprintable() and c != " ",
    "xdigit": lambda c: c in "0123456789abcdefABCDEF", "blank": lambda c: c in " \t",
    "print": str.isprintable, "graph": lambda c: c.isprintable() and c != " ", "cntrl": lambda c: ord(c) < 32 or ord(c) == 127,
}


def _compile_component(pat: str) -> list[tuple]:
    """fnmatch() tokens for one path component: ('*',), ('?',), ('=', ch) or ('[', negate, items)."""
    tokens: list[tuple] = []
    i, n = 0, len(pat)
    while i < n:
        ch = pat[i]
        if ch == "\\" and i + 1 < n:
            tokens.append(("=", pat[i + 1]))
            i += 2
        elif ch == "*":
            if not tokens or tokens[-1] is not _STAR:
                tokens.append(_STAR)
            i += 1
        elif ch == "?":
            tokens.append(_ANY)
            i += 1
        elif ch == "[":
            j = i + 1
            negate = j < n and pat[j] in "!^"
            if negate:
                j += 1
            items: list[object] = []
            first = True
            closed = False
            while j < n:
                c = pat[j]
                if c == "]" and not first:
                    closed = True
                    break
                first = False
                if c == "[" and pat.startswith("[:", j):
                    end = pat.find(":]", j + 2)
                    if end > 0 and pat[j + 2:end] in _POSIX_CLASSES:
                        items.append(_POSIX_CLASSES[pat[j + 2:end]])
                        j = end + 2
                        continue
                if c == "\\" and j + 1 < n:
                    j += 1
                    c = pat[j]
                if j + 2 < n and pat[j + 1] == "-" and pat[j + 2] != "]":
                    hi = pat[j + 2]
                    if hi == "\\" and j + 3 < n:
                        hi = pat[j + 3]
                        j += 1
                    items.append((c, hi))
                    j += 3
                    continue
                items.append(c)
                j += 1
            if closed:
                tokens.append(("[", negate, items))
                i = j + 1
            else:  # an unterminated '[' is an ordinary character
                tokens.append(("=", "["))
                i += 1
        else:
            tokens.append(("=", ch))
            i += 1
    return tokens


def _one(token: tuple, ch: str) -> bool:
    kind = token[0]
    if kind == "=":
        return token[1] == ch
    if kind == "?":
        return True
    hit = False
    for item in token[2]:
        if isinstance(item, tuple):
            hit = item[0] <= ch <= item[1]
        elif isinstance(item, str):
            hit = item == ch
        else:
            hit = bool(item(ch))  # type: ignore[operator]
        if hit:
            break
    return hit != token[1]


def _fnmatch(tokens: list[tuple], name: str) -> bool:
    """fnmatch(FNM_PERIOD) in O(len(tokens) * len(name)): a leading '.' must be matched literally."""
    if name.startswith(".") and not (tokens and tokens[0] == ("=", ".")):
        return False
    ti = ni = 0
    star_ti, star_ni = -1, 0
    nt, nn = len(tokens), len(name)
    while ni < nn:
        if ti < nt:
            tok = tokens[ti]
            if tok is _STAR:
                star_ti, star_ni = ti, ni
                ti += 1
                continue
            if _one(tok, name[ni]):
                ti += 1
                ni += 1
                continue
        if star_ti < 0:
            return False
        ti = star_ti + 1
        star_ni += 1
        ni = star_ni
    while ti < nt and tokens[ti] is _STAR:
        ti += 1
    return ti == nt


def _unescape(component: str) -> str:
    return re.sub(r"\\(.)", r"\1", component)


# --- the loader ----------------------------------------------------------------------------------

class _Group:
    """One config_text_file_load() call: the files one pattern expanded to share these."""

    __slots__ = ("cat", "depth", "is_root", "opened")

    def __init__(self, cat: Section | None, is_root: bool) -> None:
        self.cat = cat          # `cat`: the section lines go to
        self.depth = 0          # `comment`: open block comments (carries over between the files)
        self.opened = 0         # files opened so far (only the first one loses a BOM: `lineno == 1`)
        self.is_root = is_root  # an error here makes Asterisk refuse the whole configuration


_OK, _NONE, _INVALID = "ok", "none", "invalid"


class _Loader:
    def __init__(self, config_dir: Path, root: str, asterisk_dir: str) -> None:
        self.config_dir = config_dir
        self.asterisk_dir = asterisk_dir.rstrip("/") or "/"
        try:
            self.root_real = os.path.realpath(config_dir, strict=True)
        except (OSError, RuntimeError, ValueError):
            self.root_real = os.path.realpath(config_dir)
        self.result = ParsedConfig(root=root)
        self.by_name: dict[str, list[Section]] = {}
        self.current: Section | None = None   # cfg->current: where an included file starts
        self.level = 0                           # cfg->include_level
        self.reading: list[str] = []             # real paths being read, to refuse include loops
        self.loads = LoadBudget(ceiling=MAX_FILE_LOADS)
        self.steps = 0
        self.inherited = 0
        self.vindex: dict[int, tuple[dict[str, int], dict[str, int]]] = {}  # id(section) -> (exact, folded) name -> last index
        self.per_file: dict[str, int] = {}      # non-fatal problems recorded per file
        # option name as written -> (that name, its folded key), one pair of strings per distinct name: a
        # 10,000-extension tree writes a few dozen names 140,000 times (less memory, faster dict look-ups)
        self.names: dict[str, tuple[str, str]] = {}

    # -- problems ---------------------------------------------------------------------------------
    def problem(self, file: str, line: int, message: str, fatal: bool = False, note: bool = False) -> None:
        if fatal:
            self.result.problems.append(Problem(file, line, message, fatal, note))
            raise _Stop
        listed = self.per_file.get(file, 0) + 1
        self.per_file[file] = listed
        if listed <= MAX_PROBLEMS_PER_FILE:
            self.result.problems.append(Problem(file, line, message, fatal, note))

    def finish(self) -> None:
        """One line for the problems of a file beyond the first MAX_PROBLEMS_PER_FILE (a hostile file
        could otherwise fill the facts with hundreds of thousands of them)."""
        for file, listed in self.per_file.items():
            if listed > MAX_PROBLEMS_PER_FILE:
                self.result.problems.append(Problem(file, 0, f"{listed - MAX_PROBLEMS_PER_FILE} more problems in this "
                                                    "file are not listed", False))

    def error(self, grp: _Group, file: str, line: int, message: str) -> None:
        """A line Asterisk rejects (process_text_line returns -1): the root file is refused; an
        included file is read no further (its includer goes on)."""
        if grp.is_root:
            self.problem(file, line, message, fatal=True)
        self.problem(file, line, f"{message}; Asterisk stops reading this file here")

    def spend(self, steps: int) -> None:
        self.steps += steps
        if self.steps > MAX_SCAN_STEPS:
            self.problem(self.result.root, 0, "configuration too complex to audit (look-up budget exhausted)", fatal=True)

    def rel(self, path: str) -> str:
        try:
            return os.path.relpath(path, self.config_dir)
        except ValueError:
            return os.path.basename(path)

    def inside(self, real: str) -> bool:
        return real == self.root_real or real.startswith(self.root_real.rstrip(os.sep) + os.sep)

    # -- loading ----------------------------------------------------------------------------------
    def load_root(self) -> None:
        path = os.path.join(self.config_dir, self.result.root)
        if not os.path.lexists(path):
            self.result.found = False
            return
        grp = _Group(None, is_root=True)
        self.level += 1
        status, reason = self.load_files([path], grp, "root", "", 0, magic=False)
        if status == _NONE and reason == "missing":
            self.result.found = False

    def internal_load(self, pattern: str, kind: str, from_file: str, from_line: int) -> tuple[str, str]:
        """ast_config_internal_load(): the include-level limit, then one config_text_file_load()."""
        if self.level == MAX_INCLUDE_LEVEL + 1:
            return _NONE, "depth"
        candidates, magic, reason = self.expand(pattern, kind, from_file, from_line)
        self.level += 1
        status, why = self.load_files(candidates, _Group(self.current, is_root=False), kind, from_file, from_line, magic)
        if status != _INVALID:
            self.level -= 1
        return status, (reason or why)

    def expand(self, pattern: str, kind: str, from_file: str, from_line: int) -> tuple[list[str], bool, str]:
        """The paths Asterisk's glob() gives for an include pattern: (paths, any magic, reason if none)."""
        rest = pattern
        if pattern.startswith("/"):
            if pattern.startswith(self.asterisk_dir + "/"):
                rest = pattern[len(self.asterisk_dir) + 1:]
            else:  # Asterisk would read the PBX's own file: not part of this configuration tree
                self.refuse(kind, from_file, from_line, pattern)
                return [], False, "refused"
        budget = [MAX_BRACE_ALTERNATIVES]
        try:
            alternatives = _brace_expand(rest, budget)
        except OverflowError:
            self.problem(from_file, from_line, f"#{kind}{_show_file(pattern)} expands to more than "
                         f"{MAX_BRACE_ALTERNATIVES} brace alternatives; not read", fatal=kind == "include")
            return [], True, "reported"
        braced = alternatives is not None
        out: list[str] = []
        any_magic = braced
        for alt in (alternatives if braced else [rest]):
            parts = [p for p in alt.split("/") if p]
            magic = any(_is_magic(p) for p in parts)
            any_magic = any_magic or magic
            if not magic and not braced:  # GLOB_NOMAGIC: the name itself, whether or not it exists
                out.append(os.path.join(self.config_dir, *parts) if parts else str(self.config_dir) + "/")
                continue
            found = self.walk(str(self.config_dir), parts, kind, from_file, from_line, pattern)
            if found is None:
                return [], True, "reported"
            out.extend(sorted(found))
            if len(out) > MAX_GLOB_RESULTS:
                self.problem(from_file, from_line, f"#{kind}{_show_file(pattern)} matches more than {MAX_GLOB_RESULTS} files; "
                             "not read", fatal=kind == "include")
                return [], True, "reported"
        return out, any_magic, ""

    def walk(self, base: str, parts: list[str], kind: str, from_file: str, from_line: int, pattern: str) -> list[str] | None:
        """Match ``parts`` below ``base`` component by component; never lists a directory outside the root."""
        current = [base]
        for k, part in enumerate(parts):
            last = k == len(parts) - 1
            nxt: list[str] = []
            if not _is_magic(part):
                for d in current:
                    p = os.path.join(d, _unescape(part))
                    if not last:
                        nxt.append(p)
                    elif not self.inside(os.path.realpath(p)):
                        self.refuse(kind, from_file, from_line, pattern)
                        return None
                    elif os.path.lexists(p):  # a literal name after magic or braces must exist
                        nxt.append(p)
                current = nxt
                continue
            tokens = _compile_component(part)
            for d in current:
                try:
                    real = os.path.realpath(d)
                except (OSError, RuntimeError, ValueError):
                    continue
                if not self.inside(real):
                    self.refuse(kind, from_file, from_line, pattern)
                    return None
                try:
                    names = sorted(os.listdir(d))
                except OSError:
                    continue
                self.spend(len(names))
                for name in names:
                    if _fnmatch(tokens, name):
                        p = os.path.join(d, name)
                        if last or os.path.isdir(p):
                            nxt.append(p)
                if len(nxt) > MAX_GLOB_RESULTS:
                    break
            current = nxt
        return current

    def refuse(self, kind: str, file: str, line: int, shown: str, link: str | None = None) -> None:
        """An include that leaves the configuration directory is never read (not even its existence is used).
        ``link``: the target when the file itself is a symbolic link (see _link_target)."""
        via = "" if link is None else f" (a symbolic link to {link})" if link else " (a symbolic link)"
        hint = ("" if link is None else "; copy the configuration with links followed (cp -rL, rsync -L, tar -h) "
                "or scan the host live")
        if kind == "root":
            if link is not None:
                self.problem(file, 0, f"{label(file, 64)} is a symbolic link to {link or 'a file'} outside the "
                             f"configuration directory; not read{hint}", fatal=True)
            else:
                self.problem(file, 0, "configuration file resolves outside the configuration directory; refused",
                             fatal=True)
        if kind == "include":
            self.problem(file, line, f"#include{_show_file(shown)}{via} outside the configuration directory refused"
                         f"{hint}", fatal=True)
        self.problem(file, line, f"#tryinclude{_show_file(shown)}{via} outside the configuration directory refused; "
                     "what it would add is not audited")

    def load_files(self, candidates: list[str], grp: _Group, kind: str, from_file: str, from_line: int,
                   magic: bool) -> tuple[str, str]:
        """config_text_file_load()'s loop over the glob results; (status, why nothing was read)."""
        count = 0
        reason = "missing"
        literal = not magic and kind in ("include", "root")  # our own failures to read are fatal here
        for path in candidates:
            rel = self.rel(path)
            try:
                loose = os.path.realpath(path)  # never fails: decides "outside" without using existence
            except (OSError, RuntimeError, ValueError):
                loose = path
            if not self.inside(loose):
                self.refuse(kind, from_file or rel, from_line, rel, _link_target(path))
                reason = "reported"
                continue
            try:
                real = os.path.realpath(path, strict=True)
            except (OSError, RuntimeError, ValueError) as exc:
                if isinstance(exc, FileNotFoundError) and not os.path.islink(path):
                    continue  # stat() fails: Asterisk skips the name (nothing there)
                self.problem(rel, 0, f"cannot read file: {_why(exc)}", fatal=literal)
                reason = "reported"
                continue
            if not self.inside(real):  # changed in between
                self.refuse(kind, from_file or rel, from_line, rel)
                reason = "reported"
                continue
            try:
                st = os.stat(real)
            except OSError as exc:
                self.problem(rel, 0, f"file vanished or cannot be read: {_why(exc)}", fatal=literal)
                reason = "reported"
                continue
            if not stat_mod.S_ISREG(st.st_mode):
                if literal:
                    if kind == "root":
                        self.problem(rel, 0, "not a regular file; Asterisk cannot load it", fatal=True)
                    reason = "not-regular"
                else:
                    self.problem(rel, 0, "not a regular file; Asterisk ignores it", note=True)
                    reason = "reported"
                continue
            if real in self.reading:
                self.problem(from_file, from_line, f"#include loop:{_show_file(rel)} includes itself; Asterisk reads it again and "
                             f"again, {MAX_INCLUDE_LEVEL} levels deep", fatal=True)
            if not self.loads.spend(real):
                self.problem(from_file, from_line, f"more than {self.loads.said()}; stopped", fatal=True)
            raw = self.read_bytes(real, rel, literal)
            if raw is None:
                reason = "reported"
                continue
            count += 1
            self.result.files.append(rel)
            self.reading.append(real)
            try:
                ok = self.read_text(raw, rel, grp)
            finally:
                self.reading.pop()
            if not ok:
                return _INVALID, ""
        return (_OK, "") if count else (_NONE, reason)

    def read_bytes(self, real: str, rel: str, literal: bool) -> bytes | None:
        """Read a regular file without following a link planted after the check, nor blocking on a FIFO."""
        try:
            return read_config_file(real, MAX_FILE_BYTES)
        except UnreadableFile as exc:
            reason = exc.reason + (", not an Asterisk config; not read" if exc.kind == "binary" else "")
            self.problem(rel, 0, reason, fatal=literal)
            return None

    # -- one file ---------------------------------------------------------------------------------
    def read_text(self, raw: bytes, rel: str, grp: _Group) -> bool:
        """The line loop of config_text_file_load(); False when a line made Asterisk stop reading."""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            # Asterisk reads bytes, whatever the encoding (a Latin-1 template from the sample files,
            # a name typed on a Windows box). Latin-1 keeps every byte as one character: nothing is
            # lost or merged (replacement characters could make two names one), and a secret's
            # length is its byte length, as Asterisk counts it. Nothing is hidden: a note.
            text = raw.decode("latin-1")
            self.problem(rel, 0, "file is not valid UTF-8; read byte for byte (as Latin-1), as Asterisk reads "
                         "bytes", note=True)
        grp.opened += 1
        lines = text.split("\n")
        if text.endswith("\n"):
            lines.pop()
        if grp.opened == 1 and lines and lines[0].startswith("\ufeff"):
            lines[0] = lines[0][1:]
        depth = grp.depth
        block_start = 0     # line of this file where the open block comment began (0: an earlier file)
        hidden_for = -1     # the block for which a hidden [section] header was reported
        content = 0
        idx = 0
        strip = _strip_comment
        blanks = _BLANKS
        vindex = self.vindex  # never rebound: non-empty once a `+=` indexed a section
        names = self.names
        cat = grp.cat  # the section lines go to; read again after anything that may change it
        try:
            for idx, line in enumerate(lines):
                if len(line) > _LONG_CHARS and len(line.encode("utf-8")) > MAX_LINE_BYTES:
                    self.problem(rel, idx + 1, f"line longer than {MAX_LINE_BYTES} bytes: Asterisk skips it "
                                 "(510 bytes on LOW_MEMORY builds)")
                    continue
                if depth:
                    if hidden_for != block_start:
                        head = line.lstrip(blanks)
                        if head.startswith("[") and "]" in head:
                            hidden_for = block_start
                            where = f"';--' at line {block_start}" if block_start else "left open by an earlier file"
                            self.problem(rel, idx + 1, f"a block comment ({where}) hides a line that looks like a "
                                         "[section] header; Asterisk ignores it", note=True)
                    if ";" not in line:
                        continue
                    before = depth
                    t, depth = strip(line, depth)
                elif ";" not in line:
                    before = 0
                    t = line.strip(blanks)
                else:
                    before = 0
                    t, depth = strip(line, 0)
                if depth != before:
                    if depth < 0 <= before:
                        self.problem(rel, idx + 1, "'--;' closes a block comment that is not open: Asterisk ignores "
                                     "the following lines until a ';--'")
                    if not depth:
                        hidden_for = -1
                    elif not before:
                        block_start = idx + 1
                if not t:
                    continue
                c0 = t[0]
                if c0 == "[":
                    content += 1
                    ok = self.category(t, rel, idx + 1, grp)
                    cat = grp.cat
                elif c0 == "#":  # directives are not configuration: what they include is counted there
                    ok = self.directive(t, rel, idx + 1, grp)
                    cat = grp.cat
                else:
                    content += 1
                    # The common line, `key = value` or `key => value` in a section, done here; every
                    # other case (no section, an escape, `+=`, no '=', no name) is variable()'s.
                    eq = t.find("=")
                    if eq > 0 and cat is not None and c0 != "\\" and t[eq - 1] != "+":
                        name = t[:eq].strip(blanks)
                        if name:
                            value = t[eq + 1:]
                            if value[:1] == ">":
                                op, value = "=>", value[1:].strip(blanks)
                            else:
                                op, value = "=", value.strip(blanks)
                            known = names.get(name)
                            if known is None:
                                known = names[name] = (name, name.lower() if name.isascii()
                                                       else name.translate(_ASCII_LOWER))
                            entries = cat.entries
                            entries.append(Entry(known[1], value, rel, idx + 1, op, known[0]))
                            if vindex:
                                self.indexed(cat, len(entries) - 1)
                            continue
                    ok = self.variable(t, rel, idx + 1, grp)
                    cat = grp.cat
                if not ok:
                    return False
        except _NestLimit:
            self.problem(rel, idx + 1, f"block comments nested more than {MAX_NESTED_COMMENTS} deep: Asterisk "
                         "never finishes loading this file", fatal=True)
        finally:
            self.result.content_lines += content
            grp.depth = depth
        if depth > 0:
            self.problem(rel, block_start or 1, "unterminated block comment (';--' without '--;'): Asterisk ignores "
                         "everything after it")
        return True

    # -- process_text_line --------------------------------------------------------------------------
    def category(self, t: str, rel: str, lineno: int, grp: _Group) -> bool:
        close = t.find("]")
        if close == len(t) - 1 and close <= _LONG_NAME:  # `[name]`: the common header, nothing else to decide
            name = t[1:close]
            if name and name[0] not in _BLANKS and name[-1] not in _BLANKS:
                cat = Section(name, rel, lineno)
                self.result.sections.append(cat)
                self.by_name.setdefault(name.lower() if name.isascii() else _ci(name), []).append(cat)
                self.current = grp.cat = cat
                return True
        if close < 0:
            self.error(grp, rel, lineno, "section header without closing ']'")
            return False
        name = raw_name = t[1:close]
        if len(name) > MAX_CATEGORY_NAME_BYTES // 4 and len(name.encode("utf-8")) > MAX_CATEGORY_NAME_BYTES:
            name = name.encode("utf-8")[:MAX_CATEGORY_NAME_BYTES].decode("utf-8", errors="ignore")
            self.problem(rel, lineno, f"section name longer than {MAX_CATEGORY_NAME_BYTES} bytes; Asterisk cuts it to "
                         f"{_show(name)}", note=True)
        after = t[close + 1:]
        opts: str | None = None
        if after.startswith("("):
            end = after.find(")")
            if end < 0:
                self.error(grp, rel, lineno, f"section {_show(name)}: options without closing ')'")
                return False
            opts = after[1:end]
            after = after[end + 1:]
        if after:
            self.problem(rel, lineno, f"text after the header of section {_show(name)} is ignored, as Asterisk "
                         "ignores it (options must follow ']' directly)", note=True)
        if name != name.strip(_BLANKS):
            self.problem(rel, lineno, f"section name {_show(name)} has leading or trailing blanks; Asterisk keeps "
                         "them in the name", note=True)
        newcat: Section | None = Section(name=name, file=rel, line=lineno)
        target: Section = newcat  # type: ignore[assignment]
        if opts is not None:
            for tok in opts.split(","):
                if tok == "!":
                    target.is_template = True
                elif tok.startswith("+"):
                    found = self.find_addition(raw_name, tok[1:], rel, lineno)
                    if found is False:
                        return self.sink(grp)
                    if found is None:
                        self.error(grp, rel, lineno, f"[{_show(name)[1:-1]}](+) adds to a section that does not exist")
                        return False
                    assert isinstance(found, Section)
                    target = found
                    if newcat is not None:
                        self.current = found
                        found.is_template = found.is_template or newcat.is_template
                        start = len(found.entries)
                        found.entries.extend(newcat.entries)
                        self.indexed(found, start)
                        newcat = None
                else:
                    bases = self.by_name.get(_ci(tok)) if tok else (self.result.sections[:1] or None)
                    if not bases:
                        self.error(grp, rel, lineno, f"[{_show(name)[1:-1]}] inherits from {_show(tok)}, which is not "
                                   "defined earlier")
                        return False
                    base = bases[0]
                    if base is target:  # ast_category_inherit() would append to the list it walks, forever
                        self.problem(rel, lineno, f"[{_show(name)[1:-1]}] inherits from itself; Asterisk never "
                                     "finishes loading this", fatal=True)
                    target.templates.append(base.name)
                    self.inherited += len(base.entries)
                    if self.inherited > MAX_INHERITED_ENTRIES:
                        self.problem(rel, lineno, f"[{_show(name)[1:-1]}]: templates inheriting from templates copy "
                                     f"more than {MAX_INHERITED_ENTRIES} settings in all; Asterisk never finishes "
                                     "loading this", fatal=True)
                    start = len(target.entries)
                    target.entries.extend(base.entries)
                    self.indexed(target, start)
        if newcat is not None:
            self.result.sections.append(newcat)
            self.by_name.setdefault(_ci(newcat.name), []).append(newcat)
            self.current = newcat
        grp.cat = target
        return True

    def find_addition(self, name: str, filt: str, rel: str, lineno: int) -> object:
        """category_get_sep(cfg, name, filter, '&', 0) for ``[name](+filter)``: the first section that
        does_category_match(): same name (case-insensitively), and with no filter not a template; with
        one, every ``name=value`` pair matched (POSIX regexes over one variable), ``TEMPLATES=include``
        or ``restrict`` deciding about templates. False when a regex is one the auditor does not evaluate."""
        candidates = self.by_name.get(_ci(name), []) if name else self.result.sections
        if not filt:
            return next((c for c in candidates if not c.is_template), None)
        exprs: list[tuple[str, object, object]] = []  # (kind, name regex or mode, value regex)
        for expr in filt.split("&"):
            expr = expr.strip(" \t")
            name_re, eq, value_re = expr.partition("=")
            name_re = name_re.strip(" \t")
            if not eq:  # "an empty match value is OK. A NULL match value (no =) is NOT."
                exprs.append(("stop", None, None))
                break
            value_re = value_re.split("=", 1)[0].strip(" \t")
            if name_re == "TEMPLATES":
                exprs.append(("templates", _ci(value_re), None))
                continue
            if not (_SIMPLE_RE.match(name_re) and _SIMPLE_RE.match(value_re)):
                self.problem(rel, lineno, f"[{_show(name)[1:-1]}](+filter) uses a regular expression the auditor does "
                             "not evaluate; what it adds is not read")
                return False
            exprs.append(("regex", re.compile(name_re), re.compile(value_re)))
        for cat in candidates:
            self.spend(1)
            found = 0
            template_ok = False
            for kind, a, b in exprs:
                if kind == "stop":
                    break
                if kind == "templates":
                    if a == "include":
                        template_ok = template_ok or cat.is_template
                        found += 1
                    elif a == "restrict":
                        if not cat.is_template:
                            break
                        found += 1
                        template_ok = True
                    continue
                self.spend(len(cat.entries))
                if any(a.search(e.name or e.key) and b.search(e.value) for e in cat.entries):  # type: ignore[union-attr]
                    found += 1
            if found == len(exprs) and (not cat.is_template or template_ok):
                return cat
        return None

    def sink(self, grp: _Group) -> bool:
        """Lines up to the next header go to a section that is not part of the result."""
        grp.cat = Section(name="", file="", line=0)
        return True

    def directive(self, t: str, rel: str, lineno: int, grp: _Group) -> bool:
        i = 1
        n = len(t)
        while i < n and 32 < ord(t[i]) < 128:
            i += 1
        word = _ci(t[1:i])
        arg = t[i + 1:].strip(_BLANKS) if i < n else ""
        if word not in ("include", "tryinclude", "exec"):
            if "=" in word or arg.startswith("="):
                # '#name=value': a setting "commented out" with '#' (FreePBX users do this in generated
                # files). config.c logs "Unknown directive" and ignores the line: not in effect, and no
                # mistyped include or exec whose content could be missing, so it hides nothing.
                self.problem(rel, lineno, "'#' line that reads as a commented-out setting: an unknown directive "
                             "to Asterisk, which ignores the line (the setting is not in effect)", note=True)
                return True
            self.problem(rel, lineno, "unknown directive; Asterisk ignores the line")
            return True
        if not arg:
            self.problem(rel, lineno, f"#{word} without an argument; Asterisk ignores it", note=True)
            return True
        if arg[0] in "\"<" and arg[-1] == (">" if arg[0] == "<" else '"'):
            arg = arg[1:-1]
        if word == "exec":
            self.problem(rel, lineno, "#exec directive present; not executed by the auditor, its output is not audited "
                         "(Asterisk runs it only with execincludes=yes)")
            return True
        status, reason = self.internal_load(arg, word, rel, lineno)
        if status == _NONE:
            if reason == "depth":
                if word == "include":
                    self.error(grp, rel, lineno, f"#include{_show_file(arg)} nested more than {MAX_INCLUDE_LEVEL} levels deep; "
                               "Asterisk refuses it")
                    return False
                self.problem(rel, lineno, f"#tryinclude{_show_file(arg)} nested more than {MAX_INCLUDE_LEVEL} levels deep; "
                             "Asterisk skips it")
            elif word == "include":
                if reason == "not-regular":
                    self.error(grp, rel, lineno, f"#include of{_show_file(arg)}: not a regular file")
                    return False
                if reason == "missing":
                    self.error(grp, rel, lineno, f"#include of missing file{_show_file(arg)}{self.template_hint(arg)}")
                    return False
                self.error(grp, rel, lineno, f"#include{_show_file(arg)}: no file of it could be read")
                return False
            elif reason == "missing":
                self.problem(rel, lineno, f"#tryinclude of missing file{_show_file(arg)}; Asterisk skips it", note=True)
        return True

    def template_hint(self, name: str) -> str:
        """When a missing include has a deployment template beside it (pjsip.transports.conf.template),
        say so: the copy holds the template, not what the deployment renders from it."""
        if "/" in name or not _FILE_NAME.fullmatch(name) or _is_magic(name):
            return ""
        for ext in TEMPLATE_SUFFIXES:
            if os.path.isfile(os.path.join(self.config_dir, name + ext)):
                return f" ({_show(name + ext)} is here: a deployment template that was not rendered?)"
        return ""

    def variable(self, t: str, rel: str, lineno: int, grp: _Group, blanks: str = _BLANKS) -> bool:
        cat = grp.cat
        if cat is None:
            self.error(grp, rel, lineno, "setting outside of any [section]")
            return False
        if t[0] == "\\":  # the first character of the name is escaped, and can be '[', '#' or '='
            t = t[1:]
            if not t or not 32 < ord(t[0]) < 128:
                self.error(grp, rel, lineno, "invalid escape at the start of the line")
                return False
            eq = t.find("=", 1)
            esc = 1
        else:
            eq = t.find("=")
            esc = 0
        if eq < 0:
            self.problem(rel, lineno, "no '=' in line; Asterisk ignores it")
            return True
        if eq > esc and t[eq - 1] == "+":
            name = t[:eq - 1].strip(blanks)
            raw = t[eq + 1:]
            if name and self.append_value(cat, name, raw, rel, lineno):
                return True
            value, op = raw.strip(blanks), "="
        else:
            name = t[:eq].strip(blanks)
            value = t[eq + 1:]
            if value[:1] == ">":
                op, value = "=>", value[1:].strip(blanks)
            else:
                op, value = "=", value.strip(blanks)
        if not name:
            self.problem(rel, lineno, "no variable name before '='; Asterisk ignores the line")
            return True
        entries = cat.entries
        entries.append(Entry(name.lower() if name.isascii() else name.translate(_ASCII_LOWER), value, rel, lineno, op, name))
        if self.vindex:
            self.indexed(cat, len(entries) - 1)
        return True

    def append_value(self, cat: Section, name: str, raw: str, rel: str, lineno: int) -> bool:
        """``name += raw``: the last variable named exactly ``name`` gets ``raw`` appended, in place
        (ast_variable_update finds the last one with that name and old value, case-insensitively)."""
        exact, folded = self.index(cat)
        at = exact.get(name)
        if at is None:
            return False
        old = cat.entries[at]
        value = (old.value + raw).strip(_BLANKS)
        key = _ci(old.name or old.key)
        target = at
        last = folded.get(key, at)
        if last != at:  # a later variable differing only in case, or with another value: search as Asterisk does
            old_value = _ci(old.value)
            for j in range(len(cat.entries) - 1, -1, -1):
                self.spend(1)
                e = cat.entries[j]
                if e.key == key and (not old.value or _ci(e.value) == old_value):
                    target = j
                    break
        kept = cat.entries[target]
        cat.entries[target] = Entry(key, value, rel, lineno, "+=", old.name or old.key)
        if (kept.name or kept.key) != (old.name or old.key):
            del self.vindex[id(cat)]  # a name changed case in place: rebuild on the next +=
        return True

    def index(self, cat: Section) -> tuple[dict[str, int], dict[str, int]]:
        got = self.vindex.get(id(cat))
        if got is None:
            got = ({}, {})
            self.vindex[id(cat)] = got
            self.indexed(cat, 0)
        return got

    def indexed(self, cat: Section, start: int) -> None:
        got = self.vindex.get(id(cat))
        if got is None:
            return
        exact, folded = got
        entries = cat.entries
        for j in range(start, len(entries)):
            e = entries[j]
            exact[e.name or e.key] = j
            folded[e.key] = j


_SIMPLE_RE = re.compile(r"\A\^?[A-Za-z0-9_./:@, -]*\$?\Z")  # regexes without repetition: evaluated as POSIX would


def parse_config(config_dir: Path | str, root: str, asterisk_dir: str = DEFAULT_ASTERISK_CONFIG_DIR) -> ParsedConfig:
    """Parse ``root`` (a file name relative to ``config_dir``) and its includes.

    ``asterisk_dir`` is where Asterisk itself finds its configuration (``astetcdir``): an absolute
    ``#include`` below it is read from ``config_dir``; any other absolute include is refused.
    """
    loader = _Loader(Path(config_dir), root, asterisk_dir)
    loader.result.config_dir = str(config_dir)
    try:
        loader.load_root()
    except _Stop:
        pass
    except RecursionError:  # bounded by MAX_INCLUDE_LEVEL; kept as a last guard
        loader.result.problems.append(Problem(root, 0, "includes nested too deeply to read", True))
    loader.finish()
    return loader.result


# Other modules' own root files whose names start like an audited root's (sip_notify.conf is chan_sip's
# NOTIFY list, cdr_custom.conf the cdr_custom module's): never a fragment of sip.conf or cdr.conf.
MODULE_ROOTS = frozenset({
    "sip_notify.conf", "pjsip_notify.conf", "pjsip_wizard.conf", "cdr_adaptive_odbc.conf", "cdr_beanstalkd.conf",
    "cdr_custom.conf", "cdr_manager.conf", "cdr_mysql.conf", "cdr_odbc.conf", "cdr_pgsql.conf", "cdr_radius.conf",
    "cdr_sqlite3_custom.conf", "cdr_syslog.conf", "cdr_tds.conf", "cel_beanstalkd.conf", "cel_custom.conf",
    "cel_odbc.conf", "cel_pgsql.conf", "cel_radius.conf", "cel_sqlite3_custom.conf", "cel_tds.conf",
    "users.conf", "minivm.conf",
})
MAX_FRAGMENT_LISTING = 10_000   # directory entries looked at
MAX_FRAGMENT_BYTES = 1024 * 1024  # read of one candidate, to count its configuration lines
MAX_FRAGMENTS = 10               # reported per missing root


def orphan_fragments(config_dir: str, root: str, read: set[str], roots: set[str]) -> list[tuple[str, int]]:
    """Files of ``config_dir`` named like a fragment of the missing ``root`` (``sip_additional.conf``,
    ``pjsip.endpoint.conf``: FreePBX, IssabelPBX and VitalPBX generate them and only the root includes
    them) that nothing read includes and that carry configuration lines: (name, lines). Such a file
    means the copy lost its root (often a symbolic link a copy tool skipped), not that the module is
    unconfigured. Bounded: one listing, a capped read of each candidate."""
    stem = root[:-len(".conf")] if root.endswith(".conf") else ""
    if not stem or not config_dir:
        return []
    try:
        with os.scandir(config_dir) as it:
            names = [e.name for _, e in zip(range(MAX_FRAGMENT_LISTING), it)]
    except OSError:
        return []
    out = []
    for name in sorted(names):
        if (not name.endswith(".conf") or not name.startswith((stem + "_", stem + ".")) or name in MODULE_ROOTS
                or name in roots or name in read):
            continue
        path = os.path.join(config_dir, name)
        try:
            if not stat_mod.S_ISREG(os.lstat(path).st_mode):
                continue
            with open(path, "rb") as fh:
                raw = fh.read(MAX_FRAGMENT_BYTES)
        except OSError:
            continue
        lines = sum(1 for ln in raw.split(b"\n") if (t := ln.strip()) and not t.startswith(b";"))
        if lines:
            out.append((name, lines))
            if len(out) >= MAX_FRAGMENTS:
                break
    return out


def parse_text(text: str, name: str = "inline.conf") -> ParsedConfig:
    """Parse config text without includes; for tests and for text fetched by collectors."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, name).write_text(text, encoding="utf-8")
        return parse_config(tmp, name)
