"""The saved scan: one versioned JSON document with facts, results and scores.

Because it holds the facts (secret-free by construction) and the metadata of the
checks that ran, ``voxaudit report`` can re-render it and ``voxaudit rescore`` can
re-evaluate it against another profile or waivers file without the network and
without the check pack that produced it. Schema: reports/schema/scan-v2.json.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, BinaryIO, Optional, Union

import msgspec

from voxaudit import __version__
from voxaudit.check import CheckMeta
from voxaudit.facts.asterisk import AsteriskFacts
from voxaudit.facts.freeswitch import FreeSwitchFacts
from voxaudit.facts.kamailio import KamailioFacts, OpenSipsFacts
from voxaudit.facts.mdm import MdmFacts
from voxaudit.facts.network import PacketFacts, SipFacts, SnmpFacts, TlsEndpointFacts
from voxaudit.facts.phones import PhoneFacts
from voxaudit.facts.switches import SwitchFacts
from voxaudit.model import Data, ErrorKind, Result
from voxaudit.scoring import ScoreCard
from voxaudit.structured import StructuredFileError, load_json

SCHEMA_VERSION = "2.0"  # 1.1: FreeSWITCH, Kamailio, phones; 1.2: switch, MDM, OpenSIPS; 1.3: SIP, TLS, packets, SNMP;
#                          1.4: trend since the previous scan; 1.5: which site collector collected a target;
#                          1.6: gaps (problem ``note``, ``content_lines``), dialplan ``via``, FreeSWITCH freeswitch.xml root;
#                          2.0: results of vendor-neutral controls (check_id is the control, ``alias`` the 1.x check its
#                               binding replaced; checks[].aliases); fields at their default are left out;
#                               a 1.x scan still loads as it was written.
SCHEMA_MAJOR = SCHEMA_VERSION.split(".")[0]
READABLE_MAJORS = ("1", "2")

# One member per platform, told apart by its ``platform`` tag.
PlatformFacts = Union[AsteriskFacts, FreeSwitchFacts, KamailioFacts, OpenSipsFacts, PhoneFacts, SwitchFacts, MdmFacts,
                      SipFacts, TlsEndpointFacts, PacketFacts, SnmpFacts]


class CollectionFailure(Data, kw_only=True):
    kind: ErrorKind
    reason: str


class TargetRecord(Data, kw_only=True, omit_defaults=False):  # small, and read by people with jq
    name: str
    platform: str
    clinic: str = ""
    site: str = ""
    source: str = ""  # where the facts came from (a path, or host:port); never credentials
    # The host the target describes (a live target's address, or a configuration copy's ``address:``):
    # what the drift stage pairs configuration with probes by. "" = not said.
    address: str = ""
    facts: Optional[PlatformFacts] = None
    failure: Optional[CollectionFailure] = None
    duration_s: float = 0.0
    collector: str = ""  # distributed mode: the site collector (worker node) that collected it
    # The business-associate register the scan judged PHI recipients against (vendors, hosts, BAA dates,
    # where the document is kept: no secret), so rescore judges the same; None: none was given (unknown).
    business_associates: Optional[list[dict[str, Any]]] = None
    # The local directory the facts' file names are relative to (a configuration copy read on this machine;
    # "" for live targets and SSH mirrors): SARIF gives it as the files' base URI.
    config_root: str = ""
    # The local directory host-side file names are relative to (host evidence, logrotate rules, the spool): the
    # --evidence folder, else the snapshot root holding etc/asterisk or etc/freeswitch; "" when neither. SARIF
    # gives it as the base of those files (etc/postfix/main.cf is not inside etc/asterisk).
    host_root: str = ""


class ProfileRef(Data, kw_only=True):
    id: str
    title: str
    version: str
    description: str = ""
    lineage: list[str] = []
    parameters: dict[str, Any] = {}


class Trend(Data, kw_only=True, omit_defaults=False):  # every key written: people's scripts read them
    """Since the previous scan of the same targets in the history store (voxaudit.history.Diff.summary)."""

    previous_scan: str = ""
    previous_score: Optional[float] = None
    score_delta: Optional[float] = None
    new: int = 0
    regressed: int = 0
    resolved: int = 0


class ScanDocument(Data, kw_only=True, omit_defaults=False):  # its header (tool, schema) always written
    scan_id: str
    started_at: str
    finished_at: str
    profile: ProfileRef
    targets: list[TargetRecord]
    checks: list[CheckMeta]
    results: list[Result]
    scores: ScoreCard
    schema_version: str = SCHEMA_VERSION
    tool: str = "voxaudit"
    tool_version: str = __version__
    safeguards: list[dict[str, Any]] = []  # the profile's safeguards as resolved
    waivers_source: Optional[str] = None
    warnings: list[str] = []
    # Change since the previous scan of these targets in the history store (schema 1.4):
    # previous_scan, previous_score, score_delta, new, regressed, resolved.
    trend: Optional[Trend] = None

    def meta(self) -> dict[str, CheckMeta]:
        return {m.id: m for m in self.checks}

    def replace(self, **changes: Any) -> "ScanDocument":
        """A copy with some fields changed (the portfolio's per-clinic documents)."""
        return msgspec.structs.replace(self, **changes)


class ScanFileError(Exception):
    pass


# Every part of a scan is a msgspec struct (check metadata, scores and waivers too): nothing needs a hook,
# but text of a str subclass (a credential reference a collector noted, auditor.targets.CredentialRef),
# which msgspec hands here. These say so clearly if a type msgspec cannot handle is ever put into a scan.
def _enc_hook(obj: Any) -> Any:
    if isinstance(obj, str):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} into a scan")


def _dec_hook(kind: type, obj: Any) -> Any:
    raise NotImplementedError(f"cannot read {kind!r} from a scan")


_ENCODER = msgspec.json.Encoder(enc_hook=_enc_hook)
_SCAN_DECODER = msgspec.json.Decoder(ScanDocument, dec_hook=_dec_hook)
_TARGET_DECODER = msgspec.json.Decoder(TargetRecord, dec_hook=_dec_hook)


def encode(obj: Any) -> bytes:
    """Machine data (a scan, a target record, facts) as compact JSON; defaults are left out."""
    return _ENCODER.encode(obj)


def dump_target(rec: TargetRecord) -> str:
    """A target record as compact JSON (the journal's and a worker's answer's line)."""
    return _ENCODER.encode(rec).decode()


def load_target(data: bytes | str) -> TargetRecord:
    """A target record from its JSON, checked field by field (raises msgspec.ValidationError)."""
    return _TARGET_DECODER.decode(data)


def target_from_builtins(data: Any) -> TargetRecord:
    """A target record from decoded JSON (a broker message), checked field by field."""
    return msgspec.convert(data, TargetRecord, dec_hook=_dec_hook)


def target_to_builtins(rec: TargetRecord) -> Any:
    return msgspec.to_builtins(rec, enc_hook=_enc_hook)


def dump_scan(doc: ScanDocument) -> str:
    """The scan document as compact JSON (what scan.json holds)."""
    return _ENCODER.encode(doc).decode()


_SLICE = 5000  # results, or a target's configuration objects, encoded at a time by write_scan
# Stands in for a target's objects while the rest of its record is encoded (see _write_target): random per
# process, so no value read from a configuration can be mistaken for it.
_OBJECTS_MARK = f"voxaudit-objects-{os.urandom(16).hex()}"
_OBJECTS_MARK_JSON = f'["{_OBJECTS_MARK}"]'.encode()


def _write_list(items: list[Any], out: BinaryIO) -> None:
    """A JSON array of ``items``, encoded _SLICE at a time (never one buffer for all of them)."""
    out.write(b"[")
    for j in range(0, len(items), _SLICE):
        if j:
            out.write(b",")
        out.write(memoryview(_ENCODER.encode(items[j:j + _SLICE]))[1:-1])  # no copy of the slice
    out.write(b"]")


def _write_target(rec: TargetRecord, out: BinaryIO) -> None:
    """One target record as :func:`encode` writes it, its configuration objects (nearly all of its bytes:
    24 MB at 10,000 extensions) in slices: the record is encoded with a marker in their place, and the
    objects are written where the marker stands."""
    objects = getattr(rec.facts, "objects", None)
    if rec.facts is None or not objects or len(objects) <= _SLICE:
        out.write(_ENCODER.encode(rec))
        return
    stand_in = msgspec.structs.replace(rec, facts=msgspec.structs.replace(rec.facts, objects=[_OBJECTS_MARK]))
    head = memoryview(_ENCODER.encode(stand_in))
    at = bytes(head).index(_OBJECTS_MARK_JSON)
    out.write(head[:at])
    _write_list(objects, out)
    out.write(head[at + len(_OBJECTS_MARK_JSON):])


def write_scan(doc: ScanDocument, out: BinaryIO) -> None:
    """The bytes of :func:`encode` (doc), written field by field: targets one at a time (a large one's
    objects in slices) and results in slices, so the whole document is never held as one buffer (at 50,000
    extensions it is 250 MB)."""
    out.write(b"{")
    for i, f in enumerate(msgspec.structs.fields(ScanDocument)):
        out.write(b',"' if i else b'"')
        out.write(f.encode_name.encode() + b'":')
        value = getattr(doc, f.name)
        if f.name == "targets":
            out.write(b"[")
            for j, rec in enumerate(value):
                if j:
                    out.write(b",")
                _write_target(rec, out)
            out.write(b"]")
        elif f.name == "results":
            _write_list(value, out)
        else:
            out.write(_ENCODER.encode(value))
    out.write(b"}")


def save_scan(doc: ScanDocument, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("wb") as out:
        write_scan(doc, out)
    tmp.replace(path)  # never leave a half-written scan behind


def load_scan(path: Path) -> ScanDocument:
    try:
        data = load_json(Path(path), "saved scan")
    except StructuredFileError as exc:
        raise ScanFileError(f"{exc}: was it written by 'voxaudit scan'?") from None
    if not isinstance(data, dict) or data.get("tool") != "voxaudit":
        raise ScanFileError(f"{path} is not a voxaudit scan document")
    version = str(data.get("schema_version", ""))
    if version.split(".")[0] not in READABLE_MAJORS:
        raise ScanFileError(f"{path} has scan schema {version}; this voxaudit reads "
                            f"{', '.join(m + '.x' for m in READABLE_MAJORS)}")
    try:
        return msgspec.convert(data, ScanDocument, strict=False, dec_hook=_dec_hook)
    except msgspec.ValidationError as exc:
        raise ScanFileError(f"{path}: invalid scan document{_where(exc)}") from None


def _where(exc: Exception) -> str:
    """Which field of a saved scan is wrong and how, without any value from the file (a value may be
    a hostile file's bait, or a secret pasted where it does not belong)."""
    message, _, loc = str(exc).partition(" - at `")
    message = re.sub(r"'[^']*'|`[^`]*`|\"[^\"]*\"", "a value", message)
    return f" at {loc.rstrip('`')}: {message}" if loc else f": {message}"
