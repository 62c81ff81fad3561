"""Reports: JSON against its schema, SARIF against SARIF 2.1.0, JUnit, CSV, HTML escaping."""
from __future__ import annotations

import csv
import io
import json
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from tests.conftest import EXAMPLE, REPO, write_tree
from voxaudit.engine.collect import TargetSpec
from voxaudit.profile import load_profile
from voxaudit.reports.model import build_report
from voxaudit.reports.render import render_csv, render_html, render_junit, render_markdown, render_sarif
from voxaudit.reports.scan_schema import SCHEMA_PATH
from voxaudit.reports.scan_schema import render as render_schema
from voxaudit.scan import dump_scan
from voxaudit.service import run_scan

SARIF_SCHEMA = REPO / ".cache" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def doc():
    from voxaudit.registry import load_registry
    reg = load_registry()
    return run_scan([TargetSpec(name="riverside-pbx", platform="asterisk", config_dir=EXAMPLE)], reg,
                    load_profile("hipaa-security-rule", reg), [])


def test_committed_json_schema_matches_the_model():
    assert SCHEMA_PATH.read_text() == render_schema(), "run: python -m reports.scan_schema"


def test_scan_json_validates_against_its_schema(doc):
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator(schema).validate(json.loads(dump_scan(doc)))


def test_sarif_validates_against_sarif_2_1_0(doc):
    assert SARIF_SCHEMA.exists(), "scripts/setup.sh --test fetches the SARIF schema"
    schema = json.loads(SARIF_SCHEMA.read_text())
    sarif = json.loads(render_sarif(build_report(doc)))
    jsonschema.validators.validator_for(schema)(schema).validate(sarif)
    run = sarif["runs"][0]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {c.id for c in doc.checks}
    fails = [r for r in doc.results if r.effective_status == "FAIL"]
    assert len(run["results"]) == len(fails)
    # every result is located (GitHub rejects a file with one that is not); tests/test_sarif.py has the rest
    assert run["results"] and all(r["locations"][0]["physicalLocation"]["region"]["startLine"] > 0
                                  for r in run["results"])


def test_junit_counts(doc):
    root = ET.fromstring(render_junit(build_report(doc)))
    assert int(root.get("tests")) == len(doc.results)
    assert int(root.get("failures")) == sum(1 for r in doc.results if r.effective_status == "FAIL")
    assert root.find("testsuite").get("name") == "riverside-pbx"


def test_csv_has_a_row_per_result(doc):
    rows = list(csv.DictReader(io.StringIO(render_csv(build_report(doc)))))
    results = [r for r in rows if r["status"] != "WARNING"]
    assert len(results) == len(doc.results)
    # each warning (a part present but not understood, or a note) is a row of its own, never dropped
    assert len(rows) - len(results) == len(doc.warnings)
    assert {"check_id", "severity", "status", "resource", "fix", "hipaa"} <= set(rows[0])


def test_markdown_and_html_have_every_finding(doc):
    model = build_report(doc)
    md, html = render_markdown(model), render_html(model)
    for f in model.findings:
        assert f.meta.id in md and f.meta.id in html
    assert "<script" not in html  # self-contained and static


def test_html_autoescapes_config_text(tmp_path):
    from voxaudit.registry import load_registry
    reg = load_registry()
    root = write_tree(tmp_path / "t", {"manager.conf": "[general]\nenabled=yes\nbindaddr=0.0.0.0\n"
                                                       "[<script>alert(1)</script>]\nsecret=x\n"})
    doc = run_scan([TargetSpec(name="<b>evil</b>", platform="asterisk", config_dir=root)], reg,
                   load_profile("hipaa-security-rule", reg), [])
    html = render_html(build_report(doc))
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<b>evil</b>" not in html


def test_the_print_version_caps_rows_per_finding_and_says_where_the_rest_are(doc):
    """A clinic with one weakness on 10,000 extensions printed 900 pages of identical rows."""
    from voxaudit.model import Result, Status
    from voxaudit.reports.pdf import PRINT_ROWS, render_print_html
    fail = next(r for r in doc.results if r.status == Status.FAIL)
    many = [Result(fail.check_id, fail.target, f"endpoint {9000 + i}", Status.FAIL, fail.evidence, fail.location,
                   list(fail.fix), None, None, fail.alias) for i in range(PRINT_ROWS + 70)]
    big = doc.replace(results=[r for r in doc.results if r.check_id != fail.check_id] + many)
    printed = render_print_html(build_report(big))
    assert f"endpoint {9000 + PRINT_ROWS - 1}<" in printed and f"endpoint {9000 + PRINT_ROWS}<" not in printed
    assert "70 more failing resources of this finding are not printed" in printed
    screen = render_html(build_report(big))
    assert f"endpoint {9000 + PRINT_ROWS + 69}<" in screen and "are not printed" not in screen


def test_a_phone_target_gets_its_own_vendors_fix_only():
    """Phone findings give the fix of the vendors the target's phones are, not every vendor's."""
    from voxaudit.check import CheckMeta
    from voxaudit.model import Severity

    meta = CheckMeta(id="X-1", title="t", severity=Severity.HIGH, hipaa=["164.312(d)"], area="access", platforms=["phone"],
                     rationale="r",
                     remediation={"yealink": "Y fix", "polycom": "P fix", "grandstream": "G fix"})
    assert meta.remediation_for("yealink") == "Y fix"
    assert meta.remediation_for("polycom,yealink") == "yealink: Y fix polycom: P fix" or \
        meta.remediation_for("polycom,yealink") == "polycom: P fix yealink: Y fix"
    assert "G fix" not in meta.remediation_for("polycom,yealink")
    assert meta.remediation_for("phone") == "yealink: Y fix polycom: P fix grandstream: G fix"  # none known


def test_a_finding_shows_the_fix_of_the_bindings_its_results_came_from_only(doc):
    """AUTH-SECRET-101 is bound to PJSIP auths, AMI users, ARI users, chan_sip peers and IAX2 peers. The example's
    failing secrets are PJSIP auths and one AMI user: the fix names those pages, not ARI's or IAX2's."""
    finding, = [f for f in build_report(doc).findings if f.meta.id == "AUTH-SECRET-101"]
    assert {r.alias for r in finding.results} == {"AST-ACC-103", "AST-AMI-102"}
    fix = finding.remediation
    assert "Extensions" in fix and "Asterisk Manager Users" in fix
    assert "ARI" not in fix and "IAX2" not in fix
    assert "ARI" in finding.meta.remediation["freepbx"]  # the control's whole fix still lists every binding's


def test_a_saved_scan_without_fixes_per_binding_shows_the_controls_whole_fix(doc):
    """Scans saved before fixes were kept per binding (and 1.x scans) have none: every binding's fix is shown."""
    import msgspec

    old = msgspec.structs.replace(doc, checks=[msgspec.structs.replace(c, remediation_by_binding={})
                                               for c in doc.checks])
    finding, = [f for f in build_report(old).findings if f.meta.id == "AUTH-SECRET-101"]
    assert finding.remediation == finding.meta.remediation["freepbx"]
    assert "ARI" in finding.remediation


def test_scan_json_written_in_slices_is_the_documents_own_encoding(doc, monkeypatch):
    """write_scan writes results, and a large target's objects, a slice at a time (the objects through a random
    stand-in in their place): the bytes are exactly encode(doc), whatever the slice size, one slice or many."""
    import voxaudit.scan as scan

    whole = scan.encode(doc)
    assert len(doc.targets[0].facts.objects) > 20 and len(doc.results) > 20
    for size in (1, 7, 20, 5000):
        monkeypatch.setattr(scan, "_SLICE", size)
        out = io.BytesIO()
        scan.write_scan(doc, out)
        assert out.getvalue() == whole, size
    assert scan._OBJECTS_MARK.encode() not in whole
