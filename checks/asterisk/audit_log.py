"""Audit-log depth: what Asterisk logs, where it goes, and how long it is kept."""
from __future__ import annotations

from auditor.check import Param, check
from checks.asterisk._common import PLATFORMS

AUDIT = ["164.312(b)", "164.308(a)(1)(ii)(D)"]
LOGGER_FIX_ASTERISK = "In logger.conf [logfiles] add: security.log => security and messages.log => notice,warning,error,security"
LOGGER_FIX_FREEPBX = ("Settings > Asterisk Logfile Settings: add a log file 'security' with Security = On, and turn "
                      "Security on for 'full'/'messages'.")


def _channels(facts):
    return facts.of_kind("logger.channel")


def _levels(ch) -> set[str]:
    return {lvl for lvl in (ch.get("levels") or "").split(",") if lvl}


def _has(ch, wanted: set[str]) -> bool:
    levels = _levels(ch)
    return "*" in levels or wanted <= levels


@check(
    id="AST-LOG-101", title="Security events are logged", severity="high",
    hipaa=AUDIT + ["164.308(a)(5)(ii)(C)"], area="audit-log", platforms=PLATFORMS, sources=["logger.conf"],
    rationale="""The 'security' level records failed registrations, bad passwords and ACL
    rejections: the log-in monitoring the Security Rule asks for, and what fail2ban reads.
    Asterisk's default logger.conf does not enable it.""",
    remediation={"asterisk": LOGGER_FIX_ASTERISK, "freepbx": LOGGER_FIX_FREEPBX},
)
def security_logged(facts, ctx):
    chans = [c for c in _channels(facts) if c.name.lower() != "console"]
    hit = next((c for c in chans if _has(c, {"security"})), None)
    if hit:
        yield ctx.passed("logger.conf", f"channel {hit.name} logs security events", hit.source)
    else:
        yield ctx.fail("logger.conf", "no file or syslog channel logs the 'security' level", None,
                       fix=["[logfiles]", "security.log => security"])


@check(
    id="AST-LOG-102", title="Notices, warnings and errors go to a persistent log", severity="medium",
    hipaa=AUDIT, area="audit-log", platforms=PLATFORMS, sources=["logger.conf"],
    rationale="""Console output is lost at restart; investigations need notice, warning and error
    lines (registrations, call failures, module errors) in a file or syslog.""",
    remediation={"asterisk": "In logger.conf [logfiles]: messages.log => notice,warning,error,security",
                 "freepbx": LOGGER_FIX_FREEPBX},
)
def persistent_log(facts, ctx):
    chans = [c for c in _channels(facts) if c.name.lower() != "console"]
    hit = next((c for c in chans if _has(c, {"notice", "warning", "error"})), None)
    if hit:
        yield ctx.passed("logger.conf", f"channel {hit.name} logs {hit.get('levels')}", hit.source)
    else:
        yield ctx.fail("logger.conf", "no file or syslog channel with notice,warning,error", None,
                       fix=["[logfiles]", "messages.log => notice,warning,error,security"])


@check(
    id="AST-LOG-103", title="Logs are shipped off the PBX (remote syslog)", severity="medium",
    hipaa=["164.312(c)(1)", "164.312(b)"], area="audit-log", platforms=PLATFORMS, sources=["logger.conf"],
    rationale="""Logs that live only on the PBX can be altered or erased by whoever compromises
    it. A syslog channel forwarded to a central collector keeps a tamper-resistant copy.""",
    remediation={
        "asterisk": "In logger.conf [logfiles] add syslog.local0 => notice,warning,error,security and forward "
                    "local0 from rsyslog to the clinic's log server (TLS, RFC 5425).",
        "freepbx": "Settings > Asterisk Logfile Settings: add syslog.local0 with Security on; forward with rsyslog.",
    },
)
def remote_syslog(facts, ctx):
    hit = next((c for c in _channels(facts) if c.name.lower().startswith("syslog.")), None)
    if hit:
        yield ctx.passed("logger.conf", f"syslog channel {hit.name} ({hit.get('levels')})", hit.source)
    else:
        yield ctx.fail("logger.conf", "no syslog channel: logs exist only on the PBX", None,
                       fix=["[logfiles]", "syslog.local0 => notice,warning,error,security"])


@check(
    id="AST-LOG-104", title="Call detail records (CDR) are enabled", severity="medium",
    hipaa=AUDIT, area="audit-log", platforms=PLATFORMS, sources=["cdr.conf"],
    rationale="CDRs are the record of who called whom and when: the activity review the Security Rule requires.",
    remediation={"asterisk": "In cdr.conf [general] set enable=yes and configure a backend ([csv] or cdr_adaptive_odbc).",
                 "freepbx": "Reports > CDR Reports relies on cdr_adaptive_odbc; keep cdr.conf enable=yes."},
)
def cdr_enabled(facts, ctx):
    general = facts.first("cdr.general")
    if not facts.has_config("cdr.conf"):
        yield ctx.fail("cdr.conf", "cdr.conf is missing: no CDR backend is configured", None,
                       fix=["[general]", "enable=yes", "[csv]", "usegmtime=yes"])
        return
    if general is not None and (general.get("enable") or "yes").lower() in {"no", "false", "0", "off"}:
        yield ctx.fail("cdr.conf [general]", "CDR disabled (enable=no)", general.location("enable"),
                       fix=["[general]", "enable=yes"])
    else:
        yield ctx.passed("cdr.conf [general]", "CDR enabled", general.location("enable") if general else None)


@check(
    id="AST-LOG-105", title="Channel event logging (CEL) is enabled", severity="low",
    hipaa=AUDIT, area="audit-log", platforms=PLATFORMS, sources=["cel.conf"],
    rationale="""CEL records transfers, voicemail and application events within a call; it shows
    who reached a mailbox, which a CDR alone does not.""",
    remediation={"asterisk": "In cel.conf [general] set enable=yes, apps=voicemailmain,voicemail,mixmonitor and "
                             "events=APP_START,CHAN_START,CHAN_END,ANSWER,HANGUP,BRIDGE_ENTER,BRIDGE_EXIT.",
                 "freepbx": "Settings > Advanced Settings: Enable CEL Reporting = Yes."},
)
def cel_enabled(facts, ctx):
    general = facts.first("cel.general")
    if general is None or (general.get("enable") or "no").lower() not in {"yes", "true", "1", "on"}:
        yield ctx.fail("cel.conf [general]", "CEL disabled (default)", general.location("enable") if general else None,
                       fix=["[general]", "enable=yes", "apps=voicemailmain,voicemail,mixmonitor"])
    else:
        yield ctx.passed("cel.conf [general]", f"CEL enabled for apps={general.get('apps') or '(none)'}",
                         general.location("enable"))


@check(
    id="AST-LOG-106", title="Asterisk logs are retained for the profile's period", severity="medium",
    hipaa=["164.316(b)(2)(i)", "164.312(b)"], area="audit-log", platforms=PLATFORMS, sources=["logrotate"],
    params=[Param(name="log_retention_years", default=6, help="Years audit logs must be kept")],
    rationale="""HIPAA documentation must be kept six years (164.316(b)(2)(i)); logrotate's usual
    'weekly, rotate 4' deletes the PBX's security log after a month.""",
    remediation={
        "asterisk": "In /etc/logrotate.d/asterisk: monthly and rotate 72 (six years), compress; or ship logs to a "
                    "syslog archive that keeps six years and document it.",
        "freepbx": "Edit /etc/logrotate.d/asterisk (FreePBX ships one): monthly, rotate 72, compress.",
    },
)
def log_retention(facts, ctx):
    need = 365 * ctx.param("log_retention_years")
    rules = [r for r in facts.logrotate if any("asterisk" in p or "__LOGDIR__" in p for p in r.paths)]
    if not rules:
        yield ctx.fail("logrotate", "no logrotate rule covers the Asterisk logs: retention is unmanaged", None,
                       fix=["/var/log/asterisk/*.log {", "    monthly", "    rotate 72", "    compress", "}"])
        return
    for r in rules:
        res = f"logrotate {' '.join(r.paths)}"
        if r.retained_days >= need:
            yield ctx.passed(res, f"{r.period}, rotate {r.rotate}: about {r.retained_days} days", r.source)
        else:
            yield ctx.fail(res, f"{r.period}, rotate {r.rotate or 0}"
                           f"{f', maxage {r.maxage}' if r.maxage is not None else ''}: about {r.retained_days} days, "
                           f"below {need}", r.source, fix=["monthly", f"rotate {12 * ctx.param('log_retention_years')}"])
