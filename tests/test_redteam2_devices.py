"""Red team, round 2: desk-phone provisioning files, MDM policies, switch running-configs and packet
captures written to mislead the reader. Each case failed before its fix: a value of the wrong type
read as a PASS, a secret in a provisioning URL's path or fragment shown as evidence, a namespaced
Cisco profile read as empty, a short switch config that cost minutes."""
from __future__ import annotations

import json
import plistlib
import subprocess
import sys
import time
from pathlib import Path

import pytest

from voxaudit.collectors.offline import collect_mdm_policies, collect_phone_files
from voxaudit.facts.switches import MAX_EXPANDED_TOTAL, build_switch_facts
from voxaudit.model import Status

CANARY = "CANARY-7f3a9c"


def _problems(facts) -> list:
    return [p for cf in facts.configs.values() for p in cf.problems]


# -- MDM: a boolean written as a string ---------------------------------------------------------

def _profile(payloads: list[dict]) -> bytes:
    return plistlib.dumps({"PayloadType": "Configuration", "PayloadIdentifier": "x", "PayloadUUID": "u",
                           "PayloadVersion": 1, "PayloadContent": payloads})


def test_a_passcode_switch_written_as_a_string_is_no_passcode_required(tmp_path, run):
    """``<string>false</string>`` where iOS takes ``<false/>``: Python's truth of "false" is True, so
    forcePIN read as "passcode required" and DEV-LOCK-101 said PASS."""
    (tmp_path / "p.mobileconfig").write_bytes(_profile([
        {"PayloadType": "com.apple.mobiledevice.passwordpolicy", "forcePIN": "false", "minLength": 8,
         "maxInactivity": 2}]))
    (tmp_path / "i.json").write_text(json.dumps({
        "@odata.type": "#microsoft.graph.iosGeneralDeviceConfiguration", "passcodeRequired": "false",
        "passcodeMinimumLength": 8, "passcodeMinutesOfInactivityBeforeLock": 2}))
    facts = collect_mdm_policies(tmp_path)
    assert Status.PASS not in run("DEV-LOCK-101", facts).values()
    gaps = [p for p in _problems(facts) if not p.fatal]
    assert {p.file for p in gaps} == {"p.mobileconfig", "i.json"}
    assert all("required" in p.message and "false" not in p.message for p in gaps)


def test_intune_android_password_not_required_is_not_read_as_required(tmp_path, run):
    """An Intune Android export says ``passwordRequired: false``: its passwordRequiredType alone made it
    "required"."""
    (tmp_path / "a.json").write_text(json.dumps({
        "@odata.type": "#microsoft.graph.androidGeneralDeviceConfiguration", "passwordRequired": False,
        "passwordRequiredType": "numeric", "passwordMinimumLength": 8}))
    assert set(run("DEV-LOCK-101", collect_mdm_policies(tmp_path)).values()) == {Status.FAIL}


def test_an_unknown_android_password_quality_is_a_gap_not_a_lock(tmp_path, run):
    (tmp_path / "a.json").write_text(json.dumps({"passwordPolicies": [
        {"passwordQuality": "WHATEVER_I_LIKE", "passwordMinimumLength": 8}], "maximumTimeToLock": "60000"}))
    facts = collect_mdm_policies(tmp_path)
    assert Status.PASS not in run("DEV-LOCK-101", facts).values()
    assert any("required" in p.message for p in _problems(facts))


def test_an_infinite_number_in_a_json_policy_is_a_gap(tmp_path):
    """``1e400`` decodes to infinity without passing through parse_constant."""
    (tmp_path / "i.json").write_text('{"@odata.type": "#microsoft.graph.iosGeneralDeviceConfiguration", '
                                     '"passcodeRequired": true, "passcodeMinutesOfInactivityBeforeLock": 1e400}')
    assert any("not finite" in p.message for p in _problems(collect_mdm_policies(tmp_path)))


# -- Desk phones ---------------------------------------------------------------------------------

URLS = {
    "path-token.cfg": f"https://prov.example.com/provisioning/{CANARY}/",
    "fragment.cfg": f"https://prov.example.com/cfg#access_token={CANARY}",
    "aes-key.cfg": f"https://prov.example.com/?aes_key={CANARY}",
    "session.cfg": f"https://prov.example.com/cfg;jsessionid={CANARY}",
    "user-only.cfg": f"ftp://{CANARY}@prov.example.com/",
    "encoded-colon.cfg": f"https://u%3A{CANARY}@prov.example.com/",
}


def test_a_provisioning_url_shows_scheme_and_host_only(tmp_path):
    """Secrets in a provisioning URL's path, fragment, ``;`` parameters or bare userinfo reached every
    report as DEV-PRV-101's evidence."""
    for name, url in URLS.items():
        (tmp_path / name).write_text(f"#!version:1.0.0.1\nstatic.auto_provision.server.url = {url}\n")
    (tmp_path / "c.xml").write_text(f"<flat-profile><Profile_Rule>[--key {CANARY} https://p/x</Profile_Rule>"
                                    "</flat-profile>")
    out = tmp_path.parent / "out"
    proc = subprocess.run([str(Path(sys.executable).parent / "voxaudit"), "scan", "--config-dir", str(tmp_path),
                           "--platform", "phone", "-o", str(out), "-f", "all"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert CANARY not in proc.stdout + proc.stderr
    for path in out.iterdir():
        assert CANARY not in path.read_text(errors="replace"), path.name
    doc = json.loads((out / "scan.json").read_text())
    shown = {o["name"]: o["settings"]["provisioning_url"][0]["value"] for o in doc["targets"][0]["facts"]["objects"]
             if o["kind"] == "phone.device" and "provisioning_url" in o["settings"]}
    assert shown["path-token.cfg"] == "https://prov.example.com/..."
    assert shown["user-only.cfg"] == "ftp://<redacted>@prov.example.com"
    assert shown["c.xml"] == "unknown://p/..."  # an unclosed [options] block: no scheme it names


@pytest.mark.parametrize("name", ["fragment.cfg", "aes-key.cfg", "session.cfg", "encoded-colon.cfg"])
def test_a_secret_in_the_url_fails_the_credentials_control(tmp_path, run, name):
    (tmp_path / name).write_text(f"#!version:1.0.0.1\nstatic.auto_provision.server.url = {URLS[name]}\n")
    assert set(run("DEV-PRV-102", collect_phone_files(tmp_path)).values()) == {Status.FAIL}


def test_a_namespaced_cisco_profile_is_read(tmp_path, run):
    """Cisco SPA profiles often carry ``xmlns="http://www.sipura.net/xsd/..."``: every tag read as
    ``{ns}Admin_Passwd``, so a provisioned admin password was "not provisioned" and lines were lost."""
    (tmp_path / "spa.xml").write_text(
        '<flat-profile xmlns="http://www.sipura.net/xsd/SPA50x-30x-SIP">'
        '<Admin_Passwd>Zq8!vN3@pL6#tR1$</Admin_Passwd><Line_Enable_1_ ua="na">Yes</Line_Enable_1_>'
        '<SIP_Transport_1_>TLS</SIP_Transport_1_></flat-profile>')
    facts = collect_phone_files(tmp_path)
    assert set(run("AUTH-SECRET-101", facts).values()) == {Status.PASS}
    assert [o.name for o in facts.of_kind("phone.account")] == ["spa.xml line 1"]


def test_grandstream_alias_items_are_a_gap_not_factory_defaults(tmp_path):
    """``<config version="2">`` alias items were skipped silently: every setting "not provisioned"."""
    (tmp_path / "gs.xml").write_text(
        '<gs_provision version="1"><mac>000b82000001</mac><config version="2">\n'
        f'<item name="users.admin.password"><value>{CANARY}</value></item>\n</config></gs_provision>')
    facts = collect_phone_files(tmp_path)
    (gap,) = _problems(facts)
    assert not gap.fatal and gap.line == 2 and CANARY not in gap.message and "users" not in gap.message


def test_a_yealink_file_with_angle_brackets_is_still_yealink(tmp_path):
    (tmp_path / "y.cfg").write_text("#!version:1.0.0.1\nphone_setting.backgrounds = <device.jpg>\n"
                                    "static.security.user_password = admin:Zq8!vN3@pL6#tR1$\n")
    facts = collect_phone_files(tmp_path)
    assert not _problems(facts) and facts.of_kind("phone.device")


def test_a_capitalised_word_on_a_line_is_never_named(tmp_path):
    """A line without '=' names its first word only when it is shaped like a Yealink key (lower case);
    ``CANARY-7f3a9c.x y`` is a pasted secret as likely as a key."""
    (tmp_path / "y.cfg").write_text(f"#!version:1.0.0.1\n{CANARY}.x y\nfeatures.foo bar\n")
    messages = [p.message for p in _problems(collect_phone_files(tmp_path))]
    assert messages == ["not a key = value line", "not a key = value line (key features.foo)"]


# -- Switches --------------------------------------------------------------------------------------

def test_repeated_vlan_ranges_are_refused_in_linear_time(tmp_path):
    """``vlan 1-4094`` repeated: 12 bytes a line, 4,094 objects touched each (20,000 lines took 16 s, an
    AOS-S file of 1.6 MB over 2 minutes). Past MAX_EXPANDED_TOTAL list items the file is refused."""
    (tmp_path / "ios.cfg").write_text("hostname x\n" + "vlan 1-4094\n" * 20000 + "end\n")
    (tmp_path / "aos.cfg").write_text(
        "; J9019A Configuration Editor; Created on release #Q.11.17\nhostname \"x\"\n" + "".join(
            f"vlan {i % 4000 + 1}\n   untagged 1-1000,A1-A1000,B1-B1000,C1-C1000\n   exit\n" for i in range(20000)))
    start = time.perf_counter()
    facts = build_switch_facts(tmp_path)
    assert time.perf_counter() - start < 10
    for name in ("ios.cfg", "aos.cfg"):
        fatal = facts.configs[name].fatal_problem
        assert fatal is not None and str(MAX_EXPANDED_TOTAL) in fatal.message
    assert not facts.objects


def test_a_real_sized_vlan_plan_is_read(tmp_path):
    (tmp_path / "ios.cfg").write_text("hostname x\nvlan 1-4094\nvlan 10\n name voice\nend\n")
    facts = build_switch_facts(tmp_path)
    assert facts.configs["ios.cfg"].fatal_problem is None and len(facts.of_kind("switch.vlan")) == 4094


# -- Packet captures ---------------------------------------------------------------------------------

def test_a_captured_provisioning_fetch_keeps_no_token(tmp_path):
    """``GET /provisioning/<token>/x.cfg?auth=...`` in a capture reached reports whole; one capture could
    name 200,000 distinct paths (each a finding)."""
    pytest.importorskip("scapy")
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.packet import Raw
    from scapy.utils import wrpcap

    from voxaudit.collectors.packets import MAX_FETCH_PATHS, analyse
    from voxaudit.targets import PcapSource

    pkts = [IP(src="10.0.0.5", dst="10.0.0.1") / TCP(sport=40000 + i, dport=80) /
            Raw(f"GET /provisioning/{CANARY}/{i:012x}.cfg?auth={CANARY} HTTP/1.1\r\n\r\n".encode())
            for i in range(MAX_FETCH_PATHS + 5)]
    pkts.append(IP(src="10.0.0.5", dst="10.0.0.1") / UDP(sport=40000, dport=69) /
                Raw(b"\x00\x01" + f"http://u:{CANARY}@h/a.cfg".encode() + b"\x00octet\x00"))
    wrpcap(str(tmp_path / "c.pcap"), pkts)
    facts = analyse(PcapSource(file=str(tmp_path / "c.pcap")))
    paths = [f.path for f in facts.provisioning]
    assert CANARY not in json.dumps(paths) and "/provisioning/.../000000000000.cfg" in paths
    assert len(paths) == MAX_FETCH_PATHS + 2 and "(other paths)" in paths  # one "other" per protocol


def test_a_signed_profiles_signer_name_is_printable(tmp_path):
    """The signer is a certificate's subject, chosen by whoever made the certificate: a terminal escape
    or a page of text in its CN reached every report."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs7
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "\x1b]8;;http://e/\x1b\\MDM\x1b[2J" + "x" * 40),
                      *[x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "y" * 60) for _ in range(5)]])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    raw = _profile([{"PayloadType": "com.apple.mobiledevice.passwordpolicy", "forcePIN": True}])
    (tmp_path / "s.mobileconfig").write_bytes(pkcs7.PKCS7SignatureBuilder().set_data(raw).add_signer(
        cert, key, hashes.SHA256()).sign(serialization.Encoding.DER, []))
    (profile,) = collect_mdm_policies(tmp_path).of_kind("mdm.profile")
    signer = profile.get("signer")
    assert signer and "\x1b" not in signer and len(signer) <= 203 and signer.isprintable()


def _pcap(path: Path, linktype: int, packets: list[bytes]) -> Path:
    import struct

    body = b"".join(struct.pack("<IIII", 0, 0, len(p), len(p)) + p for p in packets)
    path.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype) + body)
    return path


@pytest.mark.parametrize("linktype, packets", [(1, []), (999, [b"\x45" * 40] * 3)])
def test_a_capture_showing_nothing_is_an_error_not_all_not_applicable(tmp_path, linktype, packets):
    """An empty capture, or one of a link type scapy cannot decode, made every control NOT_APPLICABLE."""
    pytest.importorskip("scapy")
    from voxaudit.collectors.offline import CollectionError
    from voxaudit.collectors.packets import analyse
    from voxaudit.targets import PcapSource

    path = _pcap(tmp_path / "c.pcap", linktype, packets)
    with pytest.raises(CollectionError) as err:
        analyse(PcapSource(file=str(path)))
    assert err.value.kind == "parse" and "nothing could be judged" in str(err.value)


@pytest.mark.parametrize("brk", ["\x0c", "\x0b", "\r", "\u2028", "\x85"])
def test_a_setting_hidden_behind_a_line_breaking_character_is_a_gap(tmp_path, run, brk):
    """The phone splits its file at newlines only; str.splitlines also at form feed, CR, U+2028...: the
    hidden ``transport_type = 2`` overrode the UDP one and ENC-SIG-101 said PASS (TLS)."""
    (tmp_path / "y.cfg").write_text(f"#!version:1.0.0.1\naccount.1.enable = 1\n"
                                    f"account.1.sip_server.1.transport_type = 0{brk}"
                                    "account.1.sip_server.1.transport_type = 2\n", encoding="utf-8")
    facts = collect_phone_files(tmp_path)
    assert Status.PASS not in run("ENC-SIG-101", facts).values()
    assert [(p.line, p.fatal) for p in _problems(facts)] == [(3, False)]


_IOS_PAGED = ("version 15.2\nhostname sw1\ninterface GigabitEthernet1/0/1\n switchport mode access\n"
              " --More-- " + "\x08" * 10 + " " * 10 + "\x08" * 10 + "snmp-server community public RW\n"
              "line vty 0 4\n transport input ssh\nend\n")


def test_a_line_behind_the_ios_pager_is_read_as_the_switch_prints_it(tmp_path, run):
    """A terminal capture made with paging on: the community line sat behind " --More-- " and its erase
    sequence, read as a child of the interface above it, so ACC-SNMP-102 said "no active community"."""
    (tmp_path / "sw1.cfg").write_text(_IOS_PAGED)
    facts = build_switch_facts(tmp_path)
    assert facts.configs["sw1.cfg"].fatal_problem is None
    assert [o.get("access") for o in facts.of_kind("switch.snmp")] == ["rw"]


@pytest.mark.parametrize("garble", [
    "-- MORE --, next page: Space, next line: Enter, quit: Control-C\n",  # AOS-S's pager: not removed
    "\x1b]0;title\x07\n",                                                 # an escape that is no CSI
    "snmp\x08\x08\x08\x08server community x RO\n",                         # backspaces left behind
])
def test_other_terminal_garbage_is_refused_not_read_around(tmp_path, garble):
    (tmp_path / "sw.cfg").write_text("version 15.2\nhostname sw\n" + garble + "end\n")
    fatal = build_switch_facts(tmp_path).configs["sw.cfg"].fatal_problem
    assert fatal is not None and "terminal" in fatal.message and fatal.line == 3


def test_ansi_colours_and_a_trailing_prompt_are_not_configuration(tmp_path, run):
    """``show running-config`` saved from a terminal: colour codes around words, and the next prompt after
    ``end`` (which made the whole file "truncated")."""
    (tmp_path / "sw.cfg").write_text("sw1#show running-config\nBuilding configuration...\n\nversion 15.2\n"
                                     "hostname sw1\n\x1b[1;32msnmp-server community public RO\x1b[0m\n"
                                     "line vty 0 4\n transport input ssh\nend\n\nsw1#\n")
    facts = build_switch_facts(tmp_path)
    assert facts.configs["sw.cfg"].fatal_problem is None
    assert [o.get("access") for o in facts.of_kind("switch.snmp")] == ["ro"]


@pytest.mark.parametrize("policy, setting", [
    ({"@odata.type": "#microsoft.graph.iosGeneralDeviceConfiguration", "passcodeRequired": True,
      "passcodeMinimumLength": 8.9, "passcodeMinutesOfInactivityBeforeLock": 2}, "min_length"),
    ({"@odata.type": "#microsoft.graph.iosGeneralDeviceConfiguration", "passcodeRequired": True,
      "passcodeMinimumLength": 8, "passcodeMinutesOfInactivityBeforeLock": 0.5}, "max_inactivity_minutes"),
    ({"@odata.type": "#microsoft.graph.iosGeneralDeviceConfiguration", "passcodeRequired": True,
      "passcodeMinimumLength": 8, "passcodeMinutesOfInactivityBeforeLock": -3}, "max_inactivity_minutes"),
    ({"passwordPolicies": [{"passwordQuality": "NUMERIC", "passwordMinimumLength": 8}],
      "maximumTimeToLock": "-60000"}, "max_inactivity_minutes"),
    ({"passwordPolicies": [{"passwordQuality": "NUMERIC", "passwordMinimumLength": 8}],
      "maximumTimeToLock": "1e5"}, "max_inactivity_minutes"),
])
def test_a_count_no_device_takes_is_a_gap_not_a_pass(tmp_path, run, policy, setting):
    """Lengths and lock times are integers on iOS, Intune and Android: 8.9 characters and half a minute
    read as numbers and PASSed; -3 minutes and "1e5" milliseconds silently read as "unset"."""
    (tmp_path / "p.json").write_text(json.dumps(policy))
    facts = collect_mdm_policies(tmp_path)
    check = "DEV-LOCK-101" if setting == "min_length" else "DEV-LOCK-102"
    assert Status.PASS not in run(check, facts).values()
    assert any(setting in p.message and not p.fatal for p in _problems(facts))


@pytest.mark.parametrize("name, text", [
    ("y.cfg", "#!version:1.0.0.1\naccount.1.enable = 1\naccount.1.sip_server.1.address = pbx.example\n"
              "account.1.sip_server.1.transport_type = 2\naccount.1.sip_server.2.address = backup.example\n"),
    ("p.xml", '<polycomConfig reg.1.address="201" reg.1.server.1.address="pbx.example" reg.1.server.1.transport="TLS"'
              ' reg.1.server.2.address="backup.example" reg.1.server.2.transport="UDPOnly"/>'),
])
def test_a_failover_server_in_clear_makes_the_line_plaintext(tmp_path, run, name, text):
    """Only server 1's transport was read: a second (failover) server over UDP sends the same
    registration and calls in clear when the first is down, and ENC-SIG-101 said PASS (TLS)."""
    (tmp_path / name).write_text(text)
    assert set(run("ENC-SIG-101", collect_phone_files(tmp_path)).values()) == {Status.FAIL}


def test_a_yealink_key_set_with_and_without_static_to_different_values_is_a_gap(tmp_path):
    """The later of ``static.auto_provision.server.url`` and ``auto_provision.server.url`` silently won;
    which one a phone applies depends on its firmware."""
    (tmp_path / "y.cfg").write_text("#!version:1.0.0.1\nstatic.auto_provision.server.url = http://p.example/\n"
                                    "auto_provision.server.url = https://p.example/\n"
                                    "static.security.user_password = admin:Zq8!vN3@pL6#tR1$\n"
                                    "security.user_password = admin:Zq8!vN3@pL6#tR1$\n")
    (gap,) = _problems(collect_phone_files(tmp_path))
    assert (gap.line, gap.fatal) == (3, False) and "auto_provision.server.url" in gap.message


@pytest.mark.parametrize("collect, names", [
    (collect_phone_files, ["y000000000044.rom", "fw.rom"]),  # a .boot file is read now (test_phone_boot_files)
    (build_switch_facts, ["README.md", "sw1.startup"]),
    (collect_mdm_policies, ["profile.mobileconfig.bak"]),
])
def test_a_folder_of_files_none_of_them_read_is_a_gap_not_not_applicable(tmp_path, collect, names):
    """Phones and switches said "no provisioning files" (every control NOT_APPLICABLE) for a folder of
    firmware or oddly named exports; MDM already said it could not audit them."""
    for name in names:
        (tmp_path / name).write_text("x\n")
    (gap,) = _problems(collect(tmp_path))
    assert not gap.fatal and f"{len(names)} file(s) here" in gap.message


@pytest.mark.parametrize("collect", [collect_phone_files, build_switch_facts, collect_mdm_policies])
def test_an_empty_folder_is_nothing_to_audit_not_not_applicable(tmp_path, collect):
    """An empty backup folder (a job that wrote nothing, a wrong mount) made every control NOT_APPLICABLE and
    exit 0, where an empty PBX folder exits 3: it is fatal now, so its checks are ERROR."""
    (problem,) = _problems(collect(tmp_path))
    assert problem.fatal and "holds no file at all" in problem.message


@pytest.mark.parametrize("preview", [True, "2", 7])
def test_a_preview_type_no_device_takes_is_a_gap_not_hidden(tmp_path, run, preview):
    """``<true/>`` where Apple takes an integer: Python's True is 1, read as "when unlocked" (PASS)."""
    (tmp_path / "n.mobileconfig").write_bytes(_profile([{
        "PayloadType": "com.apple.notificationsettings", "NotificationSettings": [
            {"BundleIdentifier": "com.apple.MobileSMS", "PreviewType": preview}]}]))
    facts = collect_mdm_policies(tmp_path)
    assert Status.PASS not in run("NTF-PHI-106", facts).values()
    assert any("preview_type" in p.message for p in _problems(facts))


def test_a_voice_vlan_no_switch_prints_is_a_gap(tmp_path):
    (tmp_path / "sw.cfg").write_text(f"version 15.2\nhostname sw\ninterface Gi1/0/1\n switchport voice vlan {CANARY}\n"
                                     "end\n")
    (gap,) = _problems(build_switch_facts(tmp_path))
    assert (gap.line, gap.fatal) == (4, False) and CANARY not in gap.message


def test_switch_views_are_linear_in_ports(tmp_path, registry):
    """Every port asked for its switch's voice VLANs, which walked every port and VLAN again: a 1 KB AOS-S config
    naming 4,000 ports took ~5 s in the controls (quadratic). The voice VLANs are now worked out once per target."""
    from tests.test_reader_fuzz import assert_linear
    from voxaudit.check import CheckContext
    from voxaudit.collectors.offline import collect_switch_configs

    controls = [c for c in registry.all() if "switch" in c.meta.platforms]

    def make(n: int):
        root = tmp_path / f"sw{n}"
        root.mkdir()
        total = 400 * n
        stanzas = "".join(f'vlan {10 + i}\n   name "{"voice" if i == 0 else f"data{i}"}"\n'
                          f"   untagged {1000 * i + 1}-{min(1000 * (i + 1), total)}\n   exit\n"
                          for i in range((total + 999) // 1000))
        (root / "sw1.cfg").write_text('; J9729A Configuration Editor; Created on release #WB.16.10\nhostname "sw1"\n'
                                      + stanzas)
        assert len(collect_switch_configs(root).of_kind("switch.port")) == total

        def run() -> None:
            facts = collect_switch_configs(root)
            for chk in controls:
                chk(facts, CheckContext(chk.defaults()))
        return run
    assert_linear(make, 1, "switch controls over 400 -> 4,000 ports")
