"""The dialplan as Asterisk runs it: extensions.conf (pbx_config.c), extensions.ael (pbx_ael.c), and the
applications that wrapper applications run on the caller's behalf.

A priority's application is not always the one that matters: ``ExecIf(cond?VoiceMailMain(100,s))``,
``Exec(...)``, ``TryExec(...)`` and ``GosubIf(cond?label1(args):label2(args))`` run other
applications, and ``${IF(cond?a:b)}`` picks text at run time. Each application such a priority may run
becomes a :class:`DialplanStep` of its own (same source line, ``via`` saying how it is reached), so a
check judging ``VoiceMailMain`` judges it wherever it hides.

Everything here follows the Asterisk sources (master):

* ``pbx/pbx_config.c`` ``pbx_load_config``: ``exten =>``/``same =>``, priorities (``n``, ``s``,
  ``hint``, numbers, a label of the same extension, ``+offset``), labels ``n(label)``, the application
  split ``App(args)`` (first ``(``, last ``)``), and no ``App,args`` form since Asterisk 1.6.
* ``main/pbx_variables.c``: ``${...}`` and ``$[...]`` are substituted before an application sees its
  data; their values are unknown here, so they are *opaque* (their characters never separate
  arguments), except ``${IF(...)}``/``${IFTIME(...)}`` whose branches are literal text
  (``funcs/func_logic.c``).
* ``main/app.c`` ``__ast_app_separate_args`` (parentheses, brackets, quotes, ``\\`` escapes),
  ``apps/app_exec.c`` (``Exec``, ``TryExec``, ``ExecIf`` and its deprecated ``expr,app,args`` form),
  ``apps/app_stack.c`` (``GosubIf``), ``apps/app_voicemail.c`` ``vm_execmain`` (when the PIN is skipped).

Every scan is linear in its text (one pass per separator, jumping between special characters with a
plain character class), nesting is bounded, and the work per priority is bounded by a budget
proportional to its length. What is beyond a bound, or cannot be known before run time (an application
name computed by a variable), is a gap Problem naming the file, line and context, never a value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from voxaudit.facts.asterisk_lua import LUA_ROOT, read_lua
from voxaudit.facts.common import ParseProblem, is_secret_key, redact_inline_credentials
from voxaudit.model import Data, SourceRef
from voxaudit.parsers.asterisk_ael import AelConfig, parse_ael
from voxaudit.parsers.asterisk_conf import ParsedConfig

if TYPE_CHECKING:
    from voxaudit.facts.asterisk import BuildContext

EXTENSIONS_ROOT = "extensions.conf"
AEL_ROOT = "extensions.ael"
# Roots that are not .conf files and the reader each needs instead of parse_config (same signature:
# config_dir, root[, asterisk_dir]); a collector reads every other root with parse_config.
# extensions.lua is only measured, never parsed (auditor/facts/asterisk_lua.py).
ROOT_READERS = {AEL_ROOT: parse_ael, LUA_ROOT: read_lua}

OPAQUE = "\x00"          # stands for a character of a ${...}/$[...] whose value is unknown until run time
MAX_NESTING = 16         # wrapper applications inside wrapper applications
MAX_ALTERNATIVES = 16    # ${IF()} choices combined per priority
MAX_IF_DEPTH = 8         # ${IF()} inside ${IF()} branches
MAX_DATA_CHARS = 64 * 1024   # Asterisk itself truncates substituted data to 8191 bytes (EXT_DATA_SIZE)
WORK_PER_CHAR = 48       # characters scanned per character of a priority's data, at most
MAX_NOTES_PER_FILE = 50

WRAPPERS = frozenset({"execif", "exec", "tryexec", "gosubif"})


class DialplanStep(Data, kw_only=True):
    """One application a priority may run.

    ``via`` is empty when the priority runs ``app`` itself; otherwise it says how ``app`` is reached,
    e.g. ``ExecIf(true)``, ``Exec``, ``GosubIf(false)``, ``IF(true)`` (a ``${IF()}`` branch chosen in
    the data), chained with ``>`` (``ExecIf(true)>Exec``). AEL steps have no priority number (pbx_ael
    numbers them when it compiles): ``priority`` is empty and the source line identifies them.
    """

    context: str
    exten: str
    priority: str
    app: str
    args: str  # inline credentials redacted
    source: SourceRef
    via: str = ""

    @property
    def label(self) -> str:
        """How results name this step."""
        where = f"{self.context},{self.exten},{self.priority}" if self.priority else \
            f"{self.context},{self.exten} ({self.source})"
        return f"{where} via {self.via}" if self.via else where


# -- the argument scanner -------------------------------------------------------------------------

class _Budget:
    """Characters a priority's analysis may still scan."""

    __slots__ = ("left", "spent")

    def __init__(self, chars: int) -> None:
        self.left = chars
        self.spent = False

    def take(self, n: int) -> bool:
        self.left -= n
        if self.left < 0:
            self.spent = True
        return not self.spent


_VAR_SCAN = re.compile(r"[{}$]")
_EXP_SCAN = re.compile(r"[\[\]$]")


def _expr_end(text: str, start: int) -> int:
    """End (exclusive) of the ``${...}`` or ``$[...]`` starting at ``start``, found the way
    pbx_substitute_variables_helper_full does (an unterminated one runs to the end of the text)."""
    curly = text[start + 1] == "{"
    rx, opener, other = (_VAR_SCAN, "{", "[") if curly else (_EXP_SCAN, "[", "{")
    depth = 1
    pos = start + 2
    n = len(text)
    while depth:
        m = rx.search(text, pos)
        if m is None:
            return n
        j = m.start()
        c = text[j]
        if c == "$":
            nxt = text[j + 1:j + 2]
            if nxt == opener:
                depth += 1
                pos = j + 2
            elif nxt == other:
                pos = j + 2
            else:
                pos = j + 1
            continue
        depth += 1 if c == opener else -1
        pos = j + 1
    return pos


def substitutions(text: str) -> list[tuple[int, int]]:
    """(start, end) of each top-level ``${...}``/``$[...]`` in ``text``, in order."""
    spans: list[tuple[int, int]] = []
    i = text.find("$")
    n = len(text)
    while 0 <= i < n - 1:
        if text[i + 1] in "{[":
            end = _expr_end(text, i)
            spans.append((i, end))
            i = text.find("$", end)
        else:
            i = text.find("$", i + 1)
    return spans


def substitution_mask(text: str, spans: list[tuple[int, int]] | None = None) -> str:
    """``text`` with every character of a ``${...}``/``$[...]`` replaced by OPAQUE (same length):
    what an application's argument parser can rely on before run time."""
    spans = substitutions(text) if spans is None else spans
    if not spans:
        return text
    out: list[str] = []
    last = 0
    for a, b in spans:
        out.append(text[last:a])
        out.append(OPAQUE * (b - a))
        last = b
    out.append(text[last:])
    return "".join(out)


class Piece(NamedTuple):
    """A piece of substituted data: its text, and the same text with unknown characters OPAQUE."""

    text: str
    mask: str

    def strip(self) -> Piece:
        """ast_strip(): leading and trailing white space (an unknown character is not white space)."""
        m = self.mask
        a = len(m) - len(m.lstrip())
        b = len(m.rstrip())
        return Piece(self.text[a:b], m[a:b]) if (a or b < len(m)) else self

    @property
    def dynamic(self) -> bool:
        return OPAQUE in self.mask


EMPTY = Piece("", "")


def piece(text: str) -> Piece:
    return Piece(text, substitution_mask(text))


_SEP_SCAN = {d: re.compile("[()\\[\\]\"\\\\" + re.escape(d) + "]") for d in ",?:"}


def separate(data: Piece, delim: str, nargs: int, remove: bool, budget: _Budget | None = None) -> list[Piece]:
    """__ast_app_separate_args(): at most ``nargs`` pieces split at ``delim`` outside parentheses,
    brackets and double quotes; a backslash protects the next character; the last piece is the
    unscanned rest. ``remove`` (AST_STANDARD_APP_ARGS, not the RAW variants) drops the quotes and
    backslashes from the pieces it scans."""
    text, mask = data.text, data.mask
    n = len(mask)
    if budget is not None:
        budget.take(n)
    out: list[Piece] = []
    if not n or nargs <= 0:
        return out
    rx = _SEP_SCAN[delim]
    paren = bracket = quote = 0
    start = 0
    after_delim = -1
    while len(out) < nargs - 1 and start < n:
        segs: list[tuple[int, int]] = []
        seg = pos = start
        found = False
        while True:
            m = rx.search(mask, pos)
            if m is None:
                break
            j = m.start()
            c = mask[j]
            pos = j + 1
            if c == "(":
                paren += 1
            elif c == ")":
                paren -= 1 if paren else 0
            elif c == "[":
                bracket += 1
            elif c == "]":
                bracket -= 1 if bracket else 0
            elif c == '"':
                quote ^= 1
                if remove:
                    segs.append((seg, j))
                    seg = j + 1
            elif c == "\\":
                if remove:
                    segs.append((seg, j))
                    seg = j + 1
                pos = j + 2
            elif not paren and not quote and not bracket:  # the delimiter
                segs.append((seg, j))
                out.append(Piece("".join(text[a:b] for a, b in segs), "".join(mask[a:b] for a, b in segs)))
                start = after_delim = j + 1
                found = True
                break
        if not found:
            segs.append((seg, n))
            out.append(Piece("".join(text[a:b] for a, b in segs), "".join(mask[a:b] for a, b in segs)))
            start = n
            break
    if start < n or (start == n and after_delim == n):
        out.append(Piece(text[start:], mask[start:]))
    return out


def split_call(data: Piece) -> tuple[Piece, Piece | None]:
    """``name(args)`` as app_exec.c and app_stack.c split it: the name before the first ``(``, the
    arguments up to the last ``)`` (all of the rest without one); no ``(``: no arguments (None)."""
    i = data.mask.find("(")
    if i < 0:
        return data, None
    j = data.mask.rfind(")", i + 1)
    end = j if j >= 0 else len(data.mask)
    return Piece(data.text[:i], data.mask[:i]), Piece(data.text[i + 1:end], data.mask[i + 1:end])


# -- ${IF()} branches -------------------------------------------------------------------------------

class _TooMany(Exception):
    """More ${IF()} alternatives than MAX_ALTERNATIVES, or nested deeper than MAX_IF_DEPTH."""


def _function(inner: str) -> tuple[str, Piece] | None:
    """(name, arguments) of a ``${NAME(args)}`` without an ``:offset`` suffix (parse_variable_name,
    func_args), or None when it is a variable or a substring of a function."""
    p = inner.find("(")
    if p <= 0:
        return None
    mask = substitution_mask(inner)
    parens = 0
    for m in re.finditer(r"[():]", mask):
        c = m.group()
        if c == "(":
            parens += 1
        elif c == ")":
            parens -= 1
        elif parens == 0:
            return None  # ${IF(...):1:2}: a substring of the result
    q = mask.rfind(")")
    end = q if q > p else len(inner)
    return inner[:p], Piece(inner[p + 1:end], mask[p + 1:end])


def _strip_quoted(p: Piece) -> Piece:
    """ast_strip_quoted(s, "\\"", "\\""): white space, then one pair of surrounding double quotes."""
    p = p.strip()
    if len(p.mask) >= 2 and p.mask[0] == '"' and p.mask[-1] == '"':
        return Piece(p.text[1:-1], p.mask[1:-1])
    if p.mask[:1] == '"':
        return Piece(p.text[1:], p.mask[1:])
    return p


def _branches(name: str, args: Piece, budget: _Budget) -> list[tuple[str, Piece]] | None:
    """The values ``IF``/``IFTIME`` can return, as (label, text); None for another function."""
    if name == "IF":  # acf_if: AST_NONSTANDARD_APP_ARGS (quotes and backslashes removed), ast_strip
        first = separate(args, "?", 2, True, budget)
        expr = first[0].strip() if first else EMPTY
        second = separate(first[1], ":", 2, True, budget) if len(first) > 1 else []
        if not expr.text or not second:
            return [("error", EMPTY)]  # the function fails: nothing is inserted
        iftrue = second[0].strip()
        iffalse = second[1].strip() if len(second) > 1 else EMPTY
        return [("true", iftrue), ("false", iffalse)]
    if name == "IFTIME":  # iftime: strsep at the first '?', then the first ':'
        data = _strip_quoted(args)
        q = data.mask.find("?")
        if q <= 0:
            return [("error", EMPTY)]
        rest = Piece(data.text[q + 1:], data.mask[q + 1:])
        c = rest.mask.find(":")
        iftrue, iffalse = (Piece(rest.text[:c], rest.mask[:c]), Piece(rest.text[c + 1:], rest.mask[c + 1:])) \
            if c >= 0 else (rest, EMPTY)
        return [("true", _strip_quoted(iftrue)), ("false", _strip_quoted(iffalse))]
    return None


def if_alternatives(data: str, budget: _Budget, depth: int = 0) -> list[tuple[str, Piece]]:
    """Every text ``data`` can become once its ``${IF()}``/``${IFTIME()}`` are evaluated, each with a
    label of the branches taken (``""`` when there are none); other ``${...}``/``$[...]`` stay
    OPAQUE. Raises _TooMany beyond MAX_ALTERNATIVES or MAX_IF_DEPTH."""
    spans = substitutions(data)
    mask = substitution_mask(data, spans)
    alts: list[tuple[list[str], list[Piece]]] = [([], [])]
    last = 0
    for a, b in spans:
        literal = Piece(data[last:a], mask[last:a])
        last = b
        choices: list[tuple[str, Piece]] | None = None
        if data[a + 1] == "{" and data[b - 1:b] == "}":
            fn = _function(data[a + 2:b - 1])
            if fn is not None:
                budget.take(b - a)
                choices = _branches(fn[0], fn[1], budget)
        if choices is None:
            opaque = Piece(data[a:b], mask[a:b])
            alts = [(labels, parts + [literal, opaque]) for labels, parts in alts]
            continue
        if depth >= MAX_IF_DEPTH:
            raise _TooMany
        expanded: list[tuple[str, Piece]] = []
        for label, value in choices:
            # The branch's own ${IF()}s were evaluated before this one (they are OPAQUE in its mask).
            for sub, text in if_alternatives(value.text, budget, depth + 1):
                expanded.append((f"{label}/{sub}" if sub else label, text))
        if len(alts) * len(expanded) > MAX_ALTERNATIVES:
            raise _TooMany
        alts = [(labels + [label], parts + [literal, value]) for labels, parts in alts for label, value in expanded]
    tail = Piece(data[last:], mask[last:])
    out: list[tuple[str, Piece]] = []
    for labels, parts in alts:
        joined = Piece("".join(p.text for p in parts) + tail.text, "".join(p.mask for p in parts) + tail.mask)
        out.append((",".join(labels), joined))
    return out


# -- wrapper applications ---------------------------------------------------------------------------

def _wrapped(app: str, data: Piece, budget: _Budget) -> list[tuple[Piece, Piece, str]]:
    """(application, its data, how) for each application ``app`` may run with ``data``."""
    name = app.lower()
    out: list[tuple[Piece, Piece, str]] = []
    if name in ("exec", "tryexec"):
        budget.take(len(data.mask))
        target, args = split_call(data)
        if target.text:
            out.append((target, args or EMPTY, "Exec" if name == "exec" else "TryExec"))
    elif name == "execif":
        comma, question = data.mask.find(","), data.mask.find("?")
        if question < 0 or 0 <= comma < question:  # deprecated ExecIf(expr,app,args)
            depr = separate(data, ",", 3, True, budget)
            if len(depr) > 1 and depr[1].text:
                out.append((depr[1], depr[2] if len(depr) > 2 else EMPTY, "ExecIf(true)"))
            return out
        expr = separate(data, "?", 2, False, budget)
        if len(expr) < 2 or not expr[1].text:
            return out  # usage error: nothing runs
        apps = separate(expr[1], ":", 2, False, budget)
        for branch, label in zip(apps, ("true", "false")):
            target, args = split_call(branch)
            if target.text:
                out.append((target, args or EMPTY, f"ExecIf({label})"))
    elif name == "gosubif":
        cond = separate(data, "?", 2, False, budget)
        if len(cond) != 2:
            return out
        for branch, label in zip(separate(cond[1], ":", 2, False, budget), ("true", "false")):
            if branch.text:
                out.append((Piece("Gosub", "Gosub"), branch, f"GosubIf({label})"))
    return out


@dataclass
class Expansion:
    """What one priority may run: (application, arguments, via), and why some of it is unknown."""

    runs: list[tuple[str, str, str]] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)


def expand_application(app: str, data: str) -> Expansion:
    """The applications a priority running ``app`` with ``data`` may run: itself (once per ``${IF()}``
    alternative of its data) and, through ExecIf/Exec/TryExec/GosubIf, every application they can run."""
    result = Expansion()
    if len(data) > MAX_DATA_CHARS:
        result.runs.append((app, data, ""))
        if app.lower() in WRAPPERS or "${IF" in data:
            result.gaps.append(f"arguments of {app} longer than {MAX_DATA_CHARS // 1024} KiB; the applications "
                               "they may run are not audited")
        return result
    has_if = "${IF" in data  # ${IF(...)} and ${IFTIME(...)}: function names are case-sensitive
    if not has_if and app.lower() not in WRAPPERS:  # the common case: the application itself, as written
        result.runs.append((app, data, ""))
        return result
    budget = _Budget(WORK_PER_CHAR * len(data) + 4096)
    try:
        alternatives = if_alternatives(data, budget) if has_if else [("", piece(data))]
    except _TooMany:
        result.gaps.append(f"more than {MAX_ALTERNATIVES} ${{IF()}} alternatives (or ${{IF()}} nested more than "
                           f"{MAX_IF_DEPTH} deep) in the arguments of {app}; they are audited as written")
        alternatives = [("", piece(data))]
    seen: set[tuple[str, str]] = set()
    pending: list[tuple[str, Piece, str, int]] = [
        (app, alt, f"IF({label})" if label else "", 0) for label, alt in alternatives]
    pending.reverse()
    while pending:
        name, args, via, depth = pending.pop()
        key = (name, args.text)
        if key not in seen:
            seen.add(key)
            result.runs.append((name, args.text, via))
        if name.lower() not in WRAPPERS:
            continue
        if depth >= MAX_NESTING:
            result.gaps.append(f"{name} nested more than {MAX_NESTING} deep; what it runs is not audited")
            continue
        children = _wrapped(name, args, budget)
        if budget.spent:
            result.gaps.append(f"arguments of {app} too complex to analyze; the applications they may run are "
                               "not audited")
            break
        for target, child_args, how in reversed(children):
            if target.dynamic:
                result.gaps.append(f"{name} runs an application whose name is computed at run time; it is not "
                                   "audited")
                continue
            pending.append((target.text, child_args, f"{via}>{how}" if via else how, depth + 1))
    return result


# -- VoiceMailMain -----------------------------------------------------------------------------------

def _app_options(opts: str) -> set[str] | None:
    """ast_app_parse_options(): the option letters set (any letter followed by '(' takes an argument up
    to its matching ')'); None when an argument's ')' is missing (the application then fails)."""
    raw = opts.encode("utf-8", "surrogatepass")
    flags: set[str] = set()
    i, n = 0, len(raw)
    while i < n:
        flags.add(chr(raw[i] & 0x7F))
        i += 1
        if i < n and raw[i] == 0x28:  # '('
            paren, quote = 1, False
            quotes = i + 1 < n and raw[i + 1] == 0x22
            i += 1
            while i < n:
                c = raw[i]
                if c == 0x28 and not quote:
                    paren += 1
                elif c == 0x29 and not quote:
                    paren -= 1
                elif c == 0x22 and quotes:
                    quote = not quote
                elif c == 0x5C:  # removed or kept, the backslash always protects the next character
                    i += 1
                if paren == 0:
                    break
                i += 1
            close = raw.find(b")", i)
            if close < 0:
                return None
            i = close + 1
    return flags


def voicemailmain_access(args: str) -> tuple[str, str]:
    """Whether ``VoiceMailMain(args)`` logs a caller in without the PIN, as vm_execmain decides:
    ('skips' | 'asks' | 'unknown', why). The 's' option (or, with a single argument, the old
    ``s<mailbox>`` prefix) skips the PIN when a mailbox is named; 'p' (prefix mode) always asks."""
    data = piece(args)
    if not data.text:
        return "asks", "no mailbox given: the caller is asked for mailbox and PIN"
    parts = separate(data, ",", 2, True)
    box = parts[0] if parts else EMPTY
    flags: set[str] = set()
    if len(parts) == 2:
        opts = parts[1]
        known = opts.text[:opts.mask.find(OPAQUE)] if opts.dynamic else opts.text
        parsed = _app_options(known)
        if parsed is None and not opts.dynamic:
            return "asks", "invalid option string: VoiceMailMain fails without opening a mailbox"
        flags = parsed or set()
        if opts.dynamic and "s" not in flags:
            return "unknown", "the options are computed at run time; they may include 's' (skip the PIN)"
    else:  # old style: leading 's' / 'p' on the mailbox itself
        k = 0
        while k < len(box.mask) and box.mask[k] in "sp":
            flags.add(box.mask[k])
            k += 1
        box = Piece(box.text[k:], box.mask[k:])
    at = box.mask.find("@")
    mailbox = box.mask[:at] if at >= 0 else box.mask
    if "s" in flags and "p" not in flags and mailbox:
        return "skips", "the 's' option logs the caller into the mailbox without asking for the PIN"
    return "asks", "the PIN is asked"


# -- problems ----------------------------------------------------------------------------------------

class _Problems:
    """Gaps and notes for one root; notes are capped per file (a hostile file could repeat one line)."""

    def __init__(self, b: BuildContext) -> None:
        self.b = b
        self.notes: dict[str, int] = {}

    def gap(self, file: str, line: int, message: str) -> None:
        self.b.problems.append(ParseProblem(file=file, line=line, message=message, fatal=False))

    def note(self, file: str, line: int, message: str) -> None:
        count = self.notes.get(file, 0) + 1
        self.notes[file] = count
        if count <= MAX_NOTES_PER_FILE:
            self.b.problems.append(ParseProblem(file=file, line=line, message=message, fatal=False, note=True))

    def finish(self) -> None:
        for file, count in self.notes.items():
            if count > MAX_NOTES_PER_FILE:
                self.b.problems.append(ParseProblem(file=file, line=0, fatal=False, note=True, message=(
                    f"{count - MAX_NOTES_PER_FILE} more dialplan lines Asterisk ignores are not listed")))


def secret_assignments(app: str, args: str) -> list[str]:
    """The values Set(name=value) / MSet(n1=v1,n2=v2) give variables whose names say they are secrets
    (DB_PASSWORD=..., TRUNK_SECRET=...): never kept, here nor in the wrapper that runs them."""
    name = app.lower()
    if name not in ("set", "mset") or "=" not in args:
        return []
    parts = [p.text for p in separate(piece(args), ",", 64, False)] if name == "mset" else [args]
    out = []
    for part in parts:
        var, eq, value = part.partition("=")
        if eq and value and is_secret_key(var.strip()):
            out.append(value)
    return out


def _record(b: BuildContext, probs: _Problems, context: str, exten: str, priority: str, app: str, data: str,
            file: str, line: int) -> None:
    """The steps one priority may run, and the gaps of its analysis."""
    expansion = expand_application(app, data)
    src = SourceRef(file=file, line=line)
    secrets = sorted({v for name, args, _ in expansion.runs for v in secret_assignments(name, args)}, key=len,
                     reverse=True)
    for name, args, via in expansion.runs:
        for value in secrets:
            args = args.replace(value, "<redacted>")
        b.dialplan.append(DialplanStep(context=context, exten=exten, priority=priority, app=name,
                                       args=redact_inline_credentials(args), source=src, via=via))
    for message in dict.fromkeys(expansion.gaps):
        probs.gap(file, line, f"[{context}] {message}")


# -- extensions.conf ---------------------------------------------------------------------------------

def _strsep_ext(value: str) -> tuple[str, str | None]:
    """pbx_strsep(&s, ","): the extension ends at the first ',' outside [...] ('\\' skips a character)."""
    square = 0
    i, n = 0, len(value)
    while i < n:
        c = value[i]
        if c == "[":
            square += 1
        elif c == "]":
            square -= 1 if square else 0
        elif c == "\\":
            i += 1
        elif c == "," and not square:
            return value[:i], value[i + 1:]
        i += 1
    return value, None


_INT_RE = re.compile(r"\s*([+-]?\d{1,30})")
_WS = " \t\n\v\f\r"


def _c_int(text: str) -> int | None:
    """sscanf("%30d") / atoi(): a leading integer, or None."""
    m = _INT_RE.match(text)
    return int(m.group(1)) if m else None


@dataclass
class _Context:
    """pbx_config's state within one [context] section, and the priorities registered in the context."""

    name: str
    last_ext: str = ""
    last_pri: int = -2
    labels: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    taken: set[tuple[str, str, int]] = field(default_factory=set)


def _conf_priority(ctx: _Context, entry_value: str, realext: str, cid: str, file: str, line: int,
                   probs: _Problems) -> tuple[int, str, str] | None:
    """(priority, label, rest of the line) as pbx_load_config computes them; None when Asterisk skips
    the line (with a note saying why)."""
    pri_text, _, rest = entry_value.partition(",")
    pri = pri_text.strip(_WS)
    label = ""
    if "(" in pri:
        pri, _, label = pri.partition("(")
        if ")" not in label:
            probs.note(file, line, f"[{ctx.name}] label without ')': Asterisk skips this line")
            return None
        label = label[:label.index(")")]
    plus = None
    if "+" in pri:
        pri, _, plus = pri.partition("+")
    if pri == "hint":
        ipri = -1
    elif pri in ("next", "n", "same", "s"):
        if ctx.last_pri <= -2:
            probs.note(file, line, f"[{ctx.name}] '{pri}' priority on the first line of the context: Asterisk "
                       "skips this line")
            return None
        ipri = ctx.last_pri + 1 if pri in ("next", "n") else ctx.last_pri
    else:
        number = _c_int(pri)
        if number is None:
            found = ctx.labels.get((realext, cid), {}).get(pri)
            if found is None or found < 1:
                probs.note(file, line, f"[{ctx.name}] priority is neither a number nor a label of this extension: "
                           "Asterisk skips this line")
                return None
            number = found
        elif number < 1:
            probs.note(file, line, f"[{ctx.name}] priority below 1: Asterisk skips this line")
            return None
        ipri = number
    if ipri == 0:
        probs.note(file, line, f"[{ctx.name}] priority 'n' right after a hint gives priority 0: Asterisk skips "
                   "this line")
        return None
    if plus is not None:
        ipri += _c_int(plus) or 0
    ctx.last_pri = ipri
    return ipri, label, rest


def _conf_application(rest: str) -> tuple[str, str, bool]:
    """(application, data, closed): pbx_config's split of ``App(args)``; ``App,args`` is no split at all."""
    if "(" not in rest:
        return rest.lstrip(_WS), "", True
    name, _, data = rest.partition("(")
    if "${" in name or "$[" in name:  # e.g. a hint to ${GLOBAL(dev)}: all of it is the "application"
        return rest.lstrip(_WS), "", True
    end = data.rfind(")")
    return name.lstrip(_WS), (data[:end] if end >= 0 else data), end >= 0


def build_extensions(pc: ParsedConfig, b: BuildContext) -> None:
    """extensions.conf as pbx_config loads it: every context's priorities become dialplan steps."""
    # auditor.facts.asterisk imports this module: import its helper when building, not at import time.
    from voxaudit.facts.asterisk import _object

    probs = _Problems(b)
    for section in pc.instances():
        lname = section.name.lower()
        if lname in ("general", "globals"):
            obj, _ = _object(f"extensions.{lname}", section)
            b.objects.append(obj)
            continue
        ctx = _Context(section.name)
        for entry in section.entries:
            key = entry.key
            if key.startswith("same"):
                if not ctx.last_ext:
                    probs.note(entry.file, entry.line, f"[{ctx.name}] 'same =>' with no extension before it in the "
                               "context: Asterisk skips this line")
                    continue
                realext, rest = ctx.last_ext, entry.value
            elif key == "exten":
                ext, rest_or_none = _strsep_ext(entry.value)
                realext, rest = ext, rest_or_none or ""
                ctx.last_ext = realext
            elif key in ("include", "ignorepat", "autohints"):
                continue
            elif key in ("switch", "lswitch", "eswitch"):
                if entry.value.split("/", 1)[0].strip(_WS).lower() == "realtime":
                    probs.gap(entry.file, entry.line, f"[{ctx.name}] switch => Realtime: extensions of this "
                              "context come from a realtime database, which is not audited")
                continue
            else:
                probs.note(entry.file, entry.line, f"[{ctx.name}] unknown directive '{_name(key)}': Asterisk "
                           "ignores it")
                continue
            ext, _, cid = realext.partition("/")
            got = _conf_priority(ctx, rest, ext, cid, entry.file, entry.line, probs)
            if got is None:
                continue
            ipri, label, rest = got
            if (ext, cid, ipri) in ctx.taken:
                probs.note(entry.file, entry.line, f"[{ctx.name}] priority already defined for this extension: "
                           "Asterisk keeps the first one and skips this line")
                continue
            ctx.taken.add((ext, cid, ipri))
            if label:
                ctx.labels.setdefault((ext, cid), {}).setdefault(label, ipri)
            if ipri < 0:  # a hint: a device state, not an application
                continue
            app, data, closed = _conf_application(rest)
            if not closed:
                probs.note(entry.file, entry.line, f"[{ctx.name}] no closing parenthesis: Asterisk takes the rest "
                           "of the line as the arguments")
            if not app:
                continue
            if "," in app:
                probs.note(entry.file, entry.line, f"[{ctx.name}] 'App,args' form: Asterisk 1.6 and later take all "
                           "of it as an application name, which does not exist (nothing runs)")
            _record(b, probs, ctx.name, realext, str(ipri), app, data, entry.file, entry.line)
    probs.finish()


def _name(key: str) -> str:
    """A directive name for a message: printable ASCII, at most 40 characters."""
    return "".join(ch if " " < ch <= "~" else "?" for ch in key[:40])


# -- extensions.ael ------------------------------------------------------------------------------------

def build_ael(pc: ParsedConfig, b: BuildContext) -> None:
    """extensions.ael as pbx_ael compiles it: every application call becomes dialplan steps."""
    probs = _Problems(b)
    if not isinstance(pc, AelConfig):
        # The collector read it with the .conf reader: AEL is not that dialect, nothing was understood.
        probs.gap(pc.root, 0, "extensions.ael was not read with the AEL reader; its dialplan is not audited")
        return
    for call in pc.calls:
        _record(b, probs, call.context, call.exten, "", call.app, call.args, call.file, call.line)
    probs.finish()


__all__ = [
    "AEL_ROOT", "EXTENSIONS_ROOT", "ROOT_READERS", "DialplanStep", "Expansion", "Piece", "build_ael", "build_extensions",
    "expand_application", "if_alternatives", "piece", "separate", "substitution_mask", "voicemailmain_access",
]
