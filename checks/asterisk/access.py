"""Who may talk to the PBX: pjsip authentication, ACLs, anonymous endpoints."""
from __future__ import annotations

from auditor.check import check
from auditor.facts.asterisk_sip import PJSIP_OBJECT_SOURCES
from checks.asterisk._common import PLATFORMS
from checks.common import SECRET_PARAM, judge_secrets

ACL_KEYS = ("acl", "permit", "deny", "contact_acl", "contact_permit", "contact_deny")


@check(
    id="AST-ACC-101", title="Endpoints are limited to the voice network (ACL)", severity="medium",
    hipaa=["164.312(a)(1)", "NPRM-segmentation"], area="access", platforms=PLATFORMS, sources=PJSIP_OBJECT_SOURCES,
    rationale="""Without an ACL an extension can register from anywhere its password works,
    including the guest Wi-Fi and the internet. Limiting endpoints to the voice VLAN's
    addresses is segmentation enforced at the PBX.""",
    remediation={
        "asterisk": "Add a pjsip ACL: [acl] type=acl deny=0.0.0.0/0.0.0.0 permit=<voice VLAN>/24 (applies to all), "
                    "or per endpoint contact_deny=0.0.0.0/0.0.0.0 and contact_permit=<voice VLAN>/24.",
        "freepbx": "Applications > Extensions > (extension) > Advanced: Permit/Deny; or Connectivity > Firewall with "
                   "the voice VLAN as a Trusted/Local zone.",
    },
)
def endpoint_acl(facts, ctx):
    eps = facts.of_kind("pjsip.endpoint")
    if not eps:
        yield ctx.not_applicable("pjsip.conf", "no pjsip endpoints defined")
        return
    global_acl = facts.of_kind("pjsip.acl")
    identified = {i.get("endpoint") for i in facts.of_kind("pjsip.identify")}
    for ep in eps:
        res = f"endpoint {ep.name}"
        if global_acl:
            yield ctx.passed(res, f"global pjsip ACL {global_acl[0].name} applies", global_acl[0].source)
        elif ep.name in identified and not ep.get("auth"):
            yield ctx.passed(res, "trunk matched by source IP (identify) with no inbound auth", ep.source)
        elif any(ep.get(k) for k in ACL_KEYS):
            key = next(k for k in ACL_KEYS if ep.get(k))
            yield ctx.passed(res, f"{key}={ep.get(key)}", ep.location(key))
        else:
            yield ctx.fail(res, "no acl, permit/deny or contact ACL", ep.source,
                           fix=[f"[{ep.name}]", "contact_deny=0.0.0.0/0.0.0.0", "contact_permit=<voice VLAN>/255.255.255.0"])


@check(
    id="AST-ACC-102", title="No endpoint accepts calls without authentication", severity="critical",
    hipaa=["164.312(d)", "164.312(a)(1)"], area="access", platforms=PLATFORMS, sources=PJSIP_OBJECT_SOURCES,
    rationale="""An 'anonymous' endpoint, or an endpoint with no auth= that is not matched by
    IP (identify), takes calls from anyone who names it: toll fraud, and a path into the
    dialplan's voicemail contexts.""",
    remediation={
        "asterisk": "Remove [anonymous] type=endpoint; give every endpoint auth=<auth object>, or for trunks match "
                    "the carrier by IP with a type=identify object.",
        "freepbx": "Settings > Asterisk SIP Settings > General: Allow Anonymous Inbound SIP Calls = No; "
                   "Allow SIP Guests = No.",
    },
)
def endpoint_auth_required(facts, ctx):
    eps = facts.of_kind("pjsip.endpoint")
    if not eps:
        yield ctx.not_applicable("pjsip.conf", "no pjsip endpoints defined")
        return
    identified = {i.get("endpoint") for i in facts.of_kind("pjsip.identify")}
    for ep in eps:
        res = f"endpoint {ep.name}"
        if ep.name.lower() == "anonymous":
            yield ctx.fail(res, "anonymous endpoint accepts unauthenticated calls", ep.source, fix=[f"; delete [{ep.name}]"])
        elif ep.get("auth"):
            yield ctx.passed(res, f"auth={ep.get('auth')}", ep.location("auth"))
        elif ep.name in identified:
            yield ctx.passed(res, "matched by IP (identify); no digest expected", ep.source)
        else:
            yield ctx.fail(res, "no auth= and no identify: calls are accepted unauthenticated", ep.source,
                           fix=[f"[{ep.name}]", f"auth={ep.name}-auth"])


@check(
    id="AST-ACC-103", title="SIP passwords are strong and unique", severity="critical",
    hipaa=["164.312(d)", "164.308(a)(5)(ii)(D)"], area="access", platforms=PLATFORMS, sources=PJSIP_OBJECT_SOURCES,
    params=[SECRET_PARAM],
    rationale="""SIP scanners try the extension number and common passwords within minutes of a
    PBX appearing online; a match gives calls, toll fraud and the user's voicemail.""",
    remediation={
        "asterisk": "Set each auth's password to a random 16+ character value (e.g. `openssl rand -base64 18`).",
        "freepbx": "Applications > Extensions > (extension) > General: Secret (use the generated value).",
    },
)
def sip_passwords(facts, ctx):
    auths = facts.of_kind("pjsip.auth")
    if not auths:
        yield ctx.not_applicable("pjsip.conf", "no pjsip auth objects")
        return
    yield from judge_secrets(ctx, auths, "password", "auth", stored_hashed=lambda a: (
        "md5_cred stored; strength not assessable offline"
        if "md5_cred" in a.secrets and "password" not in a.secrets else None))
