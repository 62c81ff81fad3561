"""Authentication: account secrets are strong, not default, not shared; SIP requests without credentials
are challenged or refused; a SIP service does not tell valid users from invalid ones.

Evidence describes a secret's shape ("secret is 4 characters"), never the secret.
"""
from __future__ import annotations

from typing import Optional

from voxaudit.checks.params import SECRET_PARAM
from voxaudit.control import Params, Verdict, control, failed, not_applicable, passed, unknown
from voxaudit.records.authentication import ACCEPTED, UNDECIDED, AccountSecret, UnauthenticatedRequest, UserDisclosure
from voxaudit.records.secrets import SecretShape

SECRETS = ("164.312(d)", "164.308(a)(5)(ii)(D)")
SIP_CALLS = ("164.312(d)", "164.312(a)(1)", "NPRM-segmentation")
SIP_REGISTRATIONS = ("164.312(d)", "164.312(a)(1)")
SIP_USERS = ("164.312(d)", "164.312(a)(1)", "164.308(a)(5)(ii)(C)", "NPRM-segmentation")
STRONG = "secret is long, not default, not shared"


def weakness(secret: SecretShape, min_length: int) -> Optional[str]:
    """What is wrong with a secret's shape, never the secret; None when nothing is."""
    if not secret.present:
        return "no secret set"
    if secret.equals_identity:
        return "secret equals the account name"
    if secret.weakness == "known-weak":
        return "secret is a known default or common value"
    if secret.weakness in {"sequential", "repeated"}:
        return f"secret is a {secret.weakness} sequence"
    if secret.shared_with:
        return f"secret is shared with other accounts ({secret.shared_with})"
    if secret.length < min_length:
        return f"secret is {secret.length} characters, shorter than {min_length}"
    return None


@control(
    id="AUTH-SECRET-101", title="Account secrets are strong, not default, not shared", severity="critical",
    hipaa=SECRETS, area="access", record=AccountSecret, params=[SECRET_PARAM],
    rationale="""Scanners try account names, published vendor defaults and common passwords within minutes
    of a service appearing online. A guessed SIP secret registers as the extension (its calls, toll
    fraud, its voicemail); a guessed management, event or database secret is control of the whole
    system and of every stored credential; a device's factory admin password hands over its SIP
    credentials and call history. A secret shared by several accounts no longer identifies anyone. A
    secret stored hashed or filled in at deployment cannot be judged here and is reported as unknown.""",
)
def secret_strong(cred: AccountSecret, params: Params) -> Verdict:
    if cred.undecidable:
        return unknown(cred.undecidable)
    prefix = f"{cred.setting}: " if cred.setting else ""
    reason = weakness(cred.secret, params.int("min_secret_length"))
    return failed(prefix + reason) if reason else passed(prefix + STRONG)


def _admission(req: UnauthenticatedRequest) -> Verdict:
    if req.inactive:
        return not_applicable(req.inactive)
    if req.outcome == UNDECIDED or req.undecidable:
        return unknown(req.undecidable or f"not evaluated: {req.detail}")
    return failed(req.detail) if req.outcome == ACCEPTED else passed(req.detail)


@control(
    id="AUTH-SIP-101", title="Calls without credentials are challenged or refused (SIP, IAX2)", severity="critical",
    hipaa=SIP_CALLS, area="access", record=UnauthenticatedRequest,
    rationale="""A call request taken without authentication, from anyone who can reach the service rather
    than only from a carrier's listed addresses, lets a stranger call through the PBX (toll fraud) and
    into the dialplan's voicemail menus and internal extensions.""",
)
def calls_authenticated(req: UnauthenticatedRequest, params: Params) -> Verdict:
    return _admission(req)


@control(
    id="AUTH-SIP-102", title="SIP registrations without credentials are challenged or refused", severity="critical",
    hipaa=SIP_REGISTRATIONS, area="access", record=UnauthenticatedRequest,
    rationale="""A registrar that accepts a registration without credentials lets anyone take over an
    extension: receive its calls and its voicemail notifications, and call as that user.""",
)
def registrations_authenticated(req: UnauthenticatedRequest, params: Params) -> Verdict:
    return _admission(req)


@control(
    id="AUTH-SIP-103", title="Unknown SIP users get the same answer as known ones (no enumeration)", severity="high",
    hipaa=SIP_USERS, area="access", record=UserDisclosure,
    rationale="""When an unknown user gets a different answer from a known one (a refusal instead of a
    challenge), a scanner lists every valid extension first and then guesses a password for each.""",
)
def users_not_disclosed(rec: UserDisclosure, params: Params) -> Verdict:
    if rec.inactive:
        return not_applicable(rec.inactive)
    if rec.undecidable:
        return unknown(rec.undecidable)
    return failed(rec.detail) if rec.disclosed else passed(rec.detail)
