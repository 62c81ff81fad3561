"""The lab's own servers never block on their output: each daemon logs to a file in its directory
(a pipe nobody read made Kamailio stop answering TLS after ~64 KiB of log), and a daemon that fails
to start says why with the end of that log."""
from __future__ import annotations

import socket
import ssl
import time

import pytest

from tests.lab import servers

pytestmark = pytest.mark.lab

LOG_TARGET = 300 * 1024  # comfortably past the 256 KiB the brief asks for, and past any pipe buffer


def _garbage_handshake(port: int) -> None:
    """Bytes that are not a ClientHello: Kamailio logs five ERROR lines (~0.5 KiB) for each."""
    with socket.create_connection((servers.LOOPBACK, port), timeout=2) as s:
        s.sendall(b"\x16\x03\x01\x00\x05not-a-client-hello\r\n" * 4)
        try:
            s.recv(64)
        except OSError:
            pass


def _options_over_tls(port: int) -> bytes:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection((servers.LOOPBACK, port), timeout=3) as raw, \
            ctx.wrap_socket(raw, server_hostname="pbx.lab.example") as tls:
        local = tls.getsockname()
        tls.sendall((f"OPTIONS sip:pbx.lab.example SIP/2.0\r\nVia: SIP/2.0/TLS {local[0]}:{local[1]};branch=z9hG4bKlab1\r\n"
                     "Max-Forwards: 70\r\nFrom: <sip:lab@127.0.0.1>;tag=1\r\nTo: <sip:pbx.lab.example>\r\n"
                     "Call-ID: log-test@lab\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode())
        return tls.recv(4096)


def test_kamailio_answers_tls_after_a_large_log(tmp_path):
    try:
        lab = servers.start_kamailio(tmp_path / "kamailio", "hardened")
    except servers.LabUnavailable as exc:
        pytest.skip(str(exc))
    try:
        log = lab.server.log
        assert log is not None and log.parent == lab.workdir
        started, attempts = time.monotonic(), 0
        while log.stat().st_size < LOG_TARGET and attempts < 5000 and time.monotonic() - started < 60:
            try:
                _garbage_handshake(lab.tls_port)
            except OSError:  # a Kamailio blocked on its output stops accepting: seen just below
                break
            attempts += 1
        time.sleep(0.3)  # the last lines land
        size = log.stat().st_size
        assert size > 256 * 1024, (size, attempts)
        assert lab.server.proc.poll() is None
        answer = _options_over_tls(lab.tls_port)
        assert answer.startswith(b"SIP/2.0 200"), (answer[:80], lab.server.tail())
        print(f"\nkamailio log {size / 1024:.0f} KiB after {attempts} failed handshakes "
              f"in {time.monotonic() - started:.1f} s; still answers OPTIONS over TLS")
    finally:
        lab.server.stop()


def test_a_daemon_that_fails_to_start_shows_its_log(tmp_path):
    proc = servers._spawn(["sh", "-c", "echo 'lab-marker: bad directive on line 3' >&2; exit 3"], tmp_path,
                          name="broken")
    with pytest.raises(RuntimeError) as err:
        servers._serving("broken", proc, servers.free_port(), tmp_path, timeout=5)
    assert "exited with 3" in str(err.value) and "lab-marker: bad directive on line 3" in str(err.value)
    assert (tmp_path / "broken.log").read_text().startswith("lab-marker")
