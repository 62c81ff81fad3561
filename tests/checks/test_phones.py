"""PHONE-*: Yealink, Poly, Grandstream and Cisco SPA provisioning files, weak and hardened."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import msgspec

from tests.conftest import statuses, write_tree
from voxaudit.collectors.offline import collect_phone_files
from voxaudit.model import Status

FAIL, PASS, NA, ERROR = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE, Status.ERROR

WEAK = {
    "805ec0aa0001.cfg": """#!version:1.0.0.1
## exam room 2 (T46U)
account.1.enable = 1
account.1.user_name = 201
account.1.password = Ph0neLinePass-201
account.1.sip_server.1.address = pbx.clinic.example
account.1.sip_server.1.transport_type = 0
account.1.srtp_encryption = 1
static.security.user_password = admin:admin
static.auto_provision.server.url = http://prov:Pr0vSecret77@prov.clinic.example/yealink/
""",
    "0004f2aa0002.cfg": """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<polycomConfig>
  <reg reg.1.address="202" reg.1.auth.userId="202" reg.1.auth.password="Ph0neLinePass-202"
       reg.1.server.1.address="pbx.clinic.example" reg.1.server.1.transport="UDPOnly"/>
  <device device.set="1" device.auth.localAdminPassword="456" device.auth.localAdminPassword.set="1"
          device.prov.serverType="TFTP" device.prov.serverType.set="1"
          device.prov.serverName="prov.clinic.example" device.prov.serverName.set="1"/>
  <sec sec.srtp.enable="1" sec.srtp.require="0"/>
</polycomConfig>
""",
    "cfg000b82aa0003.txt": """# Grandstream GXP, lobby
P2 = admin
P47 = pbx.clinic.example
P35 = 203
P34 = Ph0neLinePass-203
P130 = 0
P183 = 0
P212 = 0
P237 = prov.clinic.example/gs
""",
    "spa504g-aa0004.xml": """<flat-profile>
  <Admin_Passwd></Admin_Passwd>
  <Profile_Rule>tftp://prov.clinic.example/spa$MA.xml</Profile_Rule>
  <Line_Enable_1_>Yes</Line_Enable_1_>
  <Password_1_>Ph0neLinePass-204</Password_1_>
  <SIP_Transport_1_>UDP</SIP_Transport_1_>
  <Secure_Call_Setting_1_>No</Secure_Call_Setting_1_>
</flat-profile>
""",
}

HARDENED = {
    "805ec0bb0001.cfg": """#!version:1.0.0.1
account.1.enable = 1
account.1.sip_server.1.transport_type = 2
account.1.srtp_encryption = 2
static.security.user_password = admin:Qz8Lw2Xc9Vb4Nm7Tk1Rp
static.auto_provision.server.url = https://prov.clinic.example/yealink/
features.voice_mail_popup.enable = 0
features.missed_call_popup.enable = 0
""",
    "0004f2bb0002.cfg": """<polycomConfig>
  <reg reg.1.address="202" reg.1.server.1.transport="TLS"/>
  <device device.set="1" device.auth.localAdminPassword="Hn3Wq8Lz1Xc6Vb9Tr4Mk" device.auth.localAdminPassword.set="1"
          device.prov.serverType="HTTPS" device.prov.serverType.set="1"
          device.prov.serverName="prov.clinic.example" device.prov.serverName.set="1"/>
  <sec sec.srtp.enable="1" sec.srtp.require="1"/>
</polycomConfig>
""",
    "cfg000b82bb0003.txt": "P2 = Zr7Qw2Lx9Vb4Nk8Tc1Mp\nP47 = pbx.clinic.example\nP130 = 2\nP183 = 2\nP212 = 2\nP237 = prov.clinic.example/gs\n",
    "spa504g-bb0004.xml": """<flat-profile>
  <Admin_Passwd>Vx8Kq2Lm9Zr4Tw7Nb1Hc</Admin_Passwd>
  <Profile_Rule>https://prov.clinic.example/spa$MA.xml</Profile_Rule>
  <Line_Enable_1_>Yes</Line_Enable_1_>
  <SIP_Transport_1_>TLS</SIP_Transport_1_>
  <Secure_Call_Setting_1_>Yes</Secure_Call_Setting_1_>
</flat-profile>
""",
}


def test_vendors_are_recognised_and_normalised(tmp_path):
    facts = collect_phone_files(write_tree(tmp_path, WEAK))
    vendors = {d.name: d.get("vendor") for d in facts.of_kind("phone.device")}
    assert vendors == {"805ec0aa0001.cfg": "yealink", "0004f2aa0002.cfg": "polycom",
                       "cfg000b82aa0003.txt": "grandstream", "spa504g-aa0004.xml": "cisco-spa"}
    text = msgspec.json.encode(facts).decode()
    for secret in ("Ph0neLinePass", "Pr0vSecret77"):
        assert secret not in text  # line passwords are never read into facts; URL password redacted


def test_every_vendor_weakness_is_found(tmp_path, run):
    facts = collect_phone_files(write_tree(tmp_path, WEAK))
    lines = {"805ec0aa0001.cfg line 1", "0004f2aa0002.cfg line 1", "cfg000b82aa0003.txt line 1",
             "spa504g-aa0004.xml line 1"}
    phones = {f"phone {n}" for n in WEAK}
    assert statuses(run("PHONE-TLS-101", facts), FAIL) == lines
    assert statuses(run("PHONE-SRTP-101", facts), FAIL) == lines
    assert statuses(run("PHONE-ACC-101", facts), FAIL) == phones
    assert statuses(run("PHONE-PRV-101", facts), FAIL) == phones
    assert statuses(run("PHONE-PRV-102", facts), FAIL) == {"phone 805ec0aa0001.cfg"}
    # popups default on (Yealink); the other vendors' popup options are not read: ERROR, never NOT_APPLICABLE
    assert run("PHONE-NTF-101", facts) == {"phone 805ec0aa0001.cfg": FAIL, "phone 0004f2aa0002.cfg": ERROR,
                                           "phone cfg000b82aa0003.txt": ERROR, "phone spa504g-aa0004.xml": ERROR}


def test_hardened_phones_pass(tmp_path, run, registry):
    facts = collect_phone_files(write_tree(tmp_path, HARDENED))
    for cid in [i for i in registry.known_ids() if i.startswith("PHONE-")]:
        assert FAIL not in run(cid, facts).values(), (cid, run(cid, facts))


def test_poly_device_parameters_count_only_where_the_phone_applies_them(tmp_path, run):
    """Poly applies device.* only with device.set="1" and the parameter's own .set="1"; without them the phone
    keeps an earlier or its own value (its factory admin password 456): a strong password or an HTTPS server
    written there proves nothing: it is read as not set (FAIL, as an unset one), never PASS, and a note names it."""
    unapplied = HARDENED["0004f2bb0002.cfg"].replace(' device.set="1"', "").replace(
        ' device.auth.localAdminPassword.set="1"', "")
    facts = collect_phone_files(write_tree(tmp_path, {"0004f2bb0002.cfg": unapplied}))
    gap, = [p for cf in facts.configs.values() for p in cf.problems]
    assert not gap.fatal and gap.note and "device.auth.localadminpassword" in gap.message
    assert "Hn3Wq8Lz1Xc6Vb9Tr4Mk" not in gap.message and "device.set" in gap.message
    assert run("PHONE-ACC-101", facts) == {"phone 0004f2bb0002.cfg": FAIL}
    assert PASS not in run("PHONE-PRV-101", facts).values()
    applied = collect_phone_files(write_tree(tmp_path / "applied", {"0004f2bb0002.cfg": HARDENED["0004f2bb0002.cfg"]}))
    assert not [p for cf in applied.configs.values() for p in cf.problems]
    assert run("PHONE-ACC-101", applied) == {"phone 0004f2bb0002.cfg": PASS}


def test_malformed_phone_file_errors_only_itself(tmp_path):
    files = dict(HARDENED)
    files["0004f2cc0009.cfg"] = "<polycomConfig>\n  <reg reg.1.address=\"209\"\n</polycomConfig>\n"
    root = write_tree(tmp_path / "prov", files)
    exe = Path(sys.executable).parent / "voxaudit"
    out = tmp_path / "out"
    proc = subprocess.run([str(exe), "scan", "--config-dir", str(root), "--platform", "phone", "-o", str(out), "-q",
                           "-f", "all"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out / "scan.json").read_text())
    errors = {((r.get("alias") or r["check_id"]), r["resource"]) for r in doc["results"] if r["status"] == "ERROR"}
    assert ("PHONE-TLS-101", "phone 0004f2cc0009.cfg") in errors
    err = next(r for r in doc["results"] if r["status"] == "ERROR")
    assert err["evidence"].startswith("0004f2cc0009.cfg:")
    assert any(r["status"] == "PASS" and r["resource"] == "0004f2bb0002.cfg line 1" for r in doc["results"])
    assert "Qz8Lw2Xc9Vb4Nm7Tk1Rp" not in "".join(p.read_text() for p in out.iterdir())
