"""Where a Kamailio/OpenSIPS front end relays calls: BAA-101 (the carriers receive every call's numbers and names)
and ENC-SIG-101 (a relay over UDP/TCP carries them in clear), read as dispatch.c ds_load_list and the routing
language read them (auditor/platforms/kamailio/recipients.py).

Real configuration: tests/real_trees/teamsdr-kamailio-docker (ZeljkoBenovic/teamsdr-kamailio d8efc68a, provenance
in its PROVENANCE.md): dispatcher.list of Microsoft Teams SBCs over TLS, $du to Teams over TLS, t_relay_to_udp to
the PBX. The dispatcher.list lines below follow the format comment of Kamailio's own etc/dispatcher.list
(setid destination flags priority attributes)."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import scan_secret_free
from tests.test_reader_fuzz import assert_linear
from voxaudit.collectors.offline import collect_kamailio_tree, collect_opensips_tree
from voxaudit.facts.kamailio import DISPATCHER_LIST, build_kamailio_facts
from voxaudit.model import Status
from voxaudit.records.recipients import REGISTER_PARAM, register_value

FAIL, PASS, ERROR = Status.FAIL, Status.PASS, Status.ERROR
TEAMSDR = Path(__file__).resolve().parent.parent / "real_trees" / "teamsdr-kamailio-docker" / "conf"
CANARY = "Relay-Canary-3Hx8Qp"
ROLE = "SIP destination (relayed calls)"

HEAD = """#!KAMAILIO
listen=tls:203.0.113.10:5061
enable_tls=yes
loadmodule "tls.so"
loadmodule "tm.so"
loadmodule "dispatcher.so"
modparam("dispatcher", "list_file", "/etc/kamailio/dispatcher.list")
"""
ROUTE = """request_route {
    ds_select_dst("1", "4");
    t_relay();
}
"""
DS_LIST = """# setid(int) destination(sip uri) flags(int,opt) priority(int,opt) attributes(str,opt)
1 sip:carrier.example.com:5060 0 0 duid=carrier1
1 sip:carrier2.example.net:5061;transport=tls 0 0 socket=tls:203.0.113.10:5061
2 sip:10.0.0.20:5060
2 sip:127.0.0.1:5080
"""


def relays(result: dict[str, Status]) -> dict[str, Status]:
    return {k: v for k, v in result.items() if "relay" in k.lower()}


def kamailio(tmp_path: Path, cfg: str, ds_list: str | None = DS_LIST):
    root = tmp_path / "kam"
    root.mkdir(exist_ok=True)
    (root / "kamailio.cfg").write_text(cfg)
    if ds_list is not None:
        (root / "dispatcher.list").write_text(ds_list)
    return collect_kamailio_tree(root)


def opensips(tmp_path: Path, cfg: str):
    (tmp_path / "osips").mkdir(exist_ok=True)
    (tmp_path / "osips" / "opensips.cfg").write_text(cfg)
    return collect_opensips_tree(tmp_path / "osips")


def register(*covers: str) -> str:
    return register_value([{"vendor": "Carrier Co", "covers": list(covers), "baa_signed": date(2026, 1, 1),
                            "baa_expires": date(2027, 1, 1)}], date(2026, 11, 23))


# -- the real tree ----------------------------------------------------------------------------------------------

def test_teams_sbc_relays_to_microsoft_over_tls_and_to_the_pbx_over_udp(run):
    facts = collect_kamailio_tree(TEAMSDR)
    sig = relays(run("ENC-SIG-101", facts))
    assert sig == {"SIP relay to sip.pstnhub.microsoft.com over TLS": PASS,
                   "SIP relay to sip2.pstnhub.microsoft.com over TLS": PASS,
                   "SIP relay to sip3.pstnhub.microsoft.com over TLS": PASS,
                   "SIP relay to PBX_IP over UDP": FAIL}  # t_relay_to_udp("PBX_IP", ...): always UDP
    hosts = {f"{h} ({ROLE})" for h in ("sip.pstnhub.microsoft.com", "sip2.pstnhub.microsoft.com",
                                       "sip3.pstnhub.microsoft.com")}
    assert run("BAA-101", facts) == {h: ERROR for h in hosts}  # no register: unknown, never PASS
    # PBX_IP is one label: the clinic's own PBX, not an outside party
    assert run("BAA-101", facts, **{REGISTER_PARAM: register("*.pstnhub.microsoft.com")}) == {h: PASS for h in hosts}
    assert run("BAA-101", facts, **{REGISTER_PARAM: register("sip.example")}) == {h: FAIL for h in hosts}


# -- dispatcher.list ----------------------------------------------------------------------------------------

def test_dispatcher_list_destinations(tmp_path, run):
    facts = kamailio(tmp_path, HEAD + ROUTE)
    assert relays(run("ENC-SIG-101", facts)) == {
        "SIP relay to carrier.example.com:5060 over UDP": FAIL,
        "SIP relay to carrier2.example.net:5061 over TLS": PASS,
        "SIP relay to 10.0.0.20:5060 over UDP": FAIL,  # the PBX on the LAN: still SIP in clear
        "SIP relay to 127.0.0.1:5080 over UDP": PASS,  # loopback
    }
    # the LAN PBX and loopback are not outside parties
    assert set(run("BAA-101", facts)) == {f"carrier.example.com ({ROLE})", f"carrier2.example.net ({ROLE})"}


def test_dispatcher_in_the_database_is_unknown(tmp_path, run):
    cfg = HEAD + 'modparam("dispatcher", "db_url", "mysql://kamailio:' + CANARY + '@db.example/kamailio")\n' + ROUTE
    facts = kamailio(tmp_path, cfg)
    assert relays(run("ENC-SIG-101", facts)) == {"SIP relays of dispatcher": ERROR}
    assert run("BAA-101", facts) == {"SIP destinations of dispatcher": ERROR}  # the list file is not read


def test_missing_or_bad_list_is_a_gap_never_silence(tmp_path):
    facts = kamailio(tmp_path, HEAD + ROUTE, ds_list=None)
    problems = facts.configs[DISPATCHER_LIST].problems
    assert problems and not problems[0].fatal and not problems[0].note
    bad = build_kamailio_facts(_write(tmp_path / "bad", HEAD + ROUTE, f"sip:{CANARY}.example\n"))
    (p,) = bad.configs[DISPATCHER_LIST].problems
    assert p.line == 1 and CANARY not in p.message


def _write(root: Path, cfg: str, ds_list: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "kamailio.cfg").write_text(cfg)
    (root / "dispatcher.list").write_text(ds_list)
    return root


def test_missing_list_makes_the_controls_error_in_a_scan(tmp_path):
    root = tmp_path / "kam"
    root.mkdir()
    (root / "kamailio.cfg").write_text(HEAD + ROUTE)
    doc = scan_secret_free(root, tmp_path / "out", "json", CANARY, platform="kamailio")
    status = {(r["check_id"], r["resource"]): r["status"] for r in doc["results"]}
    assert status[("BAA-101", "(unread parts of dispatcher.list)")] == "ERROR"


# -- literal destinations in the routing ---------------------------------------------------------------------

LITERAL = """#!KAMAILIO
listen=tls:203.0.113.10:5061
loadmodule "tm.so"
request_route {
    if (is_method("INVITE")) {
        $du = "sip:carrier.example.com:5060;transport=tcp";
        t_relay();
    }
    t_relay_to_tls("tls-carrier.example.org", "5061");
    forward("sip.example.net");
    $ru = "sip:" + $rU + "@203.0.113.5";
    $du = $avp(dst);
}
"""


def test_literal_relays(tmp_path, run):
    facts = kamailio(tmp_path, LITERAL, ds_list=None)
    assert relays(run("ENC-SIG-101", facts)) == {
        "SIP relay to carrier.example.com:5060 over TCP": FAIL,
        "SIP relay to tls-carrier.example.org:5061 over TLS": PASS,
        "SIP relay to sip.example.net over UDP": FAIL,
        "SIP relay to 203.0.113.5 over UDP": FAIL,
    }  # $du = $avp(dst): computed at run time, not a literal destination
    assert set(run("BAA-101", facts)) == {f"{h} ({ROLE})" for h in (
        "carrier.example.com", "tls-carrier.example.org", "sip.example.net", "203.0.113.5")}


def test_a_host_set_alone_leaves_the_transport_unknown(tmp_path, run):
    cfg = LITERAL.split("request_route")[0] + 'request_route {\n    $rd = "carrier.example.com";\n    t_relay();\n}\n'
    facts = kamailio(tmp_path, cfg, ds_list=None)
    assert relays(run("ENC-SIG-101", facts)) == {"SIP relay to carrier.example.com": ERROR}
    assert set(run("BAA-101", facts)) == {f"carrier.example.com ({ROLE})"}
    # a next hop set elsewhere ($du) decides where requests go: the host alone is then not a path
    with_du = cfg.replace("t_relay();", '$du = "sip:proxy.example.com;transport=tls";\n    t_relay();')
    facts = kamailio(tmp_path, with_du, ds_list=None)
    assert relays(run("ENC-SIG-101", facts)) == {"SIP relay to proxy.example.com over TLS": PASS}


def test_credentials_in_a_relay_uri_are_never_written(tmp_path):
    cfg = LITERAL.replace("sip:carrier.example.com:5060", f"sip:trunk:{CANARY}@carrier.example.com:5060")
    root = _write(tmp_path / "kam", cfg, f"1 sip:acct:{CANARY}@carrier3.example.com 0 0 pass={CANARY}\n")
    doc = scan_secret_free(root, tmp_path / "out", "json,html,sarif,csv", CANARY, platform="kamailio")
    resources = {r["resource"] for r in doc["results"] if r["check_id"] == "ENC-SIG-101"}
    assert "SIP relay to carrier.example.com:5060 over TCP" in resources


def test_kemi_routing_is_unknown(tmp_path, run):
    cfg = LITERAL.split("request_route")[0] + 'loadmodule "app_python3.so"\nmodparam("app_python3", "load", ' \
                                              '"/etc/kamailio/kamailio.py")\ncfgengine "python"\n'
    facts = kamailio(tmp_path, cfg, ds_list=None)
    assert relays(run("ENC-SIG-101", facts)) == {"SIP relays of the KEMI routing": ERROR}
    assert run("BAA-101", facts) == {"SIP destinations of the KEMI routing": ERROR}


@pytest.mark.parametrize("module, extra", [
    ("drouting", ""), ("lcr", ""), ("carrierroute", 'modparam("carrierroute", "config_source", "db")\n'),
    ("uac", 'modparam("uac", "reg_db_url", "mysql://kamailio:' + CANARY + '@localhost/kamailio")\n'),
])
def test_kamailio_database_routing_is_unknown(tmp_path, run, module, extra):
    facts = kamailio(tmp_path, LITERAL.split("request_route")[0] + f'loadmodule "{module}.so"\n' + extra,
                     ds_list=None)
    assert run("BAA-101", facts) == {f"SIP destinations of {module}": ERROR}
    assert CANARY not in str(run("BAA-101", facts))


def test_uac_without_database_registrations_is_not_a_relay(tmp_path, run):
    facts = kamailio(tmp_path, LITERAL.split("request_route")[0] + 'loadmodule "uac.so"\n', ds_list=None)
    assert run("BAA-101", facts) == {"(target)": Status.NOT_APPLICABLE}


# -- OpenSIPS ---------------------------------------------------------------------------------------------------

OPENSIPS = """socket=tls:203.0.113.10:5061
loadmodule "tm.so"
loadmodule "proto_tls.so"
loadmodule "drouting.so"
route {
    $du = "sip:carrier.example.com:5060";
    t_relay();
}
"""


def test_opensips_literal_and_database_destinations(tmp_path, run):
    facts = opensips(tmp_path, OPENSIPS)
    assert relays(run("ENC-SIG-101", facts)) == {"SIP relay to carrier.example.com:5060 over UDP": FAIL,
                                                 "SIP relays of drouting": ERROR}
    assert run("BAA-101", facts) == {f"carrier.example.com ({ROLE})": ERROR, "SIP destinations of drouting": ERROR}
    facts = opensips(tmp_path, OPENSIPS.replace('loadmodule "drouting.so"\n', ""))
    assert run("BAA-101", facts, **{REGISTER_PARAM: register("carrier.example.com")}) == {
        f"carrier.example.com ({ROLE})": PASS}


# -- hostile input ----------------------------------------------------------------------------------------------

def test_long_lists_and_routes_are_read_in_linear_time(tmp_path):
    def make(n: int):
        root = tmp_path / f"n{n}"
        shutil.rmtree(root, ignore_errors=True)
        route = "".join(f'    $du = "sip:c{k}.example.com;transport=tcp"; t_relay_to_udp("h{k}.example", "5060");\n'
                        for k in range(n))
        _write(root, HEAD + "request_route {\n" + route + "}\n",
               "".join(f"{k % 9 + 1} sip:d{k}.example.com:5060 0 0 a=b;" + "x" * 50 + "\n" for k in range(n)))

        def go():
            from voxaudit.platforms.kamailio.recipients import relay_paths, relay_recipients
            facts = build_kamailio_facts(root)
            return list(relay_paths(facts)) + list(relay_recipients(facts))
        return go
    assert_linear(make, 200, "kamailio relay destinations")


def test_unbalanced_nested_relay_calls_are_linear(tmp_path):
    def make(n: int):
        root = tmp_path / f"nest{n}"
        shutil.rmtree(root, ignore_errors=True)
        calls = "".join(f'forward("h{k}", t_relay_to_udp("u{k}", ' for k in range(n))
        _write(root, HEAD + "request_route {\n    " + calls + "\n}\n", "")
        return lambda: build_kamailio_facts(root)
    assert_linear(make, 300, "nested destination calls")


@pytest.mark.parametrize("call, expected", [
    ('t_relay_to("tls:carrier.example.com:5061");', {"SIP relay to carrier.example.com:5061 over TLS": PASS}),
    ('t_relay_to("udp:carrier.example.com:5060");', {"SIP relay to carrier.example.com:5060 over UDP": FAIL}),
    ('t_relay("carrier.example.com", "5060");', {"SIP relay to carrier.example.com:5060 over UDP": FAIL}),
    ('forward_tls("carrier.example.com", "5061");', {"SIP relay to carrier.example.com:5061 over TLS": PASS}),
    ('seturi("sips:carrier.example.com");', {"SIP relay to carrier.example.com over TLS": PASS}),
    ('seturi("sip:$rU@$rd");', {}),  # filled from variables at run time: not a literal destination
    ('t_relay();', {}),
])
def test_relay_functions(tmp_path, run, call, expected):
    cfg = LITERAL.split("request_route")[0] + "request_route {\n    " + call + "\n}\n"
    assert relays(run("ENC-SIG-101", kamailio(tmp_path, cfg, ds_list=None))) == expected


def test_opensips_t_relay_flags_are_not_a_destination(tmp_path, run):
    cfg = OPENSIPS.replace('$du = "sip:carrier.example.com:5060";\n', "").replace("t_relay()", 't_relay("0x02")')
    assert relays(run("ENC-SIG-101", opensips(tmp_path, cfg.replace('loadmodule "drouting.so"\n', "")))) == {}


def test_a_destination_that_is_not_a_host_is_unknown_and_not_quoted(tmp_path, run):
    cfg = LITERAL.split("request_route")[0] + 'request_route {\n    forward("not a host!");\n}\n'
    facts = kamailio(tmp_path, cfg, ds_list=None)
    assert run("BAA-101", facts) == {f"{ROLE} at kamailio.cfg forward()": ERROR}
    assert relays(run("ENC-SIG-101", facts)) == {"SIP relay to kamailio.cfg forward() over UDP": ERROR}


def test_fix_round_trip_on_the_teams_sbc(tmp_path):
    from tests.test_fix import round_trip
    copy = tmp_path / "tree"
    shutil.copytree(TEAMSDR, copy)
    manifest, _ = round_trip(copy, "kamailio", tmp_path)
    (relay,) = [o for o in manifest["findings"] if o["resource"] == "SIP relay to PBX_IP over UDP"]
    assert relay["outcome"] != "patch"  # a note for a person: the PBX's TLS port is theirs to choose
