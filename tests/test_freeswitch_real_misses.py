"""Silent misses found by auditing real public FreeSWITCH trees (tests/real_trees/hyavari-freeswitch-conf,
webitel-docker-freeswitch, fs-kam-pbx-freeswitch), each held here on a small tree in general form.

* sofia.c (``sofia_handle_sip_i_invite``): with ``auth-calls=true`` an address the profile's
  ``apply-inbound-acl`` allows is "Approved by acl ... Access Granted" before any digest challenge, so
  a list that lets every address in (an allow node on a /0 network, an allow-all built-in) means calls
  without credentials from anywhere, whatever auth-calls says.
* ``switch_network_list``: the most specific node decides, so an allow node on 0.0.0.0/0 is the list's
  real default, whatever ``default="deny"`` says.
* mod_amqp (``mod_amqp_utils.c``) publishes channel events to a broker and runs commands taken from
  it: when it loads, its configuration is a gap of the remote-control part, never a silent note.
* mod_logfile's profiles write nothing when the module is not loaded.
* The vanilla dialplan sets ``rtp_secure_media=true`` only when ``${rtp_has_crypto}`` (the caller
  already offered SRTP): that is not SRTP required of every call, so the directory decides.
"""
from __future__ import annotations

import time
from pathlib import Path

import msgspec
import pytest

from tests.conftest import write_tree
from tests.test_freeswitch_layouts import audit
from voxaudit.facts.freeswitch import MAX_PARSED_DOMAINS, build_freeswitch_facts

CANARY = "Canary-Amqp-7c1"


def _tree(tmp_path: Path, configuration: str, directory: str = "", dialplan: str = "") -> Path:
    doc = f"""<document type="freeswitch/xml">
<section name="configuration">
{configuration}
</section>
{f'<section name="directory">{directory}</section>' if directory else ''}
{f'<section name="dialplan">{dialplan}</section>' if dialplan else ''}
</document>
"""
    return write_tree(tmp_path, {"freeswitch.xml": doc})


def _profile(auth_calls: str, acls: list[str]) -> str:
    params = "".join(f'<param name="apply-inbound-acl" value="{a}"/>' for a in acls)
    return f"""<configuration name="sofia.conf"><profiles><profile name="internal"><settings>
<param name="sip-ip" value="192.0.2.10"/><param name="auth-calls" value="{auth_calls}"/>{params}
</settings></profile></profiles></configuration>"""


ACL = """<configuration name="acl.conf"><network-lists>
<list name="domains" default="deny"><node type="allow" domain="example.org"/>{extra}</list>
</network-lists></configuration>"""


@pytest.mark.parametrize(("auth_calls", "acls", "extra", "expected"), [
    # hyavari-freeswitch-conf: auth-calls on, "domains" list with an allow node on 0.0.0.0/0
    ("true", ["domains"], '<node type="allow" cidr="0.0.0.0/0"/>', "FAIL"),
    ("true", ["domains"], "", "PASS"),                                   # vanilla: only users' cidr
    ("true", ["wan.auto"], "", "FAIL"),                                  # the allow-all built-in
    ("true", ["domains:trusted:public"], '<node type="allow" cidr="::/0"/>', "FAIL"),  # list:pass:fail
    ("true", ["wan.auto", "none", "domains"], "", "PASS"),              # "none" clears the lists before it
    ("true", ["domains"], '<node type="allow" cidr="0.0.0.0/0"/><node type="deny" cidr="198.51.100.0/24"/>',
     "PASS"),                                                            # a deny node: a limit, as before
    ("false", ["domains"], '<node type="allow" cidr="0.0.0.0/0"/>', "FAIL"),  # auth off, list open: as before
    ("false", ["domains"], "", "PASS"),                                  # auth off, trusted list: as before
    ("false", ["domains:trusted:public"], "", "FAIL"),                   # rejected calls go to "public"
    ("false", ["domains:trusted"], "", "PASS"),                          # no fail context: rejected with 403
])
def test_auth_calls_is_bypassed_by_an_inbound_acl_that_lets_every_address_in(
        tmp_path, registry, auth_calls, acls, extra, expected):
    tree = _tree(tmp_path, _profile(auth_calls, acls) + ACL.format(extra=extra))
    _, res = audit(tree, registry)
    assert res["FS-ACC-101"] == {"sofia profile internal": expected}


@pytest.mark.parametrize(("blind", "expected"), [("true", "FAIL"), ("false", "PASS")])
def test_accept_blind_auth_takes_calls_without_a_password(tmp_path, registry, blind, expected):
    """sofia.c: auth-calls on and accept-blind-auth on: is_auth++ without looking at a password."""
    sofia = _profile("true", []).replace("</settings>", f'<param name="accept-blind-auth" value="{blind}"/></settings>')
    _, res = audit(_tree(tmp_path, sofia), registry)
    assert res["FS-ACC-101"] == {"sofia profile internal": expected}


def test_event_socket_acl_with_an_allow_everything_node_is_no_limit(tmp_path, registry):
    esl = """<configuration name="event_socket.conf"><settings>
<param name="listen-ip" value="0.0.0.0"/><param name="password" value="x"/>
<param name="apply-inbound-acl" value="lan"/></settings></configuration>
<configuration name="acl.conf"><network-lists>
<list name="lan" default="deny"><node type="allow" cidr="0.0.0.0/0"/></list></network-lists></configuration>"""
    _, res = audit(_tree(tmp_path, esl), registry)
    assert res["FS-ESL-101"] == {"event_socket": "FAIL"}


AMQP = f"""<configuration name="amqp.conf"><producers><profile name="p"><connections>
<connection name="primary"><param name="hostname" value="rabbit"/><param name="password" value="{CANARY}"/>
</connection></connections></profile></producers></configuration>
<configuration name="event_socket.conf"><settings><param name="listen-ip" value="127.0.0.1"/>
</settings></configuration>"""


def test_amqp_conf_is_a_gap_when_mod_amqp_loads(tmp_path, registry):
    modules = '<configuration name="modules.conf"><modules><load module="mod_amqp"/></modules></configuration>'
    tree = _tree(tmp_path, modules + AMQP)
    facts = build_freeswitch_facts(tree)
    gaps = [p for p in facts.configs["event_socket.conf.xml"].problems if p.is_gap]
    assert any("amqp.conf" in p.message for p in gaps)
    everything = " ".join(p.message for cf in facts.configs.values() for p in cf.problems)
    assert CANARY not in everything
    _, res = audit(tree, registry)
    assert res["FS-ESL-101"]["event_socket"] == "PASS"
    assert any(status == "ERROR" for status in res["FS-ESL-101"].values())  # coverage drops, visibly


def test_amqp_conf_without_mod_amqp_is_only_a_note(tmp_path):
    modules = '<configuration name="modules.conf"><modules><load module="mod_sofia"/></modules></configuration>'
    facts = build_freeswitch_facts(_tree(tmp_path, modules + AMQP))
    assert not [p for p in facts.configs["event_socket.conf.xml"].problems if p.is_gap]


LOGFILE = """<configuration name="logfile.conf"><profiles><profile name="default"><settings>
<param name="logfile" value="/var/log/freeswitch/freeswitch.log"/></settings>
<mappings><map name="all" value="debug,info,notice,warning,err,crit,alert"/></mappings>
</profile></profiles></configuration>"""


@pytest.mark.parametrize(("module", "expected"), [("mod_logfile", "PASS"), ("mod_console", "FAIL")])
def test_logfile_profiles_write_only_when_mod_logfile_loads(tmp_path, registry, module, expected):
    modules = f'<configuration name="modules.conf"><modules><load module="{module}"/></modules></configuration>'
    _, res = audit(_tree(tmp_path, modules + LOGFILE), registry)
    assert res["FS-LOG-102"] == {"logfile profile default": expected}


USER = """<domain name="example.org"><groups><group name="default"><users>
<user id="1000"><params><param name="password" value="Xq9-long-random-pass"/></params></user>
</users></group></groups></domain>"""
ONLY_WHEN_OFFERED = """<context name="default"><extension name="global" continue="true">
<condition field="${rtp_has_crypto}" expression="^(AES_CM_128_HMAC_SHA1_80)$" break="never">
<action application="set" data="rtp_secure_media=true"/></condition></extension></context>"""
ALWAYS = """<context name="default"><extension name="srtp" continue="true">
<condition field="destination_number" expression="^(\\d+)$">
<action application="set" data="rtp_secure_media=mandatory"/></condition></extension></context>"""


@pytest.mark.parametrize(("dialplan", "expected"), [
    ("", "FAIL"),
    (ONLY_WHEN_OFFERED, "FAIL"),   # the vanilla "global" extension: SRTP kept only for callers offering it
    (ALWAYS, "ERROR"),             # set per call under conditions the audit does not evaluate
])
def test_dialplan_srtp_only_for_callers_offering_it_leaves_the_directory_to_decide(
        tmp_path, registry, dialplan, expected):
    _, res = audit(_tree(tmp_path, "", directory=USER, dialplan=dialplan), registry)
    assert set(res["FS-SRTP-101"].values()) == {expected}


# -- mod_event_socket without its configuration (tests/real_trees/hyavari-freeswitch-conf) ------------

ESL_LOADED = '<configuration name="modules.conf"><modules><load module="mod_event_socket"/></modules></configuration>'


def test_event_socket_loaded_without_configuration_runs_on_its_defaults(tmp_path, registry):
    """mod_event_socket config(): no event_socket.conf is an error in the log, then 127.0.0.1:8021 with
    the password ClueCon and loopback.auto; never 'not configured'."""
    _, res = audit(_tree(tmp_path, ESL_LOADED), registry)
    assert res["FS-ESL-101"] == {"event_socket": "PASS"}
    assert res["FS-ESL-102"] == {"event socket (mod_event_socket defaults)": "FAIL"}


def test_event_socket_without_a_password_uses_cluecon(tmp_path, registry):
    esl = """<configuration name="event_socket.conf"><settings><param name="listen-ip" value="127.0.0.1"/>
<param name="password" value=""/></settings></configuration>"""
    _, res = audit(_tree(tmp_path, ESL_LOADED + esl), registry)
    assert res["FS-ESL-102"] == {"event socket event_socket.conf.xml": "FAIL"}


def test_event_socket_missing_from_an_overlay_tree_is_not_assessed(tmp_path, registry):
    """No freeswitch.xml: the packaged tree's own event_socket.conf.xml may be on the host."""
    tree = write_tree(tmp_path, {"autoload_configs/modules.conf.xml": ESL_LOADED})
    _, res = audit(tree, registry)
    assert set(res["FS-ESL-101"].values()) == {"ERROR"}
    assert set(res["FS-ESL-102"].values()) == {"ERROR"}


def test_event_socket_missing_while_configuration_is_served_at_run_time_is_not_assessed(tmp_path, registry):
    curl = """<configuration name="xml_curl.conf"><bindings><binding name="all">
<param name="gateway-url" value="http://127.0.0.1/fs" bindings="configuration"/></binding></bindings></configuration>"""
    modules = ('<configuration name="modules.conf"><modules><load module="mod_event_socket"/>'
               '<load module="mod_xml_curl"/></modules></configuration>')
    _, res = audit(_tree(tmp_path, modules + curl), registry)
    assert "PASS" not in res["FS-ESL-101"].values() and "ERROR" in res["FS-ESL-101"].values()
    assert "FAIL" not in res["FS-ESL-102"].values() and "ERROR" in res["FS-ESL-102"].values()


def test_event_socket_not_loaded_and_not_configured_is_not_applicable(tmp_path, registry):
    modules = '<configuration name="modules.conf"><modules><load module="mod_sofia"/></modules></configuration>'
    _, res = audit(_tree(tmp_path, modules), registry)
    assert res["FS-ESL-101"] == {"(target)": "NOT_APPLICABLE"}


# -- gateways of directory users (tests/real_trees/fs-kam-pbx-freeswitch) ------------------------------

DIR_GATEWAY = """<domain name="example.org"><groups><group name="default"><users>
<user id="trunk"><gateways><gateway name="carrier"><param name="proxy" value="sip.carrier.example"/>
<param name="password" value="{canary}"/></gateway></gateways></user>
</users></group></groups></domain>""".format(canary=CANARY)


@pytest.mark.parametrize(("domain", "found"), [
    ('<domain name="all" alias="true" parse="true"/>', True),
    ('<domain name="EXAMPLE.org" parse="true"/>', True),
    ('<domain name="all" alias="true" parse="false"/>', False),   # the vanilla internal profile
    ('<domain name="other.example" parse="true"/>', False),
])
def test_gateways_of_directory_users_load_when_a_profile_parses_the_domain(tmp_path, domain, found):
    sofia = f"""<configuration name="sofia.conf"><profiles><profile name="internal">
<domains>{domain}</domains><settings><param name="sip-ip" value="192.0.2.10"/></settings>
</profile></profiles></configuration>"""
    facts = build_freeswitch_facts(_tree(tmp_path, sofia, directory=DIR_GATEWAY))
    gw = facts.named("sofia.gateway", "carrier")
    assert (gw is not None) == found
    if found:
        assert gw.get("profile") == "internal" and gw.get("proxy") == "sip.carrier.example"
        assert gw.source.line > 0 and gw.secrets["password"].present
    assert CANARY not in msgspec.json.encode(facts).decode()


def test_directory_gateways_stay_linear_with_many_parsing_profiles(tmp_path):
    profiles = "".join(f'<profile name="p{i}"><domains><domain name="all" parse="true"/></domains>'
                       f'<settings/></profile>' for i in range(2000))
    users = "".join(f'<user id="u{i}"><gateways><gateway name="g{i}"><param name="proxy" value="h{i}.example"/>'
                    f'</gateway></gateways></user>' for i in range(2000))
    sofia = f'<configuration name="sofia.conf"><profiles>{profiles}</profiles></configuration>'
    directory = f'<domain name="example.org"><groups><group name="g"><users>{users}</users></group></groups></domain>'
    start = time.monotonic()
    facts = build_freeswitch_facts(_tree(tmp_path, sofia, directory=directory))
    assert time.monotonic() - start < 10.0
    assert len(facts.of_kind("sofia.gateway")) == MAX_PARSED_DOMAINS * 2000
    assert any(p.is_gap and "parse" in p.message for p in facts.configs["sofia"].problems)


# -- ws-binding beside tls-only (sofia.c: NUTAG_WS_URL is added whatever tls-only says) -----------------

@pytest.mark.parametrize(("sip_ip", "ws", "expected"), [
    ("192.0.2.10", "", "PASS"),                      # TLS only, no WebSocket
    ("192.0.2.10", ":5066", "FAIL"),                 # the vanilla ws-binding: plain WS on sip-ip
    ("192.0.2.10", "127.0.0.1:5066", "PASS"),        # plain WS on loopback only
    ("127.0.0.1", ":5066", "PASS"),                  # everything on loopback
    ("127.0.0.1", "0.0.0.0:5066", "FAIL"),           # loopback SIP, plain WS on every address
    ("192.0.2.10", "192.0.2.10", "PASS"),            # no port: atol() is 0, no WS listener
    ("192.0.2.10", "$${local_ip_v4}:5066", "FAIL"),  # the host's own address
])
def test_plain_websocket_binding_is_plaintext_signalling(tmp_path, registry, sip_ip, ws, expected):
    ws_param = f'<param name="ws-binding" value="{ws}"/>' if ws else ""
    sofia = f"""<configuration name="sofia.conf"><profiles><profile name="internal"><settings>
<param name="sip-ip" value="{sip_ip}"/><param name="tls" value="true"/><param name="tls-only" value="true"/>
<param name="wss-binding" value=":7443"/>{ws_param}</settings></profile></profiles></configuration>"""
    _, res = audit(_tree(tmp_path, sofia), registry)
    assert res["FS-TLS-101"] == {"sofia profile internal": expected}


# -- wss-binding: a TLS listener none of the profile's TLS params reach (sofia-sip tport_type_ws.c) -----

def test_wss_binding_is_a_tls_listener_with_sofia_sips_own_policy(tmp_path, registry):
    """The vanilla internal profile: tls=false, wss-binding :7443. Not 'no TLS': a WSS listener whose
    suites are sofia-sip's fixed HIGH list (static RSA, CBC) and whose lowest version the host decides."""
    sofia = """<configuration name="sofia.conf"><profiles><profile name="internal"><settings>
<param name="sip-ip" value="192.0.2.10"/><param name="tls" value="false"/>
<param name="tls-version" value="tlsv1.2"/><param name="wss-binding" value=":7443"/>
</settings></profile></profiles></configuration>"""
    _, res = audit(_tree(tmp_path, sofia), registry)
    assert res["FS-TLS-102"] == {"sofia profile internal wss-binding": "ERROR"}
    assert res["ENC-TLS-109"] == {"sofia profile internal wss-binding": "FAIL"}   # static-RSA suites in HIGH
    assert res["ENC-TLS-108"] == {"sofia profile internal wss-binding": "FAIL"}
    assert res["FS-TLS-103"] == {"(target)": "NOT_APPLICABLE"}                     # no client side


def test_no_wss_binding_no_tls_is_not_applicable(tmp_path, registry):
    sofia = """<configuration name="sofia.conf"><profiles><profile name="internal"><settings>
<param name="sip-ip" value="192.0.2.10"/><param name="wss-binding" value="192.0.2.10"/>
</settings></profile></profiles></configuration>"""                               # no port: no listener
    _, res = audit(_tree(tmp_path, sofia), registry)
    assert res["FS-TLS-102"] == {"(target)": "NOT_APPLICABLE"}
    assert res["ENC-TLS-108"] == {"(target)": "NOT_APPLICABLE"}
