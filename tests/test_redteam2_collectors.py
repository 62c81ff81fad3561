"""Red team, round 2: the switch CLI collector when the device misbehaves mid-session. netmiko's
ReadTimeout is no TimeoutError and a dropped session raises paramiko's SSHException: both escaped as a
"bug" of the target; their messages quote the device's output. Now each is a CollectionError naming the
command and the exception class only. The device is a stand-in object (no SSH server in the test kit);
the collector code around it is the real one."""
from __future__ import annotations

import pytest

from voxaudit.collectors import switch_cli
from voxaudit.collectors.offline import CollectionError
from voxaudit.targets import Target

CANARY = "CANARY-7f3a9c"
CONFIG = "hostname sw1\ninterface GigabitEthernet1/0/1\n switchport mode access\nend\n"


class _Device:
    def __init__(self, fail_on: str | None, exc: Exception | None) -> None:
        self.fail_on, self.exc, self.closed = fail_on, exc, False

    def send_command(self, command: str, **kw):
        if command == self.fail_on:
            raise self.exc  # type: ignore[misc]
        return CONFIG if "running" in command else []

    def disconnect(self) -> None:
        self.closed = True


def _spec():
    return Target.validate({"name": "sw", "platform": "switch", "address": "127.0.0.1", "cli": {
        "device_type": "cisco_ios", "username": "u", "password": "env:RT2_PW", "trust_on_first_use": True}},
        inventory=True).source


def _exceptions():
    netmiko = pytest.importorskip("netmiko.exceptions")
    paramiko = pytest.importorskip("paramiko.ssh_exception")
    return [(netmiko.ReadTimeout(f"Pattern not detected in output: {CANARY}"), "timeout"),
            (paramiko.SSHException(f"Socket is closed {CANARY}"), "connectivity"),
            (EOFError(CANARY), "connectivity")]


@pytest.mark.parametrize("command", ["show running-config", "show interfaces switchport"])
def test_a_session_failing_mid_command_is_a_collection_error(monkeypatch, command):
    for exc, kind in _exceptions():
        device = _Device(command, exc)
        monkeypatch.setattr(switch_cli, "_connect", lambda spec, device=device: device)
        with pytest.raises(CollectionError) as err:
            switch_cli.collect_switch_cli(_spec(), "sw")
        assert err.value.kind == kind and command in str(err.value) and CANARY not in str(err.value)
        assert device.closed


def test_a_device_that_answers_is_read(monkeypatch):
    monkeypatch.setattr(switch_cli, "_connect", lambda spec: _Device(None, None))
    facts = switch_cli.collect_switch_cli(_spec(), "sw")
    assert [p.get("interface") for p in facts.of_kind("switch.port")] == ["GigabitEthernet1/0/1"]


def _sip_answer(request: bytes, status: str, call_id: bytes) -> bytes:
    via = next(ln for ln in request.split(b"\r\n") if ln.lower().startswith(b"via:"))
    cseq = next(ln for ln in request.split(b"\r\n") if ln.lower().startswith(b"cseq:"))
    return (f"SIP/2.0 {status}\r\n".encode() + via + b"\r\nCall-ID: " + call_id + b"\r\n" + cseq +
            b"\r\nWWW-Authenticate: Digest realm=\"x\", nonce=\"1\"\r\nContent-Length: 0\r\n\r\n")


def test_a_late_answer_to_another_request_is_not_the_registers():
    """Over UDP the REGISTER took the first final answer that arrived: a late 401 to the OPTIONS before it
    (another Call-ID) read as "REGISTER challenged" while the server accepted the REGISTER (200)."""
    import re
    import socket
    import threading

    from voxaudit.collectors.sip import probe
    from voxaudit.targets import SipSource

    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", 0))
    srv.settimeout(5)

    def serve() -> None:
        try:
            for _ in range(2):
                data, peer = srv.recvfrom(65536)
                call_id = re.search(rb"(?im)^call-id: *(\S+)", data).group(1)
                if data.startswith(b"OPTIONS"):
                    srv.sendto(_sip_answer(data, "200 OK", call_id), peer)
                else:  # a stale challenge for an earlier call, then this REGISTER's own answer: accepted
                    srv.sendto(_sip_answer(data, "401 Unauthorized", b"stale-earlier-call@x"), peer)
                    srv.sendto(_sip_answer(data, "200 OK", call_id), peer)
        except OSError:
            pass

    worker = threading.Thread(target=serve, daemon=True)
    worker.start()
    try:
        facts = probe(SipSource(address="127.0.0.1", udp=srv.getsockname()[1], tcp=None, tls=None, timeout=1))
    finally:
        worker.join(5)
        srv.close()
    (udp,) = [t for t in facts.transports if t.transport == "udp"]
    assert udp.state == "answered" and udp.unauth_register is not None and udp.unauth_register.status == 200
