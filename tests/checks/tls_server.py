"""A real TLS 1.2 server on loopback (Python's ssl: the system OpenSSL, as a PBX links it) and voxaudit's TLS
collector run against it: what the suite tests compare configured lists and controls with."""
from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest


def scan_loopback_server(tmp_path: Path, cipher_list: str, dh: bool = False) -> Any:
    """voxaudit's TLS scan of a TLS 1.2-only server given ``cipher_list`` (with DH parameters for DHE suites
    when ``dh``), with a fresh RSA certificate for pbx.example."""
    pytest.importorskip("nassl")
    from voxaudit.collectors.tls import TlsTarget, scan_tls

    assert subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "k.pem", "-out", "c.pem",
                           "-days", "90", "-subj", "/CN=pbx.example", "-addext", "subjectAltName=DNS:pbx.example"],
                          cwd=tmp_path, capture_output=True, timeout=60).returncode == 0
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if dh:
        assert subprocess.run(["openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048",
                               "-out", "dh.pem"], cwd=tmp_path, capture_output=True, timeout=60).returncode == 0
        ctx.load_dh_params(str(tmp_path / "dh.pem"))
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(cipher_list)
    ctx.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            conn.settimeout(2)
            try:
                with ctx.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (OSError, ssl.SSLError):
                pass
            finally:
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        (scan,) = scan_tls([TlsTarget(host="127.0.0.1", port=listener.getsockname()[1], server_name="pbx.example",
                                      ca_file=str(tmp_path / "c.pem"), timeout=2)])
    finally:
        stop.set()
        thread.join(5)
        listener.close()
    assert scan.completed and scan.suites_listed, (scan.error, scan.suites_error)
    return scan
