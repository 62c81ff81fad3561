"""Call records through ODBC (BAA-101): cdr_adaptive_odbc / cdr_odbc / cel_odbc -> a res_odbc.conf connection
-> its unixODBC DSN -> the server /etc/odbc.ini names (host evidence), read as res_odbc.c, cdr_adaptive_odbc.c,
cdr_odbc.c, cel_odbc.c and unixODBC's ini library (ini/iniOpen.c, iniObjectSeek.c) read them.

Fixtures: FreePBX 13's cdr_adaptive_odbc.conf, cel_odbc.conf and res_odbc*.conf from the real tree
tests/real_trees/schmork-freepbx13-asterisk (provenance in its PROVENANCE.md; its password replaced by a
canary); the odbc.ini FreePBX's install guides write (``[MySQL-asteriskcdrdb]`` ... ``Server = localhost``,
as in the Asterisk project's own guide, asterisk/documentation
docs/Configuration/Interfaces/Back-end-Database-and-Realtime-Connectivity/ODBC/Getting-Asterisk-Connected-to-MySQL-via-ODBC.md
at 240fc80a1c0becb0c7fd632d977e8d2229491d88, CC BY-SA 3.0)."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, REPO, scan_secret_free, write_tree
from tests.test_reader_fuzz import assert_linear
from voxaudit.collectors.offline import collect_asterisk_tree
from voxaudit.model import Status
from voxaudit.parsers.host_evidence import parse_odbc_ini
from voxaudit.platforms.asterisk.recipients import call_record_databases
from voxaudit.records.recipients import REGISTER_PARAM, register_value

FAIL, PASS, ERROR = Status.FAIL, Status.PASS, Status.ERROR
CANARY = "Odbc-Canary-7tQz9w"
FREEPBX = REPO / "tests" / "real_trees" / "schmork-freepbx13-asterisk" / "conf"
ODBC_FILES = ("cdr_adaptive_odbc.conf", "cel_odbc.conf", "cel_odbc_custom.conf", "res_odbc.conf",
              "res_odbc_additional.conf", "res_odbc_custom.conf")
DSN_RESOURCE = "ODBC DSN MySQL-asteriskcdrdb (call records database)"
# FreePBX's install guide (and the Asterisk guide's keys): the CDR database on this host, through the socket
LOCAL_INI = """[MySQL-asteriskcdrdb]
Description = MySQL connection to 'asteriskcdrdb' database
Driver = MySQL
Server = localhost
Database = asteriskcdrdb
Port = 3306
Socket = /var/run/mysqld/mysqld.sock
Option = 3
"""
REMOTE_INI = LOCAL_INI.replace("Server = localhost", "Server = cdr.db-vendor.example").replace(
    "Option = 3", f"User = freepbxuser\nPassword = {CANARY}\nOption = 3")
MODULES = "[modules]\nautoload=yes\nnoload = chan_sip.so\n"
CEL_ON = "[general]\nenable=yes\napps=all\nevents=ALL\n"


def freepbx_odbc() -> dict[str, str]:
    """FreePBX 13's ODBC files, its res_odbc password replaced by the canary."""
    files = {name: (FREEPBX / name).read_text() for name in ODBC_FILES}
    files["res_odbc_additional.conf"] = files["res_odbc_additional.conf"].replace(
        "ee14a0a0dcc78ec3de2ea282c2c0fedf", CANARY)
    assert CANARY in files["res_odbc_additional.conf"]
    return {**files, "modules.conf": MODULES, "cel.conf": CEL_ON}


def evidence(tmp_path: Path, ini: str | None, name: str = "ev") -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "captured-at").write_text("1763856000\n")
    if ini is not None:
        (root / "etc").mkdir()
        (root / "etc" / "odbc.ini").write_text(ini)
    return root


def records(facts) -> dict[str, object]:
    return {r.subject: r for r in call_record_databases(facts)}


def cdr(result: dict[str, Status]) -> dict[str, Status]:
    return {k: v for k, v in result.items() if "call records" in k}


def register(*covers: str) -> str:
    return register_value([{"vendor": "CDR Vendor", "covers": list(covers), "baa_signed": date(2026, 1, 1),
                            "baa_expires": date(2027, 1, 1)}], date(2026, 11, 23))


# -- the FreePBX path -------------------------------------------------------------------------------

def test_freepbx_without_odbc_ini_is_an_error_on_its_dsn_only(tree, run):
    """The configuration says which DSN; only odbc.ini says where it is: ERROR naming the DSN and what to capture."""
    facts = tree(freepbx_odbc())
    (rec,) = records(facts).values()
    assert rec.subject == DSN_RESOURCE and rec.undecidable and "/etc/odbc.ini" in rec.undecidable
    assert rec.how == "cdr_adaptive_odbc.conf [asteriskcdrdb] -> res_odbc.conf [asteriskcdrdb] dsn MySQL-asteriskcdrdb"
    assert (rec.source.file, rec.source.line) == ("res_odbc_additional.conf", 11)
    assert cdr(run("BAA-101", facts)) == {DSN_RESOURCE: ERROR}
    assert cdr(run("BAA-101", facts, **{REGISTER_PARAM: register("*.example")})) == {DSN_RESOURCE: ERROR}  # never PASS
    assert "res_odbc.connection" in {o.kind for o in facts.objects}
    assert CANARY not in repr(facts.objects) + repr(list(call_record_databases(facts)))


def test_freepbx_with_its_local_odbc_ini_sends_nowhere(tree, run, tmp_path):
    facts = tree(freepbx_odbc(), evidence_dir=evidence(tmp_path, LOCAL_INI))
    assert records(facts) == {}
    assert cdr(run("BAA-101", facts)) == {}


def test_a_remote_dsn_server_is_a_recipient_judged_against_the_register(tree, run, tmp_path):
    facts = tree(freepbx_odbc(), evidence_dir=evidence(tmp_path, REMOTE_INI))
    (rec,) = records(facts).values()
    assert rec.host == "cdr.db-vendor.example" and not rec.undecidable
    assert (rec.source.file, rec.source.line) == ("etc/odbc.ini", 4)
    assert rec.how.endswith("-> etc/odbc.ini [MySQL-asteriskcdrdb] server (port 3306)")
    resource = "cdr.db-vendor.example (call records database)"
    assert cdr(run("BAA-101", facts)) == {resource: ERROR}  # no register: unknown
    assert cdr(run("BAA-101", facts, **{REGISTER_PARAM: register("sip.other.example")})) == {resource: FAIL}
    assert cdr(run("BAA-101", facts, **{REGISTER_PARAM: register("*.db-vendor.example")})) == {resource: PASS}


def test_odbc_ini_as_unixodbc_reads_it(tree, tmp_path):
    """Section and key names case-insensitively, the first section of a name and its first line of a key; a ';'
    after a value is part of it (no inline comments), and a value that is no host name is not guessed."""
    ini = ("# unixODBC\n\n[mysql-ASTERISKCDRDB]\nDRIVER=MariaDB\nSERVER = 203.0.113.40\nserver = 127.0.0.1\n"
           "[MySQL-asteriskcdrdb]\nServer = 198.51.100.9\n")
    facts = tree(freepbx_odbc(), evidence_dir=evidence(tmp_path, ini))
    assert {r.host for r in records(facts).values()} == {"203.0.113.40"}
    facts = tree(freepbx_odbc(), evidence_dir=evidence(tmp_path, LOCAL_INI.replace(
        "Server = localhost", "Server = cdr.example ; the old one"), "ev2"))
    (rec,) = records(facts).values()
    assert rec.undecidable and "cdr.example" not in rec.subject  # a value that is not a host: never quoted


@pytest.mark.parametrize("ini, why", [
    ("Driver = MySQL\n" + LOCAL_INI, "unixODBC refuses"),  # text before the first section: the file is refused
    ("  " + LOCAL_INI, "unixODBC refuses"),  # the first [ must be in column 1
    (LOCAL_INI.replace("MySQL-asteriskcdrdb", "asteriskcdrdb-old"), "no data source of this name"),
    ("[MySQL-asteriskcdrdb]\nDriver = FreeTDS\nServername = cdrserver\n", "freetds.conf"),
    ("[MySQL-asteriskcdrdb]\nDriver = OracleODBC\nDescription = CDR\n", "names no Server"),
])
def test_what_odbc_ini_does_not_settle_is_an_error(tree, run, tmp_path, ini, why):
    facts = tree(freepbx_odbc(), evidence_dir=evidence(tmp_path, ini))
    (rec,) = records(facts).values()
    assert rec.subject == DSN_RESOURCE and why in rec.undecidable, rec.undecidable
    assert cdr(run("BAA-101", facts)) == {DSN_RESOURCE: ERROR}


def test_drivers_read_their_own_keys(tree, tmp_path):
    cases = {
        "[MySQL-asteriskcdrdb]\nDriver = PostgreSQL Unicode\nServername = pg.vendor.example\nPort = 5432\n":
            "pg.vendor.example",
        "[MySQL-asteriskcdrdb]\nDriver = FreeTDS\nServer = 203.0.113.77\n": "203.0.113.77",
        "[MySQL-asteriskcdrdb]\nDriver = MariaDB\nDatabase = asteriskcdrdb\n": None,  # no SERVER: localhost
        "[MySQL-asteriskcdrdb]\nDriver = SQLite3\nDatabase = /var/lib/asterisk/cdr.db\n": None,  # a local file
    }
    for i, (ini, host) in enumerate(cases.items()):
        facts = tree(freepbx_odbc(), evidence_dir=evidence(tmp_path, ini, f"ev{i}"))
        got = {r.host for r in records(facts).values() if not r.undecidable}
        assert got == ({host} if host else set()), ini


# -- when a backend writes at all (modules.conf, res_odbc, cdr.conf, cel.conf) ----------------------

@pytest.mark.parametrize("change, listed", [
    ({}, True),
    ({"modules.conf": MODULES + "noload = cdr_adaptive_odbc.so\nnoload = cel_odbc.so\n"}, False),
    ({"modules.conf": MODULES + "noload = res_odbc.so\n"}, False),  # both backends require res_odbc
    ({"modules.conf": "[modules]\nautoload=no\nload = res_odbc.so\n"}, False),
    ({"modules.conf": MODULES + "noload = cdr_adaptive_odbc.so\n"}, True),  # cel_odbc still writes (CEL on)
    ({"modules.conf": MODULES + "noload = cdr_adaptive_odbc.so\n", "cel.conf": "[general]\nenable=no\n"}, False),
    ({"modules.conf": MODULES + "noload = cdr_adaptive_odbc.so\n", "cel.conf": "[general]\napps=all\n"}, False),
    ({"cdr.conf": "[general]\nenable=no\n", "cel.conf": "[general]\nenable=maybe\n"}, False),  # ast_true: off
    ({"res_odbc_additional.conf": "[asteriskcdrdb]\nenabled=>no\ndsn=>MySQL-asteriskcdrdb\n"}, False),
    ({"res_odbc_additional.conf": "[asteriskcdrdb]\nenabled=>yes\n"}, False),  # no dsn: no connection
    ({"cdr_adaptive_odbc.conf": "[asteriskcdrdb]\nconnection=asteriskcdrdb\n", "cel_odbc.conf": ""}, True),
    ({"cdr_adaptive_odbc.conf": "[asteriskcdrdb]\nconnection=AsteriskCdrDb\n", "cel_odbc.conf": ""}, False),  # strcmp
    ({"cdr_adaptive_odbc.conf": "[asteriskcdrdb]\ntable=cdr\n", "cel_odbc.conf": ""}, False),  # skipped
])
def test_modules_and_switches_decide_whether_records_are_written(tree, change, listed):
    facts = tree({**freepbx_odbc(), **change})
    assert bool(records(facts)) is listed, change


def test_res_odbc_first_enabled_section_of_a_name_is_the_connection(tree, tmp_path):
    ini = ("[first]\nDriver = MySQL\nServer = first.db.example\n[second]\nDriver = MySQL\nServer = second.db.example\n"
           "[legacy]\nDriver = MySQL\nServer = legacy.db.example\n")
    files = {**freepbx_odbc(), "res_odbc_additional.conf":
             "[asteriskcdrdb]\nenabled=>no\ndsn=>legacy\n[asteriskcdrdb]\ndsn=>first\n[asteriskcdrdb]\ndsn=>second\n"}
    facts = tree(files, evidence_dir=evidence(tmp_path, ini))
    assert {r.host for r in records(facts).values()} == {"first.db.example"}
    notes = [p.message for p in facts.configs["res_odbc.conf"].problems if p.note]
    assert any("enabled is not true" in m for m in notes) and any("earlier section" in m for m in notes)
    assert not any(p.is_gap for p in facts.configs["res_odbc.conf"].problems)


def test_cdr_odbc_global_dsn_and_its_default(tree, tmp_path):
    """cdr_odbc.conf [global] ``dsn`` names a res_odbc class (default asteriskdb when [global] has options)."""
    ini = "[cdrdsn]\nDriver = MySQL\nServer = cdr.example.net\n"
    base = {"res_odbc.conf": "[asteriskdb]\ndsn => cdrdsn\n", "modules.conf": MODULES}
    facts = tree({**base, "cdr_odbc.conf": "[global]\ntable=cdr\nloguniqueid=yes\n"},
                 evidence_dir=evidence(tmp_path, ini))
    (rec,) = records(facts).values()
    assert rec.host == "cdr.example.net" and rec.how.startswith("cdr_odbc.conf [global] -> res_odbc.conf [asteriskdb]")
    facts = tree({**base, "cdr_odbc.conf": "[global]\n"}, evidence_dir=evidence(tmp_path, ini, "ev2"))
    assert records(facts) == {}  # nothing configured


def test_res_odbc_env_moving_odbc_ini_is_an_error(tree, tmp_path):
    files = {**freepbx_odbc(), "res_odbc_custom.conf": "[ENV]\nODBCSYSINI => /opt/odbc\n"}
    facts = tree(files, evidence_dir=evidence(tmp_path, LOCAL_INI))
    (rec,) = records(facts).values()
    assert "ODBCSYSINI" in rec.undecidable and rec.subject == DSN_RESOURCE


# -- the example clinic and the real FreePBX trees --------------------------------------------------

def test_example_clinic_with_freepbx_odbc_files_and_its_odbc_ini_changes_nothing(tmp_path):
    """The clinic is FreePBX: with FreePBX's ODBC files and the bundle's odbc.ini (local MySQL), its call records
    stay on the host; without odbc.ini in the bundle the DSN is the one ERROR."""
    copy = tmp_path / "clinic"
    shutil.copytree(EXAMPLE, copy)
    for name, text in freepbx_odbc().items():
        if name not in ("modules.conf", "cel.conf"):
            (copy / "etc" / "asterisk" / name).write_text(text)
    assert records(collect_asterisk_tree(copy)) and all(
        r.undecidable for r in records(collect_asterisk_tree(copy)).values())
    (copy / "etc" / "odbc.ini").write_text(LOCAL_INI)
    facts = collect_asterisk_tree(copy)
    assert facts.host is not None and facts.host.odbc is not None
    assert records(facts) == {}
    assert list(call_record_databases(collect_asterisk_tree(EXAMPLE))) == []  # the example as shipped: no ODBC files


def test_real_freepbx_tree_gives_the_dsn_error(tmp_path):
    facts = collect_asterisk_tree(FREEPBX)
    assert list(records(facts)) == [DSN_RESOURCE]


# -- secrets and hostile input ----------------------------------------------------------------------

def test_no_password_reaches_any_report(tmp_path):
    root = write_tree(tmp_path / "snap" / "etc" / "asterisk", freepbx_odbc())
    (tmp_path / "snap" / "etc" / "odbc.ini").write_text(REMOTE_INI)
    (tmp_path / "snap" / "captured-at").write_text("1763856000\n")
    doc = scan_secret_free(root.parent.parent, tmp_path / "out", "json,sarif,html,md,csv", CANARY, platform="asterisk")
    assert any(r["check_id"] == "BAA-101" and r["resource"] == "cdr.db-vendor.example (call records database)"
               for r in doc["results"])
    facts = collect_asterisk_tree(tmp_path / "snap")
    assert facts.host is not None and facts.host.odbc is not None
    assert CANARY not in repr(facts.host.odbc)  # only Driver, Server..., Port, Socket, Database are kept


def test_odbc_ini_reader_is_linear_and_bounded():
    problems: list = []
    assert_linear(lambda n: lambda: parse_odbc_ini("[" * n + "\n" + ("k=" + "=" * 50 + "\n") * n, "f", problems),
                  20_000, "odbc.ini brackets and equals")
    assert_linear(lambda n: lambda: parse_odbc_ini("[d]\nServer=" + "x" * (100 * n) + "\n", "f", problems),
                  2_000, "odbc.ini one long line")
    sections, refused = parse_odbc_ini("[d]\nServer=" + "a" * 2500 + "\n", "f", [])
    assert not refused and len(sections[0].keys["server"][0]) == 999 - len("Server=")  # fgets(1000) pieces
