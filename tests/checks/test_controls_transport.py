"""ENC-SIG-101/102, ENC-MEDIA-101..103: encryption in transit of signalling and media, judged on
hand-built records, and the same weakness judged alike on every platform bound to a control
(configuration read from real config text, and the wire as probes and captures saw it)."""
from __future__ import annotations

from typing import Optional

from tests.checks.test_freeswitch import HARDENED
from tests.conftest import write_tree
from voxaudit.checks.transport import keys_protected, media_encrypted, media_mandatory, no_plaintext_signalling, tls_enabled
from voxaudit.collectors.offline import (
    collect_asterisk_tree,
    collect_freeswitch_tree,
    collect_kamailio_tree,
    collect_opensips_tree,
    collect_phone_files,
)
from voxaudit.control import Params
from voxaudit.facts.network import PacketFacts, RtpStream, SdpFacts, SipFacts, SipResponse, SipTransportProbe
from voxaudit.model import Severity, Status
from voxaudit.records.transport import KeyExchange, MediaPolicy, SignallingPath, TlsSupport

FAIL, PASS, NA, ERROR = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE, Status.ERROR
P = Params({})
E1 = {"164.312(e)(1)", "164.312(e)(2)(ii)"}


# -- the judges, branch by branch ------------------------------------------------------------------

def test_no_plaintext_signalling():
    j = no_plaintext_signalling.judge
    v = j(SignallingPath(subject="t", plaintext=False, setting="protocol=tls"), P)
    assert (v.status, v.evidence) == (PASS, "protocol=tls")
    v = j(SignallingPath(subject="t", plaintext=True, loopback=True, setting="udp listener on 127.0.0.1"), P)
    assert (v.status, v.evidence) == (PASS, "udp listener on 127.0.0.1: reachable from this host only (loopback)")
    v = j(SignallingPath(subject="t", plaintext=True, setting="udp listener on 10.0.0.1"), P)
    assert (v.status, v.evidence) == (FAIL, "plaintext SIP: udp listener on 10.0.0.1")
    v = j(SignallingPath(subject="t", plaintext=True, setting="", undecidable="tls is $${x}; not assessed"), P)
    assert (v.status, v.evidence) == (ERROR, "tls is $${x}; not assessed")
    observed = SignallingPath(subject="sip udp/5060", observed=True, plaintext=True, setting="udp/5060 answers")
    assert j(observed, P).status == FAIL


def test_tls_enabled():
    j = tls_enabled.judge
    assert j(TlsSupport(subject="k", enabled=True, setting="proto_tls loaded"), P) .evidence == "proto_tls loaded"
    v = j(TlsSupport(subject="k", enabled=False, setting="proto_tls missing"), P)
    assert (v.status, v.evidence) == (FAIL, "TLS not enabled (proto_tls missing)")


def test_media_encrypted_and_mandatory():
    enc, mand = media_encrypted.judge, media_mandatory.judge
    plain = MediaPolicy(subject="e", encrypted=False, setting="media_encryption=no")
    optional = MediaPolicy(subject="e", encrypted=True, fallback=True, setting="SRTP optional")
    required = MediaPolicy(subject="e", encrypted=True, setting="SRTP mandatory")
    hidden = MediaPolicy(subject="e", encrypted=False, setting="", undecidable="set in the dialplan")
    assert (enc(plain, P).status, enc(plain, P).evidence) == (FAIL, "media_encryption=no: call audio is unencrypted RTP")
    assert enc(optional, P).status == enc(required, P).status == PASS
    assert enc(hidden, P).status == ERROR and enc(hidden, P).evidence == "set in the dialplan"
    assert mand(plain, P).status == NA  # nothing to enforce: ENC-MEDIA-101 fails it
    assert (mand(optional, P).status, mand(optional, P).evidence) == (FAIL, "SRTP optional: falls back to plain RTP")
    assert mand(required, P).status == PASS
    assert mand(hidden, P).status == ERROR


def test_keys_protected():
    j = keys_protected.judge
    assert j(KeyExchange(subject="e", exposed=False, setting="SDES over TLS only"), P).status == PASS
    v = j(KeyExchange(subject="e", exposed=True, setting="SDES endpoint is pinned to plaintext transport(s) udp"), P)
    assert v.status == FAIL and v.evidence.endswith("keys sent in clear, the media is decryptable")


def test_controls_are_written_once_with_the_citations_they_replace(registry):
    want = {
        "ENC-SIG-101": (E1 | {"NPRM-segmentation"}, "high", {
            "asterisk": ["AST-TLS-101", "AST-TLS-105", "AST-SIP-101"], "freeswitch": ["FS-TLS-101"],
            "kamailio": ["KAM-TLS-101"], "opensips": ["KAM-TLS-101"], "phone": ["PHONE-TLS-101"],
            "sip": ["SIP-NET-101"], "pcap": ["PCAP-102"]}),
        "ENC-SIG-102": (E1, "high", {"kamailio": ["KAM-TLS-102"], "opensips": ["KAM-TLS-102"]}),
        "ENC-MEDIA-101": (E1, "high", {"asterisk": ["AST-SRTP-101", "AST-SIP-102"], "freeswitch": ["FS-SRTP-101"],
                                       "phone": ["PHONE-SRTP-101"], "sip": ["SIP-NET-106"], "pcap": ["PCAP-101"]}),
        "ENC-MEDIA-102": (E1, "high", {"asterisk": ["AST-SRTP-102"], "freeswitch": ["FS-SRTP-101"],
                                       "phone": ["PHONE-SRTP-101"]}),
        "ENC-MEDIA-103": (E1, "high", {"asterisk": ["AST-SRTP-103"], "pcap": ["PCAP-102"]}),
    }
    for cid, (hipaa, severity, aliases) in want.items():
        m = registry.get(cid).meta
        assert (set(m.hipaa), m.severity) == (hipaa, Severity(severity)), cid
        assert {k: sorted(v) for k, v in m.aliases.items()} == {k: sorted(v) for k, v in aliases.items()}, cid


# -- one weakness, every platform ------------------------------------------------------------------

def _outcomes(registry, cid, facts) -> dict[str, tuple[Status, list[str]]]:
    return {o.resource: (o.status, o.fix) for o in registry.get(cid)(facts)}


def _asterisk(tmp_path, name: str, files: dict[str, str]):
    return collect_asterisk_tree(write_tree(tmp_path / name, files))


def _statuses(registry, cid, facts) -> set[Status]:
    return {o.status for o in registry.get(cid)(facts)}


def _freeswitch(tmp_path, name: str, profile: str = "", user_vars: Optional[str] = None):
    files = dict(HARDENED)
    files["vars.xml"] = HARDENED["vars.xml"].replace(  # a variable known only on the running host
        "</include>", '  <X-PRE-PROCESS cmd="env-set" data="tls_on=$TLS"/>\n</include>')
    if profile:
        files["sip_profiles/internal.xml"] = profile
    if user_vars is not None:
        files["directory/clinic.xml"] = files["directory/clinic.xml"].replace(
            '<variable name="rtp_secure_media" value="mandatory:AES_CM_128_HMAC_SHA1_80"/>', user_vars)
    return collect_freeswitch_tree(write_tree(tmp_path / name, files))


def _profile(ip: str, tls: str, tls_only: str) -> str:
    return (f'<profile name="internal">\n  <settings>\n    <param name="sip-ip" value="{ip}"/>\n'
            f'    <param name="tls" value="{tls}"/>\n    <param name="tls-only" value="{tls_only}"/>\n'
            '    <param name="auth-calls" value="true"/>\n  </settings>\n</profile>\n')


def test_plaintext_sip_on_the_network_fails_alike_everywhere(tree, tmp_path, registry):
    """A plaintext SIP listener on a routable address: FAIL on every platform, high, each with its fix;
    bound to loopback or TLS only: PASS."""
    ast = tree({"pjsip.conf": "[udp]\ntype=transport\nprotocol=udp\nbind=10.0.0.5:5060\n"
                              "[local]\ntype=transport\nprotocol=udp\nbind=127.0.0.1:5060\n"
                              "[tls]\ntype=transport\nprotocol=tls\nbind=10.0.0.5:5061\n"})
    assert _outcomes(registry, "ENC-SIG-101", ast) == {
        "transport udp": (FAIL, ["[udp]", "protocol=tls", "bind=0.0.0.0:5061", "method=tlsv1_2"]),
        "transport local": (PASS, []), "transport tls": (PASS, [])}
    chan_sip = _asterisk(tmp_path, "chan-sip", {"sip.conf": "[general]\nudpbindaddr=10.0.0.5\ntcpenable=yes\ntcpbindaddr=127.0.0.1\n"
                                 "[p]\ntype=peer\ntransport=udp,tls\nsecret=x\n"})
    assert _outcomes(registry, "ENC-SIG-101", chan_sip) == {
        "chan_sip udp listener": (FAIL, ["[general]", "udpbindaddr=127.0.0.1"]),
        "chan_sip tcp listener": (PASS, []), "sip peer p": (FAIL, ["[p]", "transport=tls"])}
    fs_plain = _freeswitch(tmp_path, "fs-plain", _profile("10.0.0.5", "true", "false"))
    assert _outcomes(registry, "ENC-SIG-101", fs_plain) == {
        "sofia profile internal": (FAIL, ['<param name="tls-only" value="true"/>'])}
    fs_off = _freeswitch(tmp_path, "fs-off", _profile("10.0.0.5", "false", "false"))
    assert _outcomes(registry, "ENC-SIG-101", fs_off)["sofia profile internal"][1] == [
        '<param name="tls" value="true"/>', '<param name="tls-only" value="true"/>']
    assert _statuses(registry, "ENC-SIG-101", _freeswitch(tmp_path, "fs-local", _profile("127.0.0.1", "false", "false"))) == {PASS}
    assert _statuses(registry, "ENC-SIG-101", _freeswitch(tmp_path, "fs-tls", _profile("10.0.0.5", "true", "true"))) == {PASS}
    fs_hidden = _freeswitch(tmp_path, "fs-hidden", _profile("10.0.0.5", "$${tls_on}", "true"))
    assert _statuses(registry, "ENC-SIG-101", fs_hidden) == {ERROR}
    # Kamailio opens a tls socket only with TLS switched on (enable_tls and tls.so: main.c, socket_info.c)
    for name, collect, cfg, key, tls_on in (
            ("k", collect_kamailio_tree, "kamailio.cfg", "listen", 'enable_tls=yes\nloadmodule "tls.so"\n'),
            ("o", collect_opensips_tree, "opensips.cfg", "socket", "")):
        facts = collect(write_tree(tmp_path / name, {cfg: f"{key}=udp:10.0.0.5:5060\n{key}=udp:127.0.0.1:5060\n"
                                                            f"{key}=tls:10.0.0.5:5061\n{tls_on}"}))
        assert _outcomes(registry, "ENC-SIG-101", facts) == {
            "listen udp:10.0.0.5:5060": (FAIL, ["listen=tls:10.0.0.5:5061"]),
            "listen udp:127.0.0.1:5060": (PASS, []), "listen tls:10.0.0.5:5061": (PASS, [])}, name
    phones = collect_phone_files(write_tree(tmp_path / "phones", {"805ec0aa0001.cfg": (
        "#!version:1.0.0.1\naccount.1.enable = 1\naccount.1.user_name = 201\n"
        "account.1.sip_server.1.address = pbx.clinic.example\naccount.1.sip_server.1.transport_type = 0\n")}))
    assert _outcomes(registry, "ENC-SIG-101", phones) == {
        "805ec0aa0001.cfg line 1": (FAIL, ["account.1.sip_server.1.transport_type -> TLS"])}
    probe = SipFacts(address="10.0.0.5", transports=[
        SipTransportProbe(transport="udp", port=5060, state="answered", options=SipResponse(status=200)),
        SipTransportProbe(transport="tcp", port=5060, state="closed", detail="refused"),
        SipTransportProbe(transport="tcp", port=5080, state="no-answer", detail="no answer")])
    out = {o.resource: o for o in registry.get("ENC-SIG-101")(probe)}
    assert {k: o.status for k, o in out.items()} == {"sip udp/5060": FAIL, "sip tcp/5060": PASS, "sip tcp/5080": ERROR}
    assert out["sip udp/5060"].fix == ["close udp/5060 or bind it to loopback; use TLS on 5061"]
    capture = PacketFacts(source="c.pcap", sip_in_clear={"INVITE": 3})
    assert _outcomes(registry, "ENC-SIG-101", capture) == {"c.pcap": (FAIL, ["SIP over TLS"])}
    assert registry.get("ENC-SIG-101").meta.severity == Severity.HIGH  # one severity, whatever the platform


def test_tls_support_on_kamailio_and_opensips(tmp_path, registry):
    kam_on = collect_kamailio_tree(write_tree(tmp_path / "k-on", {"kamailio.cfg": 'enable_tls=yes\nloadmodule "tls.so"\n'}))
    kam_off = collect_kamailio_tree(write_tree(tmp_path / "k-off", {"kamailio.cfg": 'loadmodule "tls.so"\n'}))
    ops_on = collect_opensips_tree(write_tree(tmp_path / "o-on", {"opensips.cfg": 'loadmodule "proto_tls.so"\n'}))
    ops_off = collect_opensips_tree(write_tree(tmp_path / "o-off", {"opensips.cfg": 'loadmodule "tm.so"\n'}))
    assert _statuses(registry, "ENC-SIG-102", kam_on) == _statuses(registry, "ENC-SIG-102", ops_on) == {PASS}
    assert [o.fix for o in registry.get("ENC-SIG-102")(kam_off)] == [["#!define WITH_TLS"]]
    assert [o.fix for o in registry.get("ENC-SIG-102")(ops_off)] == [['loadmodule "proto_tls.so"']]
    assert _statuses(registry, "ENC-SIG-102", kam_off) == _statuses(registry, "ENC-SIG-102", ops_off) == {FAIL}


def test_plain_rtp_fails_alike_everywhere(tree, tmp_path, registry):
    """Media left unencrypted: FAIL on the PBXes, phones, an SDP offer and a capture alike."""
    ast = tree({"pjsip.conf": "[200]\ntype=endpoint\n[201]\ntype=endpoint\nmedia_encryption=dtls\n"})
    assert _outcomes(registry, "ENC-MEDIA-101", ast) == {"endpoint 200": (FAIL, ["[200]", "media_encryption=sdes"]),
                                                         "endpoint 201": (PASS, [])}
    chan_sip = _asterisk(tmp_path, "chan-sip", {"sip.conf": "[general]\n[p]\ntype=peer\nsecret=x\n[q]\ntype=peer\nsecret=y\nencryption=yes\n"})
    assert _outcomes(registry, "ENC-MEDIA-101", chan_sip) == {"sip peer p": (FAIL, ["[p]", "encryption=yes"]),
                                                              "sip peer q": (PASS, [])}
    fs = _freeswitch(tmp_path, "fs", user_vars="")
    assert _outcomes(registry, "ENC-MEDIA-101", fs) == {
        u: (FAIL, ['<variable name="rtp_secure_media" value="mandatory"/>']) for u in ("user 2001", "user 2002")}
    assert _statuses(registry, "ENC-MEDIA-101", _freeswitch(tmp_path, "fs-good")) == {PASS}
    phones = collect_phone_files(write_tree(tmp_path / "phones", {"805ec0aa0001.cfg": (
        "#!version:1.0.0.1\naccount.1.enable = 1\naccount.1.user_name = 201\n"
        "account.1.sip_server.1.address = pbx.clinic.example\naccount.1.srtp_encryption = 0\n")}))
    assert _outcomes(registry, "ENC-MEDIA-101", phones) == {
        "805ec0aa0001.cfg line 1": (FAIL, ["account.1.srtp_encryption -> mandatory"])}
    offer = SipFacts(address="10.0.0.5", transports=[SipTransportProbe(
        transport="udp", port=5060, state="answered",
        options=SipResponse(status=200, sdp=SdpFacts(media_protocols=["RTP/AVP"])))])
    assert _outcomes(registry, "ENC-MEDIA-101", offer) == {"sip udp/5060": (FAIL, ["offer RTP/SAVP only"])}
    stream = PacketFacts(source="c.pcap", streams=[
        RtpStream(src="a:1", dst="b:2", ssrc="1", packets=9, payload_type=0, kind="rtp", basis="sdp"),
        RtpStream(src="a:3", dst="b:4", ssrc="2", packets=9, payload_type=0, kind="srtp", basis="sdp")])
    assert {k: s for k, (s, _) in _outcomes(registry, "ENC-MEDIA-101", stream).items()} == {
        "stream a:1 -> b:2 ssrc 1": FAIL, "stream a:3 -> b:4 ssrc 2": PASS}


def test_srtp_that_falls_back_fails_alike_everywhere(tree, tmp_path, registry):
    ast = tree({"pjsip.conf": "[200]\ntype=endpoint\nmedia_encryption=sdes\nmedia_encryption_optimistic=yes\n"
                              "[201]\ntype=endpoint\nmedia_encryption=sdes\n[202]\ntype=endpoint\n"})
    assert _outcomes(registry, "ENC-MEDIA-102", ast) == {
        "endpoint 200": (FAIL, ["[200]", "media_encryption_optimistic=no"]), "endpoint 201": (PASS, [])}
    fs = _freeswitch(tmp_path, "fs", user_vars='<variable name="rtp_secure_media" value="optional"/>')
    assert {o.status for o in registry.get("ENC-MEDIA-102")(fs)} == {FAIL}
    assert {o.status for o in registry.get("ENC-MEDIA-101")(fs)} == {PASS}  # SRTP is offered
    phones = collect_phone_files(write_tree(tmp_path / "phones", {"805ec0aa0001.cfg": (
        "#!version:1.0.0.1\naccount.1.enable = 1\naccount.1.user_name = 201\n"
        "account.1.sip_server.1.address = pbx.clinic.example\naccount.1.srtp_encryption = 1\n")}))
    assert _statuses(registry, "ENC-MEDIA-102", phones) == {FAIL}
    assert _statuses(registry, "ENC-MEDIA-101", phones) == {PASS}
    assert registry.get("ENC-MEDIA-102").meta.severity == Severity.HIGH


def test_fs_and_phone_aliases_answer_as_the_one_check_did(tmp_path, run):
    """FS-SRTP-101 and PHONE-SRTP-101 judged "required" in one check: looked up by the old ID, the worse
    of ENC-MEDIA-101 and ENC-MEDIA-102 on each resource."""
    assert run("FS-SRTP-101", _freeswitch(tmp_path, "off", user_vars="")) == {"user 2001": FAIL, "user 2002": FAIL}
    optional = _freeswitch(tmp_path, "opt", user_vars='<variable name="rtp_secure_media" value="optional"/>')
    assert run("FS-SRTP-101", optional) == {"user 2001": FAIL, "user 2002": FAIL}
    assert run("FS-SRTP-101", _freeswitch(tmp_path, "good")) == {"user 2001": PASS, "user 2002": PASS}


def test_keys_over_plaintext_fail_alike_in_config_and_on_the_wire(tree, registry, run):
    ast = tree({"pjsip.conf": "[udp]\ntype=transport\nprotocol=udp\n[tls]\ntype=transport\nprotocol=tls\n"
                              "[200]\ntype=endpoint\nmedia_encryption=sdes\ntransport=udp\n"
                              "[201]\ntype=endpoint\nmedia_encryption=sdes\ntransport=tls\n"
                              "[202]\ntype=endpoint\nmedia_encryption=dtls\n"})
    assert _outcomes(registry, "ENC-MEDIA-103", ast) == {"endpoint 200": (FAIL, ["[200]", "transport=<tls transport>"]),
                                                         "endpoint 201": (PASS, [])}
    wire = PacketFacts(source="c.pcap", sip_in_clear={"INVITE": 2}, sdes_keys_in_clear=1)
    assert _outcomes(registry, "ENC-MEDIA-103", wire) == {"c.pcap": (FAIL, ["SIP over TLS before SDES, or DTLS-SRTP"])}
    assert registry.get("ENC-MEDIA-103").meta.severity == Severity.HIGH
    clear_no_keys = PacketFacts(source="c.pcap", sip_in_clear={"INVITE": 2})
    assert _statuses(registry, "ENC-MEDIA-103", clear_no_keys) == {PASS}
    assert run("PCAP-102", clear_no_keys) == {"c.pcap": FAIL}  # the signalling itself was in clear
    assert run("PCAP-102", wire) == {"c.pcap": FAIL}
