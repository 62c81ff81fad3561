"""The HTML report, the MSP portfolio and the PDF, in a real browser: Debian's chromium driven by
Selenium through Debian's chromium-driver (its path given, so nothing is downloaded).

Pages are opened from disk as an MSP or a clinic would open them. Every test also holds the page to
no console message at warning level or above and no request but the page itself (the browser's
performance log lists every request the page made). The PDF is printed by reports.pdf with the same
chromium, its pages rendered to images with poppler's pdftoppm and its text read with pdftotext.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from tests.conftest import EXAMPLE
from tests.test_portfolio import FAILED_CLINIC, FLEET, HOSTILE_CLINIC, build_fleet
from voxaudit.engine.collect import TargetSpec
from voxaudit.profile import load_profile
from voxaudit.registry import load_registry
from voxaudit.reports.model import build_report
from voxaudit.reports.pdf import PdfError
from voxaudit.reports.render import write_reports
from voxaudit.scan import ScanDocument
from voxaudit.service import run_scan

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CLINIC = "Riverside Family Clinic"
SETUP_HINT = "scripts/setup.sh --test installs them (apt: chromium chromium-driver poppler-utils)"


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[Any]:
    if not CHROMIUM or not Path(CHROMEDRIVER).is_file():
        pytest.fail(f"Debian's chromium and chromium-driver are needed: {SETUP_HINT}")
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not look for a driver or browser online
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1600,1000",
                "--disable-background-networking", "--disable-component-update", "--no-first-run",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        opts.add_argument(arg)
    if os.geteuid() == 0:
        opts.add_argument("--no-sandbox")  # chromium refuses to run as root with its sandbox
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


def open_page(driver: Any, path: Path, fragment: str = "") -> None:
    driver.get_log("browser")
    driver.get_log("performance")  # start both logs from this page
    driver.get(path.resolve().as_uri() + fragment)
    assert driver.execute_script("return document.readyState") == "complete"


def problems(driver: Any, page: Path) -> list[str]:
    """Console messages at warning level or above, and every request but the page itself."""
    found = [f"console {e['level']}: {e['message']}" for e in driver.get_log("browser")
             if e["level"] in {"WARNING", "SEVERE"}]
    uri = page.resolve().as_uri()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] != "Network.requestWillBeSent":
            continue
        url, document = message["params"]["request"]["url"], message["params"].get("documentURL", "")
        if re.match(r"(?i)(https?|wss?|ftp):", url):
            found.append(f"request to the network: {url}")  # from anything in the browser, never allowed
        elif document.split("#")[0] == uri and url.split("#")[0] != uri and not url.startswith("data:"):
            found.append(f"request from the page: {url}")
    return found


def visible_rows(driver: Any, css: str) -> list[Any]:
    return [r for r in driver.find_elements(By.CSS_SELECTOR, css) if r.is_displayed()]


# -- the portfolio --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> dict[str, Any]:
    """The fleet of tests/test_portfolio.py: real trees, a failed clinic, three scans of history."""
    return build_fleet(tmp_path_factory.mktemp("fleet"))


@pytest.fixture(scope="module")
def portfolio(fleet) -> Path:
    return fleet["out"] / "portfolio.html"


def clinic_order(driver: Any, body: str) -> list[str]:
    return [r.get_attribute("data-clinic") for r in driver.find_elements(By.CSS_SELECTOR, f"#clinics {body} tr[data-clinic]")]


def column_values(driver: Any, table: str, index: int) -> list[Any]:
    """The sort values of column ``index`` in the table's last (assessed) body, in page order."""
    return driver.execute_script(
        "var b = document.querySelector(arguments[0]).tBodies; b = b[b.length - 1];"
        "return Array.prototype.map.call(b.rows, function (r) { var c = r.cells[arguments[1]];"
        " var v = c.getAttribute('data-v'); return v === null ? c.textContent.trim() : v; });"
        .replace("arguments[1]", str(index)), table)


def numbers(values: list[str]) -> tuple[list[float], int]:
    """The numeric values in order, and how many not-assessed values come after them all."""
    nums, blanks, seen_blank = [], 0, False
    for v in values:
        if v == "":
            blanks, seen_blank = blanks + 1, True
        else:
            assert not seen_blank, f"a number after a not-assessed value: {values}"
            nums.append(float(v))
    return nums, blanks


def test_portfolio_loads_with_no_console_message_and_no_request(browser, portfolio):
    open_page(browser, portfolio)
    assert browser.find_element(By.ID, "clinic-count").text == f"Showing {len(FLEET)} of {len(FLEET)} clinics"
    assert browser.find_element(By.TAG_NAME, "h1").text == f"MSP portfolio: {len(FLEET)} clinics"
    assert problems(browser, portfolio) == []


def test_portfolio_sorting_keeps_clinics_needing_attention_first(browser, portfolio, fleet):
    open_page(browser, portfolio)
    failed = FAILED_CLINIC.lower()
    heads = browser.find_elements(By.CSS_SELECTOR, "#clinics thead th")
    score_head = next(h for h in heads if h.text.startswith("Score"))
    score_index = heads.index(score_head)
    for direction in ("ascending", "descending"):
        score_head.click()
        assert score_head.get_attribute("aria-sort") == direction
        assert clinic_order(browser, "tbody.pinned") == [failed]
        values, blanks = numbers(column_values(browser, "#clinics", score_index))
        assert values == sorted(values, reverse=direction == "descending") and len(values) == len(FLEET) - 1
    heads[0].send_keys(Keys.ENTER)  # by keyboard too
    assert heads[0].get_attribute("aria-sort") == "ascending"
    names = clinic_order(browser, "tbody:not(.pinned)")
    assert names == sorted(names) and failed not in names
    # The whole table in page order: the failed clinic is never among the assessed ones.
    assert clinic_order(browser, "tbody")[0] == failed
    trend_head = next(h for h in heads if h.text.startswith("Trend"))
    trend_head.click()
    deltas, _ = numbers(column_values(browser, "#clinics", heads.index(trend_head)))
    assert deltas[0] < 0 and deltas == sorted(deltas)  # the declining clinic first
    assert problems(browser, portfolio) == []


def test_heat_map_sorts_by_a_safeguard_with_not_assessed_last(browser, portfolio, fleet):
    open_page(browser, portfolio)
    heads = browser.find_elements(By.CSS_SELECTOR, "#heat thead th")
    sg_heads = [h for h in heads if "sg" in (h.get_attribute("class") or "")]
    assert len(sg_heads) == len(fleet["doc"].safeguards)
    checked = 0
    for head in sg_heads:
        index = heads.index(head)
        head.click()
        values, blanks = numbers(column_values(browser, "#heat", index))
        assert values == sorted(values)
        head.click()
        desc, blanks_desc = numbers(column_values(browser, "#heat", index))
        assert desc == sorted(values, reverse=True) and blanks_desc == blanks  # n/a stays last both ways
        checked += 1 if values and blanks else 0
    assert checked  # some safeguard had both scores and not-assessed clinics
    pinned = browser.find_elements(By.CSS_SELECTOR, "#heat tbody.pinned tr[data-clinic]")
    assert [r.get_attribute("data-clinic") for r in pinned] == [FAILED_CLINIC.lower()]
    assert problems(browser, portfolio) == []


def test_portfolio_filtering(browser, portfolio, fleet):
    open_page(browser, portfolio)
    box = browser.find_element(By.ID, "clinic-filter")
    box.send_keys("PEDIA")  # case-insensitive
    shown = visible_rows(browser, "#clinics tr[data-clinic]")
    assert [r.get_attribute("data-clinic") for r in shown] == ["hillside pediatrics"]
    assert [r.get_attribute("data-clinic") for r in visible_rows(browser, "#heat tr[data-clinic]")] == ["hillside pediatrics"]
    assert not visible_rows(browser, "#clinics tr.group")  # the attention group has nothing to show
    assert browser.find_element(By.ID, "clinic-count").text == f"Showing 1 of {len(FLEET)} clinics"
    box.clear()
    box.send_keys(Keys.SPACE, Keys.BACKSPACE)  # an input event with the box empty
    show = Select(browser.find_element(By.ID, "clinic-show"))
    show.select_by_value("attention")
    assert [r.get_attribute("data-clinic") for r in visible_rows(browser, "#clinics tr[data-clinic]")] == [FAILED_CLINIC.lower()]
    assert visible_rows(browser, "#clinics tr.group")
    show.select_by_value("declined")
    assert [r.get_attribute("data-clinic") for r in visible_rows(browser, "#clinics tr[data-clinic]")] == ["hillside pediatrics"]
    show.select_by_value("critical")
    rows = {r["clinic"]: r for r in json.loads((portfolio.parent / "portfolio.json").read_text())["clinics"]}
    expected = {c.lower() for c, r in rows.items() if r["critical"] > 0}
    assert {r.get_attribute("data-clinic") for r in visible_rows(browser, "#clinics tr[data-clinic]")} == expected
    show.select_by_value("all")
    assert len(visible_rows(browser, "#clinics tr[data-clinic]")) == len(FLEET)

    recurring = json.loads((portfolio.parent / "portfolio.json").read_text())["recurring"]
    Select(browser.find_element(By.ID, "finding-severity")).select_by_value("4")
    shown_checks = [r.get_attribute("data-check") for r in visible_rows(browser, "tr[data-check]")]
    assert shown_checks == [r["check_id"] for r in recurring if r["severity"] == "critical"] and shown_checks
    Select(browser.find_element(By.ID, "finding-severity")).select_by_value("0")
    browser.find_element(By.ID, "finding-filter").send_keys("pin")
    shown_checks = [r.get_attribute("data-check") for r in visible_rows(browser, "tr[data-check]")]
    assert shown_checks == [r["check_id"] for r in recurring if "pin" in (r["check_id"] + " " + r["title"]).lower()]
    assert browser.find_element(By.ID, "finding-count").text == f"Showing {len(shown_checks)} of {len(recurring)} recurring findings"
    assert problems(browser, portfolio) == []


def test_hostile_clinic_name_is_text_and_every_clinic_link_opens_its_report(browser, portfolio):
    open_page(browser, portfolio)
    links = browser.find_elements(By.CSS_SELECTOR, "#clinics td a")
    assert HOSTILE_CLINIC in [a.text for a in links]
    assert browser.execute_script("return document.images.length") == 0
    with pytest.raises(NoAlertPresentException):
        _ = browser.switch_to.alert.text
    targets = [a.get_attribute("href") for a in links]
    assert len(targets) == len(FLEET) and all(t.startswith("file://") for t in targets)
    for href in targets:
        assert Path(href.removeprefix("file://")).is_file()
    riverside = next(a for a in links if a.text == CLINIC)
    riverside.click()
    assert browser.find_element(By.TAG_NAME, "h1").text == f"HIPAA VoIP audit: {CLINIC}"
    assert problems(browser, Path(browser.current_url.removeprefix("file://"))) == []


# -- the report -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def clinic_doc() -> ScanDocument:
    reg = load_registry()
    return run_scan([TargetSpec(name="riverside-pbx", platform="asterisk", config_dir=EXAMPLE, clinic=CLINIC)], reg,
                    load_profile("hipaa-security-rule", reg), [])


@pytest.fixture(scope="module")
def report_dir(clinic_doc, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    write_reports(clinic_doc, ["html", "pdf"], out)
    return out


def test_report_jump_links_resolve(browser, report_dir, clinic_doc):
    page = report_dir / "report.html"
    open_page(browser, page)
    hrefs = browser.execute_script(
        "return Array.prototype.map.call(document.querySelectorAll('a[href^=\"#\"]'), function (a) {"
        " return a.getAttribute('href').slice(1); })")
    missing = browser.execute_script(
        "return arguments[0].filter(function (id) { return !document.getElementById(id); })", hrefs)
    assert hrefs and missing == []
    model = build_report(clinic_doc)
    fix_first = browser.find_elements(By.CSS_SELECTOR, "#fix-first a")
    assert len(fix_first) == len(model.fix_first) > 0
    for link, finding in list(zip(fix_first, model.fix_first))[:3]:
        link.click()
        assert browser.execute_script("return location.hash") == f"#{finding.anchor}"
        top = browser.execute_script("return document.getElementById(arguments[0]).getBoundingClientRect().top",
                                     finding.anchor)
        assert -2 < top < 50  # scrolled to the finding (sub-pixel rounding aside)
        assert finding.meta.id in browser.find_element(By.ID, finding.anchor).text
        browser.execute_script("window.scrollTo(0, 0)")
    assert problems(browser, page) == []


def test_report_shows_each_finding_once_with_its_safeguards(browser, report_dir, clinic_doc):
    page = report_dir / "report.html"
    open_page(browser, page)
    model = build_report(clinic_doc)
    cards = browser.find_elements(By.CSS_SELECTOR, "#findings .finding")
    assert len(cards) == len(model.findings) == len({c.get_attribute("id") for c in cards})
    several = next(f for f in model.findings if len(f.safeguards) > 2)
    card = browser.find_element(By.ID, several.anchor)
    chips = [c.text for c in card.find_elements(By.CSS_SELECTOR, ".chip")]
    titles = {s.id: f"{s.citation} {s.title}" for s in model.safeguards}
    assert chips == [titles[s] for s in several.safeguards]
    # Under each safeguard it is listed with the others it also counts for.
    also = browser.execute_script(
        "return Array.prototype.map.call(document.querySelectorAll('#by-safeguard a[href=\"#' + arguments[0] + '\"]'),"
        " function (a) { return a.closest('td').querySelector('.also').textContent; })", several.anchor)
    assert len(also) == len(several.safeguards) and all(t.startswith("also counts for") for t in also)


def test_report_tells_zero_from_not_assessed_and_uses_the_window(browser, report_dir, clinic_doc):
    page = report_dir / "report.html"
    open_page(browser, page)
    rows = browser.find_elements(By.CSS_SELECTOR, "#safeguards tr[id^=sg-]")
    by_score = {s.score: s for s in clinic_doc.scores.safeguards}
    assert 0 in by_score and None in by_score  # the example clinic has both
    zero_row = next(r for r in rows if r.find_elements(By.CSS_SELECTOR, ".zero"))
    na_row = next(r for r in rows if r.find_elements(By.CSS_SELECTOR, ".na"))
    zero_bar = zero_row.find_element(By.CSS_SELECTOR, ".bar")
    na_bar = na_row.find_element(By.CSS_SELECTOR, ".bar")
    style = "return [getComputedStyle(arguments[0]).backgroundImage, getComputedStyle(arguments[0]).outlineStyle," \
            " getComputedStyle(arguments[0]).outlineColor]"
    assert browser.execute_script(style, zero_bar) != browser.execute_script(style, na_bar)
    assert "not assessed" in na_row.text and "0.0" in zero_row.text and "not assessed" not in zero_row.text
    for s in clinic_doc.scores.safeguards:  # full names, never cut
        assert f"{s.citation} {s.title}" in browser.find_element(By.ID, "safeguards").text
    for width in (1600, 2200):
        browser.set_window_size(width, 1000)
        used = browser.execute_script("return document.getElementById('findings').getBoundingClientRect().width")
        assert used > 0.8 * (width - 260)  # no fixed max-width: beside the contents list, the full window
    side_by_side = browser.execute_script(
        "return document.getElementById('fix-first').getBoundingClientRect().top"
        " === document.getElementById('safeguards').getBoundingClientRect().top")
    assert side_by_side  # at 2200 px, fix-first and the safeguard scores share a row
    browser.set_window_size(1600, 1000)
    assert problems(browser, page) == []


OVERFLOW = """return Array.prototype.map.call(document.querySelectorAll('main section'), function (s) {
  return [s.id, s.scrollWidth - s.clientWidth, getComputedStyle(s).overflowX]; });"""


def test_report_tables_stay_inside_their_cards(browser, report_dir):
    """From a laptop's 1280 px to 2200 px nothing is wider than its card (the safeguard table once spilled
    its Pass/Fail/Waived/Error columns over the card's edge at 1600 px, beside "Fix first"); in a window
    narrower than a table, the table scrolls inside its card instead of being cut."""
    page = report_dir / "report.html"
    open_page(browser, page)
    try:
        for width in (1280, 1600, 1900, 2200):
            browser.set_window_size(width, 1000)
            wide = [(sid, extra) for sid, extra, _ in browser.execute_script(OVERFLOW) if extra > 0]
            assert wide == [], (width, wide)
        browser.set_window_size(800, 1000)
        sections = browser.execute_script(OVERFLOW)
        assert any(extra > 0 for _, extra, _ in sections)  # the safeguard table is wider than 800 px allows
        assert all(overflow in {"auto", "scroll"} for _, extra, overflow in sections if extra > 0), sections
    finally:
        browser.set_window_size(1600, 1000)
    assert problems(browser, page) == []


def test_report_print_stylesheet(browser, report_dir):
    page = report_dir / "report.html"
    open_page(browser, page)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        fix_bg, header_bg, nav, brk = browser.execute_script(
            "return [getComputedStyle(document.querySelector('.fix')).backgroundColor,"
            " getComputedStyle(document.querySelector('header.top')).backgroundColor,"
            " getComputedStyle(document.querySelector('nav.toc')).display,"
            " getComputedStyle(document.querySelector('.finding')).breakInside]")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    for color in (fix_bg, header_bg):
        r, g, b = (int(x) for x in re.findall(r"\d+", color)[:3])
        assert 0.2126 * r + 0.7152 * g + 0.0722 * b > 200, color  # light: no dark blocks on paper
    assert nav == "none" and brk == "avoid"


# -- the PDF --------------------------------------------------------------------------------------

def pgm_ink(path: Path) -> float:
    """Share of pixels that are not near-white in a binary PGM (pdftoppm -gray)."""
    data = path.read_bytes()
    fields, pos = [], 0
    while len(fields) < 4:  # magic, width, height, maxval
        while data[pos:pos + 1].isspace():
            pos += 1
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P5" and int(fields[3]) == 255
    pixels = data[pos + 1:]
    assert len(pixels) == int(fields[1]) * int(fields[2])
    return sum(1 for p in pixels if p < 200) / len(pixels)


def test_pdf_pages_are_rendered_and_hold_the_evidence(report_dir, clinic_doc, tmp_path):
    pdf = report_dir / "report.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 3 and "612 x 792" in info  # US Letter
    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(pdf), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.pgm"))
    assert len(images) == pages
    ink = [pgm_ink(p) for p in images]
    assert all(share > 0.004 for share in ink), ink  # no blank page
    assert max(ink) < 0.35, ink  # and none is a dark slab (no black code blocks or header on paper)

    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    model = build_report(clinic_doc)
    flat = " ".join(text.split())
    assert f"HIPAA VoIP audit: {CLINIC}" in flat and f"{model.score:.1f} / 100" in flat
    assert f"Page 1 of {pages}" in flat and f"Page {pages} of {pages}" in flat
    for f in model.findings:
        assert f"{f.meta.id}:" in flat
    # A finding that fits on a page is never split: its heading and its "How to fix" share a page.
    page_texts = text.split("\f")
    for f in model.findings:
        if len(f.results) > 4:
            continue
        start = next(i for i, t in enumerate(page_texts) if re.search(rf"\b{re.escape(f.meta.id)}:", t))
        after = page_texts[start].split(f"{f.meta.id}:", 1)[1]
        assert "How to fix (" in after, f"{f.meta.id} is split across pages {start + 1} and {start + 2}"
    # A control ID is copied from the PDF into other commands: each table prints it whole, on one line.
    coverage = text.split("Coverage and errors", 1)[1].split("Passed checks", 1)[0]
    assert model.errors and all(re.search(rf"(?<![\w-]){re.escape(r.check_id)}(?![\w-])", coverage)
                                for r in model.errors), coverage[:2000]
    # Passed checks are printed expanded (a closed <details> would print nothing).
    passed_ids = {meta.id for meta, _, _ in model.passed_checks}
    missing = sorted(cid for cid in passed_ids if cid not in flat)
    assert passed_ids and not missing, (missing, [ln for ln in text.splitlines() if any(m.split("-")[0] in ln for m in missing)][:20])


def test_pdf_without_chromium_names_what_to_install_and_the_rest_is_written(clinic_doc, tmp_path, monkeypatch):
    monkeypatch.setenv("VOXAUDIT_CHROMIUM", str(tmp_path / "no-such-chromium"))
    out = tmp_path / "out"
    with pytest.raises(PdfError) as caught:
        write_reports(clinic_doc, ["pdf", "html", "md"], out)
    assert "apt-get install chromium" in str(caught.value) and "VOXAUDIT_CHROMIUM" in str(caught.value)
    assert sorted(p.name for p in caught.value.written) == ["report.html", "report.md", "scan.json"]
    assert all(p.is_file() for p in caught.value.written) and not (out / "report.pdf").exists()
    monkeypatch.delenv("VOXAUDIT_CHROMIUM")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PdfError, match="no Chromium or Chrome on PATH"):
        write_reports(clinic_doc, ["pdf"], tmp_path / "out2")


def test_portfolio_with_pdf_writes_every_clinic_even_without_chromium(fleet, tmp_path, monkeypatch):
    from voxaudit.reports.portfolio import write_portfolio
    monkeypatch.setenv("VOXAUDIT_CHROMIUM", str(tmp_path / "no-such-chromium"))
    with pytest.raises(PdfError) as caught:
        write_portfolio(fleet["doc"], fleet["prof"], tmp_path / "p", ["html", "pdf"])
    names = {p.relative_to(tmp_path / "p").as_posix() for p in caught.value.written}
    assert {"portfolio.html", "portfolio.json", "portfolio.csv"} <= names
    assert sum(1 for n in names if n.endswith("/report.html")) == len(FLEET)
