"""A SIP service's authentication as seen on the wire: a REGISTER and (opt-in) an INVITE sent without
credentials, and (opt-in) REGISTERs for a known user and for made-up ones compared.

SIP status classes decide the outcome: 401/407 challenge; 403, 404, 405, 488, 501 and any other final
failure refuse; 408, 480 (for REGISTER), 500, 503, 504 say the server could not deal with the request
just now, which is no refusal; silence and provisional answers prove nothing. Every record is
``observed``.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.network import SipFacts
from voxaudit.platforms.network.common import per_platform
from voxaudit.records.authentication import ACCEPTED, CHALLENGED, REFUSED, UnauthenticatedRequest, UserDisclosure

SOURCES = ("sip",)
CHALLENGE_STATUSES = {401, 407}
REFUSAL_STATUSES = {403, 404, 405, 488, 501}
TRANSIENT = {408, 480, 500, 503, 504}
NO_ANSWER = "no answer"  # how the enumeration probe records a REGISTER that got none


def _register(subject: str, outcome: str = "", detail: str = "", undecidable: str = "") -> UnauthenticatedRequest:
    return UnauthenticatedRequest(subject=subject, observed=True, request="registration", outcome=outcome,
                                  detail=detail, undecidable=undecidable)


def registrations(facts: SipFacts) -> Iterator[UnauthenticatedRequest]:
    for t in facts.transports:
        if t.state != "answered":
            continue
        name = f"sip {t.transport}/{t.port}"
        r = t.unauth_register
        if r is None:
            yield _register(name, undecidable="not evaluated: REGISTER without credentials got no answer; "
                                              "silence is not a refusal")
        elif r.status < 200:
            yield _register(name, undecidable=f"not evaluated: REGISTER got only a provisional answer ({r.status})")
        elif r.status in CHALLENGE_STATUSES:
            yield _register(name, outcome=CHALLENGED, detail=f"REGISTER challenged ({r.status} {r.challenge})")
        elif r.status in TRANSIENT:
            yield _register(name, undecidable=f"not evaluated: REGISTER failed for another reason ({r.status} "
                                              f"{r.reason})")
        elif r.status in REFUSAL_STATUSES or r.status >= 400:
            yield _register(name, outcome=REFUSED, detail=f"REGISTER refused ({r.status} {r.reason})")
        elif r.status >= 300:
            yield _register(name, undecidable=f"not evaluated: REGISTER redirected ({r.status} {r.reason})")
        else:
            yield _register(name, outcome=ACCEPTED, detail=f"REGISTER without credentials accepted ({r.status} {r.reason})")


def calls(facts: SipFacts) -> Iterator[UnauthenticatedRequest]:
    i = facts.invite
    if i is None:
        return
    evidence = f"INVITE to {i.target} -> {', '.join(map(str, i.statuses)) or 'no answer'}"
    final = next((s for s in i.statuses if s >= 200), None)
    name = f"sip {i.transport}"
    if final in CHALLENGE_STATUSES or final == 403:
        outcome, detail, why = (CHALLENGED if final in CHALLENGE_STATUSES else REFUSED), evidence, ""
    elif final is None and not any(100 < s < 200 for s in i.statuses):
        outcome, detail, why = "", evidence, f"not evaluated: {evidence} (no final answer)"
    elif final in TRANSIENT - {480}:
        outcome, detail, why = "", evidence, f"not evaluated: {evidence} (a failure that is not a refusal)"
    else:  # ringing, routed onwards (480, 404...), or answered
        outcome, detail, why = ACCEPTED, evidence + (" (cancelled at once)" if i.cancelled else ""), ""
    yield UnauthenticatedRequest(subject=name, observed=True, request="call", outcome=outcome, detail=detail,
                                 undecidable=why)


def user_disclosure(facts: SipFacts) -> Iterator[UserDisclosure]:
    e = facts.enumeration
    if e is None:
        return
    evidence = f"known user -> {e.known_user_status}; made-up users -> {', '.join(e.unknown_user_statuses)}"
    answered = [u for u in e.unknown_user_statuses if u != NO_ANSWER]
    name = f"sip {e.transport}"
    if e.known_user_status != NO_ANSWER and any(u != e.known_user_status for u in answered):
        yield UserDisclosure(subject=name, observed=True, disclosed=True, detail=evidence)
    elif e.known_user_status == NO_ANSWER or len(answered) < len(e.unknown_user_statuses):
        yield UserDisclosure(subject=name, observed=True, detail=evidence,
                             undecidable=f"not evaluated: {evidence} (an unanswered REGISTER cannot be compared)")
    else:
        yield UserDisclosure(subject=name, observed=True, detail=evidence)


def register_fix(req: UnauthenticatedRequest) -> list[str]:
    return ["require digest authentication for REGISTER"]


def invite_fix(req: UnauthenticatedRequest) -> list[str]:
    return ["challenge unauthenticated INVITEs"]


def disclosure_fix(rec: UserDisclosure) -> list[str]:
    return ["challenge unknown users like known ones"]


REGISTER_REMEDIATION = per_platform(
    "Require digest authentication for every REGISTER.",
    "pjsip.conf: every endpoint has auth= and aors=; no anonymous endpoint or identify matching everyone.",
    "WITH_AUTH: www_authorize()/auth_check() on REGISTER before save().",
    "sofia profile: auth-calls=true, accept-blind-reg=false.")
ENUMERATION_REMEDIATION = per_platform(
    "Answer REGISTER/INVITE for unknown users exactly as for known ones (a challenge).",
    "pjsip.conf [global]: no 'unidentified request' differences: chan_sip alwaysauthreject=yes; pjsip answers "
    "401 for unknown endpoints by default.",
    "Challenge before looking the user up: www_challenge() for unknown users instead of sl_send_reply(404).",
    "sofia profile: log-auth-failures=true and challenge unknown users (do not reply 404 to REGISTER).")
INVITE_REMEDIATION = per_platform(
    "Authenticate every INVITE from outside the trusted trunks.",
    "Endpoints with auth=; trunks matched by identify/match= only; no anonymous endpoint; "
    "allowguest=no in sip.conf.",
    "proxy_authorize()/auth_check() for INVITE unless from a trusted address (allow_source_address).",
    "sofia profile: auth-calls=true and apply-inbound-acl for trunks only.")

BINDINGS = (
    Binding("AUTH-SIP-102", "sip", registrations, SOURCES, "SIP-NET-103", REGISTER_REMEDIATION, register_fix,
            none="no SIP transport answered"),
    Binding("AUTH-SIP-103", "sip", user_disclosure, SOURCES, "SIP-NET-104", ENUMERATION_REMEDIATION, disclosure_fix,
            none="enumeration probe not enabled (opt-in: sip.enumeration)"),
    Binding("AUTH-SIP-101", "sip", calls, SOURCES, "SIP-NET-105", INVITE_REMEDIATION, invite_fix,
            none="INVITE probe not enabled (opt-in: sip.invite, rings phones)"),
)
