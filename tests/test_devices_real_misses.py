"""Desk-phone misses found on real provisioning trees (tests/real_trees/fusionpbx-*): each test failed
before its fix.

* An unrendered provisioning template (FusionPBX/FreePBX Smarty ``{$var}``, ``{if}``; Jinja
  ``{{ var }}``; res_phoneprov ``${VAR}``) was judged on its placeholders: the literal
  ``{$admin_name}:{$admin_password}`` passed as a strong admin password, ``{$yealink_provision_url}``
  failed as TFTP, and every template line was a separate "not a key = value line".
* Grandstream's named-item XML (``<config version="2"><item name="users.admin.password">``) was read as
  nothing: every item a gap, the phone never assessed.
"""
from __future__ import annotations

import time

from voxaudit.collectors.offline import collect_phone_files
from voxaudit.model import Status

CANARY = "CANARY-5e1d0b"


def _problems(facts) -> list:
    return [p for cf in facts.configs.values() for p in cf.problems]


YEALINK_TEMPLATE = (
    "#!version:1.0.0.1\n"
    "static.security.user_password = {$admin_name}:{$admin_password}\n"
    "static.auto_provision.server.url = {$yealink_provision_url}\n"
    "features.voice_mail_popup.enable = {$yealink_voice_mail_popup_enable}\n"
    "features.missed_call_popup.enable = 0\n"
    "{if isset($row.password) }\n"
    "account.1.enable = 1\n"
    "{/if}\n"
    "account.1.sip_server.1.transport_type = {$account_transport}\n"
    "account.1.srtp_encryption = {{ srtp_mode }}\n"
    "account.{$row.line_number}.label = {$row.label}\n"
)


def test_yealink_template_placeholders_are_never_judged(tmp_path, run):
    (tmp_path / "y000000000066.cfg").write_text(YEALINK_TEMPLATE)
    facts = collect_phone_files(tmp_path)
    for check in ("AUTH-SECRET-101", "DEV-PRV-101", "ENC-SIG-101", "ENC-MEDIA-101"):
        assert set(run(check, facts).values()) == {Status.ERROR}, check
    (popups,) = registry_outcomes(facts, "NTF-PHI-104")
    assert popups.status == Status.ERROR and "features.voice_mail_popup.enable" in popups.evidence
    assert "yealink_voice_mail_popup_enable" not in popups.evidence  # the option is named, never the value


def registry_outcomes(facts, check: str) -> list:
    from voxaudit.check import CheckContext
    from voxaudit.registry import load_registry

    ctl = load_registry().get(check)
    return [o for o in ctl(facts, CheckContext(ctl.defaults()))]


def test_a_placeholder_web_timeout_is_undecidable_for_that_reason(tmp_path, run):
    from voxaudit.facts.phones import build_phone_facts
    from voxaudit.platforms.phones.logoff import web_sessions

    (tmp_path / "y.cfg").write_text("#!version:1.0.0.1\nfeatures.relog_offtime = {$yealink_relog_offtime}\n")
    (record,) = web_sessions(build_phone_facts(tmp_path))
    assert "placeholder" in record.undecidable
    assert set(run("ACC-LOGOFF-101", collect_phone_files(tmp_path)).values()) == {Status.ERROR}


def test_a_template_is_one_gap_naming_no_value(tmp_path):
    (tmp_path / "t.cfg").write_text(YEALINK_TEMPLATE.replace("{$admin_password}", CANARY + "{$x}"))
    problems = _problems(collect_phone_files(tmp_path))
    (gap,) = problems
    assert not gap.fatal and not gap.note and gap.line == 2
    assert "unrendered template" in gap.message and "8 line(s)" in gap.message and CANARY not in gap.message


def test_a_written_out_scheme_is_judged_around_the_placeholder(tmp_path, run):
    """``http://{$domain_name}/app/provision/``: whatever the server fills in, the phone fetches over HTTP."""
    (tmp_path / "y.cfg").write_text("#!version:1.0.0.1\nstatic.auto_provision.server.url = "
                                    "http://{$domain_name}{$project_path}/app/provision/\n")
    facts = collect_phone_files(tmp_path)
    assert set(run("DEV-PRV-101", facts).values()) == {Status.FAIL}
    (device,) = facts.of_kind("phone.device")
    assert device.get("provisioning_url") == "http://<template placeholder>"


def test_credentials_in_a_templated_url_are_found(tmp_path, run):
    """``https://{$user}:{$pass}@host/``: whatever the server fills in, the URL carries credentials."""
    (tmp_path / "a.cfg").write_text("#!version:1.0.0.1\nstatic.auto_provision.server.url = "
                                    "https://{$http_auth_username}:{$http_auth_password}@prov.example.org/\n")
    (tmp_path / "b.cfg").write_text("#!version:1.0.0.1\nstatic.auto_provision.server.url = "
                                    "https://prov.example.org/{$mac}.cfg\n")
    result = run("DEV-PRV-102", collect_phone_files(tmp_path))
    assert result == {"phone a.cfg": Status.FAIL, "phone b.cfg": Status.PASS}


def test_a_rendered_file_and_phone_macros_are_not_templates(tmp_path, run):
    """Cisco's own ``$MA`` macro and Yealink's ``%NULL%`` are read by the phone: no template gap."""
    (tmp_path / "spa.xml").write_text(
        "<flat-profile><Admin_Passwd>Zq8!vN3@pL6#tR1$</Admin_Passwd>"
        "<Profile_Rule>https://prov.example.org/spa$MA.xml</Profile_Rule>"
        "<Line_Enable_1_>Yes</Line_Enable_1_><SIP_Transport_1_>TLS</SIP_Transport_1_></flat-profile>")
    # another strong password than spa.xml's: the same one in both phones' files is one secret reused (a FAIL)
    (tmp_path / "y.cfg").write_text("#!version:1.0.0.1\naccount.1.label = %NULL%\n"
                                    "static.security.user_password = admin:Wk5#mR9$tB2@vX7!\n")
    facts = collect_phone_files(tmp_path)
    assert not _problems(facts)
    assert set(run("AUTH-SECRET-101", facts).values()) == {Status.PASS}
    assert set(run("DEV-PRV-101", facts).values()) == {Status.PASS}


def test_an_xml_template_that_is_not_xml_says_so(tmp_path):
    """FusionPBX's Poly template opens ``{foreach}`` inside a start tag: not XML until rendered."""
    (tmp_path / "p.cfg").write_text(
        '<?xml version="1.0"?>\n<PHONE>\n<DEVICE device.set="1"/>\n<REG\n {foreach $lines as $row}reg.{$row.n}.address="'
        f'{CANARY}"' + "{/foreach}\n/>\n</PHONE>\n")
    (problem,) = _problems(collect_phone_files(tmp_path))
    assert problem.fatal and "unrendered template" in problem.message and CANARY not in problem.message


def test_a_template_of_no_known_vendor_says_so(tmp_path):
    (tmp_path / "p.cfg").write_text(f'<PHONE>\n<REG\n {{foreach $lines as $row}}x="{CANARY}"{{/foreach}}\n/>\n</PHONE>\n')
    (problem,) = _problems(collect_phone_files(tmp_path))
    assert not problem.fatal and "unrendered template" in problem.message and CANARY not in problem.message


def test_poly_srtp_placeholders_are_undecidable(tmp_path, run):
    (tmp_path / "p.cfg").write_text(
        '<polycomConfig reg.1.address="1001@pbx" reg.1.server.1.transport="TLS" '
        'sec.srtp.enable="{$polycom_srtp_enable}" sec.srtp.require="{$polycom_srtp_require}"/>')
    facts = collect_phone_files(tmp_path)
    assert set(run("ENC-MEDIA-101", facts).values()) == {Status.ERROR}
    assert set(run("ENC-SIG-101", facts).values()) == {Status.PASS}
    assert any("unrendered template" in p.message for p in _problems(facts))


def test_grandstream_named_items_are_read(tmp_path, run):
    """Named items (firmware 1.0.11+): the admin password, account 1, its transport and SRTP mode, and
    the config server are the P-values the facts read (P2, P47, P130, P183, P212/P237)."""
    (tmp_path / "cfg000b82000001.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<gs_provision version="1"><config version="2">\n'
        '<item name="users.admin.password">Zq8!vN3@pL6#tR1$</item>\n'
        '<item name="account.1.enable">Yes</item>\n'
        '<item name="account.1.sip.server.1.address">pbx.example.org:5061</item>\n'
        '<item name="account.1.sip.transport">Tls Or Tcp</item>\n'
        '<item name="account.1.audio.srtpMode">EnabledAndForced</item>\n'
        '<item name="provisioning.config.protocol">HTTP</item>\n'
        '<item name="provisioning.config.serverPath">prov.example.org/gs</item>\n'
        '<item name="network.vlan.id">20</item>\n'
        '</config></gs_provision>\n')
    facts = collect_phone_files(tmp_path)
    assert not _problems(facts)
    assert set(run("AUTH-SECRET-101", facts).values()) == {Status.PASS}
    assert set(run("ENC-SIG-101", facts).values()) == {Status.PASS}
    assert set(run("ENC-MEDIA-102", facts).values()) == {Status.PASS}
    assert set(run("DEV-PRV-101", facts).values()) == {Status.FAIL}  # config upgrade via HTTP


def test_grandstream_named_items_fail_where_the_phone_is_weak(tmp_path, run):
    (tmp_path / "gs.xml").write_text(
        '<gs_provision version="1"><config version="2">\n'
        '<item name="users.admin.password">admin</item>\n'
        '<item name="account.1.sip.server.1.address">pbx.example.org</item>\n'
        '<item name="account.1.sip.transport">UDP</item>\n'
        '<item name="account.1.audio.srtpMode">Disabled</item>\n'
        '</config></gs_provision>\n')
    facts = collect_phone_files(tmp_path)
    for check in ("AUTH-SECRET-101", "ENC-SIG-101", "ENC-MEDIA-101"):
        assert set(run(check, facts).values()) == {Status.FAIL}, check


def test_template_detection_is_linear(tmp_path):
    (tmp_path / "y.cfg").write_text("#!version:1.0.0.1\n" + ("a.b = {" * 20000 + "\n") * 20
                                    + "{$" * 200000 + "\n")
    start = time.perf_counter()
    collect_phone_files(tmp_path)
    assert time.perf_counter() - start < 2.0


# -- Switches: running-config backups without a suffix ---------------------------------------------

IOS = ("!\nversion 15.2\nhostname {host}\n!\ninterface GigabitEthernet0/1\n switchport mode access\n"
       " switchport access vlan 10\n switchport voice vlan 20\n!\nsnmp-server community " + CANARY + " RO\n!\n"
       "line vty 0 4\n transport input ssh\n!\nend\n")


def test_a_tftp_backup_named_hostname_confg_is_read(tmp_path, run):
    """``copy running-config tftp:`` names the copy ``<hostname>-confg`` (RANCID and Oxidized: the host
    name alone). Beside a ``.cfg`` it was skipped without a word; alone, nothing was audited."""
    from voxaudit.facts.switches import build_switch_facts

    (tmp_path / "core.cfg").write_text(IOS.format(host="core"))
    (tmp_path / "access1-confg").write_text(IOS.format(host="access1"))
    (tmp_path / "access2").write_text(IOS.format(host="access2"))
    (tmp_path / "README").write_text("Backups of the clinic's switches, one file per switch.\n")
    (tmp_path / ".gitignore").write_text("*.swp\n")
    facts = build_switch_facts(tmp_path)
    assert sorted(facts.configs) == ["access1-confg", "access2", "core.cfg"]
    assert sorted(d.get("hostname") for d in facts.of_kind("switch.device")) == ["access1", "access2", "core"]
    assert set(run("ACC-SNMP-102", facts).values()) == {Status.FAIL}
    assert len(run("ACC-SNMP-102", facts)) == 3


def test_suffixless_files_that_are_no_running_config_stay_out(tmp_path):
    from voxaudit.facts.switches import build_switch_facts

    (tmp_path / "README").write_text("hostnames are in the inventory\n")
    (tmp_path / "blob").write_bytes(b"interface x\x00\x01")
    facts = build_switch_facts(tmp_path)
    (problem,) = [p for cf in facts.configs.values() for p in cf.problems]
    assert "none of them a running-config" in problem.message


# -- Poly SoundPoint IP (SIP 2.x/3.x) files ---------------------------------------------------------

def test_soundpoint_phone1_and_sip_files_are_poly(tmp_path, run):
    """``<phone1>`` (phone1.cfg, Asterisk res_phoneprov's polycom.xml) and ``<sip>`` (sip.cfg) were "not a
    recognised provisioning file": the phone's lines never assessed."""
    (tmp_path / "phone1.cfg").write_text(
        '<?xml version="1.0" standalone="yes"?>\n<phone1>\n <reg reg.1.address="1001" reg.1.server.1.address='
        '"pbx.example.org" reg.1.server.1.transport="UDPOnly"/>\n</phone1>\n')
    (tmp_path / "sip.cfg").write_text(
        '<?xml version="1.0" standalone="yes"?>\n<sip>\n <sec sec.srtp.enable="1" sec.srtp.require="1"/>\n'
        ' <device device.set="1" device.auth.localAdminPassword.set="1"'
        ' device.auth.localAdminPassword="Zq8!vN3@pL6#tR1$"/>\n</sip>\n')
    facts = collect_phone_files(tmp_path)
    assert not _problems(facts)
    assert run("ENC-SIG-101", facts) == {"phone1.cfg line 1": Status.FAIL}
    assert run("AUTH-SECRET-101", facts)["phone sip.cfg"] == Status.PASS


def test_the_poly_master_configuration_file_is_the_phone_its_listed_files_make(tmp_path, run):
    """000000000000.cfg lists the files a phone loads: read as a phone of its own it had a factory admin
    password, and each listed file judged alone had one too. The phone is the master file with its listed
    files' settings merged; the listed files are parts of it (a note), not phones."""
    (tmp_path / "000000000000.cfg").write_text(
        '<?xml version="1.0" standalone="yes"?>\n<APPLICATION APP_FILE_PATH="sip.ld" '
        'CONFIG_FILES="phone1.cfg, sip.cfg" MISC_FILES="" LOG_FILE_DIRECTORY=""/>\n')
    (tmp_path / "phone1.cfg").write_text('<phone1><reg reg.1.address=""/></phone1>\n')
    (tmp_path / "sip.cfg").write_text('<sip><device device.set="1" device.auth.localAdminPassword="Qz8-vL2m-Rt5w-Kp9x" '
                                      'device.auth.localAdminPassword.set="1"/></sip>\n')
    facts = collect_phone_files(tmp_path)
    assert [d.name for d in facts.of_kind("phone.device")] == ["000000000000.cfg"]
    (note,) = [p for p in _problems(facts) if p.file == "000000000000.cfg"]
    assert note.note and "master configuration file" in note.message
    for part in ("phone1.cfg", "sip.cfg"):
        (listed,) = [p for p in _problems(facts) if p.file == part]
        assert listed.note and "000000000000.cfg" in listed.message
    assert run("AUTH-SECRET-101", facts) == {"phone 000000000000.cfg": Status.PASS}
    (tmp_path / "phone1.cfg").unlink(missing_ok=True)
    (gap,) = [p for p in _problems(collect_phone_files(tmp_path)) if p.file == "000000000000.cfg"]
    assert not gap.note and "1 of the configuration files" in gap.message and "phone1.cfg" in gap.message


def test_broken_xml_that_is_no_template_is_still_refused(tmp_path):
    (tmp_path / "spa.xml").write_text(f"<flat-profile><Admin_Passwd>{CANARY}</Admin_Passwd>\n<Line_Enable_1_>\n")
    (problem,) = _problems(collect_phone_files(tmp_path))
    assert problem.fatal and problem.message.startswith("XML error") and CANARY not in problem.message
