"""The saved scan: one versioned JSON document with facts, results and scores.

Because it holds the facts (secret-free by construction) and the metadata of the
checks that ran, ``voxaudit report`` can re-render it and ``voxaudit rescore`` can
re-evaluate it against another profile or waivers file without the network and
without the check pack that produced it. Schema: reports/schema/scan-v2.json.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Union

from pydantic import BaseModel, Field, ValidationError
from typing_extensions import Annotated

from auditor import __version__
from auditor.check import CheckMeta
from auditor.facts.asterisk import AsteriskFacts
from auditor.facts.freeswitch import FreeSwitchFacts
from auditor.facts.kamailio import KamailioFacts, OpenSipsFacts
from auditor.facts.mdm import MdmFacts
from auditor.facts.network import PacketFacts, SipFacts, SnmpFacts, TlsEndpointFacts
from auditor.facts.phones import PhoneFacts
from auditor.facts.switches import SwitchFacts
from auditor.model import ErrorKind, Result
from auditor.scoring import ScoreCard
from auditor.structured import StructuredFileError, load_json

SCHEMA_VERSION = "2.0"  # 1.1: FreeSWITCH, Kamailio, phones; 1.2: switch, MDM, OpenSIPS; 1.3: SIP, TLS, packets, SNMP;
#                          1.4: trend since the previous scan; 1.5: which site collector collected a target;
#                          1.6: gaps (problem ``note``, ``content_lines``), dialplan ``via``, FreeSWITCH freeswitch.xml root;
#                          2.0: results of vendor-neutral controls (check_id is the control, ``alias`` the 1.x check its
#                               binding replaced; checks[].aliases); a 1.x scan still loads as it was written.
SCHEMA_MAJOR = SCHEMA_VERSION.split(".")[0]
READABLE_MAJORS = ("1", "2")

# One member per platform, told apart by its ``platform`` field.
PlatformFacts = Annotated[Union[AsteriskFacts, FreeSwitchFacts, KamailioFacts, OpenSipsFacts, PhoneFacts, SwitchFacts, MdmFacts,
                                   SipFacts, TlsEndpointFacts, PacketFacts, SnmpFacts], Field(discriminator="platform")]


class CollectionFailure(BaseModel):
    kind: ErrorKind
    reason: str


class TargetRecord(BaseModel):
    name: str
    platform: str
    clinic: str = ""
    site: str = ""
    source: str = ""  # where the facts came from (a path, or host:port); never credentials
    facts: Optional[PlatformFacts] = None
    failure: Optional[CollectionFailure] = None
    duration_s: float = 0.0
    collector: str = ""  # distributed mode: the site collector (worker node) that collected it


class ProfileRef(BaseModel):
    id: str
    title: str
    version: str
    description: str = ""
    lineage: list[str] = Field(default_factory=list)
    parameters: dict[str, Any] = Field(default_factory=dict)


class ScanDocument(BaseModel):
    schema_version: str = SCHEMA_VERSION
    tool: str = "voxaudit"
    tool_version: str = __version__
    scan_id: str
    started_at: str
    finished_at: str
    profile: ProfileRef
    safeguards: list[dict[str, Any]] = Field(default_factory=list)  # the profile's safeguards as resolved
    waivers_source: Optional[str] = None
    targets: list[TargetRecord]
    checks: list[CheckMeta]
    results: list[Result]
    scores: ScoreCard
    warnings: list[str] = Field(default_factory=list)
    # Change since the previous scan of these targets in the history store (schema 1.4):
    # previous_scan, previous_score, score_delta, new, regressed, resolved.
    trend: Optional[dict[str, Any]] = None

    def meta(self) -> dict[str, CheckMeta]:
        return {m.id: m for m in self.checks}


class ScanFileError(Exception):
    pass


def dump_target(rec: TargetRecord) -> str:
    """A target record as compact JSON. Its facts are dumped by their own class: through the
    ``PlatformFacts`` union pydantic takes five times as long (1.2 s against 0.23 s for 10,000
    extensions), which was most of a large scan's cost."""
    if rec.facts is None:
        return rec.model_dump_json()
    head = rec.model_dump_json(exclude={"facts"})
    return f'{head[:-1]},"facts":{rec.facts.model_dump_json()}}}'


def dump_scan(doc: ScanDocument) -> str:
    """The scan document as compact JSON (what scan.json holds), targets through :func:`dump_target`."""
    head = doc.model_dump_json(exclude={"targets"})
    targets = ",".join(dump_target(t) for t in doc.targets)
    return f'{head[:-1]},"targets":[{targets}]}}'


def save_scan(doc: ScanDocument, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(dump_scan(doc), encoding="utf-8")
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
        return ScanDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ScanFileError(f"{path}: invalid scan document at {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
