"""SARIF 2.1.0 that GitHub code scanning accepts, and that other SARIF consumers can resolve.

What GitHub's "SARIF support for code scanning" page requires or limits, and how it is met here
(tests/test_sarif.py asserts each one on the example clinic and on a large synthetic scan):

* every result has a location with ``physicalLocation.artifactLocation.uri`` and a region: the
  file and line a result was read from; for a result read from no line (a setting missing from a
  file), the file its resource names, else the file the control's other results on the target came
  from, else the file that should hold it (one of the control's ``sources`` present on that target),
  else the target's main file, else its root;
* URIs are relative, each with the ``uriBaseId`` of its target, and ``originalUriBaseIds``
  describes every target's configuration root (its ``file://`` URI where the scan recorded one); files
  named from the host rather than the configuration (host evidence such as etc/postfix/main.cf, logrotate
  rules) have the target's host base (``HOST:<target>``, the snapshot root or --evidence folder), and a
  configuration root names the file it was read from (FreeSWITCH's autoload_configs/modules.conf.xml), so
  every location resolves to a file on disk, or to the file a missing setting belongs in;
* every result has ``partialFingerprints``, including ``primaryLocationLineHash``, computed from
  the finding's identity (target, control, resource) and never from a configuration line, so an
  alert survives lines moving and no hash of a line that may hold a secret leaves the machine;
* rules have ``shortDescription``/``fullDescription``/``help`` text within 1,024 characters, a
  name within 255, at most 10 tags (GitHub keeps only 10), ``security-severity`` in (0, 10]
  (none for "info": GitHub reads 0.0 as no security severity), a ``helpUri`` to the control's page;
* at most 25,000 results in the one run (GitHub rejects more); beyond that the most severe are kept
  and a notification says how many were left out.

Collection failures, controls not assessed and parts of a configuration not understood are
``invocations[0].toolExecutionNotifications``; ``executionSuccessful`` is false when a target or
part of one could not be collected, or a check raised. The same scan always gives the same bytes.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Optional
from urllib.parse import quote

from voxaudit import __version__
from voxaudit.check import CheckMeta
from voxaudit.model import ErrorKind, Result, SourceRef
from voxaudit.reports.escaping import json_safe, md_text
from voxaudit.reports.links import PROJECT_URL, control_doc_url
from voxaudit.scan import ScanDocument, TargetRecord

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
# GitHub: over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low; 0.0 is "no security severity".
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}

# GitHub code scanning's documented limits (docs: "SARIF support for code scanning").
MAX_RESULTS_PER_RUN = 25_000
MAX_RULES_PER_RUN = 25_000
MAX_RUNS_PER_FILE = 20
MAX_LOCATIONS_PER_RESULT = 10  # the result object's table; only the first is used
MAX_TAGS_PER_RULE = 10  # 20 accepted, only 10 kept
MAX_DESCRIPTION_CHARS = 1024  # shortDescription.text, fullDescription.text
MAX_RULE_NAME_CHARS = 255
MAX_GZIP_BYTES = 10 * 1024 * 1024

# A part of a target that could not be collected, or a check that raised: the run did not complete.
RUN_FAILURE_KINDS = frozenset({ErrorKind.CONNECTIVITY, ErrorKind.AUTH, ErrorKind.TIMEOUT, ErrorKind.BUG})
# Evidence that an offline scan does not have (spool statistics, logrotate) or cannot decide: a warning.
NOTICE_KINDS = frozenset({ErrorKind.NOT_COLLECTED})

# Notification descriptors (tool.driver.notifications), referenced by index from each notification.
NOTIFICATIONS = (
    ("target-not-collected", "A target could not be collected; none of its controls was assessed"),
    ("control-not-assessed", "A control could not be assessed on a target"),
    ("configuration-not-understood", "Part of a configuration was present but not understood; "
                                     "controls reading it are not assessed"),
    ("note", "Something the platform itself ignores harmlessly (for example an optional include that is missing)"),
    ("results-left-out", "Results beyond GitHub code scanning's limit per run were left out; scan.json has them all"),
)
_NOTE = {nid: i for i, (nid, _) in enumerate(NOTIFICATIONS)}
TARGET_ROOT = "."  # the uri of a target's own root, relative to its uriBaseId


@dataclass(frozen=True)
class _Target:
    """What locating a result on one target needs: its URI base and its configuration files."""

    base: str
    roots: dict[str, bool]  # config root (file name relative to the target's root) -> found
    main: str  # the target's main file (its first configuration file read), or its root
    read_from: dict[str, str]  # control -> the file its other results on this target were read from
    files_of: Optional[dict[str, str]] = None  # config root -> the file it was read from first (FreeSWITCH's
    # modules.conf.xml is autoload_configs/modules.conf.xml, or freeswitch.xml when written inline)
    host_base: str = ""  # the uriBaseId of host-side files (evidence, logrotate), when the scan recorded their root
    config_files: frozenset[str] = frozenset()  # every configuration file read: these stay on ``base``

    def base_of(self, path: str) -> str:
        """A file read from the configuration is on the target's base; any other file (host evidence, a logrotate
        rule, named from the snapshot's root) is on the host base when there is one."""
        return self.host_base if self.host_base and path not in self.config_files else self.base


def uri_base_id(target: str) -> str:
    """The uriBaseId of a target's configuration root (one per target: two clinics both have voicemail.conf)."""
    return f"TARGET:{target}"


def host_base_id(target: str) -> str:
    """The uriBaseId of the directory a target's host-side files are named from (TargetRecord.host_root)."""
    return f"HOST:{target}"


def _targets(doc: ScanDocument) -> dict[str, _Target]:
    read_from: dict[str, dict[str, str]] = {}
    for r in doc.results:
        if r.location is not None and r.location.file:
            read_from.setdefault(r.target, {}).setdefault(r.check_id, r.location.file)
    out = {}
    for t in doc.targets:
        configs = t.facts.configs if t.facts is not None else {}
        roots = {name: cf.found for name, cf in configs.items()}
        main = next((name for name, found in roots.items() if found), next(iter(roots), TARGET_ROOT))
        host = getattr(t.facts, "host", None)  # host evidence is a fact source too: its files are not configuration
        files = frozenset(f for cf in configs.values() for f in cf.files or ()) - set(getattr(host, "files", None) or ())
        # a root read from no file of its own (Kamailio's routing logic, in kamailio.cfg) is in the main file
        first = {name: cf.files[0] for name, cf in configs.items() if cf.found and cf.files}
        files_of = {name: first.get(name, first.get(main, main)) for name, cf in configs.items() if cf.found}
        out[t.name] = _Target(base=uri_base_id(t.name), roots=roots, main=files_of.get(main, main),
                              read_from=read_from.get(t.name, {}), files_of=files_of,
                              host_base=host_base_id(t.name) if _root_uri(t, "host_root") else "", config_files=files)
    return out


def config_root_uri(t: TargetRecord) -> Optional[str]:
    """The ``file://`` URI (ending in '/') of the directory a target's file names are relative to, when
    the scan recorded it as an absolute local path (``TargetRecord.config_root``; read with getattr, as
    scans written before that field have none); None for live targets and for scans without it: their
    base is described, never guessed from ``source`` (an Asterisk snapshot's files are relative to its
    etc/asterisk, not to the directory given)."""
    return _root_uri(t, "config_root")


def _root_uri(t: TargetRecord, field: str) -> Optional[str]:
    root = str(getattr(t, field, "") or "")
    if not root.startswith("/"):
        return None
    return "file://" + quote(root.rstrip("/") + "/")


def setting_file(resource: str, meta: Optional[CheckMeta], t: _Target) -> str:
    """The file a result read from no line belongs to: the file its resource names; else the file the
    control's other results on this target came from; else the control's source present on this target
    (one that was found first: the file that should hold the setting); else the target's main file."""
    files_of = t.files_of or {}
    for name in (resource, resource.rsplit(" ", 1)[-1]):
        if name in t.roots:
            return files_of.get(name, name)
    if meta is not None and meta.id in t.read_from:
        return t.read_from[meta.id]
    sources = meta.sources if meta is not None else []
    found = next((s for s in sources if t.roots.get(s)), None)
    return files_of.get(found, found) if found else next((s for s in sources if s in t.roots), t.main)


def _uri(path: str, base: str) -> dict[str, str]:
    """An artifactLocation: relative to the target's base, or an absolute file URI for an absolute path."""
    path = json_safe(path).replace("\\", "/")  # no lone surrogate reaches quote()
    if path.startswith("/"):
        return {"uri": "file://" + quote(str(PurePosixPath(path)))}
    return {"uri": quote(path) or TARGET_ROOT, "uriBaseId": base}


def location(target: str, resource: str, loc: Optional[SourceRef], meta: Optional[CheckMeta],
             t: Optional[_Target]) -> dict[str, Any]:
    """One SARIF location: where a result was read, or where its setting belongs. GitHub lists startLine,
    startColumn, endLine and endColumn: voxaudit knows lines, so the region is the line's first character."""
    if t is None:
        t = _Target(base=uri_base_id(target), roots={}, main=TARGET_ROOT, read_from={})
    path = loc.file if loc is not None and loc.file else setting_file(resource, meta, t)
    line = loc.line if loc is not None and loc.line > 0 else 1
    return {
        "physicalLocation": {
            "artifactLocation": _uri(path, t.base_of(path)),
            "region": {"startLine": line, "startColumn": 1, "endLine": line, "endColumn": 2},
        },
        "logicalLocations": [{"name": json_safe(resource), "fullyQualifiedName": json_safe(f"{target}/{resource}"),
                              "kind": "resource"}],
    }


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _rule(c: CheckMeta) -> dict[str, Any]:
    url = control_doc_url(c.id)
    fixes = "\n".join(f"{k}: {v}" for k, v in c.remediation.items())
    markdown = [f"**{md_text(c.title)}** ({c.severity.value}; HIPAA {md_text(', '.join(c.hipaa))})", md_text(c.rationale)]
    markdown += [f"**{md_text(k)}**: {md_text(v)}" for k, v in c.remediation.items()]
    markdown.append(f"[{c.id} on the voxaudit site]({url})")
    tags = ["security", "hipaa", c.area] + [f"HIPAA-{h}" for h in c.hipaa]
    props: dict[str, Any] = {"tags": tags[:MAX_TAGS_PER_RULE], "precision": "high"}
    if c.severity.value in SECURITY_SEVERITY:
        props["security-severity"] = SECURITY_SEVERITY[c.severity.value]
    name = "".join(w.capitalize() for w in c.title.replace("/", " ").split() if w.isalnum()) or c.id
    return {
        "id": c.id,
        "name": _cap(name, MAX_RULE_NAME_CHARS),
        "shortDescription": {"text": _cap(json_safe(c.title) or c.id, MAX_DESCRIPTION_CHARS)},
        "fullDescription": {"text": _cap(json_safe(c.rationale or c.title) or c.id, MAX_DESCRIPTION_CHARS)},
        "helpUri": url,
        "help": {"text": json_safe(f"{c.title}\n{fixes}\nSee {url}"), "markdown": json_safe("\n\n".join(markdown))},
        "defaultConfiguration": {"level": SARIF_LEVEL[c.severity.value]},
        "properties": props,
    }


def fingerprint(target: str, check_id: str, resource: str) -> str:
    """A finding's identity, hashed: GitHub matches alerts across commits on primaryLocationLineHash."""
    return hashlib.sha256(f"{target}\0{check_id}\0{resource}".encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _kept(results: list[Result], meta: dict[str, CheckMeta]) -> tuple[list[Result], int]:
    """FAIL and WAIVED results in a stable order; the most severe MAX_RESULTS_PER_RUN when there are more."""
    shown = [r for r in results if r.effective_status in ("FAIL", "WAIVED") and r.check_id in meta]
    left_out = 0
    if len(shown) > MAX_RESULTS_PER_RUN:
        by_severity = sorted(range(len(shown)), key=lambda i: -meta[shown[i].check_id].severity.rank)
        keep = set(by_severity[:MAX_RESULTS_PER_RUN])
        left_out = len(shown) - len(keep)
        shown = [r for i, r in enumerate(shown) if i in keep]
    shown.sort(key=lambda r: (r.target, r.check_id))  # stable: resources keep the scan's order
    return shown, left_out


def _result(r: Result, c: CheckMeta, index: int, t: Optional[_Target], occurrence: int) -> dict[str, Any]:
    res: dict[str, Any] = {
        "ruleId": r.check_id, "ruleIndex": index, "level": SARIF_LEVEL[c.severity.value],
        "message": {"text": json_safe(f"[{r.target}] {r.resource}: {r.evidence or c.title}")},
        "locations": [location(r.target, r.resource, r.location, c, t)],
        "partialFingerprints": {
            "primaryLocationLineHash": f"{fingerprint(r.target, r.check_id, r.resource)}:{occurrence}",
            "voxaudit/v1": json_safe(f"{r.target}|{r.check_id}|{r.resource}"),
        },
        "properties": {"target": json_safe(r.target), "resource": json_safe(r.resource),
                       "fix": [json_safe(f) for f in r.fix]},
    }
    if r.alias:
        res["properties"]["alias"] = r.alias
    if r.waiver is not None:
        res["suppressions"] = [{"kind": "external", "status": "accepted", "justification": json_safe(
            f"{r.waiver.reason} (owner {r.waiver.owner}, expires {r.waiver.expires})")}]
    return res


def _notification(level: str, descriptor: str, text: str, locations: Optional[list[dict[str, Any]]] = None,
                  rule: Optional[tuple[str, int]] = None, **props: str) -> dict[str, Any]:
    n: dict[str, Any] = {"level": level, "message": {"text": json_safe(text)},
                         "descriptor": {"id": descriptor, "index": _NOTE[descriptor]}}
    if locations:
        n["locations"] = locations
    if rule is not None:
        n["associatedRule"] = {"id": rule[0], "index": rule[1]}
    if props:
        n["properties"] = {k: json_safe(v) for k, v in props.items()}
    return n


def _warning_location(warning: str, targets: dict[str, _Target]) -> tuple[str, str, Optional[dict[str, Any]]]:
    """(target, message, location) of a saved warning "target: file[:line]: message"."""
    target, _, rest = warning.partition(": ")
    where, _, message = rest.partition(": ")
    t = targets.get(target)
    if t is None or not message:
        return target, warning, None
    path, _, line = where.rpartition(":")
    if not (path and line.isdigit()):
        path, line = where, "0"
    return target, message, location(target, path, SourceRef(file=path, line=int(line)), None, t)


def notifications(doc: ScanDocument, targets: dict[str, _Target], index: dict[str, int],
                  meta: dict[str, CheckMeta], left_out: int) -> tuple[list[dict[str, Any]], bool]:
    """Every part of the run that did not complete, and whether the run as a whole did."""
    out = []
    ok = True
    failed = set()
    for t in doc.targets:
        if t.failure is None:
            continue
        failed.add(t.name)
        ok = False
        base = targets[t.name]
        out.append(_notification(
            "error", "target-not-collected",
            f"{t.name}: not collected ({t.failure.kind.value}): {t.failure.reason}; none of its controls was assessed",
            [{"physicalLocation": {"artifactLocation": {"uri": TARGET_ROOT, "uriBaseId": base.base}}}],
            target=t.name, errorKind=t.failure.kind.value))
    for r in doc.results:
        if r.status.value != "ERROR" or r.target in failed:
            continue
        kind = r.error_kind or ErrorKind.BUG
        if kind in RUN_FAILURE_KINDS:
            ok = False
        level = "warning" if kind in NOTICE_KINDS else "error"
        rule = (r.check_id, index[r.check_id]) if r.check_id in index else None
        out.append(_notification(
            level, "control-not-assessed", f"{r.check_id} not assessed on {r.target}: {r.resource}: {r.evidence}",
            [location(r.target, r.resource, r.location, meta.get(r.check_id), targets.get(r.target))], rule,
            target=r.target, resource=r.resource, errorKind=kind.value))
    for w in doc.warnings:
        target, message, loc = _warning_location(w, targets)
        note = message.startswith("note: ")
        out.append(_notification("note" if note else "warning", "note" if note else "configuration-not-understood",
                                 w, [loc] if loc else None, target=target))
    if left_out:
        out.append(_notification("warning", "results-left-out",
                                 f"{left_out} lower-severity results are left out: GitHub code scanning rejects a run "
                                 f"with more than {MAX_RESULTS_PER_RUN} results; scan.json and the other reports have "
                                 "them all"))
    return out, ok


def _utc(stamp: str) -> str:
    """SARIF wants UTC times written with 'Z'."""
    return stamp[:-6] + "Z" if stamp.endswith("+00:00") else stamp


def build_sarif(doc: ScanDocument) -> dict[str, Any]:
    """The SARIF log of one scan, as data."""
    checks = sorted(doc.checks, key=lambda c: c.id)
    index = {c.id: i for i, c in enumerate(checks)}
    meta = {c.id: c for c in checks}
    targets = _targets(doc)
    shown, left_out = _kept(doc.results, meta)
    seen: dict[tuple[str, str, str], int] = {}
    results = []
    for r in shown:
        key = (r.target, r.check_id, r.resource)
        seen[key] = seen.get(key, 0) + 1
        results.append(_result(r, meta[r.check_id], index[r.check_id], targets.get(r.target), seen[key]))
    notes, ok = notifications(doc, targets, index, meta, left_out)
    bases: dict[str, Any] = {}
    for t in doc.targets:
        described = {"text": json_safe(f"configuration root of target {t.name} ({t.platform}), read from {t.source}"
                                       if t.source else f"configuration root of target {t.name} ({t.platform})")}
        uri = config_root_uri(t)
        bases[targets[t.name].base] = {"uri": uri, "description": described} if uri else {"description": described}
        host = _root_uri(t, "host_root")
        if host and targets[t.name].host_base:
            bases[targets[t.name].host_base] = {"uri": host, "description": {"text": json_safe(
                f"the host of target {t.name} ({t.platform}): evidence files, logrotate rules and the spool are named "
                f"from this folder")}}
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "voxaudit", "version": __version__, "semanticVersion": __version__,
                "informationUri": PROJECT_URL, "rules": [_rule(c) for c in checks],
                "notifications": [{"id": nid, "shortDescription": {"text": text}} for nid, text in NOTIFICATIONS],
            }},
            "automationDetails": {"id": f"voxaudit/{doc.profile.id}/{doc.scan_id}"},
            "originalUriBaseIds": bases,
            "columnKind": "utf16CodeUnits",
            "results": results,
            "invocations": [{"executionSuccessful": ok, "startTimeUtc": _utc(doc.started_at),
                             "endTimeUtc": _utc(doc.finished_at), "toolExecutionNotifications": notes}],
            "properties": {"profile": doc.profile.id, "scanId": doc.scan_id, "score": doc.scores.overall,
                           "coverage": doc.scores.coverage},
        }],
    }


def render_sarif_doc(doc: ScanDocument) -> str:
    """results.sarif: indented, keys in a fixed order, so the same scan gives the same bytes."""
    return json.dumps(build_sarif(doc), indent=2) + "\n"
