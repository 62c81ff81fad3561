"""Desk-phone gaps closed in the phone adapter (the "trust" theme): what the files do not settle is an ERROR with
its reason, never a silent NOT_APPLICABLE nor a factory default's PASS.

* Grandstream accounts 2 and up were not read: only account 1's P-values (P271, P47, P34, P130, P183) were. Every
  account the GXP16xx/GXP21xx/GRP26xx P-values name (2-4: P4xx/P5xx/P6xx, 5-6: P17xx/P18xx, the codes of
  Grandstream's templates as FusionPBX ships them) and any higher one the named-item XML sets
  (``account.<N>.sip.transport``) is a line now: active flag, transport, SRTP, password shape. A default the
  templates contradict (account 6's transport) or do not give (accounts 7+) is not known.
* A Poly master listing a file not in the folder (a URL, a name outside it, a [PHONE_MAC_ADDRESS] file of a phone
  that has none here) judged what the files read leave unset on the factory default. That file takes its place in
  the CONFIG_FILES order (first listed wins): what it may set is not known, and so are device.* parameters whose
  device.set / <name>.set only such a file could decide, and SRTP's defaults.
* The same admin password: one common file many phones load is one setting (changed in one place, not shared);
  the same value written in several phones' own files is one secret reused (shared: FAIL), as for SIP lines.
"""
from __future__ import annotations

import pytest

from tests.conftest import scan_secret_free, write_tree
from voxaudit.check import CheckContext
from voxaudit.collectors.offline import collect_phone_files
from voxaudit.model import Status

FAIL, PASS, ERROR, NA = Status.FAIL, Status.PASS, Status.ERROR, Status.NOT_APPLICABLE
CANARY = "Cn4ry7Q"  # 7 characters: weak, and never to be seen in any output
STRONG = "Qz8-vL2m-Rt5w-Kp9x"
OTHER_STRONG = "Wk5#mR9$tB2@vX7!Lp3"


@pytest.fixture
def evidence(registry):
    """evidence('ENC-SIG-101', facts) -> {resource: (status, evidence)}."""
    def go(check_id: str, facts) -> dict[str, tuple[Status, str]]:
        chk = registry.get(check_id)
        return {o.resource: (o.status, o.evidence) for o in chk(facts, CheckContext(chk.defaults()))}
    return go


GS_TEXT = f"""# GXP2170, six accounts
P271 = 1
P47 = pbx
P34 = {STRONG}
P130 = 2
P183 = 2
P401 = 1
P402 = pbx
P404 = 202
P406 = {CANARY}
P448 = 0
P443 = 1
P501 = 0
P502 = pbx
P506 = {CANARY}
P601 = 1
P602 = pbx
P648 = 2
P643 = 2
P1702 = pbx
P1748 = 1
P1802 = pbx
P1843 = 2
"""


def test_grandstream_accounts_2_to_6_are_lines_of_their_own(tmp_path, run, evidence):
    facts = collect_phone_files(write_tree(tmp_path / "gs", {"cfg000b82aa0001.txt": GS_TEXT}))
    sig = run("ENC-SIG-101", facts)
    # account 3 is inactive (P501 = 0): no SIP line; account 4: TLS; account 5: TCP; account 2: UDP
    assert sig == {"cfg000b82aa0001.txt line 1": PASS, "cfg000b82aa0001.txt line 2": FAIL,
                   "cfg000b82aa0001.txt line 4": PASS, "cfg000b82aa0001.txt line 5": FAIL,
                   "cfg000b82aa0001.txt line 6": ERROR}
    # account 6's transport is unset, and Grandstream's templates contradict each other on its default
    status, why = evidence("ENC-SIG-101", facts)["cfg000b82aa0001.txt line 6"]
    assert "P1848" in why and "not verified" in why
    media = run("ENC-MEDIA-101", facts)
    # SRTP Mode: P443 = 1 (enabled, not forced), P643 = 2 (forced), account 5 unset (0, Disabled), P1843 = 2
    assert media["cfg000b82aa0001.txt line 2"] == PASS  # encrypted when the peer offers it...
    assert media["cfg000b82aa0001.txt line 4"] == PASS and media["cfg000b82aa0001.txt line 6"] == PASS
    assert media["cfg000b82aa0001.txt line 5"] == FAIL
    assert run("ENC-MEDIA-102", facts)["cfg000b82aa0001.txt line 2"] == FAIL  # optional SRTP falls back
    secrets = run("AUTH-SECRET-101", facts)
    assert secrets["cfg000b82aa0001.txt line 1"] == PASS
    assert secrets["cfg000b82aa0001.txt line 2"] == FAIL  # P406: 7 characters
    assert "cfg000b82aa0001.txt line 4" not in secrets  # no password in the file: not judged here
    assert CANARY not in repr(facts)
    doc = scan_secret_free(tmp_path / "gs", tmp_path / "out", "json,md,csv", CANARY, platform="phone")
    assert any(r["resource"] == "cfg000b82aa0001.txt line 2" and r["status"] == "FAIL" for r in doc["results"])


def test_grandstream_named_items_of_every_account(tmp_path, run, evidence):
    """Config version 2 (``<item name="account.N....">``): accounts 1-6 are their P-values; a higher one (GRP2670
    has 12) is read by its items, and what it leaves unset is not known (no verified default)."""
    items = {"account.1.sip.server.1.address": "pbx", "account.1.sip.subscriber.password": CANARY,
             "account.2.enable": "No", "account.2.sip.server.1.address": "pbx",
             "account.3.enable": "Yes", "account.3.sip.server.1.address": "pbx",
             "account.3.sip.transport": "Tls Or Tcp", "account.3.audio.srtpMode": "EnabledAndForced",
             "account.3.sip.subscriber.password": STRONG,
             "account.9.sip.server.1.address": "pbx", "account.9.sip.transport": "TCP"}
    body = "".join(f'<item name="{k}">{v}</item>' for k, v in items.items())
    write_tree(tmp_path, {"cfg000b82aa0002.xml": f'<gs_provision version="1"><config version="2">{body}'
                                                 "</config></gs_provision>"})
    facts = collect_phone_files(tmp_path)
    assert run("ENC-SIG-101", facts) == {"cfg000b82aa0002.xml line 1": FAIL, "cfg000b82aa0002.xml line 3": PASS,
                                         "cfg000b82aa0002.xml line 9": FAIL}
    assert run("AUTH-SECRET-101", facts)["cfg000b82aa0002.xml line 1"] == FAIL  # the named password is read
    assert run("AUTH-SECRET-101", facts)["cfg000b82aa0002.xml line 3"] == PASS
    status, why = evidence("ENC-MEDIA-101", facts)["cfg000b82aa0002.xml line 9"]
    assert status == ERROR and "account.9.srtp" in why
    assert CANARY not in repr(facts)


def test_many_named_grandstream_accounts_are_bounded(tmp_path):
    body = "".join(f'<item name="account.{n}.sip.server.1.address">pbx</item>' for n in range(7, 3007))
    write_tree(tmp_path, {"cfg000b82aa0003.xml": f"<gs_provision><config>{body}</config></gs_provision>"})
    facts = collect_phone_files(tmp_path)
    assert len(facts.of_kind("phone.account")) == 64
    assert any("only the first 64" in p.message for cf in facts.configs.values() for p in cf.problems)


POLY_MASTER = '<APPLICATION APP_FILE_PATH="sip.ld" CONFIG_FILES="{files}"/>\n'
POLY_REG = ('<polycomConfig><reg reg.1.address="201" reg.1.auth.password="{pw}" reg.1.server.1.address="pbx" '
            'reg.1.server.1.transport="TLS" reg.1.server.2.address=""/></polycomConfig>\n')
POLY_DEVICE = ('<polycomConfig><device device.set="1" device.auth.localAdminPassword="{pw}" '
               'device.auth.localAdminPassword.set="1" device.prov.serverType="HTTPS" device.prov.serverType.set="1" '
               'device.prov.serverName="prov.example" device.prov.serverName.set="1"/>'
               '<sec sec.srtp.enable="1" sec.srtp.require="1"/></polycomConfig>\n')


def test_poly_settings_a_missing_file_may_set_are_not_known(tmp_path, run, evidence):
    """Listed after the missing file, device.cfg's values are not the phone's for sure: ERROR naming it."""
    write_tree(tmp_path, {"000000000000.cfg": POLY_MASTER.format(files="reg.cfg, site.cfg, device.cfg"),
                          "reg.cfg": POLY_REG.format(pw=STRONG), "device.cfg": POLY_DEVICE.format(pw=STRONG)})
    facts = collect_phone_files(tmp_path)
    for check, resource in (("AUTH-SECRET-101", "phone 000000000000.cfg"), ("DEV-PRV-101", "phone 000000000000.cfg"),
                            ("ENC-MEDIA-101", "000000000000.cfg line 1")):
        status, why = evidence(check, facts)[resource]
        assert status == ERROR and "site.cfg" in why, check
    # reg.cfg, listed before the missing file, wins over it: its line is known
    assert run("ENC-SIG-101", facts) == {"000000000000.cfg line 1": PASS}
    assert run("AUTH-SECRET-101", facts)["000000000000.cfg line 1"] == PASS


def test_poly_files_listed_before_a_missing_one_are_the_phones(tmp_path, run):
    """The same files, the missing one last: everything is set by files surely applied first."""
    write_tree(tmp_path, {"000000000000.cfg": POLY_MASTER.format(files="reg.cfg, device.cfg, http://x/site.cfg"),
                          "reg.cfg": POLY_REG.format(pw=STRONG), "device.cfg": POLY_DEVICE.format(pw=OTHER_STRONG)})
    facts = collect_phone_files(tmp_path)
    assert run("AUTH-SECRET-101", facts) == {"phone 000000000000.cfg": PASS, "000000000000.cfg line 1": PASS}
    assert run("DEV-PRV-101", facts) == {"phone 000000000000.cfg": PASS}
    assert run("ENC-MEDIA-102", facts) == {"000000000000.cfg line 1": PASS}


def test_poly_device_set_only_a_missing_file_could_decide(tmp_path, evidence):
    """device.set = 1 in a file listed after the missing one: whether the admin password applies is not known
    (before this it was hidden as "not applied" and judged on the factory default 456: FAIL)."""
    device = POLY_DEVICE.format(pw=STRONG).replace(' device.set="1"', "")
    write_tree(tmp_path, {"000000000000.cfg": POLY_MASTER.format(files="device.cfg, [PHONE_MAC_ADDRESS]-x.cfg, "
                                                                       "set.cfg"),
                          "device.cfg": device, "set.cfg": '<polycomConfig><device device.set="1"/></polycomConfig>'})
    facts = collect_phone_files(tmp_path)
    status, why = evidence("AUTH-SECRET-101", facts)["phone 000000000000.cfg"]
    assert status == ERROR and "device.set" in why and "[PHONE_MAC_ADDRESS]-x.cfg" in why
    # the same files, device.set = 0 before the missing one: surely not applied, the factory default's verdict
    write_tree(tmp_path / "b", {"000000000000.cfg": POLY_MASTER.format(files="device.cfg, missing.cfg"),
                                "device.cfg": device.replace("<device ", '<device device.set="0" ')})
    assert evidence("AUTH-SECRET-101", collect_phone_files(tmp_path / "b"))["phone 000000000000.cfg"][0] == FAIL


YEALINK_MAC = "#!version:1.0.0.1\nfirmware.url = http://prov/66.86.0.15.rom\n"


def test_one_admin_password_in_a_common_file_is_one_setting_not_a_shared_one(tmp_path, run):
    """The documented choice: three phones loading the one y000000000066.cfg that sets the admin password take
    one setting, changed in one place for all of them: not "shared" (each judged on its strength: PASS). The same
    value written into each phone's own file is the same secret copied three times: shared (FAIL), as a SIP
    password on several lines is."""
    common = {"y000000000066.cfg": f"#!version:1.0.0.1\nstatic.security.user_password = admin:{STRONG}\n",
              **{f"805ec0aa000{i}.cfg": YEALINK_MAC for i in range(1, 4)}}
    facts = collect_phone_files(write_tree(tmp_path / "common", common))
    # (the common file is judged on its own too: the same file and line, still one setting)
    assert run("AUTH-SECRET-101", facts) == {"phone y000000000066.cfg": PASS,
                                             **{f"phone 805ec0aa000{i}.cfg": PASS for i in range(1, 4)}}
    copied = {f"805ec0aa000{i}.cfg": f"{YEALINK_MAC}static.security.user_password = admin:{STRONG}\n"
              for i in range(1, 4)}
    facts = collect_phone_files(write_tree(tmp_path / "copied", {**copied, "805ec0aa0009.cfg":
                                           f"{YEALINK_MAC}static.security.user_password = admin:{OTHER_STRONG}\n"}))
    got = run("AUTH-SECRET-101", facts)
    assert got == {**{f"phone 805ec0aa000{i}.cfg": FAIL for i in range(1, 4)}, "phone 805ec0aa0009.cfg": PASS}
    # across vendors too (the same value in a Grandstream and a Yealink file), never naming the value
    write_tree(tmp_path / "mixed", {"cfg000b82aa0001.txt": f"P2 = {CANARY}x9Lq-Wm3\n",
                                    "805ec0aa0001.cfg": f"#!version:1.0.0.1\nstatic.security.user_password = "
                                                        f"admin:{CANARY}x9Lq-Wm3\n"})
    facts = collect_phone_files(tmp_path / "mixed")
    assert set(run("AUTH-SECRET-101", facts).values()) == {FAIL}
    assert CANARY not in repr(facts)
    doc = scan_secret_free(tmp_path / "mixed", tmp_path / "out", "json,md,csv", CANARY, platform="phone")
    shared = [r for r in doc["results"] if r["resource"].startswith("phone ") and "shared" in r.get("evidence", "")]
    assert {r["resource"] for r in shared} == {"phone cfg000b82aa0001.txt", "phone 805ec0aa0001.cfg"}


def test_a_path_outside_or_a_url_in_config_files_is_named_not_shown(tmp_path, evidence):
    """A URL listed in CONFIG_FILES is named by scheme and host only (its credentials never shown)."""
    write_tree(tmp_path, {"000000000000.cfg": POLY_MASTER.format(files=f"https://u:{CANARY}@prov.example/a.cfg, "
                                                                       "reg.cfg"),
                          "reg.cfg": POLY_REG.format(pw=STRONG)})
    facts = collect_phone_files(tmp_path)
    status, why = evidence("ENC-SIG-101", facts)["000000000000.cfg line 1"]
    assert status == ERROR and "prov.example" in why and CANARY not in why
    assert CANARY not in repr(facts)
