"""extensions.ael, read the way Asterisk's pbx_ael reads it (res/ael/ael.flex, res/ael/ael.y, res/ael/pval.c).

AEL is not a .conf file: it has its own lexer whose states the grammar switches (application
arguments, ``if``/``while``/``switch`` conditions and assignment values are each read by a different
lexer state), its own comments (``//`` and ``/* */``), its own ``#include "file"`` (globbed, relative to
the configuration directory, 50 levels deep at most) and its own syntax (``context``, ``macro``,
``globals``, extensions ``123 => statement``, blocks, ``if``/``else``, ``ifTime``, ``random``,
``switch``/``case``/``pattern``/``default``, ``for``, ``while``, ``goto``, ``jump``, labels, ``&macro()``
calls, ``catch``, ``includes``, ``switches``, ``eswitches``, ``ignorepat``, ``hint()``, ``regexten``).

What this reader keeps is what pbx_ael compiles into priorities that run applications (pval.c
``gen_prios``): every application call with its context, extension, arguments (exactly the text
between the parentheses, joined at the top-level commas the way pval.c joins them), file and line;
assignments (``MSet``), macro calls (``Gosub(name,~~s~~,1(args))``) and gotos (``Goto``).

* pbx_ael refuses the whole file on any syntax error ("It doesn't make sense to compile"): a syntax
  error is a *fatal* Problem. Its semantic checks (which also refuse some files) are not repeated here,
  so a file Asterisk refuses for a semantic error is still audited as written.
* What the lexer reports and goes on with (a mismatched bracket inside an expression, a character it
  does not recognize) and what this reader does not follow (an include outside the configuration
  directory, nesting beyond a bound) are gaps or notes, never silence.
* Linear in the input: the lexer jumps between special characters with regular expressions without
  nested quantifiers; nesting, includes, file sizes and the number of files are bounded.

Problem messages name files, lines and token kinds, never a value from the file.
"""
from __future__ import annotations

import bisect
import functools
import glob as glob_mod
import itertools
import os
import re
import stat as stat_mod
from dataclasses import dataclass, field
from pathlib import Path

from voxaudit.parsers.asterisk_conf import DEFAULT_ASTERISK_CONFIG_DIR, ParsedConfig
from voxaudit.parsers.problem import Problem

MAX_INCLUDE_DEPTH = 50          # ael.flex MAX_INCLUDE_DEPTH
MAX_BRACKET_STACK = 400         # ael.flex pbcstack[400] (overflowing it corrupts Asterisk's memory)
MAX_NESTING = 120               # statements nested in statements (bounds this reader's recursion)
MAX_FILE_LOADS = 2000
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_GLOB_RESULTS = 2000
MAX_BRACE_ALTERNATIVES = 256
MAX_NOTES_PER_FILE = 50

KEYWORDS = ("context", "abstract", "extend", "macro", "globals", "local", "ignorepat", "switch", "if", "ifTime",
            "random", "regexten", "hint", "else", "goto", "jump", "return", "break", "continue", "for", "while",
            "case", "default", "pattern", "catch", "switches", "eswitches", "includes")
# Longest first where one keyword begins another ("switches"/"switch", "ifTime"/"if").
_KEYWORD_RE = re.compile("|".join(sorted(KEYWORDS, key=len, reverse=True)))
_KEYWORD_SET = frozenset(KEYWORDS)


# The three patterns whose classes reach U+10FFFF take ~15 ms to compile (sre builds their charset
# tables): compiled on first use, so a scan without an .ael file, and `import`, do not pay for them.
@functools.cache
def _hibit_re() -> re.Pattern[str]:
    return re.compile(r"[\x80-\U0010ffff]")


_SIMPLE_ARG_RE = re.compile(r"[^(){}\[\],\\]*+[,)]")  # an argument without brackets or escapes
_FIRST_CLASS = frozenset("-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'\"_/.<>*+!$#[]")

# White space and // comments are skipped (possessively: no backtracking), then one token is tried.
@functools.cache
def _token_re() -> re.Pattern[str]:
    return re.compile(r"""
    (?:[ \t\n]++|//[^\n]*+)*+
    (?:
        (?P<punct>=>|[{}();=,:&|@])
      | (?P<block_comment>/\*)
      | (?P<include>\#include[ \t]+"[^"]+")
      | (?P<run>[-a-zA-Z0-9'"_/.<>*+!\#\[\]\x80-\U0010ffff]+)
    )?
""", re.VERBOSE)


@functools.cache
def _run_re() -> re.Pattern[str]:
    return re.compile(r"[-a-zA-Z0-9'\"_/.<>*+!#\[\]\x80-\U0010ffff]*")


_PUNCT = {"{": "LC", "}": "RC", "(": "LP", ")": "RP", ";": "SEMI", "=": "EQ", ",": "COMMA", ":": "COLON",
          "&": "AMPER", "|": "BAR", "=>": "EXTENMARK", "@": "AT"}
_SHOWN = {"LC": "'{'", "RC": "'}'", "LP": "'('", "RP": "')'", "SEMI": "';'", "EQ": "'='", "COMMA": "','",
          "COLON": "':'", "AMPER": "'&'", "BAR": "'|'", "EXTENMARK": "'=>'", "AT": "'@'", "word": "a word",
          "EOF": "the end of the file"}
# Specials of the lexer states that read expressions (ael.flex NOPARENS / NOARGG / NOSEMIC).
_CURLY_RE = re.compile(r"[(){}\[\]\\]")
_ARGG_RE = re.compile(r"[(){}\[\],\\]")
_SEMIC_RE = re.compile(r"[(){}\[\];\\]")
_ESCAPABLE = {"curly": "()[]{}", "argg": ",()[]{}", "semic": ";()[]{}"}
_OPEN = {"(": ")", "[": "]", "{": "}"}


@dataclass
class AelCall:
    """A priority pbx_ael compiles: ``kind`` is ``app`` (an application call), ``set`` (an
    assignment, compiled to MSet), ``gosub`` (a ``&macro()`` call) or ``goto``."""

    context: str
    exten: str
    app: str
    args: str
    file: str
    line: int
    kind: str = "app"


@dataclass
class AelConfig(ParsedConfig):
    """extensions.ael with everything it includes; ``calls`` in file order."""

    calls: list[AelCall] = field(default_factory=list)
    contexts: int = 0


class _Syntax(Exception):
    """pbx_ael would count a syntax error: it then loads nothing from extensions.ael."""

    def __init__(self, tok: _Tok, expected: str = "") -> None:
        super().__init__("syntax error")
        self.tok = tok
        self.expected = expected


class _Unread(Exception):
    """Something this reader does not follow: the rest of the file is a gap."""

    def __init__(self, frame: _Frame | None, pos: int, message: str) -> None:
        super().__init__(message)
        self.frame = frame
        self.pos = pos
        self.message = message


@dataclass
class _Frame:
    """One file being read (flex's buffer), with the globbed files still to read after it."""

    text: str
    file: str
    path: str
    pos: int = 0
    newlines: list[int] | None = None
    pending: list[str] = field(default_factory=list)  # globbed files still to read after this one
    origin: int = 0  # line of the #include that brought this file in

    def line(self, pos: int) -> int:
        if self.newlines is None:
            self.newlines = [m.start() for m in re.finditer("\n", self.text)]
        return bisect.bisect_left(self.newlines, pos) + 1


class _Tok:
    """A token: its kind, text, and where it starts (the line is computed when needed)."""

    __slots__ = ("frame", "kind", "pos", "value")

    def __init__(self, kind: str, value: str, pos: int, frame: _Frame) -> None:
        self.kind = kind
        self.value = value
        self.pos = pos
        self.frame = frame

    @property
    def line(self) -> int:
        return self.frame.line(self.pos)


class _Lexer:
    """ael.flex: INITIAL-state tokens on demand, and the argg/paren/semic states when the grammar asks."""

    def __init__(self, reader: _Reader, root: _Frame) -> None:
        self.r = reader
        self.stack: list[_Frame] = [root]
        self.skipped: set[str] = set()
        self._count = 0  # flex's parencount of the state being read

    @property
    def frame(self) -> _Frame:
        return self.stack[-1]

    def _eof(self) -> bool:
        """Flex's <<EOF>>: the next file of an include glob, or back to the includer; True at the end."""
        while True:
            f = self.frame
            if f.pos < len(f.text):
                return False
            if f.pending:
                nxt = f.pending.pop(0)
                below = self.stack[-2] if len(self.stack) > 1 else f
                if nxt in {fr.path for fr in self.stack[:-1]}:
                    self.r.note(below.file, f.origin, "#include of a file that is already being included: "
                                "pbx_ael ignores it")
                    continue
                loaded = self.r.load(nxt, below.file, len(self.stack), f.origin)
                if loaded is not None:
                    loaded.pending, loaded.origin = f.pending, f.origin
                    self.stack[-1] = loaded
                continue
            if len(self.stack) == 1:
                return True
            self.stack.pop()

    def token(self) -> _Tok:
        """The next INITIAL-state token (comments, white space and unrecognized characters skipped)."""
        f = self.stack[-1]
        token_re = _token_re()
        while True:
            text, pos = f.text, f.pos
            m = token_re.match(text, pos)
            kind = m.lastgroup
            if kind == "punct":
                f.pos = m.end()
                value = m.group("punct")
                return _Tok(_PUNCT[value], value, f.pos - len(value), f)
            if kind == "run":
                pos = m.start("run")
                run = m.group("run")
                # flex: a keyword, unless a word character follows it ({KEYWORD}?[...] is then longer).
                # Without a high-bit character the keyword can only be the whole run.
                k = _KEYWORD_RE.match(text, pos) if (run in _KEYWORD_SET or _hibit_re().search(run)) else None
                if k is not None:
                    end = k.end()
                    nxt = text[end:end + 1]
                    if not nxt or nxt not in _FIRST_CLASS:
                        f.pos = end
                        return _Tok("KW_" + k.group().upper(), k.group(), pos, f)
                    return self.word(f, pos, end + 1 - pos)
                return self.word(f, pos)
            if kind == "block_comment":
                end = text.find("*/", m.end())
                f.pos = len(text) if end < 0 else end + 2
                continue
            if kind == "include":
                f.pos = m.end()
                self.include(m.group("include"), m.start("include"), f)
                f = self.stack[-1]
                continue
            pos = m.end()
            if pos >= len(text):
                f.pos = pos
                if self._eof():
                    f = self.stack[-1]
                    return _Tok("EOF", "", len(f.text), f)
                f = self.stack[-1]
                continue
            c = text[pos]
            if c == "$" or (c == "\\" and pos + 1 < len(text) and text[pos + 1] != "\n"):
                return self.word(f, pos)
            # ael.flex's default rule: logged ("Unhandled char(s)") and skipped.
            if f.file not in self.skipped:
                self.skipped.add(f.file)
                self.r.note(f.file, f.line(pos), "characters pbx_ael does not recognize (first here) are skipped")
            f.pos = pos + 1

    def word(self, f: _Frame, start: int, plain: int = 0) -> _Tok:
        """A word: word characters, '\\x' escapes, and ${...} / $[...] read by their own states. The
        first ``plain`` characters were matched as ordinary word characters (a keyword and the word
        character after it: flex's ``{KEYWORD}?[...]`` rule)."""
        text = f.text
        n = len(text)
        pos = start + plain
        run_re = _run_re()
        while True:
            pos = run_re.match(text, pos).end()
            if pos >= n:
                break
            c = text[pos]
            if c == "$":
                if text[pos + 1:pos + 2] in ("{", "["):
                    pos, whole = self.expression(f, pos)
                    if not whole:  # flex returns the word so far and goes back to the ordinary state
                        break
                else:
                    pos += 1
            elif c == "\\" and pos + 1 < n and text[pos + 1] != "\n":
                pos += 2
            else:
                break
        f.pos = pos
        return _Tok("word", text[start:pos], start, f)

    def mismatch(self, f: _Frame, pos: int) -> None:
        """ael.flex logs "Mismatched ..." and goes on in the ordinary state (usually into a syntax error)."""
        self.r.note(f.file, f.line(pos), "mismatched bracket in an expression: pbx_ael logs an error and reads on "
                    "from here as ordinary AEL")

    def _scan(self, f: _Frame, pos: int, rx: re.Pattern, escapable: str, stack: list[str], counted: str,
              stops: str) -> tuple[int, str]:
        """One token of the curly/brack/paren/argg/semic states from ``pos``: (end, why) where why is the
        character that ended it (a ``stops`` character at the top level, or the closing one of
        ``counted`` taking the count below zero), "mismatch" (the end includes that character) or "eof".
        ``stack`` carries the open brackets between the tokens of one state (flex's pbcstack)."""
        text = f.text
        while True:
            m = rx.search(text, pos)
            if m is None:
                return len(text), "eof"
            j = m.start()
            c = text[j]
            pos = j + 1
            if c == "\\":
                if text[j + 1:j + 2] and text[j + 1] in escapable:
                    pos = j + 2
                continue
            if c in stops and (c != "," or self._count == 0):  # argg folds commas inside parentheses
                return j, c
            if c == ",":
                continue
            if c in _OPEN:
                if c == counted:
                    self._count += 1
                stack.append(c)
                if len(stack) > MAX_BRACKET_STACK:
                    raise _Unread(f, j, "brackets nested more than 400 deep (pbx_ael's own limit)")
                continue
            if not stack or _OPEN[stack[-1]] != c:
                self.mismatch(f, j)
                return j + 1, "mismatch"
            stack.pop()
            if c == _OPEN.get(counted):
                self._count -= 1
                if self._count < 0:
                    return j, c

    def expression(self, f: _Frame, start: int) -> tuple[int, bool]:
        """curlystate / brackstate after '${' or '$[': (end, whether it closed properly)."""
        opener = f.text[start + 1]
        saved, self._count = self._count, 0
        try:
            end, why = self._scan(f, start + 2, _CURLY_RE, _ESCAPABLE["curly"], [opener], opener, "")
        finally:
            self._count = saved
        if why == "eof":
            return end, False
        if why == "mismatch":
            return end, False
        return end + 1, True

    def args(self, lookahead: _Tok | None = None) -> list[str]:
        """reset_argcount, eval_arglist and the closing ')': the arguments of an application (or macro)
        call. The argg state splits them at top-level commas up to its ')'; after a mismatched bracket
        flex is back in the ordinary state and the grammar goes on with ordinary tokens (word_list merges
        two words; after a comma one word or none). ``lookahead`` is a token bison read before the
        switch (the first argument of a ``&macro(...)`` call)."""
        out: list[str] = []
        current = ""
        if lookahead is not None:
            if lookahead.kind == "word":
                current = lookahead.value
            elif lookahead.kind == "COMMA":
                out.append("")
            else:
                raise _Syntax(lookahead, "')'")
        stack = ["("]
        self._count = 0
        f = self.frame
        text = f.text
        while True:
            start = f.pos
            simple = _SIMPLE_ARG_RE.match(text, start) if len(stack) == 1 else None
            if simple is not None:
                end = simple.end() - 1
                why = text[end]
            else:
                end, why = self._scan(f, start, _ARGG_RE, _ESCAPABLE["argg"], stack, "(", ",")
            if why == "," or why == ")":
                out.append(current + text[start:end])
                current = ""
                f.pos = end + 1
                if why == ")":
                    return out
                continue
            if why == "eof":
                f.pos = end
                raise _Syntax(_Tok("EOF", "", end, f), "')'")
            # A mismatched bracket: this argument is a word; ordinary tokens follow.
            f.pos = end
            first = not out
            word = current + text[start:end]
            tok = self.token()
            if first and tok.kind == "word":  # word_list: word word
                word += tok.value
                tok = self.token()
            out.append(word)
            while tok.kind == "COMMA":
                tok = self.token()
                if tok.kind == "word":
                    out.append(tok.value)
                    tok = self.token()
                else:
                    out.append("")
            if tok.kind != "RP":
                raise _Syntax(tok, "')'")
            return out

    def paren(self) -> _Tok:
        """reset_parencount: the word of an if/while/switch/random condition or a for increment, up to
        its ')' (left for the grammar)."""
        if self._eof():
            return self.token()
        f = self.frame
        start = f.pos
        self._count = 0
        end, why = self._scan(f, start, _CURLY_RE, _ESCAPABLE["curly"], ["("], "(", "")
        f.pos = end
        if why == "eof":
            return _Tok("EOF", "", end, f)
        return _Tok("word", f.text[start:end], start, f)

    def semic(self) -> _Tok:
        """reset_semicount: the word of an assignment value or a for clause, up to ';' (left for the
        grammar)."""
        if self._eof():
            return self.token()
        f = self.frame
        start = f.pos
        self._count = 0
        end, why = self._scan(f, start, _SEMIC_RE, _ESCAPABLE["semic"], [], "", ";")
        f.pos = end
        if why == "eof":
            return _Tok("EOF", "", end, f)
        return _Tok("word", f.text[start:end], start, f)

    def include(self, directive: str, pos: int, f: _Frame) -> None:
        """``#include "pattern"``: the globbed files are read, one after the other, in place of the
        directive (an entry of flex's include stack holds the glob still to read)."""
        name = directive[directive.index('"') + 1:directive.rindex('"')]
        line = f.line(pos)
        if len(self.stack) >= MAX_INCLUDE_DEPTH:
            self.r.gap(f.file, line, "#include nested more than 50 deep: pbx_ael ignores it")
            return
        paths = self.r.expand(name, f.file, line)
        if paths:
            self.stack.append(_Frame("", f.file, "", pending=paths, origin=line))


class _Reader:
    """Files, problems and the bounds of one extensions.ael load."""

    def __init__(self, config_dir: Path, root: str, asterisk_dir: str) -> None:
        self.config_dir = str(config_dir)
        self.asterisk_dir = asterisk_dir.rstrip("/") or "/"
        try:
            self.root_real = os.path.realpath(self.config_dir, strict=True)
        except (OSError, RuntimeError, ValueError):
            self.root_real = os.path.realpath(self.config_dir)
        self.result = AelConfig(root=root)
        self.loads = 0
        self.notes: dict[str, int] = {}

    def gap(self, file: str, line: int, message: str) -> None:
        self.result.problems.append(Problem(file, line, message, False))

    def note(self, file: str, line: int, message: str) -> None:
        count = self.notes.get(file, 0) + 1
        self.notes[file] = count
        if count <= MAX_NOTES_PER_FILE:
            self.result.problems.append(Problem(file, line, message, False, note=True))

    def rel(self, path: str) -> str:
        try:
            return os.path.relpath(path, self.config_dir)
        except ValueError:
            return os.path.basename(path)

    def inside(self, path: str) -> bool:
        try:
            real = os.path.realpath(path)
        except (OSError, RuntimeError, ValueError):
            return False
        return real == self.root_real or real.startswith(self.root_real.rstrip(os.sep) + os.sep)

    def expand(self, name: str, file: str, line: int) -> list[str]:
        """glob(GLOB_NOMAGIC|GLOB_BRACE) of an include pattern relative to the configuration directory."""
        if name.startswith("/"):
            if not name.startswith(self.asterisk_dir + "/"):
                self.gap(file, line, "#include outside the configuration directory is not read; what it adds "
                         "to the dialplan is not audited")
                return []
            name = name[len(self.asterisk_dir) + 1:]
        if ".." in name.split("/"):
            self.gap(file, line, "#include with '..' is not followed; what it adds to the dialplan is not audited")
            return []
        alternatives = _braces(name)
        if alternatives is None:
            self.gap(file, line, f"#include expands to more than {MAX_BRACE_ALTERNATIVES} brace alternatives; "
                     "not read")
            return []
        out: list[str] = []
        magic = len(alternatives) > 1 or any(ch in name for ch in "*?[")
        for alt in alternatives:
            path = os.path.join(self.config_dir, alt)
            if any(ch in alt for ch in "*?["):
                found = sorted(glob_mod.glob(glob_mod.escape(self.config_dir.rstrip("/") + "/") + alt))
                out.extend(os.path.normpath(p) for p in found)
            elif not magic or os.path.lexists(path):
                out.append(os.path.normpath(path))
            if len(out) > MAX_GLOB_RESULTS:
                self.gap(file, line, f"#include matches more than {MAX_GLOB_RESULTS} files; not read")
                return []
        if not out:
            self.gap(file, line, "#include matches no file: pbx_ael ignores it; if the file exists on the PBX, "
                     "its dialplan is not audited")
        return out

    def load(self, path: str, from_file: str, depth: int, from_line: int = 0) -> _Frame | None:
        """Read one file (regular, inside the configuration directory, bounded in size); a file that
        cannot be read is reported at the #include that names it."""
        path = os.path.normpath(path)
        rel = self.rel(path)
        if not self.inside(path):
            self.gap(from_file, from_line, "#include leads outside the configuration directory; not read")
            return None
        self.loads += 1
        if self.loads > MAX_FILE_LOADS:
            raise _Unread(None, 0, f"more than {MAX_FILE_LOADS} files included")
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        except OSError as exc:
            if depth == 0:
                self.result.problems.append(Problem(rel, 0, f"cannot read file: {_why(exc)}", True))
            else:
                self.gap(from_file, from_line, f"included file cannot be read ({_why(exc)}): pbx_ael ignores the "
                         "#include; if it exists on the PBX, its dialplan is not audited")
            return None
        try:
            st = os.fstat(fd)
            if not stat_mod.S_ISREG(st.st_mode):
                self.gap(rel, 0, "not a regular file; not read")
                return None
            if st.st_size > MAX_FILE_BYTES:
                self.gap(rel, 0, f"file larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; not read")
                return None
            with os.fdopen(fd, "rb", closefd=False) as fh:
                raw = fh.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            self.gap(rel, 0, f"cannot read file: {_why(exc)}")
            return None
        finally:
            os.close(fd)
        if len(raw) > MAX_FILE_BYTES:
            self.gap(rel, 0, f"file larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; not read")
            return None
        return self.frame(raw, rel, path)

    def frame(self, raw: bytes, rel: str, path: str) -> _Frame:
        nul = raw.find(b"\x00")
        if nul >= 0:  # flex reads the file as a C string: nothing after a NUL byte exists for it
            raw = raw[:nul]
            self.note(rel, raw.count(b"\n") + 1, "text after a NUL byte is ignored by pbx_ael (and here)")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:  # flex reads bytes: every byte kept as one character (see asterisk_conf)
            text = raw.decode("latin-1")
            self.note(rel, 0, "file is not valid UTF-8; read byte for byte (as Latin-1), as pbx_ael reads bytes")
        self.result.files.append(rel)
        self.result.content_lines += sum(1 for ln in text.split("\n") if ln.strip() and not ln.lstrip().startswith("//"))
        return _Frame(text, rel, path)


def _why(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or exc.__class__.__name__


def _braces(pattern: str) -> list[str] | None:
    """GLOB_BRACE alternatives of ``pattern`` in order (itself when it has none); None beyond the bound."""
    out: list[str] = []
    todo = [pattern]
    while todo:
        p = todo.pop(0)
        depth, start, cuts = 0, -1, []
        i = 0
        while i < len(p):
            c = p[i]
            if c == "\\":
                i += 2
                continue
            if c == "{":
                if depth == 0:
                    start, cuts = i, []
                depth += 1
            elif c == "," and depth == 1:
                cuts.append(i)
            elif c == "}" and depth:
                depth -= 1
                if depth == 0:
                    break
            i += 1
        if start < 0 or depth:
            out.append(p)
        else:
            bounds = [start] + cuts + [i]
            for a, b in itertools.pairwise(bounds):
                todo.append(p[:start] + p[a + 1:b] + p[i + 1:])
        if len(out) + len(todo) > MAX_BRACE_ALTERNATIVES:
            return None
    return out


# -- the grammar (ael.y) ------------------------------------------------------------------------------

class _Parser:
    def __init__(self, lexer: _Lexer, result: AelConfig) -> None:
        self.lex = lexer
        self.result = result
        self.tok: _Tok | None = None
        self.depth = 0

    # tokens
    def peek(self) -> _Tok:
        if self.tok is None:
            self.tok = self.lex.token()
        return self.tok

    def take(self) -> _Tok:
        tok = self.peek()
        self.tok = None
        return tok

    def expect(self, kind: str) -> _Tok:
        tok = self.take()
        if tok.kind != kind:
            raise _Syntax(tok, _SHOWN.get(kind, kind.lower()))
        return tok

    def word(self) -> str:
        return self.expect("word").value

    def call(self, context: str, exten: str, app: str, args: str, tok: _Tok, kind: str = "app") -> None:
        self.result.calls.append(AelCall(context, exten, app, args, tok.frame.file, tok.line, kind))

    # objects
    def file(self) -> None:
        while True:
            tok = self.peek()
            if tok.kind == "EOF":
                return
            if tok.kind == "SEMI":
                self.take()
            elif tok.kind in ("KW_CONTEXT", "KW_ABSTRACT", "KW_EXTEND"):
                self.context()
            elif tok.kind == "KW_MACRO":
                self.macro()
            elif tok.kind == "KW_GLOBALS":
                self.take()
                self.expect("LC")
                while self.peek().kind != "RC":
                    self.word()
                    self.expect("EQ")
                    self.lex_value()
                    self.expect("SEMI")
                self.take()
            else:
                raise _Syntax(self.take(), "context, macro or globals")

    def context_name(self) -> str:
        tok = self.take()
        if tok.kind == "KW_DEFAULT":
            return "default"
        if tok.kind != "word":
            raise _Syntax(tok, "a context name")
        return tok.value

    def context(self) -> None:
        flags = set()
        while self.peek().kind in ("KW_ABSTRACT", "KW_EXTEND") and self.peek().kind not in flags:
            flags.add(self.take().kind)
        self.expect("KW_CONTEXT")
        name = self.context_name()
        self.result.contexts += 1
        self.expect("LC")
        while True:
            tok = self.peek()
            kind = tok.kind
            if kind == "RC":
                self.take()
                return
            if kind == "SEMI":
                self.take()
            elif kind == "word":
                self.take()
                nxt = self.peek().kind
                if nxt == "EXTENMARK":
                    self.take()
                    self.statement(name, tok.value)
                elif nxt == "AT":
                    self.take()
                    at = self.word()
                    self.expect("EXTENMARK")
                    self.statement(name, f"{tok.value}@{at}")
                elif nxt == "EQ":
                    self.take()
                    self.lex_value()
                    self.expect("SEMI")
                else:
                    raise _Syntax(self.take(), "'=>', '@' or '='")
            elif kind == "KW_REGEXTEN":
                self.take()
                if self.peek().kind == "KW_HINT":
                    self.take()
                    self.hint()
                exten = self.word()
                self.expect("EXTENMARK")
                self.statement(name, exten)
            elif kind == "KW_HINT":
                self.take()
                self.hint()
                exten = self.word()
                self.expect("EXTENMARK")
                self.statement(name, exten)
            elif kind == "KW_INCLUDES":
                self.includes()
            elif kind in ("KW_SWITCHES", "KW_ESWITCHES"):
                self.take()
                self.expect("LC")
                while self.peek().kind != "RC":
                    switch = self.expect("word")
                    if switch.value.split("/", 1)[0].lower() == "realtime":
                        self.result.problems.append(Problem(switch.frame.file, switch.line, (
                            f"[{name}] switches Realtime: extensions of this context come from a realtime "
                            "database, which is not audited"), False))
                    if self.peek().kind == "AT":
                        self.take()
                        self.word()
                    self.expect("SEMI")
                self.take()
            elif kind == "KW_IGNOREPAT":
                self.take()
                self.expect("EXTENMARK")
                self.word()
                self.expect("SEMI")
            elif kind == "KW_LOCAL":
                self.take()
                self.word()
                self.expect("EQ")
                self.lex_value()
                self.expect("SEMI")
            else:
                raise _Syntax(self.take(), "an extension or '}'")

    def hint(self) -> None:
        self.expect("LP")
        self.word()
        while self.peek().kind != "RP":
            if self.peek().kind in ("COLON", "AMPER", "AT"):
                self.take()
            self.word()
        self.take()

    def includes(self) -> None:
        self.take()
        self.expect("LC")
        if self.peek().kind == "RC":
            self.take()
            return
        while True:
            self.context_name()
            if self.peek().kind == "BAR":
                self.take()
                self.timespec()
            self.expect("SEMI")
            if self.peek().kind == "RC":
                self.take()
                return

    def macro(self) -> None:
        self.take()
        name = self.word()
        self.result.contexts += 1
        self.expect("LP")
        if self.peek().kind != "RP":
            self.word()
            while self.peek().kind == "COMMA":
                self.take()
                self.word()
        self.expect("RP")
        self.expect("LC")
        while True:
            tok = self.peek()
            if tok.kind == "RC":
                self.take()
                return
            if tok.kind == "KW_INCLUDES":
                self.includes()
            elif tok.kind == "KW_CATCH":
                self.take()
                exten = self.word()
                self.expect("LC")
                self.statements(name, exten, ("RC",))
                self.take()
            else:
                self.statement(name, "s")

    # statements
    def lex_value(self) -> str:
        """The word the semic state reads (the grammar has read no token past the switch)."""
        assert self.tok is None
        tok = self.lex.semic()
        if tok.kind != "word":
            raise _Syntax(tok, "a value")
        return tok.value

    def test_expr(self) -> str:
        """LP {reset_parencount} word_list RP."""
        self.expect("LP")
        tok = self.lex.paren()
        if tok.kind != "word":
            raise _Syntax(tok, "an expression")
        text = tok.value
        if self.peek().kind == "word":  # after a mismatched bracket: the next word merges
            text += self.take().value
        self.expect("RP")
        return text

    def word3(self) -> None:
        self.word()
        for _ in range(2):
            if self.peek().kind != "word":
                break
            self.take()

    def timespec(self) -> None:
        first = self.take()
        if first.kind != "word":
            raise _Syntax(first, "a time range")
        words = 1
        while words < 3 and self.peek().kind == "word":
            self.take()
            words += 1
        if self.peek().kind == "COLON":
            self.take()
            self.word3()
            self.expect("COLON")
            self.word3()
        elif words != 1:
            raise _Syntax(self.take(), "'|'")
        for _ in range(3):
            self.expect("BAR")
            self.word3()

    def goto_word(self) -> str:
        parts = [self.word()]
        if self.peek().kind == "word":
            parts.append(self.take().value)
        while self.peek().kind == "COLON":
            self.take()
            parts.append(":" + self.word())
        return "".join(parts)

    def target(self) -> list[str]:
        if self.peek().kind == "KW_DEFAULT":
            self.take()
            sep = self.take()
            if sep.kind not in ("BAR", "COMMA"):
                raise _Syntax(sep, "'|' or ','")
            second = self.goto_word()
            self.expect(sep.kind)
            return ["default", second, self.goto_word()]
        out = [self.goto_word()]
        sep = self.peek().kind
        if sep in ("BAR", "COMMA"):
            self.take()
            out.append(self.goto_word())
            if self.peek().kind == sep:
                self.take()
                out.append(self.goto_word())
        return out

    def statements(self, context: str, exten: str, until: tuple[str, ...]) -> None:
        while self.peek().kind not in until:
            if self.peek().kind == "EOF":
                raise _Syntax(self.take(), "'}'")
            self.statement(context, exten)

    def statement(self, context: str, exten: str) -> None:
        tok = self.take()
        if tok.kind == "word":  # the common case first: an application call, assignment or label
            self._word_statement(tok, context, exten)
            return
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise _Unread(tok.frame, tok.pos, f"statements nested more than {MAX_NESTING} deep")
        try:
            self._statement(tok, context, exten)
        finally:
            self.depth -= 1

    def _word_statement(self, tok: _Tok, context: str, exten: str) -> None:
        nxt = self.peek().kind
        if nxt == "COLON":  # a label
            self.take()
        elif nxt == "SEMI":
            self.take()
            self.call(context, exten, tok.value, "", tok)
        elif nxt == "EQ":
            self.take()
            value = self.lex_value()
            self.expect("SEMI")
            self.call(context, exten, "MSet", _mset(tok.value, value), tok, "set")
        elif nxt == "LP":
            self.take()
            args = ",".join(self.lex.args())
            after = self.take()
            if after.kind == "SEMI":
                if tok.value.lower() == "goto":
                    self.call(context, exten, "Goto", args, tok, "goto")
                else:
                    self.call(context, exten, tok.value, args, tok)
            elif after.kind == "EQ":  # Func(args)=value: an assignment to a function
                value = self.lex_value()
                self.expect("SEMI")
                self.call(context, exten, "MSet", _mset(f"{tok.value}({args})", value), tok, "set")
            else:
                raise _Syntax(after, "';' or '='")
        else:
            raise _Syntax(self.take(), "'(', ';', '=' or ':'")

    def _statement(self, tok: _Tok, context: str, exten: str) -> None:
        kind = tok.kind
        if kind == "LC":
            self.statements(context, exten, ("RC",))
            self.take()
        elif kind == "SEMI":
            pass
        elif kind == "KW_LOCAL":
            name = self.word()
            self.expect("EQ")
            value = self.lex_value()
            self.expect("SEMI")
            self.call(context, exten, "MSet", _mset(f"LOCAL({name})", value), tok, "set")
        elif kind in ("KW_GOTO", "KW_JUMP"):
            if kind == "KW_GOTO":
                parts = self.target()
            else:
                parts = [self.goto_word()]
                if self.peek().kind == "COMMA":
                    self.take()
                    parts.append(self.word())
                if self.peek().kind == "AT":
                    self.take()
                    parts.insert(0, self.context_name())
            self.expect("SEMI")
            self.call(context, exten, "Goto", ",".join(parts), tok, "goto")
        elif kind == "KW_FOR":
            self.expect("LP")
            init = self.lex_value()
            self.expect("SEMI")
            self.lex_value()
            self.expect("SEMI")
            assert self.tok is None
            inc_tok = self.lex.paren()
            if inc_tok.kind != "word":
                raise _Syntax(inc_tok, "an expression")
            inc = inc_tok.value
            self.expect("RP")
            for clause in (init, inc):
                self.for_clause(context, exten, clause, tok)
            self.statement(context, exten)
        elif kind == "KW_WHILE":
            self.test_expr()
            self.statement(context, exten)
        elif kind == "KW_SWITCH":
            self.test_expr()
            self.expect("LC")
            while True:
                head = self.take()
                if head.kind == "RC":
                    break
                if head.kind in ("KW_CASE", "KW_PATTERN"):
                    self.word()
                elif head.kind != "KW_DEFAULT":
                    raise _Syntax(head, "case, pattern, default or '}'")
                self.expect("COLON")
                self.statements(context, exten, ("KW_CASE", "KW_PATTERN", "KW_DEFAULT", "RC"))
        elif kind == "AMPER":
            self.macro_call(context, exten)
            self.expect("SEMI")
        elif kind in ("KW_BREAK", "KW_RETURN", "KW_CONTINUE"):
            self.expect("SEMI")
        elif kind in ("KW_IF", "KW_RANDOM", "KW_IFTIME"):
            if kind == "KW_IFTIME":
                self.expect("LP")
                self.timespec()
                self.expect("RP")
            else:
                self.test_expr()
            self.statement(context, exten)
            if self.peek().kind == "KW_ELSE":
                self.take()
                self.statement(context, exten)
        else:
            raise _Syntax(tok, "a statement")

    def macro_call(self, context: str, exten: str) -> None:
        name = self.expect("word")
        self.expect("LP")
        # Bison reads one token here (in the ordinary state) to choose between 'name()' and arguments;
        # the argument state starts after it.
        first = self.take()
        args = [] if first.kind == "RP" else self.lex.args(first)
        text = f"{name.value},~~s~~,1" + (f"({','.join(args)})" if args else "")
        self.call(context, exten, "Gosub", text, name, "gosub")

    def for_clause(self, context: str, exten: str, clause: str, tok: _Tok) -> None:
        """pval.c PV_FOR: an assignment becomes MSet, '&m(a)' a Gosub, anything else an application call."""
        if "=" in clause:
            name, _, value = clause.partition("=")
            self.call(context, exten, "MSet", _mset(name, value), tok, "set")
            return
        stripped = clause.lstrip()
        if stripped.startswith("&"):
            body = stripped[1:].lstrip()
            if "(" in body:
                body = body.replace("(", ",", 1)
            end = body.rfind(")")
            self.call(context, exten, "Gosub", body[:end] if end >= 0 else body, tok, "gosub")
            return
        if "(" in stripped:
            app, _, rest = stripped.partition("(")
            end = rest.rfind(")")
            self.call(context, exten, app, rest[:end] if end >= 0 else rest, tok)


def _mset(name: str, value: str) -> str:
    """pval.c: '%s=$[%s]' with the spaces before '=' removed (remove_spaces_before_equals)."""
    return f"{name.rstrip()}=$[{value}]"


def _run(reader: _Reader, root: _Frame) -> AelConfig:
    result = reader.result
    lexer = _Lexer(reader, root)
    parser = _Parser(lexer, result)
    try:
        if parser.peek().kind == "EOF":
            if not result.calls:
                reader.note(root.file, 0, "no AEL statements: pbx_ael reports a syntax error and loads nothing "
                            "from this file")
            return result
        parser.file()
    except _Syntax as exc:
        tok = exc.tok
        expected = f", expecting {exc.expected}" if exc.expected else ""
        result.calls.clear()
        result.problems.append(Problem(tok.frame.file, tok.line, (
            f"AEL syntax error: unexpected {_SHOWN.get(tok.kind, tok.kind.replace('KW_', '').lower())}{expected}; "
            "pbx_ael loads nothing from extensions.ael when it finds a syntax error"), True))
    except _Unread as exc:
        where_file = exc.frame.file if exc.frame is not None else root.file
        where_line = exc.frame.line(exc.pos) if exc.frame is not None else 0
        reader.gap(where_file, where_line, f"{exc.message}; the AEL dialplan from here on is not audited")
    except RecursionError:
        reader.gap(root.file, 0, "AEL nested too deeply to read; the AEL dialplan is not fully audited")
    return result


def parse_ael(config_dir: Path | str, root: str = "extensions.ael",
              asterisk_dir: str = DEFAULT_ASTERISK_CONFIG_DIR) -> AelConfig:
    """extensions.ael (and what it includes) from a configuration directory; ``found`` is False
    when it is absent (pbx_ael then declines to load)."""
    reader = _Reader(Path(config_dir), root, asterisk_dir)
    path = os.path.join(reader.config_dir, root)
    if not os.path.lexists(path):
        reader.result.found = False
        return reader.result
    frame = reader.load(path, root, 0)
    if frame is None:
        if not reader.result.problems:
            reader.result.problems.append(Problem(root, 0, "cannot read file", True))
        elif not any(p.fatal for p in reader.result.problems):
            # The root itself could not be read: everything in it is unaudited.
            reader.result.problems.append(Problem(root, 0, "extensions.ael could not be read", True))
        return reader.result
    return _run(reader, frame)


def parse_ael_text(text: str, name: str = "extensions.ael") -> AelConfig:
    """Read AEL from a string (tests, fuzzing); includes resolve against the current directory's
    absence: none are read."""
    reader = _Reader(Path("/nonexistent-voxaudit-ael"), name, DEFAULT_ASTERISK_CONFIG_DIR)
    frame = reader.frame(text.encode("utf-8", "surrogatepass"), name, name)
    return _run(reader, frame)
