"""A value read from a configuration never appears in an error, a warning or the facts.

Each reader (desk phones of every vendor, switch running-configs, MDM policies, Kamailio and
OpenSIPS, logrotate) is fed hostile files that carry one canary secret in every position a value
can sit: as a key's value, on a line the reader cannot parse (``account.1.password X`` without
``=``), alone on a line, inside a URL, as an XML tag or attribute the XML parser chokes on, in
an unterminated string, in a value the reader must refuse. The canary must appear in no
Problem message, in no fact (its JSON), in no rendered warning and in no result's
evidence. File names and keys may be shown; values never (rule 3 of the project).
"""
from __future__ import annotations

import json
import plistlib
from pathlib import Path

import msgspec
import pytest

from voxaudit.engine.collect import TargetSpec, collect
from voxaudit.engine.evaluate import evaluate_target, parse_warnings
from voxaudit.parsers.logrotate import LogrotateError, parse_logrotate

CANARY = "Canary-S3cr3t-9f2"
C = CANARY

PHONES = {
    "yealink-bad-lines.cfg": f"""#!version:1.0.0.1
account.1.enable = 1
account.1.password {C}
account.1.password = {C}
{C}
{C} trailing words
static.security.user_password = admin:{C}
static.auto_provision.server.url = https://prov:{C}@prov.example/y/
account.1.sip_server.1.transport_type = {C}
account.1.srtp_encryption = {C}
 = {C}
account.1.auth_name={C}=x
""",
    "yealink-query-token.cfg": f"#!version:1.0.0.1\nstatic.auto_provision.server.url = https://prov.example/y/?token={C}&x=1\n",
    "yealink-slash-password.cfg": f"#!version:1.0.0.1\nstatic.auto_provision.server.url = http://u:pa/{C}@h/\n",
    "yealink-at-password.cfg": f"#!version:1.0.0.1\nstatic.auto_provision.server.url = http://u:p@{C}@h/\n",
    "grandstream.txt": f"# GXP\nP2 {C}\nP2 = {C}\nP34 = {C}\n{C}\nP47 = pbx.example\nP130 = {C}\nP237 = u:{C}@prov.example/gs\n",
    "poly-good.cfg": f"""<polycomConfig>
  <reg reg.1.address="201" reg.1.auth.password="{C}" reg.1.server.1.transport="{C}"/>
  <device device.auth.localAdminPassword="{C}" device.prov.serverName="https://u:{C}@prov.example/"/>
</polycomConfig>
""",
    "poly-unquoted.cfg": f'<polycomConfig>\n  <reg reg.1.address="201" reg.1.auth.password={C}/>\n</polycomConfig>\n',
    "poly-bare-attribute.cfg": f'<polycomConfig>\n  <device {C} x="1"/>\n</polycomConfig>\n',
    "poly-tag.cfg": f"<polycomConfig>\n  <{C}>\n</polycomConfig>\n",
    "spa-mismatch.xml": f"<flat-profile>\n  <Password_1_>{C}</Password_2_>\n</flat-profile>\n",
    "spa-good.xml": f"""<flat-profile>
  <Admin_Passwd>{C}</Admin_Passwd>
  <Profile_Rule>[--key {C}] https://u:{C}@prov.example/spa.xml</Profile_Rule>
  <Line_Enable_1_>Yes</Line_Enable_1_>
  <Password_1_>{C}</Password_1_>
  <SIP_Transport_1_>{C}</SIP_Transport_1_>
</flat-profile>
""",
    "spa-entity.xml": f'<!DOCTYPE x [<!ENTITY e "{C}">]>\n<flat-profile><Admin_Passwd>&e;</Admin_Passwd></flat-profile>\n',
    "unknown-vendor.cfg": f"password {C}\nsecret: {C}\n",
}

SWITCHES = {
    "ios.cfg": f"""hostname core
snmp-server community {C} RO
snmp-server community {C} RW 10
snmp-server host 10.0.0.9 version 2c {C}
snmp-server user mon grp v3 auth sha {C} priv aes 128 {C}
username admin privilege 15 password 0 {C}
username ops secret 0 {C}
enable secret 0 {C}
tacacs-server key {C}
banner motd ^C
{C}
snmp-server community {C} RW
^C
interface GigabitEthernet1/0/1
 switchport mode access
 switchport access vlan {C}
 switchport voice vlan {C}
line vty 0 4
 password {C}
 transport input {C}
end
""",
    "ios-truncated.cfg": f"hostname core\ninterface Gi1/0/1\n switchport mode access\nsnmp-server community {C} RO\n",
    "ios-banner-open.cfg": f"hostname core\nbanner motd ^C\n{C}\nsnmp-server community {C} RO\nend\n",
    "eos.cfg": f"! device: leaf (DCS-7050, EOS-4.28)\nhostname leaf\nusername admin secret 0 {C}\n"
               f"snmp-server community {C} ro\nbanner login\n{C}\nEOF\nend\n",
    "aos-s.cfg": f"""; J9728A Configuration Editor; Created on release #WC.16.10
hostname "edge"
snmp-server community "{C}" unrestricted
snmp-server community {C} manager
password manager user-name "admin" plaintext "{C}"
snmpv3 user "mon" auth sha "{C}" priv aes "{C}"
vlan 10
   untagged {C}
   tagged 1-{C}
   exit
""",
    "unknown.cfg": f"{C}\nsecret {C}\n",
    "not-utf8.cfg": f"hostname x\nsnmp-server community {C}\n".encode().decode() + "\udcff",
}

MDM = {
    "wifi.mobileconfig": plistlib.dumps({"PayloadType": "Configuration", "PayloadContent": [
        {"PayloadType": "com.apple.wifi.managed", "Password": C, "SSID_STR": "clinic"},
        {"PayloadType": "com.apple.mobiledevice.passwordpolicy", "minLength": C, "forcePIN": C},
        {"PayloadType": "com.apple.notificationsettings", "NotificationSettings": [
            {"BundleIdentifier": "com.x", "PreviewType": C}]}]}).decode(),
    "bad-integer.mobileconfig": f'<?xml version="1.0"?>\n<plist version="1.0"><dict><key>PayloadContent</key>'
                                f"<array/><key>x</key><integer>{C}</integer></dict></plist>\n",
    "unclosed.mobileconfig": f'<?xml version="1.0"?>\n<plist version="1.0"><dict><key>Password</key><string>{C}\n',
    "tag.mobileconfig": f'<?xml version="1.0"?>\n<plist version="1.0"><{C}/></plist>\n',
    "entity.mobileconfig": f'<?xml version="1.0"?>\n<!DOCTYPE p [<!ENTITY e "{C}">]>\n<plist><string>&e;</string></plist>\n',
    "android.json": json.dumps({"name": "enterprises/x/policies/p", "passwordRequirements": {
        "passwordQuality": C, "passwordMinimumLength": C}, "maximumTimeToLock": C,
        "openNetworkConfiguration": {"NetworkConfigurations": [{"WiFi": {"Passphrase": C}}]},
        "keyguardDisabledFeatures": [{"x": C}]}),
    "intune.json": json.dumps({"@odata.type": "#microsoft.graph.iosGeneralDeviceConfiguration",
                               "wiFiPreSharedKey": C, "passcodeRequired": True, "passcodeMinimumLength": C,
                               "iosNotificationSettings": [{"bundleID": "com.x", "showOnLockScreen": C}]}),
    "broken.json": f'{{"keyguardDisabledFeatures": [{C}]}}',
    "broken-string.json": f'{{"keyguardDisabledFeatures": ["{C}\n]}}',
    "bad-escape.json": f'{{"a": "\\q{C}"}}',
    "deep.json": "[" * 5000 + f'"{C}"' + "]" * 5000,
    "signed-garbage.mobileconfig": b"\x30\x82\x01\x00".decode("latin-1") + C,
}

KAMAILIO = f"""#!KAMAILIO
#!define DBURL "mysql://kamailio:{C}@localhost/kamailio"
#!define AUTHSECRET "{C}"
#!define DBPASS {C}
#!define WITH_X
#!substdef "!MYPW!{C}!g"
loadmodule "auth.so"
loadmodule "tls.so"
modparam("auth", "secret", AUTHSECRET)
modparam("auth", "secret", "{C}")
modparam("topoh", "mask_key", "{C}")
modparam("ndb_redis", "server", "name=srv;addr=127.0.0.1;pass={C};db=1")
modparam("http_client", "httpcon", "c=>http://u:{C}@h/")
modparam("usrloc", "db_url", DBURL)
modparam("x", "y", "MYPW")
{C}
{C} = 1
"{C}"
'{C}'
tls.password = "{C}"
request_route {{
    $var(pw) = "{C}";
    if (!pv_auth_check("$fd", "{C}", "1", "1")) {{ exit; }}
}}
"""
KAMAILIO_FATAL = {
    "unterminated-string": f'debug=2\nmodparam("auth", "secret", "{C}\n',
    "unbalanced-paren": f'modparam("auth", "secret", "{C}"\n',
    "bad-define": f"#!define {C}-x 1\n",
    "self-define": f"#!define {C.replace('-', '_')} {C.replace('-', '_')}\ndebug={C.replace('-', '_')}\n",
    "binary": f"debug=2\n\x00{C}\n",
    "else-stray": f"#!else\n{C}\n",
}
OPENSIPS = f"""log_level=3
#!define X {C}
modparam("usrloc", "db_url", "mysql://opensips:{C}@localhost/opensips")
modparam("auth", "secret", "{C}")
{C}
route{{
    xlog("{C}");
}}
"""


def assert_no_canary(record, registry, what: str) -> None:
    """Neither the facts, nor a problem, nor a warning, nor any result evidence quotes the canary."""
    assert record.failure is None or CANARY not in record.failure.reason, what
    if record.facts is not None:
        assert CANARY not in msgspec.json.encode(record.facts).decode(), f"{what}: facts"
        for cf in record.facts.configs.values():
            for p in cf.problems:
                assert CANARY not in p.message, f"{what}: {p.file}:{p.line}: {p.message}"
    for w in parse_warnings([record]):
        assert CANARY not in w, f"{what}: warning {w}"
    checks = [c for c in registry.all() if record.platform in c.meta.platforms]
    params = {k: v for c in checks for k, v in c.defaults().items()}
    for r in evaluate_target(record, checks, params):
        assert CANARY not in (r.evidence or ""), f"{what}: {(r.alias or r.check_id)} {r.evidence}"
        assert CANARY not in r.resource, f"{what}: {(r.alias or r.check_id)} resource {r.resource}"


def write_raw(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_bytes(text.encode("utf-8", "surrogateescape"))
    return root


def test_canary_feeds_every_position():
    """The fixtures above really carry the canary where the readers look (the test can fail)."""
    for files in (PHONES, SWITCHES, MDM):
        assert all(CANARY in text for text in files.values())
    assert KAMAILIO.count(CANARY) >= 15


@pytest.mark.parametrize("platform,files", [("phone", PHONES), ("switch", SWITCHES), ("mdm", MDM)],
                         ids=["phones", "switches", "mdm"])
def test_per_file_readers_never_quote_a_value(tmp_path, registry, platform, files):
    root = write_raw(tmp_path / platform, files)
    record = collect(TargetSpec(name="t", platform=platform, config_dir=root))
    assert record.failure is None, record.failure
    assert set(record.facts.configs) == set(files)  # every file accounted for, none lost
    problems = [p for cf in record.facts.configs.values() for p in cf.problems]
    assert problems, "hostile files must give problems"
    assert_no_canary(record, registry, platform)


def test_phone_problems_name_file_line_and_key(tmp_path):
    root = write_raw(tmp_path / "p", {"y.cfg": PHONES["yealink-bad-lines.cfg"]})
    facts = collect(TargetSpec(name="t", platform="phone", config_dir=root)).facts
    gaps = {(p.line, p.message) for p in facts.configs["y.cfg"].problems}
    assert (3, "not a key = value line (key account.1.password)") in gaps  # the key, not the value
    assert (5, "not a key = value line") in gaps  # a lone word may be a value: not named
    device = facts.of_kind("phone.device")[0]
    assert device.secrets["admin_password"].length == len(CANARY)  # the shape is still judged
    assert "<redacted>" in device.get("provisioning_url")


@pytest.mark.parametrize("variant", ["main", *KAMAILIO_FATAL])
def test_kamailio_never_quotes_a_value(tmp_path, registry, variant):
    text = KAMAILIO if variant == "main" else KAMAILIO_FATAL[variant]
    root = write_raw(tmp_path / variant, {"kamailio.cfg": text, "tls.cfg": f"[server:default]\nmethod = {C}\n"
                                                                            f"private_key_password = {C}\n{C}\n"})
    record = collect(TargetSpec(name="k", platform="kamailio", config_dir=root))
    assert record.failure is None and record.facts is not None
    problems = record.facts.configs["kamailio.cfg"].problems
    assert problems, variant
    if variant != "main":
        assert record.facts.configs["kamailio.cfg"].fatal_problem is not None, (variant, problems)
    assert_no_canary(record, registry, variant)


def test_kamailio_secrets_keep_their_shape(tmp_path):
    root = write_raw(tmp_path / "k", {"kamailio.cfg": KAMAILIO})
    facts = collect(TargetSpec(name="k", platform="kamailio", config_dir=root)).facts
    secret = facts.named("kamailio.modparam", "auth.secret")
    assert secret.get("value") == "<redacted>" and secret.secrets["value.secret"].length == len(CANARY)
    assert facts.named("kamailio.modparam", "ndb_redis.server").get("value") == \
        "name=srv;addr=127.0.0.1;pass=<redacted>;db=1"
    assert facts.named("kamailio.define", "AUTHSECRET").get("value") == "<redacted>"  # used as a secret
    # the statements not understood are gaps naming only file and line
    gaps = [p for p in facts.configs["kamailio.cfg"].problems if p.is_gap]
    assert {p.line for p in gaps} >= {16, 17, 18, 19}
    assert all(p.message == "top-level statement not understood" for p in gaps if p.line in {16, 17, 18, 19})


def test_opensips_never_quotes_a_value(tmp_path, registry):
    root = write_raw(tmp_path / "o", {"opensips.cfg": OPENSIPS})
    record = collect(TargetSpec(name="o", platform="opensips", config_dir=root))
    assert record.facts.configs["opensips.cfg"].problems  # the stray line is a gap
    assert_no_canary(record, registry, "opensips")


@pytest.mark.parametrize("text", [
    f"rotate {C}\n", f"maxage {C}\n", f'"/var/log/{C}\n{{\n}}\n', f"/var/log/x {{\n rotate {C}\n}}\n",
    f"/var/log/'{C} {{\n}}\n", f"/var/log/x {{\n rotate 4\n {C}\n", "rotate " + "9" * 5000 + "\n", "rotate ²\n",
])
def test_logrotate_errors_name_the_directive_not_the_value(text):
    with pytest.raises(LogrotateError) as err:
        parse_logrotate(text, "etc/logrotate.d/asterisk")
    assert CANARY not in str(err.value) and "9999" not in str(err.value)
    assert str(err.value).startswith("etc/logrotate.d/asterisk:")
