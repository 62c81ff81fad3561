"""Who may use the switch: authentication on sofia profiles, directory passwords, event socket."""
from __future__ import annotations

from auditor.check import check
from auditor.model import ErrorKind
from checks.common import SECRET_PARAM, is_loopback, judge_secrets
from checks.freeswitch._common import (
    HOST_ADDRESS_VARIABLES,
    PLATFORMS,
    acl_limits,
    fs_true,
    not_assessable,
    profile_label,
    runtime_var,
)


@check(
    id="FS-ACC-101", title="Sofia profiles authenticate calls", severity="critical",
    hipaa=["164.312(d)", "164.312(a)(1)", "NPRM-segmentation"], area="access", platforms=PLATFORMS, sources=["sofia"],
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
            continue
        unknown = not_assessable(ctx, res, p, "auth-calls", "apply-inbound-acl")
        acl = p.get("apply-inbound-acl")
        if unknown is not None:
            yield unknown
        elif acl_limits(facts, acl):
            yield ctx.passed(res, f"auth-calls off, limited by apply-inbound-acl={acl}", p.location("apply-inbound-acl"))
        elif acl:
            yield ctx.fail(res, f"auth-calls=false and apply-inbound-acl={acl} lets every address in: unauthenticated "
                           "calls accepted", p.location("apply-inbound-acl"), fix=['<param name="auth-calls" value="true"/>'])
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
        unknown = not_assessable(ctx, profile_label(p), p, "accept-blind-reg")
        if unknown is not None:
            yield unknown
        elif fs_true(p.get("accept-blind-reg")):
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
    judged = []
    for u in users:
        unknown = not_assessable(ctx, f"user {u.name}", u, "password", "a1-hash")
        if unknown is not None:
            yield unknown
        elif "a1-hash" in u.secrets and "password" not in u.secrets:  # unknown is never PASS
            yield ctx.unknown(f"user {u.name}", "only an a1-hash is stored: the password's strength cannot be "
                              "judged from configuration", ErrorKind.NOT_COLLECTED, u.secrets["a1-hash"].source)
        else:
            judged.append(u)
    yield from judge_secrets(ctx, judged, "password", "user")


@check(
    id="FS-ESL-101", title="The event socket listens on loopback only", severity="high",
    hipaa=["164.312(a)(1)", "NPRM-segmentation", "NPRM-mfa"], area="access", platforms=PLATFORMS, sources=["event_socket.conf.xml"],
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
    acl = s.get("apply-inbound-acl")
    host_address = runtime_var(ip) in HOST_ADDRESS_VARIABLES  # the host's own address: never loopback
    unknown = None if host_address else not_assessable(ctx, "event_socket", s, "listen-ip")
    if unknown is None and not is_loopback(ip):
        unknown = not_assessable(ctx, "event_socket", s, "apply-inbound-acl")
    if unknown is not None:
        yield unknown
    elif is_loopback(ip):
        yield ctx.passed("event_socket", f"listen-ip={ip}", s.location("listen-ip"))
    elif acl_limits(facts, acl):
        yield ctx.passed("event_socket", f"listen-ip={ip}, limited by apply-inbound-acl={acl}",
                         s.location("apply-inbound-acl"))
    else:
        why = f"apply-inbound-acl={acl} lets every address in" if acl else "no inbound ACL"
        yield ctx.fail("event_socket", f"listen-ip={ip} with {why}",
                       s.location("apply-inbound-acl" if acl else "listen-ip"),
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
    unknown = not_assessable(ctx, "event socket event_socket.conf.xml", s, "password")
    if unknown is not None:
        yield unknown
        return
    yield from judge_secrets(ctx, [s], "password", "event socket")
