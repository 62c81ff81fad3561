"""Audit logging on FreeSWITCH: failed authentications, log files, CDR."""
from __future__ import annotations

from auditor.check import check
from checks.freeswitch._common import PLATFORMS, fs_true, not_assessable, profile_label

AUDIT = ["164.312(b)", "164.308(a)(1)(ii)(D)"]


@check(
    id="FS-LOG-101", title="Failed SIP authentications are logged", severity="high",
    hipaa=AUDIT + ["164.308(a)(5)(ii)(C)"], area="audit-log", platforms=PLATFORMS, sources=["sofia"],
    rationale="""log-auth-failures=false (vanilla) hides password guessing: no log-in
    monitoring, nothing for fail2ban to act on.""",
    remediation={"freeswitch": "Set <param name=\"log-auth-failures\" value=\"true\"/> on every profile.",
                 "fusionpbx": "Advanced > SIP Profiles > (profile): log-auth-failures = true."},
)
def auth_failures_logged(facts, ctx):
    profiles = facts.of_kind("sofia.profile")
    if not profiles:
        yield ctx.not_applicable("sofia", "no sofia profiles")
        return
    for p in profiles:
        unknown = not_assessable(ctx, profile_label(p), p, "log-auth-failures")
        if unknown is not None:
            yield unknown
        elif fs_true(p.get("log-auth-failures")):
            yield ctx.passed(profile_label(p), "log-auth-failures=true", p.location("log-auth-failures"))
        else:
            yield ctx.fail(profile_label(p), f"log-auth-failures={p.get('log-auth-failures') or 'unset (false)'}",
                           p.location("log-auth-failures"), fix=['<param name="log-auth-failures" value="true"/>'])


@check(
    id="FS-LOG-102", title="A log file keeps warnings and errors", severity="medium",
    hipaa=AUDIT, area="audit-log", platforms=PLATFORMS, sources=["logfile.conf.xml"],
    rationale="mod_logfile must map at least notice, warning and err to a file for investigations.",
    remediation={"freeswitch": "In autoload_configs/logfile.conf.xml map 'all' (or notice,warning,err,crit,alert) "
                               "in a profile, and load mod_logfile.",
                 "fusionpbx": "Advanced > XML Editor > logfile.conf.xml: keep the default profile's 'all' map."},
)
def logfile_levels(facts, ctx):
    profiles = facts.of_kind("logfile.profile")
    if not profiles:
        yield ctx.fail("logfile.conf.xml", "no mod_logfile profile: nothing is written to a log file", None,
                       fix=['<map name="all" value="console,debug,info,notice,warning,err,crit,alert"/>'])
        return
    for p in profiles:
        levels = set()
        for key, settings in p.settings.items():
            if key.startswith("map."):
                levels |= {lvl.strip() for s in settings for lvl in s.value.split(",")}
        if {"notice", "warning", "err"} <= levels:
            yield ctx.passed(f"logfile profile {p.name}", "notice, warning and err are written", p.source)
        else:
            yield ctx.fail(f"logfile profile {p.name}", f"maps only {', '.join(sorted(levels)) or 'nothing'}", p.source,
                           fix=['<map name="all" value="console,debug,info,notice,warning,err,crit,alert"/>'])


@check(
    id="FS-LOG-103", title="Call detail records are written", severity="medium",
    hipaa=AUDIT, area="audit-log", platforms=PLATFORMS, sources=["cdr_csv.conf.xml"],
    rationale="CDRs are the record of who called whom and when: the activity review the Security Rule requires.",
    remediation={"freeswitch": "Load mod_cdr_csv (or mod_cdr_pg_csv / mod_odbc_cdr) in modules.conf.xml and "
                               "configure its template.",
                 "fusionpbx": "FusionPBX writes CDRs through mod_xml_cdr; keep it loaded (Advanced > Modules)."},
)
def cdr_written(facts, ctx):
    modules = {m.name for m in facts.of_kind("modules.load")}
    cdr_mods = {m for m in modules if "cdr" in m}
    if facts.has_config("modules.conf.xml"):
        if cdr_mods:
            yield ctx.passed("modules.conf.xml", f"CDR module(s) loaded: {', '.join(sorted(cdr_mods))}")
        else:
            yield ctx.fail("modules.conf.xml", "no CDR module is loaded", None,
                           fix=['<load module="mod_cdr_csv"/>'])
    elif facts.first("cdr_csv.settings") is not None:
        yield ctx.passed("cdr_csv.conf.xml", "mod_cdr_csv configured (modules.conf.xml not collected)",
                         facts.first("cdr_csv.settings").source)
    else:
        yield ctx.fail("cdr", "no CDR configuration found", None, fix=['<load module="mod_cdr_csv"/>'])
