"""Platform-neutral fact types: configuration objects, problems, spool statistics.

Every platform's facts are built from these so that checks, reports and saved
scans share one vocabulary. Nothing here may hold a secret or PHI: secrets are
replaced by :class:`SecretInfo`, spools by counts, sizes and ages.
"""
from __future__ import annotations

import re
from functools import cached_property, lru_cache
from operator import attrgetter
from pathlib import Path
from typing import ClassVar, Iterable, Optional

import msgspec

from voxaudit.model import Data, SourceRef
from voxaudit.secretinfo import SecretInfo

# Keys whose values are secrets in any dialect we parse; matched on the lowercased key.
SECRET_KEY_RE = re.compile(r"(secret|passw|pwd|md5_cred|md5secret|token|apikey|api_key|private_key_pass|community)")


# Option names that mention a password but hold policy or paths, not secrets.
NOT_SECRET_KEYS = {"minpassword", "passwordlocation", "password_format", "externpass", "externpassnotify",
                   "externpasscheck", "pollmailboxes"}
NOT_SECRET_SUFFIXES = ("_file", "_format", "location", "_path", "-override", "-auth", "-file")


@lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    key = key.lower()
    if key in NOT_SECRET_KEYS or key.endswith(NOT_SECRET_SUFFIXES):
        return False
    return bool(SECRET_KEY_RE.search(key))


# Each run of characters that ends right before an '@' (runs stop at whitespace, ',', '(', ')' and '@').
# The lookbehind lets a run start only where the previous character stops one, and the possessive
# quantifier never gives characters back: every character is looked at a bounded number of times, so
# this is linear in the text (the former single regex took ~56 s on a 40 KB line).
_URI_CREDENTIALS_RE = re.compile(r"(?<![^\s,()@])[^\s,()@]++(?=@)")
_URI_SCHEME_PREFIXES = ("sip:", "sips:", "tel:")


def _credential_spans(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, user, password) of every ``user:password@`` in ``text``; ``text[start:end]`` is the
    password up to (not including) its '@'. The userinfo is what follows ``scheme://``, else the first
    '/' (``IAX2/user:secret@host``); a leading ``sip:``/``sips:``/``tel:`` is a scheme; the password is
    everything after the next ':' (it may hold ':' or '/'); runs chained by '@' right after a password
    (``user:p@ss@host``) belong to the password too."""
    spans: list[tuple[int, int, str]] = []
    for m in _URI_CREDENTIALS_RE.finditer(text):
        seg, start = m.group(), m.start()
        if spans and spans[-1][1] == start - 1:  # 'p@ss@host': this run is the rest of that password
            spans[-1] = (spans[-1][0], m.end(), spans[-1][2])
            continue
        scheme = seg.find("://")
        offset = scheme + 3 if scheme >= 0 else seg.find("/") + 1
        if seg[offset:offset + 5].lower().startswith(_URI_SCHEME_PREFIXES):  # sip:alice@host has no password
            offset = seg.index(":", offset) + 1
        colon = seg.find(":", offset)
        if colon < 0 or colon == len(seg) - 1:
            continue
        spans.append((start + colon + 1, m.end(), seg[offset:colon]))
    return [(start, end, user, text[start:end]) for start, end, user in spans]


def inline_credentials(text: str) -> list[tuple[str, str]]:
    """(user, password) of each ``user:password@`` that :func:`redact_inline_credentials` removes."""
    return [(user, pw) for _, _, user, pw in _credential_spans(text)]


def redact_inline_credentials(text: str) -> str:
    """Remove ``user:password@`` from dial strings and URLs kept as evidence (linear in the text)."""
    if "@" not in text:
        return text
    out, last = [], 0
    for start, end, _, _ in _credential_spans(text):
        out += [text[last:start], "<redacted>"]
        last = end
    out.append(text[last:])
    return "".join(out)


class Setting(Data, kw_only=True, gc=False):  # strings and an int: no cycle possible, not tracked
    value: str
    file: str
    line: int

    @property
    def source(self) -> SourceRef:
        return SourceRef(file=self.file, line=self.line)


class ConfigObject(Data, kw_only=True):
    """One object of a configuration (a pjsip endpoint, a mailbox, a manager user...).

    ``settings`` holds every non-secret option after template inheritance, each
    key mapping to all its values in order (permit/deny/allow repeat);
    ``secrets`` holds the shape of each secret option, never its value.
    """

    kind: str
    name: str
    source: SourceRef
    settings: dict[str, list[Setting]] = {}
    secrets: dict[str, SecretInfo] = {}

    @classmethod
    def of(cls, data: dict[str, object]) -> "ConfigObject":
        """From plain data (nested dicts for settings, secrets and source), checked and converted as a
        saved scan is; the builders of small files use it, the large ones construct objects directly."""
        return msgspec.convert(data, cls, strict=False)

    def setting(self, key: str) -> Optional[Setting]:
        # Keys are stored lowercased and asked for in lowercase nearly always: lower() only on a miss with a
        # key that is not lowercase already (most asks are misses: an option left at its default).
        values = self.settings.get(key)
        if values is None and not key.islower():
            values = self.settings.get(key.lower())
        return values[-1] if values else None

    def get(self, key: str, default: Optional[str] = None) -> Optional[str]:
        values = self.settings.get(key)
        if values is None and not key.islower():
            values = self.settings.get(key.lower())
        return values[-1].value if values else default

    def values(self, key: str) -> list[str]:
        return [s.value for s in self.settings.get(key.lower(), [])]

    def flag(self, key: str, default: bool = False) -> bool:
        """Asterisk-style boolean: yes/true/on/1 and their opposites."""
        value = self.get(key)
        if value is None:
            return default
        return value.strip().lower() in {"yes", "true", "y", "t", "1", "on"}

    def location(self, key: Optional[str] = None) -> SourceRef:
        """The line that set ``key``, or the object's header line."""
        if key:
            s = self.setting(key)
            if s is not None:
                return s.source
        return self.source


# The order facts keep their objects in (kind, file, line, name), so the same tree always gives byte-identical
# facts, offline or live: the key tuple built at C speed (40,000 objects at 10,000 extensions).
OBJECT_ORDER = attrgetter("kind", "source.file", "source.line", "name")


class ParseProblem(Data, kw_only=True):
    """A parser's Problem as saved in facts (see auditor.parsers.problem.Problem for the meaning of
    ``fatal`` and ``note``; a non-fatal problem that is not a note is a gap that lowers coverage)."""

    file: str
    line: int
    message: str
    fatal: bool
    note: bool = False

    def __post_init__(self) -> None:
        # Second line of defence: messages name files, lines and keys, never values; a user:password@
        # that reached one anyway (a URL named as a file, a dial string in a line quoted by mistake) is cut here,
        # and so is a control character of a name quoted raw.
        if "@" in self.message:
            self.message = redact_inline_credentials(self.message)
        if not self.message.isprintable():  # a name quoted without label(): no terminal escape, no line break
            self.message = "".join(ch if ch.isprintable() else "?" for ch in self.message)

    @classmethod
    def of(cls, p: object) -> "ParseProblem":
        """From any parser's problem record (file/line/message/fatal, optionally note)."""
        return cls(file=p.file, line=p.line, message=p.message,
                   fatal=p.fatal, note=getattr(p, "note", False))

    @property
    def is_gap(self) -> bool:
        return not self.fatal and not self.note


MAX_GAPS_QUOTED = 3


def describe_gaps(problems: Iterable[ParseProblem]) -> str:
    """One line for the parts of a source that were present but not understood (its gaps)."""
    gaps = [p for p in problems if p.is_gap]
    if not gaps:
        return ""
    shown = "; ".join(f"{p.file}:{p.line}: {p.message}" if p.line else f"{p.file}: {p.message}"
                      for p in gaps[:MAX_GAPS_QUOTED])
    more = f" (and {len(gaps) - MAX_GAPS_QUOTED} more, listed in the warnings)" if len(gaps) > MAX_GAPS_QUOTED else ""
    return f"not assessed where the configuration was not understood: {shown}{more}"


class ConfigFileFacts(Data, kw_only=True):
    """What happened when one root config file (and its includes) was read."""

    root: str
    found: bool
    files: list[str] = []
    problems: list[ParseProblem] = []
    # Lines that carried configuration after comments were stripped (None: the reader does not count).
    # A root with content from which no object was built is flagged by the runner: never read as empty.
    content_lines: Optional[int] = None

    @property
    def fatal_problem(self) -> Optional[ParseProblem]:
        return next((p for p in self.problems if p.fatal), None)


class MailboxSpool(Data, kw_only=True):
    """Counts, sizes and ages of one mailbox's messages: never content, never caller."""

    mailbox: str
    messages: int
    total_bytes: int
    ages_days: list[int] = []
    folders: dict[str, int] = {}


class RecordingSpool(Data, kw_only=True):
    path: str
    files: int
    total_bytes: int
    ages_days: list[int] = []


class SpoolFacts(Data, kw_only=True):
    collected_at: str
    voicemail_dir: str
    mailboxes: list[MailboxSpool] = []
    recordings: Optional[RecordingSpool] = None


class LogrotateRule(Data, kw_only=True):
    paths: list[str]
    period: str = "weekly"  # logrotate's own default when none is given
    rotate: Optional[int] = None
    maxage: Optional[int] = None
    source: SourceRef

    @property
    def keeps_forever(self) -> bool:
        """``rotate -1`` without ``maxage``: logrotate(8) never removes the old logs."""
        return self.rotate == -1 and self.maxage is None

    @property
    def retained_days(self) -> int:
        """How long rotated logs survive: rotate x period, capped by maxage (``rotate -1``: maxage alone)."""
        if self.rotate == -1:
            return self.maxage or 0
        per = {"hourly": 1 / 24, "daily": 1, "weekly": 7, "monthly": 30.44, "yearly": 365.25}.get(self.period, 7)
        days = int((self.rotate or 0) * per)
        if self.maxage is not None:
            days = min(days, self.maxage) if days else self.maxage
        return days


class PlatformFacts(Data, tag_field="platform", dict=True, kw_only=True):
    """What every platform's facts share: config files read and the objects found in them.

    Each subclass is tagged with its ``platform`` (the tag tells a saved scan's facts apart) and adds
    its own fact sources; adapters query objects through the methods here.
    """

    platform: ClassVar[str] = ""

    configs: dict[str, ConfigFileFacts] = {}
    objects: list[ConfigObject] = []

    # Index built on first query; checks call these per endpoint/mailbox, so they must be O(1).
    # A cached_property lives in the instance __dict__ (dict=True) and is never serialised.
    @cached_property
    def _index(self) -> tuple[dict[str, list[ConfigObject]], dict[tuple[str, str], ConfigObject]]:
        by_kind: dict[str, list[ConfigObject]] = {}
        by_name: dict[tuple[str, str], ConfigObject] = {}
        for o in self.objects:
            by_kind.setdefault(o.kind, []).append(o)
            by_name.setdefault((o.kind, o.name), o)
        return by_kind, by_name

    def reindex(self) -> None:
        """Call after changing ``objects`` in place (drops the index and what adapters derived from it)."""
        self.__dict__.pop("_index", None)
        self.__dict__.pop("_derived", None)

    def of_kind(self, kind: str) -> list[ConfigObject]:
        return list(self._index[0].get(kind, ()))

    def first(self, kind: str) -> Optional[ConfigObject]:
        objs = self._index[0].get(kind)
        return objs[0] if objs else None

    def named(self, kind: str, name: str) -> Optional[ConfigObject]:
        return self._index[1].get((kind, name))

    def has_config(self, root: str) -> bool:
        cf = self.configs.get(root)
        return bool(cf and cf.found)

    def resource_errors(self, name: str) -> list[tuple[str, str]]:
        """(resource, reason) for parts of a source that could not be read while the rest
        could (one unreadable phone file among many, an object type the reader does not know).
        The runner reports each as ERROR, so coverage drops instead of a silent NOT_APPLICABLE."""
        cf = self.configs.get(name)
        if cf is None or cf.fatal_problem is not None:
            return []
        gap = describe_gaps(cf.problems)
        return [(f"(unread parts of {name})", gap)] if gap else []

    def sourced_files(self) -> set[str]:
        """Files that at least one fact was built from (platforms with facts besides ``objects``
        add theirs), so a file with content and no facts can be told from a file read as empty."""
        return {o.source.file for o in self.objects}

    def flag_unread_roots(self) -> None:
        """A config root that is present, carries configuration lines and gave no fact at all was
        not understood: record it as a gap (a warning that lowers coverage), never as empty."""
        used = self.sourced_files()
        for cf in self.configs.values():
            if not cf.found or not cf.content_lines or cf.fatal_problem is not None:
                continue
            if any((p.is_gap or p.note) and p.line == 0 and p.file == cf.root for p in cf.problems):
                continue  # already said (a gap, or a note that the root is not read on purpose)
            if used.isdisjoint(cf.files) and cf.root not in used:
                cf.problems.append(ParseProblem(
                    file=cf.root, line=0, fatal=False,
                    message=f"{cf.content_lines} configuration line(s) but nothing was understood from them; "
                            f"checks that read {cf.root} are not assessed"))

    def source_name(self, name: str) -> str:
        """The file a binding's fact source is on this platform, as messages name it (OpenSIPS answers the
        Kamailio bindings' kamailio.cfg with opensips.cfg)."""
        return name

    def source_state(self, name: str) -> tuple[str, str]:
        """('ok'|'missing'|'error'|'not_collected', reason) for a fact source (a config root)."""
        cf = self.configs.get(name)
        if cf is None:
            return "not_collected", f"{name} was not collected"
        fatal = cf.fatal_problem
        if fatal is not None:
            return "error", f"{fatal.file}:{fatal.line}: {fatal.message}"
        return ("ok", "") if cf.found else ("missing", f"{name} not present")


class PerFileFacts(PlatformFacts, kw_only=True):
    """Platforms whose configuration is a set of independent files: one per phone, per switch,
    per MDM profile. ``configs`` has an entry per file; one unreadable file is an ERROR for that
    file's resource only, and the source as a whole fails only when no file could be read."""

    file_source: ClassVar[str]  # the fact source checks declare, e.g. "provisioning"
    file_label: ClassVar[str]  # how a file's resource is named in results, e.g. "phone"

    def source_state(self, name: str) -> tuple[str, str]:
        if name != self.file_source:
            return super().source_state(name)
        if not self.configs:
            return "missing", f"no {self.file_source} files"
        if all(cf.fatal_problem for cf in self.configs.values()):
            p = next(iter(self.configs.values())).fatal_problem
            return "error", f"no {self.file_source} file could be read ({p.file}:{p.line}: {p.message})"
        return "ok", ""

    def resource_errors(self, name: str) -> list[tuple[str, str]]:
        if name != self.file_source:
            return []
        out = []
        for cf in self.configs.values():
            fatal = cf.fatal_problem
            if fatal is not None:
                out.append((f"{self.file_label} {cf.root}", f"{fatal.file}:{fatal.line}: {fatal.message}"))
            elif gap := describe_gaps(cf.problems):
                out.append((f"{self.file_label} {cf.root} (unread parts)", gap))
        return out

    def add_file(self, display: str, problems: Iterable) -> bool:
        """Record one file and its problems (any object with file/line/message/fatal);
        True when it can be used."""
        cf = ConfigFileFacts(root=display, found=True, files=[display], problems=[
            ParseProblem.of(p) for p in problems])
        self.configs[display] = cf
        return cf.fatal_problem is None


def files_under(directory: Path, suffixes: set[str]) -> tuple[Path, list[Path], list[tuple[str, str]]]:
    """(base for display names, files, unread): one file as given, or every regular file with a known
    suffix below a directory, in a stable order. ``unread`` holds (display name, reason) for what is
    there but must not or cannot be read, so the caller reports each as that file's ERROR instead of
    the listing failing or the file silently missing: a directory that cannot be listed, a broken link
    or link loop, a link leading outside the directory, a FIFO or device (reading it would block)."""
    import os
    import stat

    if directory.is_file():
        return directory.parent, [directory], []
    files: list[Path] = []
    unread: list[tuple[str, str]] = []

    def display(p: str) -> str:
        return os.path.relpath(p, directory)

    def reason_of(exc: OSError) -> str:
        return exc.strerror or exc.__class__.__name__

    def listing_failed(exc: OSError) -> None:
        unread.append((display(exc.filename or str(directory)), f"cannot list directory: {reason_of(exc)}"))

    try:
        base = directory.resolve()
    except (OSError, RuntimeError) as exc:
        return directory, [], [(".", f"cannot resolve directory: {getattr(exc, 'strerror', None) or exc.__class__.__name__}")]
    for root, dirs, names in os.walk(directory, onerror=listing_failed):
        for d in list(dirs):
            if os.path.islink(os.path.join(root, d)):  # never followed: it may loop or leave the tree
                unread.append((display(os.path.join(root, d)), "symbolic link to a directory; not followed"))
                dirs.remove(d)
        dirs.sort()
        for name in sorted(names):
            if Path(name).suffix.lower() not in suffixes:
                continue
            path = os.path.join(root, name)
            try:
                st = os.stat(path)  # follows links: a loop or a dangling link raises here
                real = Path(path).resolve(strict=True)
            except (OSError, RuntimeError) as exc:
                why = reason_of(exc) if isinstance(exc, OSError) else "symbolic link loop"
                unread.append((display(path), f"cannot read file: {why}"))
                continue
            if not real.is_relative_to(base):
                unread.append((display(path), "symbolic link leads outside the directory; not read"))
            elif not stat.S_ISREG(st.st_mode):
                unread.append((display(path), "not a regular file (FIFO, socket or device); not read"))
            else:
                files.append(Path(path))
    return directory, sorted(files), sorted(unread)
