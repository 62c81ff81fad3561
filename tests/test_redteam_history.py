"""Red team: a history store edited by hand (or by someone else) and hand-edited scan files given to
``voxaudit history``/``diff``: wrong types and terminal escapes never crash the command (exit 4)
nor reach the terminal."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE
from voxaudit.history import History, Snapshot, diff
from voxaudit.scan import load_scan

ESC = "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\\x1b[2J"


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "voxaudit.cli", *args], capture_output=True, text=True, timeout=120,
                          cwd=home, env={"PATH": "/usr/bin:/bin", "HOME": str(home), "COLUMNS": "200",
                                         "VOXAUDIT_HISTORY": str(home / "h.db")})


@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("home")
    proc = _cli("scan", "--config-dir", str(EXAMPLE), "-f", "json", "-o", str(home / "out"), "-q", home=home)
    assert proc.returncode == 0, proc.stderr
    return home


def _hostile_store(scanned: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "h.db").write_bytes((scanned / "h.db").read_bytes())
    db = sqlite3.connect(home / "h.db")
    db.execute("UPDATE scans SET scan_id = ?, profile = ?, report_dir = ?, finished_at = ?, overall = 'abc', "
               "failing = 'x'", ("id" + ESC, "p" + ESC, "/r" + ESC, "2026" + ESC))
    db.execute("UPDATE results SET target = ?, check_id = ? WHERE rowid < 5", ("t" + ESC, "c" + ESC))
    db.execute("INSERT INTO scans (scan_id, overall, failing, errors) VALUES ('b', 1e999, -1, 99999999999999999999)")
    db.execute("INSERT INTO safeguard_scores SELECT id, x'00ff', 'high', NULL FROM scans WHERE scan_id LIKE 'id%'")
    db.commit()
    db.close()
    return home


@pytest.mark.parametrize("args", [("history",), ("history", "--format", "json"), ("diff",), ("diff", "--format", "json")])
def test_a_hand_edited_store_is_read_not_crashed_on(scanned, tmp_path, args):
    home = _hostile_store(scanned, tmp_path)
    proc = _cli(*args, home=home)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout + proc.stderr


def test_store_rows_come_back_typed(scanned, tmp_path):
    home = _hostile_store(scanned, tmp_path)
    store = History(home / "h.db")
    try:
        rows = store.scans()
        for row in rows:
            assert row["overall"] is None or isinstance(row["overall"], float)
            assert isinstance(row["failing"], int) and isinstance(row["errors"], int)
            assert all("\x1b" not in (row[k] or "") for k in ("scan_id", "profile", "report_dir", "finished_at"))
        hostile = next(r for r in rows if r["scan_id"].startswith("id"))
        snap = store.snapshot(hostile["scan_id"])  # the id as shown finds the scan stored with escapes
        assert snap.overall is None and not any("\x1b" in "".join(k) for k in snap.results)
    finally:
        store.close()


def test_a_hand_edited_scan_file_cannot_put_escapes_into_a_diff(scanned, tmp_path):
    doc = json.loads((scanned / "out" / "scan.json").read_text())
    doc["scan_id"] = "x" + ESC
    for r in doc["results"]:
        r["target"] = "t" + ESC
    for t in doc["targets"]:
        t["name"] = "t" + ESC
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(doc))
    d = diff(Snapshot.of(load_scan(scanned / "out" / "scan.json")), Snapshot.of(load_scan(edited)))
    assert d.new and "\x1b" not in json.dumps([d.after, d.new, d.resolved])
    proc = _cli("diff", str(scanned / "out" / "scan.json"), str(edited), home=scanned)
    assert proc.returncode == 0 and "\x1b" not in proc.stdout, proc.stderr


def test_a_stored_scan_id_cannot_inject_into_the_reports_trend(scanned, tmp_path):
    """The trend line prints the previous scan's id in a Markdown code span: a stored id holding a
    backtick, a javascript: link and an <img> broke out of it."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "h.db").write_bytes((scanned / "h.db").read_bytes())
    db = sqlite3.connect(home / "h.db")
    db.execute("UPDATE scans SET scan_id = ?", ("x` [click](javascript:alert(1)) <img src=x onerror=alert(1)> `y",))
    db.commit()
    db.close()
    proc = _cli("scan", "--config-dir", str(EXAMPLE), "-f", "md,html", "-o", str(home / "out"), "-q", home=home)
    assert proc.returncode == 0, proc.stderr
    md = (home / "out" / "report.md").read_text()
    html = (home / "out" / "report.html").read_text()
    assert "javascript:" not in md + html and "<img" not in md + html and "`y" not in md


def test_names_from_a_hand_edited_store_are_printed_as_text_not_markup(tmp_path):
    """history and diff print stored scan ids, profiles, targets and resources: rich markup in them
    ([link=...], [bold]) is shown as written, never rendered (styles, links)."""
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import EXAMPLE

    exe = str(Path(sys.executable).parent / "voxaudit")
    db = tmp_path / "h.sqlite"
    for i in range(2):
        subprocess.run([exe, "scan", "--config-dir", str(EXAMPLE), "-o", str(tmp_path / f"o{i}"), "-f", "json", "-q",
                        "--history-db", str(db)], capture_output=True, timeout=120)
    con = sqlite3.connect(db)
    con.execute("update scans set profile='[link=http://evil.example]p[/link]'")
    con.commit()
    con.close()
    for cmd in (["history"], ["diff"]):
        proc = subprocess.run([exe, *cmd, "--history-db", str(db)], capture_output=True, text=True, timeout=120,
                              env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "FORCE_COLOR": "1"})
        assert proc.returncode == 0, proc.stderr
        assert "\x1b]8;" not in proc.stdout  # no hyperlink escape rendered
    assert "[link=http://evil.example]" in subprocess.run([exe, "history", "--history-db", str(db)], capture_output=True,
                                                          text=True, timeout=120, env={"COLUMNS": "200"}).stdout
