"""FreeSWITCH configurations that were silently unread: the database DSNs of the modules that keep call records,
queues, billing and caller names (mod_cdr_pg_csv db-info, the modules' odbc-dsn, each voicemail profile's
odbc-dsn) and mod_rayo's XMPP server (rayo.conf.xml). Each read as its module's source reads it (see
auditor/facts/freeswitch.py DSN_CONFIGS and ``rayo``): a password is an AUTH-SECRET-101 secret (its shape only,
never shown), a database server beyond this machine a BAA-101 recipient, a rayo listener an ACC-ADMIN-101
administrative interface; what the files cannot settle is ERROR."""
from __future__ import annotations

from pathlib import Path

from tests.conftest import scan_secret_free, write_tree
from tests.test_freeswitch_layouts import audit
from tests.test_reader_fuzz import assert_linear
from voxaudit.facts.freeswitch import build_freeswitch_facts, dsn_server
from voxaudit.facts.host import HostEvidence, OdbcDsn, OdbcIni
from voxaudit.model import Status

CANARY = "Dsn-Rayo-Canary-4Kx8"
FAIL, PASS, ERROR = Status.FAIL, Status.PASS, Status.ERROR


def _doc(modules: list[str] | None, body: str, pre: str = "") -> str:
    mods = "" if modules is None else ('<configuration name="modules.conf"><modules>'
                                       + "".join(f'<load module="{m}"/>' for m in modules)
                                       + "</modules></configuration>")
    return f"""<document type="freeswitch/xml">
{pre}
<section name="configuration">
{mods}
{body}
</section>
</document>
"""


def _tree(tmp_path: Path, name: str, modules: list[str] | None, body: str, pre: str = "") -> Path:
    return write_tree(tmp_path / name, {"freeswitch.xml": _doc(modules, body, pre)})


DATABASES = f"""
<configuration name="callcenter.conf"><settings>
  <param name="odbc-dsn" value="pgsql://hostaddr=db.callcenter.example dbname=cc user=cc password='{CANARY}'"/>
</settings></configuration>
<configuration name="cdr_pg_csv.conf"><settings>
  <param name="db-info" value="host=cdr.vendor.example dbname=cdr user=cdr password=cdr"/>
</settings></configuration>
<configuration name="lcr.conf"><settings><param name="odbc-dsn" value="lcrdb:lcr:{CANARY}"/></settings></configuration>
<configuration name="fifo.conf"><settings>
  <param name="odbc-dsn" value="pgsql://hostaddr=fifo.example user=fifo password=fifo"/>
</settings></configuration>
<configuration name="voicemail.conf"><profiles><profile name="default">
  <param name="odbc-dsn" value="pgsql://hostaddr=127.0.0.1 dbname=vm user=vm password={CANARY}"/>
</profile></profiles></configuration>
"""
LOADED = ["mod_callcenter", "mod_cdr_pg_csv", "mod_lcr", "mod_voicemail"]  # not mod_fifo


def test_module_dsns_are_secrets_and_recipients(tmp_path, registry):
    tree = _tree(tmp_path, "db", LOADED, DATABASES)
    facts = build_freeswitch_facts(tree)
    assert CANARY not in str([o.settings for o in facts.objects])  # the DSN is never kept whole
    vm = facts.named("voicemail.profile", "default")
    assert vm is not None and vm.get("odbc-dsn") is None
    assert not facts.configs["databases"].problems
    _, got = audit(tree, registry)
    secrets = got["AUTH-SECRET-101"]
    assert secrets["database of mod_callcenter (callcenter.conf odbc-dsn)"] == "PASS"
    assert secrets["database of mod_cdr_pg_csv (cdr_pg_csv.conf db-info)"] == "FAIL"   # password=cdr
    assert secrets["database of mod_lcr (lcr.conf odbc-dsn)"] == "PASS"                # dsn:user:password
    assert secrets["database of mod_voicemail (voicemail.conf profile default odbc-dsn)"] == "PASS"
    assert not any("mod_fifo" in r for r in secrets)                                    # not loaded
    baa = got["BAA-101"]
    assert "db.callcenter.example (mod_callcenter database)" in baa
    assert "cdr.vendor.example (call records database)" in baa
    assert baa["mod_lcr database at lcr.conf odbc-dsn -> ODBC data source lcrdb"] == "ERROR"  # odbc.ini not read
    assert not any("127.0.0.1" in r or "fifo" in r for r in baa)                       # loopback; not loaded
    doc = scan_secret_free(tree, tmp_path / "out", "json,md,html", CANARY, platform="freeswitch")
    assert any(r["resource"] == "database of mod_callcenter (callcenter.conf odbc-dsn)" for r in doc["results"])


def test_which_dsn_param_counts(tmp_path):
    """switch_xml_config_parse modules keep the first param (cidlookup), the others' loops the last non-empty
    one (nibblebill, also under its deprecated name db_dsn), mod_callcenter the last even when empty."""
    body = """
<configuration name="cidlookup.conf"><settings>
  <param name="odbc-dsn" value="pgsql://hostaddr=first.example user=a password=b"/>
  <param name="odbc-dsn" value="pgsql://hostaddr=second.example user=a password=b"/>
</settings></configuration>
<configuration name="nibblebill.conf"><settings>
  <param name="db_dsn" value="pgsql://hostaddr=billing.example user=a password=b"/>
  <param name="odbc-dsn" value=""/>
</settings></configuration>
<configuration name="callcenter.conf"><settings>
  <param name="odbc-dsn" value="pgsql://hostaddr=cc.example user=a password=b"/>
  <param name="odbc-dsn" value=""/>
</settings></configuration>
"""
    facts = build_freeswitch_facts(_tree(tmp_path, "which", None, body))
    hosts = {o.name: o.values("dsn.host") for o in facts.of_kind("database.dsn")}
    assert hosts == {"cidlookup.conf": ["first.example"], "nibblebill.conf": ["billing.example"]}


def test_dsn_server_forms():
    assert dsn_server("pgsql://hostaddr=10.0.0.5 dbname=fs user=fs password='a b'") == ("remote", ["10.0.0.5"], "")
    assert dsn_server("pgsql://host=/var/run/postgresql dbname=fs") == ("local", [], "")   # a Unix socket
    assert dsn_server("pgsql://dbname=fs user=fs") == ("local", [], "")
    assert dsn_server("pgsql://postgresql://u:p@db1:5432,db2/fs") == ("remote", ["db1", "db2"], "")
    assert dsn_server("postgresql://u:p@[::1]:5432/fs?host=db9") == ("remote", ["db9"], "")
    assert dsn_server("pgsql://host='a b' password='x\\' host=evil'") == ("remote", ["a b"], "")  # quoted, escaped
    assert dsn_server("mariadb://Server=db.example.com;Uid=x;Pwd=y") == ("remote", ["db.example.com"], "")
    assert dsn_server("mariadb://Database=fs;Uid=x") == ("local", [], "")                 # localhost
    assert dsn_server("sqlite:///var/lib/freeswitch/db/x.db") == ("local", [], "")
    assert dsn_server("freeswitch") == ("local", [], "")                                  # a core db file
    assert dsn_server("freeswitch:user:pass") == ("odbc", [], "freeswitch")
    assert dsn_server("odbc://fs:user:pass") == ("odbc", [], "fs")
    assert dsn_server("mongodb://x/y") == ("unknown", [], "")
    assert dsn_server("host=cdr.example.org dbname=cdr", libpq=True) == ("remote", ["cdr.example.org"], "")
    assert dsn_server("dbname=cdr", libpq=True) == ("local", [], "")


def test_dsn_known_only_on_the_host_is_error(tmp_path, registry):
    pre = '<X-PRE-PROCESS cmd="exec-set" data="db_host=cat /etc/fs/dbhost"/>\n' \
          '<X-PRE-PROCESS cmd="exec-set" data="dsn=cat /etc/fs/dsn"/>'
    body = """
<configuration name="callcenter.conf"><settings>
  <param name="odbc-dsn" value="pgsql://hostaddr=$${db_host} user=cc password=Xq7-long-Password-2"/>
</settings></configuration>
<configuration name="lcr.conf"><settings><param name="odbc-dsn" value="$${dsn}"/></settings></configuration>
"""
    _, got = audit(_tree(tmp_path, "rt", ["mod_callcenter", "mod_lcr"], body, pre), registry)
    baa = got["BAA-101"]
    assert baa["mod_callcenter database at callcenter.conf odbc-dsn"] == "ERROR"
    assert baa["mod_lcr database at lcr.conf odbc-dsn"] == "ERROR"
    assert got["AUTH-SECRET-101"]["database of mod_lcr (lcr.conf odbc-dsn)"] == "ERROR"
    assert got["AUTH-SECRET-101"]["database of mod_callcenter (callcenter.conf odbc-dsn)"] == "PASS"


def test_odbc_dsn_followed_into_odbc_ini(tmp_path, run):
    facts = build_freeswitch_facts(_tree(tmp_path, "odbc", ["mod_lcr"], DATABASES))
    facts.host = HostEvidence(origin="evidence bundle", captured_at=0, odbc=OdbcIni(file="etc/odbc.ini", dsns=[OdbcDsn(
        name="LCRDB", line=3, keys={"driver": "PostgreSQL Unicode", "servername": "pg.vendor.example"},
        lines={"servername": 5})]))
    got = run("BAA-101", facts)
    assert got["pg.vendor.example (mod_lcr database)"] is not None
    assert not any("ODBC data source" in r for r in got)


RAYO = f"""
<configuration name="rayo.conf"><settings><param name="max-idle-sec" value="300"/></settings>
<domain name="rayo.example" shared-secret="ClueCon">
  <users><user name="usera" password="1"/><user name="app" password="{CANARY}"/></users>
  <listen type="c2s" port="5222" address="0.0.0.0" acl=""/>
  <listen type="c2s" port="5223" address="0.0.0.0" acl="lan"/>
  <listen type="s2s" address="127.0.0.1"/>
  <connect address="xmpp.partner.example" port="5269"/>
</domain></configuration>
<configuration name="acl.conf"><network-lists>
  <list name="lan" default="deny"><node type="allow" cidr="192.168.1.0/24"/></list>
</network-lists></configuration>
"""


def test_rayo_listeners_users_and_connections(tmp_path, registry):
    tree = _tree(tmp_path, "rayo", ["mod_rayo"], RAYO)
    facts = build_freeswitch_facts(tree)
    assert CANARY not in str([o.settings for o in facts.objects]) and not facts.configs["rayo.conf.xml"].problems
    _, got = audit(tree, registry)
    assert got["ACC-ADMIN-101"] == {"rayo c2s 0.0.0.0:5222": "FAIL", "rayo c2s 0.0.0.0:5223": "PASS",
                                    "rayo s2s 127.0.0.1:5269": "PASS"}
    secrets = got["AUTH-SECRET-101"]
    assert secrets["rayo user usera"] == "FAIL" and secrets["rayo user app"] == "PASS"
    assert secrets["rayo domain rayo.example shared-secret"] == "FAIL"                 # the sample's default
    assert "xmpp.partner.example (XMPP server (mod_rayo outbound connection))" in got["BAA-101"]
    scan_secret_free(tree, tmp_path / "out", "json,md,html", CANARY, platform="freeswitch")

    tls = _tree(tmp_path, "tls", ["mod_rayo"], RAYO.replace('shared-secret="ClueCon"',
                                                            'cert="/etc/fs/rayo.pem" key="/etc/fs/rayo.key"'))
    _, got = audit(tls, registry)
    assert got["ACC-ADMIN-101"]["rayo c2s 0.0.0.0:5222"] == "PASS"   # STARTTLS required before the login
    assert "rayo domain rayo.example shared-secret" not in got["AUTH-SECRET-101"]   # none set

    off = _tree(tmp_path, "off", ["mod_sofia"], RAYO)
    _, got = audit(off, registry)
    assert not any(r.startswith("rayo") for r in got.get("ACC-ADMIN-101", {}))       # not loaded: nothing listens
    unknown = _tree(tmp_path, "unknown", None, RAYO)
    _, got = audit(unknown, registry)
    assert got["ACC-ADMIN-101"]["rayo c2s 0.0.0.0:5222"] == "ERROR"                  # may be loaded


def test_rayo_configuration_mod_rayo_refuses_is_a_gap_without_values(tmp_path, registry):
    body = RAYO.replace('type="s2s" address="127.0.0.1"', f'type="{CANARY}" address="127.0.0.1"')
    tree = _tree(tmp_path, "bad", ["mod_rayo"], body)
    facts = build_freeswitch_facts(tree)
    gaps = [p for p in facts.configs["rayo.conf.xml"].problems if p.is_gap]
    assert gaps and "do_config() fails" in gaps[0].message and CANARY not in gaps[0].message
    _, got = audit(tree, registry)
    assert "ERROR" in got["ACC-ADMIN-101"].values()   # the gap: every check on rayo.conf.xml says so
    nameless = _tree(tmp_path, "nameless", ["mod_rayo"], RAYO.replace('name="rayo.example" ', ""))
    assert any(p.is_gap for p in build_freeswitch_facts(nameless).configs["rayo.conf.xml"].problems)


def test_dsn_server_is_linear():
    def make(n: int):
        keywords, uri, maria = "host=' " * n, "postgresql://" + "a," * n + "@" * n, "mariadb://" + "server=;" * n
        return lambda: (dsn_server(keywords), dsn_server(uri), dsn_server(maria), dsn_server(keywords, libpq=True))
    assert_linear(make, 2_000, "database DSN servers")
