"""LOG-AUD-1NN and RET-PHI-1NN: the audit-logging and retention controls judged on hand-built records,
and the same weakness giving the same status and severity on every platform a control is bound on."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import write_tree
from voxaudit.check import CheckContext
from voxaudit.checks import audit, retention
from voxaudit.collectors.offline import (
    collect_freeswitch_tree,
    collect_kamailio_tree,
    collect_opensips_tree,
    collect_switch_configs,
)
from voxaudit.control import Params
from voxaudit.model import Severity, Status
from voxaudit.records.audit import (
    CallRecords,
    ChannelEvents,
    LogForwarding,
    LogRetention,
    PersistentLog,
    SecurityEventLog,
)
from voxaudit.records.retention import DeletedMessages, MessageLimits, StoredMessages, StoredRecordings

FAIL, PASS, NA, ERROR = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE, Status.ERROR
SWITCHES = Path(__file__).resolve().parent.parent / "fixtures" / "switches"
OPENSIPS = Path(__file__).resolve().parent.parent / "fixtures" / "opensips"
P = Params({"log_retention_years": 6, "max_message_age_days": 90, "max_messages": 100, "max_message_seconds": 300,
            "recording_retention_days": 365})


# -- the controls on hand-built records -----------------------------------------------------------

@pytest.mark.parametrize("ctl, record, field", [
    (audit.security_events_logged, SecurityEventLog, "logged"),
    (audit.persistent_log, PersistentLog, "kept"),
    (audit.logs_shipped, LogForwarding, "forwarded"),
    (audit.call_records_written, CallRecords, "written"),
    (audit.channel_events_logged, ChannelEvents, "logged"),
])
def test_logging_controls_pass_fail_and_unknown(ctl, record, field):
    ok = ctl.judge(record(subject="s", setting="what the configuration says", **{field: True}), P)
    assert (ok.status, ok.evidence) == (PASS, "what the configuration says")
    bad = ctl.judge(record(subject="s", setting="nothing is written", **{field: False}), P)
    assert (bad.status, bad.evidence) == (FAIL, "nothing is written")
    hidden = ctl.judge(record(subject="s", undecidable="set on the running host", **{field: True}), P)
    assert (hidden.status, hidden.evidence) == (ERROR, "set on the running host") and hidden.error_kind is not None


def test_log_retention_against_the_profile_period():
    judge = audit.logs_retained.judge
    unmanaged = judge(LogRetention(subject="logrotate", managed=False, setting="no rule covers the logs"), P)
    assert (unmanaged.status, unmanaged.evidence) == (FAIL, "no rule covers the logs: retention is unmanaged")
    year = LogRetention(subject="r", managed=True, retained_days=364, setting="weekly, rotate 52")
    assert judge(year, P).status == FAIL and "below 2190" in judge(year, P).evidence
    six = LogRetention(subject="r", managed=True, retained_days=2191, setting="monthly, rotate 72")
    assert judge(six, P).status == PASS
    assert judge(six, Params({"log_retention_years": 7})).status == FAIL
    assert judge(LogRetention(subject="r", managed=True, undecidable="not read"), P).status == ERROR


def test_message_age():
    judge = retention.message_age.judge
    box = StoredMessages(subject="mailbox 100@default", mailbox="100@default", messages=2, ages_days=(200, 5))
    v = judge(box, P)
    assert (v.status, v.evidence) == (FAIL, "1 of 2 messages older than 90 days (oldest 200 days)")
    assert judge(box, Params({"max_message_age_days": 365})).status == PASS
    assert judge(StoredMessages(subject="m", mailbox="m", messages=0), P).status == PASS


def test_message_bounds_each_branch():
    judge = retention.message_bounds.judge

    def limits(most, longest, ms="maxmsg=x", ss="maxsecs=y"):
        return MessageLimits(subject="v", max_messages=most, max_seconds=longest, messages_setting=ms,
                             seconds_setting=ss)

    assert judge(limits(100, 180, "maxmsg=100 (default)", "maxsecs=180"), P).evidence == \
        "maxmsg=100 (default), maxsecs=180"
    assert judge(limits(100, 180), P).status == PASS
    assert judge(limits(500, 180, "maxmsg=500"), P).evidence == "maxmsg=500 above 100"
    assert judge(limits(100, None, ss="maxsecs unset"), P).evidence == "maxsecs unset: messages have no length limit"
    assert judge(limits(100, 600, ss="maxsecs=600"), P).evidence == "maxsecs=600 above 300"
    assert judge(limits(None, 180), P).status == PASS  # an unreadable maxmsg is not judged
    both = judge(limits(500, None, "maxmsg=500", "maxsecs unset"), P)
    assert both.status == FAIL and "; " in both.evidence


def test_deleted_messages():
    judge = retention.deleted_disposed.judge
    v = judge(DeletedMessages(subject="v", kept=True, setting="backupdeleted=50"), P)
    assert (v.status, v.evidence) == (FAIL, "backupdeleted=50: deleted messages are kept")
    assert judge(DeletedMessages(subject="v", kept=False, setting="backupdeleted=no"), P).status == PASS


def test_recording_age():
    judge = retention.recording_age.judge
    assert judge(StoredRecordings(subject="call recordings", stored=False), P).status == PASS
    old = StoredRecordings(subject="call recordings", stored=True, files=3, ages_days=(400, 10, 2))
    assert judge(old, P).evidence == "1 of 3 recordings older than 365 days (oldest 400 days)"
    assert judge(old, Params({"recording_retention_days": 500})).status == PASS


def test_controls_cite_the_union_of_the_checks_they_replace(registry):
    cites = {cid: set(registry.get(cid).meta.hipaa) for cid in
             ("LOG-AUD-101", "LOG-AUD-103", "LOG-AUD-104", "LOG-AUD-106", "RET-PHI-101")}
    assert cites["LOG-AUD-101"] == {"164.312(b)", "164.308(a)(1)(ii)(D)", "164.308(a)(5)(ii)(C)"}
    assert cites["LOG-AUD-103"] == {"164.312(b)", "164.312(c)(1)", "164.308(a)(1)(ii)(D)"}
    assert cites["LOG-AUD-104"] == {"164.312(b)", "164.308(a)(1)(ii)(D)"}
    assert cites["LOG-AUD-106"] == {"164.316(b)(2)(i)", "164.312(b)"}
    assert cites["RET-PHI-101"] == {"164.310(d)(2)(i)"}
    meta = registry.get("LOG-AUD-104").meta
    assert meta.aliases == {"asterisk": ["AST-LOG-104"], "freeswitch": ["FS-LOG-103"], "kamailio": ["KAM-LOG-102"],
                            "opensips": ["KAM-LOG-102"]}
    assert registry.get("LOG-AUD-103").meta.aliases["switch"] == ["SW-LOG-101"]


# -- one weakness, every platform -----------------------------------------------------------------

def _judge(registry, cid: str, facts) -> list[tuple[Status, Severity, bool]]:
    """(status, severity, has a fix) of every outcome of control ``cid`` on ``facts``."""
    ctl = registry.get(cid)
    outcomes = ctl(facts, CheckContext(ctl.defaults()))
    assert outcomes, (cid, facts.platform)
    return [(o.status, ctl.meta.severity, bool(o.fix) or o.status != FAIL) for o in outcomes]


def _freeswitch(tmp_path: Path, *, auth_failures: str = "false", maps: str = "err,crit", cdr: bool = False):
    return collect_freeswitch_tree(write_tree(tmp_path / "fs", {
        "vars.xml": '<include>\n  <X-PRE-PROCESS cmd="env-set" data="log_auth=$LOG_AUTH"/>\n</include>\n',
        "sip_profiles/internal.xml": f"""<profile name="internal"><settings>
  <param name="log-auth-failures" value="{auth_failures}"/>
</settings></profile>
""",
        "autoload_configs/logfile.conf.xml": f"""<configuration name="logfile.conf">
  <profiles><profile name="default"><settings/><mappings>
    <map name="all" value="{maps}"/>
  </mappings></profile></profiles>
</configuration>
""",
        "autoload_configs/modules.conf.xml": f"""<configuration name="modules.conf">
  <modules><load module="mod_sofia"/>{'<load module="mod_cdr_csv"/>' if cdr else ''}</modules>
</configuration>
""",
    }))


KAMAILIO_WEAK = """#!KAMAILIO
log_stderror=yes
loadmodule "tm.so"
loadmodule "sl.so"
request_route {
    t_relay();
}
"""
OPENSIPS_WEAK = """log_level=3
stderror_enabled=yes
loadmodule "tm.so"
loadmodule "signaling.so"
route {
    t_relay();
}
"""


def test_security_events_unlogged_fail_alike_on_asterisk_and_freeswitch(tree, tmp_path, registry):
    ast = tree({"logger.conf": "[logfiles]\nmessages.log => notice,warning,error\n"})
    fs = _freeswitch(tmp_path)
    assert set(_judge(registry, "LOG-AUD-101", ast)) == set(_judge(registry, "LOG-AUD-101", fs)) == \
        {(FAIL, Severity.HIGH, True)}
    good = tree({"logger.conf": "[logfiles]\nsecurity.log => security\n"})
    assert {s for s, *_ in _judge(registry, "LOG-AUD-101", good)} == \
        {s for s, *_ in _judge(registry, "LOG-AUD-101", _freeswitch(tmp_path / "g", auth_failures="true"))} == {PASS}


def test_runtime_value_is_unknown_not_pass(tmp_path, registry):
    fs = _freeswitch(tmp_path, auth_failures="$${log_auth}")
    assert {s for s, *_ in _judge(registry, "LOG-AUD-101", fs)} == {ERROR}


def test_no_persistent_log_fails_alike_on_asterisk_and_freeswitch(tree, tmp_path, registry):
    ast = tree({"logger.conf": "[logfiles]\nconsole => notice,warning,error\nsecurity.log => security\n"})
    fs = _freeswitch(tmp_path, maps="err,crit")
    assert set(_judge(registry, "LOG-AUD-102", ast)) == set(_judge(registry, "LOG-AUD-102", fs)) == \
        {(FAIL, Severity.MEDIUM, True)}


def test_logs_kept_on_the_box_fail_alike_on_every_platform(tree, tmp_path, registry):
    ast = tree({"logger.conf": "[logfiles]\nmessages.log => notice,warning,error,security\n"})
    kam = collect_kamailio_tree(write_tree(tmp_path / "kam", {"kamailio.cfg": KAMAILIO_WEAK}))
    osips = collect_opensips_tree(write_tree(tmp_path / "osips", {"opensips.cfg": OPENSIPS_WEAK}))
    switches = collect_switch_configs(SWITCHES / "weak")
    seen = [set(_judge(registry, "LOG-AUD-103", f)) for f in (ast, kam, osips, switches)]
    assert all(s == {(FAIL, Severity.MEDIUM, True)} for s in seen), seen
    kam_out = registry.get("LOG-AUD-103")(kam)[0]
    assert kam_out.fix == ["log_stderror=no", "log_facility=LOG_LOCAL0"]
    osips_out = registry.get("LOG-AUD-103")(osips)[0]
    assert osips_out.fix == ["stderror_enabled=no", "log_facility=LOG_LOCAL0"]
    fixes = {o.resource: o.fix for o in registry.get("LOG-AUD-103")(switches)}
    assert fixes == {"switch clinic-core (clinic-core-c2960x.cfg)": ["logging host <server>"],
                     "switch Clinic-Edge-2930F (clinic-edge-2930f.cfg)": ["logging <server>"]}
    hardened = collect_switch_configs(SWITCHES / "hardened")
    assert {s for s, *_ in _judge(registry, "LOG-AUD-103", hardened)} == {PASS}


def test_no_call_records_fail_alike_on_every_platform(tree, tmp_path, registry):
    ast = tree({"cdr.conf": "[general]\nenable=no\n"})
    fs = _freeswitch(tmp_path, cdr=False)
    kam = collect_kamailio_tree(write_tree(tmp_path / "kam", {"kamailio.cfg": KAMAILIO_WEAK}))
    osips = collect_opensips_tree(OPENSIPS / "weak")
    seen = [set(_judge(registry, "LOG-AUD-104", f)) for f in (ast, fs, kam, osips)]
    assert all(s == {(FAIL, Severity.MEDIUM, True)} for s in seen), seen
    assert registry.get("LOG-AUD-104")(kam)[0].fix[-1] == 'modparam("acc", "log_flag", FLT_ACC)'
    assert registry.get("LOG-AUD-104")(osips)[0].fix[-1] == 'do_accounting("log")'
    assert {s for s, *_ in _judge(registry, "LOG-AUD-104", _freeswitch(tmp_path / "g", cdr=True))} == {PASS}


def test_no_cdr_configuration_at_all(tree, registry):
    missing = registry.get("LOG-AUD-104")(tree({"logger.conf": "[logfiles]\nm => notice\n"}))
    assert [(o.resource, o.status, o.fix[-1]) for o in missing] == [("cdr.conf", FAIL, "usegmtime=yes")]


def test_asterisk_adapter_fills_in_defaults(tree, registry):
    facts = tree({"voicemail.conf": "[general]\nmaxmessage=200\n", "cel.conf": "[general]\napps=voicemail\n"})
    limits = registry.get("RET-PHI-102")(facts)[0]
    assert (limits.status, limits.evidence) == (PASS, "maxmsg=100 (default), maxsecs=200")  # maxmessage: its old name
    assert registry.get("RET-PHI-103")(facts)[0].status == PASS  # backupdeleted defaults to no
    cel = registry.get("LOG-AUD-105")(facts)[0]
    assert (cel.status, cel.evidence) == (FAIL, "CEL disabled (default)")
    unlimited = registry.get("RET-PHI-102")(tree({"voicemail.conf": "[general]\nmaxmsg=500\n"}))[0]
    assert unlimited.status == FAIL and unlimited.fix == ["[general]", "maxmsg=100", "maxsecs=180"]
    long = registry.get("RET-PHI-102")(tree({"voicemail.conf": "[general]\nmaxsecs=600\n"}))[0]
    assert long.fix == ["[general]", "maxsecs=300"]


def test_nothing_to_judge_is_not_applicable_from_the_runner(tree, registry):
    facts = tree({"extensions.conf": "[x]\nexten => 1,1,Answer()\n"})
    for cid in ("AST-RET-102", "AST-RET-103"):
        out = registry.get(cid)(facts)
        assert [(o.resource, o.status, o.evidence) for o in out] == [("(target)", NA, "no [general] section")]


def test_recording_configured_before_any_is_stored(tmp_path, tree, registry):
    spool = tmp_path / "spool"
    (spool / "voicemail").mkdir(parents=True)
    facts = tree({"extensions.conf": "[c]\nexten => 1,1,MixMonitor(${UNIQUEID}.wav)\n"}, spool_dir=spool,
                 now=time.time())
    out = registry.get("RET-PHI-104")(facts)
    assert [(o.resource, o.status) for o in out] == [("call recordings", PASS)]
    assert out[0].location is not None and out[0].location.file == "extensions.conf"
