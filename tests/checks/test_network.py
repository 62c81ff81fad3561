"""SIP-NET-* and TLS-NET-* over facts built from SIP answers as Kamailio 5.6 sends them (the
lab's own captures) and TLS scan records; the live collection itself is tested in tests/lab/."""
from __future__ import annotations

import msgspec

from voxaudit.collectors.sip import parse_response
from voxaudit.facts.network import (
    CertificateFacts,
    EnumerationProbe,
    InviteProbe,
    SipFacts,
    SipTransportProbe,
    TlsEndpointFacts,
    TlsScan,
)
from voxaudit.model import Status

FAIL, PASS, NA, UNKNOWN = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE, Status.ERROR

OPTIONS_200 = (b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKx;rport=40000\r\n"
               b"From: <sip:voxaudit@127.0.0.1>;tag=1\r\nTo: <sip:pbx.lab.example>;tag=2\r\nCall-ID: 3@voxaudit\r\n"
               b"CSeq: 1 OPTIONS\r\nAllow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\n"
               b"Server: kamailio (5.6.3 (x86_64/linux))\r\nContent-Length: 0\r\n\r\n")
REGISTER_404 = b"SIP/2.0 404 User Not Found\r\nCSeq: 2 REGISTER\r\nServer: kamailio (5.6.3 (x86_64/linux))\r\nl: 0\r\n\r\n"
REGISTER_401 = (b"SIP/2.0 401 Unauthorized\r\nCSeq: 2 REGISTER\r\n"
                b"WWW-Authenticate: Digest realm=\"pbx.lab.example\", nonce=\"abc\"\r\nContent-Length: 0\r\n\r\n")
REGISTER_200 = b"SIP/2.0 200 OK\r\nCSeq: 2 REGISTER\r\nContent-Length: 0\r\n\r\n"
SDP_200 = (b"SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\nContent-Type: application/sdp\r\nContent-Length: 120\r\n\r\n"
           b"v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio 10000 RTP/AVP 0 8\r\n")


def sip(transports, **kw) -> SipFacts:
    return SipFacts(address="127.0.0.1", transports=transports, **kw)


def answered(transport, port, options=OPTIONS_200, register=REGISTER_401) -> SipTransportProbe:
    return SipTransportProbe(transport=transport, port=port, state="answered", options=parse_response(options),
                             unauth_register=parse_response(register) if register is not None else None)


def registry_outcomes(check_id: str, facts):
    from voxaudit.registry import load_registry
    chk = load_registry().get(check_id)
    return chk(facts)


def test_responses_parse_and_garbage_is_recognised():
    r = parse_response(OPTIONS_200)
    assert (r.status, r.server, r.allow[:2]) == (200, "kamailio (5.6.3 (x86_64/linux))", ["INVITE", "ACK"])
    assert parse_response(REGISTER_401).challenge == "Digest"
    assert parse_response(b"\x16\x03\x01garbage\r\n\r\n") is None
    sdp = parse_response(SDP_200).sdp
    assert sdp.media_protocols == ["RTP/AVP"] and sdp.crypto_lines == 0


def test_weak_service(run):
    facts = sip([answered("udp", 5060, register=REGISTER_200), answered("tcp", 5060, register=REGISTER_404),
                 SipTransportProbe(transport="tls", port=5061, state="closed", detail="connection refused")],
                vantage="data",
                enumeration=EnumerationProbe(transport="tcp", known_user_status="401 Unauthorized",
                                             unknown_user_statuses=["404 User Not Found"] * 2, distinguishable=True),
                invite=InviteProbe(transport="tcp", target="101", statuses=[100, 480], accepted=True))
    assert run("SIP-NET-101", facts) == {"sip udp/5060": FAIL, "sip tcp/5060": FAIL}
    assert set(run("SIP-NET-102", facts).values()) == {FAIL}
    assert run("SIP-NET-103", facts) == {"sip udp/5060": FAIL, "sip tcp/5060": PASS}
    assert run("SIP-NET-104", facts) == {"sip tcp": FAIL}
    assert run("SIP-NET-105", facts) == {"sip tcp": FAIL}
    assert run("SIP-NET-107", facts) == {"127.0.0.1": FAIL}


def test_hardened_service(run):
    quiet = OPTIONS_200.replace(b"Server: kamailio (5.6.3 (x86_64/linux))\r\n", b"")
    facts = sip([SipTransportProbe(transport="udp", port=5060, state="closed", detail="port unreachable"),
                 SipTransportProbe(transport="tcp", port=5060, state="closed"), answered("tls", 5061, options=quiet)],
                vantage="voice",
                enumeration=EnumerationProbe(transport="tls", known_user_status="401 Unauthorized",
                                             unknown_user_statuses=["401 Unauthorized"] * 2, distinguishable=False),
                invite=InviteProbe(transport="tls", target="101", statuses=[407], accepted=False))
    for cid in ("SIP-NET-101", "SIP-NET-102", "SIP-NET-103", "SIP-NET-104", "SIP-NET-105"):
        assert set(run(cid, facts).values()) == {PASS}, cid
    assert set(run("SIP-NET-107", facts).values()) == {NA}
    assert set(run("SIP-NET-106", facts).values()) == {NA}  # no SDP seen


def test_silence_is_never_a_pass(run):
    """No answer, or no final answer, or a transient failure: unknown (ERROR with the reason), never
    PASS and never N/A; what a refusal looks like still passes."""
    facts = sip([SipTransportProbe(transport="udp", port=5060, state="no-answer", detail="no SIP answer within 2 s"),
                 SipTransportProbe(transport="tcp", port=5060, state="closed", detail="no TCP connection within 2 s"),
                 SipTransportProbe(transport="tcp", port=5080, state="garbage", detail="not SIP"),
                 answered("tls", 5061, register=None)])
    assert run("SIP-NET-101", facts) == {"sip udp/5060": UNKNOWN, "sip tcp/5060": PASS, "sip tcp/5080": UNKNOWN}
    assert run("SIP-NET-103", facts) == {"sip tls/5061": UNKNOWN}
    for status, expected in ((b"100 Trying", UNKNOWN), (b"503 Service Unavailable", UNKNOWN), (b"408 Request Timeout", UNKNOWN),
                             (b"302 Moved Temporarily", UNKNOWN), (b"404 Not Found", PASS), (b"403 Forbidden", PASS),
                             (b"407 Proxy Authentication Required", PASS), (b"202 Accepted", FAIL)):
        reply = b"SIP/2.0 " + status + b"\r\nCSeq: 2 REGISTER\r\nContent-Length: 0\r\n\r\n"
        assert run("SIP-NET-103", sip([answered("tls", 5061, register=reply)])) == {"sip tls/5061": expected}, status
    for statuses, expected in (([], UNKNOWN), ([100], UNKNOWN), ([100, 503], UNKNOWN), ([408], UNKNOWN), ([100, 180], FAIL),
                               ([100, 480], FAIL), ([100, 200], FAIL), ([407], PASS), ([100, 403], PASS)):
        invite = InviteProbe(transport="tls", target="101", statuses=statuses, accepted=False)
        assert run("SIP-NET-105", sip([answered("tls", 5061)], invite=invite)) == {"sip tls": expected}, statuses
    for known, unknown, expected in (("no answer", ["no answer"] * 2, UNKNOWN), ("401 Unauthorized", ["no answer"] * 2, UNKNOWN),
                                     ("401 Unauthorized", ["401 Unauthorized", "no answer"], UNKNOWN),
                                     ("401 Unauthorized", ["404 Not Found", "no answer"], FAIL),
                                     ("no answer", ["404 Not Found"] * 2, UNKNOWN),
                                     ("401 Unauthorized", ["401 Unauthorized"] * 2, PASS)):
        e = EnumerationProbe(transport="tls", known_user_status=known, unknown_user_statuses=unknown,
                             distinguishable=known != unknown[0])
        assert run("SIP-NET-104", sip([answered("tls", 5061)], enumeration=e)) == {"sip tls": expected}, (known, unknown)
    evidence = [o.evidence for o in registry_outcomes("SIP-NET-103", facts)]
    assert all(e.startswith("not evaluated") for e in evidence)


def test_opt_in_probes_not_run_are_not_applicable(run):
    facts = sip([answered("tls", 5061)])
    assert set(run("SIP-NET-104", facts).values()) == {NA}
    assert set(run("SIP-NET-105", facts).values()) == {NA}


def test_sdp_in_clear_fails(run):
    facts = sip([answered("udp", 5060, options=SDP_200)])
    assert run("SIP-NET-106", facts) == {"sip udp/5060": FAIL}


def _scan(**kw) -> TlsScan:
    base = {"endpoint": "127.0.0.1:5061", "purpose": "sip-tls", "server_name": "pbx.lab.example", "completed": True,
            "accepted_versions": ["TLS 1.2", "TLS 1.3"],
            "certificate": CertificateFacts(subject="CN=pbx.lab.example", issuer="CN=Clinic CA",
                                            not_after="2027-06-01T00:00:00+00:00", days_left=190, key_type="RSA",
                                            key_bits=3072, trusted=True, hostname_match=True)}
    base.update(kw)
    return TlsScan(**base)


def test_tls_checks(run):
    good = TlsEndpointFacts(address="127.0.0.1", tls=[_scan()])
    for cid in ("TLS-NET-101", "TLS-NET-102", "TLS-NET-103", "TLS-NET-104"):
        assert run(cid, good) == {"tls 127.0.0.1:5061": PASS}, cid
    bad = TlsEndpointFacts(address="127.0.0.1", tls=[_scan(
        accepted_versions=["TLS 1.0", "TLS 1.2"], weak_ciphers=["TLS 1.0 DES-CBC3-SHA"],
        certificate=CertificateFacts(subject="CN=old", issuer="CN=old", not_after="2026-10-01", days_left=-52,
                                     key_type="RSA", key_bits=1024, self_signed=True, hostname_match=False))])
    for cid in ("TLS-NET-101", "TLS-NET-102", "TLS-NET-103", "TLS-NET-104"):
        assert run(cid, bad) == {"tls 127.0.0.1:5061": FAIL}, cid
    assert run("TLS-NET-101", good, min_tls_version="1.3") == {"tls 127.0.0.1:5061": FAIL}
    soon = TlsEndpointFacts(address="127.0.0.1", tls=[_scan(certificate=msgspec.structs.replace(
        _scan().certificate, days_left=10))])
    assert run("TLS-NET-104", soon) == {"tls 127.0.0.1:5061": FAIL}


def test_expired_certificate_fails_both_certificate_checks(run):
    """A strong key on a certificate that expired a month ago: not "-31 days left" and a pass."""
    expired = TlsEndpointFacts(address="127.0.0.1", tls=[_scan(certificate=msgspec.structs.replace(
        _scan().certificate, days_left=-31, not_after="2026-01-01T00:00:00+00:00"))])
    assert run("TLS-NET-104", expired) == {"tls 127.0.0.1:5061": FAIL}
    assert run("TLS-NET-103", expired) == {"tls 127.0.0.1:5061": FAIL}
    evidence = registry_outcomes("TLS-NET-104", expired)[0].evidence
    assert "expired 31 days ago" in evidence and "left" not in evidence


def test_no_certificate_read_is_not_evaluated(run):
    unread = TlsEndpointFacts(address="127.0.0.1", tls=[_scan(certificate=None)])
    assert run("TLS-NET-103", unread) == {"tls 127.0.0.1:5061": UNKNOWN}
    assert run("TLS-NET-104", unread) == {"tls 127.0.0.1:5061": UNKNOWN}


def test_incomplete_scan_is_an_error_not_a_pass(registry):
    """A version probe that got no answer leaves the scan incomplete: the runner reports ERROR for
    that endpoint (the facts say which), never the PASS its missing evidence would give."""
    from voxaudit.profile import load_profile
    from voxaudit.runner import evaluate
    from voxaudit.scan import TargetRecord

    partial = _scan(completed=False, error="not established, so not assessed: TLS 1.0: no answer to a ClientHello "
                                           "within 1 s", accepted_versions=["TLS 1.2"])
    facts = TlsEndpointFacts(address="127.0.0.1", tls=[_scan(endpoint="127.0.0.1:443"), partial])
    rec = TargetRecord(name="ui", platform="tls", facts=facts)
    results, _, _ = evaluate([rec], registry, load_profile("hipaa-security-rule", registry), [])
    on_partial = {((r.alias or r.check_id), r.status.value) for r in results if r.resource == "tls 127.0.0.1:5061"}
    assert on_partial and {s for _, s in on_partial} == {"ERROR"}
    assert any(r.status.value == "PASS" and r.resource == "tls 127.0.0.1:443" for r in results)


def test_capture_without_the_traffic_is_not_evaluated(run):
    """A capture proves what it holds: idle office traffic says nothing about SIP or provisioning."""
    from voxaudit.facts.network import PacketFacts, RtpStream

    idle = PacketFacts(source="idle.pcap", packets=120)
    assert run("PCAP-102", idle) == {"(target)": NA}  # ENC-SIG-101/ENC-MEDIA-103: no record, the engine's N/A
    assert run("PCAP-104", idle) == {"(target)": NA}  # DEV-PRV-101: no fetch seen, nothing to judge
    calls = msgspec.structs.replace(idle, streams=[RtpStream(src="10.0.0.5:20000", dst="10.0.0.6:20002", ssrc="1",
                                                                 packets=50, payload_type=0, kind="srtp", basis="sdp")])
    assert run("PCAP-102", calls) == {"idle.pcap": PASS}  # calls flowed and no SIP was in clear
