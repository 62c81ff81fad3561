"""chan_sip (sip.conf): the legacy channel driver, still on many clinic PBXes."""
from __future__ import annotations

from auditor.check import check
from checks.asterisk._common import PLATFORMS
from checks.common import SECRET_PARAM, judge_secrets


def _peers(facts):
    return facts.of_kind("sip.peer")


@check(
    id="AST-SIP-101", title="chan_sip peers use TLS signalling", severity="high",
    hipaa=["164.312(e)(1)"], area="transport", platforms=PLATFORMS, sources=["sip.conf"],
    rationale="""chan_sip's default transport is UDP; a peer that allows udp or tcp sends
    caller identity and SDES keys in clear.""",
    remediation={
        "asterisk": "In sip.conf [general] set tlsenable=yes, tlsbindaddr=0.0.0.0:5061, tlscertfile; on each peer "
                    "transport=tls. Better: migrate to chan_pjsip (chan_sip was removed in Asterisk 21).",
        "freepbx": "Settings > Asterisk SIP Settings > Chan SIP Settings: enable TLS; per extension set Transport = TLS. "
                   "Prefer converting extensions to PJSIP.",
    },
)
def chan_sip_tls(facts, ctx):
    if not facts.has_config("sip.conf") or not _peers(facts):
        yield ctx.not_applicable("sip.conf", "chan_sip has no peers")
        return
    general = facts.first("sip.general")
    tls_on = bool(general and general.flag("tlsenable"))
    default_transport = (general.get("transport") if general else None) or "udp"
    for peer in _peers(facts):
        transports = [t.strip().lower() for t in (peer.get("transport") or default_transport).split(",")]
        res = f"sip peer {peer.name}"
        if transports == ["tls"] and tls_on:
            yield ctx.passed(res, "transport=tls", peer.location("transport"))
        else:
            why = "tlsenable is off in [general]" if not tls_on else f"transport={','.join(transports)} admits plaintext"
            yield ctx.fail(res, why, peer.location("transport"), fix=[f"[{peer.name}]", "transport=tls"])


@check(
    id="AST-SIP-102", title="chan_sip peers require SRTP", severity="high",
    hipaa=["164.312(e)(1)", "164.312(e)(2)(ii)"], area="transport", platforms=PLATFORMS, sources=["sip.conf"],
    rationale="chan_sip sends plain RTP unless encryption=yes is set on the peer.",
    remediation={
        "asterisk": "Set encryption=yes on each peer (with transport=tls so the SDES key is protected).",
        "freepbx": "Applications > Extensions > (chan_sip extension) > Advanced: Enable Encryption = Yes (SRTP only).",
    },
)
def chan_sip_srtp(facts, ctx):
    if not facts.has_config("sip.conf") or not _peers(facts):
        yield ctx.not_applicable("sip.conf", "chan_sip has no peers")
        return
    general = facts.first("sip.general")
    default = general.get("encryption") if general else None
    for peer in _peers(facts):
        value = peer.get("encryption") or default or "no"
        res = f"sip peer {peer.name}"
        if value.lower() in {"yes", "true", "1", "on"}:
            yield ctx.passed(res, "encryption=yes", peer.location("encryption"))
        else:
            yield ctx.fail(res, f"encryption={value}: plain RTP", peer.location("encryption"),
                           fix=[f"[{peer.name}]", "encryption=yes"])


@check(
    id="AST-SIP-103", title="chan_sip rejects guests and hides valid usernames", severity="high",
    hipaa=["164.312(d)", "164.312(a)(1)"], area="access", platforms=PLATFORMS, sources=["sip.conf"],
    rationale="""allowguest defaults to yes: unauthenticated INVITEs land in the default context.
    alwaysauthreject=no answers differently for valid and invalid users, which lets a scanner
    enumerate extensions before guessing their passwords.""",
    remediation={
        "asterisk": "In sip.conf [general] set allowguest=no and alwaysauthreject=yes.",
        "freepbx": "Settings > Asterisk SIP Settings > General SIP Settings: Allow Anonymous Inbound SIP Calls = No; "
                   "Chan SIP Settings: alwaysauthreject is set in sip_general_custom.conf.",
    },
)
def chan_sip_guests(facts, ctx):
    general = facts.first("sip.general")
    if not facts.has_config("sip.conf") or general is None:
        yield ctx.not_applicable("sip.conf", "chan_sip is not configured")
        return
    problems, fixes = [], ["[general]"]
    if (general.get("allowguest") or "yes").lower() not in {"no", "false", "0", "off"}:
        problems.append("allowguest is on (the default)")
        fixes.append("allowguest=no")
    if (general.get("alwaysauthreject") or "yes").lower() in {"no", "false", "0", "off"}:
        problems.append("alwaysauthreject=no reveals valid usernames")
        fixes.append("alwaysauthreject=yes")
    if problems:
        yield ctx.fail("sip.conf [general]", "; ".join(problems), general.location("allowguest"), fix=fixes)
    else:
        yield ctx.passed("sip.conf [general]", "allowguest=no, alwaysauthreject=yes", general.location("allowguest"))


@check(
    id="AST-SIP-104", title="chan_sip peer secrets are strong and unique", severity="critical",
    hipaa=["164.312(d)", "164.308(a)(5)(ii)(D)"], area="access", platforms=PLATFORMS, sources=["sip.conf"],
    params=[SECRET_PARAM],
    rationale="""A guessed SIP secret lets an attacker register as the extension: receive its
    calls, make toll fraud calls, and reach voicemail as that user.""",
    remediation={
        "asterisk": "Give each peer a random secret of at least 16 characters (e.g. `openssl rand -base64 18`).",
        "freepbx": "Applications > Extensions > (extension) > General: Secret; FreePBX generates strong ones by default.",
    },
)
def chan_sip_secrets(facts, ctx):
    if not facts.has_config("sip.conf") or not _peers(facts):
        yield ctx.not_applicable("sip.conf", "chan_sip has no peers")
        return
    yield from judge_secrets(ctx, _peers(facts), "secret", "sip peer", stored_hashed=lambda p: (
        "secret stored as md5secret; strength not assessable offline"
        if "md5secret" in p.secrets and "secret" not in p.secrets else None))
