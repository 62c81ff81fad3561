"""Transport and media encryption on chan_pjsip: TLS signalling, SRTP media, trunks."""
from __future__ import annotations

from auditor.check import check
from auditor.facts.asterisk_sip import PJSIP_OBJECT_SOURCES
from checks.asterisk._common import (
    PLATFORMS,
    WEAK_CIPHER_RE,
    endpoint_transports,
    tls_version,
    transports,
)
from checks.common import TLS_PARAM, is_loopback

E1 = ["164.312(e)(1)", "164.312(e)(2)(ii)"]


@check(
    id="AST-TLS-101", title="SIP signalling uses TLS, not plaintext UDP/TCP", severity="high",
    hipaa=E1, area="transport", platforms=PLATFORMS, sources=["pjsip.conf"],
    rationale="""SIP signalling carries caller and callee numbers, names and the SDP that
    holds SRTP keys. A udp or tcp transport reachable beyond the host sends all of it in clear.""",
    remediation={
        "asterisk": "Define a TLS transport (protocol=tls, bind=0.0.0.0:5061, cert_file, priv_key_file, method=tlsv1_2) "
                    "and remove udp/tcp transports or bind them to 127.0.0.1; point endpoints at it with transport=.",
        "freepbx": "Settings > Asterisk SIP Settings > SIP Settings [chan_pjsip]: enable the TLS transport, pick a "
                   "certificate from Certificate Management, and untick udp/tcp on external interfaces; then set each "
                   "extension's Transport to the TLS one.",
    },
    references=["https://docs.asterisk.org/Configuration/Channel-Drivers/SIP/Secure-Calling/"],
)
def sip_transport_tls(facts, ctx):
    all_t = transports(facts)
    if not all_t:
        yield ctx.not_applicable("pjsip.conf", "no pjsip transports defined")
        return
    for t in all_t.values():
        proto = (t.get("protocol") or "udp").lower()
        bind = t.get("bind") or "0.0.0.0"
        res = f"transport {t.name}"
        if proto in {"tls", "wss"}:
            yield ctx.passed(res, f"protocol={proto}", t.location("protocol"))
        elif is_loopback(bind):
            yield ctx.passed(res, f"protocol={proto} bound to loopback {bind}", t.location("bind"))
        else:
            yield ctx.fail(res, f"plaintext SIP transport protocol={proto} on {bind}", t.location("protocol"),
                           fix=[f"[{t.name}]", "protocol=tls", "bind=0.0.0.0:5061", "method=tlsv1_2"])


@check(
    id="AST-TLS-102", title="TLS transports refuse versions below the profile minimum", severity="high",
    hipaa=E1, area="transport", platforms=PLATFORMS, sources=["pjsip.conf"], params=[TLS_PARAM],
    rationale="""TLS 1.0 and 1.1 are deprecated (RFC 8996). PJSIP's default method admits
    TLS 1.0, so a transport without an explicit method accepts it.""",
    remediation={
        "asterisk": "In each TLS transport set method=tlsv1_2 (or tlsv1_3).",
        "freepbx": "Settings > Asterisk SIP Settings > SIP Settings [chan_pjsip] > TLS/SSL/SRTP Settings: "
                   "SSL Method = tlsv1_2.",
    },
)
def tls_min_version(facts, ctx):
    floor = float(ctx.param("min_tls_version"))
    tls = [t for t in transports(facts).values() if (t.get("protocol") or "").lower() == "tls"]
    if not tls:
        yield ctx.not_applicable("pjsip.conf", "no TLS transport defined")
        return
    for t in tls:
        method = t.get("method")
        version = tls_version(method)
        res = f"transport {t.name}"
        if method is None:
            yield ctx.fail(res, "method not set: PJSIP's default admits TLS 1.0", t.location(),
                           fix=[f"[{t.name}]", "method=tlsv1_2"])
        elif version + 1e-9 < floor:
            yield ctx.fail(res, f"method={method} admits TLS below {floor}", t.location("method"),
                           fix=[f"[{t.name}]", "method=tlsv1_2"])
        else:
            yield ctx.passed(res, f"method={method}", t.location("method"))


@check(
    id="AST-TLS-103", title="TLS transports have a certificate and verify their peers", severity="medium",
    hipaa=E1 + ["164.312(d)"], area="transport", platforms=PLATFORMS, sources=["pjsip.conf"],
    rationale="""Without verify_server, Asterisk accepts any certificate from the carrier or
    peer it dials, so a man in the middle reads the call setup and SRTP keys.""",
    remediation={
        "asterisk": "In each TLS transport set cert_file and priv_key_file, ca_list_file, and verify_server=yes "
                    "(verify_client=yes where phones hold client certificates).",
        "freepbx": "Settings > Asterisk SIP Settings > chan_pjsip > TLS/SSL/SRTP Settings: Verify Server = Yes; "
                   "choose a certificate from Admin > Certificate Management.",
    },
)
def tls_verification(facts, ctx):
    tls = [t for t in transports(facts).values() if (t.get("protocol") or "").lower() == "tls"]
    if not tls:
        yield ctx.not_applicable("pjsip.conf", "no TLS transport defined")
        return
    for t in tls:
        missing = [k for k in ("cert_file", "priv_key_file") if not t.get(k)]
        res = f"transport {t.name}"
        if missing:
            yield ctx.fail(res, f"TLS transport without {', '.join(missing)}", t.location(),
                           fix=[f"[{t.name}]"] + [f"{k}=/etc/asterisk/keys/<file>" for k in missing])
        elif not t.flag("verify_server"):
            yield ctx.fail(res, "verify_server is off: any certificate is accepted from peers", t.location("verify_server"),
                           fix=[f"[{t.name}]", "verify_server=yes", "ca_list_file=/etc/ssl/certs/ca-certificates.crt"])
        else:
            yield ctx.passed(res, "certificate configured and verify_server=yes", t.location("verify_server"))


@check(
    id="AST-TLS-104", title="TLS cipher list excludes broken ciphers", severity="medium",
    hipaa=E1, area="transport", platforms=PLATFORMS, sources=["pjsip.conf"],
    rationale="""RC4, DES/3DES, NULL, EXPORT and anonymous suites give no real
    confidentiality; listing them lets a downgrade pick them.""",
    remediation={
        "asterisk": "Remove cipher= (use OpenSSL's defaults) or list only AEAD suites, e.g. "
                    "cipher=ECDHE-ECDSA-AES256-GCM-SHA384,ECDHE-RSA-AES256-GCM-SHA384.",
        "freepbx": "Remove the cipher override from pjsip.transports_custom.conf (FreePBX leaves it unset by default).",
    },
)
def tls_ciphers(facts, ctx):
    tls = [t for t in transports(facts).values() if (t.get("protocol") or "").lower() == "tls"]
    if not tls:
        yield ctx.not_applicable("pjsip.conf", "no TLS transport defined")
        return
    for t in tls:
        cipher = t.get("cipher")
        res = f"transport {t.name}"
        if cipher is None:
            yield ctx.passed(res, "cipher not set: library defaults", t.location())
            continue
        weak = [c for c in cipher.replace(",", ":").split(":") if WEAK_CIPHER_RE.search(c) and not c.startswith("!")]
        if weak or cipher.strip().upper() in {"ALL", "DEFAULT:ALL"}:
            yield ctx.fail(res, f"cipher list admits weak suites ({', '.join(weak) or cipher})", t.location("cipher"),
                           fix=[f"[{t.name}]", "cipher=ECDHE-ECDSA-AES256-GCM-SHA384,ECDHE-RSA-AES256-GCM-SHA384"])
        else:
            yield ctx.passed(res, "cipher list has no broken suites", t.location("cipher"))


@check(
    id="AST-TLS-105", title="SIP trunks register and call over TLS", severity="medium",
    hipaa=E1, area="transport", platforms=PLATFORMS, sources=PJSIP_OBJECT_SOURCES,
    rationale="""Calls to and from patients cross the carrier trunk. A trunk on UDP sends
    numbers and call setup over the internet in clear, with the trunk credentials' digest.""",
    remediation={
        "asterisk": "Use the carrier's TLS endpoint: transport=<tls transport> on the registration and endpoint, "
                    "server_uri=sip:<carrier>:5061;transport=tls (and media_encryption=sdes). If the carrier has "
                    "no TLS, record that in the risk analysis and choose one that does.",
        "freepbx": "Connectivity > Trunks > (trunk) > pjsip Settings > Advanced: Transport = the TLS transport, "
                   "SIP Server Port = 5061, Media Encryption = SRTP via in-SDP.",
    },
)
def trunk_tls(facts, ctx):
    all_t = transports(facts)
    regs = facts.of_kind("pjsip.registration")
    trunk_names = {r.get("endpoint") or r.name for r in regs}
    trunk_names |= {i.get("endpoint") for i in facts.of_kind("pjsip.identify") if i.get("endpoint")}
    if not regs and not trunk_names:
        yield ctx.not_applicable("pjsip.conf", "no trunks (registrations or identify-matched endpoints)")
        return
    for r in regs:
        uri = (r.get("server_uri") or "").lower()
        t = all_t.get(r.get("transport") or "")
        proto = (t.get("protocol") or "udp").lower() if t else ""
        ok = uri.startswith("sips:") or "transport=tls" in uri or proto == "tls"
        res = f"registration {r.name}"
        if ok:
            yield ctx.passed(res, f"registers over TLS ({uri or proto})", r.location("server_uri"))
        else:
            yield ctx.fail(res, f"registers over {proto or 'the default transport'} to {uri or 'an unspecified server'}",
                           r.location("server_uri"), fix=[f"[{r.name}]", "transport=<tls transport>",
                                                          "server_uri=sip:<carrier>:5061;transport=tls"])
    for name in sorted(n for n in trunk_names if n):
        ep = facts.named("pjsip.endpoint", name)
        if ep is None:
            continue
        pinned = all_t.get(ep.get("transport") or "")
        proto = (pinned.get("protocol") or "udp").lower() if pinned else "any"
        res = f"trunk endpoint {name}"
        if proto == "tls":
            yield ctx.passed(res, "trunk endpoint pinned to a TLS transport", ep.location("transport"))
        else:
            yield ctx.fail(res, f"trunk endpoint uses transport {ep.get('transport') or '(unpinned)'} ({proto})",
                           ep.location("transport"), fix=[f"[{name}]", "transport=<tls transport>", "media_encryption=sdes"])


@check(
    id="AST-SRTP-101", title="Every endpoint encrypts media (SRTP)", severity="high",
    hipaa=E1, area="transport", platforms=PLATFORMS, sources=PJSIP_OBJECT_SOURCES,
    rationale="""Without media_encryption the call audio (a patient describing symptoms) is
    plain RTP that anyone on the voice network can record and replay.""",
    remediation={
        "asterisk": "Set media_encryption=sdes (over a TLS transport) or media_encryption=dtls on each endpoint.",
        "freepbx": "Applications > Extensions > (extension) > Advanced > Media Encryption: SRTP via in-SDP "
                   "(recommended); for trunks, Connectivity > Trunks > pjsip Settings > Advanced > Media Encryption.",
    },
)
def endpoint_srtp(facts, ctx):
    eps = facts.of_kind("pjsip.endpoint")
    if not eps:
        yield ctx.not_applicable("pjsip.conf", "no pjsip endpoints defined")
        return
    for ep in eps:
        value = (ep.get("media_encryption") or "no").lower()
        res = f"endpoint {ep.name}"
        if value in {"sdes", "dtls"}:
            yield ctx.passed(res, f"media_encryption={value}", ep.location("media_encryption"))
        else:
            yield ctx.fail(res, f"media_encryption={value}: call audio is unencrypted RTP", ep.location("media_encryption"),
                           fix=[f"[{ep.name}]", "media_encryption=sdes"])


@check(
    id="AST-SRTP-102", title="SRTP is mandatory, not optimistic", severity="medium",
    hipaa=["164.312(e)(2)(ii)"], area="transport", platforms=PLATFORMS, sources=PJSIP_OBJECT_SOURCES,
    rationale="""media_encryption_optimistic=yes falls back to plain RTP whenever the other side
    does not offer SRTP, silently; encryption becomes a hope rather than a control.""",
    remediation={
        "asterisk": "Set media_encryption_optimistic=no (the default) on endpoints that use SRTP.",
        "freepbx": "Remove media_encryption_optimistic=yes from pjsip.endpoint_custom_post.conf.",
    },
)
def srtp_not_optimistic(facts, ctx):
    eps = [e for e in facts.of_kind("pjsip.endpoint") if (e.get("media_encryption") or "no").lower() in {"sdes", "dtls"}]
    if not eps:
        yield ctx.not_applicable("pjsip.conf", "no endpoint uses SRTP")
        return
    for ep in eps:
        res = f"endpoint {ep.name}"
        if ep.flag("media_encryption_optimistic"):
            yield ctx.fail(res, "media_encryption_optimistic=yes: falls back to plain RTP",
                           ep.location("media_encryption_optimistic"), fix=[f"[{ep.name}]", "media_encryption_optimistic=no"])
        else:
            yield ctx.passed(res, "SRTP required", ep.location("media_encryption"))


@check(
    id="AST-SRTP-103", title="SDES keys never travel over plaintext signalling", severity="high",
    hipaa=E1, area="transport", platforms=PLATFORMS, sources=PJSIP_OBJECT_SOURCES,
    rationale="""With SDES the SRTP key is written in the SDP (a=crypto). Over a udp or tcp
    transport that key is readable by anyone who sees the signalling, so the media is as good
    as unencrypted.""",
    remediation={
        "asterisk": "Pin SDES endpoints to a TLS transport (transport=<tls transport>), or use media_encryption=dtls.",
        "freepbx": "Applications > Extensions > (extension) > Advanced: Transport = the TLS transport when "
                   "Media Encryption is SRTP via in-SDP.",
    },
)
def sdes_over_tls(facts, ctx):
    eps = [e for e in facts.of_kind("pjsip.endpoint") if (e.get("media_encryption") or "").lower() == "sdes"]
    if not eps:
        yield ctx.not_applicable("pjsip.conf", "no endpoint uses SDES")
        return
    for ep in eps:
        usable = endpoint_transports(facts, ep)
        plain = [t.name for t in usable if (t.get("protocol") or "udp").lower() not in {"tls", "wss"}]
        res = f"endpoint {ep.name}"
        if plain:
            how = "is pinned to" if ep.get("transport") else "is not pinned and can use"
            yield ctx.fail(res, f"SDES endpoint {how} plaintext transport(s) {', '.join(plain)}: keys sent in clear",
                           ep.location("transport"), fix=[f"[{ep.name}]", "transport=<tls transport>"])
        else:
            yield ctx.passed(res, "SDES over TLS only", ep.location("transport"))
