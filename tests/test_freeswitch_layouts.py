"""FreeSWITCH configuration read as FreeSWITCH reads it, whatever the layout.

FreeSWITCH starts from ``freeswitch.xml`` and preprocesses it with what it includes into one
document (``src/switch_xml.c``: ``preprocess()``, ``switch_xml_parse_str()``, ``switch_xml_locate()``).
These tests hold the reader to that code: real public trees in the layouts container images use
(one ``freeswitch.xml`` with every section inline; ``freeswitch.xml`` + ``config.xml`` or a ``vars/``
directory, without ``vars.xml``) with the findings written out by hand; each preprocessor and parser
rule on a small tree; problems that must be visible (includes leaving the tree, unreadable files,
``exec``), never an exception and never a value in a message; hostile input in bounded, linear
time; a seeded fuzz over the corpus and the fixtures.
"""
from __future__ import annotations

import gc
import os
import random
import shutil
import time
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.checks.test_freeswitch import HARDENED, stage_vanilla
from tests.conftest import corpus_dir, write_tree
from tests.test_hostile_input import mangle
from voxaudit.collectors.offline import (
    CollectionError,
    collect_freeswitch_tree,
    locate_freeswitch_conf,
)
from voxaudit.engine.collect import TargetSpec, collect
from voxaudit.engine.evaluate import evaluate_target, parse_warnings
from voxaudit.facts.freeswitch import PARTS, ROOT, build_freeswitch_facts
from voxaudit.parsers import freeswitch_xml

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "freeswitch"
PER_INPUT_S = 2.0
CANARY = "Canary-S3cr3t-9f2"


def audit(path: Path, registry) -> tuple[object, dict[str, dict[str, str]]]:
    """Collect and evaluate like a scan: {check id: {resource: status}} with the runner's own ERRORs."""
    record = collect(TargetSpec(name="t", platform="freeswitch", config_dir=path))
    checks = [c for c in registry.all() if c.parts("freeswitch")]
    params = {k: v for c in checks for k, v in c.defaults().items()}
    out: dict[str, dict[str, str]] = {}
    worst = ["NOT_APPLICABLE", "PASS", "ERROR", "FAIL"]  # a 1.x check that became several controls: its worst
    for r in evaluate_target(record, checks, params):
        seen = out.setdefault((r.alias or r.check_id), {})
        if worst.index(r.status.value) >= worst.index(seen.get(r.resource, "NOT_APPLICABLE")):
            seen[r.resource] = r.status.value
    return record, out


def problems(facts, *, fatal=None, note=None) -> list:
    return [p for cf in facts.configs.values() for p in cf.problems
            if (fatal is None or p.fatal == fatal) and (note is None or p.note == note)]


# -- layout (a): one freeswitch.xml, every section inline ----------------------------------------

def test_single_inline_freeswitch_xml_docker_image(registry):
    """evgeniy-klemin/freeswitch-mini: sofia, directory, event socket, modules and syslog all inline;
    the vars.xml beside it is never included, so FreeSWITCH never reads it."""
    record, res = audit(FIXTURES / "evgeniy-klemin-freeswitch-mini", registry)
    facts = record.facts
    profile = facts.named("sofia.profile", "forsipclient")
    assert profile is not None and (profile.source.file, profile.source.line) == ("freeswitch.xml", 89)
    assert profile.setting("tls-only").line == 101
    user = facts.named("directory.user", "101")
    assert (user.source.file, user.source.line) == ("freeswitch.xml", 134)
    assert facts.first("event_socket.settings").get("listen-ip") == "$${local_ip_v4}"
    assert facts.unresolved_variables == ["local_ip_v4"]
    notes = [p.message for p in problems(facts, note=True)]
    assert any("not included by freeswitch.xml" in m and "vars.xml" in m for m in notes)
    assert any("$${domain} is not defined" in m for m in notes)  # vars.xml would have set it
    assert res["FS-ACC-101"] == {"sofia profile forsipclient": "FAIL"}      # no auth-calls, no ACL
    assert res["FS-ACC-102"] == {"sofia profile forsipclient": "PASS"}
    assert res["FS-ACC-103"] == {"user 101": "FAIL"}                         # password = user id
    assert res["FS-ESL-101"] == {"event_socket": "FAIL"}                     # host address, ACL 0.0.0.0/0
    assert res["FS-ESL-102"] == {"event socket event_socket.conf.xml": "FAIL"}  # ClueCon
    assert res["FS-LOG-101"] == {"sofia profile forsipclient": "FAIL"}
    assert res["FS-LOG-102"] == {"logfile.conf.xml": "FAIL", "(unread parts of logfile.conf.xml)": "ERROR"}  # syslog
    assert res["FS-LOG-103"] == {"modules.conf.xml": "FAIL"}
    assert res["FS-SRTP-101"] == {"user 101": "FAIL"}
    assert res["FS-TLS-101"] == {"sofia profile forsipclient": "FAIL"}      # tls-only=false
    assert res["FS-TLS-102"] == {"sofia profile forsipclient": "FAIL"}      # default admits TLS 1.0
    assert res["FS-TLS-103"] == {"sofia profile forsipclient": "FAIL"}
    assert res["FS-VM-101"] == {"user 101": "FAIL"}
    assert res["FS-VM-103"] == {"(target)": "NOT_APPLICABLE"}  # no voicemail profiles: the engine's N/A


def test_single_inline_freeswitch_xml_two_profiles(registry):
    """enp/webrtc: two profiles (one with a gateway), the event socket open to any_v4.auto."""
    record, res = audit(FIXTURES / "enp-webrtc", registry)
    facts = record.facts
    gw = facts.named("sofia.gateway", "mss")
    assert gw.get("profile") == "mss" and gw.secrets["password"].present and gw.source.line == 71
    assert res["FS-ACC-101"] == {"sofia profile mss": "FAIL", "sofia profile webrtc": "FAIL"}
    assert res["FS-ESL-101"] == {"event_socket": "FAIL"}  # any_v4.auto lets every address in
    assert res["FS-ESL-102"] == {"event socket event_socket.conf.xml": "FAIL"}
    assert res["FS-TLS-101"] == {"sofia profile mss": "FAIL", "sofia profile webrtc": "FAIL"}
    # the wss-binding :5081 listener: sofia-sip's own TLS context, its lowest version the host OpenSSL's
    assert res["FS-TLS-102"] == {"sofia profile webrtc": "FAIL", "sofia profile webrtc wss-binding": "ERROR"}
    assert res["FS-TLS-103"] == {"sofia profile webrtc": "FAIL"}   # a WSS listener has no peer to verify
    assert res["FS-ACC-103"] == {"user 101": "FAIL"}
    assert res["FS-LOG-102"]["(unread parts of logfile.conf.xml)"] == "ERROR"


def test_single_file_with_exec_and_a_runtime_include(registry):
    """traviscross/freeswitch-conf-load-test: ``exec`` (never run: a gap) writes a file outside the conf
    dir that the next line includes at the top of the document: refused, and every part is ERROR."""
    record, res = audit(FIXTURES / "traviscross-conf-load-test", registry)
    facts = record.facts
    root = facts.configs[ROOT]
    assert any(p.line == 17 and "exec" in p.message and p.is_gap for p in root.problems)
    assert root.fatal_problem.line == 18 and "leaves the configuration directory" in root.fatal_problem.message
    for part in PARTS:
        assert facts.source_state(part)[0] == "error", part
    for check_id, outcome in res.items():
        assert set(outcome.values()) == {"ERROR"}, check_id
    assert facts.named("sofia.profile", "internal") is not None  # still read, for the record


# -- layout (b): freeswitch.xml + config.xml / vars/*.xml, no vars.xml ----------------------------

def test_freeswitch_xml_with_config_xml(registry):
    """somleng/freeswitch-config: config.xml holds the variables, sofia.conf.xml includes
    ../sip_profiles/*.xml from its own directory; json_cdr is read (where call records are posted), and rayo
    (loaded: an XMPP call-control server on 0.0.0.0:5222 without TLS, its user's password a variable set
    in config.xml)."""
    conf = FIXTURES / "somleng-freeswitch-config" / "conf"
    assert not (conf / "vars.xml").exists()
    record, res = audit(FIXTURES / "somleng-freeswitch-config", registry)
    facts = record.facts
    ext = facts.named("sofia.profile", "external")
    assert (ext.source.file, ext.source.line) == ("sip_profiles/external.xml", 1)
    assert ext.get("ext-sip-ip") == "0.0.0.0"  # $${external_sip_ip} from config.xml
    assert "config.xml" in facts.configs[ROOT].files
    notes = [p.message for p in problems(facts, note=True)]
    assert any("env.xml matches no file" in m for m in notes)
    assert {"mod_json_cdr", "mod_rayo"} <= {m.name for m in facts.of_kind("modules.load")}
    assert res["FS-ACC-101"] == {"sofia profile external": "FAIL"}
    assert res["FS-TLS-101"] == {"sofia profile external": "FAIL"}
    assert res["FS-LOG-101"] == {"sofia profile external": "FAIL"}
    assert res["FS-LOG-103"] == {"modules.conf.xml": "PASS"}  # json_cdr.conf is read (no gap left there)
    # rayo.conf is read as mod_rayo reads it: its listener is an admin interface, its user a secret
    assert not facts.configs["rayo.conf.xml"].problems and not facts.configs["event_socket.conf.xml"].problems
    assert res["ACC-ADMIN-101"] == {"rayo c2s 0.0.0.0:5222": "FAIL"}
    assert res["AUTH-SECRET-101"]["rayo user rayo"] == "FAIL"
    # no directory users: nothing for FS-ACC-103's binding
    assert "FS-ACC-103" not in res


def test_freeswitch_xml_with_a_vars_directory(registry):
    """ericyan/docker-freeswitch: variables in vars/base.xml, the event socket password a placeholder
    that the image's entrypoint fills in with envsubst: not assessable, never PASS."""
    record, res = audit(FIXTURES / "ericyan-docker-freeswitch", registry)
    facts = record.facts
    assert facts.configs[ROOT].files == ["freeswitch.xml", "vars/base.xml"]
    assert res["FS-ESL-101"] == {"event_socket": "PASS"}
    assert res["FS-ESL-102"] == {"event socket event_socket.conf.xml": "ERROR"}
    assert res["FS-LOG-103"] == {"modules.conf.xml": "FAIL"}
    assert res["FS-ACC-101"] == {"(target)": "NOT_APPLICABLE"}  # sip_profiles/*.xml matches nothing


def test_old_refusals_are_now_read(tmp_path):
    """The old collector wanted vars.xml or sip_profiles/: these trees have neither."""
    for fixture in ("enp-webrtc", "somleng-freeswitch-config"):
        facts = collect_freeswitch_tree(FIXTURES / fixture)
        assert facts.of_kind("sofia.profile"), fixture


# -- the same facts whatever the layout -----------------------------------------------------------

def _shape(facts) -> dict:
    return {(o.kind, o.name): ({k: [s.value for s in v] for k, v in o.settings.items()},
                               {k: {f: v for f, v in msgspec.structs.asdict(s).items() if f != "source"} for k, s in o.secrets.items()})
            for o in facts.objects if o.kind != "freeswitch.configuration"}


def test_inline_document_and_split_tree_give_the_same_facts(tmp_path):
    split = collect_freeswitch_tree(write_tree(tmp_path / "split", HARDENED))
    body = {k: v.replace("<include>", "").replace("</include>", "") for k, v in HARDENED.items()}
    users = body["directory/clinic/2001.xml"] + body["directory/clinic/2002.xml"]
    directory = body["directory/clinic.xml"].replace('<X-PRE-PROCESS cmd="include" data="clinic/*.xml"/>', users)
    inline = (f'<?xml version="1.0"?>\n<document type="freeswitch/xml">\n{body["vars.xml"]}'
              f'<section name="configuration">\n<configuration name="sofia.conf"><profiles>\n'
              f'{body["sip_profiles/internal.xml"]}</profiles></configuration>\n'
              + "".join(body[f"autoload_configs/{n}.conf.xml"] for n in ("voicemail", "event_socket", "logfile", "modules"))
              + f'</section>\n<section name="directory">\n{directory}</section>\n</document>\n')
    one = collect_freeswitch_tree(write_tree(tmp_path / "one", {"freeswitch.xml": inline}))
    assert _shape(one) == _shape(split)
    assert one.configs[ROOT].files == ["freeswitch.xml"]
    assert {o.source.file for o in one.objects} == {"freeswitch.xml"}
    assert all(not p.fatal for p in problems(one))


# -- preprocess() and switch_xml_parse_str(), rule by rule -----------------------------------------

def _doc(tmp_path: Path, files: dict[str, str | bytes], root: str = "freeswitch.xml"):
    for name, data in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return freeswitch_xml.Preprocessor(tmp_path).run(root)


def _elements(doc, tag: str) -> list:
    return [e for e in doc.elements if e.tag == tag]


def test_preprocessor_comments_directives_and_include_lines(tmp_path):
    doc = _doc(tmp_path, {"freeswitch.xml": """<?xml version="1.0"?>
<document type="freeswitch/xml">
<!--#comment
  <X-PRE-PROCESS cmd="set" data="hidden=1"/>
-->
<!-- <X-PRE-PROCESS cmd="set" data="Shown=2"/> -->
<!--#set "a=3"-->
<section name="configuration"><!--#include "inc.xml"--><configuration name="x.conf"><p v="$${hidden}|$${shown}|$${A}"/></configuration>
<include><configuration name="dropped.conf"/></include>
<configuration name="kept.conf"/> <X-PRE-PROCESS cmd="set" data="b=4"/>
<configuration name="y.conf"><p v="$${b}"/></configuration>
</section>
</document>
""", "inc.xml": "<include>\n<configuration name='inc.conf'/>\n</include>\n"})
    assert doc.fatal is None
    confs = [e.get("name") for e in _elements(doc, "configuration")]
    # '<!--#' hides its block; a plain comment does not hide an X-PRE-PROCESS (it runs); the text after
    # '-->' comes before what '<!--#include' adds; an <include> line and an X-PRE-PROCESS line are dropped whole
    assert confs == ["x.conf", "inc.conf", "y.conf"]
    assert _elements(doc, "p")[0].get("v") == "|2|3"  # names are case-insensitive; undefined is empty
    assert _elements(doc, "p")[1].get("v") == "4"
    assert doc.where(_elements(doc, "configuration")[1].pos) == ("inc.xml", 2)
    notes = [p.message for _, p in doc.problems if p.note]
    assert any("drops the whole line" in m for m in notes)
    assert any("$${hidden} is not defined" in m for m in notes)


def test_variables_expand_per_line_with_freeswitch_quirks(tmp_path):
    doc = _doc(tmp_path, {"freeswitch.xml": """<document>
<X-PRE-PROCESS cmd="set" data="name  =  value with spaces  "/>
<X-PRE-PROCESS cmd="SET" data="chan=${channel_var}"/>
<X-PRE-PROCESS cmd="set" data="nest=$${name}"/>
<X-PRE-PROCESS cmd="set" data="noeq"/>
<p a="$${NAME}" b="$${chan}" c="$${nest}" d="$${noeq}" e="$${a{b}c}" f="$${unterminated" g="$${ name }"/>
<X-PRE-PROCESS cmd="set" data="late=1"/>
</document>
"""})
    p = _elements(doc, "p")[0]
    assert p.get("a") == "value with spaces  "  # the name's spaces trimmed, the value's trailing ones kept
    assert p.get("b") == "%{channel_var}"        # switch_string_var_check: ${ becomes %{ in a stored value
    assert p.get("c") == "value with spaces  "
    assert p.get("d") == "" and p.get("e") == "" and p.get("g") == ""  # the name is all between the braces
    assert p.get("f") == "$${unterminated"


def test_includes_are_relative_to_the_including_file_and_globbed_in_order(tmp_path):
    doc = _doc(tmp_path, {
        "freeswitch.xml": '<document>\n<section name="configuration">\n'
                          '<X-PRE-PROCESS cmd="include" data="autoload_configs/*.xml"/>\n</section>\n</document>\n',
        "autoload_configs/sofia.conf.xml": '<configuration name="sofia.conf"><profiles>\n'
                                           '<X-PRE-PROCESS cmd="include" data="../sip_profiles/*.xml"/>\n'
                                           '</profiles></configuration>\n',
        "autoload_configs/a.conf.xml": '<configuration name="a.conf"/>\n',
        "autoload_configs/.hidden.xml": '<configuration name="hidden.conf"/>\n',
        "sip_profiles/b.xml": '<profile name="b"/>\n', "sip_profiles/a.xml": '<profile name="a"/>\n',
    })
    assert [e.get("name") for e in _elements(doc, "configuration")] == ["a.conf", "sofia.conf"]
    assert [e.get("name") for e in _elements(doc, "profile")] == ["a", "b"]
    assert doc.files == ["freeswitch.xml", "autoload_configs/a.conf.xml", "autoload_configs/sofia.conf.xml",
                         "sip_profiles/a.xml", "sip_profiles/b.xml"]


def test_switch_xml_is_lenient_where_freeswitch_is(tmp_path):
    """switch_xml accepts what an XML library refuses: '<' in values, bare '&', unquoted attributes,
    repeated attributes (the first counts); it decodes the five entities and character references."""
    doc = _doc(tmp_path, {"freeswitch.xml": '<document>\n'
                          '<p name="x" value="a<b>&c&amp;&#65;&#x42;&nope;\tz" value="second" q=unquoted r = "s"/>\n'
                          "<p name='sq' value='it\"s'/>\n</document>\n"})
    assert doc.fatal is None
    p, sq = _elements(doc, "p")
    assert p.get("value") == "a<b>&c&AB&nope; z"
    assert p.get("q") == "" and p.get("r") == "s"
    assert sq.get("value") == 'it"s'


@pytest.mark.parametrize("text,why", [
    ("<document><section></document>", "unexpected closing tag"),
    ("<document><p a=\"1/></document>", "closing quote"),
    ("<document></document><section/>", "after the end of the root element"),
    ("<document><!-- a -- b --></document>", "comment"),
    ("<document>", "never closed"),
    ("  ", "no root element"),
    ("<document>< p/></document>", "starts no tag"),
])
def test_what_freeswitch_refuses_is_fatal_for_every_part(tmp_path, text, why):
    facts = build_freeswitch_facts(write_tree(tmp_path, {"freeswitch.xml": text + "\n"}))
    for part in (*PARTS, ROOT):
        state, reason = facts.source_state(part)
        assert state == "error" and why in reason and reason.startswith("freeswitch.xml:"), (part, reason)


def test_sections_and_configurations_are_found_like_switch_xml_locate(tmp_path, run):
    """The first <section> of a name, its first <configuration> of a name (names case-insensitive);
    a <configuration> outside a section is never read: a gap, not a silent skip."""
    facts = build_freeswitch_facts(write_tree(tmp_path, {"freeswitch.xml": """<document type="freeswitch/xml">
<configuration name="event_socket.conf"><settings><param name="listen-ip" value="0.0.0.0"/></settings></configuration>
<section name="Configuration">
  <configuration name="EVENT_SOCKET.conf"><settings><param name="listen-ip" value="127.0.0.1"/></settings></configuration>
  <configuration name="event_socket.conf"><settings><param name="listen-ip" value="10.0.0.1"/></settings></configuration>
</section>
<section name="configuration">
  <configuration name="voicemail.conf"><profiles><profile name="default"/></profiles></configuration>
</section>
</document>
"""}))
    assert [o.get("listen-ip") for o in facts.of_kind("event_socket.settings")] == ["127.0.0.1"]
    assert facts.of_kind("voicemail.profile") == []  # the second configuration section is never looked at
    esl = facts.configs["event_socket.conf.xml"]
    assert any(p.is_gap and p.line == 2 and "never reads it there" in p.message for p in esl.problems)
    assert any(p.line == 5 and "uses only the first" in p.message for p in esl.problems)
    assert any("reads only the first" in p.message for p in facts.configs[ROOT].problems)
    assert facts.resource_errors("event_socket.conf.xml")
    assert run("FS-ESL-101", facts) == {"event_socket": "PASS"}


def test_directory_users_found_as_freeswitch_looks_them_up(tmp_path):
    facts = build_freeswitch_facts(write_tree(tmp_path, {"freeswitch.xml": """<document>
<section name="directory">
  <domain name="a.example">
    <params><param name="vm-password" value="9182736"/></params>
    <groups>
      <group name="g"><params><param name="vm-attach-file" value="false"/></params>
        <users><user id="1"/><user id="1"/><user id="2" type="pointer"/></users></group>
      <group name="h"><users><user id="3"><params><param name="vm-password" value="5647382"/></params></user></users></group>
    </groups>
    <users><user id="4"/></users>
  </domain>
  <domain name="A.EXAMPLE"><users><user id="5"/></users></domain>
  <domain name="b.example"><user id="6"/></domain>
  <user id="7"/>
</section>
</document>
"""}))
    users = {u.name: u for u in facts.of_kind("directory.user")}
    assert set(users) == {"1", "3", "6"}  # pointer skipped; <users> ignored when <groups> exist; dup domain
    assert users["1"].get("vm-attach-file") == "false" and users["3"].get("vm-attach-file") is None
    assert users["1"].secrets["vm-password"].length == 7  # the domain's, inherited
    msgs = [p.message for p in facts.configs["directory"].problems]
    assert any("second user '1'" in m for m in msgs) and any("second domain" in m for m in msgs)
    assert any("never found by FreeSWITCH" in m for m in msgs)
    assert any("<user> directly in <section>" in m and "never reads it" in m for m in msgs)


def test_unread_configurations_are_gaps_when_they_matter(tmp_path):
    files = {"freeswitch.xml": """<document>
<section name="configuration">
  <configuration name="modules.conf"><modules><load module="mod_sofia"/><load module="mod_verto"/></modules></configuration>
  <configuration name="verto.conf"><settings/></configuration>
  <configuration name="erlang_event.conf"><settings/></configuration>
  <configuration name="conference.conf"/>
  <configuration name="callcenter.conf"/>
</section>
</document>
"""}
    facts = build_freeswitch_facts(write_tree(tmp_path, files))
    sofia = facts.configs["sofia"].problems
    assert any(p.is_gap and "verto.conf" in p.message for p in sofia)   # loaded: another endpoint, not read
    root = " ".join(p.message for p in facts.configs[ROOT].problems if p.note)
    assert "erlang_event.conf" in root and "conference.conf" in root     # not loaded / irrelevant: notes
    assert "callcenter.conf" not in root and facts.configs["databases"].found  # read: its odbc-dsn (none here)
    assert not facts.configs["event_socket.conf.xml"].problems


def test_configuration_served_at_run_time_is_a_gap(tmp_path):
    """FusionPBX serves sofia.conf and the directory from its database through mod_lua's xml-handler:
    the static XML may not be what FreeSWITCH uses."""
    facts = build_freeswitch_facts(write_tree(tmp_path, {"freeswitch.xml": """<document>
<section name="configuration">
  <configuration name="lua.conf"><settings>
    <param name="xml-handler-script" value="app.lua xml_handler"/>
    <param name="xml-handler-bindings" value="configuration,dialplan,directory"/>
  </settings></configuration>
  <configuration name="xml_curl.conf"><bindings><binding name="b">
    <param name="gateway-url" value="http://x/" bindings="directory"/></binding></bindings></configuration>
</section>
</document>
"""}))
    assert facts.flavor == "fusionpbx"
    for part in ("sofia", "directory", "voicemail.conf.xml"):
        assert any(p.is_gap and "at run time" in p.message for p in facts.configs[part].problems), part
    assert sum("mod_xml_curl" in p.message for p in facts.configs["directory"].problems) == 1


def test_exec_and_runtime_values_are_never_judged(tmp_path, run):
    """exec/exec-set are never run (gaps); a password from exec-set, env-set or a template placeholder
    is ERROR, never PASS; a core variable in a listen address is the host's address."""
    facts = build_freeswitch_facts(write_tree(tmp_path, {"freeswitch.xml": """<document>
<X-PRE-PROCESS cmd="exec-set" data="secret=cat /etc/shadow"/>
<X-PRE-PROCESS cmd="env-set" data="esl=$ESL_PASSWORD"/>
<section name="configuration">
  <X-PRE-PROCESS cmd="exec" data="/usr/local/bin/gen-config"/>
  <configuration name="event_socket.conf"><settings>
    <param name="listen-ip" value="$${local_ip_v4}"/><param name="password" value="$${esl}"/></settings></configuration>
</section>
<section name="directory"><domain name="d"><users>
  <user id="1"><params><param name="password" value="$${secret}"/><param name="vm-password" value="${VM}"/></params></user>
  <user id="2"><params><param name="password" value="Zq8Lw2Xv9Rt4Nm7Kc1Pb"/></params></user>
</users></domain></section>
</document>
"""}))
    assert facts.unresolved_variables == ["esl", "local_ip_v4", "secret"]
    gaps = [p for p in problems(facts) if p.is_gap]
    assert {p.line for p in gaps} >= {2, 5}
    assert run("FS-ACC-103", facts) == {"user 1": "ERROR", "user 2": "PASS"}
    assert run("FS-VM-101", facts)["user 1"] == "ERROR"
    assert run("FS-ESL-102", facts) == {"event socket event_socket.conf.xml": "ERROR"}
    assert run("FS-ESL-101", facts) == {"event_socket": "FAIL"}  # $${local_ip_v4} is never loopback
    assert "secret" not in facts.named("directory.user", "1").secrets


# -- problems, never exceptions, never a value ----------------------------------------------------

def test_includes_that_leave_the_tree_are_refused_without_reading(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.xml").write_text(f'<configuration name="event_socket.conf"><settings>'
                                      f'<param name="password" value="{CANARY}"/></settings></configuration>\n')
    conf = write_tree(tmp_path / "conf", {
        "freeswitch.xml": f"""<document>
<section name="configuration">
  <configuration name="sofia.conf"><profiles>
    <X-PRE-PROCESS cmd="include" data="../outside/leak.xml"/>
  </profiles></configuration>
  <X-PRE-PROCESS cmd="include" data="{outside}/*.xml"/>
  <X-PRE-PROCESS cmd="include" data="linked/*.xml"/>
  <X-PRE-PROCESS cmd="include" data="link.xml"/>
</section>
</document>
"""})
    (conf / "linked").symlink_to(outside, target_is_directory=True)
    (conf / "link.xml").symlink_to(outside / "leak.xml")
    facts = build_freeswitch_facts(conf)
    refused = [p for p in problems(facts, fatal=True) if "leaves the configuration directory" in p.message]
    assert {p.line for p in refused} == {4, 6, 7, 8}
    assert facts.source_state("sofia")[0] == "error"
    assert CANARY not in msgspec.json.encode(facts).decode()
    assert facts.of_kind("event_socket.settings") == []


def test_odd_files_are_problems(tmp_path):
    conf = write_tree(tmp_path / "conf", {
        "freeswitch.xml": """<document>
<section name="configuration">
  <X-PRE-PROCESS cmd="include" data="autoload_configs/*.xml"/>
  <configuration name="sofia.conf"><profiles>
    <X-PRE-PROCESS cmd="include" data="binary.xml"/>
  </profiles></configuration>
  <configuration name="acl.conf">
    <X-PRE-PROCESS cmd="include" data="loop.xml"/>
  </configuration>
</section>
</document>
""", "autoload_configs/ok.conf.xml": '<configuration name="modules.conf"><modules/></configuration>\n',
        "loop.xml": '<X-PRE-PROCESS cmd="include" data="loop.xml"/>\n'})
    (conf / "autoload_configs" / "dir.xml").mkdir()
    os.mkfifo(conf / "autoload_configs" / "fifo.xml")
    (conf / "autoload_configs" / "self.xml").symlink_to("self.xml")
    (conf / "binary.xml").write_bytes(b"<profile name='x'/>\x00\x01")
    facts = build_freeswitch_facts(conf)
    msgs = {p.message.split(":")[0].split(";")[0]: p for p in problems(facts)}
    assert msgs["a directory"].note
    assert msgs["not a regular file (FIFO, socket or device)"].is_gap
    assert msgs["cannot read file"].is_gap and "loop" in msgs["cannot read file"].message
    binary = next(p for p in problems(facts) if p.message.startswith("file is binary"))
    assert not any("not included" in p.message for p in problems(facts))  # matched files are reported above
    assert binary.fatal and facts.source_state("sofia")[0] == "error"
    assert "include loop" in facts.source_state("acl.conf.xml")[1]
    assert facts.source_state("modules.conf.xml")[0] == "ok"  # each refusal stays in its own part


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_include_is_a_gap(tmp_path):
    conf = write_tree(tmp_path / "conf", {
        "freeswitch.xml": '<document>\n<section name="directory">\n<X-PRE-PROCESS cmd="include" data="d.xml"/>\n'
                          '</section>\n</document>\n', "d.xml": "<domain name='x'/>\n"})
    (conf / "d.xml").chmod(0)
    facts = build_freeswitch_facts(conf)
    assert any(p.is_gap and "cannot read file" in p.message for p in facts.configs["directory"].problems)


# The canary sits where values sit (secrets, a variable's value, directive data, an unknown command, an
# element or attribute no one knows): file, key, section and configuration names may be shown, values never.
HOSTILE_FILES = {
    "freeswitch.xml": f"""<document type="freeswitch/xml">
<X-PRE-PROCESS cmd="set" data="pw={CANARY}"/>
<X-PRE-PROCESS cmd="{CANARY}" data="{CANARY}"/>
<X-PRE-PROCESS cmd="include" data="$${{pw}}*.xml"/>
<X-PRE-PROCESS cmd="include" data="/$${{pw}}/x.xml"/>
<X-PRE-PROCESS cmd="exec-set" data="x={CANARY}"/>
<!--#{CANARY} {CANARY}-->
<section name="configuration">
  <configuration name="event_socket.conf"><settings><param name="password" value="$${{pw}}"/></settings></configuration>
  <{CANARY} {CANARY}="{CANARY}"/>
  <X-PRE-PROCESS cmd="exec" data="echo {CANARY}"/>
</section>
<section name="directory"><domain name="d"><users>
  <user id="u"><params><param name="password" value="{CANARY}"/><param name="vm-password" value="{CANARY}"/></params></user>
</users></domain><{CANARY}/></section>
</document>
""",
}


def test_no_value_in_any_message(tmp_path, registry):
    from tests.test_no_secret_in_errors import assert_no_canary

    record = collect(TargetSpec(name="t", platform="freeswitch", config_dir=write_tree(tmp_path / "a", HOSTILE_FILES)))
    assert problems(record.facts)
    assert_no_canary(record, registry, "freeswitch")
    for broken in (f'<document><{CANARY}></document>\n', f'<document><p a="{CANARY}></document>\n',
                   f'<document></{CANARY}></document>\n', f'<document><p {CANARY}="1"/></{CANARY}x>\n'):
        record = collect(TargetSpec(name="t", platform="freeswitch",
                                    config_dir=write_tree(tmp_path / str(len(broken)), {"freeswitch.xml": broken})))
        assert record.facts.source_state("sofia")[0] == "error"
        assert_no_canary(record, registry, "freeswitch (broken XML)")
    assert all(CANARY not in w for w in parse_warnings([record]))


# -- hostile input: bounded, linear ---------------------------------------------------------------

HEAD = ('<document type="freeswitch/xml"><section name="configuration"><configuration name="sofia.conf">'
        '<profiles><profile name="p"><settings>')
TAIL = "</settings></profile></profiles></configuration></section></document>\n"
MB = 1024 * 1024
LOL = ('<!DOCTYPE lolz [<!ENTITY lol "lol">' + "".join(
    f'<!ENTITY lol{i} "' + f"&lol{i - 1 if i > 1 else ''};" * 10 + '">' for i in range(1, 10)) + "]>")
HOSTILE = {
    "entity bomb": LOL + HEAD + '<param name="password" value="&lol9;"/>' + TAIL,
    "external entity": '<!DOCTYPE x [<!ENTITY s SYSTEM "file:///etc/passwd">]>' + HEAD
                       + '<param name="password" value="&s;"/>' + TAIL,
    "200k-deep nesting": HEAD + "<a>" * 200_000 + "</a>" * 200_000 + TAIL,
    "2 MB attribute": HEAD + '<param name="password" value="' + "a&amp;" * (2 * MB // 6) + '"/>' + TAIL,
    "2 MB single line of params": HEAD + '<param name="x" value="y"/>' * (2 * MB // 28) + TAIL,
    "doubling variables": '<X-PRE-PROCESS cmd="set" data="a=xx"/>\n'
                          + '<X-PRE-PROCESS cmd="set" data="a=$${a}$${a}$${a}$${a}"/>\n' * 40 + HEAD + TAIL,
    "300k unterminated $${": HEAD + "$${" * 300_000 + "\n" + TAIL,
    "300k nested braces": HEAD + "$${" + "{" * 300_000 + "}" * 300_000 + "\n" + TAIL,
    "300k $${{ before one }": HEAD + "$${{" * 300_000 + "}\n" + TAIL,
    "60k lines expanding a variable": '<X-PRE-PROCESS cmd="set" data="v=1"/>\n' + HEAD + "\n"
                                      + '<param name="a" value="$${v}"/>\n' * 60_000 + TAIL,
    "150k directive lines": '<X-PRE-PROCESS cmd="set" data="v=1"/>\n' * 150_000 + HEAD + TAIL,
    "50k <!--# lines": "<!--#comment\n" + "x\n" * 50_000 + "-->\n" + HEAD + TAIL,
    "300k attributes on one tag": HEAD + "<param " + 'a="1" ' * 300_000 + "/>" + TAIL,
    "300k unquoted attributes": HEAD + "<param " + "a=1 " * 300_000 + "/>" + TAIL,
    "2 MB of '<'": HEAD + "<" * (2 * MB) + TAIL,
    "2 MB of '&'": HEAD + '<param name="a" value="' + "&#" * MB + '"/>' + TAIL,
}


def _timed(fn) -> float:
    gc.collect()
    gc.disable()  # as the runner does while facts are built
    try:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    finally:
        gc.enable()


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input_in_bounded_time(tmp_path, name):
    conf = write_tree(tmp_path, {"freeswitch.xml": HOSTILE[name]})
    result = {}
    elapsed = _timed(lambda: result.setdefault("facts", build_freeswitch_facts(conf)))
    facts = result["facts"]
    msgspec.json.encode(facts).decode()
    assert elapsed < PER_INPUT_S, f"{name}: {elapsed:.2f}s"
    if name in ("entity bomb", "external entity"):
        assert any("DOCTYPE" in p.message and p.is_gap for p in problems(facts))
        assert "lollol" not in msgspec.json.encode(facts).decode() and "root:" not in msgspec.json.encode(facts).decode()
    if name == "200k-deep nesting":
        assert "nested more than" in facts.source_state("sofia")[1]
    if name == "doubling variables":
        assert "expansion produces more than" in facts.source_state("sofia")[1]


def test_12_mb_single_line_is_linear(tmp_path):
    """The same single-line document at 1.2 MB and 12 MB: ten times the input, about ten times the time."""
    def make(size: int):
        conf = write_tree(tmp_path / str(size), {"freeswitch.xml": HEAD + '<param name="x" value="y"/>'
                                                 * (size // 28) + TAIL})
        return lambda: build_freeswitch_facts(conf)
    small, large = make(12 * MB // 10), make(12 * MB)
    t1 = min(_timed(small) for _ in range(2))
    t10 = _timed(large)
    assert t10 < 15 * max(t1, 0.05), f"{t1:.2f}s -> {t10:.2f}s"


def test_time_grows_linearly_with_the_tree(tmp_path, corpus):
    """The vanilla corpus with its directory copied 2x and 8x over: about 4x the time, far from 16x."""
    def make(copies: int):
        conf = stage_vanilla(corpus, tmp_path / f"c{copies}" / "conf")
        user = (conf / "directory" / "default" / "1000.xml").read_text()
        for i in range(copies * 200):
            (conf / "directory" / "default" / f"u{i}.xml").write_text(user.replace('id="1000"', f'id="u{i}"'))
        return lambda: build_freeswitch_facts(conf)
    small, large = make(2), make(8)
    _timed(small)
    t1 = min(_timed(small) for _ in range(2))
    t4 = min(_timed(large) for _ in range(2))
    assert t4 < t1 * 4 * 2.5 + 0.05, f"{t1:.3f}s -> {t4:.3f}s"


# -- fuzz -----------------------------------------------------------------------------------------

JUNK = ["<", ">", "/>", "</", "<!--", "-->", "<!--#", "<!--#include \"x.xml\"-->", "<include>", "</include>", "<?",
        '"', "'", "=", "&", "&amp;", "&#", "&lol;", "$${", "$${x}", "}", "{", "<X-PRE-PROCESS cmd=\"set\" data=\"x=1\"/>",
        '<X-PRE-PROCESS cmd="include" data="../*"/>', '<X-PRE-PROCESS cmd="include" data="*.xml"/>',
        '<X-PRE-PROCESS cmd="exec" data="rm -rf /"/>', "<section name=\"configuration\">", "</section>",
        "<configuration name=\"sofia.conf\">", "</configuration>", "<!DOCTYPE x [", "]>", "\x00", "\ufffd", "\r",
        "a" * 3000, " " * 2000]


def fuzz_trees(rng: random.Random) -> list[dict[str, str]]:
    corpus = corpus_dir() / "freeswitch"
    vanilla = {}
    from tests.checks.test_freeswitch import LAYOUT
    for f in sorted(corpus.iterdir()):
        rel = LAYOUT.get(f.name) or (f"autoload_configs/{f.name.removeprefix('autoload_configs_')}"
                                     if f.name.startswith("autoload_configs_") else None)
        if rel:
            vanilla[rel] = f.read_text(errors="replace")
    trees = [vanilla]
    for fixture in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        trees.append({str(p.relative_to(fixture)): p.read_text(errors="replace")
                      for p in sorted(fixture.rglob("*.xml"))})
    return trees


def test_fuzzed_real_trees_never_raise(tmp_path, registry):
    """Seeded random mutations of the corpus tree and every fixture tree: no exception, each tree read
    in well under 2 s, facts serialisable, every check runs or is blocked by an ERROR."""
    from voxaudit.check import CheckContext

    rng = random.Random(20261124)
    checks = [c for c in registry.all() if c.id.startswith("FS-")]
    for round_no in range(6):
        for t, files in enumerate(fuzz_trees(rng)):
            mutated = {name: (mangle(text, rng, JUNK) if rng.random() < 0.6 and text.strip() else text)
                       for name, text in files.items()}
            root = tmp_path / f"r{round_no}-{t}"
            for name, text in mutated.items():
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_bytes(text.encode("utf-8", "surrogatepass"))
            start = time.perf_counter()
            facts = collect_freeswitch_tree(root)
            facts.flag_unread_roots()
            msgspec.json.encode(facts).decode()
            assert time.perf_counter() - start < PER_INPUT_S, (round_no, t)
            for chk in checks:
                if all(facts.source_state(s)[0] not in ("error", "not_collected") for s in chk.meta.sources):
                    chk(facts, CheckContext(chk.defaults()))
            shutil.rmtree(root)


TOKENS = ["<document>", "</document>", '<section name="configuration">', '<section name="directory">', "</section>",
          '<configuration name="sofia.conf">', '<configuration name="event_socket.conf">', "</configuration>",
          "<profiles>", "</profiles>", '<profile name="p">', "</profile>", "<settings>", "</settings>",
          '<param name="tls" value="true"/>', '<param name="password" value="$${pw}"/>', '<domain name="d">',
          "</domain>", '<user id="1"/>', "<users>", "</users>", '<X-PRE-PROCESS cmd="set" data="pw=x"/>',
          '<X-PRE-PROCESS cmd="include" data="freeswitch.xml"/>', "<!--#comment", "<!--", "-->", "<include>",
          "\n", "\r\n", " ", "<", ">", '"', "'", "&", "$${", "}", "=", "/", "<?x?>", "<![CDATA[", "]]>", "é"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(TOKENS), max_size=300))
def test_arbitrary_documents_never_raise(tmp_path_factory, parts):
    text = "".join(parts)
    conf = tmp_path_factory.mktemp("h")
    (conf / "freeswitch.xml").write_text(text)
    start = time.perf_counter()
    facts = build_freeswitch_facts(conf)
    msgspec.json.encode(facts).decode()
    assert time.perf_counter() - start < 0.5 + len(text) * 1e-4
    for part in PARTS:
        assert facts.source_state(part)[0] in ("ok", "missing", "error")


# -- locating the tree ----------------------------------------------------------------------------

def test_locate_by_freeswitch_xml_layout_or_content(tmp_path):
    snap = write_tree(tmp_path / "snap", {"etc/freeswitch/freeswitch.xml": "<document/>\n"})
    assert locate_freeswitch_conf(snap) == (snap / "etc" / "freeswitch", "freeswitch.xml")
    assert locate_freeswitch_conf(snap / "etc" / "freeswitch" / "freeswitch.xml") == \
        (snap / "etc" / "freeswitch", "freeswitch.xml")
    vanilla = write_tree(tmp_path / "vanilla", {"conf/autoload_configs/acl.conf.xml": "<configuration/>\n"})
    assert locate_freeswitch_conf(vanilla) == (vanilla / "conf", None)
    named = write_tree(tmp_path / "named", {"fs-docker.xml": '<?xml version="1.0"?>\n<document type="freeswitch/xml">'
                                            '<section name="directory"/></document>\n', "other.xml": "<x/>\n"})
    assert locate_freeswitch_conf(named) == (named, "fs-docker.xml")
    facts = collect_freeswitch_tree(named)
    assert facts.configs["directory"].found and facts.configs[ROOT].files == ["fs-docker.xml"]
    loose = write_tree(tmp_path / "loose", {"sofia.conf.xml": '<configuration name="sofia.conf"><profiles>'
                                            '<profile name="p"/></profiles></configuration>\n'})
    assert locate_freeswitch_conf(loose) == (loose, None)
    facts = collect_freeswitch_tree(loose)  # read as the packaged root would, which includes nothing here
    assert any(p.is_gap and "sofia.conf.xml" in p.message for p in facts.configs[ROOT].problems)
    assert facts.resource_errors("sofia")
    nothing = write_tree(tmp_path / "nothing", {"readme.txt": "x\n", "a.xml": "<x/>\n"})
    with pytest.raises(CollectionError, match="no FreeSWITCH configuration"):
        collect_freeswitch_tree(nothing)


def test_content_lines_per_root(tmp_path, corpus):
    facts = collect_freeswitch_tree(stage_vanilla(corpus, tmp_path / "conf"))
    for name in (ROOT, "sofia", "directory", "voicemail.conf.xml"):
        assert facts.configs[name].content_lines > 0, name
    empty = build_freeswitch_facts(write_tree(tmp_path / "e", {"freeswitch.xml": "<document>\n<junk>\n<x/>\n"
                                                              "</junk>\n</document>\n"}))
    empty.flag_unread_roots()
    assert empty.configs[ROOT].content_lines == 3
    assert any(p.is_gap for p in empty.configs[ROOT].problems)


def test_thousands_of_problems_are_counted_not_listed(tmp_path):
    """10,000 refused includes inside sofia.conf: 50 listed, the rest counted, sofia still ERROR and the
    other parts untouched; 10,000 unknown commands at the top: notes, counted."""
    refused = '<X-PRE-PROCESS cmd="include" data="/etc/passwd"/>\n' * 10_000
    unknown = '<X-PRE-PROCESS cmd="nope" data="x"/>\n' * 10_000
    facts = build_freeswitch_facts(write_tree(tmp_path, {"freeswitch.xml": f"""<document>
{unknown}<section name="configuration">
<configuration name="sofia.conf"><profiles>
{refused}</profiles></configuration>
<configuration name="modules.conf"><modules><load module="mod_sofia"/></modules></configuration>
</section>
</document>
"""}))
    sofia = facts.configs["sofia"].problems
    assert len(sofia) == freeswitch_xml.MAX_PROBLEMS_PER_FILE + 1
    assert sofia[-1].fatal and sofia[-1].message.startswith("9950 more problems")
    assert facts.source_state("modules.conf.xml")[0] == "ok"
    root = facts.configs[ROOT].problems
    assert any(p.note and p.message.startswith("9950 more notes") for p in root)
    assert len(root) < 60


def test_a_file_whose_elements_land_nowhere_is_a_gap(tmp_path, corpus):
    """A file included where its elements are never looked at (a gateway dropped in sip_profiles/, so
    directly under <profiles>) yields nothing: said, not silently empty."""
    conf = stage_vanilla(corpus, tmp_path / "conf")
    (conf / "autoload_configs" / "sofia.conf.xml").write_text(
        '<configuration name="sofia.conf"><profiles>\n<X-PRE-PROCESS cmd="include" data="../sip_profiles/*.xml"/>\n'
        "</profiles></configuration>\n")
    (conf / "sip_profiles" / "zz-carrier.xml").write_text(
        '<include>\n  <gateway name="carrier">\n    <param name="password" value="x"/>\n  </gateway>\n</include>\n')
    facts = collect_freeswitch_tree(conf)
    gaps = [p for p in facts.configs["sofia"].problems if p.is_gap]
    assert [(p.file, p.line) for p in gaps] == [("sip_profiles/zz-carrier.xml", 2)]
    assert facts.named("sofia.gateway", "carrier") is None
    assert facts.resource_errors("sofia")


def test_a_directory_of_thousands_of_user_files_is_read(tmp_path):
    """FreeSWITCH reads directory/default/*.xml however many users a site has (switch_xml.c has no such bound):
    2,500 user files were refused as 'more than 2000 paths', making every directory control ERROR."""
    from voxaudit.collectors.offline import collect_freeswitch_tree

    conf = tmp_path / "conf"
    (conf / "directory" / "default").mkdir(parents=True)
    (conf / "freeswitch.xml").write_text('<?xml version="1.0"?>\n<document type="freeswitch/xml">\n'
                                         '  <section name="directory">\n'
                                         '    <X-PRE-PROCESS cmd="include" data="directory/*.xml"/>\n'
                                         '  </section>\n</document>\n')
    (conf / "directory" / "default.xml").write_text(
        '<include>\n  <domain name="clinic.example">\n    <groups><group name="default"><users>\n'
        '      <X-PRE-PROCESS cmd="include" data="default/*.xml"/>\n'
        '    </users></group></groups>\n  </domain>\n</include>\n')
    for i in range(2500):
        (conf / "directory" / "default" / f"{10000 + i}.xml").write_text(
            f'<include>\n  <user id="{10000 + i}"><params><param name="password" value="Pw{i * 7919:x}Zq-long"/>'
            "</params></user>\n</include>\n")  # <include> on its own line, as the preprocessor wants it
    facts = collect_freeswitch_tree(conf)
    assert len(facts.of_kind("directory.user")) == 2500
    assert not [p for cf in facts.configs.values() for p in cf.problems if p.fatal]
