"""SIP capture (HEP) on Kamailio, OpenSIPS and FreeSWITCH: copies of the calls' signalling sent to a capture
server, judged by ENC-SIG-101 (the copies travel in clear) and BAA-101 (the server receives PHI), with the
vendors' own rules (siptrace.c, tracer.c / proto_hep hep.c, sofia.c): see auditor/platforms/kamailio/hep.py
and auditor/platforms/freeswitch/hep.py."""
from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest

from tests.checks.test_freeswitch import HARDENED
from tests.conftest import scan_secret_free, write_tree
from voxaudit.collectors.offline import collect_freeswitch_tree, collect_kamailio_tree, collect_opensips_tree
from voxaudit.model import Status
from voxaudit.records.recipients import REGISTER_PARAM, register_value

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hep_sip_servers"
FAIL, PASS, ERROR = Status.FAIL, Status.PASS, Status.ERROR
HOMER = "homer.capture-vendor.example"
CANARY = "Hep-Canary-7Wq3zK"
RESOURCE = f"{HOMER} (SIP capture server (HEP))"

# The capture block of Kamailio's IMS P-CSCF example, unchanged but for the define (kamailio/kamailio
# misc/examples/ims/pcscf/kamailio.cfg lines 30, 231-233, 463-471, 722-726, and pcscf.cfg.sample line 50,
# commit dc269b336c863940514e538bc71a0ef3eb5961ff, GPL-2.0): the stock etc/kamailio.cfg has no siptrace block.
KAMAILIO = f"""#!KAMAILIO
#!define CAPTURE_NODE "sip:{HOMER}:9060"
#!define FLT_CAPTURE 5
listen=tls:10.0.0.1:5061
loadmodule "tm.so"

#!ifdef CAPTURE_NODE
loadmodule "siptrace"
#!endif

#!ifdef CAPTURE_NODE
# Destination, where to send the traffic
modparam("siptrace", "duplicate_uri", CAPTURE_NODE)
# Trace all traffic
modparam("siptrace", "trace_on", 1)
modparam("siptrace", "trace_to_database", 0)
modparam("siptrace", "trace_flag", FLT_CAPTURE)
modparam("siptrace", "hep_mode_on", 1)
modparam("siptrace", "auth_key", "{CANARY}")
#!endif

request_route {{
	# Trace this message
#!ifdef CAPTURE_NODE
	sip_trace();
	setflag(FLT_CAPTURE);
#!endif
}}
"""

# OpenSIPS 3.x: proto_hep's hep_id and tracer's trace_id as their module documentation writes them.
OPENSIPS = f"""socket=tls:10.0.0.1:5061
socket=hep_udp:127.0.0.1:9061
loadmodule "proto_tls.so"
loadmodule "proto_hep.so"
modparam("proto_hep", "hep_id", "[hid] {HOMER}:9060; transport=udp; version=3")
loadmodule "tracer.so"
modparam("tracer", "trace_id", "[tid]uri=hep:hid")
route {{
    if (!has_totag()) trace("tid", "d", "sip");
}}
"""


def hep(result: dict[str, Status]) -> dict[str, Status]:
    """The HEP resources of a control's results (its other bindings answer too)."""
    return {k: v for k, v in result.items() if "HEP" in k}


def register(*covers: str) -> str:
    return register_value([{"vendor": "Capture Co", "covers": list(covers), "baa_signed": date(2026, 1, 1),
                            "baa_expires": date(2027, 1, 1)}], date(2026, 11, 23))


def kamailio(tmp_path: Path, cfg: str):
    (tmp_path / "kam").mkdir(exist_ok=True)
    (tmp_path / "kam" / "kamailio.cfg").write_text(cfg)
    return collect_kamailio_tree(tmp_path / "kam")


def opensips(tmp_path: Path, cfg: str):
    (tmp_path / "osips").mkdir(exist_ok=True)
    (tmp_path / "osips" / "opensips.cfg").write_text(cfg)
    return collect_opensips_tree(tmp_path / "osips")


def freeswitch(tmp_path: Path, capture: str = "", sip_capture: str = ""):
    files = dict(HARDENED)
    sofia = (FIXTURES / "sofia.conf.xml").read_text()
    if capture:
        sofia = sofia.replace('<param name="debug-presence" value="0"/>',
                              f'<param name="debug-presence" value="0"/>\n    <param name="capture-server" value="{capture}"/>')
    files["autoload_configs/sofia.conf.xml"] = sofia
    if sip_capture:
        files["sip_profiles/internal.xml"] = files["sip_profiles/internal.xml"].replace(
            "  </settings>", f'    <param name="sip-capture" value="{sip_capture}"/>\n  </settings>')
    return collect_freeswitch_tree(write_tree(tmp_path / "conf", files))


# -- Kamailio ------------------------------------------------------------------------------------------------

def test_kamailio_capture_node_sends_plaintext_copies_and_needs_a_baa(tmp_path, run):
    facts = kamailio(tmp_path, KAMAILIO)
    assert hep(run("ENC-SIG-101", facts)) == {f"HEP copies to {HOMER}": FAIL}
    assert run("BAA-101", facts) == {RESOURCE: ERROR}  # no register given: unknown, never PASS
    assert run("BAA-101", facts, **{REGISTER_PARAM: register("sip-trunk.example")}) == {RESOURCE: FAIL}
    assert run("BAA-101", facts, **{REGISTER_PARAM: register("*.capture-vendor.example")}) == {RESOURCE: PASS}


def test_kamailio_without_the_define_sends_nothing(tmp_path, run):
    facts = kamailio(tmp_path, KAMAILIO.replace('#!define CAPTURE_NODE', '##!define CAPTURE_NODE'))
    assert hep(run("ENC-SIG-101", facts)) == {}
    assert hep(run("BAA-101", facts)) == {}


@pytest.mark.parametrize("change, expected, why", [
    ((f"{HOMER}:9060", "127.0.0.1:9060"), PASS, "a capture agent on this host"),
    ((f"{HOMER}:9060", f"{HOMER}:9061;transport=tls"), PASS, "HEP over TLS: the one encrypted transport"),
    ((f"{HOMER}:9060", f"{HOMER}:9060;transport=tcp"), FAIL, "TCP is still clear"),
    (('modparam("siptrace", "trace_on", 1)\n', ""), ERROR, "trace_on defaults to 0: only the RPC switch decides"),
    (('"trace_on", 1', '"trace_on", 0'), ERROR, "off in the file, siptrace.status on at run time"),
    (('"hep_mode_on", 1', '"hep_mode_on", 0'), FAIL, "plain SIP duplicates, trace_to_database 0: still sent"),
])
def test_kamailio_what_the_files_settle(tmp_path, run, change, expected, why):
    facts = kamailio(tmp_path, KAMAILIO.replace(*change))
    assert set(hep(run("ENC-SIG-101", facts)).values()) == {expected}, why


def test_kamailio_sip_trace_into_the_database_only_sends_nothing(tmp_path, run):
    """siptrace.c sip_trace_store(): without HEP and with trace_to_database on, sip_trace() only stores."""
    cfg = KAMAILIO.replace('"hep_mode_on", 1', '"hep_mode_on", 0').replace('"trace_to_database", 0',
                                                                            '"trace_to_database", 1')
    assert hep(run("ENC-SIG-101", kamailio(tmp_path, cfg))) == {}
    mirrored = cfg.replace('modparam("siptrace", "trace_on", 1)', 'modparam("siptrace", "trace_on", 1)\n'
                                                                    'modparam("siptrace", "trace_mode", 4)')
    assert hep(run("ENC-SIG-101", kamailio(tmp_path, mirrored))) == {f"HEP copies to {HOMER}": FAIL}


def test_kamailio_a_destination_in_the_call_is_unknown_never_pass(tmp_path, run):
    cfg = KAMAILIO.replace("\tsip_trace();", '\tsip_trace();\n\tsip_trace("sip:10.9.9.9:9060", "$ci-abc");')
    facts = kamailio(tmp_path, cfg)
    assert hep(run("ENC-SIG-101", facts)) == {f"HEP copies to {HOMER}": FAIL,
                                              "HEP copies to kamailio.cfg sip_trace(<destination>)": ERROR}
    assert ERROR in run("BAA-101", facts).values()


def test_kamailio_trace_mode_alone_mirrors_everything(tmp_path, run):
    cfg = KAMAILIO.replace("\tsip_trace();\n", "").replace(
        'modparam("siptrace", "trace_on", 1)', 'modparam("siptrace", "trace_on", 1)\nmodparam("siptrace", "trace_mode", 1)')
    assert hep(run("ENC-SIG-101", kamailio(tmp_path, cfg))) == {f"HEP copies to {HOMER}": FAIL}
    quiet = KAMAILIO.replace("\tsip_trace();\n", "")
    assert hep(run("ENC-SIG-101", kamailio(tmp_path, quiet))) == {}  # loaded, never asked to copy


# -- OpenSIPS ------------------------------------------------------------------------------------------------

def test_opensips_tracer_to_a_hep_id(tmp_path, run):
    facts = opensips(tmp_path, OPENSIPS)
    assert hep(run("ENC-SIG-101", facts)) == {f"HEP copies to {HOMER}": FAIL}
    assert run("BAA-101", facts) == {RESOURCE: ERROR}
    assert run("BAA-101", facts, **{REGISTER_PARAM: register(HOMER)}) == {RESOURCE: PASS}


@pytest.mark.parametrize("change, expected, why", [
    (("transport=udp; version=3", "transport=tls; version=3"), {PASS}, "HEPv3 over TLS"),
    (("transport=udp; version=3", "transport=tls; version=2"), {FAIL}, "TLS needs HEPv3: falls back to UDP"),
    ((f"{HOMER}:9060", "127.0.0.1:9060"), {PASS}, "an agent on this host"),
    (('loadmodule "tracer.so"', 'loadmodule "tracer.so"\nmodparam("tracer", "trace_on", 0)'), {ERROR},
     "off until MI trace on"),
    (('if (!has_totag()) trace("tid", "d", "sip");', "xlog(\"x\");"), set(), "never called: nothing traced"),
    (('"[tid]uri=hep:hid"', '"[tid]uri=hep:other"'), {ERROR}, "an undefined hep_id"),
])
def test_opensips_what_the_files_settle(tmp_path, run, change, expected, why):
    facts = opensips(tmp_path, OPENSIPS.replace(*change))
    assert set(hep(run("ENC-SIG-101", facts)).values()) == expected, why


def test_opensips_credentials_in_a_trace_uri_are_never_written(tmp_path):
    """A sip: trace_id may carry user:password@: the host is kept, the password never reaches a report."""
    root = tmp_path / "etc" / "opensips"
    root.mkdir(parents=True)
    (root / "opensips.cfg").write_text(OPENSIPS.replace(
        '"[tid]uri=hep:hid"', f'"[tid]uri=sip:capture:{CANARY}@{HOMER}:9060"'))
    doc = scan_secret_free(root, tmp_path / "out", "json,sarif,html", CANARY, platform="opensips")
    assert any(r["check_id"] == "ENC-SIG-101" and r["resource"] == f"HEP copies to {HOMER}" and r["status"] == "FAIL"
               for r in doc["results"])


def test_kamailio_hep_auth_key_is_never_written(tmp_path):
    """siptrace auth_key (sent in every HEPv3 packet) is a secret: the Kamailio scan never writes it."""
    root = tmp_path / "etc" / "kamailio"
    root.mkdir(parents=True)
    (root / "kamailio.cfg").write_text(KAMAILIO)
    doc = scan_secret_free(root, tmp_path / "out", "json,sarif,html", CANARY, platform="kamailio")
    assert any(r["check_id"] == "ENC-SIG-101" and r["resource"] == f"HEP copies to {HOMER}" for r in doc["results"])


# -- FreeSWITCH ----------------------------------------------------------------------------------------------

def test_freeswitch_vanilla_sofia_conf_sends_nothing(tmp_path, run):
    """The vanilla sofia.conf.xml keeps capture-server commented out: TPTAG_CAPT(NULL), nothing to send to."""
    facts = freeswitch(tmp_path, sip_capture="yes")
    assert hep(run("ENC-SIG-101", facts)) == {}
    assert hep(run("BAA-101", facts)) == {}


def test_freeswitch_capturing_profile_sends_plaintext_copies(tmp_path, run):
    facts = freeswitch(tmp_path, f"udp:{HOMER}:9060;hep=3;capture_id=100", "yes")
    assert hep(run("ENC-SIG-101", facts)) == {f"HEP copies to {HOMER}": FAIL}
    assert hep(run("BAA-101", facts)) == {RESOURCE: ERROR}
    assert hep(run("BAA-101", facts, **{REGISTER_PARAM: register("*.capture-vendor.example")})) == {RESOURCE: PASS}
    local = freeswitch(tmp_path / "2", "udp:127.0.0.1:9060;hep=3", "yes")
    assert hep(run("ENC-SIG-101", local)) == {"HEP copies to 127.0.0.1": PASS}
    assert hep(run("BAA-101", local)) == {}


@pytest.mark.parametrize("sip_capture", ["", "no"])
def test_freeswitch_capture_server_without_a_capturing_profile_is_a_run_time_switch(tmp_path, run, sip_capture):
    facts = freeswitch(tmp_path, f"udp:{HOMER}:9060", sip_capture)
    assert hep(run("ENC-SIG-101", facts)) == {f"HEP copies to {HOMER}": ERROR}


def test_freeswitch_patch_turns_the_profile_capture_off(tmp_path):
    from tests.test_fix import round_trip

    files = dict(HARDENED)
    sofia = (FIXTURES / "sofia.conf.xml").read_text().replace(
        '<param name="debug-presence" value="0"/>', f'<param name="capture-server" value="udp:{HOMER}:9060"/>')
    files["autoload_configs/sofia.conf.xml"] = sofia
    files["sip_profiles/internal.xml"] = files["sip_profiles/internal.xml"].replace(
        "  </settings>", '    <param name="sip-capture" value="yes"/>\n  </settings>')
    tree = write_tree(tmp_path / "tree", files)
    (tmp_path / "work").mkdir()
    manifest, _ = round_trip(tree, "freeswitch", tmp_path / "work")
    patched = {(o["check_id"], o["resource"]) for o in manifest["findings"] if o["outcome"] == "patch"}
    assert ("ENC-SIG-101", f"HEP copies to {HOMER}") in patched
    assert 'name="sip-capture" value="no"' in (tree / "sip_profiles" / "internal.xml").read_text()


# -- hostile input -------------------------------------------------------------------------------------------

def test_hostile_values_stay_linear_and_unread(tmp_path, run):
    """A huge duplicate_uri, thousands of trace calls and a capture-server of junk: bounded time, no exception,
    and nothing quoted back."""
    junk = "sip:" + "[" * 200_000 + ":" * 200_000 + CANARY
    calls = "".join(f'\tsip_trace("{CANARY}");\n' for _ in range(20_000))
    cfg = KAMAILIO.replace("CAPTURE_NODE)", f'"{junk}")').replace("\tsip_trace();\n", "\tsip_trace();\n" + calls)
    start = time.perf_counter()
    facts = kamailio(tmp_path, cfg)
    enc, baa = run("ENC-SIG-101", facts), run("BAA-101", facts)
    assert time.perf_counter() - start < 5  # 0.5 s here; a quadratic pass over the calls took 20 s
    assert hep(enc) == {"HEP copies to kamailio.cfg modparam siptrace duplicate_uri": ERROR,  # junk: not a host
                        "HEP copies to kamailio.cfg sip_trace(<destination>)": ERROR}
    assert all(CANARY not in k for k in [*enc, *baa]) and ERROR in baa.values()
    fs = freeswitch(tmp_path, "udp:" + "[" * 300_000 + ";" * 100_000, "yes")
    assert hep(run("ENC-SIG-101", fs)) == {"HEP copies to sofia.conf.xml capture-server": ERROR}


def test_kemi_routing_leaves_sip_trace_unknown(tmp_path, run):
    """With a KEMI engine the route blocks never run: whether the script calls sip_trace() is not read."""
    cfg = KAMAILIO.replace("\tsip_trace();\n", "").replace(
        'loadmodule "tm.so"', 'loadmodule "tm.so"\nloadmodule "app_lua.so"\nmodparam("app_lua", "load", "/etc/kamailio/k.lua")\n'
                              'cfgengine "lua"')
    facts = kamailio(tmp_path, cfg)
    assert hep(run("ENC-SIG-101", facts)) == {"HEP copies to kamailio.cfg siptrace": ERROR}
