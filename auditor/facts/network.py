"""Facts seen on the wire: SIP probe answers and TLS endpoint scans.

Typed records rather than configuration objects: each says what was sent (method, transport,
port), what came back (status, headers that matter) and nothing else. Request-URIs use
made-up users unless the user named one; no credentials are ever sent.
"""
from __future__ import annotations

from typing import ClassVar, Literal, Optional

from voxaudit.facts.common import PlatformFacts
from voxaudit.model import Data


class SdpFacts(Data, kw_only=True):
    media_protocols: list[str] = []  # e.g. RTP/AVP, RTP/SAVP, UDP/TLS/RTP/SAVPF
    crypto_lines: int = 0       # a=crypto (SDES): counted, the keys are never kept
    fingerprint: bool = False   # a=fingerprint (DTLS-SRTP)


class SipResponse(Data, kw_only=True):
    status: int
    reason: str = ""
    server: str = ""            # Server or User-Agent header
    allow: list[str] = []
    challenge: str = ""         # WWW-/Proxy-Authenticate scheme, e.g. "Digest"
    sdp: Optional[SdpFacts] = None


class SipTransportProbe(Data, kw_only=True):
    transport: Literal["udp", "tcp", "tls"]
    port: int
    state: Literal["answered", "closed", "no-answer", "garbage", "tls-failed"]
    detail: str = ""
    options: Optional[SipResponse] = None
    unauth_register: Optional[SipResponse] = None   # REGISTER without credentials, for a made-up user
    rtt_ms: float = 0.0


class EnumerationProbe(Data, kw_only=True):
    """Opt-in: REGISTER for a user that exists and for made-up users, compared."""

    transport: str
    known_user_status: str
    unknown_user_statuses: list[str]
    distinguishable: bool


class InviteProbe(Data, kw_only=True):
    """Opt-in: an INVITE without credentials; anything but a challenge or a rejection is accepted."""

    transport: str
    target: str
    statuses: list[int]
    accepted: bool
    cancelled: bool = False


class CertificateFacts(Data, kw_only=True):
    subject: str = ""
    issuer: str = ""
    not_after: str = ""
    days_left: int = 0
    key_type: str = ""
    key_bits: int = 0
    self_signed: bool = False
    trusted: bool = False        # chains to the Mozilla root store as sslyze ships it
    hostname_match: Optional[bool] = None
    # Added in 2.x; None in scans saved before (not read, never "fine"):
    not_before: str = ""
    lifetime_days: Optional[int] = None  # notAfter - notBefore, whole days
    san_names: Optional[list[str]] = None  # subjectAltName DNS names, addresses, URIs; [] = none (or no extension)


class TlsScan(Data, kw_only=True):
    endpoint: str                # host:port
    purpose: str = ""            # "sip-tls", "https-admin", "wss"
    server_name: str = ""        # the name the certificate must match (SNI), if known
    completed: bool = False
    error: str = ""
    accepted_versions: list[str] = []  # "SSL 3.0" ... "TLS 1.3"
    weak_ciphers: list[str] = []       # NULL, EXPORT, RC4, DES/3DES, anonymous
    # Every suite each accepted version accepted, OpenSSL names ({"TLS 1.2": ["ECDHE-RSA-AES128-GCM-SHA256"]});
    # suites_listed False (scans saved before 2.x, or the listing did not finish: suites_error) = unknown.
    suites: dict[str, list[str]] = {}
    suites_listed: bool = False
    suites_error: str = ""
    certificate: Optional[CertificateFacts] = None
    duration_s: float = 0.0


class AdminPortProbe(Data, kw_only=True):
    """One TCP port of a PBX's management interfaces, connected to from the scanner (nothing is sent).

    ``state``: "open" (the connection was accepted), "closed" (refused), "filtered" (no answer in time);
    ``service``: what the first bytes the port volunteered show ("AMI", "event socket", "" when it said
    nothing, as an HTTP server waits for a request). Never the banner itself."""

    port: int
    state: str
    service: str = ""


class SipFacts(PlatformFacts, tag="sip", kw_only=True):
    """A SIP service probed from where the scanner sits (its ``vantage``, e.g. "data VLAN")."""

    platform: ClassVar[str] = "sip"
    address: str
    vantage: str = ""
    transports: list[SipTransportProbe] = []
    enumeration: Optional[EnumerationProbe] = None
    invite: Optional[InviteProbe] = None
    tls: list[TlsScan] = []
    probes_sent: int = 0
    admin_ports: list[AdminPortProbe] = []  # the inventory's admin_ports, connected to (opt-in)

    def source_state(self, name: str) -> tuple[str, str]:
        if name == "sip":
            return ("ok", "") if self.transports else ("not_collected", "no SIP transport was probed")
        if name == "tls":
            if not self.tls:
                return "missing", "no TLS transport configured"
            return ("ok", "") if any(s.completed for s in self.tls) else ("error", self.tls[0].error or "TLS scan failed")
        return super().source_state(name)


class TlsEndpointFacts(PlatformFacts, tag="tls", kw_only=True):
    """Admin UIs and other TLS services scanned on their own (HTTPS, ARI/WSS, LDAPS...)."""

    platform: ClassVar[str] = "tls"
    address: str
    vantage: str = ""
    tls: list[TlsScan] = []

    def source_state(self, name: str) -> tuple[str, str]:
        if name == "tls":
            if not self.tls:
                return "not_collected", "no TLS endpoint scanned"
            return ("ok", "") if any(s.completed for s in self.tls) else ("error", self.tls[0].error or "TLS scan failed")
        return super().source_state(name)

    def resource_errors(self, name: str) -> list[tuple[str, str]]:
        if name != "tls":
            return []
        return [(f"tls {s.endpoint}", s.error) for s in self.tls if not s.completed and any(t.completed for t in self.tls)]


class RtpStream(Data, kw_only=True):
    src: str
    dst: str
    ssrc: str
    packets: int
    payload_type: int
    kind: Literal["rtp", "srtp"]
    basis: str  # how the kind was decided (SDP seen, or payload entropy)


class VlanTraffic(Data, kw_only=True):
    vlan: int  # 0 = untagged
    packets: int
    kinds: dict[str, int]  # voice-signalling, voice-media, provisioning, data, other -> packets


class ProvisioningFetch(Data, kw_only=True):
    protocol: Literal["tftp", "http"]
    path: str
    requests: int


class PacketFacts(PlatformFacts, tag="pcap", kw_only=True):
    """What a capture shows: never payloads, never caller identities, never audio."""

    platform: ClassVar[str] = "pcap"
    source: str
    capture_point: str = ""  # trunk, access, span: which tags the capture can see
    packets: int = 0
    sip_in_clear: dict[str, int] = {}
    sdes_keys_in_clear: int = 0
    sip_tls_records: int = 0  # TCP segments to or from 5061 opening a TLS record: SIP over TLS, SDP unreadable
    streams: list[RtpStream] = []
    vlans: list[VlanTraffic] = []
    provisioning: list[ProvisioningFetch] = []
    # RTP packets of streams beyond the first ``max_streams`` (memory stays bounded on any capture): counted,
    # never classified, so the media controls say what they could not judge
    untracked_stream_packets: int = 0
    max_streams: int = 0
    # Frames neither the decoder nor scapy could read (a link type not read, a frame cut inside its link header):
    # what they carried is not judged, so each capture control gives one ERROR saying so (coverage drops)
    undecoded_packets: int = 0

    def source_state(self, name: str) -> tuple[str, str]:
        if name == "capture":
            return ("ok", "") if self.packets else ("missing", "the capture holds no packets")
        return super().source_state(name)

    def resource_errors(self, name: str) -> list[tuple[str, str]]:
        if name != "capture" or not self.undecoded_packets:
            return []
        return [("(packets not decoded)", f"{self.undecoded_packets:,} of {self.packets:,} packets could not be decoded "
                                          "(a link type voxaudit does not read, or frames cut inside their link "
                                          "header): what they carried is not judged")]


class SnmpAttempt(Data, kw_only=True):
    version: Literal["v1", "v2c", "v3"]
    credential: str          # the inventory reference or "default 'public'"; never a secret value
    origin: str = "inventory"
    level: str = ""          # v3: noAuthNoPriv, authNoPriv, authPriv
    answered: bool
    detail: str = ""


class SnmpFacts(PlatformFacts, tag="snmp", kw_only=True):
    platform: ClassVar[str] = "snmp"
    address: str
    port: int = 161
    attempts: list[SnmpAttempt] = []
    sys_descr: str = ""
    vlans: list[str] = []            # Q-BRIDGE-MIB VLAN names, when exposed
    lldp_med_voice_vlans: list[str] = []

    def source_state(self, name: str) -> tuple[str, str]:
        if name == "snmp":
            return ("ok", "") if self.attempts else ("not_collected", "no SNMP credential was tried")
        return super().source_state(name)
