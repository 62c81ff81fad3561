"""Relay destinations the Kamailio/OpenSIPS adapter used to miss or misjudge (auditor/platforms/kamailio/recipients.py):

* a dispatcher.list destination's ``socket``/``sockname`` attribute (Kamailio dispatch.c pack_dest), which is
  its send socket but not its transport (tm uri2dst2 / core get_send_socket2: the URI's transport decides);
* OpenSIPS 1.x dispatcher ``list_file`` (1.4-1.7 ds_load_list);
* carrierroute.conf (``config_source "file"``, cr_config.c load_config over parser_carrierroute.c).

The carrierroute.conf files follow the module's own README example (Example 1.16, kamailio/kamailio
src/modules/carrierroute/README at 38711a3e, GPL-2.0-or-later) with example.com hosts; the dispatcher lines
the format comment of the module's doc/dispatcher.list."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import scan_secret_free
from tests.test_reader_fuzz import assert_linear
from voxaudit.collectors.offline import collect_kamailio_tree, collect_opensips_tree
from voxaudit.facts.kamailio import CARRIERROUTE_CONF, DISPATCHER_LIST, build_kamailio_facts
from voxaudit.model import Status
from voxaudit.parsers.carrierroute import parse_carrierroute
from voxaudit.platforms.kamailio.recipients import relay_paths

FAIL, PASS, ERROR = Status.FAIL, Status.PASS, Status.ERROR
CANARY = "Sock-Canary-7Kq2Zx"
ROLE = "SIP destination (relayed calls)"

HEAD = """#!KAMAILIO
listen=udp:203.0.113.10:5060
listen=tls:203.0.113.10:5061 name "tlsout"
listen=tcp:10.0.0.5:5060 advertise 198.51.100.7:5070
enable_tls=yes
loadmodule "tls.so"
loadmodule "tm.so"
loadmodule "dispatcher.so"
modparam("dispatcher", "list_file", "/etc/kamailio/dispatcher.list")
request_route {
    ds_select_dst("1", "4");
    t_relay();
}
"""


def relays(result: dict[str, Status]) -> dict[str, Status]:
    return {k: v for k, v in result.items() if "relay" in k.lower()}


def tree(root: Path, cfg: str, files: dict[str, str]) -> Path:
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    (root / ("opensips.cfg" if "opensips" in root.name else "kamailio.cfg")).write_text(cfg)
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def kam(tmp_path: Path, ds_list: str, cfg: str = HEAD):
    return collect_kamailio_tree(tree(tmp_path / "kam", cfg, {"dispatcher.list": ds_list}))


# -- dispatcher send sockets (Kamailio) ------------------------------------------------------------------------

def test_a_tls_send_socket_does_not_make_a_udp_destination_tls(tmp_path, run):
    facts = kam(tmp_path, "1 sip:carrier.example.com:5060 0 0 duid=a;socket=tls:203.0.113.10:5061\n"
                          "1 sip:carrier2.example.net:5061;transport=tls 0 0 sockname=tlsout\n"
                          "2 sip:carrier3.example.org:5061;transport=tls 0 0 socket=udp:203.0.113.10:5060\n")
    assert relays(run("ENC-SIG-101", facts)) == {
        "SIP relay to carrier.example.com:5060 over UDP": FAIL,  # the URI's transport decides (uri2dst2)
        "SIP relay to carrier2.example.net:5061 over TLS": PASS,
        "SIP relay to carrier3.example.org:5061 over TLS": PASS,  # a UDP socket does not make it UDP either
    }
    (udp,) = [p for p in relay_paths(facts) if p.subject.endswith("over UDP")]
    assert "socket attribute names a TLS socket" in udp.setting  # the finding says why the socket did not help


@pytest.mark.parametrize("attrs", [
    "socket=tls:192.0.2.99:5061",  # not a listen line: Kamailio drops it at load (or the socket is unseen)
    "socket=udp:203.0.113.10:5061",  # the address of a listen line, not its protocol and port
    f"sockname={CANARY}",  # no listen line of that name
    "socket=tls:203.0.113.10:5061;sockname=nosuch",  # sockname is taken first
])
def test_a_send_socket_that_is_no_listen_line_is_unknown(tmp_path, run, attrs):
    facts = kam(tmp_path, f"1 sip:carrier.example.com:5061;transport=tls 0 0 {attrs}\n")
    assert relays(run("ENC-SIG-101", facts)) == {"SIP relay to carrier.example.com:5061 over TLS": ERROR}
    assert CANARY not in str([p.undecidable for p in relay_paths(facts)])


@pytest.mark.parametrize("attrs", [
    "socket=tls:203.0.113.10:5061", "socket=TLS:203.0.113.10:5061", "sockname=TLSOUT",
    "socket=tcp:198.51.100.7:5070",  # the advertised address of a listen line (grep_sock_info matches it)
    "socket=203.0.113.10:5060",  # no protocol: any listen line of that address and port
    "weight=50;socket=\"tls:203.0.113.10:5061\";",
])
def test_a_send_socket_of_a_listen_line_is_resolved(tmp_path, run, attrs):
    facts = kam(tmp_path, f"1 sip:carrier.example.com:5061;transport=tls 0 0 {attrs}\n")
    assert relays(run("ENC-SIG-101", facts)) == {"SIP relay to carrier.example.com:5061 over TLS": PASS}


def test_the_default_send_socket_parameter(tmp_path, run):
    cfg = HEAD.replace("request_route", 'modparam("dispatcher", "ds_default_sockname", "nosuch")\nrequest_route')
    facts = kam(tmp_path, "1 sip:carrier.example.com:5061;transport=tls\n"
                          "1 sip:carrier2.example.com:5061;transport=tls 0 0 sockname=tlsout\n", cfg)
    assert relays(run("ENC-SIG-101", facts)) == {"SIP relay to carrier.example.com:5061 over TLS": ERROR,
                                                 "SIP relay to carrier2.example.com:5061 over TLS": PASS}


def test_a_socket_block_is_a_gap_not_a_crash(tmp_path):
    cfg = HEAD.replace("enable_tls=yes", 'socket = {\n  bind = tls:10.0.0.1:5061;\n  name = "s2";\n}\nenable_tls=yes')
    facts = build_kamailio_facts(tree(tmp_path / "kam", cfg, {"dispatcher.list": "1 sip:c.example.com\n"}))
    assert any(not p.note for p in facts.configs["kamailio.cfg"].problems)


# -- OpenSIPS 1.x list_file -------------------------------------------------------------------------------

OPENSIPS = """socket=tls:203.0.113.10:5061
loadmodule "tm.so"
loadmodule "dispatcher.so"
modparam("dispatcher", "list_file", "/usr/local/etc/opensips/dispatcher.list")
route {
    ds_select_dst("1", "0");
    t_relay();
}
"""


def osips(tmp_path: Path, cfg: str, ds_list: str | None):
    return collect_opensips_tree(tree(tmp_path / "opensips", cfg, {"dispatcher.list": ds_list} if ds_list else {}))


def test_opensips_1x_list_file_is_read(tmp_path, run):
    facts = osips(tmp_path, OPENSIPS, "# setid uri flags weight attrs\n1 sip:carrier.example.com:5060 0 1\n"
                                      "1 sip:carrier2.example.net:5061;transport=tls 0 1 socket=udp:1.2.3.4:5060\n")
    assert relays(run("ENC-SIG-101", facts)) == {"SIP relay to carrier.example.com:5060 over UDP": FAIL,
                                                 "SIP relay to carrier2.example.net:5061 over TLS": PASS}
    assert set(run("BAA-101", facts)) == {f"carrier.example.com ({ROLE})", f"carrier2.example.net ({ROLE})"}


def test_opensips_list_without_a_scheme_is_a_gap(tmp_path):
    facts = osips(tmp_path, OPENSIPS, f"1 {CANARY}.example.com\n")
    (p,) = facts.configs[DISPATCHER_LIST].problems
    assert p.line == 1 and not p.note and CANARY not in p.message


def test_opensips_dispatcher_without_list_file_is_its_database(tmp_path, run):
    facts = osips(tmp_path, OPENSIPS.replace('modparam("dispatcher", "list_file", '
                                             '"/usr/local/etc/opensips/dispatcher.list")\n', ""), None)
    assert run("BAA-101", facts) == {"SIP destinations of dispatcher": ERROR}
    db = OPENSIPS.replace("route {", f'modparam("dispatcher", "db_url", "mysql://o:{CANARY}@db/opensips")\nroute {{')
    facts = osips(tmp_path, db, "1 sip:carrier.example.com\n")
    assert run("BAA-101", facts) == {"SIP destinations of dispatcher": ERROR}


# -- carrierroute.conf --------------------------------------------------------------------------------------------

CR_HEAD = """#!KAMAILIO
listen=udp:203.0.113.10:5060
loadmodule "tm.so"
loadmodule "carrierroute.so"
modparam("carrierroute", "config_file", "/etc/kamailio/carrierroute.conf")
request_route {
    cr_route("default", "proxy", "$rU", "$rU", "call_id");
    t_relay();
}
"""
CR_CONF = """domain proxy {
   prefix 49 {
     max_targets = 2
      target gw1.example.com:5061;transport=tls {
         prob = 0.500000
         hash_index = 1
         status = 1
         comment = "test target 1"
      }
      target gw2.example.net {
         prob = 0.500000
         hash_index = 2
         status = 1
         comment = "test target 2"
      }
   }
}

domain register {
   prefix NULL {
     max_targets = 1
      target NULL {
         prob = 1
         backed_up = {1, 2}
      }
   }
}
"""


def cr(tmp_path: Path, conf: str | None, cfg: str = CR_HEAD):
    return collect_kamailio_tree(tree(tmp_path / "cr", cfg, {"carrierroute.conf": conf} if conf is not None else {}))


def test_carrierroute_targets_are_destinations(tmp_path, run):
    facts = cr(tmp_path, CR_CONF)
    assert not facts.configs[CARRIERROUTE_CONF].problems
    assert relays(run("ENC-SIG-101", facts)) == {"SIP relay to gw1.example.com:5061 over TLS": PASS,
                                                 "SIP relay to gw2.example.net over UDP": FAIL}
    assert set(run("BAA-101", facts)) == {f"gw1.example.com ({ROLE})", f"gw2.example.net ({ROLE})"}  # NULL: none


@pytest.mark.parametrize("conf, line", [
    (CR_CONF.replace("   prefix 49 {", "   # carriers\n   prefix 49 {"), 2),  # no comments in this format
    (CR_CONF.rstrip("\n"), 27),  # the last line must end with a newline
    (CR_CONF.replace("max_targets = 2", "max_targets = 3"), 16),  # fewer targets than announced
    (CR_CONF.replace("status = 1\n         comment = \"test target 1\"", f"status = {CANARY}"), 7),
    (CR_CONF.replace("hash_index = 2", f"passwd = {CANARY}"), 12),  # not an option of a target
    (CR_CONF.replace("prob = 1\n", "prob = 1\n         prob = 1\n"), 24),
    (CR_CONF.replace("target gw2.example.net {", "target gw2.example.net " + "x" * 300), 10),
])
def test_a_malformed_carrierroute_conf_is_fatal_and_names_the_line(tmp_path, run, conf, line):
    facts = cr(tmp_path, conf)
    (p,) = facts.configs[CARRIERROUTE_CONF].problems
    assert p.fatal and p.line == line and CANARY not in p.message


def test_a_malformed_carrierroute_conf_makes_the_relay_controls_error_in_a_scan(tmp_path):
    conf = CR_CONF.replace("hash_index = 2", f"passwd = {CANARY}")
    doc = scan_secret_free(tree(tmp_path / "cr", CR_HEAD, {"carrierroute.conf": conf}), tmp_path / "out", "json",
                           CANARY, platform="kamailio")
    results = {(r["check_id"], r["resource"]): r["status"] for r in doc["results"]
               if r["check_id"] in {"BAA-101", "ENC-SIG-101"} and not r["resource"].startswith("listen")}
    assert results == {("BAA-101", "(target)"): "ERROR", ("ENC-SIG-101", "(target)"): "ERROR"}


def test_carrierroute_in_the_database_or_missing(tmp_path, run):
    facts = cr(tmp_path, CR_CONF, CR_HEAD.replace("request_route", 'modparam("carrierroute", "config_source", '
                                                                   '"db")\nrequest_route'))
    assert run("BAA-101", facts) == {"SIP destinations of carrierroute": ERROR}  # the file is not what it reads
    assert relays(run("ENC-SIG-101", facts)) == {"SIP relays of carrierroute": ERROR}
    root = tree(tmp_path / "missing", CR_HEAD, {})
    doc = scan_secret_free(root, tmp_path / "out", "json", CANARY, platform="kamailio")
    status = {(r["check_id"], r["resource"]): r["status"] for r in doc["results"]}
    assert status[("BAA-101", "(unread parts of carrierroute.conf)")] == "ERROR"


def test_a_bad_config_source_is_fatal(tmp_path):
    facts = cr(tmp_path, CR_CONF, CR_HEAD.replace("request_route", 'modparam("carrierroute", "config_source", '
                                                                   '"DB")\nrequest_route'))
    (p,) = facts.configs[CARRIERROUTE_CONF].problems
    assert p.fatal and p.file == "kamailio.cfg"


def test_carrierroute_credentials_never_written(tmp_path):
    conf = CR_CONF.replace("target gw2.example.net {", f"target acct:{CANARY}@gw2.example.net {{").replace(
        '"test target 1"', f'"{CANARY}"')
    doc = scan_secret_free(tree(tmp_path / "cr", CR_HEAD, {"carrierroute.conf": conf}), tmp_path / "out",
                           "json,html,sarif,csv", CANARY, platform="kamailio")
    assert any(r["resource"] == "SIP relay to gw2.example.net over UDP" for r in doc["results"])


def test_carrierroute_reader_is_linear():
    def make(n: int):
        targets = "".join(f"      target gw{k}.example.com {{\n         prob = 0.{k % 9}\n         status = 1\n"
                          "      }\n" for k in range(n))
        text = f"domain proxy {{\n   prefix 49 {{\n     max_targets = {n}\n{targets}   }}\n}}\n"
        bad = "domain d {\n" + "   prefix 1 {\n     max_targets = 1\n" * n
        return lambda: (parse_carrierroute(text, "carrierroute.conf"), parse_carrierroute(bad, "carrierroute.conf"))
    assert_linear(make, 300, "carrierroute.conf")


def test_carrierroute_reader_never_raises_on_mutated_input():
    import random
    rng = random.Random(7)
    junk = ["{", "}", "=", '"', "NULL", "domain", "prefix", "target", "max_targets = 1", "prob = nan", "\t", "\r",
            "backed_up = {}", "strip = 99999999999999", "\n", "#", "x" * 260, "prob = 0x1p3", "status = -1"]
    for _ in range(300):
        lines = CR_CONF.split("\n")
        for _ in range(rng.randint(1, 6)):
            k = rng.randrange(len(lines))
            lines[k] = lines[k][:rng.randint(0, len(lines[k]))] + rng.choice(junk)
        out = parse_carrierroute("\n".join(lines), "carrierroute.conf")
        assert out.problem is None or (out.problem.fatal and out.problem.line >= 0)


def test_a_ws_destination_through_a_tls_socket_is_unknown(tmp_path, run):
    facts = kam(tmp_path, "1 sip:edge.example.com:443;transport=ws 0 0 sockname=tlsout\n")
    assert relays(run("ENC-SIG-101", facts)) == {"SIP relay to edge.example.com:443 over WS": ERROR}
