"""A Kamailio or OpenSIPS front end: TLS listeners and TLS settings, authentication, flood
control, logging. Both speak the SER configuration language and share these checks; the
remediation is in each one's own terms."""
from __future__ import annotations

from auditor.check import check
from checks.common import SECRET_PARAM, TLS_PARAM, is_loopback, judge_secrets

PLATFORMS = ["kamailio", "opensips"]
E1 = ["164.312(e)(1)", "164.312(e)(2)(ii)"]
TLS_METHODS = {"sslv2": 0.2, "sslv3": 0.3, "sslv23": 1.0, "tlsv1": 1.0, "tlsv1.1": 1.1, "tlsv1.2": 1.2, "tlsv1.3": 1.3}
AUTH_CALLS = {"auth_check", "www_authorize", "proxy_authorize", "www_authenticate", "proxy_authenticate",
              "auth_challenge", "pv_www_authenticate", "pv_proxy_authenticate", "allow_source_address",
              "allow_trusted", "allow_address", "www_challenge", "proxy_challenge", "check_source_address"}


def _modules(facts) -> set[str]:
    return {m.name for m in facts.of_kind("kamailio.module")}


def _calls(facts) -> set[str]:
    return {c.name for c in facts.of_kind("kamailio.call")}


def _global(facts, name):
    return facts.named("kamailio.global", name)


def _tls_enabled(facts) -> bool:
    if facts.platform == "opensips":  # TLS is the proto_tls module with tls_mgm domains
        return "proto_tls" in _modules(facts)
    g = _global(facts, "enable_tls")
    return bool(g and (g.get("value") or "").lower() in {"yes", "1", "true", "on"}) and "tls" in _modules(facts)


@check(
    id="KAM-TLS-101", title="No plaintext SIP listener beyond loopback", severity="high",
    hipaa=[*E1, "NPRM-segmentation"], area="transport", platforms=PLATFORMS, sources=["kamailio.cfg"],
    rationale="""Without listen= lines Kamailio binds UDP and TCP 5060 on every interface; any
    udp/tcp listener on a routable address carries caller identity and SDES keys in clear.""",
    remediation={"kamailio": "Define WITH_TLS, listen=tls:<address>:5061 only (keep udp/tcp on 127.0.0.1 or the "
                             "internal media network if an internal hop needs it), and load tls.so with a tls.cfg.",
                 "opensips": "socket=tls:<address>:5061 only (udp/tcp sockets on 127.0.0.1 if an internal hop needs "
                             "them), with loadmodule \"proto_tls.so\" and \"tls_mgm.so\"."},
)
def plaintext_listeners(facts, ctx):
    listens = facts.of_kind("kamailio.listen")
    if not listens:
        yield ctx.fail(facts.cfg_name, "no listen=/socket= lines: the proxy binds plaintext 5060 on all interfaces",
                       None, fix=["listen=tls:<address>:5061"])
        return
    for lst in listens:
        proto, addr = lst.get("proto") or "udp", lst.get("address") or ""
        if proto in {"tls", "wss"} or is_loopback(addr):
            yield ctx.passed(f"listen {lst.name}", f"{proto} on {addr}", lst.source)
        else:
            yield ctx.fail(f"listen {lst.name}", f"plaintext {proto} listener on {addr}", lst.source,
                           fix=[f"listen=tls:{addr}:5061"])


@check(
    id="KAM-TLS-102", title="TLS is enabled for SIP", severity="high",
    hipaa=E1, area="transport", platforms=PLATFORMS, sources=["kamailio.cfg"],
    rationale="enable_tls=yes and the tls module are both needed; the default config keeps them behind WITH_TLS.",
    remediation={"kamailio": "Add #!define WITH_TLS at the top of kamailio.cfg (enable_tls=yes, loadmodule "
                             "\"tls.so\", modparam(\"tls\", \"config\", \"/etc/kamailio/tls.cfg\")).",
                 "opensips": "loadmodule \"tls_mgm.so\" and \"proto_tls.so\", with modparam(\"tls_mgm\", "
                             "\"certificate\", ...) and \"private_key\" for the server domain."},
)
def tls_enabled(facts, ctx):
    if _tls_enabled(facts):
        how = "proto_tls loaded" if facts.platform == "opensips" else "enable_tls=yes and tls.so loaded"
        g = _global(facts, "enable_tls")
        yield ctx.passed(facts.cfg_name, how, g.source if g else None)
    else:
        yield ctx.fail(facts.cfg_name, "TLS not enabled (enable_tls/tls.so or proto_tls missing)", None,
                       fix=["loadmodule \"proto_tls.so\"" if facts.platform == "opensips" else "#!define WITH_TLS"])


@check(
    id="KAM-TLS-103", title="tls.cfg refuses TLS below the profile minimum", severity="high",
    hipaa=E1, area="transport", platforms=PLATFORMS, sources=["kamailio.cfg", "tls.cfg"], params=[TLS_PARAM],
    rationale="method = TLSv1+ or SSLv23 admits TLS 1.0; use TLSv1.2+ (RFC 8996).",
    remediation={"kamailio": "In tls.cfg set method = TLSv1.2+ in [server:default] and [client:default].",
                 "opensips": "modparam(\"tls_mgm\", \"tls_method\", \"[<domain>]TLSv1_2-TLSv1_3\") for every domain."},
)
def tls_method(facts, ctx):
    profiles = facts.of_kind("tls.profile")
    if not _tls_enabled(facts) or not profiles:
        yield ctx.not_applicable("tls.cfg", "TLS not enabled or no tls.cfg")
        return
    floor = float(ctx.param("min_tls_version"))
    for p in profiles:
        method = (p.get("method") or "SSLv23").lower()
        version = TLS_METHODS.get(method.rstrip("+"), 1.0)
        if version + 1e-9 < floor:
            yield ctx.fail(f"tls [{p.name}]", f"method = {p.get('method') or 'unset (SSLv23)'}", p.location("method"),
                           fix=[f"[{p.name}]", "method = TLSv1.2+"])
        else:
            yield ctx.passed(f"tls [{p.name}]", f"method = {p.get('method')}", p.location("method"))


@check(
    id="KAM-TLS-104", title="tls.cfg verifies certificates on outbound connections", severity="medium",
    hipaa=E1 + ["164.312(d)"], area="transport", platforms=PLATFORMS, sources=["kamailio.cfg", "tls.cfg"],
    rationale="A client profile with verify_certificate = no accepts any certificate from the carrier or PBX.",
    remediation={"kamailio": "In tls.cfg [client:default]: verify_certificate = yes, ca_list = /etc/ssl/certs/ca-certificates.crt.",
                 "opensips": "modparam(\"tls_mgm\", \"verify_cert\", \"[<client domain>]1\") and \"ca_list\" for the "
                             "client domain."},
)
def tls_verify(facts, ctx):
    clients = [p for p in facts.of_kind("tls.profile") if p.name.lower().startswith("client")]
    if not _tls_enabled(facts) or not clients:
        yield ctx.not_applicable("tls.cfg", "no TLS client profile")
        return
    for p in clients:
        if (p.get("verify_certificate") or "no").lower() in {"yes", "1", "true", "on"}:
            yield ctx.passed(f"tls [{p.name}]", "verify_certificate = yes", p.location("verify_certificate"))
        else:
            yield ctx.fail(f"tls [{p.name}]", "verify_certificate is off", p.location("verify_certificate"),
                           fix=[f"[{p.name}]", "verify_certificate = yes"])


@check(
    id="KAM-ACC-101", title="REGISTER and INVITE are authenticated", severity="critical",
    hipaa=["164.312(d)", "164.312(a)(1)"], area="access", platforms=PLATFORMS, sources=["kamailio.cfg"],
    rationale="""Without an auth module and auth_check/www_authorize in the routing logic, anyone
    can register as any user and relay calls: the default config keeps auth behind WITH_AUTH.""",
    remediation={"kamailio": "Add #!define WITH_AUTH (and WITH_MYSQL with a subscriber table), so route[AUTH] "
                             "calls auth_check() for REGISTER and INVITE; or allow_source_address() for trunks.",
                 "opensips": "loadmodule \"auth.so\" and \"auth_db.so\"; in the request route: if (!www_authorize(\"\", "
                             "\"subscriber\")) { www_challenge(\"\", \"auth\"); exit; } for REGISTER and INVITE "
                             "(check_source_address() for trunks)."},
)
def authenticated(facts, ctx):
    used = sorted(_calls(facts) & AUTH_CALLS)
    if used and ({"auth", "permissions"} & _modules(facts)):
        yield ctx.passed("routing", f"authentication in routing: {', '.join(used)}")
    else:
        yield ctx.fail("routing", "no authentication function in the routing logic", None, fix=["#!define WITH_AUTH"])


@check(
    id="KAM-ACC-102", title="Flood and scan protection is active", severity="medium",
    hipaa=["164.308(a)(5)(ii)(C)", "164.312(a)(1)"], area="access", platforms=PLATFORMS, sources=["kamailio.cfg"],
    rationale="pike (or ratelimit/pipelimit) blocks SIP scanners and password-guessing floods at the edge.",
    remediation={"kamailio": "Add #!define WITH_ANTIFLOOD (pike.so with pike_check_req() in route[REQINIT]).",
                 "opensips": "loadmodule \"pike.so\" and call pike_check_req() first in the request route (or "
                             "ratelimit.so with rl_check())."},
)
def flood_protection(facts, ctx):
    mods = _modules(facts) & {"pike", "ratelimit", "pipelimit"}
    calls = _calls(facts) & {"pike_check_req", "pike_check_ip", "rl_check", "pl_check"}
    if mods and calls:
        yield ctx.passed("routing", f"{', '.join(sorted(mods))} with {', '.join(sorted(calls))}")
    else:
        yield ctx.fail("routing", "no pike/ratelimit check on incoming requests", None, fix=["#!define WITH_ANTIFLOOD"])


@check(
    id="KAM-ACC-103", title="Database credentials are not defaults", severity="high",
    hipaa=["164.312(d)", "164.308(a)(5)(ii)(D)"], area="access", platforms=PLATFORMS, sources=["kamailio.cfg"],
    params=[SECRET_PARAM],
    rationale="The default DBURL's password is published with every Kamailio package; the database holds SIP credentials.",
    remediation={"kamailio": "Create the database user with a random password and set #!define DBURL "
                             "\"mysql://kamailio:<password>@localhost/kamailio\" (kamctlrc: DBRWPW).",
                 "opensips": "Create the database user with a random password and set every db_url modparam to "
                             "\"mysql://opensips:<password>@localhost/opensips\" (opensips-cli: database_url)."},
)
def db_credentials(facts, ctx):
    objs = [o for o in facts.objects if o.kind in {"kamailio.define", "kamailio.modparam"}
            and any(k.endswith(".password") for k in o.secrets)]
    if not objs:
        yield ctx.not_applicable(facts.cfg_name, "no database URL with credentials")
        return
    for o in objs:
        key = next(k for k in o.secrets if k.endswith(".password"))
        yield from judge_secrets(ctx, [o], key, "database URL")


@check(
    id="KAM-LOG-101", title="Logs go to syslog with a facility", severity="medium",
    hipaa=["164.312(b)", "164.312(c)(1)"], area="audit-log", platforms=PLATFORMS, sources=["kamailio.cfg"],
    rationale="log_stderror=yes sends logs to the terminal, not syslog, so nothing is kept or forwarded.",
    remediation={"kamailio": "Set log_stderror=no and log_facility=LOG_LOCAL0; forward local0 with rsyslog to the "
                             "clinic's log server.",
                 "opensips": "Set stderror_enabled=no, syslog_enabled=yes and syslog_facility=LOG_LOCAL0 (2.x: "
                             "log_stderror=no, log_facility=LOG_LOCAL0); forward local0 to the log server."},
)
def syslog_logging(facts, ctx):
    to_stderr = [g for name in ("log_stderror", "stderror_enabled")
                 if (g := _global(facts, name)) is not None and (g.get("value") or "").lower() in {"yes", "1", "on"}]
    syslog = _global(facts, "syslog_enabled")
    if syslog is not None and (syslog.get("value") or "").lower() in {"no", "0", "off"}:
        yield ctx.fail(facts.cfg_name, "syslog_enabled=no: logs are not sent to syslog", syslog.source,
                       fix=["syslog_enabled=yes", "syslog_facility=LOG_LOCAL0"])
    elif to_stderr and syslog is None:
        yield ctx.fail(facts.cfg_name, f"{to_stderr[0].name}=yes: logs go to the terminal, not syslog",
                       to_stderr[0].source, fix=[f"{to_stderr[0].name}=no", "log_facility=LOG_LOCAL0"])
    else:
        fac = _global(facts, "log_facility") or _global(facts, "syslog_facility")
        yield ctx.passed(facts.cfg_name, f"syslog facility {fac.get('value') if fac else 'LOG_DAEMON (default)'}",
                         fac.source if fac else None)


@check(
    id="KAM-LOG-102", title="Transactions are accounted (acc)", severity="medium",
    hipaa=["164.312(b)", "164.308(a)(1)(ii)(D)"], area="audit-log", platforms=PLATFORMS, sources=["kamailio.cfg"],
    rationale="The acc module records who called whom; without it the front end keeps no call records.",
    remediation={"kamailio": "Load acc.so, set modparam(\"acc\", \"log_flag\", FLT_ACC) and setflag(FLT_ACC) for "
                             "INVITEs (as the default config does).",
                 "opensips": "loadmodule \"acc.so\" and call do_accounting(\"log\", \"cdr|missed\") for initial INVITEs."},
)
def accounting(facts, ctx):
    flag = facts.named("kamailio.modparam", "acc.log_flag") or facts.named("kamailio.modparam", "acc.db_flag")
    calls = _calls(facts)
    if "acc" in _modules(facts) and "do_accounting" in calls:
        yield ctx.passed(facts.cfg_name, "acc loaded, do_accounting() in the routing logic")
    elif "acc" in _modules(facts) and flag is not None and "setflag" in calls:
        yield ctx.passed(facts.cfg_name, f"acc loaded, {flag.name}={flag.get('value')}", flag.source)
    else:
        yield ctx.fail(facts.cfg_name, "acc not loaded or no accounting requested", None,
                       fix=['loadmodule "acc.so"', 'modparam("acc", "log_flag", FLT_ACC)' if facts.platform == "kamailio"
                            else 'do_accounting("log")'])
