"""FS-*: FreeSWITCH checks on the vanilla configuration (real corpus files) and on a hardened one."""
from __future__ import annotations

import shutil
from pathlib import Path

import msgspec
import pytest

from tests.conftest import only, statuses, write_tree
from voxaudit.collectors.offline import collect_freeswitch_tree
from voxaudit.model import Status

FAIL, PASS, NA = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE

# corpus file -> where FreeSWITCH keeps it under conf/
LAYOUT = {"vars.xml": "vars.xml", "sip_profiles_internal.xml": "sip_profiles/internal.xml",
          "sip_profiles_external.xml": "sip_profiles/external.xml", "directory_default.xml": "directory/default.xml",
          "directory_default_1000.xml": "directory/default/1000.xml"}


def stage_vanilla(corpus: Path, dest: Path) -> Path:
    for f in sorted((corpus / "freeswitch").iterdir()):
        rel = LAYOUT.get(f.name) or (f"autoload_configs/{f.name.removeprefix('autoload_configs_')}"
                                     if f.name.startswith("autoload_configs_") else None)
        if rel:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(f, dest / rel)
    return dest


@pytest.fixture
def vanilla(corpus, tmp_path):
    return collect_freeswitch_tree(stage_vanilla(corpus, tmp_path / "conf"))


def test_vanilla_loads_with_preprocessing(vanilla):
    assert all(cf.fatal_problem is None for cf in vanilla.configs.values())
    user = vanilla.named("directory.user", "1000")
    assert user is not None and user.source.file == "directory/default/1000.xml"
    assert user.secrets["password"].weakness == "known-weak"  # $${default_password} = 1234 from vars.xml
    internal = vanilla.named("sofia.profile", "internal")
    assert internal.get("tls-version") == "tlsv1,tlsv1.1,tlsv1.2"  # $${sip_tls_version}
    assert internal.setting("tls-version").file == "sip_profiles/internal.xml"
    assert "1234" not in msgspec.json.encode(vanilla).decode()


def test_vanilla_weaknesses(vanilla, run):
    assert statuses(run("FS-TLS-101", vanilla), FAIL) == {"sofia profile internal", "sofia profile external"}
    # TLS is off in vanilla's profiles, but internal's wss-binding :7443 is a TLS listener sofia-sip builds with its
    # own context: TLS 1.1 is admitted unless the host's OpenSSL policy refuses it, which the files do not show
    assert run("FS-TLS-102", vanilla) == {"sofia profile internal wss-binding": Status.ERROR}
    assert run("FS-SRTP-101", vanilla) == {"user 1000": FAIL}
    acc = run("FS-ACC-101", vanilla)
    assert acc["sofia profile internal"] == PASS  # auth-calls=true
    assert acc["sofia profile external"] == FAIL  # auth-calls=false, no inbound ACL
    assert only(run("FS-ACC-102", vanilla)) == PASS
    assert run("FS-ACC-103", vanilla) == {"user 1000": FAIL}
    assert only(run("FS-ESL-101", vanilla)) == FAIL  # listen-ip ::
    assert only(run("FS-ESL-102", vanilla)) == FAIL  # ClueCon
    assert run("FS-VM-101", vanilla) == {"user 1000": FAIL}  # vm-password equals the user id
    assert only(run("FS-VM-103", vanilla)) == FAIL  # allow-empty-password-auth=true
    assert only(run("FS-VM-104", vanilla)) == PASS  # max-login-attempts=3
    assert only(run("FS-LOG-101", vanilla)) == FAIL  # log-auth-failures off on both profiles
    assert only(run("FS-LOG-102", vanilla)) == PASS
    assert only(run("FS-LOG-103", vanilla)) == PASS


HARDENED = {
    "vars.xml": """<include>
  <X-PRE-PROCESS cmd="set" data="sip_tls_version=tlsv1.2"/>
  <X-PRE-PROCESS cmd="set" data="default_password=Xq8Lz2Wv9Rt4Nm7Kc1Pb"/>
</include>
""",
    "sip_profiles/internal.xml": """<profile name="internal">
  <settings>
    <param name="sip-ip" value="10.20.30.5"/>
    <param name="tls" value="true"/>
    <param name="tls-only" value="true"/>
    <param name="tls-version" value="$${sip_tls_version}"/>
    <param name="tls-verify-policy" value="all"/>
    <param name="auth-calls" value="true"/>
    <param name="log-auth-failures" value="true"/>
  </settings>
</profile>
""",
    "directory/clinic.xml": """<include>
  <domain name="clinic.example">
    <variables>
      <variable name="rtp_secure_media" value="mandatory:AES_CM_128_HMAC_SHA1_80"/>
    </variables>
    <groups><group name="default"><users>
      <X-PRE-PROCESS cmd="include" data="clinic/*.xml"/>
    </users></group></groups>
  </domain>
</include>
""",
    "directory/clinic/2001.xml": """<include>
  <user id="2001">
    <params>
      <param name="password" value="Vx8Kq2Lm9Zr4Tw7Nb1Hc"/>
      <param name="vm-password" value="583920"/>
      <param name="vm-mailto" value="dr.able@clinic.example"/>
      <param name="vm-attach-file" value="false"/>
    </params>
  </user>
</include>
""",
    "directory/clinic/2002.xml": """<include>
  <user id="2002">
    <params>
      <param name="password" value="Hq3Wz8Lm1Xc6Vb9Tr4Mk"/>
      <param name="vm-password" value="730281"/>
    </params>
  </user>
</include>
""",
    "autoload_configs/voicemail.conf.xml": """<configuration name="voicemail.conf">
  <profiles><profile name="default">
    <param name="max-login-attempts" value="3"/>
    <param name="allow-empty-password-auth" value="false"/>
  </profile></profiles>
</configuration>
""",
    "autoload_configs/event_socket.conf.xml": """<configuration name="event_socket.conf">
  <settings>
    <param name="listen-ip" value="127.0.0.1"/>
    <param name="password" value="Zr7Qw2Lx9Vb4Nk8Tc1Mp"/>
  </settings>
</configuration>
""",
    "autoload_configs/logfile.conf.xml": """<configuration name="logfile.conf">
  <profiles><profile name="default"><settings/><mappings>
    <map name="all" value="console,debug,info,notice,warning,err,crit,alert"/>
  </mappings></profile></profiles>
</configuration>
""",
    "autoload_configs/modules.conf.xml": """<configuration name="modules.conf">
  <modules><load module="mod_logfile"/><load module="mod_sofia"/><load module="mod_cdr_csv"/>
    <load module="mod_voicemail"/></modules>
</configuration>
""",
}


def test_hardened_configuration_passes(tmp_path, registry, run):
    facts = collect_freeswitch_tree(write_tree(tmp_path / "conf", HARDENED))
    fs_checks = [i for i in registry.known_ids() if i.startswith("FS-")]
    for cid in fs_checks:
        assert FAIL not in run(cid, facts).values(), (cid, run(cid, facts))


def test_shared_vm_password_and_attachments(tmp_path, run):
    files = dict(HARDENED)
    files["directory/clinic/2002.xml"] = files["directory/clinic/2002.xml"].replace("730281", "583920")
    files["directory/clinic/2001.xml"] = files["directory/clinic/2001.xml"].replace(
        '<param name="vm-attach-file" value="false"/>', '<param name="vm-keep-local-after-email" value="false"/>')
    facts = collect_freeswitch_tree(write_tree(tmp_path / "conf", files))
    assert statuses(run("FS-VM-102", facts), FAIL) == {"user 2001", "user 2002"}
    assert run("FS-NTF-101", facts) == {"user 2001": FAIL}
    assert run("FS-NTF-102", facts) == {"user 2001": FAIL}


def test_malformed_xml_gives_file_and_line(tmp_path):
    files = dict(HARDENED)
    files["sip_profiles/internal.xml"] = files["sip_profiles/internal.xml"].replace(
        '<param name="auth-calls" value="true"/>', '<param name="auth-calls" value="true">')
    facts = collect_freeswitch_tree(write_tree(tmp_path / "conf", files))
    state, reason = facts.source_state("sofia")
    assert state == "error"
    assert reason.startswith("sip_profiles/internal.xml:")
    # FreeSWITCH parses freeswitch.xml and all it includes as one document: an XML error anywhere makes
    # it refuse the whole configuration (it does not start, or reloadxml keeps the old one), so every
    # part is ERROR, each naming the file and line of the error.
    for part in ("directory", "voicemail.conf.xml", "event_socket.conf.xml"):
        assert facts.source_state(part) == (state, reason)


def test_truncated_file_and_commented_preprocess(tmp_path):
    files = dict(HARDENED)
    files["vars.xml"] = ('<include>\n<!-- <X-PRE-PROCESS cmd="set" data="default_password=1234"/> -->\n'
                         '<X-PRE-PROCESS cmd="exec-set" data="secret=$(cat /etc/shadow)"/>\n</include>\n')
    files["autoload_configs/voicemail.conf.xml"] = HARDENED["autoload_configs/voicemail.conf.xml"][:60]
    facts = collect_freeswitch_tree(write_tree(tmp_path / "conf", files))
    # FreeSWITCH runs X-PRE-PROCESS even inside comments; exec-set is never run by the auditor
    assert "secret" in facts.unresolved_variables
    assert facts.source_state("voicemail.conf.xml")[0] == "error"


def test_scan_and_rescore_a_freeswitch_tree_end_to_end(corpus, tmp_path):
    import json
    import subprocess
    import sys
    conf = stage_vanilla(corpus, tmp_path / "fs" / "conf")
    exe = Path(sys.executable).parent / "voxaudit"
    out = tmp_path / "out"
    proc = subprocess.run([str(exe), "scan", "--config-dir", str(conf.parent), "--platform", "freeswitch",
                           "-f", "all", "-o", str(out), "-q"], check=False, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out / "scan.json").read_text())
    assert doc["targets"][0]["facts"]["platform"] == "freeswitch"
    fails = {(r.get("alias") or r["check_id"]) for r in doc["results"] if r["status"] == "FAIL"}
    assert {"FS-TLS-101", "FS-ESL-102", "FS-VM-101", "FS-ACC-103"} <= fails
    assert not any((r.get("alias") or r["check_id"]).startswith("AST-") for r in doc["results"])
    assert "ClueCon" not in "".join(p.read_text() for p in out.iterdir())
    proc = subprocess.run([str(exe), "rescore", str(out / "scan.json"), "-p", "hipaa-2025-nprm", "-o",
                           str(tmp_path / "out2"), "-q"], check=False, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_weak_tls_blind_reg_logging_and_attempts(tmp_path, run):
    files = dict(HARDENED)
    files["sip_profiles/internal.xml"] = """<profile name="internal">
  <settings>
    <param name="tls" value="true"/>
    <param name="tls-only" value="false"/>
    <param name="tls-version" value="tlsv1,tlsv1.2"/>
    <param name="accept-blind-reg" value="true"/>
    <param name="auth-calls" value="true"/>
  </settings>
</profile>
"""
    files["autoload_configs/logfile.conf.xml"] = files["autoload_configs/logfile.conf.xml"].replace(
        "console,debug,info,notice,warning,err,crit,alert", "err,crit")
    files["autoload_configs/modules.conf.xml"] = files["autoload_configs/modules.conf.xml"].replace(
        '<load module="mod_cdr_csv"/>', "")
    files["autoload_configs/voicemail.conf.xml"] = files["autoload_configs/voicemail.conf.xml"].replace(
        'value="3"', 'value="10"')
    facts = collect_freeswitch_tree(write_tree(tmp_path / "conf", files))
    assert run("FS-TLS-101", facts) == {"sofia profile internal": FAIL}   # tls-only=false
    assert run("FS-TLS-102", facts) == {"sofia profile internal": FAIL}   # tlsv1 admitted
    assert run("FS-TLS-102", facts, min_tls_version="1.0") == {"sofia profile internal": PASS}
    assert run("FS-TLS-103", facts) == {"sofia profile internal": FAIL}   # verify policy unset (none)
    assert run("FS-ACC-102", facts) == {"sofia profile internal": FAIL}
    assert only(run("FS-LOG-102", facts)) == FAIL
    assert only(run("FS-LOG-103", facts)) == FAIL
    assert only(run("FS-VM-104", facts)) == FAIL


def test_acls_that_let_everyone_in_are_no_limit(tmp_path, run):
    """apply-inbound-acl limits only when the list does: not FreeSWITCH's wan/any built-ins, not a /0
    network, not an acl.conf list whose default is allow with no deny node."""
    files = dict(HARDENED)
    files["autoload_configs/acl.conf.xml"] = """<configuration name="acl.conf"><network-lists>
  <list name="open" default="allow"><node type="allow" cidr="10.0.0.0/8"/></list>
  <list name="carriers" default="deny"><node type="allow" cidr="192.0.2.0/24"/></list>
</network-lists></configuration>
"""
    for acl, expected in (("open", FAIL), ("wan.auto", FAIL), ("0.0.0.0/0", FAIL), ("carriers", PASS),
                          ("loopback.auto", PASS)):
        files["autoload_configs/event_socket.conf.xml"] = f"""<configuration name="event_socket.conf"><settings>
  <param name="listen-ip" value="0.0.0.0"/><param name="apply-inbound-acl" value="{acl}"/>
  <param name="password" value="Zr7Qw2Lx9Vb4Nk8Tc1Mp"/></settings></configuration>
"""
        files["sip_profiles/internal.xml"] = f"""<profile name="internal"><settings>
  <param name="auth-calls" value="false"/><param name="apply-inbound-acl" value="{acl}"/></settings></profile>
"""
        facts = collect_freeswitch_tree(write_tree(tmp_path / acl.replace("/", "_"), files))
        assert run("FS-ESL-101", facts) == {"event_socket": expected}, acl
        assert run("FS-ACC-101", facts) == {"sofia profile internal": expected}, acl


def test_unknown_is_never_pass(tmp_path, run):
    """A password stored only as an a1-hash, or taken from a variable set at run time, is ERROR."""
    files = dict(HARDENED)
    files["vars.xml"] = HARDENED["vars.xml"].replace(
        "</include>", '  <X-PRE-PROCESS cmd="env-set" data="tls_on=$TLS"/>\n</include>')
    files["directory/clinic/2002.xml"] = files["directory/clinic/2002.xml"].replace(
        '<param name="password" value="Hq3Wz8Lm1Xc6Vb9Tr4Mk"/>', '<param name="a1-hash" value="0cc175b9c0f1b6a8"/>')
    files["sip_profiles/internal.xml"] = files["sip_profiles/internal.xml"].replace(
        '<param name="tls" value="true"/>', '<param name="tls" value="$${tls_on}"/>')
    facts = collect_freeswitch_tree(write_tree(tmp_path / "conf", files))
    assert run("FS-ACC-103", facts) == {"user 2001": PASS, "user 2002": Status.ERROR}
    assert run("FS-TLS-101", facts) == {"sofia profile internal": Status.ERROR}
    assert facts.named("sofia.profile", "internal").get("tls") == "$${tls_on}"
