"""findings.ocsf.json: every event is an OCSF Compliance Finding (class 2003) that py-ocsf-models (the
maintained OCSF models Prowler publishes) accepts as is, one per judged result, with HIPAA citations,
control, statuses, resource, remediation and severity mapped; no secret in it."""
from __future__ import annotations

import json

import msgspec
import pytest
import yaml
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding

from tests.conftest import EXAMPLE, REPO
from tests.test_sarif import CANARY_VALUES, canary_doc
from voxaudit.engine.collect import TargetSpec
from voxaudit.model import ErrorKind, Result, Status, Waiver
from voxaudit.profile import load_profile
from voxaudit.reports.links import control_doc_url
from voxaudit.reports.ocsf import CLASS_UID, EMITTED, OCSF_VERSION, build_findings, render_ocsf_doc
from voxaudit.reports.render import render_format
from voxaudit.scan import CollectionFailure, TargetRecord
from voxaudit.service import run_scan

TREES = sorted(p.parent for p in (REPO / "tests" / "real_trees").glob("*/EXPECTED.yaml"))


def _scan(specs, registry, waivers=()):
    return run_scan(specs, registry, load_profile("hipaa-security-rule", registry), list(waivers))


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


def validated(events: list[dict]) -> None:
    """Each event is a ComplianceFinding, and nothing in it is lost or changed by the model: a misnamed
    field (ignored by the model) or a wrong type (coerced) shows up as a difference."""
    for event in events:
        model = ComplianceFinding.model_validate(event)
        assert model.model_dump(mode="json", exclude_none=True) == event


def test_py_ocsf_models_is_strict_enough_to_fail():
    """The validation above catches a misnamed field, a wrong enum and a missing required object."""
    good = {"activity_id": 1, "class_uid": 2003, "category_uid": 2, "type_uid": 200301, "time": 1, "severity_id": 3,
            "metadata": {"product": {"vendor_name": "voxaudit"}, "version": OCSF_VERSION},
            "finding_info": {"uid": "u", "title": "t"}, "compliance": {"control": "X"}}
    validated([json.loads(json.dumps(good)) | {"category_name": "Findings", "class_name": "ComplianceFinding"}])
    for bad in (good | {"compliance": {"contol": "X"}}, good | {"severity_id": 7}, {k: v for k, v in good.items()
                                                                                  if k != "finding_info"}):
        with pytest.raises((AssertionError, ValueError)):
            validated([bad])


def test_every_event_of_the_example_is_a_valid_compliance_finding(example):
    events = json.loads(render_format(example, "ocsf"))
    validated(events)
    judged = [r for r in example.results if r.effective_status in EMITTED]
    assert len(events) == len(judged) > 0
    assert {e["class_uid"] for e in events} == {CLASS_UID} and {e["type_uid"] for e in events} == {200301}
    assert not [r for r in example.results if r.status == Status.NOT_APPLICABLE and
                any(e["resources"][0]["name"] == r.resource and e["compliance"]["control"] == r.check_id for e in events)]


def test_every_event_of_the_real_trees_is_valid(fleet):
    events = build_findings(fleet)
    validated(events)
    assert {e["status_code"] for e in events} >= {"PASS", "FAIL", "ERROR"}


def test_a_failure_carries_citations_control_status_resource_fix_and_severity(example):
    meta = example.meta()
    r = next(r for r in example.results if r.effective_status == "FAIL" and r.location is not None and r.fix)
    c = meta[r.check_id]
    e = next(e for e in build_findings(example)
             if e["compliance"]["control"] == r.check_id and e["resources"][0]["name"] == r.resource)
    assert e["compliance"]["requirements"] == [f"45 CFR {h}" if h.startswith("164.") else h for h in c.hipaa]
    assert e["compliance"]["standards"][0].startswith("HIPAA") and e["compliance"]["status_id"] == 3
    assert e["compliance"]["checks"][0]["uid"] == (r.alias or r.check_id)
    assert (e["status_code"], e["status_id"], e["status"]) == ("FAIL", 1, "New")
    assert e["severity"] == c.severity.value.capitalize() and e["severity_id"] == \
        {"low": 2, "medium": 3, "high": 4, "critical": 5}[c.severity.value]
    assert e["resources"][0]["uid"] == f"riverside-pbx/{r.resource}"
    assert e["resources"][0]["data"]["location"] == str(r.location)
    assert e["resources"][0]["labels"] == ["clinic:Riverside", "site:main"]
    assert e["remediation"]["references"] == [control_doc_url(r.check_id)] and e["remediation"]["desc"]
    assert e["unmapped"]["fix"] == r.fix
    assert e["status_detail"] == r.evidence and e["finding_info"]["title"] == c.title


def test_status_mapping(example):
    events = build_findings(example)
    by_code = {}
    for e in events:
        by_code.setdefault(e["status_code"], set()).add((e["status_id"], e["compliance"]["status_id"]))
    assert by_code["PASS"] == {(1, 1)}
    assert by_code["FAIL"] == {(1, 3)}
    assert by_code["WAIVED"] == {(3, 3)}  # suppressed finding, still a failed requirement
    waived = next(e for e in events if e["status_code"] == "WAIVED")
    assert waived["unmapped"]["waiver"]["owner"] == "it@riverside.example"


def test_errors_and_collection_failures_are_warnings(example):
    down = TargetRecord(name="down", platform="asterisk", source="ssh://audit@10.9.9.9:22/etc/asterisk",
                        failure=CollectionFailure(kind=ErrorKind.CONNECTIVITY, reason="no route to host"))
    doc = example.replace(targets=[*example.targets, down], results=[*example.results] + [
        Result(check_id=c.id, target="down", resource="(target)", status=Status.ERROR, evidence="no route to host",
               error_kind=ErrorKind.CONNECTIVITY) for c in example.checks])
    events = [e for e in build_findings(doc) if e["unmapped"]["target"] == "down"]
    validated(events)
    assert len(events) == len(example.checks)
    assert {(e["status_code"], e["compliance"]["status_id"], e["unmapped"]["error_kind"]) for e in events} == \
        {("ERROR", 2, "connectivity")}


def test_uids_are_stable_and_unique(example, registry):
    again = _scan([TargetSpec(name="riverside-pbx", platform="asterisk", config_dir=EXAMPLE)], registry)
    a = [e["finding_info"]["uid"] for e in build_findings(example)]
    b = [e["finding_info"]["uid"] for e in build_findings(again)]
    assert a == b and len(set(a)) == len(a)


def test_same_scan_same_bytes(example):
    assert render_ocsf_doc(example) == render_ocsf_doc(example)
    assert render_ocsf_doc(example.replace(results=[])) == "[]\n"


def test_a_large_scan_stays_valid_and_linear(example):
    """Every event of a 200-clinic fleet (about 54,000 results) validates; the render time is printed."""
    import time

    targets, results = [], []
    for i in range(200):
        name = f"clinic-{i:03d}"
        targets += [msgspec.structs.replace(t, name=name) for t in example.targets]
        results += [msgspec.structs.replace(r, target=name) for r in example.results]
    doc = example.replace(targets=targets, results=results)
    started = time.perf_counter()
    text = render_ocsf_doc(doc)
    seconds = time.perf_counter() - started
    events = json.loads(text)
    assert len(events) == sum(1 for r in results if r.effective_status in EMITTED)
    validated(events[:: max(1, len(events) // 500)])
    print(f"\n{len(results)} results -> {len(events)} OCSF events, {len(text) / 1e6:.1f} MB in {seconds:.2f} s")


def test_no_secret_in_ocsf(tmp_path, registry):
    text = render_format(canary_doc(tmp_path, registry), "ocsf")
    validated(json.loads(text))
    assert not [s for s in CANARY_VALUES if s in text]
