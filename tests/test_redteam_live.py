"""Red team: a hostile SIP peer on loopback (the live probes talk to whatever answers). An absurd
Content-Length, a flood of provisional answers, terminal escapes in its text and a Latin-1 header
never crash the target, never grow memory without bound and never reach a report raw; the
inventory cannot inject CR LF into what the probes send."""
from __future__ import annotations

import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator

import pytest
from msgspec import ValidationError

from voxaudit.collectors.sip import MAX_FRAMES, parse_response, probe
from voxaudit.targets import SipSource


def _tcp_peer(answer: bytes) -> Iterator[int]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)

    def serve() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with conn:
                try:
                    conn.recv(65536)
                    conn.sendall(answer)
                    time.sleep(0.3)
                except OSError:
                    pass

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield srv.getsockname()[1]
    finally:
        srv.close()


@pytest.fixture
def tcp_peer(request) -> Iterator[int]:
    yield from _tcp_peer(request.param)


@pytest.mark.parametrize("tcp_peer", [b"SIP/2.0 200 OK\r\nContent-Length: " + b"9" * 10_000 + b"\r\n\r\n"],
                         indirect=True)
def test_a_content_length_int_refuses_is_an_answer_not_a_crash(tcp_peer):
    facts = probe(SipSource(address="127.0.0.1", udp=None, tcp=tcp_peer, tls=None, timeout=2))
    assert facts.transports[0].state == "answered"
    assert facts.transports[0].options is not None and facts.transports[0].options.status == 200


ESC = "\x1b]8;;http://evil.example/\x1b\\x\x1b]8;;\x1b\\\x1b[2J"


@pytest.mark.parametrize("tcp_peer", [(f"SIP/2.0 200 OK{ESC}\r\nServer: pbx{ESC}\r\nAllow: "
                                       + ",".join(["INVITE"] * 5_000) + "\r\nContent-Length: 0\r\n\r\n").encode()],
                         indirect=True)
def test_the_peers_text_is_bounded_and_without_control_characters(tcp_peer):
    facts = probe(SipSource(address="127.0.0.1", udp=None, tcp=tcp_peer, tls=None, timeout=2))
    options = facts.transports[0].options
    assert options is not None
    assert "\x1b" not in options.reason + options.server and options.allow == ["INVITE"]


def test_a_latin1_header_does_not_make_a_response_garbage():
    resp = parse_response(b"SIP/2.0 200 OK\r\nServer: Caf\xe9 PBX\r\nContent-Length: 0\r\n\r\n")
    assert resp is not None and resp.status == 200 and resp.server.startswith("Caf")


def test_a_flood_of_provisional_answers_is_bounded():
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", 0))
    stop = threading.Event()

    def flood() -> None:
        srv.settimeout(5)
        try:
            _, peer = srv.recvfrom(65536)
        except OSError:
            return
        ringing = b"SIP/2.0 180 Ringing\r\nContent-Length: 0\r\n\r\n" + b"x" * 60_000
        while not stop.is_set():
            try:
                srv.sendto(ringing, peer)
            except OSError:
                return

    threading.Thread(target=flood, daemon=True).start()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        facts = probe(SipSource(address="127.0.0.1", udp=srv.getsockname()[1], tcp=None, tls=None, timeout=3))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        stop.set()
        srv.close()
    assert time.perf_counter() - started < 3  # it stops at MAX_FRAMES answers, not at the timeout
    assert peak < 32 * 1024 * 1024, f"{peak / 2**20:.0f} MiB for one probe"
    assert facts.transports[0].state == "answered" and MAX_FRAMES >= 8


@pytest.mark.parametrize("field", ["known_user", "invite_target", "domain", "tls_server_name"])
def test_the_inventory_cannot_inject_lines_into_a_probe(field):
    extra = {"enumeration": True} if field == "known_user" else {"invite": True} if field == "invite_target" else {}
    with pytest.raises(ValidationError):
        SipSource(address="127.0.0.1", **{field: "100\r\nINVITE sip:999@x SIP/2.0"}, **extra)
    assert getattr(SipSource(address="127.0.0.1", **{field: "100"}, **extra), field) == "100"


def test_text_from_an_snmp_agent_or_a_certificate_has_no_control_characters():
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from voxaudit.collectors.snmp import _agent_text
    from voxaudit.collectors.tls import certificate_facts

    assert _agent_text(f"Cisco IOS{ESC}\r\n", 200) == "Cisco IOS" + _agent_text(ESC, 200) + "  "
    assert "\x1b" not in _agent_text(ESC * 100, 64) and len(_agent_text(ESC * 100, 64)) == 64
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, f"pbx{ESC}")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(f"pbx{ESC}.example")] * 100), critical=False)
            .sign(key, hashes.SHA256()))
    facts = certificate_facts(cert, False, "pbx.example")
    assert "\x1b" not in facts.subject + facts.issuer + "".join(facts.san_names)
    assert len(facts.san_names) <= 32 and facts.subject.startswith("CN=pbx")
