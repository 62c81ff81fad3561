"""The MSP portfolio over a real fleet: the example clinic and the real public trees under
tests/real_trees, one clinic each (one with phones and switches too), a clinic whose PBX could not be
collected, one whose name is hostile HTML and a spreadsheet formula, and three scans recorded in a
history store with real configuration changes between them (PINs fixed at one clinic, broken at
another), so the trends are the store's, rescored per clinic.

The page itself is exercised in a real browser in tests/test_browser.py; here: its data, its
self-containment, the CSV and the CLI path.
"""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE, REPO
from voxaudit.history import History
from voxaudit.inventory import load_inventory
from voxaudit.profile import load_profile
from voxaudit.registry import load_registry
from voxaudit.reports.portfolio import build_portfolio, clinic_documents, clinic_slugs, clinic_trends, write_portfolio
from voxaudit.scan import ScanDocument
from voxaudit.service import run_scan

TREES = REPO / "tests" / "real_trees"
HOSTILE_CLINIC = '<img src=x onerror=alert(1)> =SUM(1+1) "Clinic"'
# clinic -> [(target, platform, tree under tests/real_trees or "example", config dir inside it)]
FLEET: dict[str, list[tuple[str, str, str, str]]] = {
    "Riverside Family Clinic": [("riverside-pbx", "asterisk", "example", ""),
                                ("riverside-phones", "phone", "pinballwizard-yealink", "provisioning"),
                                ("riverside-switches", "switch", "openfest-2023-switches", "configs")],
    "Hillside Pediatrics": [("hillside-pbx", "asterisk", "example", "")],
    "Cosmic Cable Urgent Care": [("cosmic-pbx", "asterisk", "cosmiccable-asterisk", "conf")],
    "PlayVoIP Dental": [("playvoip-pbx", "asterisk", "playvoip-asterisk", "conf")],
    "Roedal Eye Care": [("roedal-pbx", "asterisk", "roedal-asterisk-mini", "conf")],
    "Stuntbanana Physical Therapy": [("stuntbanana-pbx", "asterisk", "stuntbanana-etc-asterisk", "conf")],
    "Wazo Women's Health": [("wazo-pbx", "asterisk", "wazo-asterisk-config", "conf")],
    "Adhearsion Sleep Center": [("adhearsion-fs", "freeswitch", "adhearsion-fs-min-config", "conf")],
    "Retro Dermatology": [("retro-fs", "freeswitch", "retromusicbox-freeswitch", "conf")],
    "Havfo Cardiology": [("havfo-proxy", "kamailio", "havfo-webrtc-to-sip-kamailio", "conf")],
    "OpenSIPS Orthopedics": [("opensips-proxy", "opensips", "opensips-softswitch-ce", "conf")],
    "Northgate Clinic": [("northgate-pbx", "asterisk", "missing", "")],  # its copy never arrived
    HOSTILE_CLINIC: [("hostile-pbx", "asterisk", "roedal-asterisk-mini", "conf")],
}
FAILED_CLINIC = "Northgate Clinic"
IMPROVING, DECLINING = "Riverside Family Clinic", "Hillside Pediatrics"
# Voicemail PINs of the example clinic: weak as published, then fixed (Riverside improves), and the
# reverse at Hillside (it declines). Values only swapped in voicemail.conf, never shown anywhere.
WEAK_PINS = {"102 => 102,": "102 => 845120,", "103 => 1234,": "103 => 731946,", "104 => 4826,": "104 => 604817,",
             "109 => 000000,": "109 => 270953,", "106 => 582931,": "106 => 318564,"}


def set_pins(tree: Path, strong: bool) -> None:
    vm = tree / "etc" / "asterisk" / "voicemail.conf"
    text = vm.read_text()
    for weak, good in WEAK_PINS.items():
        text = text.replace(weak, good) if strong else text.replace(good, weak)
    vm.write_text(text)


def fleet_inventory(root: Path) -> Path:
    """Copies of the trees (the example clinic twice, to change it between scans) and the inventory."""
    lines = ["clinics:"]
    for clinic, targets in FLEET.items():
        lines += [f"  - name: {json.dumps(clinic)}", "    sites:", "      - name: main", "        targets:"]
        for name, platform, tree, sub in targets:
            if tree == "example":
                path = root / name
                if not path.exists():
                    shutil.copytree(EXAMPLE, path)
            elif tree == "missing":
                path = root / name / "etc-asterisk"
            else:
                path = TREES / tree / sub
            lines += [f"          - name: {name}", f"            platform: {platform}",
                      f"            config_dir: {json.dumps(str(path))}"]
    inv = root / "inventory.yaml"
    inv.write_text("\n".join(lines) + "\n")
    return inv


def scan(inv: Path) -> ScanDocument:
    reg = load_registry()
    return run_scan(load_inventory(inv), reg, load_profile("hipaa-security-rule", reg), [], max_workers=4)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> dict[str, Any]:
    return build_fleet(tmp_path_factory.mktemp("fleet"))


def build_fleet(root: Path) -> dict[str, Any]:
    """Three scans of the fleet recorded in a history store, the portfolio of the last one written
    with trends from that store. Also each earlier scan's per-clinic scores, computed when it ran."""
    inv = fleet_inventory(root)
    reg = load_registry()
    prof = load_profile("hipaa-security-rule", reg)
    store = History(root / "history.sqlite")
    set_pins(root / "hillside-pbx", strong=True)
    earlier: list[dict[str, Any]] = []
    for step in range(3):
        if step == 1:
            set_pins(root / "riverside-pbx", strong=True)
        if step == 2:
            set_pins(root / "hillside-pbx", strong=False)
        doc = scan(inv)
        if step < 2:
            store.record(doc, root / f"out-{step}")
            earlier.append({c: d.scores.overall for c, d in clinic_documents(doc, prof).items()})
    docs = clinic_documents(doc, prof)
    trends = clinic_trends(store, docs, prof)
    store.close()
    out = root / "out"
    written = write_portfolio(doc, prof, out, ["html", "json"], trends)
    return {"root": root, "inv": inv, "doc": doc, "prof": prof, "docs": docs, "trends": trends, "out": out,
            "written": written, "earlier": earlier, "db": root / "history.sqlite"}


def portfolio_json(fleet: dict[str, Any]) -> dict[str, Any]:
    return json.loads((fleet["out"] / "portfolio.json").read_text())


def test_the_fleet_is_real_and_one_clinic_failed(fleet):
    doc = fleet["doc"]
    assert len(fleet["docs"]) == len(FLEET)
    failed = {t.clinic for t in doc.targets if t.failure is not None}
    assert failed == {FAILED_CLINIC}
    platforms = {t.platform for t in doc.targets if t.failure is None}
    assert {"asterisk", "freeswitch", "kamailio", "opensips", "phone", "switch"} <= platforms
    assert doc.scores.counts.get("FAIL", 0) > 100


def test_clinics_needing_attention_come_first_never_among_the_assessed(fleet):
    rows = portfolio_json(fleet)["clinics"]
    assert rows[0]["clinic"] == FAILED_CLINIC and rows[0]["attention"] and rows[0]["score"] is None
    assert rows[0]["failures"][0]["target"] == "northgate-pbx"
    rest = rows[1:]
    assert not any(r["attention"] for r in rest)
    scores = [r["score"] for r in rest]
    assert scores == sorted(scores)  # worst first
    html = (fleet["out"] / "portfolio.html").read_text()
    pinned = html.split('<tbody class="pinned">')[1].split("</tbody>")[0]
    assert "Northgate Clinic" in pinned and "not collected" in pinned
    assert not any(r["clinic"] in pinned for r in rest)


def test_fleet_totals_use_the_one_vocabulary(fleet):
    data, doc = portfolio_json(fleet), fleet["doc"]
    totals = data["totals"]
    assert totals["failing"] == doc.scores.counts["FAIL"] == sum(r["failing"] for r in data["clinics"])
    assert totals["errors"] == doc.scores.counts["ERROR"] == sum(r["errors"] for r in data["clinics"])
    assert totals["clinics"] == len(FLEET) and totals["attention"] == 1 and totals["not_collected"] == 1
    assert totals["targets"] == sum(len(t) for t in FLEET.values())


def test_a_clinic_row_counts_failing_as_its_own_report_does(fleet):
    """One vocabulary: the portfolio's "failing" for a clinic is the "Failing" its own report.html and
    scan.json show (results FAIL and not waived), for every clinic, the failed one included."""
    for row in portfolio_json(fleet)["clinics"]:
        report = fleet["out"] / row["report"]
        shown = re.search(r'<div class="l">Failing</div><div class="v">(\d+)</div>', report.read_text())
        assert shown, row["clinic"]
        scan_json = json.loads(report.with_name("scan.json").read_text())
        failing = sum(1 for r in scan_json["results"] if r["status"] == "FAIL" and not r.get("waiver"))
        assert row["failing"] == int(shown.group(1)) == failing, row["clinic"]


def test_every_trend_line_is_drawn_inside_its_own_cell(fleet):
    """A sparkline's points stay in its 110 x 26 box: a flat 61.6 was once drawn 50 px lower, over the
    trend of a clinic two rows down, and its own cell looked empty."""
    from voxaudit.reports.portfolio import _sparkline

    html = (fleet["out"] / "portfolio.html").read_text()
    lines = re.findall(r'<polyline points="([^"]*)"', html)
    assert len(lines) >= len(FLEET) - 1  # every clinic with earlier scans has one
    for points in lines:
        for x, y in (map(float, p.split(",")) for p in points.split()):
            assert 0 <= x <= 110 and 0 <= y <= 26, points
    for scores in ([61.6] * 3, [63.4, 63.4], [75.5] * 3, [0, 0], [100, 100], [95, 99.5], [3, 7], [10, 90],
                   [None, 50, None, 60], [0.0, 100.0, 0.0]):
        drawn = _sparkline([{"score": s} for s in scores])
        assert len(drawn) == sum(s is not None for s in scores)
        assert all(3 <= y <= 23 for _, y in drawn), (scores, drawn)
        ys = [y for _, y in drawn]
        assert (max(ys) - min(ys) < 1) == (len({s for s in scores if s is not None}) == 1)  # flat only when flat


def test_every_colour_of_the_heat_map_has_its_key(fleet):
    """The legend keys each band the map can paint (it once showed 5 of the 10, so a 38 had no key)."""
    html = (fleet["out"] / "portfolio.html").read_text()
    heat = html.split('<table id="heat"')[1].split("</table>")[0]
    legend = html.split('<div class="legend">')[1].split("</div>")[0]
    keyed = set(re.findall(r'class="sw (h[-\w]+)"', legend))
    assert {f"h{band}" for band in range(10)} | {"h-zero", "h-na"} == keyed
    assert set(re.findall(r'<td class="cell (h[-\w]+)"', heat)) <= keyed


def test_recurring_findings_count_clinics_independently(fleet):
    """Counted again here from each clinic's own scan.json: failing checks per clinic."""
    data = portfolio_json(fleet)
    per_clinic: dict[str, set[str]] = {}
    for row in data["clinics"]:
        scan_json = json.loads((fleet["out"] / row["report"]).with_name("scan.json").read_text())
        per_clinic[row["clinic"]] = {r["check_id"] for r in scan_json["results"]
                                     if r["status"] == "FAIL" and not r.get("waiver")}
    expected = {}
    for cid in set().union(*per_clinic.values()):
        clinics = sorted(c for c, ids in per_clinic.items() if cid in ids)
        if len(clinics) >= 2:
            expected[cid] = clinics
    got = {r["check_id"]: r["clinics"] for r in data["recurring"]}
    assert got == expected and len(got) >= 5
    counts = [r["count"] for r in data["recurring"]]
    assert counts == sorted(counts, reverse=True)
    top = data["recurring"][0]
    assert top["of"] == len(FLEET) and top["assessed"] >= top["count"]
    html = (fleet["out"] / "portfolio.html").read_text()
    assert f"{top['count']} of {len(FLEET)} clinics" in html


def test_heat_map_has_every_clinic_and_safeguard_and_tells_zero_from_not_assessed(fleet):
    html = (fleet["out"] / "portfolio.html").read_text()
    heat = html.split('<table id="heat"')[1].split("</table>")[0]
    safeguards = fleet["doc"].safeguards
    cells = re.findall(r'<td class="cell (h[-\w]+)" data-v="([^"]*)"', heat)
    assert len(cells) == len(FLEET) * len(safeguards)
    for cls, v in cells:
        if v == "":
            assert cls == "h-na"
        elif float(v) == 0:
            assert cls == "h-zero"
        else:
            assert cls.startswith("h") and cls[1:].isdigit()
    assert {"h-na", "h-zero"} <= {c for c, _ in cells}  # both occur in this fleet, and look different
    for s in safeguards:  # full names in the column headers
        assert f"<b>{s['citation']}</b> {s['title']}" in heat.replace("&#39;", "'")


def test_trends_come_from_the_store_rescored_per_clinic(fleet):
    """A clinic's earlier score is its own (as computed when that scan ran), not the fleet's."""
    trends, earlier, docs = fleet["trends"], fleet["earlier"], fleet["docs"]
    for clinic in (IMPROVING, DECLINING, "PlayVoIP Dental"):
        points = trends[clinic]["history"]
        assert [p["score"] for p in points] == [earlier[0][clinic], earlier[1][clinic], docs[clinic].scores.overall]
        assert points[-1]["current"] and trends[clinic]["previous_score"] == earlier[1][clinic]
    assert earlier[0][IMPROVING] < earlier[1][IMPROVING]  # PINs fixed between the first two scans
    assert trends[DECLINING]["score_delta"] < 0 and trends[DECLINING]["regressed"] > 0  # the same mailboxes, now failing
    assert earlier[1][IMPROVING] != fleet["doc"].scores.overall  # would be the fleet's score otherwise
    rows = {r["clinic"]: r for r in portfolio_json(fleet)["clinics"]}
    assert rows[DECLINING]["score_delta"] == trends[DECLINING]["score_delta"]
    assert len(rows[IMPROVING]["history"]) == 3


def test_page_is_self_contained_and_its_only_script_is_allowed_by_hash(fleet):
    html = (fleet["out"] / "portfolio.html").read_text()
    tags: list[tuple[str, dict]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            tags.append((tag, dict(attrs)))

    Collect().feed(html)
    for tag, attrs in tags:
        for key in ("src", "href", "action", "data"):
            value = attrs.get(key) or ""
            assert not re.match(r"(?i)\s*(https?:|//|javascript:)", value), (tag, key, value)
        assert not [k for k in attrs if k.startswith("on")], (tag, attrs)
    assert not [t for t, _ in tags if t in {"img", "iframe", "object", "embed", "link"} and _.get("rel") != "icon"]
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    assert len(scripts) == 1 and "<script" not in html.replace("<script>" + scripts[0], "", 1)
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    csp = next(a["content"] for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and f"script-src 'sha256-{digest}'" in csp
    assert HOSTILE_CLINIC not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_csv_cells_are_never_formulas_and_links_are_unique(fleet):
    rows = list(csv.DictReader(io.StringIO((fleet["out"] / "portfolio.csv").read_text())))
    assert len(rows) == len(FLEET) and rows[0]["clinic"] == FAILED_CLINIC and rows[0]["attention"] == "yes"
    hostile = next(r for r in rows if "SUM" in r["clinic"])
    assert hostile["clinic"].startswith("<img")  # not a formula start; csv_cell leaves it as text
    assert all(not r["clinic"].startswith(("=", "+", "@")) for r in rows)
    assert len({r["report"] for r in rows}) == len(rows)
    assert all((fleet["out"] / r["report"]).is_file() for r in rows)
    assert clinic_slugs(["Clinic A", "clinic-a", "CLINIC  A"]) == {"Clinic A": "clinic-a", "clinic-a": "clinic-a-2",
                                                                    "CLINIC  A": "clinic-a-3"}


def test_a_clinic_report_holds_only_its_own_targets(fleet):
    data = portfolio_json(fleet)
    riverside = next(r for r in data["clinics"] if r["clinic"] == IMPROVING)
    html = (fleet["out"] / riverside["report"]).read_text()
    assert "HIPAA VoIP audit: Riverside Family Clinic" in html
    assert "riverside-phones" in html and "cosmic-pbx" not in html and "hillside-pbx" not in html


def test_unreadable_store_costs_the_trends_not_the_portfolio(fleet, tmp_path):
    bad = tmp_path / "history.sqlite"
    shutil.copy(fleet["db"], bad)  # two earlier scans of this fleet, then its results table lost
    store = History(bad)
    store.db.execute("DROP TABLE results")
    trends = clinic_trends(store, fleet["docs"], fleet["prof"])
    store.close()
    assert trends == {}
    p = build_portfolio(fleet["doc"], fleet["docs"], trends)
    assert all(r["history"] == [] and r["score_delta"] is None for r in p.rows)


def test_cli_scan_writes_the_portfolio_with_trends(fleet, tmp_path):
    """The real entry point: two scans of the fleet into one history store; the second portfolio has a
    trend for each clinic and the failed clinic pinned first."""
    exe = Path(sys.executable).with_name("voxaudit")
    cmd = [str(exe), "scan", str(fleet["inv"]), "--portfolio", "-f", "html,json", "--history-db",
           str(tmp_path / "h.sqlite"), "-q", "--workers", "4"]
    for n in range(2):
        proc = subprocess.run(cmd + ["-o", str(tmp_path / f"out{n}")], capture_output=True, text=True, timeout=300,
                              check=False)
        assert proc.returncode in (0, 1), proc.stderr[-2000:]
    data = json.loads((tmp_path / "out1" / "portfolio.json").read_text())
    assert data["clinics"][0]["clinic"] == FAILED_CLINIC
    assert all(r["previous_scan"] for r in data["clinics"] if not r["attention"])
    html = (tmp_path / "out1" / "portfolio.html").read_text()
    assert '<tbody class="pinned">' in html and 'id="heat"' in html and 'id="recurring-table"' in html
