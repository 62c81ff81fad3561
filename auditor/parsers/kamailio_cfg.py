"""Kamailio's configuration language, lexed and preprocessed as Kamailio's own lexer does
(``src/core/cfg.lex``), and its tls.cfg. OpenSIPS shares the SER language (globals,
``loadmodule``, ``modparam``, route blocks, ``include_file``); its lexer has only ``#`` line
comments and no ``#!`` preprocessor (``#!define`` is a comment there), so it is read with
``opensips=True``.

What follows cfg.lex (the rule is named beside the code that implements it):

* comments: ``#`` and ``//`` to the end of the line (COM_LINE), ``/* */`` that nest
  (COM_START/COM_END with ``comment_nest``); none of them inside a string;
* strings: ``"..."`` with the escapes ``\\n \\r \\a \\t \\" \\\\ \\xHH \\ooo`` and an escaped
  newline eaten (STRING1), ``'...'`` taken as is (STRING2), both may span lines, and adjacent
  double-quoted strings are one string (STR_BETWEEN); a backslash before a newline outside a
  string joins the lines;
* the preprocessor, ``#!`` or ``!!`` (PREP_START): ``define``/``def``, ``trydef``/``trydefine``,
  ``redef``/``redefine``, ``undef``/``undefine``, ``tryundef``/``tryundefine`` with the value to
  the end of the line and ``\\`` continuing it (DEFINE_DATA), the name an identifier without
  ``-``; ``ifdef``/``ifndef``/``else``/``endif`` (nested, at most 512, MAX_IFDEFS; ``else`` and
  ``endif`` must stand alone on their line, else the line is a ``#`` comment); at most 512
  defines (MAX_DEFINES); a defined identifier met in the code is replaced by its value, which is
  lexed again (``unput``); ``subst``/``substdef``/``substdefs`` (a substdef also defines its
  name; rules whose pattern is a plain name are applied to strings, others are a gap);
  ``ifexp`` is evaluated as pp_ifexp_eval does over the defines (names, numbers, strings, ``!``,
  comparisons, ``&&``, ``||``, parentheses); an expression beyond that (neither branch of its block
  is read), ``defexp`` (an snexpr value) and ``defenv`` (the running host's environment) are gaps;
* names Kamailio defines itself: ``MOD_<name>`` when ``loadmodule`` loads a module (sr_module.c
  register_module, run by cfg.y's ``LOADMODULE STRING`` action as the file is parsed, so it counts
  from the next line on; since 4.1) is decided from the file. ``KAMAILIO_X``, ``KAMAILIO_X_Y``,
  ``KAMAILIO_X_Y_Z`` (since 5.2), ``KAMAILIO_VERSION`` and ``OS_NAME`` (since 5.7) come from the running
  binary (ppcfg.c pp_define_core): an ``#!ifdef``/``#!ifndef`` of one the file has not itself set or
  unset is a gap naming it, and neither branch of its block is read. A define set inside such a block,
  and every ``MOD_`` name after a ``loadmodulex`` whose name is computed, is unknown in turn. Like
  ``-A`` on the command line, ``--loadmodule`` and statically built modules (``static_modules``) are
  outside the files: what is passed in as ``defines`` stands for them;
* pseudo-variables with parentheses (``$(...)``, ``$name(...)``) are one token up to the matching
  parenthesis (PVAR_P): comment marks, quotes and ``;`` inside them are part of the token;
* ``include_file`` / ``import_file`` (also after ``#!``): the name must be quoted and shorter
  than 128 characters; a relative name is looked up beside the including file; ``import_file``
  of a missing file is ignored (a note says so), a missing ``include_file`` is fatal; at most 10 nested includes
  (MAX_INCLUDE_DEPTH). Includes never leave the configuration directory.

From the active text it keeps what the checks need: global parameters, ``loadmodule``,
``modparam``, and which functions the routing blocks call, each with file and line. A top-level
statement it does not understand, a routing engine it does not read (KEMI ``cfgengine``) or a
preprocessor rule it cannot apply is a gap. Problems name the file, line and keyword, never a
value. The reader is one pass over the characters, bounded in input size, include count and
define expansion, so its time is linear in the input.
"""
from __future__ import annotations

import math
import os
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from voxaudit.parsers.files import UnreadableFile, read_config_file
from voxaudit.parsers.opensips_template import looks_like_mustache, looks_like_template, strip_mustache, strip_template
from voxaudit.parsers.problem import Problem, label

MAX_INCLUDE_DEPTH = 10  # cfg.lex MAX_INCLUDE_DEPTH
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024  # across all included files (an include fan-out bomb)
MAX_FILES = 1000
MAX_DEFINES = 512  # cfg.lex MAX_DEFINES
MAX_IFDEFS = 512  # cfg.lex MAX_IFDEFS
MAX_INCLUDE_NAME = 128  # cfg.lex MAX_INCLUDE_FNAME
MAX_EXPANSION_DEPTH = 32  # a define whose value names itself would loop forever in Kamailio
MAX_EXPANDED_CHARS = 8 * 1024 * 1024
MAX_GAPS = 20  # per load; the rest are counted
MAX_HOST_GAPS_PER_FILE = 5  # host-decided #!ifdef gaps named per file; the rest are one message per file
MAX_MODULE_NAME = 59  # sr_module.c: "too long module name" at 60 (MOD_<name> fits 64 bytes)

_DIRECTIVE_RE = re.compile(r"[ \t]*(?:#!|!!)([A-Za-z_]+)")
_ID_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_GLOBAL_RE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_.]*)\s*=")
# cfg.lex FLAGS_DECL "flags"|"bool" and AVPFLAGS_DECL "avpflags": a comma-separated list of names,
# flags with an optional ":number" (cfg.y flag_spec)
FLAG_DECLS = {"flags", "bool", "avpflags"}
_FLAG_LIST_RE = re.compile(r"\s*[A-Za-z_][A-Za-z0-9_]*(?:\s*:\s*\d+)?(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*(?:\s*:\s*\d+)?)*\s*")
MAX_DECL_PARTS = 100_000  # a declaration longer than this ends at the newline (bounded statement size)
ROUTE_KINDS = {"request_route", "reply_route", "onreply_route", "failure_route", "branch_route", "event_route",
               "route", "onsend_route", "local_route", "startup_route", "timer_route", "error_route"}
_ROUTE_RE = re.compile(r"\s*([a-z_]+)\s*(?:\[([^\]]{0,256})\])?\s*")
_CALL_RE = re.compile(r"\b([a-z_][a-z0-9_]*)\s*\(")
_EMPTY_ARGS_RE = re.compile(r"[ \t\r\n]*\)")
# Routing functions whose string arguments name where a request is sent (Kamailio core forward*/send*,
# sethost/seturi and their rewrite* aliases, tm t_relay(host, port), t_relay_to_*, t_replicate*): their literal
# arguments are kept (a host is not a secret; user:password@ in a URI is removed by the facts).
DESTINATION_CALLS = frozenset({
    "forward", "forward_udp", "forward_tcp", "forward_tls", "forward_sctp", "send", "send_tcp", "t_relay",
    "t_relay_to_udp", "t_relay_to_tcp", "t_relay_to_tls", "t_relay_to_sctp", "t_relay_to", "t_replicate",
    "t_replicate_udp", "t_replicate_tcp", "t_replicate_tls", "sethost", "rewritehost", "sethostport",
    "rewritehostport", "seturi", "rewriteuri",
})
# Destination variables a routing assignment may set to a literal ($du: the next hop; $ru: the request URI;
# $rd: its host part).
DESTINATION_VARS = frozenset({"du", "ru", "rd"})
MAX_LITERALS = 8  # arguments kept per call
_KEYWORDS = {"if", "while", "switch", "return", "exit", "drop", "route", "case", "else", "break", "not", "and", "or"}
# Routing engines whose logic lives in a script of another language (cfgengine "<name>").
NATIVE_ENGINES = {"native", "kamailio", "default"}
# KEMI interpreter modules and the modparam naming their script (app_python's older "script_name" too).
KEMI_MODULES = {"app_python", "app_python3", "app_python3s", "app_lua", "app_jsdt", "app_ruby", "app_sqlang"}
KEMI_SCRIPT_PARAMS = {"load", "script_name"}
_BLANKS = " \t\r\b\f\v"
_BLANK_RE = re.compile(r"[ \t\r\b\f\v]+")
_COMMENT_EDGE_RE = re.compile(r"/\*|\*/")
# A run of code characters that need no decision (not a letter, blank, quote, comment start,
# backslash, separator or bracket): consumed at once so the lexer is fast as well as linear.
_PLAIN_RE = re.compile(r"[^A-Za-z_ \t\r\b\f\v\"'#/\\;{}()]+")
# Kamailio: '$' also needs a decision wherever it stands (a pvar with parentheses, a ${NAME} placeholder)
_PLAIN_KAM_RE = re.compile(r"[^A-Za-z_ \t\r\b\f\v\"'#/\\;{}()$]+")
_DQ_PLAIN_RE = re.compile(r'[^"\\]*')
_SQ_PLAIN_RE = re.compile(r"[^']*")
_ESCAPES = {"n": "\n", "r": "\r", "a": "\a", "t": "\t", '"': '"', "\\": "\\"}
_HEX_RE = re.compile(r"[0-9a-fA-F]{1,2}")
_OCT_RE = re.compile(r"[0-7]{2,3}")
_PAREN_RE = re.compile(r"[()]")
# A shell/envsubst placeholder (``${NAME}``, ``${NAME:-default}``) outside strings: not Kamailio syntax
# (cfg.lex has no ``${`` token); deployment scripts fill it in (sed, envsubst) before Kamailio starts.
# Bounded and without nested quantifiers (linear on any input).
_PLACEHOLDER_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]{0,80})(?::?[-=?+][^{}\n]{0,200})?\}")
MAX_PLACEHOLDER_GAPS = 20  # placeholder names reported per run; the rest are counted in the last message
# characters that never end an OpenSIPS script variable (anything but parentheses, blanks, ';', ',' and
# the characters operators are made of)
_SCALE_RE = re.compile(r"scale\s+(?:up|down)\s+to\b")
_SCRIPTVAR_PLAIN_RE = re.compile(r"[^()\s;,=+\-*/%&|^~!<>]+")



@dataclass
class Item:
    kind: str  # global | loadmodule | modparam | call | define | assign
    name: str
    value: str  # a call: "args" when it passes arguments, else ""; an assign: the literal destination, or ""
    file: str
    line: int
    route: str = ""
    # a call of DESTINATION_CALLS: each argument's literal text ("" for one that is not a plain string)
    literals: tuple[str, ...] = ()


@dataclass
class KamailioConfig:
    root: str
    found: bool = True
    files: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    defines: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    content_lines: int = 0  # lines that carried configuration (code or a directive)
    # cfgengine other than the native one: the routing blocks here never run (KEMI); "" when native
    engine: str = ""
    engine_at: tuple[str, int] = ("", 0)
    # the gap of a KEMI engine, kept apart from ``problems``: it concerns the routing checks only
    # (listeners, TLS and logging are still read from this file)
    engine_problem: Problem | None = None

    @property
    def kemi_scripts(self) -> list[str]:
        """File names of the KEMI scripts the interpreter modules load (modparam app_*.load)."""
        return [Path(it.value.strip().strip('"')).name for it in self.items if it.kind == "modparam"
                and it.name.split(".", 1)[0] in KEMI_MODULES and it.name.split(".", 1)[-1] in KEMI_SCRIPT_PARAMS
                and it.value.strip().strip('"')]

    @property
    def fatal(self) -> Problem | None:
        return next((p for p in self.problems if p.fatal), None)


class _Lit(str):
    """A string literal's value inside a statement (its quotes and escapes already resolved)."""


Part = str  # code text, or a _Lit (a str subclass) for a string literal


class _Fatal(Exception):
    """Stops the load: the problem is already recorded."""


@dataclass
class _LexState:
    """Lexer state that lives from line to line within one file."""

    comment: int = 0  # /* */ nesting
    quote: str = ""  # the open string's quote character
    buf: list[str] = field(default_factory=list)
    str_line: int = 0
    eat_newline: bool = False
    cont: bool = False  # the line ended with a backslash outside strings
    line_comment: bool = False  # a define's value opened a '#' or '//' comment
    define: tuple[str, str, str, int] | None = None  # a #!define continued on the next line


@dataclass
class _Stmt:
    file: str
    line: int
    parts: list[Part] = field(default_factory=list)

    @property
    def code(self) -> str:
        """The statement with every string literal shown as ``""`` (for keyword matching)."""
        return "".join('""' if isinstance(p, _Lit) else p for p in self.parts)


def _value(parts: list[Part]) -> str:
    """A value as the checks read it: adjacent literals joined (STR_BETWEEN), else the code text with
    literals shown bare."""
    stripped = [p for p in parts if isinstance(p, _Lit) or p.strip()]
    if stripped and all(isinstance(p, _Lit) for p in stripped):
        return "".join(stripped)
    return "".join(parts).strip()


_DESCRIPTION_RE = re.compile(r"\b(?:description|descr|desc)\b")


def _before_description(parts: list[Part]) -> list[Part]:
    """A custom cfg variable's value without its ``desc "..."`` (cfg.y cfg_var: CFG_DESCRIPTION STRING),
    so the description is never taken for the value."""
    for k, p in enumerate(parts):
        if not isinstance(p, _Lit) and (m := _DESCRIPTION_RE.search(p)) is not None:
            return [*parts[:k], p[:m.start()]]
    return parts


def _split_args(parts: list[Part]) -> list[list[Part]] | None:
    """The arguments of ``name(arg, arg, ...)``, split at commas of the outer parentheses; None when
    the statement is not of that form (text after the closing parenthesis, none at all)."""
    args: list[list[Part]] | None = None
    depth, closed = 0, False
    for part in parts:
        if isinstance(part, _Lit):
            if args is None or closed:
                return None
            args[-1].append(part)
            continue
        start = 0
        for k, ch in enumerate(part):
            if closed:
                if not ch.isspace():
                    return None
            elif ch == "(":
                depth += 1
                if depth == 1:
                    args, start = [[]], k + 1
            elif args is None:
                continue
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    args[-1].append(part[start:k])
                    closed = True
            elif ch == "," and depth == 1:
                args[-1].append(part[start:k])
                args.append([])
                start = k + 1
        if args is not None and not closed and start < len(part):
            args[-1].append(part[start:])
    return args if closed else None


def _call_literals(parts: list[Part], fn: str) -> tuple[str, ...]:
    """The arguments of the first call of ``fn`` in a statement: a literal's text, "" for any other argument
    (a variable, an expression). One pass over the parts (linear)."""
    start = next((k for k, p in enumerate(parts) if not isinstance(p, _Lit) and p.strip() == fn), None)
    if start is None:
        return ()
    args: list[list[Part]] = []
    depth = 0
    for part in parts[start + 1:]:
        if isinstance(part, _Lit):
            if depth >= 1 and args:
                args[-1].append(part)
            continue
        for ch in part:
            if ch == "(":
                depth += 1
                if depth == 1:
                    args.append([])
                    continue
            elif ch == ")":
                depth -= 1
                if depth <= 0:
                    break
            elif ch == "," and depth == 1:
                args.append([])
                continue
            if depth >= 1 and args and not ch.isspace():
                args[-1].append(ch)
        if depth <= 0 and args:
            break
        if len(args) > MAX_LITERALS:
            break
    return tuple("".join(a) if a and all(isinstance(p, _Lit) for p in a) else "" for a in args[:MAX_LITERALS])


def _destination_assignment(parts: list[Part]) -> tuple[str, str] | None:
    """``$du = "sip:host"`` (and $ru, $rd) in a route: (variable, literal value). A value built from
    variables keeps only what a literal fixes: ``"sip:" + $rU + "@host"`` -> "sip:*@host" (the host is
    literal); any other computed value is "" (the destination is not in the configuration)."""
    code = [p for p in parts if isinstance(p, _Lit) or p.strip()]
    if len(code) >= 2 and not isinstance(code[0], _Lit) and code[0].strip().startswith("$") \
            and code[0].strip() != "$":
        code = ["$", code[0].strip()[1:], *code[1:]]  # OpenSIPS lexes "$du" as one word
    if len(code) < 4 or isinstance(code[0], _Lit) or code[0].strip() != "$" or isinstance(code[1], _Lit):
        return None
    name = code[1].strip()
    if name not in DESTINATION_VARS or isinstance(code[2], _Lit) or code[2].strip() != "=":
        return None
    rest = code[3:]
    if all(isinstance(p, _Lit) for p in rest):
        return name, "".join(rest)
    last = rest[-1]
    if isinstance(last, _Lit) and "@" in last and name == "ru":
        return name, "sip:*@" + last.rsplit("@", 1)[1]
    return name, ""


class _Loader:
    def __init__(self, cfg_dir: Path, root: str, defines: dict[str, str] | None, opensips: bool) -> None:
        self.cfg_dir = cfg_dir
        try:
            self.base = cfg_dir.resolve()
        except (OSError, RuntimeError):
            self.base = cfg_dir
        self.opensips = opensips
        self.cfg = KamailioConfig(root=root, defines=dict(defines or {}))
        # each open #!ifdef level's own truth; None: unknown (it depends on the running binary), neither
        # branch is read
        self.cond: list[bool | None] = []
        self.cond_at: list[int] = []  # ...and the line that opened it (to name an unclosed one)
        self.inactive = 0  # how many open levels are not true (false or unknown)
        self.unknown = 0  # how many open levels are unknown
        # names whose definedness the files do not decide: name -> (file, line) where it became unknown
        self.unsure: dict[str, tuple[str, int]] = {}
        self.undefined: set[str] = set()  # names an active #!undef removed (a host name then is decided)
        self.unsure_modules: tuple[str, int] | None = None  # a loadmodulex whose module name is computed
        self.host_gaps: dict[str, list[int]] = {}  # per file: [gaps named, more, first line beyond]
        self.subst: list[tuple[str, str, bool]] = []  # literal #!subst rules: (name, value, global)
        self.files_read = 0
        self.bytes_read = 0
        self.expanded = 0
        self.gaps = 0
        self.notes = 0
        # lexer state, carried across lines and across included files as Kamailio's lexer does
        self.stmt: _Stmt | None = None
        self.paren = 0
        self.paren_line = 0
        self.cur_path, self.cur_rel, self.cur_depth = cfg_dir / root, root, 0
        self.route = ""
        self.route_pending = ""
        self.braces = 0
        self.route_open_at = ("", 0)
        self.last_global = ""  # the global the latest top-level statement set (continuation lines)
        self.placeholders: set[tuple[str, str]] = set()  # (file, name) of deployment placeholders reported

    # -- problems ---------------------------------------------------------------------------
    def fatal(self, file: str, line: int, message: str) -> None:
        self.cfg.problems.append(Problem(file, line, message, True))
        raise _Fatal

    def gap(self, file: str, line: int, message: str) -> None:
        self.gaps += 1
        if self.gaps <= MAX_GAPS:
            self.cfg.problems.append(Problem(file, line, message, False))

    def placeholder(self, name: str, rel: str, lineno: int) -> None:
        """A ``${NAME}`` placeholder: the file as published is a template Kamailio cannot read, and the
        value put in its place is not in the files. A gap (its name only: the default after ``:-``
        may be a secret), once per name and file."""
        if (rel, name) in self.placeholders:
            return
        self.placeholders.add((rel, name))
        if len(self.placeholders) <= MAX_PLACEHOLDER_GAPS:
            self.gap(rel, lineno, f"${{{name}}} is a deployment placeholder (filled in by a script such as sed or "
                     "envsubst before Kamailio starts; Kamailio's lexer does not read it): its value is not in "
                     "the files")
        elif len(self.placeholders) == MAX_PLACEHOLDER_GAPS + 1:
            self.gap(rel, lineno, f"more than {MAX_PLACEHOLDER_GAPS} deployment placeholders; not all are named")

    def note(self, file: str, line: int, message: str) -> None:
        """Shown, coverage unchanged; bounded like the gaps (a file of a million missing imports)."""
        self.notes += 1
        if self.notes <= MAX_GAPS:
            self.cfg.problems.append(Problem(file, line, message, False, note=True))

    # -- files --------------------------------------------------------------------------------
    def resolve_include(self, name: str, including: Path) -> Path | None:
        """Where an included file is in the copy: relative names beside the including file (the
        second place sr_push_yy_state looks); absolute names by their trailing path components inside
        the configuration directory (the copy is not at the host's path)."""
        if name.startswith("/"):
            parts = [p for p in Path(name).parts[1:] if p not in ("", ".")]
            candidates = [self.cfg_dir.joinpath(*parts[i:]) for i in range(len(parts))]
        else:
            candidates = [including.parent / name]
        for c in candidates:
            if c.exists():
                return c
        return None

    def inside(self, path: Path) -> bool:
        try:
            return path.resolve().is_relative_to(self.base)
        except (OSError, RuntimeError):
            return False

    def display(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.base))
        except (OSError, RuntimeError, ValueError):
            return path.name

    def load(self, path: Path, rel: str, depth: int) -> None:
        if depth > MAX_INCLUDE_DEPTH:
            self.fatal(rel, 0, f"include_file nesting deeper than {MAX_INCLUDE_DEPTH} (a loop?)")
        self.files_read += 1
        if self.files_read > MAX_FILES:
            self.fatal(rel, 0, f"more than {MAX_FILES} included files were read; not followed further")
        try:  # a regular file only, bounded, never blocking on a FIFO or reading a device for ever
            raw = read_config_file(os.path.realpath(path), MAX_FILE_BYTES)
        except UnreadableFile as exc:
            if depth == 0 or exc.kind in ("too-large", "binary"):
                self.fatal(rel, 0, exc.reason)
            # Kamailio on the host reads it; the copy we were given does not let us: our gap.
            self.gap(rel, 0, f"included file could not be read by the audit ({exc.reason}); what it configures "
                             "is not assessed")
            return
        self.bytes_read += len(raw)
        if self.bytes_read > MAX_TOTAL_BYTES:
            self.fatal(rel, 0, "included files add up to more than 64 MiB; not read further")
        if rel not in self.cfg.files:
            self.cfg.files.append(rel)
        saved = (self.cur_path, self.cur_rel, self.cur_depth)
        self.cur_path, self.cur_rel, self.cur_depth = path, rel, depth
        start_cond = len(self.cond)
        self.lex_file(raw.decode("utf-8", errors="replace"), rel)
        if len(self.cond) != start_cond:
            opened = self.cond_at[start_cond] if len(self.cond_at) > start_cond else 0
            self.fatal(rel, opened, "#!ifdef without matching #!endif (Kamailio requires them balanced; '#!endif' "
                                    "followed by anything but blanks is a comment)")
        self.cur_path, self.cur_rel, self.cur_depth = saved

    # -- lexer --------------------------------------------------------------------------------
    def lex_file(self, text: str, rel: str) -> None:
        """cfg.lex over one file. Directives are recognised at the start of a line outside comments
        and strings; inside a false #!ifdef only the conditionals are (IFDEF_SKIP)."""
        state = _LexState()
        if looks_like_mustache(text):  # a Handlebars/Jinja template given as the configuration itself
            text, template_gaps = strip_mustache(text)
            for line_no, message in template_gaps:
                self.gap(rel, line_no, message)
        if self.opensips and looks_like_template(text):
            text, template_gaps = strip_template(text)
            for line_no, message in template_gaps:
                self.gap(rel, line_no, message)
        for lineno, line in enumerate(text.split("\n"), start=1):
            line = line.removesuffix("\r")
            if state.define is not None:  # DEFINE_DATA continued by a backslash-newline
                kind, name, value, at = state.define
                state.define = None
                if line.endswith("\\"):
                    state.define = (kind, name, value + line[:-1], at)
                else:
                    self.define(kind, name, value + line, rel, at)
                continue
            if not state.comment and not state.quote and not self.opensips \
                    and (d := _DIRECTIVE_RE.match(line)) is not None:
                if self.directive(d.group(1), line[d.end():], rel, lineno, state) and not self.inactive:
                    self.cfg.content_lines += 1
                continue
            if self.inactive:
                if self.inactive == self.unknown and (lm := _LOADMODULE_RE.match(line)) is not None:
                    self.taint_module(lm.group(3), rel, lineno)  # may load it on the host
                continue
            state.cont = False
            if self.lex(line, rel, lineno, state, 0):
                self.cfg.content_lines += 1
            if state.quote:
                if state.eat_newline:
                    state.eat_newline = False
                else:
                    state.buf.append("\n")
            elif not state.comment and not state.cont and self.paren == 0 and not self.list_goes_on():
                self.flush()  # a newline outside parentheses ends a statement (globals take no ';')
        if state.quote:
            self.fatal(rel, state.str_line, "string never closed (Kamailio stops at the end of the file)")
        if state.comment:
            self.fatal(rel, 0, "/* comment never closed (Kamailio stops at the end of the file)")
        if self.paren:
            self.fatal(rel, self.paren_line, "'(' never closed")
        self.flush()

    def lex(self, text: str, rel: str, lineno: int, state: _LexState, nest: int) -> bool:
        """Active code characters; True when any code was seen. ``nest`` counts define expansions in
        progress (a defined name's value is lexed again, as cfg.lex's unput does)."""
        seen = False
        i, n = 0, len(text)
        while i < n:
            if state.comment:  # COMMENT: /* */ nest (comment_nest)
                m = _COMMENT_EDGE_RE.search(text, i)
                if m is None:
                    return seen
                state.comment += 1 if m.group() == "/*" else -1
                i = m.end()
                continue
            if state.quote:
                i = self.lex_string(text, i, state)
                seen = True
                continue
            ch = text[i]
            if ch in _BLANKS:
                m = _BLANK_RE.match(text, i)
                self.emit(" ", rel, lineno)
                i = m.end()
                continue
            if ch == "#" or (ch == "/" and text.startswith("//", i) and not self.opensips):
                state.line_comment = nest > 0  # in a define's value it eats the rest of the line too
                return seen  # COM_LINE: the rest of the line
            if ch == "/" and text.startswith("/*", i):
                state.comment, i = 1, i + 2
                continue
            if ch == "\\" and i == n - 1:  # an escaped newline joins the lines
                state.cont = True
                return seen
            seen = True
            if ch == '"' or ch == "'":
                state.quote, state.buf, state.str_line = ch, [], lineno
                self.emit("", rel, lineno)
                i += 1
                continue
            if ch == "$" and self.opensips:
                # SCRIPTVARS: '$' and everything up to a blank, ';', ',' or operator outside parentheses
                # (or the ')' closing them) is one token: quotes and '#' inside are part of it
                end = self.scriptvar_end(text, i)
                self.emit(text[i:end], rel, lineno)
                seen, i = True, end
                continue
            if ch == "$" and not self.opensips and (ph := _PLACEHOLDER_RE.match(text, i)) is not None:
                # one opaque token, so the statement around it stays whole (listen=... advertise ${IP}:5060)
                self.placeholder(ph.group(1), rel, lineno)
                self.emit(ph.group(), rel, lineno)
                i = ph.end()
                continue
            if ch == "$" and not self.opensips and (end := self.pvar_end(text, i)) > i:
                # PVAR_P: ``$(...)`` and ``$name(...)`` are one token up to the matching parenthesis;
                # '#', '//', quotes and ';' inside are part of it (``{re.subst,/(\#)/x/}``)
                self.emit(text[i:end], rel, lineno)
                i = end
                continue
            if ch.isalpha() or ch == "_":
                m = _ID_RE.match(text, i)
                word = m.group()
                value = None if self.opensips or (i and text[i - 1] in "$.") else self.cfg.defines.get(word)
                if value is not None:
                    self.expand(word, value, rel, lineno, state, nest)
                    if state.line_comment:  # unput: the value's comment ran on into this line
                        if nest == 0:
                            state.line_comment = False
                        return True
                else:
                    self.emit(word, rel, lineno)
                i = m.end()
                continue
            if ch == ";" and self.paren == 0:
                self.flush()
            elif ch in "{}" and self.paren == 0:
                self.flush()
                self.emit(ch, rel, lineno)
                self.flush()
            elif ch == "(":
                if self.paren == 0:
                    self.paren_line = lineno
                self.paren += 1
                self.emit(ch, rel, lineno)
            elif ch == ")":
                self.paren = max(self.paren - 1, 0)
                self.emit(ch, rel, lineno)
            else:
                m = (_PLAIN_RE if self.opensips else _PLAIN_KAM_RE).match(text, i)
                end = m.end() if m is not None and m.end() > i else i + 1
                self.emit(text[i:end], rel, lineno)
                i = end
                continue
            i += 1
        return seen

    @staticmethod
    def scriptvar_end(text: str, i: int) -> int:
        """Where OpenSIPS's script variable starting with ``$`` at ``text[i]`` ends (cfg.lex SCRIPTVARS:
        WHITESPACE, SEMICOLON, COMMA, ASSIGNOP, ARITHOP, BITOP and LOGOP end it outside parentheses; the
        ')' closing the first '(' ends it after itself; any other character is part of it)."""
        depth, j, n = 0, i + 1, len(text)
        while j < n:
            m = _SCRIPTVAR_PLAIN_RE.match(text, j)
            if m is not None and m.end() > j:
                j = m.end()
                continue
            ch = text[j]
            if ch == "(":
                depth += 1
            elif ch == ")":
                if depth <= 1:
                    return j + 1 if depth == 1 else j
                depth -= 1
            elif depth == 0:
                return j  # a blank, ';', ',' or an operator character
            j += 1
        return n

    @staticmethod
    def pvar_end(text: str, i: int) -> int:
        """Where the pseudo-variable starting with ``$`` at ``text[i]`` ends when it takes parentheses
        (cfg.lex ``{VAR_MARK}{LPAREN}`` and ``<AVP_PVAR>{ID}{LPAREN}`` enter PVAR_P, which counts
        only parentheses); ``i`` for any other ``$`` (``$ru``, ``$avp[...]``: ordinary tokens). A
        pvar still open at the end of the line takes the rest of the line."""
        start = i + 1
        if text[start:start + 1] != "(":
            m = _ID_RE.match(text, start)
            if m is None or text[m.end():m.end() + 1] != "(":
                return i
            start = m.end()
        depth = 0
        for m in _PAREN_RE.finditer(text, start):
            depth += 1 if m.group() == "(" else -1
            if depth == 0:
                return m.end()
        return len(text)

    def lex_string(self, text: str, i: int, state: _LexState) -> int:
        """STRING1 (``"``, escapes) or STRING2 (``'``, as is) from ``text[i]``; returns the next index.
        A string open at the end of a line goes on with the next (the caller adds the newline)."""
        quote, buf, n = state.quote, state.buf, len(text)
        while i < n:
            m = (_DQ_PLAIN_RE if quote == '"' else _SQ_PLAIN_RE).match(text, i)
            if m.end() > i:
                buf.append(m.group())
                i = m.end()
                continue
            ch = text[i]
            if ch == quote:
                state.quote = ""
                lit = "".join(buf)
                for name, value, every in self.subst:  # pp_subst_run on each string
                    lit = lit.replace(name, value) if every else lit.replace(name, value, 1)
                self.emit_literal(lit)
                return i + 1
            # a backslash inside "...": the escapes of STRING1, else the backslash is kept
            if i + 1 >= n:
                state.eat_newline = True  # \{CR}: an escaped newline is eaten
                return n
            nxt = text[i + 1]
            if nxt in _ESCAPES:
                buf.append(_ESCAPES[nxt])
                i += 2
            elif nxt == "x" and (m := _HEX_RE.match(text, i + 2)) is not None:
                buf.append(chr(int(m.group(), 16)))
                i = m.end()
            elif (m := _OCT_RE.match(text, i + 1)) is not None:
                buf.append(chr(int(m.group(), 8) & 0xFF))
                i = m.end()
            else:
                buf.append("\\")
                i += 1
        return n

    def expand(self, word: str, value: str, rel: str, lineno: int, state: _LexState, nest: int) -> None:
        if nest >= MAX_EXPANSION_DEPTH:
            self.fatal(rel, lineno, f"#!define {label(word)} expands into itself (Kamailio would not finish)")
        self.expanded += len(value)
        if self.expanded > MAX_EXPANDED_CHARS:
            self.fatal(rel, lineno, "#!define values expand to more than 8 MiB of text")
        self.lex(value, rel, lineno, state, nest + 1)

    def list_goes_on(self) -> bool:
        """Is the pending statement a ``flags``/``bool``/``avpflags`` declaration whose list is still open
        (the keyword alone, or a trailing comma)? cfg.lex skips newlines, so cfg.y's flag_list goes on
        over lines while a COMMA follows."""
        stmt = self.stmt
        if stmt is None or self.route or self.opensips or len(stmt.parts) > MAX_DECL_PARTS:
            return False
        head = stmt.parts[0]
        if isinstance(head, _Lit) or head.strip() not in FLAG_DECLS:
            return False
        # the last non-blank part (a few blanks at most: constant work per line, never the whole statement)
        for part in reversed(stmt.parts):
            if isinstance(part, _Lit):
                return False
            if part.strip():
                return part is head or part.rstrip().endswith(",")
        return False

    def emit(self, text: str, rel: str, lineno: int) -> None:
        if self.stmt is None:
            if not text.strip() and text != "":
                return
            self.stmt = _Stmt(rel, lineno)
        if text:
            self.stmt.parts.append(text)

    def emit_literal(self, value: str) -> None:
        if self.stmt is None:
            self.stmt = _Stmt(self.cur_rel, 0)
        self.stmt.parts.append(_Lit(value))

    def flush(self) -> None:
        stmt, self.stmt = self.stmt, None
        if stmt is not None and stmt.parts:
            self.statement(stmt)

    # -- statements ---------------------------------------------------------------------------
    def statement(self, stmt: _Stmt) -> None:
        code = stmt.code.strip()
        if not code:
            return
        rel, lineno = stmt.file, stmt.line
        word = _ID_RE.match(code)
        first = word.group() if word else ""
        if first in ("include_file", "import_file"):
            self.include(first, stmt)
            return
        if code == "{":
            if self.route:
                self.braces += 1
            elif self.route_pending:
                self.route, self.route_pending, self.braces = self.route_pending, "", 1
                self.route_open_at = (rel, lineno)
            else:
                self.gap(rel, lineno, "block '{' outside a route; not understood")
            return
        if code == "}":
            if self.route:
                self.braces -= 1
                if self.braces <= 0:
                    self.route, self.braces = "", 0
            else:
                self.gap(rel, lineno, "'}' without an open block; not understood")
            return
        if self.route:
            literals_of: dict[str, tuple[str, ...]] = {}  # one scan per function and statement (linear)
            for call in _CALL_RE.finditer(code):
                fn = call.group(1)
                if fn not in _KEYWORDS:
                    # whether the call passes arguments (sip_trace() or sip_trace("sip:host")): the next
                    # non-blank character; the arguments themselves are not kept (any may be a secret),
                    # except the literal destinations of DESTINATION_CALLS
                    empty = _EMPTY_ARGS_RE.match(code, call.end()) is not None
                    literals: tuple[str, ...] = ()
                    if fn in DESTINATION_CALLS and not empty:
                        if fn not in literals_of:
                            literals_of[fn] = _call_literals(stmt.parts, fn)
                        literals = literals_of[fn]
                    self.cfg.items.append(Item("call", fn, "" if empty else "args", rel, lineno, self.route,
                                               literals))
            assigned = _destination_assignment(stmt.parts)
            if assigned is not None:
                self.cfg.items.append(Item("assign", f"${assigned[0]}", assigned[1], rel, lineno, self.route))
            return
        if self.route_pending:
            self.gap(rel, lineno, f"{label(self.route_pending)} is not followed by a block")
            self.route_pending = ""
        if first in ROUTE_KINDS and (m := _ROUTE_RE.fullmatch(code)) is not None:
            self.route_pending = f"{first}[{m.group(2).strip()}]" if m.group(2) is not None else first
            return
        if first in ("loadmodule", "loadmodulex"):
            lits = [p for p in stmt.parts if isinstance(p, _Lit)]
            if lits:
                mod = lits[0].rsplit("/", 1)[-1].removesuffix(".so")
                self.cfg.items.append(Item("loadmodule", mod, "", rel, lineno))
                self.module_loaded(str(lits[0]), first, rel, lineno)
                return
        elif first in ("modparam", "modparamx"):
            split = _split_args(stmt.parts)
            if split and len(split) == 3:
                mod, param, value = (_value(a) for a in split)
                self.cfg.items.append(Item("modparam", f"{mod}.{param}", value, rel, lineno))
                return
        elif first == "loadpath":
            return  # where modules are loaded from: nothing to audit
        elif first in FLAG_DECLS and not self.opensips:
            # cfg.y flags_decl / avpflags_decl: names for flag numbers ("flags FLT_ACC:1, FLT_NAT;")
            if _FLAG_LIST_RE.fullmatch(code[len(first):]) is not None:
                return
        elif first == "cfgengine":
            lits = [p for p in stmt.parts if isinstance(p, _Lit)]
            engine = lits[0].strip().lower() if lits else code[len(first):].strip().lower()
            # the last cfgengine counts; its gap is written once the script's modparam is known
            self.cfg.engine, self.cfg.engine_at = ("", ("", 0)) if engine in NATIVE_ENGINES else (engine, (rel, lineno))
            return
        if self.opensips and self.last_global == "auto_scaling_profile" and _SCALE_RE.match(code):
            return  # OpenSIPS 3.x: "scale up to N on P% for C cycles within W" lines of the profile
        if (g := _GLOBAL_RE.match(code)) is not None:
            self.last_global = g.group(1).lower()
            rest = self.after_equals(stmt.parts)
            if "." in g.group(1):  # cfg_var: group.name = value [desc "text"]
                rest = _before_description(rest)
            self.cfg.items.append(Item("global", g.group(1).lower(), _value(rest), rel, lineno))
            return
        self.gap(rel, lineno, "top-level statement not understood")

    @staticmethod
    def after_equals(parts: list[Part]) -> list[Part]:
        for k, p in enumerate(parts):
            if not isinstance(p, _Lit) and "=" in p:
                return [p[p.index("=") + 1:], *parts[k + 1:]]
        return []

    def include(self, kind: str, stmt: _Stmt) -> None:
        """INCLF / IMPTF: the name is the next word and must be quoted (sr_push_yy_state)."""
        rel, lineno = stmt.file, stmt.line
        lits = [p for p in stmt.parts if isinstance(p, _Lit)]
        if len(lits) != 1 or len(lits[0]) >= MAX_INCLUDE_NAME or not lits[0]:
            self.fatal(rel, lineno, f"{kind}: the file name must be one quoted name shorter than "
                                    f"{MAX_INCLUDE_NAME} characters")
        name = str(lits[0])
        target = self.resolve_include(name, self.cur_path)
        shown = label(name, 64)
        if target is None:
            if kind == "include_file":
                self.fatal(rel, lineno, f"include_file {shown!r} not found")
            # Kamailio skips a missing import_file; said (a note) because on the host the file may exist
            # and its #!define would win over the #!trydef fallbacks read here
            self.note(rel, lineno, f"import_file {shown!r} is not in the configuration directory; Kamailio skips "
                                   "a missing one. If the host has it, what it defines is not audited")
            return
        if not self.inside(target):
            self.gap(rel, lineno, f"{kind} {shown!r} leads outside the configuration directory; not read")
            return
        self.load(target, self.display(target), self.cur_depth + 1)

    # -- preprocessor ---------------------------------------------------------------------------
    def directive(self, name: str, rest: str, rel: str, lineno: int, state: _LexState) -> bool:
        """One line starting with ``#!`` or ``!!``: a directive, or a '#' comment (COM_LINE) when the
        word after it is none (``#!KAMAILIO``) or its form is not the directive's. True for a
        directive that configures something (a define, a rule, an include)."""
        bare = not rest.strip()
        if name in ("ifdef", "ifndef", "ifexp"):
            if not rest[:1].isspace():
                return False
            if len(self.cond) >= MAX_IFDEFS:
                self.fatal(rel, lineno, f"more than {MAX_IFDEFS} nested #!ifdef (Kamailio's limit)")
            if name == "ifexp":
                if self.inactive and self.inactive != self.unknown:
                    truth = False  # inside a false block: never read
                else:
                    result = eval_ifexp(rest, self.cfg.defines, self.undecided)
                    if result is None and not self.inactive:
                        self.gap(rel, lineno, "#!ifexp: an expression over #!define values (snexpr) that the reader "
                                              "does not evaluate; its block is not assessed")
                    truth = result  # undecided: neither branch is read, as for an unknown #!ifdef
            else:
                ident = rest.split()[0] if rest.split() else ""
                if not _ID_RE.fullmatch(ident):
                    self.fatal(rel, lineno, f"#!{name} needs a name")
                defined = self.is_defined(ident, name, rel, lineno)
                truth = None if defined is None else defined == (name == "ifdef")
            self.cond.append(truth)
            self.cond_at.append(lineno)
            self.inactive += truth is not True
            self.unknown += truth is None
            return False
        if name in ("else", "endif"):
            if not bare:  # ELSE/ENDIF need only blanks to the end of the line; otherwise '#' comment
                return False
            if not self.cond:
                self.fatal(rel, lineno, f"#!{name} without #!ifdef")
            if name == "else":
                if self.cond[-1] is not None:  # an unknown block stays unknown in its #!else
                    self.inactive += 1 if self.cond[-1] else -1
                    self.cond[-1] = not self.cond[-1]
            else:
                last = self.cond.pop()
                self.inactive -= last is not True
                self.unknown -= last is None
                self.cond_at.pop()
            return False
        if self.inactive:
            if self.inactive == self.unknown:  # may be active on the host: what it sets is unknown after it
                self.taint(name, rest, rel, lineno)
            return False  # IFDEF_SKIP: nothing else counts
        kinds = {"define": "define", "def": "define", "trydef": "trydef", "trydefine": "trydef",
                 "redef": "redef", "redefine": "redef", "undef": "undef", "undefine": "undef",
                 "tryundef": "undef", "tryundefine": "undef", "defexp": "defexp", "defexps": "defexp"}
        if name in kinds:
            if not rest[:1] or not rest[:1].isspace():
                return False  # "#!defineX": a comment
            body = rest.lstrip(" \t\r\b")
            m = _ID_RE.match(body)
            if m is None or body[m.end():m.end() + 1] == "-":
                self.fatal(rel, lineno, f"#!{name} needs a name of letters, digits and '_'")
            value = body[m.end():].lstrip(" \t\r\b")
            self.unsure.pop(m.group(), None)
            if kinds[name] == "undef":
                self.cfg.defines.pop(m.group(), None)
                self.undefined.add(m.group())
            elif value.endswith("\\"):
                state.define = (kinds[name], m.group(), value[:-1], lineno)
            else:
                self.define(kinds[name], m.group(), value, rel, lineno)
        elif name in ("subst", "substdef", "substdefs"):
            self.substitution(name, rest, rel, lineno)
        elif name in ("defenv", "defenvs", "trydefenv", "trydefenvs"):
            self.gap(rel, lineno, f"#!{name}: the value comes from the running host's environment, unknown to "
                                  "the audit")
        elif name in ("include_file", "import_file"):
            self.flush()
            self.lex(f"{name} {rest}", rel, lineno, state, 0)
            self.flush()
        else:
            return False  # '#!KAMAILIO' and any other '#!word': a '#' comment (COM_LINE)
        return True

    def undecided(self, name: str) -> bool:
        """For #!ifexp: a name not defined here whose definedness the files do not decide."""
        return name in self.unsure or (name not in self.cfg.defines and name not in self.undefined and (
            host_define(name) or (name.startswith("MOD_") and self.unsure_modules is not None)))

    def define(self, kind: str, name: str, value: str, rel: str, lineno: int) -> None:
        if kind == "defexp":
            self.gap(rel, lineno, f"#!defexp {label(name)}: an expression evaluated by the running host; its "
                                  "value is not assessed")
        if kind == "trydef" and name in self.cfg.defines:
            return
        if name not in self.cfg.defines and len(self.cfg.defines) >= MAX_DEFINES:
            self.fatal(rel, lineno, f"more than {MAX_DEFINES} #!define (Kamailio's limit)")
        self.cfg.defines[name] = value.strip()
        self.undefined.discard(name)
        self.unsure.pop(name, None)
        self.cfg.items.append(Item("define", name, value.strip(), rel, lineno))

    # -- names Kamailio defines itself -----------------------------------------------------------
    def is_defined(self, ident: str, directive: str, rel: str, lineno: int) -> bool | None:
        """Whether ``ident`` is defined here as pp_lookup would find it; None when the files do not decide
        it (the running binary's version or OS, or a define set in such a block): a gap names it, bounded
        per file. Inside a block that is not read no gap is written (nothing of it is assessed)."""
        if ident in self.unsure:
            cause = self.unsure[ident]
            why = (f"{label(ident)} is set at {label(cause[0], 64)} line {cause[1]} inside a block that depends on "
                   "the running Kamailio")
        elif ident in self.cfg.defines:
            return True
        elif ident in self.undefined or not (host_define(ident) or (ident.startswith("MOD_") and self.unsure_modules)):
            return False
        elif ident.startswith("MOD_") and self.unsure_modules is not None:
            cause = self.unsure_modules
            why = (f"whether module {label(ident[4:])} is loaded depends on the loadmodule at "
                   f"{label(cause[0], 64)} line {cause[1]}, whose module name is computed or whose block depends on "
                   "the running Kamailio")
        else:
            why = (f"{label(ident)} is defined by the running Kamailio binary ({_host_define_what(ident)}), not by "
                   "the configuration")
        if self.inactive and self.inactive != self.unknown:
            return False  # inside a false block: never read, whatever it says
        if not self.inactive:
            self.host_gap(rel, lineno, f"#!{directive} {label(ident)}: {why}; the block's truth is unknown, "
                                       "neither branch is assessed")
        return None

    def host_gap(self, rel: str, lineno: int, message: str) -> None:
        """A gap for an undecidable #!ifdef: named up to MAX_HOST_GAPS_PER_FILE times per file, the rest
        summed up in one message per file (``finish``)."""
        seen = self.host_gaps.setdefault(rel, [0, 0, 0])
        if seen[0] < MAX_HOST_GAPS_PER_FILE:
            seen[0] += 1
            self.gap(rel, lineno, message)
        else:
            seen[1] += 1
            seen[2] = seen[2] or lineno

    def taint(self, directive: str, rest: str, rel: str, lineno: int) -> None:
        """A define-setting directive inside a block whose truth is unknown: its name's definedness is
        unknown from here on (until the files set or unset it where it is decided)."""
        if directive in _DEFINE_DIRECTIVES and rest[:1].isspace():
            m = _ID_RE.match(rest.lstrip(" \t\r\b"))
        elif directive in ("substdef", "substdefs"):
            m = re.match(r'\s*"(.)([A-Za-z_][A-Za-z0-9_]*)\1', rest)
            m = _ID_RE.match(m.group(2)) if m else None
        else:
            return
        if m is not None and m.group() not in self.unsure:
            self.unsure[m.group()] = (rel, lineno)

    def taint_module(self, path: str | None, rel: str, lineno: int) -> None:
        """A loadmodule in a block whose truth is unknown: its MOD_ name is unknown after it (every MOD_
        name when the module's name is not a plain literal)."""
        mod = None if path is None or "$" in path else path.rsplit("/", 1)[-1].removesuffix(".so")
        if mod and _ID_RE.fullmatch(mod):
            name = f"MOD_{mod}"
            if name not in self.unsure and name not in self.cfg.defines:
                self.unsure[name] = (rel, lineno)
        elif self.unsure_modules is None:
            self.unsure_modules = (rel, lineno)

    def module_loaded(self, path: str, first: str, rel: str, lineno: int) -> None:
        """``loadmodule``: Kamailio defines MOD_<name> (register_module) as the statement is parsed."""
        if self.opensips:
            return  # OpenSIPS defines nothing (its lexer has no preprocessor)
        if first == "loadmodulex" and "$" in path:  # ksr_load_modulex: the name is evaluated at startup
            self.unsure_modules = self.unsure_modules or (rel, lineno)
            return
        mod = path.rsplit("/", 1)[-1].removesuffix(".so")
        if not mod or len(mod) > MAX_MODULE_NAME or not _ID_RE.fullmatch(mod):
            return
        name = f"MOD_{mod}"
        if name not in self.cfg.defines and len(self.cfg.defines) >= MAX_DEFINES:
            self.fatal(rel, lineno, f"more than {MAX_DEFINES} defines with the MOD_ names of loaded modules "
                                    "(Kamailio's limit)")
        self.cfg.defines.setdefault(name, "")
        self.undefined.discard(name)
        self.unsure.pop(name, None)

    def finish(self) -> None:
        """One message per file for the undecidable #!ifdef beyond the named ones."""
        for rel, (_named, more, first) in self.host_gaps.items():
            if more:
                self.gap(rel, first, f"{more} more #!ifdef/#!ifndef/#!ifexp from this line on depend on names the "
                                     "running Kamailio defines; their blocks are not assessed")

    def substitution(self, name: str, rest: str, rel: str, lineno: int) -> None:
        """``#!subst "/re/repl/flags"`` (and substdef, which also defines ``re`` as ``repl``)."""
        m = re.match(r'\s*"((?:[^"\\]|\\.)*)"\s*$', rest)
        data = m.group(1) if m else ""
        sep = data[:1]
        fields = re.split(rf"(?<!\\){re.escape(sep)}", data[1:]) if sep and sep != "\\" else []
        if len(fields) < 3:
            self.fatal(rel, lineno, f"#!{name} needs a quoted \"/pattern/replacement/flags\" rule")
        pattern, repl, flags = fields[0], fields[1], fields[2]
        if name != "subst":
            if not _ID_RE.fullmatch(pattern):
                self.fatal(rel, lineno, f"#!{name}: the pattern must be a name")
            self.define("define", pattern, f'"{repl}"' if name == "substdefs" else repl, rel, lineno)
        if re.fullmatch(r"[A-Za-z0-9_]+", pattern):
            self.subst.append((pattern, repl, "g" in flags))
        else:
            self.gap(rel, lineno, f"#!{name} rule is a regular expression the reader does not apply; string "
                                  "values after it may differ")


# -- #!ifexp: the part of snexpr (src/core/utils/snexpr.h) that configurations use ---------------------
_IFEXP_TOKEN_RE = re.compile(r"""[ \t\r\n]*(?:(?P<num>[0-9][0-9.]{0,63})|(?P<str>"[^"\\]{0,4096}"|'[^'\\]{0,4096}')"""
                             r"|(?P<word>[A-Za-z_][A-Za-z0-9_]{0,255})|(?P<op>&&|\|\||==|!=|<=|>=|<|>|!|\(|\)))")
_IFEXP_END_RE = re.compile(r"[ \t\r\n]*(?:#.*)?")  # snexpr: '#' starts a comment to the end of the line
_IFEXP_CMP = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
              "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
MAX_IFEXP_TOKENS = 256
MAX_IFEXP_NEST = 32
# Names the running Kamailio binary defines before reading the configuration (ppcfg.c pp_define_core:
# NAME upper-cased (kamailio; ser for old SER-flavoured builds) with _major, _major_minor,
# _major_minor_patch and _VERSION, and OS_NAME): unknown here.
# MOD_<name> is not among them: loadmodule defines it as the file is read (see _Loader.module_loaded).
_HOST_DEFINE_RE = re.compile(r"(?:KAMAILIO|SER)_(?:\d{1,9}(?:_\d{1,9}){0,2}|VERSION)|OS_NAME")
# a loadmodule statement at the start of a skipped line, with its literal name when it has one
_LOADMODULE_RE = re.compile(r"[ \t]*(loadmodulex?)\b[ \t(]*(?:([\"'])([^\"'\n]{0,256})\2)?")
_DEFINE_DIRECTIVES = frozenset({"define", "def", "trydef", "trydefine", "redef", "redefine", "undef", "undefine",
                                "tryundef", "tryundefine", "defexp", "defexps", "defenv", "defenvs", "trydefenv",
                                "trydefenvs"})


def host_define(name: str) -> bool:
    """A name only the running binary defines (its version, its OS)."""
    return _HOST_DEFINE_RE.fullmatch(name) is not None


def _host_define_what(name: str) -> str:
    """Why the binary decides it: OS_NAME and KAMAILIO_VERSION exist from 5.7 on, whatever the OS."""
    return "from version 5.7 on" if name in ("OS_NAME", "KAMAILIO_VERSION") else "by its version"


_Val = tuple[str, object]  # ("n", float) or ("s", str), as snexpr's CONSTNUM / CONSTSTZ


class _Undecided(Exception):
    """The expression leaves the part of snexpr read here, or its result depends on the host."""


def _f32(x: float) -> float:
    """snexpr numbers are C ``float``."""
    try:
        return struct.unpack("f", struct.pack("f", x))[0] if math.isfinite(x) else x
    except OverflowError:  # beyond float: C makes it infinite
        return math.copysign(math.inf, x)


def _sne_number(text: str) -> float:
    """snexpr_parse_number: digits with at most one '.', else NaN (an empty string too)."""
    head, dot, tail = text.partition(".")
    if not (head + tail).isdigit() or "." in tail:
        return math.nan
    return _f32(float(f"{head or '0'}.{tail or '0'}"))


def _sne_format(x: float) -> str:
    """snexpr_format_num: ``%lld`` for whole numbers, else ``%.4g``."""
    if not math.isfinite(x):
        raise _Undecided
    return f"{int(x)}" if x == int(x) else f"{x:.4g}"


def eval_ifexp(expr: str, defines: dict[str, str], undecided: Callable[[str], bool] | None = None) -> bool | None:
    """``#!ifexp EXPR`` as pp_ifexp_eval decides it: names are #!define values (undefined: 0; defined
    without value: 1; a quoted value: the string inside; any other value: that string), numbers and
    quoted strings, ``!``, comparisons (string comparison when the left side is a string, else numeric),
    ``&&``, ``||`` and parentheses. None for anything else (arithmetic, functions, a name Kamailio
    defines itself, or any name ``undecided`` says the files do not decide) or a form whose result C
    leaves undefined: the caller reports a gap."""
    if undecided is None:
        def undecided(name: str) -> bool:
            return name not in defines and host_define(name)
    tokens: list[tuple[str, str]] = []
    pos = 0
    while True:
        m = _IFEXP_TOKEN_RE.match(expr, pos)
        if m is None or m.end() == pos:
            break
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
        if len(tokens) > MAX_IFEXP_TOKENS:
            return None
    end = _IFEXP_END_RE.match(expr, pos)
    if end is None or end.end() != len(expr) or not tokens:
        return None
    at = 0

    def peek() -> str:
        return tokens[at][1] if at < len(tokens) and tokens[at][0] == "op" else ""

    def primary(depth: int) -> _Val:
        nonlocal at
        if at >= len(tokens) or depth > MAX_IFEXP_NEST:
            raise _Undecided
        kind, text = tokens[at]
        at += 1
        if kind == "num":
            return ("n", _sne_number(text))
        if kind == "str":
            return ("s", text[1:-1])
        if kind == "word":
            if undecided(text):
                raise _Undecided
            if text not in defines:
                return ("n", 0.0)
            value = defines[text].strip()
            if not value:
                return ("n", 1.0)
            if len(value) >= 2 and value[0] in "\"'" and value[0] == value[-1]:
                value = value[1:-1]
            return ("s", value)
        if text == "!":
            operand = primary(depth + 1)
            if operand[0] != "n":
                raise _Undecided
            return ("n", 1.0 if operand[1] == 0 else 0.0)
        if text == "(":
            inner = logical_or(depth + 1)
            if peek() != ")":
                raise _Undecided
            at += 1
            return inner
        raise _Undecided

    def comparison(depth: int) -> _Val:
        nonlocal at
        left = primary(depth)
        while peek() in _IFEXP_CMP:
            op = peek()
            at += 1
            right = primary(depth)
            if left[0] == "s":
                rtext = right[1] if right[0] == "s" else _sne_format(float(right[1]))  # type: ignore[arg-type]
                left = ("n", 1.0 if _IFEXP_CMP[op](str(left[1]), rtext) else 0.0)
            else:
                rnum = _sne_number(str(right[1])) if right[0] == "s" else float(right[1])  # type: ignore[arg-type]
                left = ("n", 1.0 if _IFEXP_CMP[op](float(left[1]), rnum) else 0.0)  # type: ignore[arg-type]
        return left

    def logical_and(depth: int) -> _Val:
        nonlocal at
        left = comparison(depth)
        while peek() == "&&":
            at += 1
            right = comparison(depth)
            if left[0] != "n" or right[0] != "n":
                raise _Undecided  # snexpr reads a string's bytes as a float here
            left = ("n", right[1] if left[1] != 0 and right[1] != 0 else 0.0)
        return left

    def logical_or(depth: int) -> _Val:
        nonlocal at
        left = logical_and(depth)
        while peek() == "||":
            at += 1
            right = logical_and(depth)
            if left[0] != "n" or right[0] != "n":
                raise _Undecided
            a, b = float(left[1]), float(right[1])  # type: ignore[arg-type]
            left = ("n", a if a != 0 and not math.isnan(a) else b if b != 0 else 0.0)
        return left

    try:
        result = logical_or(0)
    except _Undecided:
        return None
    if at != len(tokens):
        return None
    if result[0] == "s":
        return bool(result[1])
    return bool(result[1])  # NaN is true, as C's if (nval)


def parse_kamailio(cfg_dir: Path, root: str = "kamailio.cfg", defines: dict[str, str] | None = None,
                   opensips: bool = False) -> KamailioConfig:
    loader = _Loader(Path(cfg_dir), root, defines, opensips or root == "opensips.cfg")
    path = Path(cfg_dir) / root
    if not path.exists():
        loader.cfg.found = False
        return loader.cfg
    try:
        loader.load(path, root, 0)
        if loader.route:
            loader.gap(*loader.route_open_at, f"{label(loader.route)} block is never closed")
        if loader.cfg.engine:
            scripts = ", ".join(label(n, 64) for n in loader.cfg.kemi_scripts[:3])
            loader.cfg.engine_problem = Problem(
                *loader.cfg.engine_at, f"routing logic is in a KEMI script (cfgengine {label(loader.cfg.engine, 16)}"
                f"{': ' + scripts if scripts else ''}) that the reader does not follow; its route blocks here never "
                "run, and routing checks are not assessed", False)
    except _Fatal:
        pass
    except RecursionError:
        loader.cfg.problems.append(Problem(root, 0, "configuration nested too deeply to read", True))
    loader.finish()
    if loader.gaps > MAX_GAPS:
        loader.cfg.problems.append(Problem(root, 0, f"{loader.gaps - MAX_GAPS} more statement(s) not understood",
                                           False))
    return loader.cfg


@dataclass
class TlsProfile:
    name: str
    settings: dict[str, tuple[str, int]]


MAX_TLS_BYTES = 4 * 1024 * 1024


def parse_tls_cfg(path: Path, display: str | None = None) -> tuple[list[TlsProfile], Problem | None, int]:
    """tls.cfg as the tls module's cfg_parser reads it: ``[server:default]`` / ``[client:...]``
    sections of ``name = value`` lines, ``#`` comments. One linear pass; (profiles, fatal problem,
    content lines)."""
    name = display or path.name
    try:
        raw = read_config_file(os.path.realpath(path), MAX_TLS_BYTES)
    except UnreadableFile as exc:
        return [], Problem(name, 0, exc.reason if exc.kind != "too-large" else "tls.cfg larger than 4 MiB; not read",
                           True), 0
    profiles: list[TlsProfile] = []
    content = 0
    for lineno, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), start=1):
        text = line.split("#", 1)[0].strip()
        if not text or text.startswith(";"):
            continue
        content += 1
        if text.startswith("["):
            if not text.endswith("]") or len(text) < 3:
                return [], Problem(name, lineno, "tls.cfg syntax error: a section header must be [name]", True), content
            profiles.append(TlsProfile(text[1:-1].strip(), {}))
            continue
        key, sep, value = text.partition("=")
        key = key.strip().lower()
        if not sep or not _ID_RE.fullmatch(key):
            return [], Problem(name, lineno, "tls.cfg syntax error: not a 'name = value' line", True), content
        if not profiles:
            return [], Problem(name, lineno, "tls.cfg syntax error: an option before any [section]", True), content
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        profiles[-1].settings[key] = (value, lineno)
    return profiles, None, content
