"""Encryption in transit of calls: SIP signalling only over TLS, media only as SRTP, and media keys
never in clear, whether read in configuration or seen on the wire.

Evidence quotes the record's setting as the platform writes it (or as it was observed); the
controls know no option name.
"""
from __future__ import annotations

from voxaudit.control import Params, Verdict, control, failed, not_applicable, passed, unknown
from voxaudit.records.transport import KeyExchange, MediaPolicy, SignallingPath, TlsSupport

E1 = ("164.312(e)(1)", "164.312(e)(2)(ii)")


@control(
    id="ENC-SIG-101", title="No plaintext call signalling (SIP, IAX2) beyond loopback", severity="high",
    hipaa=(*E1, "NPRM-segmentation"), area="transport", record=SignallingPath,
    rationale="""SIP signalling carries caller and callee numbers and names, the digest exchange and
    the SDP that holds SDES media keys. Any listener, account, line or trunk that admits SIP over
    UDP or TCP on an address beyond the host itself sends all of it in clear, readable by anyone on
    the path; only TLS protects it. IAX2 (trunks between sites, older extensions) carries the same
    signalling, and the audio with it, in clear unless its encryption is forced; with plaintext
    authentication it sends the account's secret itself.""",
)
def no_plaintext_signalling(path: SignallingPath, params: Params) -> Verdict:
    if path.undecidable:
        return unknown(path.undecidable)
    if not path.plaintext:
        return passed(path.setting)
    if path.loopback:
        return passed(f"{path.setting}: reachable from this host only (loopback)")
    return failed(f"plaintext {path.protocol}: {path.setting}")


@control(
    id="ENC-SIG-102", title="TLS is enabled for SIP", severity="high", hipaa=E1, area="transport",
    record=TlsSupport,
    rationale="""A SIP service without TLS switched on can only signal in clear, whatever its listeners
    say: the TLS support has to be present and enabled before any listener can use it.""",
)
def tls_enabled(tls: TlsSupport, params: Params) -> Verdict:
    return passed(tls.setting) if tls.enabled else failed(f"TLS not enabled ({tls.setting})")


@control(
    id="ENC-MEDIA-101", title="Call media is encrypted (SRTP, or IAX2 encryption)", severity="high", hipaa=E1,
    area="transport",
    record=MediaPolicy,
    rationale="""Unencrypted RTP (a patient describing symptoms) can be recorded and replayed into
    audio by anyone on the voice network who captures it: the conversation itself is PHI. The same holds
    for the audio inside unencrypted IAX2 frames.""",
)
def media_encrypted(media: MediaPolicy, params: Params) -> Verdict:
    if media.undecidable:
        return unknown(media.undecidable)
    if media.encrypted:
        return passed(media.setting)
    return failed(f"{media.setting}: call audio is unencrypted {media.carrier}")


@control(
    id="ENC-MEDIA-102", title="Media encryption is mandatory, never a silent fallback to plain media",
    severity="high", hipaa=E1, area="transport", record=MediaPolicy,
    rationale="""Encryption that is only offered falls back to plain RTP (or clear IAX2) whenever the other
    side does not offer it, silently: encryption becomes a hope rather than a control.""",
)
def media_mandatory(media: MediaPolicy, params: Params) -> Verdict:
    if media.undecidable:
        return unknown(media.undecidable)
    if not media.encrypted:
        return not_applicable(f"{media.setting}: no media encryption to enforce (see ENC-MEDIA-101)")
    if media.fallback:
        return failed(f"{media.setting}: falls back to plain {media.carrier}")
    return passed(f"{media.setting}: {'SRTP' if media.carrier == 'RTP' else 'encryption'} required")


@control(
    id="ENC-MEDIA-103", title="Media keys never travel over plaintext signalling", severity="high", hipaa=E1,
    area="transport", record=KeyExchange,
    rationale="""With SDES the SRTP key is written in the SDP (a=crypto). Over plaintext signalling that
    key is readable by anyone who sees it, so the media that follows is as good as unencrypted.""",
)
def keys_protected(keys: KeyExchange, params: Params) -> Verdict:
    if keys.exposed:
        return failed(f"{keys.setting}: keys sent in clear, the media is decryptable")
    return passed(keys.setting)
