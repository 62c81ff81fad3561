"""Kamailio/OpenSIPS misses found on real trees (tests/real_trees/dsiprouter-kamailio,
webrtc-opensips-tls), one focused test per class, each able to fail on the reader as it was."""
from __future__ import annotations

import random
import time
from pathlib import Path

import msgspec
import pytest

from tests.conftest import statuses, write_tree
from tests.test_reader_fuzz import JUNK, PER_INPUT_S, assert_linear, mangle, write
from voxaudit.collectors.offline import collect_kamailio_tree, collect_opensips_tree
from voxaudit.facts.kamailio import build_kamailio_facts
from voxaudit.model import Status
from voxaudit.parsers.kamailio_cfg import parse_kamailio

FAIL, PASS = Status.FAIL, Status.PASS
CANARY = "Zq7-canary-Wx9-long-token"


def test_pvar_with_parentheses_is_one_token(tmp_path):
    """cfg.lex PVAR_P: ``$(...)`` and ``$name(...)`` run to the matching parenthesis; a '#', '//', quote or
    ';' inside (dSIPRouter's ``{re.subst,/(\\+|\\*|\\#)/\\\\\\1/g}``) is not a comment, string or end of
    statement. The reader once took the '#' for a comment and stopped at "'(' never closed"."""
    root = write_tree(tmp_path, {"kamailio.cfg": r'''loadmodule "auth.so"
request_route {
    $var(regex) = $(shtitkey(iter){s.select,0,-}{re.subst,/(\+|\*|\#)/\\\1/g}) + "([0-9])*-" +
        $(var(x){s.select,1,;}) + $hdr(X-Odd"Quote);
    $var(y) = $(ru{re.subst,/sip:(.*)//}) ;
    if (!auth_check("$fd", "subscriber", "1")) { auth_challenge("$fd", "0"); exit; }
}
debug=2
'''})
    cfg = parse_kamailio(root)
    assert cfg.fatal is None and not [p for p in cfg.problems if not p.note], cfg.problems
    calls = {(i.name, i.route) for i in cfg.items if i.kind == "call"}
    assert {("auth_check", "request_route"), ("auth_challenge", "request_route")} <= calls
    assert ("global", "debug") in {(i.kind, i.name) for i in cfg.items}  # the block closed where it should


def test_pvar_open_at_end_of_line_takes_the_rest_of_it(tmp_path):
    root = write_tree(tmp_path, {"kamailio.cfg": 'request_route {\n  $var(a) = $(ru{s.select,0,# here\n}\ndebug=1\n'})
    cfg = parse_kamailio(root)
    assert ("global", "debug") in {(i.kind, i.name) for i in cfg.items}


def test_listen_with_an_empty_substdef_address_keeps_its_protocol(tmp_path, run):
    """An installer template (dSIPRouter) leaves ``#!substdef "!INTERNAL_IP_ADDR!!g"`` empty:
    ``listen = tls:INTERNAL_IP_ADDR:5061`` is a TLS listener, never the udp default (TLS switched on: without
    it Kamailio never opens the tls socket, tests/test_fs_kamailio_real_misses.py)."""
    root = write_tree(tmp_path, {"kamailio.cfg": '#!substdef "!IP!!g"\nlisten = tls:IP:5061\nlisten = udp:IP:5060\n'
                                                 'listen = TCP:127.0.0.1:5060\nenable_tls=yes\nloadmodule "tls.so"\n'})
    facts = collect_kamailio_tree(root)
    protos = {o.name: o.get("proto") for o in facts.of_kind("kamailio.listen")}
    assert protos == {"tls::5061": "tls", "udp::5060": "udp", "TCP:127.0.0.1:5060": "tcp"}
    result = run("KAM-TLS-101", facts)
    assert result["listen tls::5061"] == PASS and result["listen udp::5060"] == FAIL
    assert result["listen TCP:127.0.0.1:5060"] == PASS


def test_custom_cfg_variable_secret_is_judged_without_its_description(tmp_path, run):
    """``server.api_token = "admin" desc "..."`` (cfg.y cfg_var): the value is "admin", not the
    description; a secret-named value is judged as an account secret, and never shown."""
    root = write_tree(tmp_path, {"kamailio.cfg": 'server.api_token = "admin" desc "API Token for the API Server"\n'
                                                 f'server.other_secret = "{CANARY}" descr "a long one"\n'
                                                 'server.role = "edge" desc "not a secret"\n'})
    facts = collect_kamailio_tree(root)
    assert facts.named("kamailio.global", "server.role").get("value") == "edge"
    result = run("KAM-ACC-103", facts)
    assert result["secret server.api_token"] == FAIL
    assert result["secret server.other_secret"] == PASS
    assert CANARY not in msgspec.json.encode(facts).decode()


def test_htable_name_is_not_a_password_attribute(tmp_path, run):
    """``htable "pass_thru_auth=>size=8;..."``: ``name=>`` names the table; only ``name=value``
    attributes such as ndb_redis ``pass=`` are credentials."""
    root = write_tree(tmp_path, {"kamailio.cfg": 'loadmodule "htable.so"\nloadmodule "ndb_redis.so"\n'
                                                 'modparam("htable", "htable", "pass_thru_auth=>size=8;autoexpire=3600;")\n'
                                                 f'modparam("ndb_redis", "server", "name=srv;addr=127.0.0.1;pass={CANARY}")\n'})
    facts = collect_kamailio_tree(root)
    assert not facts.named("kamailio.modparam", "htable.htable").secrets
    assert facts.named("kamailio.modparam", "ndb_redis.server").secrets
    assert "secret htable.htable" not in run("KAM-ACC-103", facts)
    assert CANARY not in msgspec.json.encode(facts).decode()


def test_tls_mgm_domain_verifies_unless_told_not_to(tmp_path, run):
    """tls_mgm's verify_cert and require_cert default to 1 (unlike Kamailio's tls.cfg): the default
    client domain of a config that never sets them verifies the peer; "[dom]0" turns it off."""
    root = write_tree(tmp_path, {"opensips.cfg": 'socket=tls:10.0.0.1:5061\nloadmodule "proto_tls.so"\n'
                                                 'loadmodule "tls_mgm.so"\n'
                                                 'modparam("tls_mgm", "client_domain", "carrier")\n'
                                                 'modparam("tls_mgm", "verify_cert", "[carrier]0")\n'})
    facts = collect_opensips_tree(root)
    result = run("KAM-TLS-104", facts)
    assert result["tls [client:default]"] == PASS
    assert statuses(result, FAIL) == {"tls [client:carrier]"}


def test_ifexp_is_decided_from_the_file_like_pp_ifexp_eval(tmp_path):
    """``#!ifexp`` is decided from the file's own defines (pp_ifexp_eval over snexpr): dSIPRouter's
    ``#!ifexp INBOUND_NLB_FQDN != ""`` after an empty ``#!substdef`` is true (a define without value is
    the number 1, "" is NaN as a number). It was a gap claiming the block depends on the running host."""
    root = write_tree(tmp_path, {"kamailio.cfg": '#!substdef "!FQDN!!g"\n#!define ROLE "edge"\n'
                                                 '#!ifexp FQDN != ""\nalias="nlb"\n#!endif\n'
                                                 '#!ifexp ROLE == "core" || !defined_nowhere && ROLE != "edge"\n'
                                                 'debug=9\n#!else\ndebug=2\n#!endif\n'})
    cfg = parse_kamailio(root)
    assert not [p for p in cfg.problems if not p.note], cfg.problems
    items = {(i.kind, i.name): i.value for i in cfg.items}
    assert items[("global", "alias")] == "nlb" and items[("global", "debug")] == "2"


def test_ifexp_beyond_the_reader_is_a_gap_that_says_so(tmp_path):
    """Arithmetic, string truth in '&&', names Kamailio defines itself (KAMAILIO_5, MOD_tls): a gap
    naming the line, and the block is not taken; never a claim that the host decides it."""
    root = write_tree(tmp_path, {"kamailio.cfg": '#!define N 5\n#!ifexp N + 1 > 5\ndebug=9\n#!endif\n'
                                                 '#!ifexp KAMAILIO_5\ndebug=8\n#!endif\n'
                                                 '#!ifdef NOPE\n#!ifexp N * 2\n#!endif\n#!endif\ndebug=2\n'})
    cfg = parse_kamailio(root)
    gaps = [p for p in cfg.problems if not p.fatal and not p.note]
    assert [g.line for g in gaps] == [2, 5]  # none for the #!ifexp inside a skipped block
    assert all("does not evaluate" in g.message and "running host" not in g.message for g in gaps)
    assert [i.value for i in cfg.items if i.name == "debug"] == ["2"]


def test_opensips_script_variable_takes_what_its_lexer_takes(tmp_path):
    """OpenSIPS cfg.lex SCRIPTVARS: after '$' every character up to a blank, ';', ',' or operator (outside
    parentheses) is the variable, so Lineblocs' ``+ $si" + "&user=" ...`` does not open a string: the
    reader once ran to the end of the file "in a string" and lost the whole configuration."""
    root = write_tree(tmp_path, {"opensips.cfg": r'''loadmodule "auth.so"
route{
    $var(body) = "domain=" + $fd + "&ip=" + $si" + "&user=" + $fU;
    $var(x) = $(hdr(Via)[0]{via.transport}{s.tolower});
    if (!www_authorize("", "subscriber")) { www_challenge("", "auth"); exit; }
}
log_level=3
'''})
    cfg = parse_kamailio(root, "opensips.cfg")
    assert cfg.fatal is None and not [p for p in cfg.problems if not p.note], cfg.problems
    assert {"www_authorize", "www_challenge"} <= {i.name for i in cfg.items if i.kind == "call"}
    assert ("global", "log_level") in {(i.kind, i.name) for i in cfg.items}


def test_opensips_auto_scaling_profile_lines_are_understood(tmp_path):
    root = write_tree(tmp_path, {"opensips.cfg": "auto_scaling_profile = PROFILE_UDP\n"
                                                 "     scale up to 6 on 70% for 4 cycles within 5\n"
                                                 "     scale down to 2 on 18% for 10 cycles\n"
                                                 "udp_workers=4 use_auto_scaling_profile PROFILE_UDP\n"
                                                 "scale up to 3 on 10% for 1 cycles\n"})
    cfg = parse_kamailio(root, "opensips.cfg")
    gaps = [p for p in cfg.problems if not p.note]
    assert [g.line for g in gaps] == [5]  # only the one not following an auto_scaling_profile


@pytest.mark.parametrize("root_name", ["kamailio.cfg", "opensips.cfg"])
def test_template_placeholders_are_read_around_and_said(tmp_path, run, root_name):
    """A Handlebars/Jinja template given as the configuration (Lineblocs' opensips.cfg.template, Ansible
    kamailio.cfg.j2): placeholders in values are words, inside strings as written; a placeholder that is a
    whole line and block tags are gaps naming them; a template password is a placeholder (never strong)."""
    root = write_tree(tmp_path, {root_name: "{{{udp_support}}}\n"
                                            "listen=udp:{{ public_ip }}:5060\n"
                                            "{% if tls %}\nlisten=tls:{{public_ip}}:5061\n{% endif %}\n"
                                            'modparam("auth_db", "db_url", "mysql://u:{{{db_pass}}}@db/k")\n'
                                            'modparam("usrloc", "db_url", "mysql://u:{{ pw | default(\'x\') }}@db/k")\n'})
    facts = (collect_opensips_tree if root_name == "opensips.cfg" else collect_kamailio_tree)(root)
    problems = [p for cf in facts.configs.values() for p in cf.problems if p.is_gap]
    assert [(p.line, "{{{udp_support}}}" in p.message) for p in problems if "placeholder" in p.message] == [(1, True)]
    assert sorted(p.line for p in problems if "block tag" in p.message) == [3, 5]
    assert {o.name for o in facts.of_kind("kamailio.listen")} == {"udp:TPL_public_ip:5060", "tls:TPL_public_ip:5061"}
    result = run("KAM-ACC-103", facts)
    assert set(result.values()) == {Status.ERROR}, result  # filled in at deployment: unknown, never PASS


def test_non_sip_sockets_are_not_sip_listeners(tmp_path, run):
    """``socket=hep_udp:127.0.0.1:9060`` (HEP tracing), bin, smpp, msrp: not SIP. They were read as a UDP
    SIP listener on the address "hep_udp"."""
    root = write_tree(tmp_path, {"opensips.cfg": "socket=hep_udp:10.0.0.5:9060\nsocket=bin:10.0.0.5:5566\n"
                                                 "socket=udp:127.0.0.1:5060\n"})
    result = run("KAM-TLS-101", collect_opensips_tree(root))
    assert result == {"listen udp:127.0.0.1:5060": PASS}


def test_opensips_wss_is_tls_on_tls_mgm_domains(tmp_path, run):
    """proto_wss (WebRTC over secure WebSocket) uses the tls_mgm domains like proto_tls: TLS is on, and
    the domains are judged (they were NOT_APPLICABLE, "TLS not enabled")."""
    root = write_tree(tmp_path, {"opensips.cfg": 'socket=wss:10.0.0.1:7443\nloadmodule "proto_wss.so"\n'
                                                 'loadmodule "tls_mgm.so"\n'
                                                 'modparam("tls_mgm", "server_domain", "web")\n'
                                                 'modparam("tls_mgm", "tls_method", "[web]TLSv1")\n'})
    facts = collect_opensips_tree(root)
    assert run("KAM-TLS-102", facts) == {"opensips.cfg": PASS}
    assert run("KAM-TLS-103", facts)["tls [server:web]"] == FAIL


def test_tls_module_parameters_make_the_default_profiles(tmp_path, run):
    """Without modparam("tls", "config") the tls module reads no file: its own parameters (tls_method,
    verify_certificate, cipher_list...) are the default server and client profiles. Such configs (common
    for Teams Direct Routing edges) had no profile at all: every TLS check NOT_APPLICABLE. A tls.cfg
    lying beside but not named is not read, and a note says so."""
    root = write_tree(tmp_path, {"kamailio.cfg": 'enable_tls=yes\nlisten=tls:10.0.0.1:5061\nloadmodule "tls.so"\n'
                                                 'modparam("tls", "tls_method", "TLSv1")\n'
                                                 'modparam("tls", "verify_certificate", 0)\n'
                                                 'modparam("tls", "cipher_list", "ECDHE+AESGCM")\n',
                                 "tls.cfg": "[server:default]\nmethod = TLSv1.3\n"})
    facts = collect_kamailio_tree(root)
    profiles = {p.name: (p.get("method"), p.get("verify_certificate"), p.location("method").line)
                for p in facts.of_kind("tls.profile")}
    assert profiles == {"server:default": ("TLSv1", "no", 4), "client:default": ("TLSv1", "no", 4)}
    assert statuses(run("KAM-TLS-103", facts), FAIL) == {"tls [server:default]", "tls [client:default]"}
    assert run("KAM-TLS-104", facts) == {"tls [client:default]": FAIL}
    notes = [p for p in facts.configs["tls.cfg"].problems if p.note]
    assert len(notes) == 1 and "does not read it" in notes[0].message


def test_a_tls_cfg_without_a_client_profile_still_has_the_default_one(tmp_path, run):
    """tls_fix_domains_cfg creates the default profiles a file lacks (built-in defaults: no verification),
    so outgoing TLS is judged even when the file has only [server:default]."""
    root = write_tree(tmp_path, {"kamailio.cfg": 'enable_tls=yes\nloadmodule "tls.so"\n'
                                                 'modparam("tls", "config", "/etc/kamailio/tls.cfg")\n'
                                                 'modparam("tls", "verify_certificate", 1)\n',
                                 "tls.cfg": "[server:default]\nmethod = TLSv1.2+\n"})
    facts = collect_kamailio_tree(root)
    assert run("KAM-TLS-104", facts) == {"tls [client:default]": FAIL}  # module params do not apply then
    assert run("KAM-TLS-103", facts) == {"tls [server:default]": PASS, "tls [client:default]": FAIL}


# -- the new paths stay linear and never raise (tests/test_reader_fuzz.py's measures) ------------

@pytest.mark.parametrize("shape", ["pvars", "open-pvar", "ifexp", "ifexp-nest", "scriptvars", "mustache"])
def test_new_lexer_paths_are_linear(tmp_path, shape):
    def make(n: int):
        text = {
            "pvars": "request_route {\n" + "".join(f'$var(a{i}) = $(ru{{re.subst,/(\\#{i})/x/g}}) + $hdr(X{i});\n'
                                                   for i in range(n)) + "}\n",
            "open-pvar": "request_route {\n" + "$(" * (50 * n) + "\n}\n",
            "ifexp": "".join(f'#!define D{i % 400} "v{i}"\n#!ifexp D{i % 400} == "v{i}" && !X || (Y != 3)\n'
                             f"x{i}=1\n#!endif\n" for i in range(n)),
            "ifexp-nest": "#!ifexp " + "(" * (30 * n) + "A" + ")" * (30 * n) + "\n#!endif\n" * 1,
            "scriptvars": "route{\n" + "".join(f'$var(a{i}) = $(hdr(V)[0]{{s.tolower}}) + $si" + "x";\n'
                                               for i in range(n)) + "$(" * (40 * n) + "\n}\n",
            "mustache": "".join(f'listen=udp:{{{{{{ip{i}}}}}}}:5060\n{{{{#if a}}}}\nx{i}="{{{{ p }}}}"\n{{{{/if}}}}\n'
                                for i in range(n)) + "{{" * (50 * n) + "\n",
        }[shape]
        name = "opensips.cfg" if shape == "scriptvars" else "kamailio.cfg"
        root = write(tmp_path / f"{shape}{n}", {name: text})
        return lambda: build_kamailio_facts(root, name, "opensips" if name == "opensips.cfg" else "kamailio")
    assert_linear(make, 200, shape)


def test_real_dsiprouter_config_fuzzed(tmp_path):
    tree = Path(__file__).resolve().parent / "real_trees" / "dsiprouter-kamailio" / "conf"
    text = (tree / "kamailio.cfg").read_text()
    rng = random.Random(20261123)
    for r in range(8):
        root = write(tmp_path / f"d{r}", {"kamailio.cfg": mangle(text, rng, JUNK), "tls.cfg": mangle(
            (tree / "tls.cfg").read_text(), rng, JUNK)})
        start = time.perf_counter()
        msgspec.json.encode(build_kamailio_facts(root)).decode()
        assert time.perf_counter() - start < PER_INPUT_S


def test_fix_for_modparam_profiles_is_a_modparam_note(tmp_path, registry):
    """A tls.cfg patch for a profile the tls module parameters make would not be read: the change says
    which modparam to set instead; a profile from a configured tls.cfg is still patched there."""
    root = write_tree(tmp_path, {"kamailio.cfg": 'enable_tls=yes\nloadmodule "tls.so"\n'
                                                 'modparam("tls", "tls_method", "TLSv1")\n'})
    facts = collect_kamailio_tree(root)
    from voxaudit.platforms.kamailio.tls import protocol_versions, version_change
    rec = next(r for r in protocol_versions(facts) if r.subject == "tls [server:default]")
    (change,) = version_change(rec, None, facts)
    assert change.root == "kamailio.cfg" and 'modparam("tls", "tls_method", "TLSv1.2+")' in change.text


@pytest.mark.parametrize("value, placeholder", [
    ("{{db_pass}}", True), ("{{ db_pass }}", True), ("{{{db_pass}}}", True), ("{{{ db_pass }}}", True),
    ("{{ pw | default('x') }}", True), ("${DB_PASS}", True), ("$${vm_password}", True), ("%DBPW%", True),
    ("ENV_DB_PASSWORD", True), ("{$admin_password}", True), ("{$user_password|escape}", True), ("{$a b}", False),
    ("{{db_pass}}x", False), ("x{{db_pass}}", False), ("{{ a b }}", False), ("{{pw | {x} }}", False),
    ("Tr0ub4dor&3-long-one", False),
])
def test_a_template_placeholder_is_never_judged_as_a_secret(value, placeholder):
    """What a template renderer, a shell or FreeSWITCH fills in at deployment is unknown, never strong or weak:
    every platform's secrets share one recogniser (auditor/secretinfo.py)."""
    from voxaudit.secretinfo import describe_secret
    info = describe_secret(value, "1001", None)
    assert info.placeholder is placeholder


@pytest.mark.parametrize("head, body", [("{{{", " "), ("{{ a |", "x"), ("${", "a"), ("{{", "a"), ("{$a|", "x")])
def test_placeholder_recognition_is_linear(head, body):
    from voxaudit.secretinfo import describe_secret

    def make(n: int):
        hostile = head + body * (20_000 * n)
        return lambda: describe_secret(hostile, "1001", None)
    assert not make(1)().placeholder
    assert_linear(make, 1, f"placeholder {head!r}")
