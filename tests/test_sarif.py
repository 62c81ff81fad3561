"""results.sarif: SARIF 2.1.0 schema, GitHub code scanning's documented upload constraints, locations for
every result, control pages behind every helpUri, collection errors as notifications, stable bytes.

The constraints come from GitHub's "SARIF support for code scanning" page (required properties, the
limits table and the 10 MB gzip limit); ``github_problems`` states each as an assertion and is held on
the example clinic, the real trees and a large synthetic scan (more results than GitHub accepts).
"""
from __future__ import annotations

import gzip
import importlib.util
import json
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urlparse

import jsonschema
import msgspec
import pytest
import yaml

from tests.conftest import EXAMPLE, REPO, write_tree
from voxaudit.engine.collect import TargetSpec
from voxaudit.model import ErrorKind, Result, Status, Waiver
from voxaudit.profile import load_profile
from voxaudit.reports.links import CONTROL_DOCS_DIR, CONTROL_DOCS_URL
from voxaudit.reports.render import FILENAMES, FORMATS, RENDERERS, render_format, write_reports
from voxaudit.reports.sarif import (
    MAX_DESCRIPTION_CHARS,
    MAX_GZIP_BYTES,
    MAX_LOCATIONS_PER_RESULT,
    MAX_RESULTS_PER_RUN,
    MAX_RULE_NAME_CHARS,
    MAX_RULES_PER_RUN,
    MAX_RUNS_PER_FILE,
    MAX_TAGS_PER_RULE,
    build_sarif,
    config_root_uri,
    host_base_id,
    uri_base_id,
)
from voxaudit.scan import CollectionFailure, ScanDocument, TargetRecord, load_scan, save_scan
from voxaudit.service import run_scan

SARIF_SCHEMA = REPO / ".cache" / "sarif-schema-2.1.0.json"
TREES = sorted(p.parent for p in (REPO / "tests" / "real_trees").glob("*/EXPECTED.yaml"))
LEVELS = {"none", "note", "warning", "error"}
RULE_LEVELS = {"note", "warning", "error"}  # defaultConfiguration.level: GitHub's valid values
PRECISIONS = {"very-high", "high", "medium", "low"}
MAX_TOOL_EXTENSIONS = 100


def _scan(specs, registry):
    return run_scan(specs, registry, load_profile("hipaa-security-rule", registry), [])


@pytest.fixture(scope="module")
def example(registry):
    return _scan([TargetSpec(name="riverside-pbx", platform="asterisk", config_dir=EXAMPLE)], registry)


@pytest.fixture(scope="module")
def fleet(registry):
    """The example clinic and every real tree in one scan (eleven targets, six platforms)."""
    specs = [TargetSpec(name="riverside-pbx", platform="asterisk", config_dir=EXAMPLE)]
    for tree in TREES:
        expected = yaml.safe_load((tree / "EXPECTED.yaml").read_text())
        specs.append(TargetSpec(name=tree.name, platform=expected["platform"], config_dir=tree / expected["config_dir"]))
    return _scan(specs, registry)


def synthetic(doc: ScanDocument, copies: int) -> ScanDocument:
    """A fleet of ``copies`` clinics with the example's facts and results, a waiver on some failures and
    one target that could not be collected: more FAIL results than GitHub accepts in one run."""
    targets, results = [], []
    waiver = Waiver(check="*", owner="it@clinic.example", reason="replacement ordered", expires="2099-01-01")
    for i in range(copies):
        name = f"clinic-{i:04d}"
        targets += [msgspec.structs.replace(t, name=name, clinic=f"Clinic {i}") for t in doc.targets]
        for n, r in enumerate(doc.results):
            results.append(msgspec.structs.replace(r, target=name, waiver=waiver if (n + i) % 17 == 0 and
                                                   r.status == Status.FAIL else None))
    down = TargetRecord(name="clinic-down", platform="asterisk", source="ssh://audit@10.9.9.9:22/etc/asterisk",
                        failure=CollectionFailure(kind=ErrorKind.CONNECTIVITY, reason="no route to host"))
    targets.append(down)
    results += [Result(check_id=c.id, target=down.name, resource="(target)", status=Status.ERROR,
                       evidence="no route to host", error_kind=ErrorKind.CONNECTIVITY) for c in doc.checks]
    return doc.replace(targets=targets, results=results, warnings=doc.warnings * copies)


@pytest.fixture(scope="module")
def large(example):
    return synthetic(example, copies=(MAX_RESULTS_PER_RUN // 50) + 20)


def github_problems(sarif: dict, raw: bytes) -> list[str]:
    """Every documented code-scanning constraint the file breaks (an empty list: GitHub accepts it)."""
    problems = []

    def need(cond: bool, what: str) -> None:
        if not cond:
            problems.append(what)

    need(len(gzip.compress(raw)) <= MAX_GZIP_BYTES, "gzip-compressed file over 10 MB")
    need(bool(sarif.get("$schema")), "$schema required")
    need(sarif.get("version") == "2.1.0", "version must be 2.1.0")
    runs = sarif.get("runs") or []
    need(1 <= len(runs) <= MAX_RUNS_PER_FILE, "1 to 20 runs per file")
    for run in runs:
        driver = run.get("tool", {}).get("driver", {})
        need(bool(driver.get("name")), "tool.driver.name required")
        need(len(run.get("tool", {}).get("extensions", [])) <= MAX_TOOL_EXTENSIONS, "at most 100 tool extensions")
        rules = driver.get("rules")
        need(isinstance(rules, list), "tool.driver.rules required")
        rules = rules or []
        need(len(rules) <= MAX_RULES_PER_RUN, "at most 25,000 rules per run")
        ids = [r.get("id") for r in rules]
        need(all(ids) and len(set(ids)) == len(ids), "every rule has a unique id")
        for rule in rules:
            rid = rule.get("id")
            need(len(rule.get("name", "")) <= MAX_RULE_NAME_CHARS, f"{rid}: name over 255 characters")
            for key in ("shortDescription", "fullDescription"):
                text = rule.get(key, {}).get("text", "")
                need(0 < len(text) <= MAX_DESCRIPTION_CHARS, f"{rid}: {key}.text required, at most 1,024 characters")
            need(bool(rule.get("help", {}).get("text")), f"{rid}: help.text required")
            need(rule.get("defaultConfiguration", {}).get("level", "warning") in RULE_LEVELS, f"{rid}: level")
            props = rule.get("properties", {})
            tags = props.get("tags", [])
            need(len(tags) <= MAX_TAGS_PER_RULE, f"{rid}: more tags than the 10 GitHub keeps")
            need(props.get("precision", "high") in PRECISIONS, f"{rid}: precision")
            if "security-severity" in props:
                need(0.0 < float(props["security-severity"]) <= 10.0, f"{rid}: security-severity outside (0, 10]")
                need("security" in tags, f"{rid}: security-severity without the security tag")
            need(urlparse(rule.get("helpUri", "")).scheme == "https", f"{rid}: helpUri")
        results = run.get("results")
        need(isinstance(results, list), "results required")
        results = results or []
        need(len(results) <= MAX_RESULTS_PER_RUN, "at most 25,000 results per run")
        bases = run.get("originalUriBaseIds", {})
        auto = run.get("automationDetails", {}).get("id", "")
        need("/" in auto, "automationDetails.id is category/run-id")
        for res in results:
            rid = res.get("ruleId")
            need(bool(res.get("message", {}).get("text")), f"{rid}: message.text required")
            idx = res.get("ruleIndex")
            need(idx is None or (0 <= idx < len(rules) and rules[idx]["id"] == rid), f"{rid}: ruleIndex names another rule")
            need(rid in ids, f"{rid}: ruleId is not a rule")
            need(res.get("level", "warning") in LEVELS, f"{rid}: level")
            fps = res.get("partialFingerprints", {})
            need(bool(fps.get("primaryLocationLineHash")), f"{rid}: partialFingerprints.primaryLocationLineHash")
            locs = res.get("locations") or []
            need(1 <= len(locs) <= MAX_LOCATIONS_PER_RESULT, f"{rid}: 1 to 10 locations (at least one is required)")
            for loc in locs:
                phys = loc.get("physicalLocation", {})
                art = phys.get("artifactLocation", {})
                uri = art.get("uri", "")
                need(bool(uri), f"{rid}: artifactLocation.uri required")
                if "uriBaseId" in art:
                    need(not urlparse(uri).scheme, f"{rid}: a uri with a uriBaseId must be relative")
                    need(art["uriBaseId"] in bases, f"{rid}: uriBaseId not in originalUriBaseIds")
                else:  # an absolute URI must share the source root's scheme (file://) or the upload is rejected
                    need(urlparse(uri).scheme == "file", f"{rid}: absolute uri not file://")
                region = phys.get("region", {})
                for key in ("startLine", "startColumn", "endLine", "endColumn"):
                    need(isinstance(region.get(key), int) and region[key] >= 1, f"{rid}: region.{key} required")
                need(region.get("endLine", 0) >= region.get("startLine", 0), f"{rid}: region ends before it starts")
    return problems


def _sarif(doc) -> tuple[dict, bytes]:
    raw = render_format(doc, "sarif").encode()
    return json.loads(raw), raw


@pytest.fixture(scope="module")
def validator():
    assert SARIF_SCHEMA.exists(), "scripts/setup.sh --test fetches the SARIF schema"
    schema = json.loads(SARIF_SCHEMA.read_text())
    return jsonschema.validators.validator_for(schema)(schema)


def test_the_example_is_valid_sarif_that_github_accepts(example, validator):
    sarif, raw = _sarif(example)
    validator.validate(sarif)
    assert github_problems(sarif, raw) == []
    run = sarif["runs"][0]
    fails = [r for r in example.results if r.effective_status in ("FAIL", "WAIVED")]
    assert len(run["results"]) == len(fails) > 0
    assert run["invocations"][0]["executionSuccessful"] is True


def test_the_real_trees_are_valid_sarif_that_github_accepts(fleet, validator):
    sarif, raw = _sarif(fleet)
    validator.validate(sarif)
    assert github_problems(sarif, raw) == []
    run = sarif["runs"][0]
    assert {art["uriBaseId"] for res in run["results"] for art in
            [res["locations"][0]["physicalLocation"]["artifactLocation"]]} <= set(run["originalUriBaseIds"])
    assert set(run["originalUriBaseIds"]) == {uri_base_id(t.name) for t in fleet.targets} | \
        {host_base_id(t.name) for t in fleet.targets if t.host_root}


def test_every_location_with_a_known_base_is_a_file_that_exists(fleet):
    """A consumer resolves uri against its base's file:// URI. Host evidence and logrotate rules are named from the
    snapshot's root, not from etc/asterisk: the example's etc/postfix/main.cf is on the host base, and every
    location of every target whose base is known is a file that exists (or a folder, for a target-level result),
    unless it is a configuration file the target lacks (where a missing setting belongs)."""
    sarif, _ = _sarif(fleet)
    run = sarif["runs"][0]
    bases = {k: v["uri"] for k, v in run["originalUriBaseIds"].items() if "uri" in v}
    resolved = []
    for res in run["results"]:
        art = res["locations"][0]["physicalLocation"]["artifactLocation"]
        if art.get("uriBaseId") in bases:
            resolved.append((art["uriBaseId"], art["uri"], unquote(bases[art["uriBaseId"]] + art["uri"])[len("file://"):]))
    assert len(resolved) > 100
    # A setting missing from a file the target lacks points at that file (where it belongs): that is no miss.
    absent = {(uri_base_id(t.name), name) for t in fleet.targets if t.facts is not None
              for name, cf in t.facts.configs.items() if not cf.found}
    missing = [r for r in resolved if not Path(r[2]).exists() and r[:2] not in absent]
    assert missing == [], "\n".join(map(str, missing))
    on_host = {uri for base, uri, _ in resolved if base == host_base_id("riverside-pbx")}
    assert "etc/logrotate.d/asterisk" in on_host, on_host


def test_the_checker_catches_what_github_rejects(example):
    """github_problems can fail: each broken property is reported."""
    sarif, raw = _sarif(example)
    res = sarif["runs"][0]["results"][0]
    del res["locations"]
    del res["partialFingerprints"]
    rule = sarif["runs"][0]["tool"]["driver"]["rules"][0]
    rule["fullDescription"]["text"] = "x" * 1025
    rule["properties"]["tags"] = [f"t{i}" for i in range(11)]
    rule["properties"]["security-severity"] = "0.0"
    problems = github_problems(sarif, raw)
    assert len(problems) == 6, problems


def test_a_large_scan_keeps_the_most_severe_results_within_githubs_limit(large, validator):
    fails = [r for r in large.results if r.effective_status in ("FAIL", "WAIVED")]
    assert len(fails) > MAX_RESULTS_PER_RUN
    started = time.perf_counter()
    sarif, raw = _sarif(large)
    seconds = time.perf_counter() - started
    validator.validate(sarif)
    assert github_problems(sarif, raw) == []
    run = sarif["runs"][0]
    assert len(run["results"]) == MAX_RESULTS_PER_RUN
    meta = large.meta()
    ranks = sorted((meta[r.check_id].severity.rank for r in fails), reverse=True)
    kept = sorted((meta[r["ruleId"]].severity.rank for r in run["results"]), reverse=True)
    assert kept == ranks[:MAX_RESULTS_PER_RUN]  # the most severe are the ones kept
    notes = run["invocations"][0]["toolExecutionNotifications"]
    left_out = [n for n in notes if n["descriptor"]["id"] == "results-left-out"]
    assert len(left_out) == 1 and str(len(fails) - MAX_RESULTS_PER_RUN) in left_out[0]["message"]["text"]
    assert run["invocations"][0]["executionSuccessful"] is False  # clinic-down was not collected
    assert any(r.get("suppressions") for r in run["results"])  # waived failures are suppressed, not dropped
    print(f"\n{len(large.results)} results, {len(fails)} FAIL/WAIVED -> {len(raw) / 1e6:.1f} MB SARIF "
          f"({len(gzip.compress(raw)) / 1e6:.2f} MB gzip) in {seconds:.2f} s")


def test_every_result_has_a_location_even_target_level_ones(example):
    """AST-LOG-101, AST-LOG-103 and AST-RET-101 (now LOG-AUD-101/103, RET-PHI-101) had no location and
    made GitHub reject the whole file; they point at the file that holds (or should hold) the setting."""
    run = build_sarif(example)["runs"][0]
    by_rule: dict[str, list[dict]] = {}
    for res in run["results"]:
        by_rule.setdefault(res["ruleId"], []).append(res["locations"][0]["physicalLocation"])
    assert {loc["artifactLocation"]["uri"] for loc in by_rule["LOG-AUD-101"]} == {"logger.conf"}
    assert {loc["artifactLocation"]["uri"] for loc in by_rule["LOG-AUD-103"]} == {"logger.conf"}
    assert by_rule["RET-PHI-101"] and all(loc["artifactLocation"]["uri"] for loc in by_rule["RET-PHI-101"])
    located = {(r.check_id, r.resource): r.location for r in example.results if r.location is not None}
    for res in run["results"]:  # a result read from a line keeps that file and line
        loc = located.get((res["ruleId"], res["properties"]["resource"]))
        if loc is not None and loc.line:
            phys = res["locations"][0]["physicalLocation"]
            assert (phys["artifactLocation"]["uri"], phys["region"]["startLine"]) == (loc.file, loc.line)


def test_a_missing_setting_points_at_the_file_that_should_hold_it(tmp_path, registry):
    root = write_tree(tmp_path / "t", {"pjsip.conf": "[t]\ntype=transport\nprotocol=udp\nbind=0.0.0.0\n",
                                       "voicemail.conf": "[general]\n[default]\n100 => 1234,A\n"})
    doc = _scan([TargetSpec(name="mini", platform="asterisk", config_dir=root)], registry)
    run = build_sarif(doc)["runs"][0]
    uris = {res["ruleId"]: res["locations"][0]["physicalLocation"]["artifactLocation"] for res in run["results"]}
    assert uris["LOG-AUD-101"] == {"uri": "logger.conf", "uriBaseId": "TARGET:mini"}  # absent: where it belongs
    assert uris["LOG-AUD-104"]["uri"] == "cdr.conf"


def test_an_mdm_result_without_a_line_points_at_the_file_its_control_read(registry):
    """MDM-NTF-101 (now NTF-PHI-105) had no location: it points at a profile file that control read."""
    doc = _scan([TargetSpec(name="mdm", platform="mdm", config_dir=REPO / "tests/fixtures/mdm/weak")], registry)
    run = build_sarif(doc)["runs"][0]
    files = set(doc.targets[0].facts.configs)
    mine = [res for res in run["results"] if res["ruleId"] == "NTF-PHI-105"]
    assert mine and all(res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] in files for res in mine)


def test_collection_errors_are_tool_notifications(tmp_path, registry):
    doc = _scan([TargetSpec(name="riverside-pbx", platform="asterisk", config_dir=EXAMPLE),
                 TargetSpec(name="gone", platform="asterisk", config_dir=tmp_path / "nope")], registry)
    run = build_sarif(doc)["runs"][0]
    inv = run["invocations"][0]
    assert inv["executionSuccessful"] is False
    notes = inv["toolExecutionNotifications"]
    gone = [n for n in notes if n["descriptor"]["id"] == "target-not-collected"]
    assert len(gone) == 1 and gone[0]["level"] == "error" and "gone" in gone[0]["message"]["text"]
    assert gone[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == uri_base_id("gone")
    assert not [n for n in notes if n.get("properties", {}).get("target") == "gone" and n is not gone[0]]
    assert not [r for r in run["results"] if r["properties"]["target"] == "gone"]
    descriptors = [d["id"] for d in run["tool"]["driver"]["notifications"]]
    assert all(descriptors[n["descriptor"]["index"]] == n["descriptor"]["id"] for n in notes)


def test_controls_not_assessed_and_gaps_are_notifications_with_locations(fleet):
    run = build_sarif(fleet)["runs"][0]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    errors = [r for r in fleet.results if r.status == Status.ERROR]
    not_assessed = [n for n in notes if n["descriptor"]["id"] == "control-not-assessed"]
    assert len(not_assessed) == len(errors) > 0
    assert all(n["associatedRule"]["id"] in {r["id"] for r in run["tool"]["driver"]["rules"]} for n in not_assessed)
    assert all(n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in not_assessed)
    gaps = [n for n in notes if n["descriptor"]["id"] in ("configuration-not-understood", "note")]
    assert len(gaps) == len(fleet.warnings) > 0
    assert run["invocations"][0]["executionSuccessful"] is True  # parse gaps lower coverage; the run completed


def test_same_scan_same_bytes_also_through_scan_json(example, tmp_path):
    first = render_format(example, "sarif")
    assert render_format(example, "sarif") == first
    save_scan(example, tmp_path / "scan.json")
    assert render_format(load_scan(tmp_path / "scan.json"), "sarif") == first


def test_rules_and_results_are_stable_across_scans_of_the_same_tree(example, registry):
    again = _scan([TargetSpec(name="riverside-pbx", platform="asterisk", config_dir=EXAMPLE)], registry)
    a, b = build_sarif(example)["runs"][0], build_sarif(again)["runs"][0]
    assert a["tool"] == b["tool"] and a["results"] == b["results"] and a["originalUriBaseIds"] == b["originalUriBaseIds"]
    hashes = [r["partialFingerprints"]["primaryLocationLineHash"] for r in a["results"]]
    assert len(set(hashes)) == len(hashes)  # one alert per finding


def test_original_uri_base_ids_give_the_config_root_as_a_file_uri_when_known():
    assert config_root_uri(SimpleNamespace(config_root="/srv/pbx conf/etc/asterisk")) == \
        "file:///srv/pbx%20conf/etc/asterisk/"
    assert config_root_uri(SimpleNamespace(config_root="")) is None
    assert config_root_uri(SimpleNamespace(config_root="relative/dir")) is None  # never a guessed base
    assert config_root_uri(SimpleNamespace()) is None  # a scan that did not record it


def test_every_help_uri_has_its_page(fleet):
    rules = build_sarif(fleet)["runs"][0]["tool"]["driver"]["rules"]
    for rule in rules:
        assert rule["helpUri"] == f"{CONTROL_DOCS_URL}/{rule['id']}.md"
        assert (REPO / CONTROL_DOCS_DIR / f"{rule['id']}.md").is_file(), rule["id"]


def _update_readme():
    spec = importlib.util.spec_from_file_location("update_readme", REPO / "scripts" / "update_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_control_pages_are_generated_and_current(registry):
    """A page per control and per 1.x ID, as the registry describes them; none missing, stale or left over."""
    pages = _update_readme().control_pages(registry)
    directory = REPO / CONTROL_DOCS_DIR
    on_disk = {p.name for p in directory.glob("*.md")}
    assert sorted(set(pages) - on_disk) == [], "missing: run python scripts/update_readme.py"
    assert sorted(on_disk - set(pages)) == [], "left over: run python scripts/update_readme.py"
    stale = sorted(name for name, text in pages.items() if (directory / name).read_text(encoding="utf-8") != text)
    assert stale == [], "stale: run python scripts/update_readme.py"
    assert {f"{rid}.md" for rid in registry.ids()} <= set(pages)
    assert {f"{alias}.md" for alias in registry.aliases()} <= set(pages)


def test_the_page_check_can_fail(registry, tmp_path):
    module = _update_readme()
    module.write_control_pages(registry, tmp_path)
    page = tmp_path / "MBX-PIN-101.md"
    assert "164.312(d)" in page.read_text() and "AST-VM-101" in page.read_text()
    page.write_text(page.read_text().replace("critical", "low"))
    (tmp_path / "OLD-GONE-101.md").write_text(module.GENERATED + "\n# gone\n")
    changed = module.write_control_pages(registry, tmp_path)
    assert changed == [page] and not (tmp_path / "OLD-GONE-101.md").exists()


def test_the_formats_are_registered():
    for fmt in ("sarif", "ocsf", "compliance"):
        assert fmt in FORMATS and fmt in RENDERERS and fmt in FILENAMES
    assert FILENAMES["ocsf"] == "findings.ocsf.json" and FILENAMES["compliance"] == "compliance.csv"


def test_write_reports_writes_the_new_formats(example, tmp_path):
    written = write_reports(example, ["sarif", "ocsf", "compliance"], tmp_path)
    assert {p.name for p in written} == {"scan.json", "results.sarif", "findings.ocsf.json", "compliance.csv"}
    assert json.loads((tmp_path / "results.sarif").read_text())["version"] == "2.1.0"


def test_hostile_names_stay_well_formed(tmp_path, registry):
    """A section name with spaces, quotes, control characters and a lone surrogate: the URI is escaped,
    the JSON stays valid UTF-8, and the schema still holds."""
    root = write_tree(tmp_path / "t", {"pjsip.conf": "[bad name \"q\" %2e\x01]\ntype=endpoint\nmedia_encryption=no\n"})
    doc = _scan([TargetSpec(name="odd target/\u00e9", platform="asterisk", config_dir=root)], registry)
    doc = doc.replace(results=doc.results + [Result(check_id="ENC-MEDIA-101", target="odd target/\u00e9",
                                                    resource="x\ud800y", status=Status.FAIL, evidence="e\ud800")])
    raw = render_format(doc, "sarif")
    raw.encode("utf-8")  # no lone surrogate survives
    sarif = json.loads(raw)
    assert github_problems(sarif, raw.encode()) == []
    assert "\\u0001" not in raw and "\\ud800" not in raw
    uris = [res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for res in sarif["runs"][0]["results"]]
    assert all(" " not in u and '"' not in u for u in uris)


# -- no secret in any of the new formats: a canary tree whose every secret is a marked value ----------

CANARY = "Canary7Q"
CANARY_TREE = {
    "pjsip.conf": f"""
        [transport-udp]
        type=transport
        protocol=udp
        bind=0.0.0.0

        [101]
        type=endpoint
        auth=101-auth
        aors=101
        media_encryption=no

        [101-auth]
        type=auth
        auth_type=userpass
        username=101
        password={CANARY}-sip-pw

        [trunk-auth]
        type=auth
        auth_type=userpass
        username=trunk
        password={CANARY}
    """,
    "voicemail.conf": f"""
        [general]
        minpassword=4

        [default]
        101 => 739184,Jane Canary,jane@clinic.example
        102 => 102,Front Desk
        103 => {CANARY}9,Billing
    """,
    "manager.conf": f"""
        [general]
        enabled=yes
        bindaddr=0.0.0.0

        [admin]
        secret={CANARY}
        permit=0.0.0.0/0.0.0.0
        read=all
        write=all
    """,
    "extensions.conf": f"""
        [from-internal]
        exten => 9,1,Dial(IAX2/trunk:{CANARY}-dial@provider.example/100)
        exten => *98,1,VoiceMailMain(${{CALLERID(num)}},s)
    """,
    "ari.conf": f"""
        [general]
        enabled=yes

        [dashboard]
        type=user
        password={CANARY}-ari
        password_format=plain
    """,
}
CANARY_VALUES = (CANARY, "739184")


def canary_doc(tmp_path: Path, registry) -> ScanDocument:
    root = write_tree(tmp_path / "canary", CANARY_TREE)
    doc = _scan([TargetSpec(name="canary-pbx", platform="asterisk", config_dir=root)], registry)
    assert CANARY not in json.dumps([r.resource for r in doc.results])  # the tree's names are not secrets
    weak = {r.resource for r in doc.results if r.check_id == "AUTH-SECRET-101" and r.status == Status.FAIL}
    assert any("trunk-auth" in w for w in weak) and any("admin" in w for w in weak), weak  # judged, never quoted
    return doc


def test_no_secret_in_sarif_ocsf_or_compliance(tmp_path, registry):
    from tests.test_no_secrets import known_secrets

    doc = canary_doc(tmp_path, registry)
    example_doc = _scan([TargetSpec(name="riverside-pbx", platform="asterisk", config_dir=EXAMPLE)], registry)
    for scan, secrets in ((doc, CANARY_VALUES), (example_doc, tuple(known_secrets()))):
        for fmt in ("sarif", "ocsf", "compliance"):
            text = render_format(scan, fmt)
            assert len(text) > 200, fmt
            leaked = sorted(s for s in secrets if s in text)
            assert not leaked, f"{fmt} leaks {leaked}"


def test_a_1x_scan_renders_to_sarif_github_accepts_with_pages_for_its_old_ids(validator):
    """voxaudit report on a 1.x scan: its rules are 1.x check IDs, each with a page naming its control."""
    old = load_scan(REPO / "tests" / "fixtures" / "scans" / "riverside-1.6.json")
    sarif, raw = _sarif(old)
    validator.validate(sarif)
    assert github_problems(sarif, raw) == []
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert rules and all((REPO / CONTROL_DOCS_DIR / f"{r['id']}.md").is_file() for r in rules)
