"""compliance.csv: one row per safeguard x target x control (Prowler's compliance CSV layout: upper-case
headers, ';' between cells), each with the control's verdict on that target; a safeguard that no control
assesses on a platform is a MANUAL row, never a pass; no formula, no secret."""
from __future__ import annotations

import csv
import io

import pytest
import yaml

from tests.conftest import EXAMPLE, REPO, write_tree
from tests.test_sarif import CANARY_VALUES, canary_doc
from voxaudit.engine.collect import TargetSpec
from voxaudit.model import ErrorKind, Result, Status, Waiver
from voxaudit.profile import load_profile
from voxaudit.reports.compliance import COLUMNS, DELIMITER, render_compliance_doc, rows, section_of
from voxaudit.reports.render import render_format
from voxaudit.scan import CollectionFailure, TargetRecord
from voxaudit.service import run_scan

TREES = sorted(p.parent for p in (REPO / "tests" / "real_trees").glob("*/EXPECTED.yaml"))


def _scan(specs, registry, waivers=(), profile="hipaa-security-rule"):
    return run_scan(specs, registry, load_profile(profile, registry), list(waivers))


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter=DELIMITER))


@pytest.fixture(scope="module")
def example(registry):
    waiver = Waiver(check="LOG-AUD-103", owner="it@riverside.example", reason="syslog server ordered", expires="2099-01-01")
    return _scan([TargetSpec(name="riverside-pbx", platform="asterisk", config_dir=EXAMPLE, clinic="Riverside",
                             site="main")], registry, [waiver])


@pytest.fixture(scope="module")
def fleet(registry):
    specs = []
    for tree in TREES:
        expected = yaml.safe_load((tree / "EXPECTED.yaml").read_text())
        specs.append(TargetSpec(name=tree.name, platform=expected["platform"], config_dir=tree / expected["config_dir"]))
    return _scan(specs, registry)


def expected_rows(doc) -> set[tuple[str, str, str]]:
    """(safeguard, target, control) for every control of every safeguard that has results on the target,
    computed from the scan directly; plus (safeguard, target, "") where none has."""
    have = {(r.target, r.check_id) for r in doc.results}
    out = set()
    for sg in doc.safeguards:
        for t in doc.targets:
            mine = {(sg["id"], t.name, c) for c in sg["checks"] if (t.name, c) in have}
            out |= mine or {(sg["id"], t.name, "")}
    return out


def test_header_and_layout_follow_prowler(example):
    text = render_format(example, "compliance")
    header = text.splitlines()[0].split(DELIMITER)
    assert header == COLUMNS and all(h == h.upper() for h in header)
    assert header[:17] == ["PROVIDER", "DESCRIPTION", "ACCOUNTID", "REGION", "ASSESSMENTDATE", "REQUIREMENTS_ID",
                           "REQUIREMENTS_DESCRIPTION", "REQUIREMENTS_ATTRIBUTES_SECTION", "REQUIREMENTS_ATTRIBUTES_TYPE",
                           "STATUS", "STATUSEXTENDED", "RESOURCEID", "RESOURCENAME", "CHECKID", "MUTED", "FRAMEWORK",
                           "NAME"]


def test_one_row_per_safeguard_target_and_control(example, fleet):
    for doc in (example, fleet):
        got = [(r["REQUIREMENTS_ID"], r["RESOURCEID"], r["CHECKID"]) for r in parse(render_compliance_doc(doc))]
        assert len(got) == len(set(got))
        assert set(got) == expected_rows(doc)


def test_the_status_is_the_controls_verdict_on_the_target(example):
    got = {(r["REQUIREMENTS_ID"], r["CHECKID"]): r for r in parse(render_compliance_doc(example))}
    for (sg, cid), row in got.items():
        if not cid:
            continue
        results = [r for r in example.results if r.check_id == cid]
        statuses = {r.effective_status for r in results}
        want = ("FAIL" if "FAIL" in statuses else "ERROR" if "ERROR" in statuses else "WAIVED" if "WAIVED" in statuses
                else "PASS" if "PASS" in statuses else "NOT_APPLICABLE")
        assert row["STATUS"] == want, (sg, cid)
        assert int(row["RESOURCES"]) == len(results)
        assert int(row["FAILED"]) == sum(1 for r in results if r.effective_status == "FAIL")
        assert row["MUTED"] == ("true" if want == "WAIVED" else "false")
        assert row["ACCOUNTID"] == "Riverside" and row["REGION"] == "main" and row["PROVIDER"] == "asterisk"
    waived = [r for r in got.values() if r["CHECKID"] == "LOG-AUD-103"]
    assert waived and {r["STATUS"] for r in waived} == {"WAIVED"} and "it@riverside.example" in waived[0]["STATUSEXTENDED"]
    failing = next(r for r in got.values() if r["STATUS"] == "FAIL")
    assert failing["STATUSEXTENDED"].startswith(f"{failing['FAILED']} of {failing['RESOURCES']} failing: ")


def test_a_safeguard_no_control_assesses_is_manual_never_pass(registry, tmp_path):
    root = write_tree(tmp_path / "k", {"kamailio.cfg": "#!KAMAILIO\nlisten=udp:127.0.0.1:5060\nloadmodule \"tm.so\"\n"})
    doc = _scan([TargetSpec(name="proxy", platform="kamailio", config_dir=root)], registry)
    out = parse(render_compliance_doc(doc))
    manual = [r for r in out if r["STATUS"] == "MANUAL"]
    assert manual and all(r["CHECKID"] == "" and r["RESOURCES"] == "0" for r in manual)
    assert "164.310(d)(2)(i)" in {r["REQUIREMENTS_ID"] for r in manual}  # voicemail disposal: nothing on a proxy


def test_a_target_not_collected_is_error_on_every_row(example):
    down = TargetRecord(name="down", platform="asterisk", failure=CollectionFailure(kind=ErrorKind.TIMEOUT, reason="t"))
    doc = example.replace(targets=[*example.targets, down], results=[*example.results] + [
        Result(check_id=c.id, target="down", resource="(target)", status=Status.ERROR, evidence="collection timed out",
               error_kind=ErrorKind.TIMEOUT) for c in example.checks])
    mine = [r for r in parse(render_compliance_doc(doc)) if r["RESOURCEID"] == "down" and r["CHECKID"]]
    assert mine and {(r["STATUS"], r["ERROR_KINDS"]) for r in mine} == {("ERROR", "timeout")}


def test_sections_and_levels(example):
    out = parse(render_compliance_doc(example))
    assert {r["REQUIREMENTS_ATTRIBUTES_SECTION"] for r in out} >= {"Technical safeguards (164.312)",
                                                                 "Administrative safeguards (164.308)"}
    assert {r["REQUIREMENTS_ATTRIBUTES_TYPE"] for r in out} == {"required", "addressable"}
    assert section_of("90 FR 898 (proposed): network segmentation").startswith("90 FR 898")


def test_the_nprm_profile_has_its_own_safeguards(registry):
    doc = _scan([TargetSpec(name="riverside-pbx", platform="asterisk", config_dir=EXAMPLE)], registry,
                profile="hipaa-2025-nprm")
    ids = {r["REQUIREMENTS_ID"] for r in rows(doc)}
    assert {"NPRM-segmentation", "NPRM-mfa"} <= ids


def test_cells_are_never_formulas(registry, tmp_path):
    root = write_tree(tmp_path / "t", {"pjsip.conf": "[=HYPERLINK(\"http://x.example\",\"y\")]\ntype=endpoint\n"
                                                     "media_encryption=no\n"})
    doc = _scan([TargetSpec(name="@evil", platform="asterisk", config_dir=root, clinic="+1 clinic")], registry)
    out = list(csv.reader(io.StringIO(render_compliance_doc(doc)), delimiter=DELIMITER))
    cells = [c for row in out[1:] for c in row]
    assert any("HYPERLINK" in c for c in cells) and any("evil" in c for c in cells)
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_same_scan_same_bytes(example):
    assert render_compliance_doc(example) == render_compliance_doc(example)


def test_no_secret_in_compliance_csv(tmp_path, registry):
    text = render_format(canary_doc(tmp_path, registry), "compliance")
    assert parse(text) and not [s for s in CANARY_VALUES if s in text]
