"""TLS endpoint scans: protocol versions, weak cipher suites, the certificate.

Protocol versions and weak suites are decided by one handshake per version: TLS 1.0 to 1.3 with
the system OpenSSL (security level 0, so legacy versions can be offered), SSL 2.0 and 3.0 and the
weak suites (NULL, anonymous, EXPORT, RC4, DES, 3DES, MD5) with the legacy OpenSSL that sslyze
ships (nassl), which can still offer all of them: the system OpenSSL 3 cannot offer RC4, DES or
3DES, so a refusal seen through it would prove nothing. The certificate (chain validation against
the Mozilla store, or a clinic's own CA) comes from sslyze's CERTIFICATE_INFO, every endpoint in
one concurrent sslyze Scanner. Against Kamailio 5.6 sslyze's full cipher-suite enumeration took
about 140 s per endpoint and missed accepted versions when connections queued, while these
handshakes take under a second; ``cipher_suites=True`` adds that enumeration for a full report.
Every suite each accepted version accepts is then listed by elimination (:func:`_suites`: one
handshake per accepted suite, plus one per version and engine), which is what the Mozilla
intermediate and forward-secrecy controls judge; the certificate's validity period and
subjectAltName are kept for the lifetime and SAN controls.

Bounded, and unknown is never "refused":

* every handshake attempt (TCP connect and TLS handshake) ends within the endpoint's ``timeout``,
  however slowly the server trickles bytes; a whole endpoint within :data:`MAX_TIMEOUTS` x
  ``timeout`` (:data:`HANDSHAKE_TIMEOUTS` for the handshakes, the suite listing included,
  :data:`CERTIFICATE_TIMEOUTS` for sslyze), endpoints scanned in parallel;
* a first handshake offering everything tells whether anything speaks TLS there: an endpoint that
  refuses or never completes a TCP connection, or accepts one and never answers a ClientHello,
  stops after at most one ``timeout`` (nothing else is tried, sslyze included);
* a version or weak-suite probe that got no answer in time, or that this scanner cannot offer, is
  not a refusal: the endpoint's scan is then incomplete (``error`` set), so its checks are ERRORs.
  The one exception: silence from an endpoint that answered a later handshake (some stacks ignore
  hellos for versions they do not speak) is that endpoint refusing, as it read the hello and
  went on answering others.
"""
from __future__ import annotations

import datetime
import ipaddress
import math
import select
import socket
import ssl
import threading
import time
from functools import lru_cache
from typing import Any, NamedTuple

from voxaudit.facts.network import CertificateFacts, TlsScan
from voxaudit.targets import TlsEndpoint

VERSIONS = [("ssl_2_0_cipher_suites", "SSL 2.0"), ("ssl_3_0_cipher_suites", "SSL 3.0"),
            ("tls_1_0_cipher_suites", "TLS 1.0"), ("tls_1_1_cipher_suites", "TLS 1.1"),
            ("tls_1_2_cipher_suites", "TLS 1.2"), ("tls_1_3_cipher_suites", "TLS 1.3")]
WEAK_MARKERS = ("NULL", "EXPORT", "RC4", "_DES_", "3DES", "DES_CBC", "_anon_", "MD5")
# reachability, six versions, up to four weak-suite probes, a last liveness look; then, in what is
# left of the same budget, the listing of every accepted suite (a few milliseconds per handshake)
HANDSHAKE_TIMEOUTS = 13
CERTIFICATE_TIMEOUTS = 4   # sslyze's certificate read
MAX_TIMEOUTS = HANDSHAKE_TIMEOUTS + CERTIFICATE_TIMEOUTS
MAX_SUITES = 96            # per version and engine: more accepted suites than any OpenSSL offers ends the listing
# Every TLS 1.3 suite (RFC 8446 B.4); OpenSSL offers only the first three unless told.
TLS13_SUITES = ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256")
# What a scan imports beyond the standard library (the live extra): sslyze reads the certificate,
# nassl's legacy OpenSSL offers SSL 2.0/3.0 and weak suites, cryptography reads the key and names.
# Callers check them before scanning (auditor.extras), so a missing one is never a quietly skipped probe.
SCANNER_MODULES = ("sslyze", "nassl.legacy_ssl_client", "nassl.ssl_client", "cryptography.x509",
                   "cryptography.hazmat.primitives.asymmetric")


# One endpoint to scan: the inventory's tls: item, defined once in voxaudit.targets.
TlsTarget = TlsEndpoint


def _name_matches(cert, name: str) -> bool | None:
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


_CONTROLS = dict.fromkeys([*range(0x20), *range(0x7F, 0xA0)], " ")


def _peer_text(value: object, limit: int) -> str:
    """A name the peer's certificate carries, as it may be shown: bounded, no control characters
    (RFC 4514 escaping leaves ESC as it is; a certificate is anyone's to write)."""
    return str(value)[:limit].translate(_CONTROLS)


def _certificate(deployment, server_name: str) -> CertificateFacts:
    return certificate_facts(deployment.received_certificate_chain[0],
                             any(p.was_validation_successful for p in deployment.path_validation_results), server_name)


def certificate_facts(leaf, trusted: bool, server_name: str) -> CertificateFacts:
    """What the controls need from a leaf certificate (a cryptography ``x509.Certificate``): names,
    validity period, key, subjectAltName; ``trusted``: whether a chain to a trusted root was built."""
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa
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
    not_after, not_before = leaf.not_valid_after_utc, leaf.not_valid_before_utc
    now = datetime.datetime.now(datetime.UTC)
    return CertificateFacts(
        subject=_peer_text(leaf.subject.rfc4514_string(), 200), issuer=_peer_text(leaf.issuer.rfc4514_string(), 200),
        not_after=not_after.isoformat(), days_left=(not_after - now).days, key_type=key_type, key_bits=bits,
        self_signed=leaf.subject == leaf.issuer,
        trusted=trusted, hostname_match=_name_matches(leaf, server_name),
        not_before=not_before.isoformat(), lifetime_days=(not_after - not_before).days, san_names=_san_names(leaf))


def _san_names(cert) -> list[str]:
    """The subjectAltName's DNS names, addresses and URIs (RFC 5922 lets a SIP certificate name its
    domain as a sip: URI), at most 32, each cut to 100 characters; [] when the extension is absent
    or names none of them (nothing a client could match)."""
    from cryptography import x509
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    names = [_peer_text(d, 100) for d in sans.get_values_for_type(x509.DNSName)[:32]]
    names += [str(i) for i in sans.get_values_for_type(x509.IPAddress)[:32]]
    names += [_peer_text(u, 100) for u in sans.get_values_for_type(x509.UniformResourceIdentifier)[:32]]
    return names[:32]


class Outcome(NamedTuple):
    """One handshake attempt: accepted (detail: the cipher), refused (an alert, a close, a reset),
    silent (no answer in time), unreachable (no TCP connection) or untestable (cannot be offered here)."""

    state: str
    detail: str = ""


STDLIB_VERSIONS = {"TLS 1.0": "TLSv1", "TLS 1.1": "TLSv1_1", "TLS 1.2": "TLSv1_2", "TLS 1.3": "TLSv1_3"}
LEGACY_VERSIONS = {"SSL 2.0": "SSLV2", "SSL 3.0": "SSLV3", "TLS 1.0": "TLSV1", "TLS 1.1": "TLSV1_1",
                   "TLS 1.2": "TLSV1_2"}
PROBE_ORDER = ["SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3"]
ALL_CIPHERS = "ALL:@SECLEVEL=0"
LEGACY_WEAK_CIPHERS = "NULL:eNULL:aNULL:EXPORT:RC4:DES:3DES:MD5"


_CONTEXT_LOCK = threading.Lock()


def _stdlib_context(version: str | None, ciphers: str) -> ssl.SSLContext | None:
    """A client context offering exactly ``version`` (None: every version from TLS 1.0), or None
    when this OpenSSL cannot put such a ClientHello together at all. Built once and shared (an
    SSLContext serves many threads); built under a lock, as silencing Python's deprecation warning
    for TLS 1.0/1.1 touches process-wide state."""
    with _CONTEXT_LOCK:
        return _build_context(version, ciphers)


@lru_cache(maxsize=32)
def _build_context(version: str | None, ciphers: str) -> ssl.SSLContext | None:
    import warnings

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0/1.1: offering them is the point
            if version is None:
                ctx.minimum_version, ctx.maximum_version = ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_3
            else:
                ctx.minimum_version = ctx.maximum_version = getattr(ssl.TLSVersion, version)
        ctx.set_ciphers(ciphers)
        out = ssl.MemoryBIO()
        ctx.wrap_bio(ssl.MemoryBIO(), out).do_handshake()  # in memory: does this OpenSSL write the hello?
    except ssl.SSLWantReadError:
        return ctx if out.pending > 0 else None
    except (ValueError, ssl.SSLError):
        return None
    return None


def _connect(host: str, port: int, deadline: float) -> socket.socket:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("no time left")
    return socket.create_connection((host, port), timeout=remaining)


def bounded_handshake(tls: ssl.SSLSocket, deadline: float) -> None:
    """Complete a TLS handshake on a socket wrapped with ``do_handshake_on_connect=False`` by
    ``deadline`` (time.monotonic()), however the server spreads its bytes; TimeoutError otherwise."""
    previous = tls.gettimeout()
    tls.setblocking(False)
    try:
        while True:
            try:
                tls.do_handshake()
                return
            except ssl.SSLWantReadError:
                readable, writable = [tls], []
            except ssl.SSLWantWriteError:
                readable, writable = [], [tls]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("TLS handshake not completed in time")
            select.select(readable, writable, [], remaining)
    finally:
        tls.settimeout(previous)


class _DeadlineSocket:
    """What nassl's clients read and write through: every call ends by ``deadline``."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock, self._deadline = sock, deadline

    def _arm(self) -> None:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("TLS handshake not completed in time")
        self._sock.settimeout(remaining)

    def recv(self, size: int) -> bytes:
        self._arm()
        return self._sock.recv(size)

    def send(self, data: bytes) -> int:
        self._arm()
        self._sock.sendall(data)
        return len(data)

    sendall = send

    def close(self) -> None:
        self._sock.close()


def _stdlib_attempt(t: TlsTarget, ctx: ssl.SSLContext, deadline: float) -> Outcome:
    try:
        raw = _connect(t.host, t.port, deadline)
    except TimeoutError:
        return Outcome("unreachable", f"no TCP connection within {t.timeout:g} s")
    except OSError as exc:
        return Outcome("unreachable", exc.strerror or exc.__class__.__name__)
    with raw:
        try:
            tls = ctx.wrap_socket(raw, server_hostname=t.server_name or None, do_handshake_on_connect=False)
        except (ssl.SSLError, ValueError) as exc:
            return Outcome("untestable", exc.__class__.__name__)
        with tls:
            try:
                bounded_handshake(tls, deadline)
                return Outcome("accepted", (tls.cipher() or ("?",))[0])
            except TimeoutError:
                return Outcome("silent", f"no answer to a ClientHello within {t.timeout:g} s")
            except ssl.SSLError as exc:
                return Outcome("refused", exc.reason or exc.__class__.__name__)
            except ConnectionResetError:
                return Outcome("reset", "connection reset")
            except OSError as exc:
                return Outcome("refused", exc.strerror or exc.__class__.__name__)


def _legacy_attempt(t: TlsTarget, version: str, ciphers: str, deadline: float) -> Outcome:
    """A handshake with nassl's legacy OpenSSL (SSL 2.0/3.0, and every weak suite)."""
    try:
        from nassl._nassl import OpenSSLError
        from nassl.legacy_ssl_client import LegacySslClient
        from nassl.ssl_client import (
            OpenSslVerifyEnum,
            OpenSslVersionEnum,
        )
    except ImportError as exc:
        return Outcome("untestable", f"nassl unavailable ({exc.__class__.__name__})")
    try:
        client = LegacySslClient(ssl_version=getattr(OpenSslVersionEnum, version), ssl_verify=OpenSslVerifyEnum.NONE,
                                 ignore_client_authentication_requests=True)
        client.set_cipher_list(ciphers)
        if version != "SSLV2" and t.server_name:
            client.set_tlsext_host_name(t.server_name)
    except (OpenSSLError, ValueError) as exc:
        return Outcome("untestable", exc.__class__.__name__)
    return _handshake(client, t, deadline)


def _handshake(client: Any, t: TlsTarget, deadline: float) -> Outcome:
    """Connect, run one nassl handshake within the deadline, and say how the server answered."""
    from nassl._nassl import OpenSSLError
    from nassl.ssl_client import ClientCertificateRequested

    try:
        raw = _connect(t.host, t.port, deadline)
    except TimeoutError:
        return Outcome("unreachable", f"no TCP connection within {t.timeout:g} s")
    except OSError as exc:
        return Outcome("unreachable", exc.strerror or exc.__class__.__name__)
    with raw:
        client.set_underlying_socket(_DeadlineSocket(raw, deadline))
        try:
            client.do_handshake()
            return Outcome("accepted", client.get_current_cipher_name())
        except TimeoutError:
            return Outcome("silent", f"no answer to a ClientHello within {t.timeout:g} s")
        except ClientCertificateRequested:  # it chose the version and a suite, then asked who we are
            return Outcome("accepted", _cipher_name(client))
        except OpenSSLError as exc:
            return Outcome("refused", str(exc)[:80])
        except ConnectionResetError:
            return Outcome("reset", "connection reset")
        except OSError as exc:  # nassl: "peer did not send data back" (the server closed)
            return Outcome("refused", exc.strerror or exc.__class__.__name__)


def _cipher_name(client) -> str:
    try:
        return client.get_current_cipher_name() or "?"
    except Exception:  # noqa: BLE001 - nassl raises its own errors before a suite is settled
        return "?"


def _probe(t: TlsTarget, label: str, weak: bool, budget_end: float) -> Outcome:
    """One version (or, ``weak``, its weak suites) by whichever OpenSSL can offer it; one retry when
    the connection itself was reset or lost (a busy server), never after a refusal or silence."""
    def stdlib(deadline: float) -> Outcome:
        ctx = _stdlib_context(STDLIB_VERSIONS[label], ALL_CIPHERS)
        return _stdlib_attempt(t, ctx, deadline) if ctx is not None else Outcome("untestable", "")

    def legacy(deadline: float) -> Outcome:
        ciphers = LEGACY_WEAK_CIPHERS if weak else "SSLv2" if label == "SSL 2.0" else "ALL:COMPLEMENTOFALL"
        return _legacy_attempt(t, LEGACY_VERSIONS[label], ciphers, deadline)

    # The weak suites only through the legacy OpenSSL: the system one cannot offer most of them.
    engines = [legacy] if weak else [e for e, ok in ((stdlib, label in STDLIB_VERSIONS),
                                                     (legacy, label in LEGACY_VERSIONS)) if ok]

    def once() -> Outcome:
        for engine in engines:
            deadline = min(time.monotonic() + t.timeout, budget_end)
            if deadline <= time.monotonic():
                return Outcome("silent", "the endpoint's time budget was spent")
            outcome = engine(deadline)
            if outcome.state != "untestable":
                return outcome
        return Outcome("untestable", f"this scanner cannot offer {'its weak suites' if weak else 'it'}")

    outcome = once()
    if outcome.state in {"reset", "unreachable"}:
        outcome = once()
    return Outcome("refused", outcome.detail) if outcome.state == "reset" else outcome


ANSWERED = {"accepted", "refused"}


def _tls13_attempt(t: TlsTarget, suites: str, deadline: float) -> Outcome:
    """A TLS 1.3 handshake offering exactly ``suites`` (nassl's OpenSSL 1.1.1: the standard library
    cannot choose TLS 1.3 suites)."""
    try:
        from nassl._nassl import OpenSSLError
        from nassl.ssl_client import OpenSslVerifyEnum, OpenSslVersionEnum, SslClient
    except ImportError as exc:
        return Outcome("untestable", f"nassl unavailable ({exc.__class__.__name__})")
    try:
        client = SslClient(ssl_version=OpenSslVersionEnum.TLSV1_3, ssl_verify=OpenSslVerifyEnum.NONE,
                           ignore_client_authentication_requests=True, server_name_indication=t.server_name or None)
        client.set_ciphersuites(suites)
    except (OpenSSLError, ValueError) as exc:
        return Outcome("untestable", exc.__class__.__name__)
    return _handshake(client, t, deadline)


def _suites(t: TlsTarget, scan: TlsScan, budget_end: float) -> None:
    """List every suite each accepted version accepts, by elimination: offer everything this scanner
    can, note the suite the server picks, offer everything but the suites seen, until the server
    refuses; one handshake per accepted suite, plus one. Below TLS 1.3 the system OpenSSL offers
    what it knows (security level 0) and nassl's legacy OpenSSL the weak suites the system one
    lacks; TLS 1.3 goes through nassl. A probe that is neither accepted nor refused (silence, the
    budget spent) leaves the listing unfinished: ``suites_error`` says why, and nothing is judged
    from a partial list."""
    def attempt(label: str, engine: str, seen: list[str]) -> Outcome:
        deadline = min(time.monotonic() + t.timeout, budget_end)
        if deadline <= time.monotonic():
            return Outcome("silent", "the endpoint's time budget for listing suites was spent")
        if engine == "tls13":
            offer = ":".join(s for s in TLS13_SUITES if s not in seen)
            return _tls13_attempt(t, offer, deadline) if offer else Outcome("refused", "nothing left to offer")
        exclude = "".join(f":!{s}" for s in seen)
        if engine == "legacy":  # after the system OpenSSL: the weak suites it lacks; SSL 3.0: everything
            offer = "ALL:COMPLEMENTOFALL" if label == "SSL 3.0" else LEGACY_WEAK_CIPHERS
            return _legacy_attempt(t, LEGACY_VERSIONS[label], offer + exclude, deadline)
        with _CONTEXT_LOCK:  # a fresh context per offer: not worth caching
            ctx = _build_context.__wrapped__(STDLIB_VERSIONS[label], ALL_CIPHERS.replace(":@", exclude + ":@"))
        return _stdlib_attempt(t, ctx, deadline) if ctx is not None else Outcome("refused", "nothing left to offer")

    for label in scan.accepted_versions:
        if label == "SSL 2.0":
            continue  # SSL 2.0 is judged by its version alone
        engines = ["tls13"] if label == "TLS 1.3" else ["legacy"] if label == "SSL 3.0" else ["stdlib", "legacy"]
        seen: list[str] = []
        for engine in engines:
            for _ in range(MAX_SUITES):
                outcome = attempt(label, engine, seen)
                if outcome.state == "reset":
                    outcome = attempt(label, engine, seen)  # one retry for a busy server, as the probes do
                if outcome.state in {"refused", "reset"}:
                    break
                if outcome.state != "accepted" or not outcome.detail or outcome.detail in seen:
                    scan.suites_error = f"{label}: listing the accepted suites stopped ({outcome.detail or outcome.state})"
                    return
                seen.append(outcome.detail)
            else:
                scan.suites_error = f"{label}: more than {MAX_SUITES} suites accepted; listing stopped"
                return
        scan.suites[label] = seen
    scan.suites_listed = True


def _versions(t: TlsTarget, scan: TlsScan, budget_end: float) -> bool:
    """Fill accepted versions and weak suites; False (with ``scan.error``) when the endpoint does not
    speak TLS at all or a probe could not tell accepted from refused.

    A probe that got no answer counts as refused only when the same endpoint answered a handshake
    made after it (it read ours and chose silence: some stacks ignore hellos they do not speak);
    otherwise the endpoint may simply have stopped answering, and the result is unknown."""
    everything = _stdlib_context(None, ALL_CIPHERS)

    def liveness() -> Outcome:
        if everything is None:
            return Outcome("untestable", "")
        return _stdlib_attempt(t, everything, min(time.monotonic() + t.timeout, budget_end))

    first = liveness()
    if first.state == "unreachable":
        scan.error = f"TLS connection failed: {first.detail}"
        return False
    if first.state == "silent":
        scan.error = (f"the port accepts TCP connections but never answers a TLS ClientHello "
                      f"(nothing within {t.timeout:g} s)")
        return False
    probes: list[tuple[str, bool, Outcome]] = [(label, False, _probe(t, label, weak=False, budget_end=budget_end))
                                               for label in PROBE_ORDER]
    for label in [lb for lb, _, o in probes if o.state == "accepted" and lb not in {"TLS 1.3", "SSL 2.0"}]:
        probes.append((label, True, _probe(t, label, weak=True, budget_end=budget_end)))
    silent = [i for i, (_, _, o) in enumerate(probes) if o.state == "silent"]
    if silent and not any(o.state in ANSWERED for _, _, o in probes[silent[-1] + 1:]):
        probes.append(("", False, liveness()))  # one more look: is the endpoint still answering at all?
    unknown: list[str] = []
    for i, (label, weak, outcome) in enumerate(probes):
        if not label:
            continue
        state = outcome.state
        if state == "silent" and any(o.state in ANSWERED for _, _, o in probes[i + 1:]):
            state = "refused"  # ignored, by an endpoint that answered the next handshake
        if state == "accepted":
            if weak:
                scan.weak_ciphers.append(f"{label} {outcome.detail}")
            else:
                scan.accepted_versions.append(label)
        elif state != "refused":
            unknown.append(f"{label}{' weak suites' if weak else ''}: {outcome.detail or state}")
    if unknown:
        scan.error = "not established, so not assessed: " + "; ".join(unknown)
        return False
    if not scan.accepted_versions:
        scan.error = "no TLS version could be negotiated"
        return False
    return True


def scan_tls(targets: list[TlsTarget]) -> list[TlsScan]:
    """Scan every endpoint; an endpoint that fails gets ``error`` set (and ``completed`` False), never
    raises. Bounded: see the module docstring."""
    if not targets:
        return []
    from concurrent.futures import ThreadPoolExecutor

    started = time.monotonic()
    scans = {t.endpoint: TlsScan(endpoint=t.endpoint, purpose=t.purpose, server_name=t.server_name) for t in targets}
    def versions_and_suites(t: TlsTarget) -> bool:
        scan = scans[t.endpoint]
        budget_end = started + HANDSHAKE_TIMEOUTS * t.timeout
        ok = _versions(t, scan, budget_end)
        if ok:
            _suites(t, scan, budget_end)  # a listing the budget cuts short is suites_error, not a failed scan
        return ok

    with ThreadPoolExecutor(max_workers=min(16, len(targets))) as pool:
        usable = list(pool.map(versions_and_suites, targets))
    reachable = [t for t, ok in zip(targets, usable) if ok]
    if reachable:
        budget = CERTIFICATE_TIMEOUTS * max(t.timeout for t in reachable)
        worker = threading.Thread(target=_certificates, args=(reachable, scans), name="voxaudit-sslyze", daemon=True)
        worker.start()
        worker.join(timeout=budget)
        if worker.is_alive():  # left to end on its own network timeouts; its results are not waited for
            for t in reachable:
                s = scans[t.endpoint]
                if not s.completed and not s.error:
                    s.error = f"the certificate was not read within {budget:g} s"
    for s in scans.values():
        s.duration_s = round(time.monotonic() - started, 3)
        if s.error:
            s.completed = False
    return [scans[t.endpoint] for t in targets]


def _certificates(targets: list[TlsTarget], scans: dict[str, TlsScan]) -> None:
    try:
        _sslyze(targets, scans)
    except Exception as exc:  # noqa: BLE001 - an sslyze failure costs the certificate, not the scan
        for t in targets:
            if not scans[t.endpoint].completed:
                scans[t.endpoint].error = f"the certificate could not be read ({exc.__class__.__name__})"


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
    from sslyze.plugins.certificate_info.implementation import (
        CertificateInfoExtraArgument,
    )
    from sslyze.scanner.models import ScanCommandsExtraArguments

    by_command = {"SSL 2.0": ScanCommand.SSL_2_0_CIPHER_SUITES, "SSL 3.0": ScanCommand.SSL_3_0_CIPHER_SUITES,
                  "TLS 1.0": ScanCommand.TLS_1_0_CIPHER_SUITES, "TLS 1.1": ScanCommand.TLS_1_1_CIPHER_SUITES,
                  "TLS 1.2": ScanCommand.TLS_1_2_CIPHER_SUITES, "TLS 1.3": ScanCommand.TLS_1_3_CIPHER_SUITES}
    requests, by_uuid = [], {}
    for t in targets:
        commands = {ScanCommand.CERTIFICATE_INFO}
        if t.cipher_suites:
            commands |= {by_command[v] for v in scans[t.endpoint].accepted_versions}
        extra = ScanCommandsExtraArguments(certificate_info=CertificateInfoExtraArgument(
            custom_ca_file=Path(t.ca_file))) if t.ca_file else ScanCommandsExtraArguments()
        config = ServerNetworkConfiguration(tls_server_name_indication=t.server_name or t.host,
                                            network_timeout=max(1, math.ceil(t.timeout)),
                                            network_max_retries=1)
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
        else:  # the versions are known, but a certificate nobody read is not a good one: the scan is incomplete
            scan.error = f"the certificate could not be read ({cert.status.name.lower()})"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False
