"""Management interfaces: the HTTP server, ARI and AMI (manager.conf)."""
from __future__ import annotations

from auditor.check import check
from checks.asterisk._common import PLATFORMS, yes
from checks.common import SECRET_PARAM, is_loopback, judge_secrets

ACCESS = ["164.312(a)(1)", "164.312(e)(1)"]


def _plain_http(facts):
    """(listening in plaintext beyond loopback?, http.general object)."""
    http = facts.first("http.general")
    if http is None or not yes(http.get("enabled")):
        return False, http
    bind = http.get("bindaddr")
    return bool(bind) and not is_loopback(bind), http


@check(
    id="AST-HTTP-101", title="Asterisk's HTTP server is not reachable in plaintext", severity="high",
    hipaa=[*ACCESS, "NPRM-segmentation", "NPRM-mfa"], area="transport", platforms=PLATFORMS, sources=["http.conf"],
    rationale="""The built-in HTTP server carries ARI, AMI-over-HTTP and WebRTC; on a plaintext
    listener beyond loopback their credentials and call events cross the network in clear.
    Enabling TLS does not turn the plaintext listener off: bindaddr must be loopback.""",
    remediation={
        "asterisk": "In http.conf: bindaddr=127.0.0.1, tlsenable=yes, tlsbindaddr=0.0.0.0:8089, tlscertfile=..., "
                    "tlsprivatekey=...",
        "freepbx": "Settings > Advanced Settings > Asterisk Builtin mini-HTTP server: HTTP Bind Address = 127.0.0.1, "
                   "Enable TLS for the mini-HTTP Server = Yes, HTTPS Bind Port = 8089.",
    },
)
def http_plaintext(facts, ctx):
    plain, http = _plain_http(facts)
    if http is None or not yes(http.get("enabled")):
        yield ctx.not_applicable("http.conf", "HTTP server disabled")
        return
    if plain:
        yield ctx.fail("http.conf [general]", f"plaintext HTTP listener on {http.get('bindaddr')}", http.location("bindaddr"),
                       fix=["[general]", "bindaddr=127.0.0.1", "tlsenable=yes", "tlsbindaddr=0.0.0.0:8089"])
    else:
        yield ctx.passed("http.conf [general]", f"plaintext listener limited to {http.get('bindaddr') or '(none)'}",
                         http.location("bindaddr"))


@check(
    id="AST-ARI-101", title="ARI is not exposed over plaintext HTTP", severity="high",
    hipaa=[*ACCESS, "NPRM-segmentation", "NPRM-mfa"], area="access", platforms=PLATFORMS, sources=["ari.conf", "http.conf"],
    rationale="""ARI controls calls and reads channel data, including caller identity; its
    credentials travel with every request. Over plaintext HTTP they are readable on the wire.""",
    remediation={
        "asterisk": "Disable ARI (ari.conf [general] enabled=no) or serve it only over HTTPS with http.conf "
                    "bindaddr=127.0.0.1 and tlsenable=yes.",
        "freepbx": "Settings > Advanced Settings > Asterisk REST Interface: Enable ARI = No unless a module needs it; "
                   "otherwise restrict the mini-HTTP server to HTTPS.",
    },
)
def ari_plaintext(facts, ctx):
    ari = facts.first("ari.general")
    if ari is None or not yes(ari.get("enabled") or "yes"):
        yield ctx.not_applicable("ari.conf", "ARI disabled or not configured")
        return
    plain, http = _plain_http(facts)
    if http is None or not yes(http.get("enabled")):
        yield ctx.not_applicable("ari.conf", "ARI enabled but the HTTP server is off")
        return
    if plain:
        yield ctx.fail("ari.conf [general]", f"ARI served on plaintext HTTP {http.get('bindaddr')}", ari.location("enabled"),
                       fix=["; http.conf", "bindaddr=127.0.0.1", "tlsenable=yes"])
    else:
        yield ctx.passed("ari.conf [general]", "ARI only reachable via loopback or HTTPS", ari.location("enabled"))


@check(
    id="AST-ARI-102", title="ARI users have strong passwords", severity="critical",
    hipaa=["164.312(d)", "164.308(a)(5)(ii)(D)"], area="access", platforms=PLATFORMS, sources=["ari.conf"],
    params=[SECRET_PARAM],
    rationale="An ARI user can originate calls, bridge into live calls and read channel variables.",
    remediation={
        "asterisk": "Give each ARI user a random password of 16+ characters; prefer password_format=crypt.",
        "freepbx": "Settings > Advanced Settings > Asterisk REST Interface: set a new ARI Password.",
    },
)
def ari_passwords(facts, ctx):
    users = facts.of_kind("ari.user")
    if not users:
        yield ctx.not_applicable("ari.conf", "no ARI users")
        return
    yield from judge_secrets(ctx, users, "password", "ari user", extra_fix=("password_format=crypt",),
                             stored_hashed=lambda u: (
                                 "password stored as crypt; strength not assessable"
                                 if (u.get("password_format") or "plain").lower() == "crypt"
                                 and u.secrets.get("password") and u.secrets["password"].present else None))


def _manager(facts):
    general = facts.first("manager.general")
    return general if general is not None and yes(general.get("enabled")) else None


@check(
    id="AST-AMI-101", title="AMI is not reachable in plaintext beyond loopback", severity="high",
    hipaa=[*ACCESS, "NPRM-segmentation", "NPRM-mfa"], area="access", platforms=PLATFORMS, sources=["manager.conf"],
    rationale="""AMI can originate calls, read every channel event (caller names and numbers)
    and reload configuration. Its default bindaddr is 0.0.0.0 and its login is sent in clear.""",
    remediation={
        "asterisk": "In manager.conf [general] set bindaddr=127.0.0.1; if remote AMI is needed use tlsenable=yes, "
                    "tlsbindaddr=0.0.0.0:5039 and firewall it to the management host.",
        "freepbx": "Keep AMI on 127.0.0.1 (Settings > Advanced Settings > Asterisk Manager Host = localhost); "
                   "FreePBX itself connects locally.",
    },
)
def ami_exposure(facts, ctx):
    general = _manager(facts)
    if general is None:
        yield ctx.not_applicable("manager.conf", "AMI disabled")
        return
    bind = general.get("bindaddr") or "0.0.0.0"
    if is_loopback(bind):
        yield ctx.passed("manager.conf [general]", f"AMI bound to {bind}", general.location("bindaddr"))
    else:
        yield ctx.fail("manager.conf [general]", f"plaintext AMI listening on {bind}", general.location("bindaddr"),
                       fix=["[general]", "bindaddr=127.0.0.1"])


@check(
    id="AST-AMI-102", title="AMI users have strong, unique secrets", severity="critical",
    hipaa=["164.312(d)", "164.308(a)(5)(ii)(D)"], area="access", platforms=PLATFORMS, sources=["manager.conf"],
    params=[SECRET_PARAM],
    rationale="""Older FreePBX installs shipped a well-known default AMI password, and scanners try
    it first. An AMI login is full control of the PBX. (The default itself is never printed: it
    may be this PBX's secret.)""",
    remediation={
        "asterisk": "Set a random secret of 16+ characters for each manager user.",
        "freepbx": "Settings > Asterisk Manager Users: change each user's secret; for the FreePBX 'admin' user change "
                   "AMPMGRPASS in /etc/freepbx.conf and Advanced Settings > Asterisk Manager Password together.",
    },
)
def ami_secrets(facts, ctx):
    users = facts.of_kind("manager.user")
    if _manager(facts) is None or not users:
        yield ctx.not_applicable("manager.conf", "AMI disabled or has no users")
        return
    yield from judge_secrets(ctx, users, "secret", "manager user")


def _open_acl(value: str) -> bool:
    v = value.replace(" ", "")
    return v in {"0.0.0.0/0.0.0.0", "0.0.0.0/0", "::/0", "0.0.0.0"}


@check(
    id="AST-AMI-103", title="AMI users are limited to known hosts (deny all, permit some)", severity="high",
    hipaa=["164.312(a)(1)", "NPRM-mfa"], area="access", platforms=PLATFORMS, sources=["manager.conf"],
    rationale="""Without permit/deny an AMI user can log in from anywhere that reaches the port;
    permit=0.0.0.0/0 says the same thing explicitly.""",
    remediation={
        "asterisk": "For each manager user: deny=0.0.0.0/0.0.0.0 then permit=127.0.0.1/255.255.255.255 (and the "
                    "management host).",
        "freepbx": "Settings > Asterisk Manager Users > (user): Deny 0.0.0.0/0.0.0.0, Permit 127.0.0.1/255.255.255.0.",
    },
)
def ami_acl(facts, ctx):
    users = facts.of_kind("manager.user")
    if _manager(facts) is None or not users:
        yield ctx.not_applicable("manager.conf", "AMI disabled or has no users")
        return
    for u in users:
        permits, denies = u.values("permit"), u.values("deny")
        res = f"manager user {u.name}"
        fix = [f"[{u.name}]", "deny=0.0.0.0/0.0.0.0", "permit=127.0.0.1/255.255.255.255"]
        if not permits and not denies:
            yield ctx.fail(res, "no permit/deny: login accepted from any address", u.source, fix=fix)
        elif any(_open_acl(p) for p in permits):
            yield ctx.fail(res, "permit opens AMI to every address", u.location("permit"), fix=fix)
        elif not denies:
            yield ctx.fail(res, "permit without a preceding deny does not restrict anything", u.location("permit"), fix=fix)
        else:
            yield ctx.passed(res, f"deny {', '.join(denies)}; permit {', '.join(permits) or '(none)'}", u.location("permit"))
