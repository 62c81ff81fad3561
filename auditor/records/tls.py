"""TLS as configured on a listener or profile, or as a scan saw it on the wire: protocol versions,
cipher suites, peer verification, and the certificate a service holds or presents."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from voxaudit.records.base import Record


def version_name(version: float) -> str:
    """0.3 -> "SSL 3.0", 1.2 -> "TLS 1.2"; what the record's numbers mean, for evidence."""
    if version >= 1.0:
        return f"TLS {version:.1f}"
    if version > 0.0:
        return f"SSL {version * 10:.1f}"
    return "an unrecognised protocol version"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtocolVersions(Record):
    """The protocol versions one TLS listener, profile or scanned endpoint admits.

    ``versions``: each admitted version as a number (SSL 3.0 is 0.3, TLS 1.2 is 1.2); a setting that
    states only the lowest version gives that one. ``setting``: how it is configured, in the
    platform's words, for evidence ("method=tlsv1"); empty when observed. ``undecidable``: why
    the configuration does not show them (set only on the running host)."""

    versions: tuple[float, ...]
    setting: str = ""
    undecidable: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CipherSuites(Record):
    """The cipher suites a TLS listener admits.

    ``weak``: the broken suites (NULL, export, RC4, DES/3DES, anonymous, MD5) it lists or a scan
    saw accepted, or the catch-all that admits them. ``setting``: configured, the list judged in
    the platform's words ("cipher list"); observed, the protocol versions the scan covered."""

    weak: tuple[str, ...] = ()
    setting: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerVerification(Record):
    """Whether a TLS listener or client checks the certificate its peer presents.

    ``setting``: the deciding option as the platform writes it ("verify_server=yes")."""

    verifies: bool
    setting: str
    undecidable: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerCredentials(Record):
    """The certificate and private key a TLS listener is configured to present.

    ``missing``: the settings, in the platform's words, that should name them and are empty."""

    missing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CertificateInfo:
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


@dataclass(frozen=True, slots=True, kw_only=True)
class PresentedCertificate(Record):
    """The certificate a TLS endpoint presented to a scan (None: the scan could not read one) and
    the name it must match."""

    certificate: Optional[CertificateInfo]
    server_name: str = ""
