"""Phones judged on the files they really apply: Yealink boot files and <MAC>-local.cfg, Poly [PHONE_MAC_ADDRESS].

* Yealink firmware 81+ asks for <MAC>.boot, else y000000000000.boot, and applies the files it lists
  (``include:config <file>`` / ``"file"``), in order, the later winning, instead of y0000000000XX.cfg + <MAC>.cfg
  (Yealink's auto provisioning guide, "Boot Files"). Before, voxaudit read no .boot file at all: the listed files
  were judged one by one as phones of their own, and what a boot file pulls from a URL was silently missing.
* <MAC>-local.cfg holds the phone's own web/handset changes: with static.auto_provision.custom.protect = 1 they win
  over the server's files (with custom.sync = 1 the phone takes the server's copy); with protect 0 the server's files
  override them. Before, it was judged as a phone of its own.
* Poly: "[PHONE_MAC_ADDRESS]" in CONFIG_FILES is the phone's MAC. Before, it was never resolved (a gap on every
  master, even a <MAC>.cfg one whose files are all there).
"""
from __future__ import annotations

from pathlib import Path

from tests.conftest import scan_secret_free, write_tree
from tests.test_reader_fuzz import assert_linear
from voxaudit.collectors.offline import collect_phone_files
from voxaudit.facts.phones import build_phone_facts
from voxaudit.model import Status

FAIL, PASS, ERROR = Status.FAIL, Status.PASS, Status.ERROR
CANARY = "CANARY-b00t-5e7a91"
STRONG = "Qz8-vL2m-Rt5w-Kp9x"
BOOT = "#!version:1.0.0.1\n## The header above must appear as-is in the first line\n{body}overwrite_mode = 1\n"
SECURITY = f"#!version:1.0.0.1\nstatic.security.user_password = admin:{STRONG}\nfeatures.voice_mail_popup.enable = 0\n"
WEAK_PW = "#!version:1.0.0.1\nstatic.security.user_password = admin:admin\n"
ACCOUNT = """#!version:1.0.0.1
account.1.enable = 1
account.1.user_name = 201
account.1.sip_server.1.address = pbx.clinic.example
account.1.sip_server.1.transport_type = 2
account.1.srtp_encryption = 2
"""
MAC = "805ec0aa0001"


def _boot(*includes: str, extra: str = "") -> str:
    return BOOT.format(body="".join(f"include:config {i}\n" for i in includes) + extra)


def _problems(facts, file: str) -> list:
    return [p for cf in facts.configs.values() for p in cf.problems if p.file == file]


def _devices(facts) -> list[str]:
    return sorted(d.name for d in facts.of_kind("phone.device"))


def test_a_common_boot_file_applies_its_files_in_order_the_later_winning(tmp_path, run):
    write_tree(tmp_path, {"y000000000000.boot": _boot('"security.cfg"', "<accounts/account.cfg>", "<weak.cfg>"),
                          "security.cfg": SECURITY, "accounts/account.cfg": ACCOUNT, "weak.cfg": WEAK_PW})
    facts = collect_phone_files(tmp_path)
    # one phone, the boot file's; the files it lists are parts of it, not phones of their own
    assert _devices(facts) == ["y000000000000.boot"]
    assert run("AUTH-SECRET-101", facts) == {"phone y000000000000.boot": FAIL}  # weak.cfg, listed last, wins
    assert run("ENC-SIG-101", facts) == {"y000000000000.boot line 1": PASS}
    assert run("ENC-MEDIA-102", facts) == {"y000000000000.boot line 1": PASS}
    (device,) = facts.of_kind("phone.device")
    assert (device.secrets["admin_password"].source.file, device.secrets["admin_password"].source.line) == (
        "weak.cfg", 2)
    assert device.location("voicemail_popup").file == "security.cfg"
    (note,) = _problems(facts, "weak.cfg")
    assert note.note and "y000000000000.boot" in note.message
    (tmp_path / "y000000000000.boot").write_text(_boot("<weak.cfg>", "<security.cfg>", "<accounts/account.cfg>"))
    facts = collect_phone_files(tmp_path)
    assert run("AUTH-SECRET-101", facts) == {"phone y000000000000.boot": PASS}  # security.cfg now wins
    assert not [p for p in _problems(facts, "y000000000000.boot") if not p.note]


def test_a_mac_boot_file_wins_over_the_common_one_and_plain_cfg_files_are_not_loaded(tmp_path, run):
    write_tree(tmp_path, {"y000000000000.boot": _boot("<weak.cfg>", "<account.cfg>"),
                          f"{MAC}.boot": _boot("<account.cfg>", "<security.cfg>"),
                          "security.cfg": SECURITY, "account.cfg": ACCOUNT, "weak.cfg": WEAK_PW,
                          # with a boot file in the folder no phone asks for these two
                          "y000000000066.cfg": SECURITY, f"{MAC}.cfg": WEAK_PW})
    facts = collect_phone_files(tmp_path)
    assert _devices(facts) == [f"{MAC}.boot", "y000000000000.boot"]
    assert run("AUTH-SECRET-101", facts) == {f"phone {MAC}.boot": PASS, "phone y000000000000.boot": FAIL}
    for unloaded in ("y000000000066.cfg", f"{MAC}.cfg"):
        (note,) = _problems(facts, unloaded)
        assert note.note and "loaded by no phone" in note.message


def test_without_a_common_boot_file_other_phones_keep_the_plain_pair(tmp_path, run):
    write_tree(tmp_path, {f"{MAC}.boot": _boot("<security.cfg>", "<account.cfg>"),
                          "security.cfg": SECURITY, "account.cfg": ACCOUNT,
                          "y000000000066.cfg": WEAK_PW, "805ec0aa0002.cfg": ACCOUNT, f"{MAC}.cfg": ACCOUNT})
    facts = collect_phone_files(tmp_path)
    got = run("AUTH-SECRET-101", facts)
    assert got[f"phone {MAC}.boot"] == PASS
    assert got["phone 805ec0aa0002.cfg"] == FAIL  # y000000000066.cfg + its own file, as before
    assert f"phone {MAC}.cfg" not in got  # that phone has its boot file


def test_urls_and_names_not_in_the_folder_are_gaps_naming_no_secret(tmp_path, run):
    conf = write_tree(tmp_path / "conf", {
        "y000000000000.boot": _boot(f'"https://prov:{CANARY}@prov.clinic.example/y/{CANARY}.cfg"', "<missing.cfg>",
                                    "<../../outside.cfg>", "<security.cfg>"),
        "security.cfg": SECURITY})
    (tmp_path / "outside.cfg").write_text(WEAK_PW)
    facts = collect_phone_files(conf)
    (gap,) = [p for p in _problems(facts, "y000000000000.boot") if not p.note]
    assert not gap.fatal and "3 file(s)" in gap.message and "missing.cfg" in gap.message
    assert "https://<redacted>@prov.clinic.example/..." in gap.message and CANARY not in gap.message
    assert run("AUTH-SECRET-101", facts) == {"phone y000000000000.boot": PASS}  # outside.cfg is never read
    doc = scan_secret_free(conf, tmp_path / "out", "json,md,sarif,html", CANARY, platform="phone")
    got = {(r["check_id"], r["resource"]): r["status"] for r in doc["results"]}
    # the gap is an ERROR of the phone in every check reading provisioning files: coverage drops, never silence
    assert got[("AUTH-SECRET-101", "phone y000000000000.boot (unread parts)")] == "ERROR"


def test_a_file_listed_for_some_models_leaves_what_it_sets_unknown(tmp_path, run):
    write_tree(tmp_path, {"y000000000000.boot": _boot("<account.cfg>", "<security.cfg>",
                                                      extra="[T46S, T48S]include:config <weak.cfg>\n"),
                          "security.cfg": SECURITY, "account.cfg": ACCOUNT, "weak.cfg": WEAK_PW})
    facts = collect_phone_files(tmp_path)
    assert run("AUTH-SECRET-101", facts) == {"phone y000000000000.boot": ERROR}  # never security.cfg's PASS
    assert run("ENC-SIG-101", facts) == {"y000000000000.boot line 1": PASS}  # weak.cfg does not set it
    from tests.test_devices_real_misses import registry_outcomes

    (acc,) = registry_outcomes(facts, "AUTH-SECRET-101")
    assert "T46S, T48S" in acc.evidence and "weak.cfg" in acc.evidence
    # specific_model.excluded_mode = 1: a phone of a listed model skips the others too
    (tmp_path / "y000000000000.boot").write_text(_boot("<account.cfg>", extra="[T46S]include:config <weak.cfg>\n"
                                                       "static.specific_model.excluded_mode = 1\n"))
    assert run("ENC-SIG-101", collect_phone_files(tmp_path)) == {"y000000000000.boot line 1": ERROR}
    # a "[T46S]" line of its own: the includes below it are that model's, never every phone's
    (tmp_path / "y000000000000.boot").write_text(_boot("<security.cfg>", extra="[T46S]\ninclude:config <weak.cfg>\n"))
    assert run("AUTH-SECRET-101", collect_phone_files(tmp_path))["phone y000000000000.boot"] == ERROR


def test_hostile_boot_files_are_bounded_and_never_recurse(tmp_path, run):
    write_tree(tmp_path, {
        "y000000000000.boot": _boot(*[f"<n{i}.cfg>" for i in range(10_000)]),
        f"{MAC}.boot": _boot(f"<{MAC}.boot>", "<y000000000000.boot>", "<security.cfg>") + f"security.user_password = admin:{CANARY}\n"
                       + f"[T46S include:config <{CANARY}.cfg>\ninclude:config {CANARY}.cfg\n",
        "security.cfg": SECURITY})
    facts = collect_phone_files(tmp_path)
    assert any("only the first 64" in p.message for p in _problems(facts, "y000000000000.boot"))
    problems = _problems(facts, f"{MAC}.boot")
    assert all(CANARY not in p.message for p in problems)
    assert sum("not a Yealink configuration file" in p.message for p in problems) == 2  # the boot files it lists
    assert any("key security.user_password" in p.message for p in problems)  # a boot file holds no setting
    # security.cfg's password, never the boot line's, except that the bare "include:config <canary>.cfg" listed
    # after it is a file the phone may load (not here) that may override it: not known
    assert run("AUTH-SECRET-101", facts)[f"phone {MAC}.boot"] == ERROR


def test_the_boot_reader_is_linear(tmp_path):
    from voxaudit.parsers.phone_provisioning import parse_provisioning_file

    def make(n: int):
        path = tmp_path / f"{n}.boot"
        path.write_text("#!version:1.0.0.1\n" + "".join(
            f"[{'T4' * 40}include:config <{'a' * 200}\n[{'x,' * 50}]include:config \"n{i}.cfg\"\n" for i in range(n)))
        return lambda: parse_provisioning_file(path, path.name)
    assert_linear(make, 400, "Yealink boot file reader")


def test_boot_merging_is_linear_in_phones_times_listed_file(tmp_path):
    def make(n: int):
        folder = tmp_path / f"b{n}"
        folder.mkdir()
        (folder / "site.cfg").write_text(SECURITY + "".join(f"custom.key.{i} = {i}\n" for i in range(20 * n)))
        (folder / "account.cfg").write_text(ACCOUNT)
        for i in range(n):
            (folder / f"805ec0{i:06x}.boot").write_text(_boot("<site.cfg>", "<account.cfg>"))
        return lambda: build_phone_facts(folder)
    assert_linear(make, 40, "Yealink boot files listing one site file")


LOCAL = "#!version:1.0.0.1\naccount.1.srtp_encryption = 0\nfeatures.missed_call_popup.enable = 1\n"


def _local_tree(root: Path, protect: str, sync: str) -> Path:
    return write_tree(root, {"y000000000066.cfg": SECURITY + f"static.auto_provision.custom.protect = {protect}\n"
                                                             f"static.auto_provision.custom.sync = {sync}\n",
                             f"{MAC}.cfg": ACCOUNT, f"{MAC}-local.cfg": LOCAL})


def test_local_changes_win_when_protect_and_sync_are_on(tmp_path, run):
    facts = collect_phone_files(_local_tree(tmp_path, "1", "1"))
    assert _devices(facts) == [f"{MAC}.cfg", "y000000000066.cfg"]  # the local file is part of the phone
    assert run("ENC-MEDIA-101", facts)[f"{MAC}.cfg line 1"] == FAIL  # the user turned SRTP off on the phone
    (device,) = [d for d in facts.of_kind("phone.device") if d.name == f"{MAC}.cfg"]
    assert device.location("missed_call_popup").file == f"{MAC}-local.cfg"
    (note,) = _problems(facts, f"{MAC}-local.cfg")
    assert note.note and f"{MAC}.cfg" in note.message


def test_local_changes_lose_to_the_server_files_when_protect_is_off(tmp_path, run):
    facts = collect_phone_files(_local_tree(tmp_path, "0", "1"))
    assert run("ENC-MEDIA-101", facts)[f"{MAC}.cfg line 1"] == PASS  # the server's 2 wins
    # what only the local file sets: the phone may keep it; not known, never the default's verdict
    assert run("NTF-PHI-104", facts)[f"phone {MAC}.cfg"] == ERROR


def test_protect_without_sync_or_without_a_local_file_is_a_gap(tmp_path, run):
    facts = collect_phone_files(_local_tree(tmp_path, "1", "0"))
    assert run("ENC-MEDIA-101", facts)[f"{MAC}.cfg line 1"] == ERROR  # the phone's own copy decides
    assert [p for p in _problems(facts, f"{MAC}.cfg") if not p.note and "custom.sync" in p.message]
    (tmp_path / f"{MAC}-local.cfg").unlink()
    facts = collect_phone_files(tmp_path)
    assert [p for p in _problems(facts, "y000000000066.cfg") if not p.note and "custom.protect is 1" in p.message]


def test_a_local_file_of_a_phone_without_its_own_file_stands_for_that_phone(tmp_path, run):
    write_tree(tmp_path, {"y000000000000.boot": _boot("<site.cfg>", "<account.cfg>"),
                          "site.cfg": SECURITY + "static.auto_provision.custom.protect = 1\n"
                                                 "static.auto_provision.custom.sync = 1\n",
                          "account.cfg": ACCOUNT, f"{MAC}-local.cfg": LOCAL.replace("srtp_encryption = 0",
                                                                                    "password = " + CANARY)})
    facts = collect_phone_files(tmp_path)
    assert _devices(facts) == [f"{MAC}-local.cfg", "y000000000000.boot"]
    got = run("AUTH-SECRET-101", facts)
    # the SIP password its own changes set (the canary, 18 characters) is judged too
    assert got == {f"phone {MAC}-local.cfg": PASS, "phone y000000000000.boot": PASS, f"{MAC}-local.cfg line 1": PASS}
    assert run("NTF-PHI-104", facts)[f"phone {MAC}-local.cfg"] == FAIL  # its own missed-call popup
    for cf in facts.configs.values():
        assert all(CANARY not in p.message for p in cf.problems)


POLY_MASTER = ('<?xml version="1.0" standalone="yes"?>\n<APPLICATION APP_FILE_PATH="sip.ld" '
               'CONFIG_FILES="{files}" MISC_FILES="" LOG_FILE_DIRECTORY=""/>\n')
POLY_SITE = (f'<site><device device.set="1" device.auth.localAdminPassword="{STRONG}" '
             'device.auth.localAdminPassword.set="1"/><sec sec.srtp.enable="1" sec.srtp.require="1"/></site>\n')
POLY_WEAK = ('<phone><device device.set="1" device.auth.localAdminPassword="456" '
             'device.auth.localAdminPassword.set="1"/></phone>\n')
POLY_REG = '<reg><reg reg.1.address="202" reg.1.server.1.address="pbx" reg.1.server.1.transport="TLS"/></reg>\n'
LISTED = "[PHONE_MAC_ADDRESS]-reg.cfg, phone[PHONE_MAC_ADDRESS].cfg, site.cfg"


def test_poly_mac_master_resolves_phone_mac_address(tmp_path, run):
    master = "0004f2aa0002.cfg"
    write_tree(tmp_path, {master: POLY_MASTER.format(files=LISTED), "0004f2aa0002-reg.cfg": POLY_REG,
                          "phone0004f2aa0002.cfg": POLY_WEAK, "site.cfg": POLY_SITE})
    facts = collect_phone_files(tmp_path)
    assert _devices(facts) == [master]
    assert run("AUTH-SECRET-101", facts) == {f"phone {master}": FAIL}  # phone<MAC>.cfg, listed before site.cfg
    assert run("ENC-SIG-101", facts) == {f"{master} line 1": PASS}
    assert not [p for p in _problems(facts, master) if not p.note]  # before: a gap naming the unresolved names


def test_poly_default_master_is_one_phone_per_mac_with_files_here(tmp_path, run):
    write_tree(tmp_path, {"000000000000.cfg": POLY_MASTER.format(files=LISTED), "site.cfg": POLY_SITE,
                          "0004f2aa0003-reg.cfg": POLY_REG, "phone0004f2aa0003.cfg": POLY_WEAK,
                          "0004f2aa0004-reg.cfg": POLY_REG,
                          # this phone has its own master: it never loads 000000000000.cfg
                          "0004f2aa0005.cfg": POLY_MASTER.format(files="[PHONE_MAC_ADDRESS]-reg.cfg, site.cfg"),
                          "0004f2aa0005-reg.cfg": POLY_REG})
    facts = collect_phone_files(tmp_path)
    phone3, phone4 = "000000000000.cfg (MAC 0004f2aa0003)", "000000000000.cfg (MAC 0004f2aa0004)"
    assert _devices(facts) == ["000000000000.cfg", phone3, phone4, "0004f2aa0005.cfg"]
    got = run("AUTH-SECRET-101", facts)
    # phone 4 asks for phone0004f2aa0004.cfg (not here) before site.cfg: that file wins over site.cfg for whatever
    # it sets, so site.cfg's strong password, and every setting reg.cfg leaves out (a failover server), are not
    # known for phone 4 (ERROR), never site.cfg's PASS nor a factory default's verdict
    assert got[f"phone {phone3}"] == FAIL and got[f"phone {phone4}"] == ERROR
    assert run("ENC-SIG-101", facts)[f"{phone3} line 1"] == PASS
    assert run("ENC-SIG-101", facts)[f"{phone4} line 1"] == ERROR
    # phone 4 has no phone<MAC>.cfg here: its gap; the default master keeps its own for phones without files
    assert [p for p in _problems(facts, phone4) if not p.note and "phone0004f2aa0004.cfg" in p.message]
    assert not [p for p in _problems(facts, phone3) if not p.note]
    assert [p for p in _problems(facts, "000000000000.cfg") if not p.note and "PHONE_MAC_ADDRESS" in p.message]


def test_poly_phone_mac_address_resolution_is_linear(tmp_path):
    def make(n: int):
        folder = tmp_path / f"p{n}"
        folder.mkdir()
        (folder / "000000000000.cfg").write_text(POLY_MASTER.format(files=LISTED))
        (folder / "site.cfg").write_text(POLY_SITE)
        for i in range(n):
            (folder / f"0004f2{i:06x}-reg.cfg").write_text(POLY_REG)
        return lambda: build_phone_facts(folder)
    assert_linear(make, 40, "Poly default master resolved per MAC")


def test_a_boot_file_no_phone_asks_for_by_name_is_a_gap(tmp_path):
    write_tree(tmp_path, {"y000000000044.boot": _boot("<security.cfg>"), "security.cfg": SECURITY})
    facts = collect_phone_files(tmp_path)
    (gap,) = _problems(facts, "y000000000044.boot")
    assert not gap.note and not gap.fatal and "not named y000000000000.boot or <MAC>.boot" in gap.message
    assert _devices(facts) == ["security.cfg"]  # its files are merged into no phone: judged as they are
