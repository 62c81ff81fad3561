"""ACC-LOGOFF-101 (automatic logoff, 164.312(a)(2)(iii)): the judge branch by branch, then each platform's
adapter on real configuration text (the example clinic, the real trees, the switch fixtures) and on
small trees written the way the vendor writes them."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import write_tree
from voxaudit.check import CheckContext
from voxaudit.checks.logoff import admin_session_idle_limit
from voxaudit.collectors.offline import collect_asterisk_tree, collect_freeswitch_tree
from voxaudit.control import Params
from voxaudit.facts.phones import build_phone_facts
from voxaudit.facts.switches import build_switch_facts
from voxaudit.model import Status
from voxaudit.platforms.asterisk.logoff import atoi
from voxaudit.profile import load_profile
from voxaudit.records.logoff import AdminSession

FAIL, PASS, NA, ERROR = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE, Status.ERROR
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "riverside-family-clinic" / "etc" / "asterisk"
TREES = ROOT / "tests" / "real_trees"
SWITCHES = ROOT / "tests" / "fixtures" / "switches"
CANARY = "Xq9CanarySecret77"


def judge(rec: AdminSession, **params: int):
    return admin_session_idle_limit.judge(rec, Params({"max_idle_minutes": 15, **params}))


def session(**kw) -> AdminSession:
    return AdminSession(**{"subject": "s", "service": "web UI", "setting": "timeout", **kw})


@pytest.fixture
def logoff(registry):
    """logoff(facts, **params) -> {resource: outcome} of ACC-LOGOFF-101 on those facts."""
    ctl = registry.get("ACC-LOGOFF-101")

    def go(facts, **params):
        return {o.resource: o for o in ctl(facts, CheckContext({**ctl.defaults(), **params}))}
    return go


# -- the judge ---------------------------------------------------------------------------------------

def test_judge_branches():
    v = judge(session(idle_seconds=600))
    assert (v.status, v.evidence) == (PASS, "web UI: idle sessions end after 10 min (timeout)")
    assert judge(session(idle_seconds=900)).status == PASS  # exactly the limit
    v = judge(session(idle_seconds=901))
    assert (v.status, v.evidence) == (FAIL, "web UI: idle sessions end after 15 min 1 s (timeout), longer than 15 min")
    v = judge(session(idle_seconds=None))
    assert (v.status, v.evidence) == (FAIL, "web UI: idle sessions never end (timeout)")
    v = judge(session(idle_seconds=None, default=True))
    assert v.evidence == "web UI: idle sessions never end (timeout not set: the platform's default)"
    v = judge(session(no_sessions="off"))
    assert (v.status, v.evidence) == (PASS, "web UI: off")
    v = judge(session(idle_seconds=60, undecidable="kept in a database"))
    assert (v.status, v.evidence) == (ERROR, "kept in a database")  # unknown is never PASS
    assert judge(session(idle_seconds=600), max_idle_minutes=5).status == FAIL  # the profile decides


def test_control_metadata_and_profiles(registry):
    ctl = registry.get("ACC-LOGOFF-101")
    assert ctl.meta.hipaa == ["164.312(a)(2)(iii)"] and ctl.meta.severity.value == "medium"
    assert set(ctl.meta.platforms) == {"asterisk", "freeswitch", "phone", "switch"}
    assert {"freepbx", "fusionpbx", "yealink", "grandstream", "ios", "eos"} <= set(ctl.meta.remediation)
    assert ctl.defaults() == {"max_idle_minutes": 15}
    for name in ("hipaa-security-rule", "hipaa-2025-nprm"):
        profile = load_profile(name, registry)
        logoff = next(s for s in profile.safeguards if s.id == "164.312(a)(2)(iii)")
        assert "ACC-LOGOFF-101" in logoff.checks, name
        assert profile.parameters["max_idle_minutes"] == 15


# -- Asterisk and FreePBX --------------------------------------------------------------------------

def test_atoi_reads_httptimeout_as_manager_c_does():
    assert [atoi(v) for v in ("120", " 120abc", "+30", "-5", "abc", "", "0x10", "١٢")] == [120, 120, 30, -5, 0, 0, 0, 0]
    start = time.perf_counter()
    assert atoi("9" * 1_000_000) == 999_999_999  # bounded: a hostile value stays a number
    assert time.perf_counter() - start < 0.5


HTTP_ON = {"http.conf": "[general]\nenabled=yes\nbindaddr=127.0.0.1\n"}


def manager(general: str) -> dict[str, str]:
    return {**HTTP_ON, "manager.conf": f"[general]\n{general}\n\n[admin]\nsecret=Long-Random-Secret-42\n"
                                       "deny=0.0.0.0/0.0.0.0\npermit=127.0.0.1/255.255.255.255\n"}


def test_asterisk_web_manager_sessions(tree, logoff):
    out = logoff(tree(manager("enabled=yes\nwebenabled=yes\nhttptimeout=3600")))["manager.conf [general]"]
    assert out.status == FAIL and "60 min" in out.evidence
    assert out.location.file == "manager.conf" and out.location.line == 4
    assert out.fix == ["[general]", "webenabled=no", "; or, if AMI over HTTP is needed: httptimeout=900"]
    assert logoff(tree(manager("enabled=yes\nwebenabled=yes\nhttptimeout=3600")),
                  max_idle_minutes=5)["manager.conf [general]"].fix[-1].endswith("httptimeout=300")
    # unset, 0 or a non-number: manager.c keeps its default of 60 seconds
    for value in ("", "httptimeout=0", "httptimeout=never"):
        out = logoff(tree(manager(f"enabled=yes\nwebenabled=yes\n{value}")))["manager.conf [general]"]
        assert out.status == PASS and "1 min" in out.evidence and "not set" in out.evidence, value
    # the last line wins, as manager.c's loop reads it
    out = logoff(tree(manager("enabled=yes\nwebenabled=yes\nhttptimeout=600\nhttptimeout=7200")))
    assert out["manager.conf [general]"].status == FAIL


def test_asterisk_without_web_sessions_passes_with_the_reason(tree, logoff):
    out = logoff(tree(manager("enabled=yes\nwebenabled=no\nhttptimeout=99999")))["manager.conf [general]"]
    assert out.status == PASS and "webenabled" in out.evidence
    out = logoff(tree(manager("enabled=no\nwebenabled=yes")))["manager.conf [general]"]
    assert out.status == PASS and "AMI is disabled" in out.evidence
    files = manager("enabled=yes\nwebenabled=yes\nhttptimeout=99999")
    files["http.conf"] = "[general]\nenabled=no\n"
    assert logoff(tree(files))["manager.conf [general]"].status == PASS


def test_freepbx_web_ui_is_an_error_saying_what_is_not_collected(logoff):
    out = logoff(collect_asterisk_tree(EXAMPLE))
    ui = out["FreePBX web UI"]
    assert ui.status == ERROR and "PHP session" in ui.evidence and "database" in ui.evidence
    assert out["manager.conf [general]"].status == PASS  # FreePBX leaves AMI over HTTP off


def test_real_asterisk_trees(logoff):
    # cosmiccable: manager.conf enabled=yes, webenabled=yes, no httptimeout -> 60 s
    out = logoff(collect_asterisk_tree(TREES / "cosmiccable-asterisk" / "conf"))
    assert out["manager.conf [general]"].status == PASS
    assert "FreePBX web UI" not in out


# -- FreeSWITCH and FusionPBX ----------------------------------------------------------------------

def test_fusionpbx_web_ui_is_an_error_and_plain_freeswitch_has_no_session(tmp_path, logoff):
    conf = TREES / "adhearsion-fs-min-config" / "conf"
    out = logoff(collect_freeswitch_tree(conf))
    assert [o.status for o in out.values()] == [NA]
    assert "event socket" in next(iter(out.values())).evidence
    staged = tmp_path / "etc" / "freeswitch"
    shutil.copytree(conf, staged)
    (tmp_path / "etc" / "fusionpbx").mkdir()
    facts = collect_freeswitch_tree(staged)
    assert facts.flavor == "fusionpbx"
    ui = logoff(facts)["FusionPBX web UI"]
    assert ui.status == ERROR and "remember_me" in ui.evidence and "php.ini" in ui.evidence


# -- desk phones -----------------------------------------------------------------------------------

def phones(tmp_path: Path, files: dict[str, str]):
    return build_phone_facts(write_tree(tmp_path / "prov", files))


def test_yealink_web_ui_timeout(tmp_path, logoff):
    head = "#!version:1.0.0.1\naccount.1.enable = 1\n"
    out = logoff(phones(tmp_path, {
        "long.cfg": head + "features.relog_offtime = 30\n",
        "short.cfg": head + "static.features.relog_offtime = 10\n",
        "unset.cfg": head,
        "reset.cfg": head + "features.relog_offtime = %NULL%\n",
        "word.cfg": head + f"features.relog_offtime = {CANARY}\n",
        "zero.cfg": head + "features.relog_offtime = 0\n",
    }))
    long = out["phone long.cfg"]
    assert long.status == FAIL and "30 min" in long.evidence and long.fix == ["features.relog_offtime = 15"]
    assert long.location.line == 3
    assert out["phone short.cfg"].status == PASS
    for name in ("unset.cfg", "reset.cfg"):  # factory default: 5 minutes
        assert out[f"phone {name}"].status == PASS and "5 min" in out[f"phone {name}"].evidence, name
    word = out["phone word.cfg"]
    assert word.status == ERROR and CANARY not in word.evidence
    assert out["phone zero.cfg"].status == ERROR and "1-1000" in out["phone zero.cfg"].evidence


def test_grandstream_and_unverified_vendors(tmp_path, logoff):
    out = logoff(phones(tmp_path, {
        "gs-long.cfg": "P2 = Long-Random-Admin-Pw\nP28116 = 60\n",
        "gs-unset.cfg": "P2 = Long-Random-Admin-Pw\n",
        "poly.cfg": '<polycomConfig><device device.auth.localAdminPassword="x"/></polycomConfig>\n',
    }))
    gs = out["phone gs-long.cfg"]
    assert gs.status == FAIL and gs.fix == ["P28116 = 15"]
    assert out["phone gs-unset.cfg"].status == PASS and "10 min" in out["phone gs-unset.cfg"].evidence
    poly = out["phone poly.cfg"]
    assert poly.status == ERROR and "not read" in poly.evidence


def test_real_yealink_tree(logoff):
    out = logoff(build_phone_facts(TREES / "pinballwizard-yealink" / "provisioning"))
    assert out and {o.status for o in out.values()} == {PASS}


# -- switches --------------------------------------------------------------------------------------

def test_real_switch_configs(logoff):
    out = logoff(build_switch_facts(TREES / "openfest-2023-switches" / "configs"))
    con = out["switch uplink-gkc (gkc.conf) line con 0"]  # gkc.conf: line con 0 / exec-timeout 0 0
    assert con.status == FAIL and "never end (exec-timeout 0 0)" in con.evidence
    assert con.location.line == 195 and con.fix == ["line con 0", " exec-timeout 15 0"]
    vty = out["switch core-sw (core.conf) line vty 0 4"]  # no exec-timeout: IOS's 10 minutes
    assert vty.status == PASS and "not set" in vty.evidence
    assert not any(r.startswith("switch") and "team" in r for r in out)  # TP-Link: refused, not judged


def test_switch_fixtures(logoff):
    weak = logoff(build_switch_facts(SWITCHES / "weak"))
    aos = weak["switch Clinic-Edge-2930F (clinic-edge-2930f.cfg)"]
    assert aos.status == ERROR and "not read" in aos.evidence  # AOS-S option not verified: never PASS
    hardened = logoff(build_switch_facts(SWITCHES / "hardened"))
    eos = hardened["switch clinic-leaf (clinic-leaf-arista.cfg) management ssh"]
    assert eos.status == FAIL and "never end" in eos.evidence and eos.fix == ["management ssh", "   idle-timeout 15"]


IOS = """\
hostname sw1
!
line con 0
 exec-timeout 5 0
line aux 0
 no exec
line vty 0 4
 exec-timeout {vty}
 transport input ssh
line vty 5 15
 exec-timeout 0 0
!
end
"""


def test_ios_lines(tmp_path, logoff):
    facts = build_switch_facts(write_tree(tmp_path / "sw", {"sw1.cfg": IOS.format(vty="30")}))
    out = logoff(facts)
    assert out["switch sw1 (sw1.cfg) line con 0"].status == PASS
    assert out["switch sw1 (sw1.cfg) line aux 0"].status == PASS  # no exec: no session
    vty = out["switch sw1 (sw1.cfg) line vty 0 4"]
    assert vty.status == FAIL and "30 min" in vty.evidence and vty.location.line == 8
    assert out["switch sw1 (sw1.cfg) line vty 5 15"].status == FAIL
    seconds = logoff(build_switch_facts(write_tree(tmp_path / "sw2", {"sw1.cfg": IOS.format(vty="14 59")})))
    assert seconds["switch sw1 (sw1.cfg) line vty 0 4"].status == PASS


def test_ios_exec_timeout_not_understood_is_a_gap_without_the_value(tmp_path):
    facts = build_switch_facts(write_tree(tmp_path / "sw", {"sw1.cfg": IOS.format(vty=CANARY)}))
    gaps = [p for cf in facts.configs.values() for p in cf.problems if p.is_gap]
    assert [(p.line, p.message) for p in gaps] == [(8, "line vty 0 4: exec-timeout not understood")]
    assert CANARY not in repr(facts.configs)


EOS = """\
! device: leaf1 (DCS-7050TX-64, EOS-4.28.3M)
hostname leaf1
!
management ssh
{body}
!
end
"""


@pytest.mark.parametrize("body, status, words", [
    ("   idle-timeout 10", PASS, "10 min"),
    ("   idle-timeout 60", FAIL, "60 min"),
    ("   idle-timeout 0", FAIL, "never end (idle-timeout 0)"),
    ("   shutdown", PASS, "shut down"),
    ("   shutdown\n   vrf MGMT\n      no shutdown", FAIL, "not set"),  # SSH still runs in the VRF
    ("   authentication mode password", FAIL, "not set"),
])
def test_eos_management_ssh(tmp_path, logoff, body, status, words):
    out = logoff(build_switch_facts(write_tree(tmp_path / "sw", {"leaf1.cfg": EOS.format(body=body)})))
    ssh = out["switch leaf1 (leaf1.cfg) management ssh"]
    assert ssh.status == status and words in ssh.evidence


def test_hostile_exec_timeout_is_read_in_linear_time(tmp_path):
    long = IOS.format(vty="1 " + "9" * 200_000)
    start = time.perf_counter()
    facts = build_switch_facts(write_tree(tmp_path / "sw", {"sw1.cfg": long}))
    assert time.perf_counter() - start < 2
    assert any(p.is_gap for cf in facts.configs.values() for p in cf.problems)


def test_facts_saved_before_these_settings_were_read_are_an_error(tmp_path, logoff):
    """A saved scan re-judged by ``rescore`` may predate these settings: never read "absent" as "unset"."""
    sw = build_switch_facts(SWITCHES / "hardened")
    ph = phones(tmp_path, {"y.cfg": "#!version:1.0.0.1\naccount.1.enable = 1\n"})
    for facts, key in ((sw, "exec_timeout"), (sw, "ssh_idle_timeout"), (ph, "web_session_timeout")):
        for dev in facts.objects:
            dev.settings.pop(key, None)
    assert {o.status for r, o in logoff(sw).items() if "2930F" not in r} == {ERROR}
    assert {o.status for o in logoff(ph).values()} == {ERROR}


def test_tampered_saved_facts_are_an_error_not_an_exception(logoff):
    sw = build_switch_facts(SWITCHES / "hardened")
    for dev in sw.objects:
        for key in ("exec_timeout", "ssh_idle_timeout"):
            for s in dev.settings.get(key, []):
                s.value = s.value.split("=")[0] + "=x y" if key == "exec_timeout" else "ten"
    out = logoff(sw)
    assert {o.status for r, o in out.items() if "2930F" not in r} == {ERROR}
    assert all("saved facts" in o.evidence for r, o in out.items() if "2930F" not in r)
