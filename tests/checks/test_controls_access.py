"""ACC-ADMIN-101..103, ACC-NET-101..104: administrative interfaces and network exposure, judged on
hand-built records, and the same weakness judged alike on every platform bound to a control."""
from __future__ import annotations

from tests.conftest import write_tree
from voxaudit.checks.access import (
    admin_encrypted,
    admin_login_limited,
    admin_not_plaintext,
    endpoint_limited,
    flood_protection,
    no_version_banner,
    not_reachable_from_data,
)
from voxaudit.collectors.offline import collect_freeswitch_tree, collect_kamailio_tree, collect_opensips_tree
from voxaudit.control import Params
from voxaudit.facts.network import SipFacts, SipTransportProbe, TlsEndpointFacts, TlsScan
from voxaudit.model import Severity, Status
from voxaudit.records.access import AddressLimit, AdminInterface, Banner, RateLimit, Reachability

FAIL, PASS, NA, ERROR = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE, Status.ERROR
P = Params({})


def iface(**kw) -> AdminInterface:
    return AdminInterface(**{"subject": "api", "service": "API", **kw})


# -- the judges, branch by branch ------------------------------------------------------------------

def test_admin_interface_not_plaintext_beyond_loopback():
    j = admin_not_plaintext.judge
    assert j(iface(listen="127.0.0.1", loopback=True), P).status == PASS
    assert j(iface(listen=""), P).status == PASS  # no plaintext listener at all
    v = j(iface(listen="0.0.0.0", plaintext=True), P)
    assert (v.status, v.evidence) == (FAIL, "plaintext API listening on 0.0.0.0")
    v = j(iface(listen="::", plaintext=True, limit="no inbound ACL"), P)
    assert (v.status, v.evidence) == (FAIL, "plaintext API listening on :: with no inbound ACL")
    v = j(iface(listen="0.0.0.0", plaintext=True, limited=True, limit="acl=mgmt"), P)
    assert (v.status, v.evidence) == (PASS, "API on 0.0.0.0, limited by acl=mgmt")
    v = j(iface(listen="$${x}", plaintext=True, undecidable="set at run time"), P)
    assert (v.status, v.evidence) == (ERROR, "set at run time")
    assert j(iface(listen="127.0.0.1", loopback=True, undecidable="set at run time"), P).status == ERROR


def test_admin_encrypted():
    j = admin_encrypted.judge
    v = j(iface(plaintext=True, plaintext_paths=("line vty 0 4: telnet", "plain HTTP management on")), P)
    assert (v.status, v.evidence) == (FAIL, "line vty 0 4: telnet; plain HTTP management on")
    assert j(iface(plaintext=True), P).evidence == "plaintext API"
    assert j(iface(), P).status == PASS
    assert j(iface(plaintext=True, loopback=True), P).status == PASS
    assert j(iface(undecidable="unknown"), P).status == ERROR


def test_address_limits():
    for ctl in (admin_login_limited, endpoint_limited):
        assert ctl.judge(AddressLimit(subject="u", holder="u"), P).status == FAIL
        v = ctl.judge(AddressLimit(subject="u", holder="u", limit="permit 0.0.0.0/0", open="permit opens every address"), P)
        assert (v.status, v.evidence) == (FAIL, "permit opens every address")
        v = ctl.judge(AddressLimit(subject="u", holder="u", limit="deny all; permit 10.0.0.0/8"), P)
        assert (v.status, v.evidence) == (PASS, "deny all; permit 10.0.0.0/8")


def test_flood_protection():
    j = flood_protection.judge
    v = j(RateLimit(subject="routing", limiters=("pike",), checks=("pike_check_req",)), P)
    assert (v.status, v.evidence) == (PASS, "pike with pike_check_req")
    assert j(RateLimit(subject="routing", limiters=("pike",)), P).status == FAIL  # loaded, never called
    assert j(RateLimit(subject="routing", checks=("rl_check",)), P).status == FAIL
    assert j(RateLimit(subject="routing"), P).status == FAIL


def test_version_banner():
    j = no_version_banner.judge
    v = j(Banner(subject="sip udp/5060", header="Server", text="kamailio (5.6.3)"), P)
    assert (v.status, v.evidence) == (FAIL, "Server: kamailio (5.6.3)")
    assert j(Banner(subject="s", header="Server", text="PBX"), P).status == PASS
    assert j(Banner(subject="s", header="Server"), P).evidence == "Server: (none)"


def test_reachability_from_the_data_network():
    j = not_reachable_from_data.judge
    v = j(Reachability(subject="10.0.0.1", vantage="data", data_network=True, reached=("sip udp/5060",)), P)
    assert (v.status, v.evidence) == (FAIL, "reachable from the data network: sip udp/5060")
    assert j(Reachability(subject="10.0.0.1", vantage="guest", data_network=True), P).status == PASS
    assert j(Reachability(subject="10.0.0.1", vantage="voice", data_network=False, reached=("x",)), P).status == NA


def test_controls_are_written_once_with_the_citations_they_replace(registry):
    want = {
        "ACC-ADMIN-101": ({"164.312(a)(1)", "164.312(e)(1)", "NPRM-segmentation", "NPRM-mfa"}, "high",
                          {"asterisk": ["AST-AMI-101", "AST-HTTP-101", "AST-ARI-101"], "freeswitch": ["FS-ESL-101"]}),
        "ACC-ADMIN-102": ({"164.312(e)(1)", "164.312(d)"}, "high", {"switch": ["SW-MGT-101"]}),
        "ACC-ADMIN-103": ({"164.312(a)(1)", "NPRM-mfa"}, "high", {"asterisk": ["AST-AMI-103"]}),
        "ACC-NET-101": ({"164.312(a)(1)", "NPRM-segmentation"}, "medium", {"asterisk": ["AST-ACC-101"]}),
        "ACC-NET-102": ({"164.308(a)(5)(ii)(C)", "164.312(a)(1)"}, "medium",
                        {"kamailio": ["KAM-ACC-102"], "opensips": ["KAM-ACC-102"]}),
        "ACC-NET-103": ({"164.308(a)(1)(ii)(B)"}, "low", {"sip": ["SIP-NET-102"]}),
        "ACC-NET-104": ({"164.312(a)(1)", "164.312(e)(1)", "NPRM-segmentation"}, "high",
                        {"sip": ["SIP-NET-107"], "tls": ["SIP-NET-107"]}),
    }
    for cid, (hipaa, severity, aliases) in want.items():
        m = registry.get(cid).meta
        assert (set(m.hipaa), m.severity, m.aliases) == (hipaa, Severity(severity), aliases), cid


# -- one weakness, one verdict, whatever the platform ----------------------------------------------

def _statuses(registry, cid, facts) -> set[Status]:
    return {o.status for o in registry.get(cid)(facts)}


def test_admin_interface_on_every_interface_in_plaintext_on_the_network(tree, tmp_path, registry):
    """AMI, the HTTP server, ARI and the event socket listening in clear on every interface: FAIL, each
    with its own fix; on loopback: PASS."""
    ast = tree({"manager.conf": "[general]\nenabled=yes\nbindaddr=0.0.0.0\n",
                "http.conf": "[general]\nenabled=yes\nbindaddr=0.0.0.0\n", "ari.conf": "[general]\nenabled=yes\n"})
    out = {o.resource: (o.status, o.fix) for o in registry.get("ACC-ADMIN-101")(ast)}
    assert out == {"manager.conf [general]": (FAIL, ["[general]", "bindaddr=127.0.0.1"]),
                   "http.conf [general]": (FAIL, ["[general]", "bindaddr=127.0.0.1", "tlsenable=yes",
                                                  "tlsbindaddr=0.0.0.0:8089"]),
                   "ari.conf [general]": (FAIL, ["; http.conf", "bindaddr=127.0.0.1", "tlsenable=yes"])}

    def esl(ip: str):
        return collect_freeswitch_tree(write_tree(tmp_path / ip.replace(":", "_"), {
            "freeswitch.xml": '<?xml version="1.0"?>\n<document type="freeswitch/xml">\n<section name="configuration">\n'
                              '<X-PRE-PROCESS cmd="include" data="autoload_configs/*.xml"/>\n</section>\n</document>\n',
            "autoload_configs/event_socket.conf.xml":
                f'<configuration name="event_socket.conf"><settings><param name="listen-ip" value="{ip}"/>'
                '<param name="password" value="Zr7Qw2Lx9Vb4Nk8Tc1Mp"/></settings></configuration>\n'}))

    fs = registry.get("ACC-ADMIN-101")(esl("0.0.0.0"))
    assert [(o.resource, o.status, o.evidence) for o in fs] == [
        ("event_socket", FAIL, "plaintext event socket listening on 0.0.0.0 with no inbound ACL")]
    assert _statuses(registry, "ACC-ADMIN-101", esl("127.0.0.1")) == {PASS}
    local = tree({"manager.conf": "[general]\nenabled=yes\nbindaddr=127.0.0.1\n",
                  "http.conf": "[general]\nenabled=yes\nbindaddr=127.0.0.1\n", "ari.conf": "[general]\nenabled=yes\n"})
    assert _statuses(registry, "ACC-ADMIN-101", local) == {PASS}


def test_flood_protection_on_kamailio_and_opensips(tmp_path, registry):
    routed = 'loadmodule "pike.so"\n\nrequest_route {\n\tif (!pike_check_req()) { exit; }\n}\n'
    bare = 'loadmodule "tm.so"\n\nrequest_route {\n\tt_relay();\n}\n'
    for name, text, expected in (("routed", routed, PASS), ("bare", bare, FAIL)):
        kam = collect_kamailio_tree(write_tree(tmp_path / f"k-{name}", {"kamailio.cfg": text}))
        ops = collect_opensips_tree(write_tree(tmp_path / f"o-{name}", {"opensips.cfg": text.replace(
            "request_route", "route")}))
        assert (kam.platform, ops.platform) == ("kamailio", "opensips")
        assert _statuses(registry, "ACC-NET-102", kam) == _statuses(registry, "ACC-NET-102", ops) == {expected}, name


def test_data_network_reachability_on_sip_and_tls_targets(registry):
    def both(vantage: str):
        sip = SipFacts(address="10.0.0.5", vantage=vantage,
                       transports=[SipTransportProbe(transport="udp", port=5060, state="answered")])
        tls = TlsEndpointFacts(address="10.0.0.5", vantage=vantage,
                               tls=[TlsScan(endpoint="10.0.0.5:443", purpose="https-admin", completed=True)])
        return _statuses(registry, "ACC-NET-104", sip), _statuses(registry, "ACC-NET-104", tls)

    assert both("data") == ({FAIL}, {FAIL})
    assert both("voice") == ({NA}, {NA})
    assert both("") == ({NA}, {NA})  # the inventory does not say where the scanner sits


def test_flood_protection_in_a_script_not_read_is_unknown_never_a_fail_or_a_pass():
    v = flood_protection.judge(RateLimit(subject="routing", limiters=("pike",),
                                         undecidable="routing is the KEMI script kamailio.py"), P)
    assert v.status == Status.ERROR and "KEMI" in v.evidence
