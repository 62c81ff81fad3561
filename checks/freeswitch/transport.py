"""Signalling and media encryption on mod_sofia profiles."""
from __future__ import annotations

from auditor.check import check
from auditor.model import ErrorKind
from checks.common import TLS_PARAM, is_loopback
from checks.freeswitch._common import (
    PLATFORMS,
    TLS_NAMES,
    fs_true,
    not_assessable,
    profile_label,
)

E1 = ["164.312(e)(1)", "164.312(e)(2)(ii)"]


@check(
    id="FS-TLS-101", title="Sofia profiles accept SIP over TLS only", severity="high",
    hipaa=E1, area="transport", platforms=PLATFORMS, sources=["sofia"],
    rationale="""A sofia profile with tls=false, or tls=true but tls-only=false, still answers
    plain SIP on its sip-port: caller identity and SDES keys cross the network in clear.""",
    remediation={
        "freeswitch": "In the profile (sip_profiles/<name>.xml): tls=true and tls-only=true (in vanilla configs set "
                      "internal_ssl_enable / external_ssl_enable=true in vars.xml), with a certificate in "
                      "$${base_dir}/conf/tls (agent.pem, cafile.pem).",
        "fusionpbx": "Advanced > SIP Profiles > (profile): tls = true, tls-only = true; reload the profile.",
    },
)
def sofia_tls_only(facts, ctx):
    profiles = facts.of_kind("sofia.profile")
    if not profiles:
        yield ctx.not_applicable("sofia", "no sofia profiles")
        return
    for p in profiles:
        res = profile_label(p)
        unknown = not_assessable(ctx, res, p, "tls", "tls-only")
        if is_loopback(p.get("sip-ip")):
            yield ctx.passed(res, f"bound to loopback {p.get('sip-ip')}", p.location("sip-ip"))
        elif unknown is not None:
            yield unknown
        elif not fs_true(p.get("tls")):
            yield ctx.fail(res, f"tls={p.get('tls') or 'unset'}: SIP only in plaintext", p.location("tls"),
                           fix=['<param name="tls" value="true"/>', '<param name="tls-only" value="true"/>'])
        elif not fs_true(p.get("tls-only")):
            yield ctx.fail(res, "tls=true but tls-only=false: plaintext SIP still accepted", p.location("tls-only"),
                           fix=['<param name="tls-only" value="true"/>'])
        else:
            yield ctx.passed(res, "tls=true, tls-only=true", p.location("tls-only"))


@check(
    id="FS-TLS-102", title="Sofia TLS refuses versions below the profile minimum", severity="high",
    hipaa=E1, area="transport", platforms=PLATFORMS, sources=["sofia"], params=[TLS_PARAM],
    rationale="The vanilla sip_tls_version is 'tlsv1,tlsv1.1,tlsv1.2': TLS 1.0 and 1.1 are deprecated (RFC 8996).",
    remediation={
        "freeswitch": "In vars.xml set sip_tls_version=tlsv1.2 (or the profile's tls-version param to tlsv1.2).",
        "fusionpbx": "Advanced > Variables > SIP: sip_tls_version = tlsv1.2.",
    },
)
def sofia_tls_version(facts, ctx):
    floor = float(ctx.param("min_tls_version"))
    tls = [p for p in facts.of_kind("sofia.profile") if fs_true(p.get("tls"))]
    if not tls:
        yield ctx.not_applicable("sofia", "no profile has TLS enabled")
        return
    for p in tls:
        unknown = not_assessable(ctx, profile_label(p), p, "tls-version")
        if unknown is not None:
            yield unknown
            continue
        raw = p.get("tls-version") or "tlsv1,tlsv1.1,tlsv1.2,tlsv1.3"  # mod_sofia's default when unset or empty
        versions = [v.strip().lower() for v in raw.split(",") if v.strip()]
        low = [v for v in versions if TLS_NAMES.get(v, 1.0) + 1e-9 < floor]
        if low:
            yield ctx.fail(profile_label(p), f"tls-version={raw} admits {', '.join(low)}", p.location("tls-version"),
                           fix=['<param name="tls-version" value="tlsv1.2"/>'])
        else:
            yield ctx.passed(profile_label(p), f"tls-version={raw}", p.location("tls-version"))


@check(
    id="FS-TLS-103", title="Sofia TLS verifies peer certificates", severity="medium",
    hipaa=E1 + ["164.312(d)"], area="transport", platforms=PLATFORMS, sources=["sofia"],
    rationale="""tls-verify-policy=none accepts any certificate from carriers and peers, so a
    man in the middle reads call setup and SRTP keys.""",
    remediation={
        "freeswitch": "Set tls-verify-policy to 'out' (external/trunk profiles) or 'all' (where phones hold "
                      "certificates), with tls-verify-date=true.",
        "fusionpbx": "Advanced > SIP Profiles > (profile): tls-verify-policy = out (or all).",
    },
)
def sofia_tls_verify(facts, ctx):
    tls = [p for p in facts.of_kind("sofia.profile") if fs_true(p.get("tls"))]
    if not tls:
        yield ctx.not_applicable("sofia", "no profile has TLS enabled")
        return
    for p in tls:
        unknown = not_assessable(ctx, profile_label(p), p, "tls-verify-policy")
        if unknown is not None:
            yield unknown
            continue
        policy = (p.get("tls-verify-policy") or "none").lower()
        if policy in {"none", ""}:
            yield ctx.fail(profile_label(p), "tls-verify-policy=none: any certificate accepted",
                           p.location("tls-verify-policy"), fix=['<param name="tls-verify-policy" value="out"/>'])
        else:
            yield ctx.passed(profile_label(p), f"tls-verify-policy={policy}", p.location("tls-verify-policy"))


@check(
    id="FS-SRTP-101", title="Users require SRTP (rtp_secure_media=mandatory)", severity="high",
    hipaa=E1, area="transport", platforms=PLATFORMS, sources=["directory"],
    rationale="""Unless rtp_secure_media is mandatory, FreeSWITCH accepts plain RTP whenever the
    phone does not offer SRTP: the call audio is then recordable on the voice network.""",
    remediation={
        "freeswitch": "Add <variable name=\"rtp_secure_media\" value=\"mandatory\"/> to the domain's or user's "
                      "<variables> in the directory (or set it in the dialplan before bridge).",
        "fusionpbx": "Accounts > Extensions > (extension) > Advanced: add variable rtp_secure_media=mandatory, or "
                     "Dialplan > Global variables.",
    },
)
def user_srtp(facts, ctx):
    users = facts.of_kind("directory.user")
    if not users:
        yield ctx.not_applicable("directory", "no directory users")
        return
    # rtp_secure_media set in the dialplan applies per call, under conditions not evaluated here
    dialplan = [d for d in facts.of_kind("dialplan.set")
                if (d.get("value") or "").split(":")[0].strip().lower() in {"mandatory", "true"}]
    for u in users:
        value = u.get("rtp_secure_media") or u.get("rtp_secure_media_inbound")
        mode = (value or "").split(":")[0].strip().lower()
        res = f"user {u.name}"
        unknown = not_assessable(ctx, res, u, "rtp_secure_media" if u.get("rtp_secure_media") else
                                 "rtp_secure_media_inbound")
        if unknown is not None:
            yield unknown
        elif mode in {"mandatory", "true"}:
            yield ctx.passed(res, f"rtp_secure_media={mode}", u.location("rtp_secure_media"))
        elif dialplan:
            d = dialplan[0]
            yield ctx.unknown(res, f"rtp_secure_media={mode or 'unset'} in the directory; the dialplan sets it to "
                              f"{d.get('value')} at {d.source.file}:{d.source.line} under conditions the audit does "
                              "not evaluate", ErrorKind.NOT_COLLECTED, d.source)
        else:
            why = f"rtp_secure_media={mode}" if mode else "rtp_secure_media not set in the directory (plain RTP accepted)"
            yield ctx.fail(res, why, u.location("rtp_secure_media"),
                           fix=['<variable name="rtp_secure_media" value="mandatory"/>'])
