"""Who may use the switch: authentication on sofia profiles, directory passwords, event socket."""
from __future__ import annotations

from auditor.check import check
from checks.common import SECRET_PARAM, is_loopback, judge_secrets
from checks.freeswitch._common import PLATFORMS, fs_true, profile_label


@check(
    id="FS-ACC-101", title="Sofia profiles authenticate calls", severity="critical",
    hipaa=["164.312(d)", "164.312(a)(1)"], area="access", platforms=PLATFORMS, sources=["sofia"],
    rationale="""auth-calls=false on a profile without an inbound ACL lets anyone who reaches it
    place calls into its context: toll fraud and access to voicemail menus.""",
    remediation={
        "freeswitch": "Set auth-calls=true on user-facing profiles; on carrier-facing profiles keep auth-calls=false "
                      "only with apply-inbound-acl naming the carrier's addresses.",
        "fusionpbx": "Advanced > SIP Profiles > (profile): auth-calls = true; for the external profile, "
                     "apply-inbound-acl = providers.",
    },
)
def sofia_auth_calls(facts, ctx):
    profiles = facts.of_kind("sofia.profile")
    if not profiles:
        yield ctx.not_applicable("sofia", "no sofia profiles")
        return
    for p in profiles:
        res = profile_label(p)
        if fs_true(p.get("auth-calls")):
            yield ctx.passed(res, "auth-calls=true", p.location("auth-calls"))
        elif p.get("apply-inbound-acl"):
            yield ctx.passed(res, f"auth-calls off, limited by apply-inbound-acl={p.get('apply-inbound-acl')}",
                             p.location("apply-inbound-acl"))
        else:
            yield ctx.fail(res, "auth-calls=false and no apply-inbound-acl: unauthenticated calls accepted",
                           p.location("auth-calls"), fix=['<param name="auth-calls" value="true"/>'])


@check(
    id="FS-ACC-102", title="No blind registration", severity="critical",
    hipaa=["164.312(d)"], area="access", platforms=PLATFORMS, sources=["sofia"],
    rationale="accept-blind-reg=true accepts REGISTER for any user without a password.",
    remediation={"freeswitch": "Set accept-blind-reg=false (the default) on every profile.",
                 "fusionpbx": "Advanced > SIP Profiles > (profile): accept-blind-reg = false."},
)
def sofia_blind_reg(facts, ctx):
    profiles = facts.of_kind("sofia.profile")
    if not profiles:
        yield ctx.not_applicable("sofia", "no sofia profiles")
        return
    for p in profiles:
        if fs_true(p.get("accept-blind-reg")):
            yield ctx.fail(profile_label(p), "accept-blind-reg=true", p.location("accept-blind-reg"),
                           fix=['<param name="accept-blind-reg" value="false"/>'])
        else:
            yield ctx.passed(profile_label(p), "blind registration refused", p.location("accept-blind-reg"))


@check(
    id="FS-ACC-103", title="Directory SIP passwords are strong and unique", severity="critical",
    hipaa=["164.312(d)", "164.308(a)(5)(ii)(D)"], area="access", platforms=PLATFORMS, sources=["directory"],
    params=[SECRET_PARAM],
    rationale="""The vanilla configuration gives every user $${default_password}, which is 1234;
    scanners register with it within minutes of the switch appearing online.""",
    remediation={
        "freeswitch": "Give each user a random password of 16+ characters in directory/<domain>/<user>.xml "
                      "(and change default_password in vars.xml).",
        "fusionpbx": "Accounts > Extensions > (extension): Password (use the generated one).",
    },
)
def directory_passwords(facts, ctx):
    users = facts.of_kind("directory.user")
    if not users:
        yield ctx.not_applicable("directory", "no directory users")
        return
    yield from judge_secrets(ctx, users, "password", "user", stored_hashed=lambda u: (
        "a1-hash stored; strength not assessable offline" if "a1-hash" in u.secrets and "password" not in u.secrets
        else None))


@check(
    id="FS-ESL-101", title="The event socket listens on loopback only", severity="high",
    hipaa=["164.312(a)(1)"], area="access", platforms=PLATFORMS, sources=["event_socket.conf.xml"],
    rationale="""The event socket (ESL) gives full control: originate calls, read every event
    including caller identity, run API commands. The vanilla listen-ip is '::' (all interfaces).""",
    remediation={
        "freeswitch": "In autoload_configs/event_socket.conf.xml set listen-ip=127.0.0.1 (or ::1) and "
                      "apply-inbound-acl=loopback.auto.",
        "fusionpbx": "Advanced > Settings > Event Socket: listen IP 127.0.0.1 (FusionPBX connects locally).",
    },
)
def esl_bind(facts, ctx):
    s = facts.first("event_socket.settings")
    if s is None:
        yield ctx.not_applicable("event_socket.conf.xml", "event socket not configured")
        return
    ip = s.get("listen-ip") or "127.0.0.1"
    if is_loopback(ip):
        yield ctx.passed("event_socket", f"listen-ip={ip}", s.location("listen-ip"))
    elif s.get("apply-inbound-acl"):
        yield ctx.passed("event_socket", f"listen-ip={ip}, limited by apply-inbound-acl={s.get('apply-inbound-acl')}",
                         s.location("apply-inbound-acl"))
    else:
        yield ctx.fail("event_socket", f"listen-ip={ip} without an inbound ACL", s.location("listen-ip"),
                       fix=['<param name="listen-ip" value="127.0.0.1"/>',
                            '<param name="apply-inbound-acl" value="loopback.auto"/>'])


@check(
    id="FS-ESL-102", title="The event socket password is not the default", severity="critical",
    hipaa=["164.312(d)", "164.308(a)(5)(ii)(D)"], area="access", platforms=PLATFORMS,
    sources=["event_socket.conf.xml"], params=[SECRET_PARAM],
    rationale="The default ESL password is published in every FreeSWITCH guide; it is the first one tried.",
    remediation={"freeswitch": "Set a random password of 16+ characters in event_socket.conf.xml and in every "
                               "client (fs_cli's ~/.fs_cli_conf).",
                 "fusionpbx": "Change the event socket password in event_socket.conf.xml and in FusionPBX's "
                              "Advanced > Settings > Event Socket."},
)
def esl_password(facts, ctx):
    s = facts.first("event_socket.settings")
    if s is None:
        yield ctx.not_applicable("event_socket.conf.xml", "event socket not configured")
        return
    yield from judge_secrets(ctx, [s], "password", "event socket")
