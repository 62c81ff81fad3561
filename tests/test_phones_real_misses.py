"""Desk-phone misses found on real provisioning folders (tests/real_trees: madridist88-grandstream-gxp16xx-fleet,
semenko-skype-polycom-vvx, ascentiaci-yealink-teams-boot), each fixed in general and held here on its own.

* SIP line passwords in provisioning files were never judged (only the admin password was): a fleet of Grandstream
  files with 8-character P34 passwords passed AUTH-SECRET-101 unseen. Every vendor's line password is judged now.
* Grandstream's P271 (Account 1 Active) was ignored: an inactive line was judged as registering.
* NTF-PHI-104 was NOT_APPLICABLE ("no phone whose popup options are known") for every Poly, Grandstream and Cisco
  phone: a vendor whose options voxaudit does not read is now an ERROR saying so.
* Poly's license key file and contact directory were "not a recognised provisioning file" gaps, and each became a
  phone of ERRORs; they hold no setting: a note now.
* A Yealink boot file listing a file that is not in the folder (a URL, "$mac.cfg") still judged what the files
  read here leave unset on the factory default (FAIL admin password, PASS web timeout): those settings are not
  known now. An include:config written bare (no <...> or "...") named no file at all; it is now a file the phone
  may or may not load.
"""
from __future__ import annotations

from pathlib import Path

from tests.conftest import scan_secret_free, write_tree
from tests.test_reader_fuzz import assert_linear
from voxaudit.collectors.offline import collect_phone_files
from voxaudit.model import Status
from voxaudit.parsers.phone_provisioning import parse_provisioning_file

FAIL, PASS, ERROR, NA = Status.FAIL, Status.PASS, Status.ERROR, Status.NOT_APPLICABLE
CANARY = "Cn4ry7Q"  # 7 characters: weak, and never to be seen in any output
STRONG = "Qz8-vL2m-Rt5w-Kp9x"

LINE_FILES = {
    "805ec0aa0001.cfg": "#!version:1.0.0.1\naccount.1.enable = 1\naccount.1.auth_name = 201\n"
                        f"account.1.password = {CANARY}\naccount.1.sip_server.1.address = pbx\n",
    "0004f2aa0002.cfg": f'<phone><reg reg.1.address="202" reg.1.auth.userid="202" reg.1.auth.password="{CANARY}" '
                        'reg.1.server.1.address="pbx"/></phone>\n',
    "cfg000b82aa0003.xml": f'<?xml version="1.0"?>\n<gs_provision version="1"><config version="1">\n<P271>1</P271>\n'
                           f'<P47>pbx</P47>\n<P35>203</P35>\n<P34>{CANARY}</P34>\n</config></gs_provision>\n',
    "spa504g-aa0004.xml": f"<flat-profile><Line_Enable_1_>Yes</Line_Enable_1_><User_ID_1_>204</User_ID_1_>"
                          f"<Password_1_>{CANARY}</Password_1_></flat-profile>\n",
}


def _problems(facts, file: str) -> list:
    return [p for cf in facts.configs.values() for p in cf.problems if p.file == file]


def test_every_vendor_line_password_is_judged_and_never_shown(tmp_path, run):
    facts = collect_phone_files(write_tree(tmp_path, LINE_FILES))
    got = run("AUTH-SECRET-101", facts)
    for name in LINE_FILES:
        assert got[f"{name} line 1"] == FAIL, name  # 7 characters
    assert CANARY not in repr(facts)
    doc = scan_secret_free(tmp_path, tmp_path.parent / "out", "json,md,csv", CANARY, platform="phone")
    assert any(r["resource"] == "cfg000b82aa0003.xml line 1" and r["status"] == "FAIL" for r in doc["results"])


def test_a_strong_empty_absent_or_placeholder_line_password(tmp_path, run):
    write_tree(tmp_path, {
        "cfg000b82aa0001.xml": f"<gs_provision><config><P47>pbx</P47><P34>{STRONG}</P34></config></gs_provision>",
        "cfg000b82aa0002.xml": "<gs_provision><config><P47>pbx</P47><P34></P34></config></gs_provision>",
        "cfg000b82aa0003.xml": "<gs_provision><config><P47>pbx</P47></config></gs_provision>",
        "cfg000b82aa0004.xml": "<gs_provision><config><P47>pbx</P47><P34>{$password}</P34></config></gs_provision>"})
    got = run("AUTH-SECRET-101", collect_phone_files(tmp_path))
    assert got["cfg000b82aa0001.xml line 1"] == PASS
    # empty or unset: the line's credentials are not in these files; nothing judged (never a PASS)
    assert "cfg000b82aa0002.xml line 1" not in got and "cfg000b82aa0003.xml line 1" not in got
    assert got["cfg000b82aa0004.xml line 1"] == ERROR  # a template placeholder: strength not known


def test_an_inactive_grandstream_account_is_no_sip_line(tmp_path, run):
    write_tree(tmp_path, {"cfg000b82aa0001.xml": "<gs_provision><config><P271>0</P271><P47>pbx</P47>"
                                                 "</config></gs_provision>",
                          "cfg000b82aa0002.txt": "P271 = 1\nP47 = pbx\n"})
    facts = collect_phone_files(tmp_path)
    assert run("ENC-SIG-101", facts) == {"cfg000b82aa0002.txt line 1": FAIL}  # UDP by default; 0001's is off


def test_popups_of_a_vendor_not_read_are_an_error_never_not_applicable(tmp_path, run):
    write_tree(tmp_path, {"cfg000b82aa0001.xml": "<gs_provision><config><P2>x</P2></config></gs_provision>"})
    got = run("NTF-PHI-104", collect_phone_files(tmp_path))
    assert got == {"phone cfg000b82aa0001.xml": ERROR}


LICENSE = ("<?xml version='1.0' encoding='ISO-8859-1' standalone='yes'?>\n"
           "<licenses><licenseKey Serial='100000001007' Version='2.0' Type='Site'/></licenses>")
DIRECTORY = ('<?xml version="1.0" standalone="yes"?>\n<directory>\n<item_list>\n<item><fn>Front desk</fn><ct>100</ct>'
             "</item>\n</item_list>\n</directory>\n")


def test_poly_license_and_directory_files_are_notes_not_phones(tmp_path, run):
    write_tree(tmp_path, {"000000000000-license.cfg": LICENSE, "000000000000-directory.xml": DIRECTORY,
                          "0004f2aa0002.cfg": f'<phone><device device.set="1" device.auth.localAdminPassword="{STRONG}"'
                                              ' device.auth.localAdminPassword.set="1"/></phone>\n'})
    facts = collect_phone_files(tmp_path)
    assert sorted(d.name for d in facts.of_kind("phone.device")) == ["0004f2aa0002.cfg"]
    for name, what in (("000000000000-license.cfg", "license key file"),
                       ("000000000000-directory.xml", "contact directory")):
        (problem,) = _problems(facts, name)
        assert problem.note and what in problem.message
        assert facts.configs[name].content_lines == 0  # nothing there for the runner to flag as unread
    assert run("AUTH-SECRET-101", facts) == {"phone 0004f2aa0002.cfg": PASS}


def test_lookalikes_of_poly_data_files_stay_gaps(tmp_path):
    for name, text in (("a.xml", "<directory><entry>x</entry></directory>"),            # not Poly's item_list
                       ("b.xml", "<licenses><other/></licenses>"),
                       ("c.xml", "<directory><item_list>{$items}</item_list></directory>"),  # a template
                       ("d.xml", "<directory><item_list>")):                              # not XML
        path = tmp_path / name
        path.write_text(text)
        vendor, _settings, problems, _content = parse_provisioning_file(path, name)
        assert vendor is None and any(not p.note and not p.fatal for p in problems), name


BOOT = "#!version:1.0.0.1\n{body}overwrite_mode = 1\n"
SECURITY = f"#!version:1.0.0.1\nstatic.security.user_password = admin:{STRONG}\n"


def test_a_boot_include_not_here_leaves_what_it_may_set_unknown(tmp_path, run):
    """security.cfg sets the admin password and nothing else; the URL listed after it may set the rest (and may
    override the password): not known, never the factory default's FAIL (admin, popups) or PASS (web timeout)."""
    write_tree(tmp_path, {"y000000000000.boot": BOOT.format(body="include:config <security.cfg>\n"
                                                                 'include:config "http://prov.example/site.cfg"\n'),
                          "security.cfg": SECURITY})
    facts = collect_phone_files(tmp_path)
    for check in ("AUTH-SECRET-101", "NTF-PHI-104", "ACC-LOGOFF-101"):
        assert run(check, facts) == {"phone y000000000000.boot": ERROR}, check
    (device,) = facts.of_kind("phone.device")
    assert "may set it" in (device.get("admin_password.unknown") or "")
    assert "prov.example" in (device.get("admin_password.unknown") or "")


def test_a_file_listed_after_the_missing_one_still_wins(tmp_path, run):
    write_tree(tmp_path, {"y000000000000.boot": BOOT.format(body='include:config "http://prov.example/site.cfg"\n'
                                                                 "include:config <security.cfg>\n"),
                          "security.cfg": SECURITY})
    facts = collect_phone_files(tmp_path)
    assert run("AUTH-SECRET-101", facts) == {"phone y000000000000.boot": PASS}  # listed last: the phone's value
    assert run("NTF-PHI-104", facts) == {"phone y000000000000.boot": ERROR}      # only the URL may set it


def test_a_bare_include_is_a_file_the_phone_may_load(tmp_path, run):
    write_tree(tmp_path, {"y000000000000.boot": BOOT.format(body=f"include:config {CANARY}\n"
                                                                 "include:config security.cfg\n"),
                          "security.cfg": SECURITY})
    facts = collect_phone_files(tmp_path)
    (device,) = facts.of_kind("phone.device")
    assert "whether the phone takes that line is not known" in (device.get("admin_password.unknown") or "")
    assert run("AUTH-SECRET-101", facts) == {"phone y000000000000.boot": ERROR}
    problems = _problems(facts, "y000000000000.boot")
    assert sum("the phone may or may not load it" in p.message for p in problems) == 2
    assert any("the unquoted include on line 2" in p.message for p in problems)  # the bare word is never named
    assert all(CANARY not in p.message for p in problems)


def test_bare_includes_stay_linear(tmp_path):
    def make(n: int):
        path = tmp_path / f"y{n}.boot"
        path.write_text(BOOT.format(body="include:config a.cfg b.cfg\ninclude:config x.cfg\n" * n))
        return lambda: parse_provisioning_file(path, path.name)
    assert_linear(make, 2000, "Yealink boot file with bare includes")


def test_the_real_fleet_files_read_as_a_phone_would(run):
    """The three real trees, through the same reader: the Grandstream fleet's line passwords are judged."""
    tree = Path(__file__).parent / "real_trees" / "madridist88-grandstream-gxp16xx-fleet" / "provisioning"
    got = run("AUTH-SECRET-101", collect_phone_files(tree))
    assert got["cfg000b828c8f97.xml line 1"] == FAIL and got["phone cfg.xml"] == FAIL
    assert "cfg.xml line 1" not in got  # cfg.xml sets no P34


def test_a_line_password_set_in_two_places_is_shared(tmp_path, run):
    """Two phones' lines with one (strong) password: shared, FAIL. Two phones loading the same common file's
    line password: one place, one password, not shared."""
    gs = "<gs_provision><config><P47>pbx</P47><P35>{user}</P35><P34>" + STRONG + "</P34></config></gs_provision>"
    common = f"#!version:1.0.0.1\naccount.1.password = {STRONG}x\naccount.1.sip_server.1.address = pbx\n"
    write_tree(tmp_path, {"cfg000b82aa0001.xml": gs.format(user="201"), "cfg000b82aa0002.xml": gs.format(user="202"),
                          "y000000000066.cfg": common,
                          "805ec0aa0003.cfg": "#!version:1.0.0.1\naccount.1.user_name = 203\n",
                          "805ec0aa0004.cfg": "#!version:1.0.0.1\naccount.1.user_name = 204\n"})
    facts = collect_phone_files(tmp_path)
    got = run("AUTH-SECRET-101", facts)
    assert got["cfg000b82aa0001.xml line 1"] == FAIL and got["cfg000b82aa0002.xml line 1"] == FAIL
    assert got["805ec0aa0003.cfg line 1"] == PASS and got["805ec0aa0004.cfg line 1"] == PASS
    shared = {a.name: a.secrets["sip_password"].shared_group for a in facts.of_kind("phone.account")}
    assert shared["cfg000b82aa0001.xml line 1"] == shared["cfg000b82aa0002.xml line 1"] is not None
    assert STRONG not in repr(facts)
