"""TLS as configured on a listener or profile, or as a scan saw it on the wire: protocol versions,
cipher suites, peer verification, and the certificate a service holds or presents."""
from __future__ import annotations

from typing import Optional

import msgspec

from voxaudit.records.base import Record


def version_name(version: float) -> str:
    """0.3 -> "SSL 3.0", 1.2 -> "TLS 1.2"; what the record's numbers mean, for evidence."""
    if version >= 1.0:
        return f"TLS {version:.1f}"
    if version > 0.0:
        return f"SSL {version * 10:.1f}"
    return "an unrecognised protocol version"


class ProtocolVersions(Record, frozen=True, kw_only=True):
    """The protocol versions one TLS listener, profile or scanned endpoint admits.

    ``versions``: each admitted version as a number (SSL 3.0 is 0.3, TLS 1.2 is 1.2); a setting that
    states only the lowest version gives that one. ``setting``: how it is configured, in the
    platform's words, for evidence ("method=tlsv1"); empty when observed. ``undecidable``: why
    the configuration does not show them (set only on the running host)."""

    versions: tuple[float, ...]
    setting: str = ""
    undecidable: str = ""


class CipherSuites(Record, frozen=True, kw_only=True):
    """The cipher suites a TLS listener admits.

    ``weak``: the broken suites (NULL, export, RC4, DES/3DES, anonymous, MD5) it lists or a scan
    saw accepted, or the catch-all that admits them. ``setting``: configured, the list judged in
    the platform's words ("cipher list"); observed, the protocol versions the scan covered."""

    weak: tuple[str, ...] = ()
    setting: str = ""


class PeerVerification(Record, frozen=True, kw_only=True):
    """Whether a TLS listener or client checks the certificate its peer presents.

    ``setting``: the deciding option as the platform writes it ("verify_server=yes")."""

    verifies: bool
    setting: str
    undecidable: str = ""


class ServerCredentials(Record, frozen=True, kw_only=True):
    """The certificate and private key a TLS listener is configured to present.

    ``missing``: the settings, in the platform's words, that should name them and are empty."""

    missing: tuple[str, ...] = ()


class CertificateInfo(msgspec.Struct, frozen=True, gc=False):
    """A certificate as a scan read it: who it names, who issued it, until when, its key."""

    holder: str = ""
    issuer: str = ""
    not_after: str = ""
    days_left: int = 0
    key_type: str = ""
    key_bits: int = 0
    self_signed: bool = False
    trusted: bool = False
    hostname_match: Optional[bool] = None
    lifetime_days: Optional[int] = None  # notAfter - notBefore; None: not read (an older scan)
    san_names: Optional[tuple[str, ...]] = None  # subjectAltName DNS names, addresses, URIs; () = none


class PresentedCertificate(Record, frozen=True, kw_only=True):
    """The certificate a TLS endpoint presented to a scan (None: the scan could not read one) and
    the name it must match."""

    certificate: Optional[CertificateInfo]
    server_name: str = ""


# The Mozilla "intermediate" server profile (https://ssl-config.mozilla.org/guidelines/5.7.json, the
# version sslyze 6.3.1 ships as sslyze/mozilla_tls_profile/5.7.json): its TLS 1.2 suites in OpenSSL's
# names and its TLS 1.3 suites. tests/checks/test_tls_strict.py holds these equal to sslyze's copy,
# so a judgement here and sslyze's own check read one list; kept here because the offline install
# (configured cipher lists) has no sslyze.
MOZILLA_PROFILE = "Mozilla intermediate 5.7"
MOZILLA_INTERMEDIATE_TLS12 = frozenset({
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    "DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES256-GCM-SHA384", "DHE-RSA-CHACHA20-POLY1305",
})
# What an OpenSSL cipher string for the profile says, ECDHE only (the DHE suites need 2048-bit DH
# parameters most SIP servers cannot set), as the fixes write it.
MOZILLA_CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                   "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305")
MOZILLA_INTERMEDIATE_TLS13 = frozenset({"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"})
# OpenSSL's naming: the key exchange is the name's first part; a name with none is static RSA.
# (PSK and SRP suites are named for theirs; "RSA-PSK" is an RSA key transport, not ephemeral.)
_EPHEMERAL = ("ECDHE-", "DHE-", "EDH-", "ADH-", "AECDH-", "EXP-EDH-", "EXP-ADH-", "EXP1024-DHE-")
_AEAD = ("GCM", "CHACHA20", "CCM")


def is_tls13_suite(name: str) -> bool:
    """TLS 1.3 suites are named TLS_..., and always use an ephemeral (EC)DHE or PSK-(EC)DHE exchange."""
    return name.startswith("TLS_")


def forward_secret(name: str) -> bool:
    """Does this suite (OpenSSL's name) agree keys ephemerally, so a stolen server key opens no recorded session?"""
    return is_tls13_suite(name) or name.startswith(_EPHEMERAL)


def aead(name: str) -> bool:
    """Is this suite's cipher an AEAD (GCM, ChaCha20-Poly1305, CCM) rather than CBC with a MAC, or a stream cipher?"""
    return is_tls13_suite(name) or any(m in name for m in _AEAD)


def in_mozilla_intermediate(name: str) -> bool:
    return name in (MOZILLA_INTERMEDIATE_TLS13 if is_tls13_suite(name) else MOZILLA_INTERMEDIATE_TLS12)


def suite_traits(name: str) -> str:
    """What is wrong with a suite outside the profile, for evidence ("static RSA, CBC")."""
    traits = [] if forward_secret(name) else ["static key exchange"]
    if not aead(name):
        traits.append("not AEAD")
    return ", ".join(traits) or "not in the profile"


class AcceptedSuites(Record, frozen=True, kw_only=True):
    """Every cipher suite a TLS listener accepts: listed by a scan, one handshake per suite and version,
    or the suites its configured cipher list selects, as OpenSSL expands it.

    ``suites``: (protocol version, OpenSSL suite name); the version is "" for a configured list, which
    applies to every version below TLS 1.3. ``setting``: how the list was read, for evidence.
    ``undecidable``: why the suites are not known (a scan that did not list them, a list OpenSSL
    refuses)."""

    suites: tuple[tuple[str, str], ...] = ()
    setting: str = ""
    undecidable: str = ""
