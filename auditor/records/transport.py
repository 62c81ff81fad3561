"""Encryption in transit of calls: how SIP signalling travels, whether TLS is available for it, how
media is protected, and whether media keys cross signalling in clear; read in configuration or seen
on the wire (``observed``)."""
from __future__ import annotations

from voxaudit.records.base import Record


class SignallingPath(Record, frozen=True, kw_only=True):
    """One way call signalling (SIP, or IAX2) can travel: a listener, an account, line or trunk, or what a probe or
    a capture saw.

    ``plaintext``: SIP in clear is admitted there (or was seen). ``loopback``: it is reachable from
    the host itself only; ``address``: the address it is bound to, when it has one. ``setting``: the
    deciding configuration in the platform's words, or what was observed, for evidence.
    ``undecidable``: why neither configuration nor probe shows it."""

    plaintext: bool
    setting: str
    loopback: bool = False
    address: str = ""
    undecidable: str = ""
    protocol: str = "SIP"  # or "IAX2": IAX2 carries signalling and audio in one stream


class TlsSupport(Record, frozen=True, kw_only=True):
    """Whether a SIP service has TLS switched on at all. ``setting``: what decides it, in the
    platform's words."""

    enabled: bool
    setting: str


class MediaPolicy(Record, frozen=True, kw_only=True):
    """How the media of one endpoint, user, line or offered/captured stream is protected.

    ``encrypted``: SRTP (SDES or DTLS) is used or offered. ``fallback``: plain RTP is still
    accepted when the other side offers no encryption. ``setting``: the deciding configuration in
    the platform's words, or what was seen. ``undecidable``: why the configuration does not show it."""

    encrypted: bool
    setting: str
    fallback: bool = False
    undecidable: str = ""
    carrier: str = "RTP"  # what carries the audio: RTP (encrypted: SRTP), or IAX2 frames (encrypted: AES-128)


class KeyExchange(Record, frozen=True, kw_only=True):
    """Media keys written into the signalling (SDES a=crypto) and how that signalling travels.

    ``exposed``: the keys can cross (or were seen crossing) plaintext signalling. ``setting``: the
    deciding configuration or observation, for evidence."""

    exposed: bool
    setting: str
