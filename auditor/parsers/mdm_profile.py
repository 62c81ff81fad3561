"""MDM policy documents: Apple configuration profiles (.mobileconfig, XML or binary plist,
plain or CMS-signed) and JSON policies (Android Management API ``Policy``, Intune Graph
device-configuration exports, Apple declarative-management declarations).

The result is the decoded document plus a line finder, so facts can point evidence at the
line of a key in the file the administrator exported. Signatures are decoded, not verified:
whether a profile was tampered with is the MDM's job; what it says is ours.

Problems name the file, line and the parser's error kind, never a value: expat, libxml2 and
plistlib messages can quote the document, so only fixed texts are used. Documents are bounded in
size and nesting depth (``MAX_DEPTH``), so a deeply nested export or a plist bomb is one file's
ERROR, never a ``RecursionError`` that takes the target down.
"""
from __future__ import annotations

import bisect
import json
import plistlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers.expat import ErrorString, ExpatError

from voxaudit.parsers.problem import Problem, label

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64  # real profiles and policies nest a handful of levels
MAX_NODES = 1_000_000  # containers and values visited while checking a decoded document
# One quoted string from its opening quote: the two branches start with different characters, so a match (or a
# failure at the end of the line) walks the string once. A bound such as {0,512} made every quote inside a long
# string a new start that walked 512 characters and gave up: 12 s on a 2 MB policy of escaped quotes.
_JSON_STRING_RE = re.compile(r'"(?:[^"\\\n]|\\.)*"')


@dataclass
class PolicyDocument:
    kind: str  # "apple-profile", "apple-declaration", "android-policy" or "intune-policy"
    data: Any
    text: str = ""  # the textual form (XML plist or JSON), for line numbers; "" for binary plists
    signed: bool = False
    signer: str = ""
    lines: list[str] = field(default_factory=list)
    # For XML plists: the same shape as ``data``, each dict as {key: (line of <key>, subtree)}.
    where: Any = None

    def __post_init__(self) -> None:
        self.lines = self.text.splitlines()
        self._index: dict[str, list[int]] | None = None

    def line_of(self, needle: str, after: int = 0) -> int:
        """1-based line of the first occurrence of the literal ``needle`` (a quoted JSON key or value,
        e.g. ``'"maximumTimeToLock"'``) at or after line ``after``; 0 when unknown. Quoted strings are
        indexed once, so many look-ups stay linear in the file (and nothing from the document is
        ever compiled as a regular expression)."""
        if self._index is None:
            self._index = {}
            for i, line in enumerate(self.lines, start=1):
                for quoted in _quoted_strings(line):
                    self._index.setdefault(quoted, []).append(i)
        hits = self._index.get(needle)
        if hits is None:
            return 0
        pos = bisect.bisect_left(hits, after)
        return hits[pos] if pos < len(hits) else 0


def _quoted_strings(line: str) -> Iterator[str]:
    """The quoted strings of one line, left to right, each read from its opening quote to its closing one (so a
    quote escaped inside a string never starts another). A string not closed on its line ends the line: nothing
    after it can be told inside from outside. One pass: linear in the line on any input."""
    pos = line.find('"')
    while pos >= 0:
        m = _JSON_STRING_RE.match(line, pos)
        if m is None:
            return
        yield m.group()
        pos = line.find('"', m.end())


def _plist_lines(raw: bytes) -> Any:
    """Line numbers of every key in an XML plist, mirroring the decoded structure."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)
    root = etree.fromstring(raw, parser)

    def walk(el):
        if el.tag == "dict":
            out, children = {}, [c for c in el if isinstance(c.tag, str)]
            for key_el, val_el in zip(children[::2], children[1::2]):
                out[key_el.text or ""] = (key_el.sourceline or 0, walk(val_el))
            return out
        if el.tag == "array":
            return [walk(c) for c in el if isinstance(c.tag, str)]
        return el.sourceline or 0

    top = next((c for c in root if isinstance(c.tag, str)), None) if root.tag == "plist" else root
    return walk(top) if top is not None else None


def _unwrap_signed(raw: bytes, display: str) -> tuple[bytes | None, str, Problem | None]:
    """The plist inside a CMS SignedData profile, and the signer's subject."""
    from asn1crypto import cms

    try:
        info = cms.ContentInfo.load(raw)
        if info["content_type"].native != "signed_data":
            return None, "", Problem(display, 0, "DER file is not a CMS SignedData profile", True)
        signed = info["content"]
        content = signed["encap_content_info"]["content"].native
        signer = ""
        certs = signed["certificates"]
        if certs:  # a name, but the certificate's: printable and bounded like every name we show
            signer = label(certs[0].chosen.subject.human_friendly, 200)
        if not isinstance(content, bytes):
            return None, signer, Problem(display, 0, "signed profile has no embedded content (detached signature)", True)
        return content, signer, None
    except Exception as exc:  # noqa: BLE001 - asn1crypto raises many kinds on hostile DER; none may escape
        return None, "", Problem(display, 0, f"signed profile could not be decoded ({exc.__class__.__name__})", True)


def _too_deep(data: Any) -> str | None:
    """Why a decoded document is refused, or None: nesting deeper than MAX_DEPTH, more than
    MAX_NODES values, or a container that contains itself (a binary plist can reference an object
    from inside it). Iterative, so the check itself cannot overflow the stack."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    open_ids: set[int] = set()
    seen = 0
    while stack:
        node, depth = stack.pop()
        if node is None and depth < 0:  # leaving a container
            open_ids.discard(-depth)
            continue
        seen += 1
        if seen > MAX_NODES:
            return f"more than {MAX_NODES} values"
        if isinstance(node, (dict, list)):
            if depth > MAX_DEPTH:
                return f"nested deeper than {MAX_DEPTH} levels"
            if id(node) in open_ids:
                return "a container contains itself"
            open_ids.add(id(node))
            stack.append((None, -id(node)))
            children = node.values() if isinstance(node, dict) else node
            stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return None


def parse_policy_file(path: Path, display: str) -> tuple[PolicyDocument | None, list[Problem]]:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None, [Problem(display, 0, "file larger than 4 MiB; not an MDM policy", True)]
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(display, 0, f"cannot read file: {exc.strerror or exc}", True)]
    stripped = raw.lstrip()
    if path.suffix.lower() == ".json" or stripped[:1] in (b"{", b"["):
        return _parse_json(raw, display)
    signed, signer = False, ""
    if raw[:1] == b"\x30":  # DER SEQUENCE: a signed profile
        inner, signer, problem = _unwrap_signed(raw, display)
        if problem:
            return None, [problem]
        raw, signed = inner, True
    try:
        data = plistlib.loads(raw)
    except ExpatError as exc:
        return None, [Problem(display, exc.lineno, f"malformed property list: {ErrorString(exc.code)}", True)]
    except Exception as exc:  # noqa: BLE001 - plistlib raises many kinds on hostile bytes; none may escape
        return None, [Problem(display, 0, f"not a property list ({exc.__class__.__name__})", True)]
    if (why := _too_deep(data)) is not None:
        return None, [Problem(display, 0, f"property list refused: {why}", True)]
    if not isinstance(data, dict) or "PayloadContent" not in data and "PayloadType" not in data:
        return None, [Problem(display, 1, "property list is not a configuration profile (no PayloadContent)", True)]
    problems = _odd_numbers(data, display)
    text, where = "", None
    if not raw.startswith(b"bplist"):
        text = raw.decode("utf-8", "replace")
        try:
            where = _plist_lines(raw)
        except Exception:  # noqa: BLE001 - plistlib accepted it; line numbers are a nicety, never a failure
            where = None
    return PolicyDocument("apple-profile", data, text, signed, signer, where=where), problems


def _no_constant(name: str) -> Any:
    """NaN and Infinity are not JSON (Python's decoder takes them): a policy holding one is malformed."""
    raise ValueError(name)


def _odd_numbers(data: Any, display: str) -> list[Problem]:
    """A gap for each value no device takes as a number: a <real> that is NaN or infinite, an <integer>
    beyond 64 bits (a limit compared with NaN is never exceeded: it would pass). Walked iteratively,
    bounded like the nesting check; only the count is said, never a key (any text may be a secret)."""
    import math

    odd, stack, seen = 0, [data], 0
    while stack and seen < 1_000_000:
        item = stack.pop()
        seen += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, float) and not math.isfinite(item) or \
                isinstance(item, int) and not isinstance(item, bool) and abs(item) >= 2 ** 63:
            odd += 1
    return [Problem(display, 0, f"{odd} value(s) are not finite 64-bit numbers (NaN, infinity or too large); "
                                "the settings holding them are not read", False)] if odd else []


def _parse_json(raw: bytes, display: str) -> tuple[PolicyDocument | None, list[Problem]]:
    try:
        text = raw.decode("utf-8-sig")
        data = json.loads(text, parse_constant=_no_constant)
    except UnicodeDecodeError:
        return None, [Problem(display, 0, "JSON policy is not UTF-8 text", True)]
    except json.JSONDecodeError as exc:  # exc.msg is one of the decoder's fixed texts, never the document
        return None, [Problem(display, exc.lineno, f"malformed JSON: {exc.msg} (column {exc.colno})", True)]
    except RecursionError:
        return None, [Problem(display, 0, "JSON policy refused: nested too deeply to decode", True)]
    except ValueError as exc:  # e.g. an integer literal longer than Python converts
        return None, [Problem(display, 0, f"malformed JSON ({exc.__class__.__name__})", True)]
    if (why := _too_deep(data)) is not None:
        return None, [Problem(display, 0, f"JSON policy refused: {why}", True)]
    if not isinstance(data, dict):
        return None, [Problem(display, 1, "JSON policy must be an object", True)]
    odata = str(data.get("@odata.type", ""))
    # 1e400 decodes to infinity (only the NaN/Infinity literals reach _no_constant): same gap as a plist's
    problems = _odd_numbers(data, display)
    if odata.startswith("#microsoft.graph."):
        return PolicyDocument("intune-policy", data, text), problems
    amapi = {"keyguardDisabledFeatures", "passwordPolicies", "passwordRequirements", "maximumTimeToLock",
             "applications", "statusReportingSettings", "keyguardDisabled"}
    if amapi & set(data):
        return PolicyDocument("android-policy", data, text), problems
    if is_apple_declaration(data):
        return PolicyDocument("apple-declaration", data, text), problems
    return None, [Problem(display, 1, "JSON is neither an Android Management API policy, an Intune "
                                      "device-configuration export nor an Apple declaration (DDM)", True)]


def is_apple_declaration(data: dict) -> bool:
    """An Apple Declarative Device Management declaration as an MDM serves it and Fleet, Jamf or
    NanoMDM keep it: ``{"Type": "com.apple.configuration.passcode.settings", "Identifier": ...,
    "Payload": {...}}`` (Apple's device-management schema, declarative/declarations). It was refused as
    "neither Android nor Intune", and with it the passcode policy an iPhone fleet enforces through DDM."""
    dtype = data.get("Type")
    return isinstance(dtype, str) and dtype.startswith("com.apple.") and isinstance(data.get("Payload"), dict) \
        and "Identifier" in data
