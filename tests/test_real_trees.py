"""Real configuration trees from public deployments, audited end to end against hand-written findings.

Each ``tests/real_trees/<tree>/`` holds configuration files exactly as their authors published them
(``PROVENANCE.md``: repository, paths, commit, license, what the deployment is) and an
``EXPECTED.yaml`` written by reading those files as a HIPAA VoIP auditor would, from the check
definitions and not from voxaudit's output. The scan runs the real path (the ``voxaudit scan`` CLI in
a subprocess) and is held to:

* every expected FAIL is found as FAIL, every expected PASS is PASS (and not also FAIL), every
  expected ERROR is ERROR, and nothing is reported for an ``absent`` resource (templates are not objects);
* no check is NOT_APPLICABLE while a configuration root it reads is present with content, unless the
  tree truly has none of that object (``not_applicable_ok``, with the reason);
* the warnings name the parts voxaudit cannot read (``warnings``);
* the scan exits 0 or 1 (never 2, 3 or 4), and no secret value from the tree's files (passwords, SIP
  secrets, PINs, communities, database passwords) appears in ``scan.json`` or ``report.md``.

A failure prints a table of every tree (expected, found, missed) and the misses of the tree at hand,
so the same test tells which reader still drops what.

``EXPECTED.yaml`` keys: ``platform``, ``config_dir`` (relative to the tree folder), optional
``empty_spool`` (scan with an empty ``--spool-dir``), ``findings`` (``{check, resource, status: FAIL}``,
``resource`` a substring of the result's resource, or ``=name`` for the whole resource), ``pass``, ``errors`` (``{check, resource?,
evidence?}``), ``absent``, ``not_applicable_ok`` (check id: reason) and ``warnings`` (substrings).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from voxaudit.registry import load_registry

TREES_DIR = Path(__file__).resolve().parent / "real_trees"
TREES = sorted(p.parent for p in TREES_DIR.glob("*/EXPECTED.yaml"))
# The installed console script (the real entry point); the module itself when it is not beside python.
_SCRIPT = Path(sys.executable).with_name("voxaudit")
VOXAUDIT = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "voxaudit.cli"]
SCAN_TIMEOUT_S = 60
# Platforms whose configuration is a set of independent files: a check's source ("provisioning",
# "running-config") is any of them. OpenSIPS facts keep opensips.cfg under its own name.
ANY_FILE_SOURCE = {"phone", "switch", "mdm", "opensips"}
# scan.json parts that are the tool's own text (check rationales quote sample PINs such as 0000),
# never anything taken from the configuration.
OWN_PARTS = {"scan_id", "started_at", "finished_at", "tool", "tool_version", "schema_version",
             "checks", "profile", "safeguards"}
# Sources that decide whether something runs but hold none of the objects a check judges: their
# content alone does not make a NOT_APPLICABLE suspicious (modules.conf without sip.conf: no chan_sip).
AUXILIARY_SOURCES = {"modules.conf", "modules.conf.xml", "acl.conf.xml", "tls.cfg"}


# -- secrets written in the tree files (collected here, independently of the product) ------------

_KEYWORDS = r"(?:secret|password|passwd|vmsecret|md5secret|remotesecret|pincode|vm-password|community)"
_INI_RE = re.compile(rf"^\s*[\w.\-/]*{_KEYWORDS}\s*(?:=>|=)\s*(.*)$", re.IGNORECASE)
_XML_PARAM_RE = re.compile(r'name="([^"]*)"\s+value="([^"]*)"', re.IGNORECASE)
_XML_SET_RE = re.compile(r'cmd="set"\s+data="([\w.\-]*(?:password|secret)[\w.\-]*)=([^"]*)"', re.IGNORECASE)
_URL_CRED_RE = re.compile(r"[a-z][a-z0-9+.\-]*://[^:@/\s\"']+:([^@/\s\"']+)@", re.IGNORECASE)
_REGISTER_RE = re.compile(r"^\s*register\s*=>\s*[^:@\s]+:([^@:\s/]+)[@:]", re.IGNORECASE)
# ProCurve's "password manager|operator|port-access|all" (a line of its own) names which password is set, no value.
_IOS_RE = re.compile(r"^\s*(?:enable\s+)?(?:password|secret)\s+(?!(?:manager|operator|port-access|all)\s*$)"
                     r"(?:\d\s+)?(\S+)\s*$"
                     r"|^\s*username\s+\S+\s+(?:.*\s)?(?:password|secret)\s+(?:\d\s+)?(\S+)"
                     r"|^\s*snmp-server\s+community\s+\"?([^\s\"]+)", re.IGNORECASE)
_MAILBOX_RE = re.compile(r"^\s*[\w*#+\-]+\s*=>?\s*-?([^,;\s]+)\s*,")
_NOT_SECRET_SECTIONS = {"general", "zonemessages"}


def _strip_comment(line: str) -> str:
    """Asterisk-style ``;`` comments (``\\;`` is a literal semicolon)."""
    return re.split(r"(?<!\\);", line, maxsplit=1)[0]


# Values a key named like a secret may hold that are switches, not secrets (db-password-override=false).
_NOT_SECRET_VALUES = {"true", "false", "yes", "no", "none", "%null%"}


def _file_secrets(path: Path) -> Iterator[str]:
    for value in _raw_file_secrets(path):
        if value.strip().strip("'\"").lower() not in _NOT_SECRET_VALUES:
            yield value


def _raw_file_secrets(path: Path) -> Iterator[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    section = ""
    voicemail_like = path.name.startswith(("voicemail", "minivm"))
    for raw in text.splitlines():
        line = _strip_comment(raw) if path.suffix in {".conf", ".ael", ""} else raw
        if m := re.match(r"^\s*\[([^\]]+)\]", line):
            section = m.group(1).lower()
            continue
        if m := _INI_RE.match(line):
            value = m.group(1).strip().strip('"')
            yield value.split(":", 1)[1] if "user_password" in line.lower() and ":" in value else value
        if m := _REGISTER_RE.match(line):
            yield m.group(1)
        if voicemail_like and section not in _NOT_SECRET_SECTIONS and (m := _MAILBOX_RE.match(line)):
            yield m.group(1)
        for m in _XML_PARAM_RE.finditer(raw):
            if re.search(r"password|secret|passwd|pin$", m.group(1), re.IGNORECASE):
                yield m.group(2)
        for m in _XML_SET_RE.finditer(raw):
            yield m.group(2)
        for m in _URL_CRED_RE.finditer(line):
            yield m.group(1)
        if path.suffix in {".conf", ".cfg", ".txt"} and (m := _IOS_RE.match(raw)):
            yield next(g for g in m.groups() if g)


def _token_re(value: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])")


def tree_secrets(conf: Path) -> set[str]:
    """Secret values written in the tree that are not also public: a value that appears elsewhere in
    the files (a PIN equal to its mailbox number, a password equal to its user name) is already in
    the clear as the identity, so it is not evidence of a leak. Variables and blanks are skipped."""
    files = [p for p in sorted(conf.rglob("*")) if p.is_file()]
    counts: dict[str, int] = {}
    for p in files:
        for value in _file_secrets(p):
            value = value.strip().strip("'\"")
            if len(value) < 4 or "$" in value or value in {"%NULL%", "none", "yes", "no"}:
                continue
            counts[value] = counts.get(value, 0) + 1
    corpus = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files)
    return {v for v, n in counts.items() if len(_token_re(v).findall(corpus)) <= n}


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield k
            yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)
    elif isinstance(node, str):
        yield node


def _squash(text: str) -> str:
    return re.sub(r"[\s*_`|>#]+", " ", text)


def leaked(pattern: re.Pattern[str], text: str, own_text: str) -> bool:
    """Does the value occur in ``text`` other than inside the tool's own wording (a report renders
    check rationales, which may quote the same string)?"""
    own = _squash(own_text)
    for m in pattern.finditer(text):
        left = _squash(text[max(0, m.start() - 24):m.end()]).strip()
        right = _squash(text[m.start():m.end() + 24]).strip()
        if left not in own and right not in own:
            return True
    return False


# -- one scan per tree, judged against EXPECTED.yaml ----------------------------------------------

@dataclass
class Verdict:
    name: str
    expected: int = 0
    found: int = 0
    missed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # not findings: exit code, NA, leaks, absent

    @property
    def ok(self) -> bool:
        return not self.missed and not self.problems


def _match(results: list[dict], check: str, resource: str | None, status: str | None = None,
           evidence: str | None = None) -> list[dict]:
    """Results of ``check`` whose resource contains ``resource`` (or equals it, written ``=name``)."""
    exact = resource is not None and resource.startswith("=")
    return [r for r in results if (r.get("alias") or r["check_id"]) == check
            and (resource is None or (r["resource"] == resource[1:] if exact else resource in r["resource"]))
            and (status is None or r["status"] == status)
            and (evidence is None or evidence in (r.get("evidence") or ""))]


def _seen(results: list[dict], check: str, resource: str | None) -> str:
    got = sorted({f"{r['status']} '{r['resource']}'" for r in _match(results, check, resource)})
    return ", ".join(got) or "no result"


def audit_tree(tree: Path, out: Path) -> Verdict:
    exp = yaml.safe_load((tree / "EXPECTED.yaml").read_text(encoding="utf-8"))
    v = Verdict(tree.name)
    conf = tree / exp["config_dir"]
    cmd = [*VOXAUDIT, "scan", "--config-dir", str(conf), "--platform", exp["platform"],
           "--name", tree.name, "--format", "json,md", "-o", str(out / "report"), "--no-history", "-q"]
    if exp.get("empty_spool"):
        spool = out / "spool"
        spool.mkdir()
        cmd += ["--spool-dir", str(spool)]
    env = {**os.environ, "HOME": str(out), "VOXAUDIT_HISTORY": str(out / "history.sqlite")}
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=SCAN_TIMEOUT_S, env=env)
    if proc.returncode not in (0, 1, 3) or not (out / "report" / "scan.json").exists():
        v.problems.append(f"exit code {proc.returncode} (want 0, 1, or 3 when nothing could be audited): "
                          f"{proc.stderr.strip()[-300:]}")
        v.expected = sum(len(exp.get(k) or []) for k in ("findings", "pass", "errors"))
        v.missed.append("no scan")
        return v
    scan_text = (out / "report" / "scan.json").read_text(encoding="utf-8")
    doc = json.loads(scan_text)
    target = next(t for t in doc["targets"] if t["name"] == tree.name)
    results = [r for r in doc["results"] if r["target"] == tree.name]
    # exit 3 exactly when nothing could be audited: no result assessed, and errors (README, Exit codes)
    nothing = not any(r["status"] in ("PASS", "FAIL", "WAIVED") for r in results) and any(
        r["status"] == "ERROR" for r in results)
    if (proc.returncode == 3) != nothing:
        v.problems.append(f"exit code {proc.returncode}, but {'nothing' if nothing else 'something'} could be audited")
    if target.get("failure"):
        v.problems.append(f"collection failed: {target['failure']}")

    for item in exp.get("findings") or []:
        v.expected += 1
        if _match(results, item["check"], item.get("resource"), item.get("status", "FAIL")):
            v.found += 1
        else:
            v.missed.append(f"{item['check']} {item.get('status', 'FAIL')} on '{item.get('resource')}': "
                            f"got {_seen(results, item['check'], item.get('resource'))}")
    for item in exp.get("pass") or []:
        v.expected += 1
        hit = _match(results, item["check"], item.get("resource"), "PASS")
        failed = _match(results, item["check"], item.get("resource"), "FAIL")
        if hit and not failed:
            v.found += 1
        else:
            v.missed.append(f"{item['check']} PASS on '{item.get('resource')}': "
                            f"got {_seen(results, item['check'], item.get('resource'))}")
    for item in exp.get("errors") or []:
        v.expected += 1
        if _match(results, item["check"], item.get("resource"), "ERROR", item.get("evidence")):
            v.found += 1
        else:
            v.missed.append(f"{item['check']} ERROR on '{item.get('resource')}'"
                            f"{' (' + item['evidence'] + ')' if item.get('evidence') else ''}: "
                            f"got {_seen(results, item['check'], item.get('resource'))}")
    for item in exp.get("absent") or []:
        if hit := _match(results, item["check"], item["resource"]):
            v.problems.append(f"{item['check']} reports '{hit[0]['resource']}', which is not an object")

    # NOT_APPLICABLE only where the tree truly has none of the object. The files that matter are
    # those of the binding that produced the result (a control's pjsip binding says nothing about
    # whether its chan_sip binding had anything to read).
    registry = load_registry()

    def binding_sources(r: dict) -> list[str]:
        rule = registry.get(r.get("alias") or r["check_id"])
        return [s for p in (rule.parts(target["platform"]) if rule else []) for s in p.sources]

    # an object judged by another control was read: its NA here is "this requirement does not
    # apply to it" (e.g. SRTP-mandatory on a line with no SRTP at all), not silence
    judged = {r["resource"] for r in results if r["status"] in {"PASS", "FAIL"}}
    configs = (target.get("facts") or {}).get("configs") or {}
    with_content = {k for k, cf in configs.items() if cf.get("found") and cf.get("content_lines")}
    allowed = exp.get("not_applicable_ok") or {}
    # A NOT_APPLICABLE beside an ERROR of the same check is not silent: the unread part is reported
    # and lowers coverage (the tree's warnings then name it).
    visible = {(r.get("alias") or r["check_id"]) for r in results if r["status"] == "ERROR"}
    for r in results:
        if r["status"] != "NOT_APPLICABLE" or {r.get("alias"), r["check_id"]} & (set(allowed) | visible):
            continue
        if r["resource"] in judged:
            continue
        read = [s for s in binding_sources(r) if s not in AUXILIARY_SOURCES and s in with_content
                or (s not in configs and exp["platform"] in ANY_FILE_SOURCE and with_content)]
        if read:
            v.problems.append(f"{r['check_id']} NOT_APPLICABLE on '{r['resource']}' ({r['evidence']}) "
                              f"although {', '.join(read)} is present with content")

    warnings = doc.get("warnings") or []
    for want in exp.get("warnings") or []:
        v.expected += 1
        if any(want in w for w in warnings):
            v.found += 1
        else:
            v.missed.append(f"warning containing '{want}': not among {len(warnings)} warning(s)")

    report = (out / "report" / "report.md").read_text(encoding="utf-8")
    own_text = "\n".join(_strings({k: v for k, v in doc.items() if k in OWN_PARTS}))
    json_strings = "\n".join(_strings({k: v for k, v in doc.items() if k not in OWN_PARTS}))
    for secret in sorted(tree_secrets(conf)):
        pattern = _token_re(secret)
        for where, text in (("scan.json", json_strings), ("report.md", report)):
            if leaked(pattern, text, own_text):
                v.problems.append(f"a secret value from the tree ({len(secret)} characters, "
                                  f"starting '{secret[:1]}') appears in {where}")
    return v


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Verdict]:
    base = tmp_path_factory.mktemp("real_trees")
    out: dict[str, Verdict] = {}
    for tree in TREES:
        work = base / tree.name
        work.mkdir()
        out[tree.name] = audit_tree(tree, work)
    return out


def table(verdicts: dict[str, Verdict]) -> str:
    rows = [f"{'tree':34} {'expected':>8} {'found':>6} {'missed':>6} {'other':>6}"]
    for v in verdicts.values():
        rows.append(f"{v.name:34} {v.expected:8d} {v.found:6d} {len(v.missed):6d} {len(v.problems):6d}")
    total_e = sum(v.expected for v in verdicts.values())
    total_f = sum(v.found for v in verdicts.values())
    rows.append(f"{'all trees':34} {total_e:8d} {total_f:6d} {total_e - total_f:6d}"
                f" {sum(len(v.problems) for v in verdicts.values()):6d}")
    return "\n".join(rows)


def test_trees_are_present() -> None:
    """The suite is only evidence if the trees are there, each with its provenance."""
    assert len(TREES) >= 8
    for tree in TREES:
        assert (tree / "PROVENANCE.md").is_file(), tree.name
        exp = yaml.safe_load((tree / "EXPECTED.yaml").read_text(encoding="utf-8"))
        assert (tree / exp["config_dir"]).exists(), tree.name
        # a tree the platform itself refuses (every check ERROR, with the reason) expects errors instead
        assert exp.get("findings") or exp.get("errors"), f"{tree.name}: no expected finding"


@pytest.mark.parametrize("tree", [t.name for t in TREES])
def test_real_tree(tree: str, verdicts: dict[str, Verdict]) -> None:
    v = verdicts[tree]
    if not v.ok:
        detail = "\n".join([f"  missed: {m}" for m in v.missed] + [f"  problem: {p}" for p in v.problems])
        pytest.fail(f"{tree}: {v.found}/{v.expected} expected results found\n{detail}\n\n{table(verdicts)}",
                    pytrace=False)


def test_secret_collector_sees_the_tree_secrets() -> None:
    """The leak check is only as good as its collector: it must find the secrets written in the trees
    (a collector that finds nothing would make every leak assertion pass vacuously)."""
    found = {tree.name: tree_secrets(tree / yaml.safe_load(
        (tree / "EXPECTED.yaml").read_text(encoding="utf-8"))["config_dir"]) for tree in TREES}
    with_secrets = [name for name, values in found.items() if values]
    assert len(with_secrets) >= len(TREES) // 2, found


def test_leak_detector_can_fail(tmp_path: Path) -> None:
    """The secret collector finds a password written in a tree (and not one that is also the public
    identity), and the leak search flags it in report text but not inside the tool's own wording."""
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "sip.conf").write_text("[general]\n[alice]\nsecret=alice\n[bob]\nsecret=Canary-S3cr3t-9f2 ; x\n"
                                   ";register => tls://u:commented-out@host\n", encoding="utf-8")
    (conf / "voicemail.conf").write_text("[general]\nattach=no\n[default]\n100 => 48213,Bob,b@x\n", encoding="utf-8")
    assert tree_secrets(conf) == {"Canary-S3cr3t-9f2", "48213"}
    canary = _token_re("Canary-S3cr3t-9f2")
    assert leaked(canary, "sip peer bob: secret Canary-S3cr3t-9f2 is weak", own_text="")
    assert not leaked(canary, "rationale: avoid Canary-S3cr3t-9f2 and such", own_text="avoid Canary-S3cr3t-9f2 and such")
    assert not leaked(_token_re("48213"), "scan took 0.482130 s", own_text="")
