"""Desk phones as provisioned: line encryption, admin password, provisioning channel, idle-screen popups.

One check covers every vendor; the remediation names each vendor's own option.
"""
from __future__ import annotations

from auditor.check import check
from checks.common import SECRET_PARAM, weak_secret_reason

PLATFORMS = ["phone"]


def _vendor(obj) -> str:
    return obj.get("vendor") or "phone"


def _remediation(**per_vendor: str) -> dict[str, str]:
    return {k.replace("_", "-"): v for k, v in per_vendor.items()}


@check(
    id="PHONE-TLS-101", title="Phone lines register over TLS", severity="high",
    hipaa=["164.312(e)(1)"], area="transport", platforms=PLATFORMS, sources=["provisioning"],
    rationale="A line on UDP or TCP sends caller identity and the SRTP key exchange in clear across the LAN.",
    remediation=_remediation(
        yealink="account.N.sip_server.1.transport_type = 2 (TLS), with server port 5061.",
        polycom="reg.N.server.1.transport=\"TLS\" and reg.N.server.1.port=\"5061\".",
        grandstream="P130 = 2 (TLS) for account 1 (and the matching P-value for other accounts).",
        cisco_spa="<SIP_Transport_N_>TLS</SIP_Transport_N_> with the proxy on port 5061.",
    ),
)
def line_tls(facts, ctx):
    accounts = facts.of_kind("phone.account")
    if not accounts:
        yield ctx.not_applicable("provisioning", "no enabled SIP lines")
        return
    for a in accounts:
        transport = a.get("transport") or "udp"
        option = a.get("transport.option") or "transport (default)"
        if transport == "tls":
            yield ctx.passed(a.name, f"{option} = TLS", a.location("transport"))
        else:
            yield ctx.fail(a.name, f"{option} gives {transport.upper()}", a.location("transport"),
                           fix=[f"{option} -> TLS"])


@check(
    id="PHONE-SRTP-101", title="Phone lines require SRTP", severity="high",
    hipaa=["164.312(e)(1)", "164.312(e)(2)(ii)"], area="transport", platforms=PLATFORMS, sources=["provisioning"],
    rationale="With SRTP off or optional, a phone talks plain RTP to any peer that does not insist on encryption.",
    remediation=_remediation(
        yealink="account.N.srtp_encryption = 2 (compulsory).",
        polycom="sec.srtp.enable=\"1\", sec.srtp.offer=\"1\", sec.srtp.require=\"1\".",
        grandstream="P183 = 2 (SRTP enabled and forced).",
        cisco_spa="<Secure_Call_Setting_N_>Yes</Secure_Call_Setting_N_>.",
    ),
)
def line_srtp(facts, ctx):
    accounts = facts.of_kind("phone.account")
    if not accounts:
        yield ctx.not_applicable("provisioning", "no enabled SIP lines")
        return
    for a in accounts:
        mode = a.get("srtp") or "off"
        option = a.get("srtp.option") or "SRTP (default: off)"
        if mode == "mandatory":
            yield ctx.passed(a.name, f"{option}: SRTP required", a.location("srtp"))
        else:
            yield ctx.fail(a.name, f"{option}: SRTP {mode}", a.location("srtp"), fix=[f"{option} -> mandatory"])


@check(
    id="PHONE-ACC-101", title="The phone's admin password is not a default", severity="critical",
    hipaa=["164.312(d)", "164.308(a)(5)(ii)(D)"], area="access", platforms=PLATFORMS, sources=["provisioning"],
    params=[SECRET_PARAM],
    rationale="""The phone's web UI with the factory password (admin/admin, 456, empty) gives anyone on the
    network its SIP credentials, call history and the ability to forward calls or record.""",
    remediation=_remediation(
        yealink="static.security.user_password = admin:<random 16+ characters>.",
        polycom="device.auth.localAdminPassword=\"<random>\" with device.auth.localAdminPassword.set=\"1\".",
        grandstream="P2 = <random 16+ characters>.",
        cisco_spa="<Admin_Passwd>random 16+ characters</Admin_Passwd>.",
    ),
)
def admin_password(facts, ctx):
    devices = facts.of_kind("phone.device")
    if not devices:
        yield ctx.not_applicable("provisioning", "no provisioning files")
        return
    for d in devices:
        info = d.secrets.get("admin_password")
        option = d.get("admin_password.option") or "admin password (not provisioned: factory default stays)"
        reason = weak_secret_reason(info, ctx.param("min_secret_length"))
        if reason:
            yield ctx.fail(f"phone {d.name}", f"{option}: {reason}", info.source if info else d.source,
                           fix=[f"{option} -> random, 16+ characters"])
        else:
            yield ctx.passed(f"phone {d.name}", f"{option}: strong", info.source)


@check(
    id="PHONE-PRV-101", title="Provisioning uses HTTPS, not TFTP/HTTP/FTP", severity="high",
    hipaa=["164.312(e)(1)"], area="transport", platforms=PLATFORMS, sources=["provisioning"],
    rationale="""Provisioning files carry every line's SIP password. Fetched over TFTP, HTTP or FTP they
    can be read, or replaced, by anyone on the path.""",
    remediation=_remediation(
        yealink="static.auto_provision.server.url = https://<server>/ (and phones trust the server's CA).",
        polycom="device.prov.serverType=\"HTTPS\" with device.prov.serverName=\"https://<server>/\".",
        grandstream="P212 = 2 (HTTPS) and P237 = the server path.",
        cisco_spa="<Profile_Rule>https://<server>/$MA.xml</Profile_Rule>.",
    ),
)
def provisioning_https(facts, ctx):
    devices = [d for d in facts.of_kind("phone.device") if d.get("provisioning_url")]
    if not devices:
        yield ctx.not_applicable("provisioning", "no provisioning URL in the files")
        return
    for d in devices:
        proto = d.get("provisioning_protocol") or "?"
        if proto in {"https", "ftps"}:
            yield ctx.passed(f"phone {d.name}", f"{d.get('provisioning_url.option')} uses {proto}",
                             d.location("provisioning_url"))
        else:
            yield ctx.fail(f"phone {d.name}", f"{d.get('provisioning_url.option')} = {d.get('provisioning_url')} ({proto})",
                           d.location("provisioning_url"), fix=[f"{d.get('provisioning_url.option')} -> https://..."])


@check(
    id="PHONE-PRV-102", title="No credentials inside the provisioning URL", severity="high",
    hipaa=["164.312(d)", "164.312(a)(1)"], area="access", platforms=PLATFORMS, sources=["provisioning"],
    rationale="A user:password@ in the URL is shown in the phone's UI, logged by proxies and copied into every file.",
    remediation=_remediation(
        yealink="Use static.auto_provision.server.username / .password (or client certificates) instead of URL credentials.",
        polycom="Use device.prov.user and device.prov.password instead of URL credentials.",
        grandstream="Use the config server's HTTP/HTTPS user name and password P-values instead of URL credentials.",
        cisco_spa="Use HTTPS with client certificates, or --uid/--pwd options, not user:password@ in Profile_Rule.",
    ),
)
def provisioning_credentials(facts, ctx):
    devices = [d for d in facts.of_kind("phone.device") if d.get("provisioning_url")]
    if not devices:
        yield ctx.not_applicable("provisioning", "no provisioning URL in the files")
        return
    for d in devices:
        if "provisioning_url_password" in d.secrets:
            yield ctx.fail(f"phone {d.name}", "provisioning URL embeds user:password", d.location("provisioning_url"),
                           fix=[f"{d.get('provisioning_url.option')} -> URL without credentials"])
        else:
            yield ctx.passed(f"phone {d.name}", "no credentials in the URL", d.location("provisioning_url"))


@check(
    id="PHONE-NTF-101", title="Idle screen does not pop up voicemail and missed-call details", severity="medium",
    hipaa=["164.530(c)", "164.514(d)"], area="notifications", platforms=PLATFORMS, sources=["provisioning"],
    rationale="""On shared exam-room and front-desk phones, idle-screen popups show who called and left a
    message to whoever walks by. (Assessed for Yealink, where the options are known.)""",
    remediation=_remediation(
        yealink="features.voice_mail_popup.enable = 0 and features.missed_call_popup.enable = 0 (the phone still "
                "lights its message indicator).",
        polycom="Not assessed by this check.", grandstream="Not assessed by this check.",
        cisco_spa="Not assessed by this check.",
    ),
)
def idle_popups(facts, ctx):
    devices = [d for d in facts.of_kind("phone.device") if _vendor(d) == "yealink"]
    if not devices:
        yield ctx.not_applicable("provisioning", "no phone whose popup options are known (Yealink)")
        return
    for d in devices:
        shown = [name for name, key in (("voicemail", "voicemail_popup"), ("missed-call", "missed_call_popup"))
                 if (d.get(key) or "1").strip() != "0"]  # both default to on
        if shown:
            yield ctx.fail(f"phone {d.name}", f"{' and '.join(shown)} popups on the idle screen", d.location("voicemail_popup"),
                           fix=["features.voice_mail_popup.enable = 0", "features.missed_call_popup.enable = 0"])
        else:
            yield ctx.passed(f"phone {d.name}", "idle-screen popups off", d.location("voicemail_popup"))
