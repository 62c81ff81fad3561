"""Asterisk's audit trail as records: logger.conf channels, cdr.conf, cel.conf, and the logrotate rules
that cover /var/log/asterisk.

A logger.conf channel logs the levels listed after ``=>`` (``*`` is every level); ``console`` is
the terminal, not a log. CDRs are on unless cdr.conf says ``enable=no``; CEL is off unless cel.conf
says ``enable=yes``.
"""
from __future__ import annotations

from typing import Iterator, Optional

from voxaudit.control import Binding, Params
from voxaudit.facts.asterisk import AsteriskFacts
from voxaudit.facts.common import ConfigObject
from voxaudit.records.audit import (
    CallRecords,
    ChannelEvents,
    LogForwarding,
    LogRetention,
    PersistentLog,
    SecurityEventLog,
)
from voxaudit.remediation import Change, note, set_

LOGGER_FIX_ASTERISK = "In logger.conf [logfiles] add: security.log => security and messages.log => notice,warning,error,security"
LOGGER_FIX_FREEPBX = ("Settings > Asterisk Logfile Settings: add a log file 'security' with Security = On, and turn "
                      "Security on for 'full'/'messages'.")
SECURITY_REMEDIATION = {"asterisk": LOGGER_FIX_ASTERISK, "freepbx": LOGGER_FIX_FREEPBX}
PERSISTENT_REMEDIATION = {"asterisk": "In logger.conf [logfiles]: messages.log => notice,warning,error,security",
                          "freepbx": LOGGER_FIX_FREEPBX}
SYSLOG_REMEDIATION = {
    "asterisk": "In logger.conf [logfiles] add syslog.local0 => notice,warning,error,security and forward "
                "local0 from rsyslog to the clinic's log server (TLS, RFC 5425).",
    "freepbx": "Settings > Asterisk Logfile Settings: add syslog.local0 with Security on; forward with rsyslog.",
}
CDR_REMEDIATION = {"asterisk": "In cdr.conf [general] set enable=yes and configure a backend ([csv] or cdr_adaptive_odbc).",
                   "freepbx": "Reports > CDR Reports relies on cdr_adaptive_odbc; keep cdr.conf enable=yes."}
CEL_REMEDIATION = {"asterisk": "In cel.conf [general] set enable=yes, apps=voicemailmain,voicemail,mixmonitor and "
                               "events=APP_START,CHAN_START,CHAN_END,ANSWER,HANGUP,BRIDGE_ENTER,BRIDGE_EXIT.",
                   "freepbx": "Settings > Advanced Settings: Enable CEL Reporting = Yes."}
LOGROTATE_REMEDIATION = {
    "asterisk": "In /etc/logrotate.d/asterisk: monthly and rotate 72 (six years), compress; or ship logs to a "
                "syslog archive that keeps six years and document it.",
    "freepbx": "Edit /etc/logrotate.d/asterisk (FreePBX ships one): monthly, rotate 72, compress.",
}
OFF = {"no", "false", "0", "off"}
ON = {"yes", "true", "1", "on"}


# -- logger.conf ----------------------------------------------------------------------------------

def _channels(facts: AsteriskFacts) -> list[ConfigObject]:
    """Channels that write somewhere lasting: files and syslog, not the console."""
    return [c for c in facts.of_kind("logger.channel") if c.name.lower() != "console"]


def _logs(ch: ConfigObject, wanted: set[str]) -> bool:
    levels = {lvl for lvl in (ch.get("levels") or "").split(",") if lvl}
    return "*" in levels or wanted <= levels


def security_log(facts: AsteriskFacts) -> Iterator[SecurityEventLog]:
    hit = next((c for c in _channels(facts) if _logs(c, {"security"})), None)
    if hit is not None:
        yield SecurityEventLog(subject="logger.conf", source=hit.source, section="logger.conf [logfiles]", logged=True,
                               setting=f"channel {hit.name} logs security events")
    else:
        yield SecurityEventLog(subject="logger.conf", section="logger.conf [logfiles]", logged=False,
                               setting="no file or syslog channel logs the 'security' level")


def persistent_log(facts: AsteriskFacts) -> Iterator[PersistentLog]:
    hit = next((c for c in _channels(facts) if _logs(c, {"notice", "warning", "error"})), None)
    if hit is not None:
        yield PersistentLog(subject="logger.conf", source=hit.source, section="logger.conf [logfiles]", kept=True,
                            setting=f"channel {hit.name} logs {hit.get('levels')}")
    else:
        yield PersistentLog(subject="logger.conf", section="logger.conf [logfiles]", kept=False,
                            setting="no file or syslog channel with notice,warning,error")


def log_forwarding(facts: AsteriskFacts) -> Iterator[LogForwarding]:
    hit = next((c for c in facts.of_kind("logger.channel") if c.name.lower().startswith("syslog.")), None)
    if hit is not None:
        yield LogForwarding(subject="logger.conf", source=hit.source, section="logger.conf [logfiles]", forwarded=True,
                            setting=f"syslog channel {hit.name} ({hit.get('levels')})")
    else:
        yield LogForwarding(subject="logger.conf", section="logger.conf [logfiles]", forwarded=False,
                            setting="no syslog channel: logs exist only on the PBX")


def security_fix(rec: SecurityEventLog) -> list[str]:
    return ["[logfiles]", "security.log => security"]


def persistent_fix(rec: PersistentLog) -> list[str]:
    return ["[logfiles]", "messages.log => notice,warning,error,security"]


def syslog_fix(rec: LogForwarding) -> list[str]:
    return ["[logfiles]", "syslog.local0 => notice,warning,error,security"]


def _channel(line: str) -> Change:
    """A logger.conf [logfiles] line ``name => levels`` as a change (the channel is the key)."""
    name, _, levels = line.partition("=>")
    return set_("logger.conf", "logfiles", name.strip(), levels.strip(), sep=" => ")


def security_change(rec: SecurityEventLog) -> list[Change]:
    return [_channel(security_fix(rec)[1])]


def persistent_change(rec: PersistentLog) -> list[Change]:
    return [_channel(persistent_fix(rec)[1])]


def syslog_change(rec: LogForwarding) -> list[Change]:
    return [_channel(syslog_fix(rec)[1])]


# -- cdr.conf and cel.conf ------------------------------------------------------------------------

def call_records(facts: AsteriskFacts) -> Iterator[CallRecords]:
    if not facts.has_config("cdr.conf"):
        yield CallRecords(subject="cdr.conf", section="cdr.conf", written=False,
                          setting="cdr.conf is missing: no CDR backend is configured")
        return
    general = facts.first("cdr.general")
    where = general.location("enable") if general is not None else None
    if general is not None and (general.get("enable") or "yes").lower() in OFF:
        yield CallRecords(subject="cdr.conf [general]", source=where, section="cdr.conf [general]", written=False,
                          setting="CDR disabled (enable=no)")
    else:
        yield CallRecords(subject="cdr.conf [general]", source=where, section="cdr.conf [general]", written=True,
                          setting="CDR enabled")


def cdr_fix(rec: CallRecords) -> list[str]:
    if rec.section == "cdr.conf":  # no cdr.conf at all: a backend too
        return ["[general]", "enable=yes", "[csv]", "usegmtime=yes"]
    return ["[general]", "enable=yes"]


def cdr_change(rec: CallRecords) -> list[Change]:
    if rec.section == "cdr.conf":
        return [note("cdr.conf", "general", "create cdr.conf with [general] enable=yes and the CDR backend this "
                                            "clinic keeps its records in")]
    return [set_("cdr.conf", "general", "enable", "yes", "cdr.general")]


def channel_events(facts: AsteriskFacts) -> Iterator[ChannelEvents]:
    general: Optional[ConfigObject] = facts.first("cel.general")
    where = general.location("enable") if general is not None else None
    if general is None or (general.get("enable") or "no").lower() not in ON:
        yield ChannelEvents(subject="cel.conf [general]", source=where, section="cel.conf [general]", logged=False,
                            setting="CEL disabled (default)")
    else:
        yield ChannelEvents(subject="cel.conf [general]", source=where, section="cel.conf [general]", logged=True,
                            setting=f"CEL enabled for apps={general.get('apps') or '(none)'}")


def cel_fix(rec: ChannelEvents) -> list[str]:
    return ["[general]", "enable=yes", "apps=voicemailmain,voicemail,mixmonitor"]


def cel_change(rec: ChannelEvents, params: Params, facts: AsteriskFacts) -> list[Change]:
    """enable=yes; the audited apps only where cel.conf names none (a list already chosen is kept)."""
    out = [set_("cel.conf", "general", "enable", "yes", "cel.general")]
    general = facts.first("cel.general")
    if general is None or not general.get("apps"):
        out.append(set_("cel.conf", "general", "apps", "voicemailmain,voicemail,mixmonitor", "cel.general"))
    return out


# -- logrotate ------------------------------------------------------------------------------------

def log_retention(facts: AsteriskFacts) -> Iterator[LogRetention]:
    rules = [r for r in facts.logrotate or [] if any("asterisk" in p or "__LOGDIR__" in p for p in r.paths)]
    if not rules:
        yield LogRetention(subject="logrotate", managed=False,
                           setting="no logrotate rule covers the Asterisk logs")
        return
    for r in rules:
        maxage = f", maxage {r.maxage}" if r.maxage is not None else ""
        yield LogRetention(subject=f"logrotate {' '.join(r.paths)}", source=r.source, section=" ".join(r.paths),
                           managed=True, retained_days=r.retained_days, forever=r.keeps_forever,
                           setting=f"{r.period}, rotate {r.rotate or 0}{maxage}")


def logrotate_fix(rec: LogRetention, params: Params) -> list[str]:
    """Monthly files for the profile's log_retention_years."""
    rotate = f"rotate {12 * params.int('log_retention_years')}"
    if not rec.managed:
        return ["/var/log/asterisk/*.log {", "    monthly", f"    {rotate}", "    compress", "}"]
    return ["monthly", rotate]


BINDINGS = (
    Binding("LOG-AUD-101", "asterisk", security_log, ("logger.conf",), "AST-LOG-101", SECURITY_REMEDIATION,
            security_fix, change=security_change),
    Binding("LOG-AUD-102", "asterisk", persistent_log, ("logger.conf",), "AST-LOG-102", PERSISTENT_REMEDIATION,
            persistent_fix, change=persistent_change),
    Binding("LOG-AUD-103", "asterisk", log_forwarding, ("logger.conf",), "AST-LOG-103", SYSLOG_REMEDIATION,
            syslog_fix, change=syslog_change),
    Binding("LOG-AUD-104", "asterisk", call_records, ("cdr.conf",), "AST-LOG-104", CDR_REMEDIATION, cdr_fix,
            change=cdr_change),
    Binding("LOG-AUD-105", "asterisk", channel_events, ("cel.conf",), "AST-LOG-105", CEL_REMEDIATION, cel_fix,
            change=cel_change),
    Binding("LOG-AUD-106", "asterisk", log_retention, ("logrotate",), "AST-LOG-106", LOGROTATE_REMEDIATION,
            logrotate_fix),
)
