"""A SIP service as seen from where the scanner sits: plaintext transports, banners,
authentication of REGISTER and INVITE, user enumeration, reachability from the data network."""
from __future__ import annotations

from auditor.check import check

PLATFORMS = ["sip"]
SOURCES = ["sip"]
DATA_VANTAGES = {"data", "data-vlan", "guest", "guest-wifi", "workstations", "internet", "external"}
CHALLENGED = {401, 407}
REFUSED = {403, 404, 405, 488, 501}
# Failures that say the server could not deal with the request just now, not that it refuses it.
TRANSIENT = {408, 480, 500, 503, 504}


NO_ANSWER = "no answer"  # how the enumeration probe records a REGISTER that got none


def _answered(facts):
    return [t for t in facts.transports if t.state == "answered"]


def _remediation(generic: str, asterisk: str, kamailio: str, freeswitch: str) -> dict[str, str]:
    return {"sip": generic, "asterisk": asterisk, "kamailio": kamailio, "freeswitch": freeswitch}


@check(
    id="SIP-NET-101", title="No plaintext SIP (UDP/TCP) answers", severity="high",
    hipaa=["164.312(e)(1)", "164.312(e)(2)(ii)"], area="transport", platforms=PLATFORMS, sources=SOURCES,
    rationale="""Whatever answers SIP in clear carries caller and callee identities, and SDES keys when
    SRTP is negotiated over it, readable by anyone on the path.""",
    remediation=_remediation(
        "Offer SIP only over TLS (5061) on addresses phones and trunks use; close 5060 or bind it to loopback.",
        "pjsip.conf: remove udp/tcp transports (or bind them to 127.0.0.1); keep a transport with protocol=tls.",
        "listen=tls:<address>:5061 only (udp/tcp on 127.0.0.1 if an internal hop needs them).",
        "sofia profiles: tls=true, tls-only=true; bind sip-ip/sip-port of plaintext profiles to loopback."),
)
def plaintext_sip(facts, ctx):
    probed = [t for t in facts.transports if t.transport in {"udp", "tcp"}]
    if not probed:
        yield ctx.not_applicable(facts.address, "UDP/TCP not probed")
        return
    for t in probed:
        name = f"sip {t.transport}/{t.port}"
        if t.state == "answered":
            yield ctx.fail(name, f"plaintext SIP answers (OPTIONS -> {t.options.status if t.options else '?'})",
                           fix=[f"close {t.transport}/{t.port} or bind it to loopback; use TLS on 5061"])
        elif t.state == "closed":  # refused, ICMP unreachable, or no TCP connection at all
            yield ctx.passed(name, f"no plaintext SIP: {t.detail or t.state}")
        else:  # UDP silence or a connection that never answered SIP: filtered, or ignoring this scanner
            yield ctx.unknown(name, f"not evaluated: {t.detail or t.state}; silence does not show that "
                                           "nothing speaks SIP here")


@check(
    id="SIP-NET-102", title="SIP answers do not reveal software and version", severity="low",
    hipaa=["164.308(a)(1)(ii)(B)"], area="access", platforms=PLATFORMS, sources=SOURCES,
    rationale="A Server/User-Agent header with product and version tells a scanner which exploits to try.",
    remediation=_remediation(
        "Remove or genericise the Server and User-Agent headers.",
        "pjsip.conf [global]: user_agent=PBX (no version); sip.conf: useragent=PBX, sdpowner=PBX.",
        "server_signature=no and user_agent_header=\"User-Agent: SIP edge\" in kamailio.cfg.",
        "sofia profile: user-agent-string=PBX and username=PBX."),
)
def banner(facts, ctx):
    answered = _answered(facts)
    for t in answered:
        server = (t.options.server if t.options else "") or ""
        name = f"sip {t.transport}/{t.port}"
        if any(ch.isdigit() for ch in server):
            yield ctx.fail(name, f"Server/User-Agent: {server}", fix=["remove the version from the Server header"])
        else:
            yield ctx.passed(name, f"Server header: {server or '(none)'}")


@check(
    id="SIP-NET-103", title="REGISTER without credentials is challenged or refused", severity="critical",
    hipaa=["164.312(d)", "164.312(a)(1)"], area="access", platforms=PLATFORMS, sources=SOURCES,
    rationale="""A registrar that accepts REGISTER without credentials lets anyone take over an extension
    and receive its calls and voicemail notifications.""",
    remediation=_remediation(
        "Require digest authentication for every REGISTER.",
        "pjsip.conf: every endpoint has auth= and aors=; no anonymous endpoint or identify matching everyone.",
        "WITH_AUTH: www_authorize()/auth_check() on REGISTER before save().",
        "sofia profile: auth-calls=true, accept-blind-reg=false."),
)
def register_auth(facts, ctx):
    for t in _answered(facts):
        name = f"sip {t.transport}/{t.port}"
        r = t.unauth_register
        if r is None:
            yield ctx.unknown(name, "not evaluated: REGISTER without credentials got no answer; "
                                           "silence is not a refusal")
        elif r.status < 200:
            yield ctx.unknown(name, f"not evaluated: REGISTER got only a provisional answer ({r.status})")
        elif r.status in CHALLENGED:
            yield ctx.passed(name, f"REGISTER challenged ({r.status} {r.challenge})")
        elif r.status in TRANSIENT:
            yield ctx.unknown(name, f"not evaluated: REGISTER failed for another reason ({r.status} "
                                           f"{r.reason})")
        elif r.status in REFUSED or r.status >= 400:
            yield ctx.passed(name, f"REGISTER refused ({r.status} {r.reason})")
        elif r.status >= 300:
            yield ctx.unknown(name, f"not evaluated: REGISTER redirected ({r.status} {r.reason})")
        else:
            yield ctx.fail(name, f"REGISTER without credentials accepted ({r.status} {r.reason})",
                           fix=["require digest authentication for REGISTER"])


@check(
    id="SIP-NET-104", title="Valid and invalid users get the same answer (no enumeration)", severity="medium",
    hipaa=["164.312(a)(1)", "164.308(a)(5)(ii)(C)"], area="access", platforms=PLATFORMS, sources=SOURCES,
    rationale="""When unknown users get 404 and real ones a challenge, a scanner lists every extension
    and then guesses passwords for each.""",
    remediation=_remediation(
        "Answer REGISTER/INVITE for unknown users exactly as for known ones (a challenge).",
        "pjsip.conf [global]: no 'unidentified request' differences: chan_sip alwaysauthreject=yes; pjsip answers "
        "401 for unknown endpoints by default.",
        "Challenge before looking the user up: www_challenge() for unknown users instead of sl_send_reply(404).",
        "sofia profile: log-auth-failures=true and challenge unknown users (do not reply 404 to REGISTER)."),
)
def enumeration(facts, ctx):
    e = facts.enumeration
    if e is None:
        yield ctx.not_applicable(facts.address, "enumeration probe not enabled (opt-in: sip.enumeration)")
        return
    evidence = f"known user -> {e.known_user_status}; made-up users -> {', '.join(e.unknown_user_statuses)}"
    answered = [u for u in e.unknown_user_statuses if u != NO_ANSWER]
    if e.known_user_status != NO_ANSWER and any(u != e.known_user_status for u in answered):
        yield ctx.fail(f"sip {e.transport}", evidence, fix=["challenge unknown users like known ones"])
    elif e.known_user_status == NO_ANSWER or len(answered) < len(e.unknown_user_statuses):
        yield ctx.unknown(f"sip {e.transport}", f"not evaluated: {evidence} (an unanswered REGISTER "
                                                       "cannot be compared)")
    else:
        yield ctx.passed(f"sip {e.transport}", evidence)


@check(
    id="SIP-NET-105", title="INVITE without credentials is challenged or refused", severity="critical",
    hipaa=["164.312(d)", "164.312(a)(1)"], area="access", platforms=PLATFORMS, sources=SOURCES,
    rationale="""An INVITE routed without authentication means anyone can call through the PBX (toll fraud)
    or reach voicemail and internal extensions directly.""",
    remediation=_remediation(
        "Authenticate every INVITE from outside the trusted trunks.",
        "Endpoints with auth=; trunks matched by identify/match= only; no anonymous endpoint; "
        "allowguest=no in sip.conf.",
        "proxy_authorize()/auth_check() for INVITE unless from a trusted address (allow_source_address).",
        "sofia profile: auth-calls=true and apply-inbound-acl for trunks only."),
)
def invite_auth(facts, ctx):
    i = facts.invite
    if i is None:
        yield ctx.not_applicable(facts.address, "INVITE probe not enabled (opt-in: sip.invite, rings phones)")
        return
    evidence = f"INVITE to {i.target} -> {', '.join(map(str, i.statuses)) or 'no answer'}"
    final = next((s for s in i.statuses if s >= 200), None)
    name = f"sip {i.transport}"
    if final in CHALLENGED or final == 403:
        yield ctx.passed(name, evidence)
    elif final is None and not any(100 < s < 200 for s in i.statuses):
        yield ctx.unknown(name, f"not evaluated: {evidence} (no final answer)")
    elif final in TRANSIENT - {480}:
        yield ctx.unknown(name, f"not evaluated: {evidence} (a failure that is not a refusal)")
    else:  # ringing, routed onwards (480, 404...), or answered
        yield ctx.fail(name, evidence + (" (cancelled at once)" if i.cancelled else ""),
                       fix=["challenge unauthenticated INVITEs"])


@check(
    id="SIP-NET-106", title="Media offered in SDP is encrypted", severity="high",
    hipaa=["164.312(e)(1)", "164.312(e)(2)(ii)"], area="transport", platforms=PLATFORMS, sources=SOURCES,
    rationale="An SDP with RTP/AVP and no a=crypto or DTLS fingerprint means the call audio travels in clear.",
    remediation=_remediation(
        "Offer only RTP/SAVP (SDES over TLS) or DTLS-SRTP.",
        "media_encryption=sdes (or dtls) on every endpoint, media_encryption_optimistic=no.",
        "Kamailio relays SDP; enforce SRTP on the PBX and rtpengine (RTP/SAVP).",
        "rtp_secure_media=mandatory on the sofia profiles."),
)
def sdp_encrypted(facts, ctx):
    seen = [(t, r) for t in _answered(facts) for r in (t.options, t.unauth_register) if r is not None and r.sdp]
    if not seen:
        yield ctx.not_applicable(facts.address, "no SDP in any answer")
        return
    for t, r in seen:
        sdp = r.sdp
        secure = sdp.crypto_lines > 0 or sdp.fingerprint or all("SAVP" in p for p in sdp.media_protocols)
        name = f"sip {t.transport}/{t.port}"
        desc = f"media {', '.join(sdp.media_protocols) or '?'}; crypto lines {sdp.crypto_lines}; " \
               f"fingerprint {'yes' if sdp.fingerprint else 'no'}"
        yield (ctx.passed(name, desc) if secure else ctx.fail(name, desc, fix=["offer RTP/SAVP only"]))


@check(
    id="SIP-NET-107", title="Voice services are not reachable from the data network", severity="high",
    hipaa=["164.312(a)(1)", "164.312(e)(1)", "NPRM-segmentation"], area="access", platforms=PLATFORMS + ["tls"], sources=[],
    rationale="""If a workstation on the data network can reach the PBX's SIP or admin ports, one infected
    PC can attack the phone system; voice and data must be segmented (required under HHS's 2025 proposal).""",
    remediation={
        "sip": "Filter the data VLAN from the voice VLAN: allow only the specific softphone/app flows via an ACL "
               "or firewall rule to the SBC, deny the rest (see SW-ACL-101 for switch ACLs).",
        "tls": "Reach admin UIs only from a management VLAN or VPN; deny them from the data VLAN at the firewall.",
        "asterisk": "Also bind pjsip transports and http.conf to the voice/management addresses only.",
        "kamailio": "Also listen= only on the voice VLAN address.",
        "freeswitch": "Also bind sofia profiles' sip-ip to the voice VLAN address.",
    },
)
def reachable_from_data(facts, ctx):
    vantage = (getattr(facts, "vantage", "") or "").lower()
    if not vantage:
        yield ctx.not_applicable(facts.address, "the inventory does not say where the scanner sits (scanner_vantage)")
        return
    reached = [f"sip {t.transport}/{t.port}" for t in getattr(facts, "transports", []) if t.state == "answered"]
    reached += [f"tls {s.endpoint} ({s.purpose or 'tls'})" for s in facts.tls if s.completed]
    if vantage not in DATA_VANTAGES:
        yield ctx.not_applicable(facts.address, f"scanner sits on '{vantage}', not a data network")
    elif reached:
        yield ctx.fail(facts.address, f"reachable from the {vantage} network: {', '.join(reached)}",
                       fix=["deny data-VLAN -> voice-VLAN traffic except the required flows"])
    else:
        yield ctx.passed(facts.address, f"nothing answered from the {vantage} network")
