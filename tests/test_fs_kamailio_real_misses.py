"""Misses found by auditing more real public FreeSWITCH and Kamailio trees, each held here on a small tree in
general form (the real trees: tests/real_trees/sptmru-fusionpbx-kamailio, adeshpandey-webrtc-kamailio,
somleng-freeswitch-rayo; provenance in their PROVENANCE.md).

* Kamailio main.c turns TLS off when no TLS module is loaded (or ``enable_tls``/``tls_enable`` is not on;
  ``disable_tls``/``tls_disable`` are the same switch, the last line wins: cfg.y sets ``tls_disable``), and
  socket_info.c ``fix_all_socket_lists`` then never opens a ``listen=tls:`` socket: it is no encrypted
  listener to credit, and tls.cfg is read by nobody (said, as a note).
* cfg.y ``flags_decl``/``avpflags_decl`` (cfg.lex FLAGS_DECL ``flags``|``bool``, AVPFLAGS_DECL): a list of
  flag names that goes on over lines while a comma follows; understood, not a gap.
* FreeSWITCH switch_core.c: switch.conf's last non-empty ``core-db-dsn`` is the core database (channels,
  registrations); its password is an account secret like a Kamailio DBURL's, never in the output.
"""
from __future__ import annotations

from pathlib import Path

from tests.conftest import scan_secret_free, write_tree
from tests.test_freeswitch_layouts import audit
from tests.test_reader_fuzz import assert_linear
from voxaudit.collectors.offline import collect_kamailio_tree
from voxaudit.facts.freeswitch import build_freeswitch_facts, dsn_credentials
from voxaudit.facts.kamailio import build_kamailio_facts
from voxaudit.model import Status
from voxaudit.parsers.kamailio_cfg import parse_kamailio

FAIL, PASS, ERROR = Status.FAIL, Status.PASS, Status.ERROR
CANARY = "Dsn-Canary-9Qv2Lm"
TLS_CFG = "[server:default]\nmethod = TLSv1\n\n[client:default]\nverify_certificate = no\n"


def _kamailio(tmp_path: Path, cfg: str, tls_cfg: str | None = TLS_CFG) -> Path:
    files = {"kamailio.cfg": cfg}
    if tls_cfg is not None:
        files["tls.cfg"] = tls_cfg
    return write_tree(tmp_path / "kam", files)


LISTENS = "listen=udp:192.0.2.10:5060\nlisten=tls:192.0.2.10:5061\nloadmodule \"tm.so\"\n"


# -- Kamailio: TLS off means no TLS listener ---------------------------------------------------------------------

def test_tls_listener_without_tls_module_is_not_credited(tmp_path, run):
    facts = collect_kamailio_tree(_kamailio(tmp_path, LISTENS))
    sig = run("ENC-SIG-101", facts)
    assert sig == {"listen udp:192.0.2.10:5060": FAIL}  # the tls socket is never opened
    assert run("ENC-SIG-102", facts) == {"kamailio.cfg": FAIL}
    notes = [p for p in facts.configs["tls.cfg"].problems if p.note]
    assert notes and "tls.so is not loaded" in notes[0].message


def test_tls_listener_with_tls_on_is_credited(tmp_path, run):
    cfg = LISTENS + "enable_tls=yes\nloadmodule \"tls.so\"\nmodparam(\"tls\", \"config\", \"/etc/kamailio/tls.cfg\")\n"
    facts = collect_kamailio_tree(_kamailio(tmp_path, cfg))
    assert run("ENC-SIG-101", facts) == {"listen udp:192.0.2.10:5060": FAIL, "listen tls:192.0.2.10:5061": PASS}
    assert run("ENC-TLS-101", facts)["tls [server:default]"] == FAIL  # tls.cfg is read: method TLSv1
    assert not facts.configs["tls.cfg"].problems


def test_tls_switch_aliases_and_last_line_wins(tmp_path, run):
    mod = "loadmodule \"tls.so\"\n"
    cases = {
        "tls_enable=yes\n": PASS,
        "disable_tls=no\n": PASS,
        "tls_disable=0\n": PASS,
        "enable_tls=enable\n": PASS,
        "enable_tls=yes\ndisable_tls=yes\n": FAIL,  # cfg.y: each line overwrites tls_disable
        "disable_tls=1\nenable_tls=on\n": PASS,
        "enable_tls=no\n": FAIL,
        "": FAIL,  # tls_disable defaults to 1
    }
    for n, (lines, want) in enumerate(cases.items()):
        root = write_tree(tmp_path / f"k{n}", {"kamailio.cfg": LISTENS + mod + lines})
        assert run("ENC-SIG-102", collect_kamailio_tree(root)) == {"kamailio.cfg": want}, lines


# -- Kamailio: flag declarations -----------------------------------------------------------------------------

def test_flags_declarations_are_understood(tmp_path):
    cfg = ("flags\n    FLT_ACC:1,\n    FLT_NATS,\nFLB_NATB;\n\navpflags\n  AF_ONE, AF_TWO;\n"
           "bool DEBUG_ON\nflags FLT_X:5, FLT_Y\nlisten=udp:127.0.0.1:5060\n")
    parsed = parse_kamailio(write_tree(tmp_path / "a", {"kamailio.cfg": cfg}), "kamailio.cfg")
    assert parsed.problems == []
    assert [(i.kind, i.name) for i in parsed.items] == [("global", "listen")]


def test_malformed_flags_declaration_is_a_gap(tmp_path):
    for n, cfg in enumerate(["flags FLT_A FLT_B\n", "flags\n", "flags FLT_A,\n\nlisten=udp:192.0.2.1:5060\n"]):
        parsed = parse_kamailio(write_tree(tmp_path / f"b{n}", {"kamailio.cfg": cfg}), "kamailio.cfg")
        assert [p.message for p in parsed.problems] == ["top-level statement not understood"], cfg
        assert not parsed.problems[0].fatal and not parsed.problems[0].note


def test_long_flags_declaration_is_linear(tmp_path):
    def make(n: int):
        text = "flags\n" + "".join(f"  FLAG_{k}:{k % 31},\n" for k in range(n)) + "  LAST;\n"
        root = tmp_path / f"f{n}"
        root.mkdir(exist_ok=True)
        (root / "kamailio.cfg").write_text(text)
        return lambda: parse_kamailio(root, "kamailio.cfg")
    assert_linear(make, 2_000, "multi-line flags declaration")
    assert not make(10)().problems


# -- FreeSWITCH: the core database's password -----------------------------------------------------------------

def _switch_conf(dsn: str, extra: str = "") -> str:
    return f"""<document type="freeswitch/xml">
{extra}
<section name="configuration">
<configuration name="switch.conf"><settings>
<param name="max-sessions" value="1000"/>
<param name="core-db-dsn" value="{dsn}"/>
</settings></configuration>
</section>
</document>
"""


def test_dsn_credentials_forms():
    assert dsn_credentials("postgresql://fs:pw1@db:5432/freeswitch?options=-c%20x") == ("postgresql", "fs", "pw1")
    assert dsn_credentials("pgsql://hostaddr=127.0.0.1 dbname=fs user=fs password='a b' options=''") == \
        ("pgsql", "fs", "a b")
    assert dsn_credentials("pgsql://postgres://u:p@h/d") == ("pgsql", "u", "p")
    assert dsn_credentials("mariadb://Server=h;Database=fs;Uid=fs;Pwd=x9;") == ("mariadb", "fs", "x9")
    assert dsn_credentials("freeswitch:fsuser:fspass") == ("odbc", "fsuser", "fspass")
    assert dsn_credentials("pgsql://hostaddr=127.0.0.1 dbname=fs user=fs password=''") == ("pgsql", "fs", None)
    assert dsn_credentials("sqlite:///var/lib/freeswitch/db/core.db") == ("sqlite", "", None)


def test_core_db_dsn_password_is_judged_and_never_shown(tmp_path, registry):
    weak = write_tree(tmp_path / "weak", {"freeswitch.xml": _switch_conf(
        "postgresql://$${db_user}:$${db_pass}@db:5432/freeswitch",
        '<X-PRE-PROCESS cmd="set" data="db_user=freeswitch"/>\n<X-PRE-PROCESS cmd="set" data="db_pass=password"/>')})
    _, got = audit(weak, registry)
    assert got["AUTH-SECRET-101"]["core database (switch.conf core-db-dsn)"] == "FAIL"

    strong = write_tree(tmp_path / "strong", {"freeswitch.xml": _switch_conf(
        f"pgsql://hostaddr=10.0.0.5 dbname=freeswitch user=freeswitch password='{CANARY}'")})
    facts = build_freeswitch_facts(strong)
    (settings,) = facts.of_kind("switch.settings")
    assert CANARY not in str(settings.settings) and settings.get("core-db-dsn") == "pgsql"
    _, got = audit(strong, registry)
    assert got["AUTH-SECRET-101"]["core database (switch.conf core-db-dsn)"] == "PASS"
    doc = scan_secret_free(strong, tmp_path / "out", "json,md,html", CANARY, platform="freeswitch")
    assert any(r["resource"] == "core database (switch.conf core-db-dsn)" for r in doc["results"])


def test_core_db_dsn_without_password_or_from_the_host_is_unknown(tmp_path, registry):
    nopass = write_tree(tmp_path / "nopass", {"freeswitch.xml": _switch_conf(
        "pgsql://hostaddr=127.0.0.1 dbname=freeswitch user=freeswitch")})
    _, got = audit(nopass, registry)
    assert got["AUTH-SECRET-101"]["core database (switch.conf core-db-dsn)"] == "ERROR"
    env = write_tree(tmp_path / "env", {"freeswitch.xml": _switch_conf(
        "$${dsn}", '<X-PRE-PROCESS cmd="exec-set" data="dsn=cat /etc/freeswitch/dsn"/>')})
    _, got = audit(env, registry)
    assert got["AUTH-SECRET-101"]["core database (switch.conf core-db-dsn)"] == "ERROR"
    sqlite = write_tree(tmp_path / "none", {"freeswitch.xml": _switch_conf("")})
    _, got = audit(sqlite, registry)
    assert "core database (switch.conf core-db-dsn)" not in got.get("AUTH-SECRET-101", {})


def test_dsn_reading_is_linear():
    def make(n: int):
        keywords, colons = "pgsql://" + "user= password=' " * n, "x:" * n + "@"
        return lambda: (dsn_credentials(keywords), dsn_credentials(colons))
    assert_linear(make, 2_000, "core-db-dsn credentials")


def test_kamailio_facts_never_keep_the_tls_cfg_of_a_tls_less_proxy(tmp_path):
    facts = build_kamailio_facts(_kamailio(tmp_path, LISTENS))
    assert not facts.of_kind("tls.profile")
    assert facts.configs["tls.cfg"].found is False


# -- FreeSWITCH: where mod_xml_cdr / mod_json_cdr post the call records ----------------------------------------

def _cdr_tree(root: Path, conf: str, params: str, modules: str) -> Path:
    loads = "".join(f'<load module="{m}"/>' for m in modules.split())
    return write_tree(root, {"freeswitch.xml": f"""<document type="freeswitch/xml">
<X-PRE-PROCESS cmd="exec-set" data="cdr_url=cat /etc/freeswitch/cdr_url"/>
<section name="configuration">
<configuration name="modules.conf"><modules>{loads}</modules></configuration>
<configuration name="{conf}"><settings>{params}</settings></configuration>
</section>
</document>
"""})


def test_cdr_upload_urls_are_recipients_and_cred_a_secret(tmp_path, registry):
    params = (f'<param name="url" value="https://cdr:{CANARY}@cdr.vendor.example/post"/>'
              '<param name="url" value="http://127.0.0.1/app/xml_cdr/xml_cdr_import.php"/>'
              '<param name="url" value="$${cdr_url}"/>'
              f'<param name="cred" value="fusion:{CANARY}x"/><param name="cred" value=""/>')
    root = _cdr_tree(tmp_path / "xml", "xml_cdr.conf", params, "mod_sofia mod_xml_cdr")
    _, got = audit(root, registry)
    # exec-set is never run: the root's own gap ("(unread parts of freeswitch.xml)") stands beside these
    assert {k: v for k, v in got["BAA-101"].items() if "call records" in k} == {
        "cdr.vendor.example (call records upload (mod_xml_cdr))": "ERROR",  # no register given
        "call records upload (mod_xml_cdr) at xml_cdr.conf url": "ERROR"}  # a url known only on the host
    assert got["AUTH-SECRET-101"]["call records upload xml_cdr.conf cred"] == "PASS"  # the last non-empty cred
    assert got["AUTH-SECRET-101"]["call records upload xml_cdr.conf url.0"] == "PASS"
    assert "(unread parts of cdr_csv.conf.xml)" not in got["FS-LOG-103"]  # no gap left on the CDR part
    scan_secret_free(root, tmp_path / "out", "json,md,html", CANARY, platform="freeswitch")


def test_cdr_upload_of_a_module_not_loaded_sends_nothing(tmp_path, registry):
    params = '<param name="url" value="https://cdr.vendor.example/post"/><param name="cred" value="a:password"/>'
    _, got = audit(_cdr_tree(tmp_path / "json", "json_cdr.conf", params, "mod_sofia mod_xml_cdr"), registry)
    assert not any("call records upload" in r for r in got.get("BAA-101", {}))
    assert not any("call records upload" in r for r in got.get("AUTH-SECRET-101", {}))
    _, got = audit(_cdr_tree(tmp_path / "json2", "json_cdr.conf", params, "mod_sofia mod_json_cdr"), registry)
    assert got["AUTH-SECRET-101"]["call records upload json_cdr.conf cred"] == "FAIL"


def test_cdr_upload_urls_past_the_module_limit_are_said(tmp_path):
    params = "".join(f'<param name="url" value="https://cdr{k}.vendor.example/"/>' for k in range(22))
    facts = build_freeswitch_facts(_cdr_tree(tmp_path / "many", "xml_cdr.conf", params, "mod_xml_cdr"))
    (upload,) = facts.of_kind("cdr.upload")
    assert sum(1 for k in upload.settings if k.startswith("url.")) == 20
    notes = [p for cf in facts.configs.values() for p in cf.problems if "maximum urls" in p.message]
    assert len(notes) == 2 and all(p.note for p in notes)
