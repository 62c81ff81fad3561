"""MBX-POL-101..105 (voicemail access policy) and DEV-LOCK-101/102, DEV-PRV-101/102 (staff devices):
the controls on hand-built records (every branch), and the same weakness judged alike on each
platform that binds a control (real configuration text through the collectors)."""
from __future__ import annotations

from tests.conftest import write_tree
from voxaudit.check import CheckContext
from voxaudit.checks import devices, voicemail
from voxaudit.collectors.offline import collect_asterisk_tree, collect_freeswitch_tree, collect_phone_files
from voxaudit.control import Control, Params
from voxaudit.facts.network import PacketFacts, ProvisioningFetch
from voxaudit.model import ErrorKind, Severity, Status
from voxaudit.records.devices import AutoLock, Passcode, Provisioning
from voxaudit.records.voicemail import BlankPinLogin, LoginLimit, MailboxOwner, PinPolicy, PinPrompt

FAIL, PASS, NA, ERROR = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE, Status.ERROR


def judge(ctl: Control, record, **params):
    return ctl.judge(record, Params({**ctl.defaults(), **params}))


# -- the controls on records -------------------------------------------------------------------

def test_pin_length_enforced():
    ctl = voicemail.pin_length_enforced
    weak = judge(ctl, PinPolicy(subject="s", min_length=4, setting="minpassword=4"))
    assert (weak.status, weak.evidence) == (FAIL, "minpassword=4, below 6")
    unset = judge(ctl, PinPolicy(subject="s", min_length=0, setting="minpassword unset (0)"))
    assert unset.status == FAIL and "unset" in unset.evidence
    assert judge(ctl, PinPolicy(subject="s", min_length=6, setting="minpassword=6")).status == PASS
    assert judge(ctl, PinPolicy(subject="s", min_length=6, setting="x"), min_pin_length=8).status == FAIL


def test_login_attempts_limited():
    ctl = voicemail.login_attempts_limited
    many = judge(ctl, LoginLimit(subject="s", attempts=10, setting="tries=10"))
    assert (many.status, many.evidence) == (FAIL, "tries=10 allows more than 3 guesses per call")
    default = judge(ctl, LoginLimit(subject="s", attempts=3, setting="tries=3", defaulted=True))
    assert (default.status, default.evidence) == (PASS, "tries=3 (default)")
    assert judge(ctl, LoginLimit(subject="s", attempts=10, setting="tries=10"), max_logins=10).status == PASS
    hidden = judge(ctl, LoginLimit(subject="s", attempts=0, setting="", undecidable="set at run time"))
    assert (hidden.status, hidden.error_kind) == (ERROR, ErrorKind.NOT_COLLECTED)


def test_no_blank_pin_login():
    ctl = voicemail.no_blank_pin_login
    assert judge(ctl, BlankPinLogin(subject="s", accepted=True, setting="empty=true")).evidence == "empty=true"
    assert judge(ctl, BlankPinLogin(subject="s", accepted=True, setting="empty=true")).status == FAIL
    assert judge(ctl, BlankPinLogin(subject="s", accepted=False, setting="empty=false")).status == PASS
    assert judge(ctl, BlankPinLogin(subject="s", accepted=False, setting="", undecidable="why")).status == ERROR


def test_pin_never_skipped():
    ctl = voicemail.pin_never_skipped
    rec = dict(subject="s", menu="Menu", call="Menu(1,s)", why="reason")
    assert judge(ctl, PinPrompt(access="asks", **rec)).evidence == "Menu asks for the PIN (reason)"
    skips = judge(ctl, PinPrompt(access="skips", **rec))
    assert (skips.status, skips.evidence) == (FAIL, "Menu(1,s) skips the PIN: reason")
    assert judge(ctl, PinPrompt(access="unknown", **rec)).status == ERROR  # never PASS


def test_personal_mailbox():
    ctl = voicemail.personal_mailbox
    desk = judge(ctl, MailboxOwner(subject="s", mailbox="1", name="Front Desk"))
    assert (desk.status, desk.evidence) == (FAIL, "mailbox name suggests a shared mailbox ('front desk')")
    assert judge(ctl, MailboxOwner(subject="s", mailbox="1", name="Dr. Able")).status == PASS
    assert judge(ctl, MailboxOwner(subject="s", mailbox="1", name="Teamster Tom")).status == PASS  # whole words
    assert judge(ctl, MailboxOwner(subject="s", mailbox="1", name="Dr. Able"), shared_mailbox_words=["dr."]).status == FAIL
    assert judge(ctl, MailboxOwner(subject="s", mailbox="1", name="Front Desk"), shared_mailbox_words=[]).status == PASS


def test_passcode_required():
    ctl = devices.passcode_required
    assert judge(ctl, Passcode(subject="s", defined=False)).evidence == "no profile sets a passcode policy"
    off = judge(ctl, Passcode(subject="s", required=False, required_option="forceIt"))
    assert (off.status, off.evidence) == (FAIL, "forceIt: no passcode required")
    short = judge(ctl, Passcode(subject="s", required=True, min_length=4, length_option="len", length_text="4"))
    assert (short.status, short.evidence) == (FAIL, "len = 4, below 6")
    unset = judge(ctl, Passcode(subject="s", required=True, length_option="len"))
    assert (unset.status, unset.evidence) == (FAIL, "len = unset, below 6")
    good = judge(ctl, Passcode(subject="s", required=True, min_length=6, length_option="len", length_text="6"))
    assert (good.status, good.evidence) == (PASS, "passcode required, at least 6 characters")


def test_auto_lock():
    ctl = devices.auto_lock
    assert judge(ctl, AutoLock(subject="s", minutes=None, option="idle")).evidence == \
        "idle unset: the user chooses (or never)"
    assert judge(ctl, AutoLock(subject="s", minutes=0, option="idle")).status == FAIL
    late = judge(ctl, AutoLock(subject="s", minutes=15, option="idle"))
    assert (late.status, late.evidence) == (FAIL, "idle: locks after 15 minutes, more than 5")
    assert judge(ctl, AutoLock(subject="s", minutes=2.5, option="idle")).evidence == "idle: locks after 2.5 minutes"
    assert judge(ctl, AutoLock(subject="s", minutes=15, option="idle"), max_lock_minutes=15).status == PASS


def test_provisioning_encrypted_and_url_clean():
    enc, clean = devices.provisioning_encrypted, devices.provisioning_url_clean
    https = Provisioning(subject="s", protocol="https", encrypted=True, setting="url", url="https://p/")
    assert (judge(enc, https).status, judge(enc, https).evidence) == (PASS, "url uses https")
    tftp = Provisioning(subject="s", protocol="tftp", encrypted=False, setting="url", url="tftp://p/")
    assert judge(enc, tftp).evidence == "url = tftp://p/ (tftp)" and judge(enc, tftp).status == FAIL
    seen = Provisioning(subject="s", protocol="http", encrypted=False, observed=True, fetches=2)
    assert (judge(enc, seen).status, judge(enc, seen).evidence) == (FAIL, "2 cleartext HTTP fetch(es) of a "
                                                                           "provisioning file")
    assert judge(clean, https).status == PASS
    creds = Provisioning(subject="s", protocol="https", encrypted=True, credentials_in_url=True)
    assert (judge(clean, creds).status, judge(clean, creds).evidence) == (FAIL, "the provisioning URL embeds "
                                                                               "a password or token")
    firmware = Provisioning(subject="s", protocol="http", encrypted=False, credentials_in_url=True,
                            setting="firmware.url", url="http://<redacted>@fw.example/...")
    assert judge(clean, firmware).evidence == ("firmware.url embeds a password or token "
                                               "(http://<redacted>@fw.example/...)")


def test_controls_are_vendor_neutral_and_keep_the_union_of_citations(registry):
    expect = {
        "MBX-POL-101": ("medium", {"164.312(d)", "164.308(a)(5)(ii)(D)"}, {"AST-VM-105"}),
        "MBX-POL-102": ("medium", {"164.308(a)(5)(ii)(C)", "164.312(d)"}, {"AST-VM-107", "FS-VM-104"}),
        "MBX-POL-103": ("critical", {"164.312(d)", "164.312(a)(1)"}, {"FS-VM-103"}),
        "MBX-POL-104": ("critical", {"164.312(d)", "164.312(a)(1)"}, {"AST-VM-108"}),
        "MBX-POL-105": ("medium", {"164.312(a)(2)(i)", "164.312(d)"}, {"AST-VM-109"}),
        "DEV-LOCK-101": ("high", {"164.312(a)(1)", "164.312(d)"}, {"MDM-ACC-101"}),
        "DEV-LOCK-102": ("medium", {"164.312(a)(2)(iii)"}, {"MDM-ACC-102"}),
        "DEV-PRV-101": ("high", {"164.312(e)(1)", "164.312(d)"}, {"PHONE-PRV-101", "PCAP-104"}),
        "DEV-PRV-102": ("high", {"164.312(d)", "164.312(a)(1)"}, {"PHONE-PRV-102"}),
    }
    for cid, (severity, hipaa, aliases) in expect.items():
        meta = registry.get(cid).meta
        assert (meta.severity.value, set(meta.hipaa)) == (severity, hipaa), cid
        assert {a for v in meta.aliases.values() for a in v} == aliases, cid
        for alias in aliases:
            assert registry.resolve(alias) == [cid], alias
        text = (meta.title + meta.rationale).lower()
        for word in ("asterisk", "freeswitch", "voicemailmain", "maxlogins", "minpassword", "yealink", "ios",
                     "android", "tftp", "https"):
            assert word not in text.split(), (cid, word)


# -- one weakness, one verdict on every platform -----------------------------------------------

FS_VM = """<configuration name="voicemail.conf">
  <profiles><profile name="default">
    <param name="max-login-attempts" value="{attempts}"/>
    <param name="allow-empty-password-auth" value="{empty}"/>
  </profile></profiles>
</configuration>
"""


def _fs(tmp_path, attempts="3", empty="false"):
    return collect_freeswitch_tree(write_tree(tmp_path / "conf", {
        "vars.xml": '<include>\n  <X-PRE-PROCESS cmd="env-set" data="vm_tries=$TRIES"/>\n</include>\n',
        "autoload_configs/voicemail.conf.xml": FS_VM.format(attempts=attempts, empty=empty)}))


def _outcomes(registry, cid, facts, **params):
    rule = registry.get(cid)
    return rule(facts, CheckContext({**rule.defaults(), **params}))


def test_login_limit_same_verdict_on_asterisk_and_freeswitch(tree, tmp_path, registry):
    ast = _outcomes(registry, "MBX-POL-102", tree({"voicemail.conf": "[general]\nmaxlogins=10\n[default]\n1 => 1,A\n"}))
    fs = _outcomes(registry, "MBX-POL-102", _fs(tmp_path, attempts="10"))
    assert [o.status for o in ast] == [o.status for o in fs] == [FAIL]
    assert ast[0].evidence == "maxlogins=10 allows more than 3 guesses per call"
    assert fs[0].evidence == "max-login-attempts=10 allows more than 3 guesses per call"
    assert ast[0].fix == ["[general]", "maxlogins=3"]  # the profile's max_logins, exactly
    assert fs[0].fix == ['<param name="max-login-attempts" value="3"/>']
    assert registry.get("AST-VM-107").meta.severity == registry.get("FS-VM-104").meta.severity == Severity.MEDIUM
    ok_ast = _outcomes(registry, "MBX-POL-102", tree({"voicemail.conf": "[general]\n[default]\n1 => 1,A\n"}))
    ok_fs = _outcomes(registry, "MBX-POL-102", _fs(tmp_path / "b", attempts=""))
    assert [(o.status, o.evidence) for o in ok_ast] == [(PASS, "maxlogins=3 (default)")]
    assert [(o.status, o.evidence) for o in ok_fs] == [(PASS, "max-login-attempts=3 (default)")]
    # The alias runs only its own platform's binding.
    assert [o.status for o in _outcomes(registry, "AST-VM-107", _fs(tmp_path / "c", attempts="10"))] == []


def test_freeswitch_blank_password_and_run_time_values(tmp_path, registry):
    out = _outcomes(registry, "MBX-POL-103", _fs(tmp_path, empty="true"))
    assert [(o.resource, o.status, o.evidence) for o in out] == [
        ("voicemail profile default", FAIL, "allow-empty-password-auth=true")]
    assert out[0].fix == ['<param name="allow-empty-password-auth" value="false"/>']
    assert [o.status for o in _outcomes(registry, "MBX-POL-103", _fs(tmp_path / "b"))] == [PASS]
    hidden = _outcomes(registry, "MBX-POL-102", _fs(tmp_path / "c", attempts="$${vm_tries}"))
    assert [o.status for o in hidden] == [ERROR] and "vm_tries" in hidden[0].evidence


def test_asterisk_pin_policy_and_dialplan_fix(tree, tmp_path, registry):
    facts = tree({"voicemail.conf": "[general]\nminpassword=4\n[default]\n1 => 583920,A\n",
                  "extensions.conf": "[from-internal]\nexten => *98,1,VoiceMailMain(${CALLERID(num)}@default,s)\n"})
    pol = _outcomes(registry, "MBX-POL-101", facts)
    assert [(o.resource, o.status, o.evidence) for o in pol] == [("voicemail.conf [general]", FAIL,
                                                                  "minpassword=4, below 6")]
    assert pol[0].fix == ["[general]", "minpassword=6"]
    skip = _outcomes(registry, "MBX-POL-104", facts)
    assert [(o.resource, o.status) for o in skip] == [("dialplan from-internal,*98,1", FAIL)]
    assert skip[0].fix == ["; extensions.conf [from-internal]", "exten => *98,1,VoiceMailMain(${CALLERID(num)}@default)"]
    none = _outcomes(registry, "MBX-POL-104", collect_asterisk_tree(write_tree(tmp_path / "b", {
        "voicemail.conf": "[general]\n"})))
    assert [(o.resource, o.status, o.evidence) for o in none] == [
        ("(target)", NA, "VoiceMailMain is not used in the dialplan")]


PHONE_HTTP = {"805ec0aa0001.cfg": """#!version:1.0.0.1
account.1.enable = 1
account.1.user_name = 201
account.1.sip_server.1.address = pbx.clinic.example
static.auto_provision.server.url = http://prov.clinic.example/yealink/
"""}


def test_provisioning_in_clear_same_verdict_configured_and_on_the_wire(tmp_path, registry):
    configured = _outcomes(registry, "DEV-PRV-101", collect_phone_files(write_tree(tmp_path, PHONE_HTTP)))
    wire = _outcomes(registry, "DEV-PRV-101", PacketFacts(source="boot.pcap", packets=40, provisioning=[
        ProvisioningFetch(protocol="http", path="/yealink/805ec0aa0001.cfg", requests=1)]))
    assert [o.status for o in configured] == [o.status for o in wire] == [FAIL]
    assert registry.get("PHONE-PRV-101").meta.severity == registry.get("PCAP-104").meta.severity == Severity.HIGH
    assert configured[0].resource == "phone 805ec0aa0001.cfg" and "(http)" in configured[0].evidence
    assert configured[0].fix == ["auto_provision.server.url -> https://..."]
    assert (wire[0].resource, wire[0].fix) == ("http /yealink/805ec0aa0001.cfg", ["provision over HTTPS"])
    assert [o.status for o in _outcomes(registry, "DEV-PRV-102", collect_phone_files(tmp_path))] == [PASS]
    idle = _outcomes(registry, "DEV-PRV-101", PacketFacts(source="idle.pcap", packets=40))
    assert [(o.resource, o.status) for o in idle] == [("(target)", NA)] and "not evaluated" in idle[0].evidence


def test_screen_lock_records_from_mdm_policies(registry):
    from pathlib import Path

    from voxaudit.collectors.offline import collect_mdm_policies
    weak = collect_mdm_policies(Path(__file__).resolve().parent.parent / "fixtures" / "mdm" / "weak")
    ios = next(o for o in _outcomes(registry, "DEV-LOCK-101", weak) if o.resource.startswith("ios"))
    assert ios.status == FAIL and "minLength = 4" in ios.evidence and ios.fix == ["minLength -> 6"]
    assert [o.status for o in _outcomes(registry, "DEV-LOCK-101", weak, min_device_passcode=4)
            if o.resource.startswith("ios")] == [PASS]
    locks = _outcomes(registry, "DEV-LOCK-102", weak)
    assert locks and {o.status for o in locks} == {FAIL} and all(o.fix[0].endswith("5 minutes")
                                                                for o in locks)
