"""History store, trend, diff and baseline gating, end to end through the CLI."""
from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE
from voxaudit.history import SCHEMA_VERSION, SQLITE, History, HistoryError

EXE = str(Path(sys.executable).parent / "voxaudit")


def voxaudit(*args, check=True) -> subprocess.CompletedProcess:
    proc = subprocess.run([EXE, *map(str, args)], capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode in (0, 1), proc.stderr
    return proc


@pytest.fixture
def two_scans(tmp_path):
    db = tmp_path / "h.sqlite"
    tree = tmp_path / "clinic"
    shutil.copytree(EXAMPLE, tree)
    voxaudit("scan", "--config-dir", tree, "--name", "riverside", "-o", tmp_path / "s1", "-q", "--history-db", db)
    general = tree / "etc" / "asterisk" / "vm_general.inc"
    general.write_text(general.read_text().replace("minpassword=4", "minpassword=6"))  # fixes AST-VM-105
    mgr = tree / "etc" / "asterisk" / "manager.conf"
    # a new weak AMI user; a known-weak secret no path or id can hold by chance (the temporary folder was once pytest-1234)
    mgr.write_text(mgr.read_text() + "\n[intruder]\nsecret = letmein\nread = all\nwrite = all\n")
    voxaudit("scan", "--config-dir", tree, "--name", "riverside", "-o", tmp_path / "s2", "-q", "--history-db", db)
    return db, tmp_path


def test_trend_history_and_diff(two_scans):
    db, tmp = two_scans
    second = json.loads((tmp / "s2" / "scan.json").read_text())
    trend = second["trend"]
    assert trend["new"] >= 1 and trend["resolved"] >= 1 and trend["previous_scan"]
    assert "Since the previous scan" in (tmp / "s2" / "report.html").read_text()
    rows = json.loads(voxaudit("history", "--history-db", db, "--format", "json").stdout)
    assert len(rows) == 2 and rows[0]["scan_id"] == second["scan_id"]
    d = json.loads(voxaudit("diff", "--history-db", db, "--format", "json").stdout)
    # two 2.x scans are compared by control: AST-AMI-102 is AUTH-SECRET-101, AST-VM-105 is MBX-POL-101
    assert any(n[0] == "AUTH-SECRET-101" and "intruder" in n[2] for n in d["new"])
    assert any(r[0] == "MBX-POL-101" for r in d["resolved"])
    same = json.loads(voxaudit("diff", tmp / "s1" / "scan.json", tmp / "s2" / "scan.json", "--format", "json").stdout)
    assert same["new"] == d["new"]
    assert "letmein" not in db.read_bytes().decode("latin-1")  # ids and statuses only, never a secret


def test_baseline_fails_ci_only_on_new_findings(two_scans):
    db, tmp = two_scans
    voxaudit("baseline", tmp / "s1" / "scan.json", "-o", tmp / "baseline.json")
    again = voxaudit("report", tmp / "s1" / "scan.json", "-o", tmp / "r1", "-q", "--fail-on", "low",
                     "--baseline", tmp / "baseline.json", check=False)
    assert again.returncode == 0, again.stderr  # nothing new against its own baseline
    gated = voxaudit("report", tmp / "s2" / "scan.json", "-o", tmp / "r2", "--fail-on", "high",
                     "--baseline", tmp / "baseline.json", check=False)
    assert gated.returncode == 1 and "AST-AMI-102" in gated.stderr


def test_store_is_migrated_and_a_newer_one_refused(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(SQLITE.migration(0) + "; PRAGMA user_version = 1;")
    db.close()
    store = History(path)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert "tool_version" in {r[1] for r in store.db.execute("PRAGMA table_info(scans)")}
    store.close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(HistoryError, match="newer voxaudit"):
        History(path)


def test_webhook_gets_counts_and_a_link_only(tmp_path):
    import http.server
    import threading

    received = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        voxaudit("scan", "--config-dir", EXAMPLE, "-o", tmp_path / "out", "-q", "--no-history",
                 "--notify-webhook", f"http://127.0.0.1:{server.server_port}/hook",
                 "--report-url", "https://reports.msp.example/riverside/2026-11-22/")
    finally:
        server.shutdown()
    body = json.loads(received[0])
    assert body["failing_checks_by_severity"]["critical"] >= 1 and body["report"].startswith("https://")
    text = received[0].decode()
    for leak in ("mailbox", "Alice", "riverside-clinic.example", "AST-", "evidence"):
        assert leak not in text.replace("reports.msp.example/riverside", ""), leak
