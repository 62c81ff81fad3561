"""One focused test per class of Asterisk miss that the real trees mlan-privatedial-docker-asterisk20,
lmedeiros-ael-mysql-realtime-asterisk and minhthuc-freepbx14-asterisk revealed. Each builds the smallest
tree that shows the class, runs the real collector and the controls, and asserts what a HIPAA auditor
would; no secret (a canary) in any message.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import msgspec

from tests.conftest import write_tree
from voxaudit.engine.collect import TargetSpec, collect
from voxaudit.engine.evaluate import evaluate_target, parse_warnings

CANARY = "Canary-S3cr3t-5h7"


def run(path: Path, registry) -> tuple[object, list]:
    """Collect and evaluate like a scan: the record and every result."""
    record = collect(TargetSpec(name="t", platform="asterisk", config_dir=path))
    checks = [c for c in registry.all() if c.parts("asterisk")]
    params = {k: v for c in checks for k, v in c.defaults().items()}
    return record, evaluate_target(record, checks, params)


def of(results: list, check: str, resource: str | None = None) -> list[tuple[str, str, str]]:
    """(status, resource, evidence) of one control's (or alias's) results."""
    return [(r.status.value, r.resource, r.evidence or "") for r in results
            if check in (r.check_id, r.alias) and (resource is None or resource in r.resource)]


def everything(record, results) -> str:
    """All the scan would print: facts, warnings, every result's evidence."""
    return (msgspec.json.encode(record).decode() + "\n".join(parse_warnings([record]))
            + json.dumps([[r.resource, r.evidence] for r in results]))


# -- static realtime: extconfig.conf "sip.conf => mysql,..." replaces the file on disk ----------------------

STATIC_SIP = {
    "modules.conf": "[modules]\nautoload=yes\n",
    "extconfig.conf": "[settings]\nsip.conf => mysql,pbx,pbx_config\nsippeers => mysql,pbx,peers\n",
    "sip.conf": f"[general]\nallowguest=yes\nbindaddr=0.0.0.0\ntlsenable=yes\ntlscipher=DES-CBC3-SHA\n"
                f"[101]\ntype=friend\nhost=dynamic\nsecret={CANARY}\n",
}


def test_static_realtime_file_is_not_judged_from_disk(tmp_path, registry):
    """main/config.c ast_config_internal_load(): a mapped file is loaded by the driver, the copy on disk is
    never read. Its checks are ERROR naming the mapping, never FAIL/PASS from the disk copy."""
    record, results = run(write_tree(tmp_path, STATIC_SIP), registry)
    for check in ("AST-SIP-101", "AST-SIP-103", "AST-SIP-104", "ENC-TLS-102"):
        got = of(results, check)
        assert got and all(s == "ERROR" and "static realtime" in e for s, _, e in got), (check, got)
    assert CANARY not in everything(record, results)
    assert "pbx_config" not in "\n".join(parse_warnings([record])) + json.dumps([r.evidence for r in results])


def test_static_realtime_of_a_file_absent_from_disk_is_an_error_not_not_applicable(tmp_path, registry):
    """No sip.conf on disk, but Asterisk loads it from the database: chan_sip runs; not 'chan_sip not loaded'."""
    tree = {k: v for k, v in STATIC_SIP.items() if k != "sip.conf"}
    _, results = run(write_tree(tmp_path, tree), registry)
    got = of(results, "AST-SIP-103")
    assert got and all(s == "ERROR" for s, _, _ in got), got


def test_realtime_mapping_whose_driver_is_noloaded_is_inert(tmp_path, registry):
    """find_engine() finds no engine when res_config_mysql does not load: Asterisk reads sip.conf from disk."""
    tree = {**STATIC_SIP, "modules.conf": "[modules]\nautoload=yes\nnoload => res_config_mysql.so\n"}
    record, results = run(write_tree(tmp_path, tree), registry)
    assert ("FAIL", "sip.conf [general]") in [(s, r) for s, r, _ in of(results, "AST-SIP-103")]
    notes = [w for w in parse_warnings([record]) if "res_config_mysql" in w]
    assert notes and all("note:" in w for w in notes), parse_warnings([record])


# -- identify objects that match nothing ---------------------------------------------------------------------

IDENTIFY_TREE = {
    "pjsip.conf": "[udp]\ntype=transport\nprotocol=udp\nbind=0.0.0.0\n"
                  "[300]\ntype=endpoint\ncontext=from-internal\n"          # no auth=
                  "[300-identify]\ntype=identify\nendpoint=300\n"           # FreePBX's match-less identify
                  "[carrier]\ntype=endpoint\ncontext=from-pstn\n"
                  "[carrier]\ntype=identify\nendpoint=carrier\nmatch=203.0.113.7\n",
}


def test_identify_without_match_does_not_make_a_trusted_trunk(tmp_path, registry):
    """res_pjsip_endpoint_identifier_ip ip_identify_apply(): an identify with no match, match_header or
    match_request_uri is refused ("is not configured to match anything"): the endpoint is not matched by
    address, so an endpoint without auth= takes calls unauthenticated (never PASS "matched by IP")."""
    record, results = run(write_tree(tmp_path, IDENTIFY_TREE), registry)
    assert ("FAIL", "endpoint 300") in [(s, r) for s, r, _ in of(results, "AST-ACC-102")]
    assert ("PASS", "endpoint carrier") in [(s, r) for s, r, _ in of(results, "AST-ACC-102")]
    assert not of(results, "AST-TLS-105", "endpoint 300")               # not a trunk
    assert of(results, "AST-TLS-105", "endpoint carrier")
    assert [i.name for i in record.facts.of_kind("pjsip.identify")] == ["carrier"]
    assert any("[300-identify] type=identify matches nothing" in w and "note:" in w
               for w in parse_warnings([record])), parse_warnings([record])


def test_identify_with_only_a_header_match_still_loads(tmp_path, registry):
    tree = {"pjsip.conf": "[t]\ntype=endpoint\n[t]\ntype=identify\nendpoint=t\nmatch_header=X-Trunk: t\n"}
    record, _ = run(write_tree(tmp_path, tree), registry)
    assert [i.name for i in record.facts.of_kind("pjsip.identify")] == ["t"]


# -- app_minivm: the mail command that carries voicemail audio is a recipient --------------------------------

MINIVM_TREE = {
    "modules.conf": "[modules]\nautoload=yes\nnoload => app_voicemail.so\n",
    "minivm.conf": f"[general]\nmailcmd = minivm-send -H mx.example.com:587 -u user -p {CANARY}\n"
                   "[template-t]\nsubject=New voicemail\nmessagebody=You have a message.\nattachmedia=yes\n",
    "extensions.conf": "[in]\nexten => _X.,1,MinivmRecord(${EXTEN}@clinic.example)\n"
                       " same => n,MinivmNotify(${EXTEN}@clinic.example,t)\n",
}


def test_minivm_mail_command_is_a_recipient(tmp_path, registry):
    """MinivmNotify() hands each message (audio attached) to minivm.conf mailcmd: a program that is not an
    MTA is an ERROR naming it for BAA-101, never silence; its arguments (an SMTP password) never shown."""
    record, results = run(write_tree(tmp_path, MINIVM_TREE), registry)
    baa = of(results, "BAA-101", "minivm mail command")
    assert baa and all(s == "ERROR" and "minivm-send" in r for s, r, _ in baa), of(results, "BAA-101")
    assert CANARY not in everything(record, results)


def test_minivm_account_email_domain_is_a_recipient(tmp_path, registry):
    tree = {"modules.conf": "[modules]\nautoload=yes\n",
            "minivm.conf": "[general]\n[anna@clinic.example]\nemail=anna@mail.example.net\npincode=730194\n"}
    _, results = run(write_tree(tmp_path, tree), registry)
    hosts = [r for _, r, _ in of(results, "BAA-101")]
    assert any("mail.example.net" in r for r in hosts), hosts
    assert any("minivm email relay" in r for r in hosts), hosts                 # default sendmail: its relay


def test_minivm_not_loaded_sends_nothing(tmp_path, registry):
    tree = {**MINIVM_TREE, "modules.conf": "[modules]\nautoload=yes\nnoload => app_minivm.so\n"}
    _, results = run(write_tree(tmp_path, tree), registry)
    assert not of(results, "BAA-101", "minivm")


def test_realtime_reader_stays_linear_with_many_static_mappings(tmp_path):
    """An extconfig.conf of 100,000 static mappings of files that do not exist: quick, bounded problems."""
    write_tree(tmp_path, {"modules.conf": "[modules]\nautoload=yes\n"})
    (tmp_path / "extconfig.conf").write_text(
        "[settings]\n" + "".join(f"f{i}.conf => odbc,x\n" for i in range(100_000)), encoding="utf-8")
    start = time.monotonic()
    facts = collect(TargetSpec(name="t", platform="asterisk", config_dir=tmp_path)).facts
    assert time.monotonic() - start < 30
    assert sum(len(cf.problems) for cf in facts.configs.values()) < 50


# -- app_minivm: MinivmDelete() after MinivmNotify() leaves the email as the only copy -----------------------

def test_minivm_delete_after_notify_is_the_only_copy_sent_away(tmp_path, registry):
    tree = {**MINIVM_TREE, "extensions.conf": MINIVM_TREE["extensions.conf"] + " same => n,MinivmDelete()\n"}
    _, results = run(write_tree(tmp_path, tree), registry)
    got = of(results, "NTF-PHI-103", "dialplan in,")
    assert [s for s, _, _ in got] == ["FAIL"], got


def test_minivm_notify_without_delete_or_without_audio_passes(tmp_path, registry):
    _, results = run(write_tree(tmp_path, MINIVM_TREE), registry)               # no MinivmDelete
    assert [s for s, _, _ in of(results, "NTF-PHI-103", "dialplan in,")] == ["PASS"]
    tree = {**MINIVM_TREE,
            "minivm.conf": MINIVM_TREE["minivm.conf"].replace("attachmedia=yes", "attachmedia=no"),
            "extensions.conf": MINIVM_TREE["extensions.conf"] + " same => n,MinivmDelete()\n"}
    _, results = run(write_tree(tmp_path / "b", tree), registry)              # template t attaches nothing
    assert [s for s, _, _ in of(results, "NTF-PHI-103", "dialplan in,")] == ["PASS"]


def test_minivm_template_in_a_variable_with_disagreeing_templates_is_undecided(tmp_path, registry):
    tree = {**MINIVM_TREE,
            "minivm.conf": MINIVM_TREE["minivm.conf"].replace("attachmedia=yes", "attachmedia=no"),
            "extensions.conf": "[in]\nexten => h,1,MinivmNotify(${M}${T})\n same => n,MinivmDelete()\n"}
    _, results = run(write_tree(tmp_path, tree), registry)
    assert [s for s, _, _ in of(results, "NTF-PHI-103", "dialplan in,")] == ["ERROR"]   # email-default attaches


def test_files_asterisk_never_loads_from_realtime_stay_read_from_disk(tmp_path, registry):
    """ast_config_internal_load() never hands extconfig.conf or asterisk.conf to an engine, and modules.conf
    is read before any res_config_* module: a mapping of them is a note, the file is still judged."""
    record, _ = run(write_tree(tmp_path, {
        "modules.conf": "[modules]\nautoload=yes\n",
        "extconfig.conf": "[settings]\nmodules.conf => odbc,a,b\nasterisk.conf => odbc,a,b\n"}), registry)
    cf = record.facts.configs["modules.conf"]
    assert cf.fatal_problem is None and any(p.note for p in cf.problems), cf.problems
