"""Reading the files people and earlier scans hand us (inventories, profiles, waivers, saved scans,
baselines, voxaudit.toml) without ever failing on them: whatever the bytes, the caller gets data or a
:class:`StructuredFileError` with one line naming the file (and line where known), never a value
from it and never a traceback.

Why a module of its own: ``json`` and PyYAML raise ``RecursionError`` on deep nesting, ``ValueError``
on a 5,000-digit integer or an impossible date, ``UnicodeDecodeError`` on UTF-16, and YAML aliases can
make a small file expand without bound once validated. One reader stops all of these before they
reach the loaders, so each loader only maps the error to its own type (exit 2 in the CLI).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Optional

import yaml

MAX_NESTING = 64  # far deeper than any inventory, profile, waiver file or scan document needs
_BOMS = {b"\xff\xfe\x00\x00": "UTF-32", b"\x00\x00\xfe\xff": "UTF-32", b"\xff\xfe": "UTF-16", b"\xfe\xff": "UTF-16"}


class StructuredFileError(Exception):
    """One line for the user: the file, where, and what is wrong with it; never a value from it."""


def read_text(path: Path, what: str, max_bytes: int) -> str:
    """The file as text: UTF-8 (a UTF-8 BOM is dropped), no NUL bytes, at most ``max_bytes``."""
    from voxaudit.files import UnreadableFile, read_regular

    try:  # without blocking: a FIFO given as a profile or inventory would hang the command for ever
        raw = read_regular(str(path), max_bytes, follow_links=True)
    except UnreadableFile as exc:
        if exc.kind == "not-regular":  # a FIFO, a device (/dev/zero never ends), a directory
            raise StructuredFileError(f"{path}: {what} is not a regular file; not read") from None
        if exc.kind == "too-large":
            raise StructuredFileError(f"{path}: {what} larger than {max_bytes // (1024 * 1024)} MiB; "
                                      "not read") from None
        raise StructuredFileError(f"cannot read {what} {path}: {exc.reason.removeprefix('cannot read file: ')}") \
            from None
    for bom, name in _BOMS.items():
        if raw.startswith(bom):
            raise StructuredFileError(f"{path}: {what} is {name}; save it as UTF-8")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if b"\x00" in raw:
        raise StructuredFileError(f"{path}: {what} is binary (NUL bytes), not text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise StructuredFileError(f"{path}:{line}: {what} is not valid UTF-8") from None


def _nesting_depth(text: str, openers: str = "[{", closers: str = "]}") -> int:
    """Deepest bracket nesting outside strings, in one pass (a guard before a recursive parser)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in openers:
            depth += 1
            deepest = max(deepest, depth)
        elif ch in closers:
            depth -= 1
    return deepest


def load_json(path: Path, what: str, max_bytes: int = 1024 * 1024 * 1024) -> Any:
    text = read_text(path, what, max_bytes)
    if _nesting_depth(text) > MAX_NESTING:
        raise StructuredFileError(f"{path}: {what} nests deeper than {MAX_NESTING} levels; not a {what}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise StructuredFileError(f"{path}:{exc.lineno}: {what} is not JSON") from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer longer than Python converts
        raise StructuredFileError(f"{path}: {what} holds a value that cannot be read ({exc.__class__.__name__})") from None


def load_toml(path: Path, what: str, max_bytes: int = 16 * 1024 * 1024) -> dict[str, Any]:
    """A TOML file (``voxaudit.toml``, ``pyproject.toml``) as a table, or StructuredFileError. ``tomllib``
    raises UnicodeDecodeError on UTF-16, RecursionError on deep arrays and ValueError on a 5,000-digit
    integer; each is one line here. Its own messages are a kind and a position, never the text."""
    import tomllib

    text = read_text(path, what, max_bytes)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StructuredFileError(f"{path}: {what} is not valid TOML: {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise StructuredFileError(f"{path}: {what} holds a value that cannot be read ({exc.__class__.__name__})") from None


class _Refused(yaml.MarkedYAMLError):
    """What voxaudit itself refuses in a YAML file (an alias, nesting, a key written twice): worded by us,
    the same with either loader, and shown in the error; the parsers' own wording differs between libyaml
    and PyYAML's Python parser (and the latter's can quote the file), so only the line of those is given."""


class _Guarded:
    """Composing without aliases (a few anchors can expand to gigabytes once validated), nesting bounded,
    keys written twice refused; shared by the libyaml loader and the pure-Python one, so both read alike."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):  # type: ignore[attr-defined]
            mark = self.peek_event().start_mark  # type: ignore[attr-defined]
            raise _Refused("while reading", None, "YAML aliases (*name) are not accepted", mark)
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_NESTING:
                mark = self.peek_event().start_mark  # type: ignore[attr-defined]
                raise _Refused("while reading", None, f"nested deeper than {MAX_NESTING} levels", mark)
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        """A key written twice is refused: PyYAML keeps the last silently, so a second ``targets:`` in a
        site would drop the first list's targets from the audit without a word."""
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else id(key_node)
                if key_node.tag == "tag:yaml.org,2002:merge":
                    # "<<: {targets: [...]}" beside "targets:": the written key wins and the merged targets
                    # leave the audit without a word. Aliases are refused already, so a merge key can only
                    # hide something: refused too.
                    raise _Refused("while reading a mapping", node.start_mark,
                                   "YAML merge keys (<<) are not accepted", key_node.start_mark)
                if key in seen:
                    raise _Refused("while reading a mapping", node.start_mark,
                                   "a key is written twice in one mapping", key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc]


class _SafeLoader(_Guarded, yaml.SafeLoader):
    """The pure-Python loader (PyYAML without libyaml); dates kept as text (the models check them and say
    which field is wrong, never crash)."""


try:
    from yaml.cyaml import CParser as _CParser
except ImportError:  # PyYAML built without libyaml
    _CParser = None


class _CSafeLoader(_Guarded, yaml.composer.Composer, *((_CParser,) if _CParser else ()),  # type: ignore[misc]
                   yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
    """libyaml scans and parses (in C, a state machine: most of the time a large file took in Python);
    composing stays PyYAML's Python composer over libyaml's events, so the guards above apply unchanged.
    (yaml.CSafeLoader's own composer recurses in C without a bound, has no alias hook, and measured slower
    than this one: 1.8 s against 1.0 s for a 10,000-target inventory.)"""

    def __init__(self, stream: str) -> None:
        _CParser.__init__(self, stream)  # type: ignore[misc]
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        yaml.composer.Composer.__init__(self)


for _loader in (_SafeLoader, _CSafeLoader):
    _loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
_LOADER: type[Any] = _CSafeLoader if _CParser is not None else _SafeLoader


def load_yaml(path: Path, what: str, max_bytes: int = 16 * 1024 * 1024,
              loader_class: Optional[type[Any]] = None) -> tuple[Any, Any]:
    """(data, node tree for line look-ups) of a YAML file, or StructuredFileError. ``loader_class``: for
    tests, which read each file with both loaders (libyaml when present, and the pure-Python one)."""
    text = read_text(path, what, max_bytes)
    try:  # PyYAML's and libyaml's parsers are state machines; only composing recurses, and compose_node bounds it
        loader = (loader_class or _LOADER)(text)
        try:
            tree = loader.get_single_node()
            data = loader.construct_document(tree) if tree is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f":{mark.line + 1}" if mark else ""
        problem = f" ({exc.problem})" if isinstance(exc, _Refused) else ""  # ours: no value, either loader
        raise StructuredFileError(f"{path}{where}: {what}: invalid YAML{problem}") from None
    except yaml.YAMLError:
        raise StructuredFileError(f"{path}: {what}: invalid YAML") from None
    except (ValueError, TypeError, RecursionError) as exc:  # a number too long to convert, a bad value
        raise StructuredFileError(f"{path}: {what} holds a value that cannot be read ({exc.__class__.__name__})") from None
    return data, tree


def line_of(node: Any, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of a validation error's location in a composed YAML tree (from
    :func:`load_yaml`): the deepest node the location reaches, so a missing key points at its mapping."""
    if node is None:
        return None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if nxt is None:
                return int(node.start_mark.line) + 1
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
    return int(node.start_mark.line) + 1


_KEY_LIKE = re.compile(r"[a-z][a-z0-9_]{0,39}")


def shown_key(key: Any) -> str:
    """A key as it may be named in an error. Every key voxaudit reads is lower-case snake case, so an
    unknown one that is not (``S3cr3t-x9: 1``: a password pasted where a key goes) is not echoed; the
    error's line still says where it is."""
    return str(key) if isinstance(key, int) or _KEY_LIKE.fullmatch(str(key)) else "(unknown key)"


class Invalid(ValueError):
    """A validation error found by our own code (not msgspec's), at ``loc`` (keys and list indexes below the
    object being validated), with a message that quotes no value."""

    def __init__(self, loc: tuple[Any, ...], message: str) -> None:
        super().__init__(f"{field(tuple(loc))}: {message}" if loc else message)  # keys only, never a value
        self.loc = tuple(loc)
        self.message = message


def field_error(field: str, why: str) -> ValueError:
    """What a struct's ``__post_init__`` raises for one of its fields: msgspec places the error at the
    struct, and :func:`invalid` moves it down to ``field`` (so the line is the key's own)."""
    return ValueError(f"field `{field}`: {why}")


DICT_KEY = "[...]"  # msgspec never names a mapping's key in a path (it could be anything the file holds)
_PATH_PART = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d{1,9}|\.\.\.)\]")
_FIELD_ERROR = re.compile(r"field `([a-z][a-z0-9_]{0,39})`: (.*)", re.S)
_NAMED_FIELD = re.compile(r"Object (missing required|contains unknown) field `(.*)`", re.S)
_QUOTED = re.compile(r"'[^']*'|`[^`]*`|\"[^\"]*\"")


def invalid(exc: Exception, kind: Any = None) -> tuple[tuple[Any, ...], str]:
    """(location, message) of a validation error, for an error line that names file, line and key and never
    a value: msgspec's own wording quotes values ("Invalid enum value 'S3cr3t'") and unknown keys, so each
    of its kinds is put in our words; the location is its path (``$.a[0].b`` -> ("a", 0, "b")), ending at
    the missing or unknown key (shown through :func:`field` and :func:`shown_key`, never quoted here).
    ``kind``: the type that was validated, so a value outside a fixed set is answered with that set (ours,
    from the type: ``device_type`` lists the switch types it takes)."""
    if isinstance(exc, Invalid):
        return exc.loc, exc.message
    message, sep, path = str(exc).rpartition(" - at `")
    if not sep:
        message, path = path, "$"
    loc: list[Any] = []
    for m in _PATH_PART.finditer(path):
        loc.append(m.group(1) if m.group(1) is not None else DICT_KEY if m.group(2) == "..." else int(m.group(2)))
    own = _FIELD_ERROR.fullmatch(message)
    named = _NAMED_FIELD.fullmatch(message)
    if own:  # ours, from field_error(): already words without a value
        loc.append(own.group(1))
        message = own.group(2)
    elif named:
        loc.append(named.group(2))
        message = "Field required" if named.group(1) == "missing required" else "Extra inputs are not permitted"
    elif message.startswith(("Invalid enum value", "Invalid value")):
        values = accepted_values(kind, tuple(loc)) if kind is not None else []
        message = "not one of the accepted values" + (f": {', '.join(values)}" if values else "")
    elif "matching regex" in message:
        message = "not in the accepted form (see the documentation of this key)"
    elif message.startswith("Expected `") and "`, got `" in message:
        want, _, got = message[len("Expected `"):].partition("`, got `")
        message = f"expected {want.replace('`', '')}, not {got.rstrip('`')}"
    elif message.startswith("Expected `"):
        message = "expected " + message[len("Expected "):].replace("`", "")  # a type and a bound: ours, no value
    else:
        message = _QUOTED.sub("a value", message)
    return tuple(loc), message


def _members(types: list[Any]) -> list[Any]:
    """The types a value may have, unions and constraints unwrapped (``Optional[Literal[...]]``)."""
    import msgspec.inspect as mi

    out: list[Any] = []
    todo = list(types)
    while todo:
        t = todo.pop(0)
        if isinstance(t, mi.UnionType):
            todo[:0] = list(t.types)
        elif isinstance(t, mi.Metadata):
            todo.insert(0, t.type)
        else:
            out.append(t)
    return out


def accepted_values(kind: Any, loc: tuple[Any, ...]) -> list[str]:
    """The values the fixed-set (Literal or Enum) field at ``loc`` of ``kind`` takes, as written in the
    type (never anything from the file), or [] when ``loc`` does not lead to one."""
    import msgspec.inspect as mi

    types = [mi.type_info(kind)]
    for part in loc:
        step: list[Any] = []
        for t in _members(types):
            if isinstance(part, int) and isinstance(t, (mi.ListType, mi.VarTupleType, mi.SetType, mi.FrozenSetType)):
                step.append(t.item_type)
            elif isinstance(part, str) and isinstance(t, mi.StructType) and t.tag_field == part:
                step.append(mi.LiteralType(values=(t.tag,)))  # a tagged union's tag: each member's own value
            elif isinstance(part, str) and isinstance(t, (mi.StructType, mi.DataclassType)):
                step += [f.type for f in t.fields if f.encode_name == part]
            elif isinstance(part, str) and isinstance(t, mi.DictType):
                step.append(t.value_type)
        types = step
    values: list[str] = []
    for t in _members(types):
        if isinstance(t, mi.LiteralType):
            values += [str(v) for v in t.values]
        elif isinstance(t, mi.EnumType):
            values += [str(m.value) for m in t.cls]
    return list(dict.fromkeys(values))


def field(loc: tuple[Any, ...]) -> str:
    """An error location as dotted keys; a key that does not look like one of ours is not echoed
    (:func:`shown_key`)."""
    return ".".join(p if p == DICT_KEY else shown_key(p) for p in loc)
