"""TLS endpoint scans: protocol versions, weak cipher suites, the certificate.

The certificate (chain validation against the Mozilla store, or a clinic's own CA) comes
from sslyze's CERTIFICATE_INFO, every endpoint in one concurrent sslyze Scanner. Protocol
versions and weak suites are decided by one handshake per version with the system OpenSSL
(security level 0, so legacy versions can be offered): against Kamailio 5.6 sslyze's full
cipher-suite enumeration took about 140 s per endpoint and missed accepted versions when
connections queued, while these handshakes take under a second. ``cipher_suites=True``
adds sslyze's enumeration for the versions found, for a full report.
"""
from __future__ import annotations

import datetime
import ipaddress
import time
from dataclasses import dataclass
from typing import Optional

from auditor.facts.network import CertificateFacts, TlsScan

VERSIONS = [("ssl_2_0_cipher_suites", "SSL 2.0"), ("ssl_3_0_cipher_suites", "SSL 3.0"),
            ("tls_1_0_cipher_suites", "TLS 1.0"), ("tls_1_1_cipher_suites", "TLS 1.1"),
            ("tls_1_2_cipher_suites", "TLS 1.2"), ("tls_1_3_cipher_suites", "TLS 1.3")]
WEAK_MARKERS = ("NULL", "EXPORT", "RC4", "_DES_", "3DES", "DES_CBC", "_anon_", "MD5")


@dataclass
class TlsTarget:
    host: str
    port: int
    purpose: str = ""
    server_name: str = ""   # the name clients use; the certificate must match it
    timeout: float = 5.0
    ca_file: str = ""       # a private CA the clinic's devices trust, besides the Mozilla store
    cipher_suites: bool = False  # sslyze's full per-version enumeration (slow on some SIP servers)

    @property
    def endpoint(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def _name_matches(cert, name: str) -> Optional[bool]:
    from cryptography import x509
    if not name:
        return None
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = [d.lower() for d in sans.get_values_for_type(x509.DNSName)]
        ips = [str(i) for i in sans.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        dns, ips = [a.value.lower() for a in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)], []
    try:
        return str(ipaddress.ip_address(name)) in ips
    except ValueError:
        pass
    name = name.lower()
    return any(d == name or (d.startswith("*.") and name.split(".", 1)[-1] == d[2:] and name.count(".") == d.count("."))
               for d in dns)


def _certificate(deployment, server_name: str) -> CertificateFacts:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa
    leaf = deployment.received_certificate_chain[0]
    key = leaf.public_key()
    key_type, bits = "unknown", 0
    if isinstance(key, rsa.RSAPublicKey):
        key_type, bits = "RSA", key.key_size
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key_type, bits = "EC", key.curve.key_size
    elif isinstance(key, dsa.DSAPublicKey):
        key_type, bits = "DSA", key.key_size
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key_type, bits = "Ed25519", 256
    not_after = leaf.not_valid_after_utc
    now = datetime.datetime.now(datetime.timezone.utc)
    return CertificateFacts(
        subject=leaf.subject.rfc4514_string()[:200], issuer=leaf.issuer.rfc4514_string()[:200],
        not_after=not_after.isoformat(), days_left=(not_after - now).days, key_type=key_type, key_bits=bits,
        self_signed=leaf.subject == leaf.issuer,
        trusted=any(p.was_validation_successful for p in deployment.path_validation_results),
        hostname_match=_name_matches(leaf, server_name))


HANDSHAKE_VERSIONS = [("TLSv1", "TLS 1.0"), ("TLSv1_1", "TLS 1.1"), ("TLSv1_2", "TLS 1.2"), ("TLSv1_3", "TLS 1.3")]
WEAK_CIPHER_STRING = "NULL:eNULL:aNULL:EXPORT:RC4:DES:3DES:MD5:@SECLEVEL=0"


def _handshake(t: TlsTarget, version: str, ciphers: str = "ALL:@SECLEVEL=0") -> Optional[str]:
    """The negotiated cipher if the endpoint completes a handshake at exactly ``version``."""
    import socket
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    v = getattr(ssl.TLSVersion, version)
    try:
        ctx.minimum_version = ctx.maximum_version = v
        ctx.set_ciphers(ciphers)
    except (ValueError, ssl.SSLError):
        return None  # this OpenSSL cannot offer it at all
    for attempt in range(2):  # one retry when the connection itself fails (a busy server), never on a refusal
        try:
            with socket.create_connection((t.host, t.port), timeout=t.timeout) as raw:
                with ctx.wrap_socket(raw, server_hostname=t.server_name or None) as tls:
                    return (tls.cipher() or ("?",))[0]
        except ssl.SSLError:
            return None
        except OSError:
            if attempt:
                return None
    return None


def _versions(t: TlsTarget, scan: TlsScan) -> None:
    for version, label in HANDSHAKE_VERSIONS:
        if _handshake(t, version):
            scan.accepted_versions.append(label)
            if version != "TLSv1_3":
                weak = _handshake(t, version, WEAK_CIPHER_STRING)
                if weak:
                    scan.weak_ciphers.append(f"{label} {weak}")


def scan_tls(targets: list[TlsTarget]) -> list[TlsScan]:
    """Scan every endpoint; an endpoint that fails gets ``error`` set, never raises."""
    if not targets:
        return []
    from concurrent.futures import ThreadPoolExecutor

    started = time.perf_counter()
    scans = {t.endpoint: TlsScan(endpoint=t.endpoint, purpose=t.purpose, server_name=t.server_name) for t in targets}
    with ThreadPoolExecutor(max_workers=min(16, len(targets))) as pool:
        list(pool.map(lambda t: _versions(t, scans[t.endpoint]), targets))
    _sslyze(targets, scans)
    for s in scans.values():
        s.duration_s = round(time.perf_counter() - started, 3)
        if s.completed and not s.accepted_versions and not s.error:
            s.error = "no TLS version could be negotiated"
            s.completed = False
    return [scans[t.endpoint] for t in targets]


def _sslyze(targets: list[TlsTarget], scans: dict[str, TlsScan]) -> None:
    from pathlib import Path
    from sslyze import (
        ScanCommand,
        ScanCommandAttemptStatusEnum,
        Scanner,
        ServerNetworkConfiguration,
        ServerNetworkLocation,
        ServerScanRequest,
        ServerScanStatusEnum,
    )

    from sslyze.plugins.certificate_info.implementation import CertificateInfoExtraArgument
    from sslyze.scanner.models import ScanCommandsExtraArguments

    by_command = {"TLS 1.0": ScanCommand.TLS_1_0_CIPHER_SUITES, "TLS 1.1": ScanCommand.TLS_1_1_CIPHER_SUITES,
                  "TLS 1.2": ScanCommand.TLS_1_2_CIPHER_SUITES, "TLS 1.3": ScanCommand.TLS_1_3_CIPHER_SUITES}
    requests, by_uuid = [], {}
    for t in targets:
        commands = {ScanCommand.CERTIFICATE_INFO}
        if t.cipher_suites:
            commands |= {by_command[v] for v in scans[t.endpoint].accepted_versions}
        extra = ScanCommandsExtraArguments(certificate_info=CertificateInfoExtraArgument(
            custom_ca_file=Path(t.ca_file))) if t.ca_file else ScanCommandsExtraArguments()
        config = ServerNetworkConfiguration(tls_server_name_indication=t.server_name or t.host,
                                            network_timeout=int(max(1, t.timeout)), network_max_retries=1)
        req = ServerScanRequest(server_location=ServerNetworkLocation(hostname=t.host, port=t.port, ip_address=t.host
                                                                      if _is_ip(t.host) else None),
                                network_configuration=config, scan_commands=commands,
                                scan_commands_extra_arguments=extra)
        requests.append(req)
        by_uuid[req.uuid] = t
    import warnings
    warnings.filterwarnings("ignore", message=".*serial number which wasn't positive.*")  # sslyze's bundled store
    scanner = Scanner(per_server_concurrent_connections_limit=4, concurrent_server_scans_limit=min(10, len(requests)))
    scanner.queue_scans(requests)
    for result in scanner.get_results():
        t = by_uuid[result.uuid]
        scan = scans[t.endpoint]
        if result.scan_status != ServerScanStatusEnum.COMPLETED or result.scan_result is None:
            trace = result.connectivity_error_trace
            scan.error = f"TLS handshake or connection failed: {trace.exc_type.__name__ if trace else 'unknown'}" \
                         f"{(': ' + str(trace)[:160]) if trace else ''}"
            continue
        sr = result.scan_result
        for attr, label in VERSIONS:
            attempt = getattr(sr, attr)
            if attempt.status == ScanCommandAttemptStatusEnum.COMPLETED and attempt.result.accepted_cipher_suites:
                for c in attempt.result.accepted_cipher_suites:
                    name = c.cipher_suite.name
                    if (c.cipher_suite.is_anonymous or any(m in name for m in WEAK_MARKERS)) \
                            and f"{label} {name}" not in scan.weak_ciphers:
                        scan.weak_ciphers.append(f"{label} {name}")
        cert = sr.certificate_info
        if cert.status == ScanCommandAttemptStatusEnum.COMPLETED and cert.result.certificate_deployments:
            scan.certificate = _certificate(cert.result.certificate_deployments[0], t.server_name)
        scan.completed = True


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False
