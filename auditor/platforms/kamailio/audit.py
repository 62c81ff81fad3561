"""Kamailio and OpenSIPS front ends' audit trail as records: where the proxy logs (the core's
log_stderror / stderror_enabled, syslog_enabled, log_facility / syslog_facility globals) and whether
the acc module accounts transactions (do_accounting(), or an acc flag set with setflag()).

Both speak the SER configuration language and share the facts' object kinds; each platform has
its own binding, remediation and fix. Logs go to syslog (facility LOG_DAEMON) unless sent to stderr.
"""
from __future__ import annotations

from typing import Iterator, Optional

from voxaudit.control import Binding
from voxaudit.facts.common import ConfigObject
from voxaudit.facts.kamailio import ROUTING, KamailioFacts
from voxaudit.platforms.kamailio.common import kemi_routing
from voxaudit.records.audit import CallRecords, LogForwarding

SOURCES = ("kamailio.cfg",)  # OpenSIPS facts answer it for opensips.cfg
SYSLOG_REMEDIATION = {
    "kamailio": "Set log_stderror=no and log_facility=LOG_LOCAL0; forward local0 with rsyslog to the "
                "clinic's log server.",
    "opensips": "Set stderror_enabled=no, syslog_enabled=yes and syslog_facility=LOG_LOCAL0 (2.x: "
                "log_stderror=no, log_facility=LOG_LOCAL0); forward local0 to the log server.",
}
ACC_REMEDIATION = {
    "kamailio": "Load acc.so, set modparam(\"acc\", \"log_flag\", FLT_ACC) and setflag(FLT_ACC) for "
                "INVITEs (as the default config does).",
    "opensips": "loadmodule \"acc.so\" and call do_accounting(\"log\", \"cdr|missed\") for initial INVITEs.",
}
ON = {"yes", "1", "on"}


def _global(facts: KamailioFacts, name: str) -> Optional[ConfigObject]:
    return facts.named("kamailio.global", name)


def _modules(facts: KamailioFacts) -> set[str]:
    return {m.name for m in facts.of_kind("kamailio.module")}


def _calls(facts: KamailioFacts) -> set[str]:
    return {c.name for c in facts.of_kind("kamailio.call")}


def log_forwarding(facts: KamailioFacts) -> Iterator[LogForwarding]:
    cfg = facts.cfg_name
    to_stderr = [g for name in ("log_stderror", "stderror_enabled")
                 if (g := _global(facts, name)) is not None and (g.get("value") or "").lower() in ON]
    syslog = _global(facts, "syslog_enabled")
    if syslog is not None and (syslog.get("value") or "").lower() in {"no", "0", "off"}:
        yield LogForwarding(subject=cfg, source=syslog.source, section=cfg, forwarded=False,
                            setting="syslog_enabled=no: logs are not sent to syslog")
    elif to_stderr and syslog is None:
        yield LogForwarding(subject=cfg, source=to_stderr[0].source, section=cfg, forwarded=False,
                            setting=f"{to_stderr[0].name}=yes: logs go to the terminal, not syslog")
    else:
        fac = _global(facts, "log_facility") or _global(facts, "syslog_facility")
        yield LogForwarding(subject=cfg, source=fac.source if fac else None, section=cfg, forwarded=True,
                            setting=f"syslog facility {fac.get('value') if fac else 'LOG_DAEMON (default)'}")


def syslog_fix(rec: LogForwarding) -> list[str]:
    name = rec.setting.split("=", 1)[0]
    if name == "syslog_enabled":
        return ["syslog_enabled=yes", "syslog_facility=LOG_LOCAL0"]
    return [f"{name}=no", "log_facility=LOG_LOCAL0"]


def accounting(facts: KamailioFacts) -> Iterator[CallRecords]:
    cfg = facts.cfg_name
    flag = facts.named("kamailio.modparam", "acc.log_flag") or facts.named("kamailio.modparam", "acc.db_flag")
    calls = _calls(facts)
    loaded = "acc" in _modules(facts)
    kemi = kemi_routing(facts)
    if loaded and kemi:  # the module is there; whether the KEMI script asks it to account is unknown
        yield CallRecords(subject=cfg, section=cfg, written=False, setting="acc loaded", undecidable=kemi)
    elif loaded and "do_accounting" in calls:
        yield CallRecords(subject=cfg, section=cfg, written=True, setting="acc loaded, do_accounting() in the routing logic")
    elif loaded and flag is not None and "setflag" in calls:
        yield CallRecords(subject=cfg, source=flag.source, section=cfg, written=True,
                          setting=f"acc loaded, {flag.name}={flag.get('value')}")
    else:
        yield CallRecords(subject=cfg, section=cfg, written=False, setting="acc not loaded or no accounting requested")


def kamailio_acc_fix(rec: CallRecords) -> list[str]:
    return ['loadmodule "acc.so"', 'modparam("acc", "log_flag", FLT_ACC)']


def opensips_acc_fix(rec: CallRecords) -> list[str]:
    return ['loadmodule "acc.so"', 'do_accounting("log")']


BINDINGS = (
    Binding("LOG-AUD-103", "kamailio", log_forwarding, SOURCES, "KAM-LOG-101",
            {"kamailio": SYSLOG_REMEDIATION["kamailio"]}, syslog_fix),
    Binding("LOG-AUD-103", "opensips", log_forwarding, SOURCES, "KAM-LOG-101",
            {"opensips": SYSLOG_REMEDIATION["opensips"]}, syslog_fix),
    Binding("LOG-AUD-104", "kamailio", accounting, (*SOURCES, ROUTING), "KAM-LOG-102",
            {"kamailio": ACC_REMEDIATION["kamailio"]}, kamailio_acc_fix),
    Binding("LOG-AUD-104", "opensips", accounting, (*SOURCES, ROUTING), "KAM-LOG-102",
            {"opensips": ACC_REMEDIATION["opensips"]}, opensips_acc_fix),
)
