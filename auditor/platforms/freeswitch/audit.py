"""FreeSWITCH's audit trail as records: each sofia profile's log-auth-failures, mod_logfile profiles
(logfile.conf.xml) and the CDR modules loaded (modules.conf.xml) or configured (cdr_csv.conf.xml).

log-auth-failures is false unless a profile sets it; a mod_logfile profile writes the levels its
``<map>`` entries list; any loaded module with ``cdr`` in its name writes call records.
"""
from __future__ import annotations

from typing import Iterator

from voxaudit.control import Binding
from voxaudit.facts.freeswitch import FreeSwitchFacts
from voxaudit.platforms.freeswitch.common import fs_true, module_loaded, profile_label, runtime_reason
from voxaudit.records.audit import CallRecords, PersistentLog, SecurityEventLog
from voxaudit.remediation import Change, set_

AUTH_FAILURES_REMEDIATION = {"freeswitch": "Set <param name=\"log-auth-failures\" value=\"true\"/> on every profile.",
                             "fusionpbx": "Advanced > SIP Profiles > (profile): log-auth-failures = true."}
LOGFILE_REMEDIATION = {"freeswitch": "In autoload_configs/logfile.conf.xml map 'all' (or notice,warning,err,crit,alert) "
                                     "in a profile, and load mod_logfile.",
                       "fusionpbx": "Advanced > XML Editor > logfile.conf.xml: keep the default profile's 'all' map."}
CDR_REMEDIATION = {"freeswitch": "Load mod_cdr_csv (or mod_cdr_pg_csv / mod_odbc_cdr) in modules.conf.xml and "
                                 "configure its template.",
                   "fusionpbx": "FusionPBX writes CDRs through mod_xml_cdr; keep it loaded (Advanced > Modules)."}
WANTED_LEVELS = {"notice", "warning", "err"}


def auth_failures(facts: FreeSwitchFacts) -> Iterator[SecurityEventLog]:
    for p in facts.of_kind("sofia.profile"):
        label = profile_label(p)
        hidden = runtime_reason(p, "log-auth-failures")
        if hidden is not None:
            yield SecurityEventLog(subject=label, source=hidden[1], section=label, logged=False, undecidable=hidden[0])
            continue
        value = p.get("log-auth-failures")
        on = fs_true(value)
        yield SecurityEventLog(subject=label, source=p.location("log-auth-failures"), section=label, logged=on,
                               setting="log-auth-failures=true" if on else f"log-auth-failures={value or 'unset (false)'}")


def auth_failures_fix(rec: SecurityEventLog) -> list[str]:
    return ['<param name="log-auth-failures" value="true"/>']


def auth_failures_change(rec: SecurityEventLog) -> list[Change]:
    return [set_("sofia", rec.section.removeprefix("sofia profile "), "log-auth-failures", "true", "sofia.profile")]


def logfiles(facts: FreeSwitchFacts) -> Iterator[PersistentLog]:
    profiles = facts.of_kind("logfile.profile")
    if not profiles:
        yield PersistentLog(subject="logfile.conf.xml", kept=False,
                            setting="no mod_logfile profile: nothing is written to a log file")
        return
    if module_loaded(facts, "mod_logfile") is False:  # its profiles exist only when the module runs
        for p in profiles:
            yield PersistentLog(subject=f"logfile profile {p.name}", source=p.source,
                                section=f"logfile profile {p.name}", kept=False,
                                setting="mod_logfile is not loaded (modules.conf.xml): this profile writes nothing")
        return
    for p in profiles:
        levels: set[str] = set()
        for key, settings in p.settings.items():
            if key.startswith("map."):
                levels |= {lvl.strip() for s in settings for lvl in s.value.split(",")}
        kept = WANTED_LEVELS <= levels
        yield PersistentLog(subject=f"logfile profile {p.name}", source=p.source, section=f"logfile profile {p.name}",
                            kept=kept, setting="notice, warning and err are written" if kept
                            else f"maps only {', '.join(sorted(levels)) or 'nothing'}")


def logfile_fix(rec: PersistentLog) -> list[str]:
    if "not loaded" in rec.setting:
        return ['<load module="mod_logfile"/>']
    return ['<map name="all" value="console,debug,info,notice,warning,err,crit,alert"/>']


def call_records(facts: FreeSwitchFacts) -> Iterator[CallRecords]:
    if facts.has_config("modules.conf.xml"):
        mods = sorted({m.name for m in facts.of_kind("modules.load") if "cdr" in m.name})
        yield CallRecords(subject="modules.conf.xml", written=bool(mods),
                          setting=f"CDR module(s) loaded: {', '.join(mods)}" if mods else "no CDR module is loaded")
        return
    settings = facts.first("cdr_csv.settings")
    if settings is not None:
        yield CallRecords(subject="cdr_csv.conf.xml", source=settings.source, written=True,
                          setting="mod_cdr_csv configured (modules.conf.xml not collected)")
    else:
        yield CallRecords(subject="cdr", written=False, setting="no CDR configuration found")


def cdr_fix(rec: CallRecords) -> list[str]:
    return ['<load module="mod_cdr_csv"/>']


BINDINGS = (
    Binding("LOG-AUD-101", "freeswitch", auth_failures, ("sofia",), "FS-LOG-101", AUTH_FAILURES_REMEDIATION,
            auth_failures_fix, none="no sofia profiles", change=auth_failures_change),
    Binding("LOG-AUD-102", "freeswitch", logfiles, ("logfile.conf.xml",), "FS-LOG-102", LOGFILE_REMEDIATION,
            logfile_fix),
    Binding("LOG-AUD-104", "freeswitch", call_records, ("cdr_csv.conf.xml",), "FS-LOG-103", CDR_REMEDIATION, cdr_fix),
)
