"""A phone applies several provisioning files together; voxaudit judges the phone, not each file alone.

* Yealink: a phone loads its model's common file ``y0000000000XX.cfg`` first, then its ``<MAC>.cfg``,
  the later overriding (Yealink's auto provisioning guide). Which common file applies is known when the
  folder holds one, or when the MAC file's firmware names the model; otherwise the settings only the
  common files set are not known for that phone (ERROR with the reason, never a default's FAIL or PASS).
* Poly: a master file (``000000000000.cfg`` / ``<MAC>.cfg``) lists the phone's files in CONFIG_FILES, the
  first listed taking precedence (Poly UC Software Administrator Guide).

Before the merge a per-MAC file alone got FAIL "admin password (not provisioned: factory default
stays)" and FAIL "popups on" for what its common file sets.
"""
from __future__ import annotations

from pathlib import Path

from tests.conftest import scan_secret_free, write_tree
from tests.test_reader_fuzz import assert_linear
from voxaudit.collectors.offline import collect_phone_files
from voxaudit.facts.phones import build_phone_facts
from voxaudit.model import Status

FAIL, PASS, ERROR = Status.FAIL, Status.PASS, Status.ERROR
CANARY = "CANARY-m3rg3-9f41c7"
STRONG = "Qz8-vL2m-Rt5w-Kp9x"

COMMON_66 = f"""#!version:1.0.0.1
static.security.user_password = admin:{STRONG}
features.voice_mail_popup.enable = 0
features.missed_call_popup.enable = 0
account.1.sip_server.1.transport_type = 2
account.1.srtp_encryption = 2
"""
COMMON_28 = """#!version:1.0.0.1
static.security.user_password = admin:admin
"""
MAC = """#!version:1.0.0.1
account.1.enable = 1
account.1.user_name = 201
account.1.sip_server.1.address = pbx.clinic.example
"""
MAC_FILE = "805ec0aa0001.cfg"
PHONE = f"phone {MAC_FILE}"


def _problems(facts) -> list:
    return [p for cf in facts.configs.values() for p in cf.problems]


def test_a_yealink_mac_file_takes_the_one_common_file_of_its_folder(tmp_path, run):
    facts = collect_phone_files(write_tree(tmp_path, {"y000000000066.cfg": COMMON_66, MAC_FILE: MAC}))
    assert run("AUTH-SECRET-101", facts)[PHONE] == PASS  # before: FAIL, factory default
    assert run("NTF-PHI-104", facts)[PHONE] == PASS  # before: FAIL, popups on
    assert run("ENC-SIG-101", facts)[f"{MAC_FILE} line 1"] == PASS
    assert run("ENC-MEDIA-102", facts)[f"{MAC_FILE} line 1"] == PASS
    (device,) = [d for d in facts.of_kind("phone.device") if d.name == MAC_FILE]
    # the source of each setting is the file that won, with its line
    assert (device.secrets["admin_password"].source.file, device.secrets["admin_password"].source.line) == (
        "y000000000066.cfg", 2)
    assert device.location("voicemail_popup").file == "y000000000066.cfg"
    # the common file stays a resource of its own (phones of that model without a MAC file get just it)
    assert run("AUTH-SECRET-101", facts)["phone y000000000066.cfg"] == PASS


def test_the_mac_file_overrides_its_common_file(tmp_path, run):
    facts = collect_phone_files(write_tree(tmp_path, {
        "y000000000066.cfg": COMMON_66,
        MAC_FILE: MAC + "static.security.user_password = admin:admin\naccount.1.srtp_encryption = 0\n"}))
    assert run("AUTH-SECRET-101", facts)[PHONE] == FAIL
    assert run("ENC-MEDIA-101", facts)[f"{MAC_FILE} line 1"] == FAIL
    (device,) = [d for d in facts.of_kind("phone.device") if d.name == MAC_FILE]
    assert device.secrets["admin_password"].source.file == MAC_FILE


def test_two_common_files_and_no_model_named_leave_their_settings_unknown(tmp_path, run):
    facts = collect_phone_files(write_tree(tmp_path, {
        "y000000000066.cfg": COMMON_66, "y000000000028.cfg": COMMON_28, MAC_FILE: MAC}))
    for check in ("AUTH-SECRET-101", "NTF-PHI-104"):
        assert run(check, facts)[PHONE] == ERROR, check  # never the default's FAIL, never a PASS
    assert run("ENC-SIG-101", facts)[f"{MAC_FILE} line 1"] == ERROR
    (note,) = [p for p in _problems(facts) if p.file == MAC_FILE]
    assert note.note and "y000000000066.cfg" in note.message and "y000000000028.cfg" in note.message
    from tests.test_devices_real_misses import registry_outcomes

    (acc,) = [o for o in registry_outcomes(facts, "AUTH-SECRET-101") if o.resource == PHONE]
    assert "security.user_password" in acc.evidence and "does not name" in acc.evidence
    assert STRONG not in acc.evidence
    # what the MAC file sets itself is known all the same
    facts = collect_phone_files(write_tree(tmp_path, {MAC_FILE: MAC + "static.security.user_password = admin:admin\n"}))
    assert run("AUTH-SECRET-101", facts)[PHONE] == FAIL


def test_a_firmware_url_names_the_model_and_so_the_common_file(tmp_path, run):
    facts = collect_phone_files(write_tree(tmp_path, {
        "y000000000066.cfg": COMMON_66, "y000000000028.cfg": COMMON_28,
        MAC_FILE: MAC + "static.firmware.url = https://prov.clinic.example/fw/T46S-66.86.0.160.rom\n"}))
    assert run("AUTH-SECRET-101", facts)[PHONE] == PASS
    assert not [p for p in _problems(facts) if p.file == MAC_FILE]
    facts = collect_phone_files(write_tree(tmp_path, {
        MAC_FILE: MAC + "static.firmware.url = https://prov.clinic.example/fw/28.83.0.50.rom\n"}))
    assert run("AUTH-SECRET-101", facts)[PHONE] == FAIL  # the T46G's common file: admin:admin


def test_an_unreadable_common_file_is_a_gap_of_the_phone(tmp_path, run):
    write_tree(tmp_path, {MAC_FILE: MAC})
    (tmp_path / "y000000000066.cfg").write_bytes(b"\x00\x01encrypted")
    facts = collect_phone_files(tmp_path)
    (gap,) = [p for p in _problems(facts) if p.file == MAC_FILE]
    assert not gap.note and not gap.fatal and "y000000000066.cfg" in gap.message


def test_a_canary_secret_in_a_common_file_is_never_in_reports(tmp_path):
    conf = write_tree(tmp_path / "conf", {
        "y000000000066.cfg": COMMON_66.replace(STRONG, CANARY), "y000000000028.cfg": COMMON_28,
        MAC_FILE: MAC, "805ec0aa0002.cfg": MAC + "static.firmware.url = http://x/66.86.0.160.rom\n"})
    doc = scan_secret_free(conf, tmp_path / "out", "json,md,sarif,html", CANARY, platform="phone")
    got = {(r["check_id"], r["resource"]): r["status"] for r in doc["results"]}
    assert got[("AUTH-SECRET-101", "phone 805ec0aa0001.cfg")] == "ERROR"
    assert got[("AUTH-SECRET-101", "phone 805ec0aa0002.cfg")] == "PASS"


POLY_MASTER = ('<?xml version="1.0" standalone="yes"?>\n<APPLICATION APP_FILE_PATH="sip.ld" '
               'CONFIG_FILES="{files}" MISC_FILES="" LOG_FILE_DIRECTORY=""/>\n')
POLY_SITE = (f'<site><device device.set="1" device.auth.localAdminPassword="{STRONG}" '
             'device.auth.localAdminPassword.set="1"/><sec sec.srtp.enable="1" sec.srtp.require="1"/></site>\n')
POLY_DEFAULTS = ('<defaults><device device.set="1" device.auth.localAdminPassword="456" '
                 'device.auth.localAdminPassword.set="1"/><sec sec.srtp.require="0"/></defaults>\n')
POLY_REG = '<reg><reg reg.1.address="202" reg.1.server.1.address="pbx" reg.1.server.1.transport="TLS"/></reg>\n'


def test_poly_config_files_merge_the_first_listed_first(tmp_path, run):
    master = "0004f2aa0002.cfg"
    write_tree(tmp_path, {master: POLY_MASTER.format(files="0004f2aa0002-reg.cfg, site.cfg, defaults.cfg"),
                          "0004f2aa0002-reg.cfg": POLY_REG, "site.cfg": POLY_SITE, "defaults.cfg": POLY_DEFAULTS})
    facts = collect_phone_files(tmp_path)
    assert [d.name for d in facts.of_kind("phone.device")] == [master]
    assert run("AUTH-SECRET-101", facts) == {f"phone {master}": PASS}
    assert run("ENC-MEDIA-102", facts) == {f"{master} line 1": PASS}
    assert run("ENC-SIG-101", facts) == {f"{master} line 1": PASS}
    (device,) = facts.of_kind("phone.device")
    assert device.secrets["admin_password"].source.file == "site.cfg"
    (tmp_path / master).write_text(POLY_MASTER.format(files="0004f2aa0002-reg.cfg, defaults.cfg, site.cfg"))
    facts = collect_phone_files(tmp_path)
    assert run("AUTH-SECRET-101", facts) == {f"phone {master}": FAIL}  # defaults.cfg's "456" now wins
    assert run("ENC-MEDIA-102", facts) == {f"{master} line 1": FAIL}


def test_poly_hostile_config_files_lists_are_bounded_and_stay_inside(tmp_path, run):
    outside = tmp_path / "outside.cfg"
    outside.write_text(POLY_SITE)
    conf = tmp_path / "conf"
    names = ", ".join([f"n{i}.cfg" for i in range(10_000)] + ["site.cfg"])
    write_tree(conf, {"000000000000.cfg": POLY_MASTER.format(files=names),
                      "0004f2aa0003.cfg": POLY_MASTER.format(
                          files=f"../outside.cfg, {outside}, 0004f2aa0003.cfg, 000000000000.cfg, "
                                "[PHONE_MAC_ADDRESS]-reg.cfg, reg.cfg, reg.cfg"),
                      "site.cfg": POLY_SITE, "reg.cfg": POLY_REG})
    facts = collect_phone_files(conf)
    got = run("AUTH-SECRET-101", facts)
    # 000000000000.cfg: site.cfg is name 10,001, never read; the phone's files are missing: a gap
    messages = [p.message for p in _problems(facts) if p.file == "000000000000.cfg"]
    assert any("only the first 64" in m for m in messages)
    # 0004f2aa0003.cfg: names outside the folder and masters (itself included) are never merged: outside.cfg's
    # strong password is not this phone's. The phone still asks its server for those names, first in its list, so
    # whatever they may set (everything reg.cfg sets too) is not known: ERROR naming them, never PASS nor a default.
    assert got["phone 0004f2aa0003.cfg"] == ERROR
    device = next(o for o in facts.of_kind("phone.device") if o.name == "0004f2aa0003.cfg")
    assert "../outside.cfg" in (device.get("admin_password.unknown") or "")
    assert run("ENC-SIG-101", facts) == {"0004f2aa0003.cfg line 1": ERROR}


def _yealink_folder(root: Path, n: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "y000000000066.cfg").write_text(COMMON_66 + "".join(f"custom.key.{i} = {i}\n" for i in range(20 * n)))
    for i in range(n):
        (root / f"805ec0{i:06x}.cfg").write_text(MAC)
    return root


def test_merging_is_linear_in_phones_times_common_file(tmp_path):
    """N per-MAC files sharing one common file of ~20N lines: never N copies of the common file."""
    def make(n: int):
        folder = _yealink_folder(tmp_path / f"n{n}", n)
        return lambda: build_phone_facts(folder)
    assert_linear(make, 40, "Yealink common file merged into N phones")


def test_poly_merging_is_linear_in_masters(tmp_path):
    def make(n: int):
        folder = tmp_path / f"p{n}"
        folder.mkdir()
        (folder / "site.cfg").write_text("<site>" + "".join(f'<d device.k{i}="1" x.k{i}="1"/>\n' for i in range(20 * n))
                                         + "</site>\n")
        for i in range(n):
            (folder / f"0004f2{i:06x}.cfg").write_text(POLY_MASTER.format(files="site.cfg"))
        return lambda: build_phone_facts(folder)
    assert_linear(make, 40, "Poly site file merged into N phones")


def test_an_element_with_thousands_of_attributes_is_a_bounded_gap(tmp_path):
    """lxml reads an element's attribute values in time quadratic in their number (16,000: 0.6 s before the
    bound); beyond MAX_XML_ATTRIBUTES the element is a gap naming no value."""
    import time

    from voxaudit.parsers.phone_provisioning import MAX_XML_ATTRIBUTES, parse_provisioning_file

    path = tmp_path / "site.cfg"
    path.write_text("<polycomConfig><site " + " ".join(f'x.k{i}="{CANARY}"' for i in range(16_000)) + "/></polycomConfig>")
    start = time.perf_counter()
    _vendor, settings, problems, _content = parse_provisioning_file(path, "site.cfg")
    assert time.perf_counter() - start < 0.3
    (gap,) = problems
    assert not gap.fatal and str(MAX_XML_ATTRIBUTES) in gap.message and CANARY not in gap.message
    assert not settings
