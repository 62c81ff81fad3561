"""One focused test per class of miss the real trees of round 4 revealed (tests/real_trees/
issabel-skynet-asterisk, issabel5-lost-links-asterisk, qwixpbx-freeswitch, kamailioagentedge-kemi).

Each builds the smallest tree that shows the class, runs the real collector and the controls, and
asserts what a HIPAA auditor would: unread configuration is a visible ERROR with a warning naming it,
never NOT_APPLICABLE, PASS or FAIL guessed from what does not run; and no secret in any message.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import msgspec
import pytest

from tests.conftest import write_tree
from voxaudit.engine.collect import TargetSpec, collect
from voxaudit.engine.evaluate import evaluate_target, parse_warnings
from voxaudit.parsers.asterisk_conf import orphan_fragments, parse_config
from voxaudit.parsers.kamailio_cfg import parse_kamailio

CANARY = "Canary-S3cr3t-9f2"


def run(path: Path, platform: str, registry) -> tuple[object, list]:
    """Collect and evaluate like a scan; the record and every result."""
    record = collect(TargetSpec(name="t", platform=platform, config_dir=path))
    checks = [c for c in registry.all() if c.parts(platform)]
    params = {k: v for c in checks for k, v in c.defaults().items()}
    return record, evaluate_target(record, checks, params)


def of(results: list, check: str, resource: str | None = None) -> list[tuple[str, str, str]]:
    """(status, resource, evidence) of one control's (or 1.x alias's) results."""
    return [(r.status.value, r.resource, r.evidence or "") for r in results
            if check in (r.check_id, r.alias) and (resource is None or resource in r.resource)]


def dumped(record) -> str:
    return msgspec.json.encode(record).decode()


# -- Asterisk: an entry file lost by the copy, its generated fragments left behind ----------------------

FRAGMENT_TREE = {
    "manager.conf": "[general]\nenabled=yes\nbindaddr=127.0.0.1\n",
    "sip_additional.conf": f"[101]\ntype=friend\nhost=dynamic\nsecret={CANARY}\npermit=0.0.0.0/0.0.0.0\n",
    "sip_general_custom.conf": "; only comments\n;allowguest=yes\n",
    "sip_notify.conf": "[polycom-check-cfg]\nEvent=>check-sync\n",  # chan_sip's own NOTIFY root, not a fragment
    "pjsip.endpoint.conf": "[200]\ntype=endpoint\naors=200\n",       # FreePBX 13+ naming
}


def test_missing_root_beside_its_fragments_is_an_error_not_not_applicable(tmp_path, registry):
    record, results = run(write_tree(tmp_path, FRAGMENT_TREE), "asterisk", registry)
    sip = of(results, "AST-SIP-103")
    assert any(s == "ERROR" and "sip_additional.conf" in e for s, _, e in sip), sip
    pjsip = of(results, "AST-TLS-101")
    assert any(s == "ERROR" and "pjsip.endpoint.conf" in e for s, _, e in pjsip), pjsip
    warnings = parse_warnings([record])
    assert any("sip.conf is missing" in w and "sip_additional.conf" in w for w in warnings), warnings
    # a comment-only fragment and another module's root are not evidence of a lost sip.conf
    assert not any("sip_general_custom.conf" in w or "sip_notify.conf" in w for w in warnings), warnings
    assert CANARY not in "\n".join(warnings) + dumped(record)


def test_fragment_of_a_present_root_is_not_flagged(tmp_path):
    """sip.conf is there and simply does not include sip_custom.conf: Asterisk does not read it either."""
    write_tree(tmp_path, {"sip.conf": "[general]\nallowguest=no\n", "sip_custom.conf": "[x]\ntype=peer\n"})
    pc = parse_config(tmp_path, "sip.conf")
    assert pc.found
    missing = parse_config(tmp_path, "pjsip.conf")
    assert orphan_fragments(missing.config_dir, "pjsip.conf", set(pc.files), {"sip.conf", "pjsip.conf"}) == []


def test_orphan_fragment_listing_is_bounded(tmp_path):
    for i in range(30):
        (tmp_path / f"sip_{i:02d}.conf").write_text("[p]\ntype=peer\n", encoding="utf-8")
    found = orphan_fragments(str(tmp_path), "sip.conf", set(), {"sip.conf"})
    assert 0 < len(found) <= 10 and all(n == 2 for _, n in found)


# -- Asterisk: an entry file that is a symbolic link out of the tree (FreePBX/IssabelPBX layout) ------

@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_symlinked_root_names_the_link_and_what_to_do(tmp_path, registry):
    conf = tmp_path / "conf"
    write_tree(conf, {"voicemail.conf": "[general]\nattach=no\n[default]\n100 => 482913,A\n"})
    outside = tmp_path / "www" / "sip.conf"
    write_tree(outside.parent, {"sip.conf": f"[general]\n[p]\nsecret={CANARY}\n"})
    (conf / "sip.conf").symlink_to("/var/www/html/admin/modules/core/etc/sip.conf")
    (conf / "logger.conf").symlink_to(outside)  # a real file, but outside the tree: never read
    record, results = run(conf, "asterisk", registry)
    sip = of(results, "AST-SIP-103")
    assert sip and all(s == "ERROR" for s, _, _ in sip), sip
    assert "symbolic link to '/var/www/html/admin/modules/core/etc/sip.conf'" in sip[0][2]
    assert "rsync -L" in sip[0][2]
    log = of(results, "AST-LOG-101")
    assert log and all(s == "ERROR" and "symbolic link" in e for s, _, e in log), log
    assert CANARY not in dumped(record) + json.dumps([r.evidence for r in results])


def test_missing_include_names_its_unrendered_template(tmp_path):
    write_tree(tmp_path, {"pjsip.conf": "#include pjsip.transports.conf\n[global]\ntype=global\n",
                          "pjsip.transports.conf.template": "[t]\ntype=transport\nbind=${SERVER_IP}\n"})
    fatal = parse_config(tmp_path, "pjsip.conf").fatal
    assert fatal is not None and "'pjsip.transports.conf.template' is here" in fatal.message


# -- Asterisk: a Latin-1 file is read byte for byte, not replaced and not a gap ------------------------

def test_latin1_file_is_read_byte_for_byte(tmp_path, registry):
    (tmp_path / "manager.conf").write_bytes(
        b"[general]\nenabled=yes\nbindaddr=127.0.0.1\n; R\xf6stbrevl\xe5da\n[admin]\nsecret=f\xe5tt-\xe5\xe5\xe5\n"
        b"deny=0.0.0.0/0.0.0.0\npermit=127.0.0.1/255.255.255.255\n")
    record, results = run(tmp_path, "asterisk", registry)
    notes = [p for p in record.facts.configs["manager.conf"].problems]
    assert notes and all(p.note and not p.fatal for p in notes), notes
    assert not any(s == "ERROR" for s, _, _ in of(results, "AST-AMI-102")), of(results, "AST-AMI-102")
    # 8 bytes, as Asterisk counts them (replacement characters would have kept the count only by luck)
    secret = record.facts.named("manager.user", "admin").secrets["secret"]
    assert secret.length == 8


# -- Kamailio: routing handed to a KEMI script ------------------------------------------------------------

KEMI_CFG = """#!KAMAILIO
import_file "kamailio-local.cfg"
#!trydef DBURL "mysql://kamailio:SET-IN-local@localhost/kamailio"
listen=udp:127.0.0.1:5060
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pike.so"
loadmodule "app_python3.so"
modparam("app_python3", "load", "/etc/kamailio/edge.py")
route[FIXUP] {
    save("location");
}
cfgengine "python"
"""


def test_kemi_routing_is_undecided_not_failed(tmp_path, registry):
    write_tree(tmp_path, {"kamailio.cfg": KEMI_CFG})
    record, results = run(tmp_path, "kamailio", registry)
    auth = of(results, "KAM-ACC-101")
    assert auth and all(s == "ERROR" for s, _, _ in auth), auth       # never FAIL from a route that never runs
    assert any("edge.py" in e for _, _, e in auth), auth
    flood = of(results, "KAM-ACC-102")
    assert flood and not any(s in {"PASS", "FAIL"} for s, _, _ in flood), flood
    # ...while what kamailio.cfg itself sets (listeners, TLS, logging) is still judged, not ERROR
    assert [s for s, _, _ in of(results, "KAM-TLS-101")] == ["PASS"], of(results, "KAM-TLS-101")
    warnings = parse_warnings([record])
    assert any("cfgengine python: edge.py" in w for w in warnings), warnings
    assert any("note: import_file 'kamailio-local.cfg'" in w for w in warnings), warnings


def test_native_routing_is_still_judged(tmp_path, registry):
    write_tree(tmp_path, {"kamailio.cfg": KEMI_CFG.replace('cfgengine "python"', 'cfgengine "native"')})
    cfg = parse_kamailio(tmp_path)
    assert cfg.engine == "" and not any("KEMI" in p.message for p in cfg.problems)
    _, results = run(tmp_path, "kamailio", registry)
    assert any(s == "FAIL" for s, _, _ in of(results, "KAM-ACC-101"))  # no auth call in the native route


def test_routing_that_runs_a_script_is_undecided(tmp_path, registry):
    """python_exec()/lua_run() in a native route hand the request to a script that may authenticate it."""
    write_tree(tmp_path, {"kamailio.cfg": "#!KAMAILIO\nlisten=udp:127.0.0.1:5060\nloadmodule \"app_lua.so\"\n"
                                          "request_route {\n  lua_run(\"ksr_auth\");\n  t_relay();\n}\n"})
    _, results = run(tmp_path, "kamailio", registry)
    auth = of(results, "KAM-ACC-101")
    assert auth and all(s == "ERROR" and "lua_run()" in e for s, _, e in auth), auth


def test_unclosed_ifdef_names_its_line(tmp_path):
    """'#!endif NAME' is a comment for cfg.lex: the #!ifdef it meant to close stays open and Kamailio
    refuses the file; the error says which #!ifdef, so the fix is one look away."""
    write_tree(tmp_path, {"kamailio.cfg": "#!KAMAILIO\nlisten=udp:127.0.0.1:5060\n#!ifdef WITH_X\n"
                                          "loadmodule \"pike.so\"\n#!endif WITH_X\n"})
    fatal = parse_kamailio(tmp_path).fatal
    assert fatal is not None and fatal.line == 3 and "#!ifdef without matching #!endif" in fatal.message


def test_missing_import_files_are_bounded_notes(tmp_path):
    write_tree(tmp_path, {"kamailio.cfg": "".join(f'import_file "x{i}.cfg"\n' for i in range(500))})
    cfg = parse_kamailio(tmp_path)
    assert 0 < len(cfg.problems) <= 20 and all(p.note for p in cfg.problems)


# -- FreeSWITCH: mod_xml_rpc, an HTTP control API ---------------------------------------------------------

def xml_rpc_tree(tmp_path: Path, loaded: bool, settings: str) -> Path:
    load = '<load module="mod_xml_rpc"/>' if loaded else ""
    return write_tree(tmp_path, {"freeswitch.xml": f"""<document type="freeswitch/xml">
<X-PRE-PROCESS cmd="set" data="rpc_pass={CANARY}"/>
<section name="configuration">
  <configuration name="modules.conf"><modules><load module="mod_sofia"/>{load}</modules></configuration>
  <configuration name="event_socket.conf"><settings><param name="listen-ip" value="127.0.0.1"/>
    <param name="password" value="a-long-random-esl-password-9f2"/></settings></configuration>
  <configuration name="xml_rpc.conf"><settings>{settings}</settings></configuration>
</section>
</document>
"""})


def test_loaded_xml_rpc_is_a_plaintext_admin_interface(tmp_path, registry):
    tree = xml_rpc_tree(tmp_path, True, '<param name="http-port" value="8181"/><param name="auth-realm" value="fs"/>'
                        '<param name="auth-user" value="freeswitch"/><param name="auth-pass" value="$${rpc_pass}"/>')
    record, results = run(tree, "freeswitch", registry)
    admin = of(results, "ACC-ADMIN-101", "xml_rpc")
    assert admin == [("FAIL", "xml_rpc", admin[0][2])] and "port 8181" in admin[0][2], admin
    secret = of(results, "AUTH-SECRET-101", "xml_rpc")
    assert [s for s, _, _ in secret] == ["PASS"], secret               # 17 characters, not a default
    assert CANARY not in dumped(record)                                 # auth-pass kept as a shape only
    assert not any("xml_rpc" in w for w in parse_warnings([record]))    # read, no longer a gap


def test_xml_rpc_without_realm_asks_for_no_login(tmp_path, registry):
    _, results = run(xml_rpc_tree(tmp_path, True, '<param name="auth-pass" value=""/>'), "freeswitch", registry)
    secret = of(results, "AUTH-SECRET-101", "xml_rpc")
    assert [s for s, _, _ in secret] == ["FAIL"] and "no secret" in secret[0][2], secret


def test_xml_rpc_not_loaded_is_not_judged(tmp_path, registry):
    _, results = run(xml_rpc_tree(tmp_path, False, '<param name="http-port" value="8080"/>'), "freeswitch", registry)
    assert not of(results, "ACC-ADMIN-101", "xml_rpc") and not of(results, "AUTH-SECRET-101", "xml_rpc")


# -- Asterisk Realtime: objects in a database (sorcery.conf, extconfig.conf) ------------------------------

REALTIME_TREE = {
    "pjsip.conf": f"[udp]\ntype=transport\nprotocol=udp\nbind=127.0.0.1\n[100]\ntype=endpoint\nauth=100\n"
                  f"[100]\ntype=auth\nauth_type=userpass\nusername=100\npassword={CANARY}\n",
    "sorcery.conf": "[res_pjsip]\nendpoint=realtime,ps_endpoints\nendpoint/cache=memory_cache,expire_on_reload=yes\n"
                    "auth=realtime,ps_auths\n",
    # a connection name is no secret (the facts keep it as a setting) but messages never quote it
    "extconfig.conf": "[settings]\nps_endpoints => odbc,dsn-marker-7\nps_auths => odbc,dsn-marker-7\n"
                      "voicemail => odbc,dsn-marker-7\nsippeers => odbc,dsn-marker-7\n",
    "voicemail.conf": "[general]\nmaxlogins=3\n[default]\n100 => 482913,A\n",
    "sip.conf": "[general]\nallowguest=no\n",
}


def test_realtime_pjsip_objects_are_errors_and_ignored_sections_are_dropped(tmp_path, registry):
    record, results = run(write_tree(tmp_path, REALTIME_TREE), "asterisk", registry)
    auth = of(results, "AST-ACC-102")
    assert auth and all(s == "ERROR" for s, _, _ in auth) and any("realtime" in e for _, _, e in auth), auth
    secrets = of(results, "AST-ACC-103")
    assert not any(s in {"PASS", "FAIL"} for s, _, _ in secrets), secrets   # the pjsip.conf auth is not loaded
    facts = record.facts
    assert not facts.of_kind("pjsip.endpoint") and not facts.of_kind("pjsip.auth")
    assert facts.of_kind("pjsip.transport")                                 # transports keep the default wizard
    assert ("PASS", "transport udp") in [(s, r) for s, r, _ in of(results, "AST-TLS-101")]
    warnings = parse_warnings([record])
    assert any("PJSIP endpoint objects from a realtime database" in w for w in warnings), warnings
    assert any("extconfig.conf maps voicemail" in w for w in warnings), warnings
    assert any("extconfig.conf maps sippeers" in w for w in warnings), warnings
    assert any(s == "ERROR" for s, _, _ in of(results, "AST-VM-101")), of(results, "AST-VM-101")
    messages = "\n".join(warnings) + json.dumps([r.evidence for r in results])
    assert CANARY not in messages + dumped(record) and "dsn-marker-7" not in messages


def test_realtime_family_not_mapped_is_only_a_note(tmp_path, registry):
    tree = {**REALTIME_TREE, "extconfig.conf": "[settings]\n"}
    del tree["voicemail.conf"], tree["sip.conf"]
    record, results = run(write_tree(tmp_path, tree), "asterisk", registry)
    pj = record.facts.configs["pjsip.conf"].problems
    assert pj and all(p.note for p in pj), pj                                # Asterisk finds no objects there


def test_static_realtime_replaces_the_file(tmp_path, registry):
    record, results = run(write_tree(tmp_path, {
        "extconfig.conf": "[settings]\nmanager.conf => odbc,asterisk,ast_config\n",
        "manager.conf": "[general]\nenabled=yes\nbindaddr=127.0.0.1\n"}), "asterisk", registry)
    ami = of(results, "AST-AMI-101")
    assert any(s == "ERROR" and "static realtime" in e for s, _, e in ami), ami


def test_realtime_readers_are_bounded_on_hostile_input(tmp_path):
    """A sorcery.conf of 200,000 mappings and an extconfig.conf of as many families: a few gaps, quickly."""
    import time
    write_tree(tmp_path, {"pjsip.conf": "[t]\ntype=transport\nprotocol=udp\nbind=127.0.0.1\n"})
    (tmp_path / "sorcery.conf").write_text("[res_pjsip]\n" + "endpoint=realtime,ps_endpoints\n" * 200_000,
                                           encoding="utf-8")
    (tmp_path / "extconfig.conf").write_text(
        "[settings]\n" + "".join(f"f{i} => odbc,x\n" for i in range(200_000)), encoding="utf-8")
    start = time.monotonic()
    facts = collect(TargetSpec(name="t", platform="asterisk", config_dir=tmp_path)).facts
    assert time.monotonic() - start < 30
    assert len(facts.configs["pjsip.conf"].problems) <= 10


def test_run_time_configuration_does_not_touch_an_unloaded_xml_rpc(tmp_path, registry):
    """FusionPBX's lua.conf binds the configuration section to app.lua: every configuration a loaded
    module asks for may come from the database, but nobody asks for xml_rpc.conf when mod_xml_rpc
    does not load (the FusionPBX install tree ships one with auth-pass 'works')."""
    tree = write_tree(tmp_path, {"freeswitch.xml": """<document type="freeswitch/xml">
<section name="configuration">
  <configuration name="modules.conf"><modules><load module="mod_lua"/><load module="mod_sofia"/></modules></configuration>
  <configuration name="lua.conf"><settings><param name="xml-handler-script" value="app.lua xml_handler"/>
    <param name="xml-handler-bindings" value="configuration,directory"/></settings></configuration>
  <configuration name="xml_rpc.conf"><settings><param name="auth-realm" value="freeswitch"/>
    <param name="auth-user" value="freeswitch"/><param name="auth-pass" value="works"/></settings></configuration>
</section>
</document>
"""})
    record, results = run(tree, "freeswitch", registry)
    assert not any("xml_rpc" in r for _, r, _ in of(results, "ACC-ADMIN-101") + of(results, "AUTH-SECRET-101"))
    assert any(s == "ERROR" for s, _, _ in of(results, "FS-ACC-101"))  # sofia.conf may come from app.lua
