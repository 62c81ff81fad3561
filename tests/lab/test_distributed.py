"""Distributed mode for real: a Redis broker and a PostgreSQL store started on 127.0.0.1, two site
collectors (`voxaudit worker`) as separate processes with their own folders and credentials, and
the dispatcher (`voxaudit scan --broker`) routing each clinic site's targets to its collector.

What it proves: targets reach the collector of their site and no other; credentials resolve at
the site (the dispatcher has neither the SSH key nor the SNMP community, yet both targets are
collected); a site with no collector, and a hung device, are ERRORs while every other result is
kept; the results land in PostgreSQL, where `voxaudit history` and `voxaudit diff` read them; and
neither broker nor database password reaches any output."""
from __future__ import annotations

import getpass
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lab import servers
from voxaudit.model import ErrorKind

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "riverside-family-clinic"
VOXAUDIT = str(Path(sys.executable).parent / "voxaudit")


@pytest.fixture(scope="module")
def msp(tmp_path_factory, redis_lab, postgres_lab, ssh_lab, snmp_lab):
    work = tmp_path_factory.mktemp("msp")
    central, north, south = work / "central", work / "site-north", work / "site-south"
    for d in (central, north, south):
        d.mkdir()
    # North Street's collector holds the SSH key and known_hosts; its environment has the SNMP community.
    (north / "keys").mkdir()
    shutil.copy(ssh_lab.client_key, north / "keys" / "pbx_ed25519")
    os.chmod(north / "keys" / "pbx_ed25519", 0o600)
    (north / "known_hosts").write_text(ssh_lab.known_hosts_line() + "\n")
    tree = servers.stage_pbx_tree(EXAMPLE, work / "pbx-host-root")
    silent, silent_port = servers.silent_tcp_server()
    # South Annex's collector has a copied PBX tree on its own disk.
    shutil.copytree(EXAMPLE, south / "trees" / "riverside")
    inventory = central / "inventory.yaml"
    inventory.write_text(f"""\
clinics:
  - name: Northside Pediatrics
    sites:
      - name: North Street
        scanner_vantage: data
        targets:
          - name: north-pbx
            platform: asterisk
            address: 127.0.0.1
            ssh: {{port: {ssh_lab.port}, username: {getpass.getuser()}, key: file:keys/pbx_ed25519,
                  known_hosts: known_hosts, config_dir: {tree}/etc/asterisk,
                  spool_dir: {tree}/var/spool/asterisk, timeout: 10}}
          - name: north-switch-snmp
            platform: snmp
            address: 127.0.0.1
            snmp: {{port: {snmp_lab.port}, communities: [env:LAB_SNMP_COMMUNITY], timeout: 1}}
          - name: north-hung-pbx
            platform: asterisk
            address: 127.0.0.1
            ssh: {{port: {silent_port}, username: auditor, key: file:keys/pbx_ed25519, known_hosts: known_hosts,
                  config_dir: /etc/asterisk, timeout: 2}}
  - name: Southside Family Medicine
    sites:
      - name: South Annex
        targets:
          - name: south-pbx
            platform: asterisk
            config_dir: trees/riverside
      - name: Ghost Site
        targets:
          - name: ghost-pbx
            platform: asterisk
            config_dir: trees/riverside
""")
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("LAB_", "PG"))}
    base_env["LAB_BROKER"] = redis_lab.url
    north_env = dict(base_env, LAB_SNMP_COMMUNITY=servers.SNMP_SECRETS["community"])
    collectors = []
    try:
        collectors.append(servers.start_collector("env:LAB_BROKER", redis_lab.url, ["North Street"], north,
                                                  "voxaudit-north@lab", north_env))
        collectors.append(servers.start_collector("env:LAB_BROKER", redis_lab.url, ["South Annex"], south,
                                                  "voxaudit-south@lab", base_env))
        central_env = dict(base_env, PGPASSWORD=postgres_lab.password)

        def scan(out: Path) -> subprocess.CompletedProcess:
            return subprocess.run(
                [VOXAUDIT, "scan", str(inventory), "--broker", "env:LAB_BROKER", "--history-db", postgres_lab.url,
                 "--queue-timeout", "6", "--target-timeout", "60", "-o", str(out), "-f", "json,sarif"],
                capture_output=True, text=True, timeout=300, env=central_env, cwd=central)

        first = scan(central / "out1")
        yield {"first": first, "scan": scan, "central": central, "env": central_env, "collectors": collectors,
               "pg": postgres_lab, "logs": [north, south]}
    finally:
        for c in collectors:
            c.stop()
        silent.close()


def _doc(out: Path) -> dict:
    return json.loads((out / "scan.json").read_text())


def test_each_site_collector_collects_its_own_targets(msp):
    proc = msp["first"]
    assert proc.returncode == 0, proc.stderr
    targets = {t["name"]: t for t in _doc(msp["central"] / "out1")["targets"]}
    assert targets["north-pbx"]["collector"] == "voxaudit-north@lab" and targets["north-pbx"]["failure"] is None
    assert targets["north-pbx"]["facts"]["platform"] == "asterisk"
    # the community exists only in North Street's environment: it was resolved there
    snmp = targets["north-switch-snmp"]
    assert snmp["collector"] == "voxaudit-north@lab" and snmp["failure"] is None
    assert any(a["answered"] for a in snmp["facts"]["attempts"]), snmp["facts"]
    assert targets["south-pbx"]["collector"] == "voxaudit-south@lab" and targets["south-pbx"]["failure"] is None
    assert targets["north-pbx"]["clinic"] == "Northside Pediatrics" and targets["south-pbx"]["site"] == "South Annex"


def test_no_collector_and_hung_device_are_errors_and_the_rest_is_kept(msp):
    doc = _doc(msp["central"] / "out1")
    targets = {t["name"]: t for t in doc["targets"]}
    ghost = targets["ghost-pbx"]["failure"]
    assert ghost["kind"] == ErrorKind.TIMEOUT.value and "voxaudit.site.ghost-site" in ghost["reason"]
    assert targets["north-hung-pbx"]["failure"]["kind"] in (ErrorKind.TIMEOUT.value, ErrorKind.CONNECTIVITY.value)
    statuses = {}
    for r in doc["results"]:
        statuses.setdefault(r["target"], set()).add(r["status"])
    assert statuses["ghost-pbx"] == {"ERROR"} and statuses["north-hung-pbx"] == {"ERROR"}
    assert "FAIL" in statuses["south-pbx"] and "PASS" in statuses["south-pbx"]


def test_results_equal_a_local_scan_of_the_same_tree(msp, tmp_path):
    local = subprocess.run([VOXAUDIT, "scan", "--config-dir", str(EXAMPLE), "--name", "south-pbx", "-o",
                            str(tmp_path), "-f", "json", "-q", "--no-history"], capture_output=True, text=True,
                           timeout=120)
    assert local.returncode in (0, 1), local.stderr

    def outcomes(doc: dict) -> set:
        return {((r.get("alias") or r["check_id"]), r["resource"], r["status"]) for r in doc["results"] if r["target"] == "south-pbx"}

    assert outcomes(_doc(msp["central"] / "out1")) == outcomes(_doc(tmp_path))


def test_history_lands_in_postgresql_and_diffs(msp):
    import psycopg

    doc = _doc(msp["central"] / "out1")
    pg = msp["pg"]
    with psycopg.connect(pg.url, password=pg.password) as db:
        scan_row = db.execute("SELECT id, overall FROM scans WHERE scan_id = %s", (doc["scan_id"],)).fetchone()
        assert scan_row is not None and scan_row[1] == doc["scores"]["overall"]
        assert db.execute("SELECT count(*) FROM results WHERE scan = %s", (scan_row[0],)).fetchone()[0] \
            == len(doc["results"])
        assert db.execute("SELECT count(*) FROM target_scans WHERE scan = %s", (scan_row[0],)).fetchone()[0] == 5
    second = msp["scan"](msp["central"] / "out2")
    assert second.returncode == 0, second.stderr
    after = _doc(msp["central"] / "out2")
    assert after["trend"]["previous_scan"] == doc["scan_id"]  # the trend came from the central store
    hist = subprocess.run([VOXAUDIT, "history", "--history-db", pg.url, "--format", "json"], capture_output=True,
                          text=True, timeout=60, env=msp["env"])
    assert hist.returncode == 0, hist.stderr
    assert [r["scan_id"] for r in json.loads(hist.stdout)][:2] == [after["scan_id"], doc["scan_id"]]
    diff = subprocess.run([VOXAUDIT, "diff", "--history-db", pg.url, "--format", "json"], capture_output=True,
                          text=True, timeout=60, env=msp["env"])
    assert diff.returncode == 0, diff.stderr
    summary = json.loads(diff.stdout)
    assert summary["previous_scan"] == doc["scan_id"] and summary["after"] == after["scan_id"]


def test_no_password_or_credential_in_any_output(msp):
    texts = [msp["first"].stdout, msp["first"].stderr]
    for folder in [msp["central"] / "out1", *msp["logs"]]:
        texts += [p.read_text(errors="replace") for p in folder.glob("*") if p.is_file() and p.suffix != ""]
    blob = "\n".join(texts)
    leaked = [s for s in (servers.BROKER_PASSWORD, servers.POSTGRES_PASSWORD, servers.SNMP_SECRETS["community"],
                          "PRIVATE KEY") if s in blob]
    assert not leaked
    assert "Traceback" not in blob


def test_unreachable_broker_is_one_clear_error(msp, tmp_path):
    dead = f"redis://127.0.0.1:{servers.free_port()}/0"
    proc = subprocess.run([VOXAUDIT, "scan", str(msp["central"] / "inventory.yaml"), "--broker", dead, "-o",
                           str(tmp_path), "--no-history"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3
    assert "cannot reach the broker" in proc.stderr and "Traceback" not in proc.stderr


def test_postgresql_store_is_migrated_once_and_a_newer_one_refused(postgres_lab, monkeypatch):
    import psycopg

    from voxaudit.history import SCHEMA_VERSION, History, HistoryError

    pg = postgres_lab
    with psycopg.connect(pg.url, password=pg.password, autocommit=True) as db:
        db.execute("DROP DATABASE IF EXISTS migrations_probe")
        db.execute("CREATE DATABASE migrations_probe")
    url = pg.url.rsplit("/", 1)[0] + "/migrations_probe"
    monkeypatch.setenv("PGPASSWORD", pg.password)
    History(url).close()
    History(url).close()  # a second open finds it current and changes nothing
    with psycopg.connect(url, autocommit=True) as db:
        assert [v for (v,) in db.execute("SELECT version FROM voxaudit_schema ORDER BY version")] == \
            list(range(1, SCHEMA_VERSION + 1))
        db.execute("INSERT INTO voxaudit_schema VALUES (%s)", (SCHEMA_VERSION + 1,))
    with pytest.raises(HistoryError, match="newer voxaudit"):
        History(url)
    monkeypatch.delenv("PGPASSWORD")
    with pytest.raises(HistoryError) as exc:
        History(url.replace("voxaudit@", "voxaudit:pw-Wrong-77@"))
    assert "password authentication failed" in str(exc.value) and "pw-Wrong-77" not in str(exc.value)
