"""Config-derived text cannot inject into any output: Markdown, HTML, CSV, JUnit, SARIF, terminal."""
from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import write_tree
from voxaudit.reports.escaping import csv_cell, md_text, terminal_safe, xml_safe

OSC_LINK = "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\"
HOSTILE_PJSIP = f"""
[transport-udp]
type=transport
protocol=udp
bind=0.0.0.0

[<script>alert(1)</script>]
type=endpoint
media_encryption=no
transport=transport-udp

[=HYPERLINK("http://x.example","y")]
type=endpoint
media_encryption=no

[<img src=x onerror=alert(2)>|pipe`tick]
type=endpoint
media_encryption=no

[@SUM(1+1)\x1b[31mred{OSC_LINK}[bold]b[/bold]]
type=endpoint
media_encryption=[x](javascript:alert(3))
"""


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    root = write_tree(tmp_path_factory.mktemp("tree"), {"pjsip.conf": HOSTILE_PJSIP})
    out = root.parent / "out"
    proc = subprocess.run([sys.executable, "-m", "voxaudit.cli", "scan", "--config-dir", str(root), "-f", "all",
                           "-o", str(out)], capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(root.parent), "COLUMNS": "200"})
    assert proc.returncode in (0, 1), proc.stderr
    return out, proc


def test_the_hostile_names_reached_the_results(outputs):
    out, _ = outputs
    resources = {r["resource"] for r in json.loads((out / "scan.json").read_text())["results"]}
    assert any("<script>" in r for r in resources) and any("HYPERLINK" in r for r in resources)


def test_markdown_renders_them_as_text(outputs):
    full = (outputs[0] / "report.md").read_text()
    assert "\x1b" not in full and full.count("```") % 2 == 0  # no fence closed early by config text
    md = re.sub(r"```ini\n.*?\n```", "", full, flags=re.S)  # inside a fence, text is literal
    assert "<script" not in md and "<img" not in md and "\x1b" not in md
    assert not re.search(r"(?<!\\)\]\((?:javascript|http)", md)  # no live link from config text
    for line in md.splitlines():  # no table row gained cells from a '|' in a name
        if line.startswith("| ") and "endpoint" in line and "pipe" in line:
            assert len(re.findall(r"(?<!\\)\|", line)) == 4, line


def test_html_has_no_injected_element_or_handler(outputs):
    tags: list[tuple[str, list]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            tags.append((tag, attrs))

    html = (outputs[0] / "report.html").read_text()
    Collect().feed(html)
    assert not [t for t, a in tags if t == "img"]
    assert not [a for _, attrs in tags for a in attrs if a[0].startswith("on")]
    assert "alert(1)</script>" not in html and "&lt;script&gt;alert(1)" in html
    # a name's terminal escapes (OSC hyperlinks, ESC[2J) would run when the file is cat'ed or sent to -o -
    assert "\x1b" not in html and "\x9b" not in html


def test_csv_cells_are_never_formulas(outputs):
    rows = list(csv.reader(io.StringIO((outputs[0] / "findings.csv").read_text())))
    cells = [c for row in rows[1:] for c in row]
    assert any("HYPERLINK" in c for c in cells)
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_junit_and_sarif_stay_well_formed(outputs):
    out = outputs[0]
    root = ET.parse(out / "junit.xml").getroot()
    assert root.tag == "testsuites" and root.iter("testcase")
    sarif = json.loads((out / "results.sarif").read_text())
    texts = [r["message"]["text"] for r in sarif["runs"][0]["results"]]
    assert texts and not [t for t in texts if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", t)]


def test_terminal_output_has_no_escape_sequences_or_markup(outputs):
    _, proc = outputs
    assert "\x1b" not in proc.stdout + proc.stderr


@pytest.mark.parametrize("text", ["\x00\x01 a\x1b[2J\x1b]0;title\x07b\x9b", "\ud800x\ufffe", "=1+1", "\t@x"])
def test_escaping_functions(text):
    assert "\x1b" not in terminal_safe(text) and "\x00" not in terminal_safe(text)
    ET.fromstring(f"<a b='{xml_safe(text).replace(chr(39), '')}'/>".encode("utf-8", "surrogatepass"))
    assert not csv_cell(text).startswith(("=", "+", "-", "@", "\t", "\r"))
    assert "[" not in md_text("[x](javascript:y)").replace("\\[", "")


def test_a_hand_edited_scan_header_and_trend_stay_text_or_are_refused(tmp_path):
    """report re-renders a saved scan: a scan id or a previous-scan id with a backtick cannot close its code span
    and inject a link or an image into report.md; a trend that is not the trend's shape is exit 2, not exit 4."""
    from tests.conftest import EXAMPLE

    exe = str(Path(sys.executable).parent / "voxaudit")
    out = tmp_path / "out"
    subprocess.run([exe, "scan", "--config-dir", str(EXAMPLE), "-o", str(out), "-f", "json", "-q", "--no-history"],
                   capture_output=True, timeout=120)
    doc = json.loads((out / "scan.json").read_text())
    evil = "x` [click](javascript:alert(1)) <img src=x onerror=alert(1)> `y"
    doc["scan_id"] = evil
    doc["trend"] = {"previous_scan": evil, "previous_score": 40.0, "score_delta": 6.8, "new": 1, "regressed": 0,
                    "resolved": 2}
    (tmp_path / "t.json").write_text(json.dumps(doc))
    proc = subprocess.run([exe, "report", str(tmp_path / "t.json"), "-f", "md", "-o", str(tmp_path / "r")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "r" / "report.md").read_text()
    outside_code = re.sub(r"`[^`\n]*`", "", md)  # what renders as Markdown (code spans are literal)
    assert "javascript:" not in outside_code and "<img" not in outside_code
    assert md.count("`x' [click](javascript:alert(1)) <img src=x onerror=alert(1)> 'y`") == 2
    assert "Since the previous scan" in md and "+6.8" in md
    doc["trend"] = {"x": 1, "score_delta": "lots"}
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    proc = subprocess.run([exe, "report", str(tmp_path / "bad.json"), "-f", "md", "-o", str(tmp_path / "r2")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "trend" in proc.stderr, proc.stderr
    doc["trend"], doc["scores"] = None, "x"  # a model inside the scan: one line too, no pydantic text
    (tmp_path / "bad2.json").write_text(json.dumps(doc))
    proc = subprocess.run([exe, "report", str(tmp_path / "bad2.json"), "-f", "md", "-o", str(tmp_path / "r3")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "$.scores" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "pydantic" not in proc.stderr
