"""BAA-101 (164.308(b)(1), 164.314(a)(1)): who receives PHI, read from real configuration (the example
clinic, a real pjsip_wizard trunk, real FreeSWITCH trees), judged against a business-associate
register with a fixed date; the register's validation errors (file, line, key, never a value); and a
scan through the installed command with ``--baa-register``."""
from __future__ import annotations

import json
import shutil
from datetime import date

import pytest

from tests.conftest import EXAMPLE, REPO, write_tree
from tests.test_cli import voxaudit
from voxaudit.checks.recipients import recipient_has_baa
from voxaudit.collectors.offline import collect_asterisk_tree, collect_freeswitch_tree
from voxaudit.control import Params
from voxaudit.engine.evaluate import evaluate
from voxaudit.inventory import InventoryError, load_baa_register, load_inventory
from voxaudit.model import Status
from voxaudit.platforms.asterisk.recipients import (
    call_record_databases,
    register_host,
    sip_trunks,
    uri_host,
    voicemail_email,
)
from voxaudit.platforms.freeswitch.recipients import gateways
from voxaudit.profile import load_profile
from voxaudit.records.recipients import PhiRecipient, covers, register_value
from voxaudit.scan import TargetRecord

FAIL, PASS, NA, ERROR = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE, Status.ERROR
FIXTURES = REPO / "tests" / "fixtures"
CANARY = "Xq9CanarySecret77"
TODAY = date(2026, 3, 1)

CARRIER = {"vendor": "VoIP Carrier Inc.", "covers": ["*.voipcarrier.example", "trunk.voipcarrier.example"],
           "baa_signed": date(2025, 1, 15), "baa_expires": date(2027, 1, 14), "document": "BAAs/voipcarrier.pdf"}


def judge(rec: PhiRecipient, register: list[dict] | None, warn: int = 60):
    values: dict = {"baa_expiry_warning_days": warn}
    if register is not None:
        values["business_associates"] = register_value(register, TODAY)
    return recipient_has_baa.judge(rec, Params(values))


def trunk(host: str, private: bool = False) -> PhiRecipient:
    return PhiRecipient(subject=f"{host} (SIP trunk)", role="SIP trunk", host=host, how="pjsip.conf [t] registration server_uri",
                        private=private)


# -- what the adapters read --------------------------------------------------------------------------

def test_uri_and_register_hosts():
    assert uri_host("sip:trunk.voipcarrier.example:5060") == "trunk.voipcarrier.example"
    assert uri_host('"Carrier" <sips:acct@sbc.example.net:5061;transport=tls>') == "sbc.example.net"
    assert uri_host("sip:[2001:db8::1]:5060") == "2001:db8::1"
    assert register_host("tls://1001:<redacted>@sip.provider.example:5061/1001~3600") == "sip.provider.example"
    assert register_host("user@203.0.113.9") == "203.0.113.9"
    # linear on a long hostile line
    assert uri_host("sip:" + "@:" * 200_000) == ""


def test_example_clinic_trunks_email_domains_and_relay(tmp_path):
    facts = collect_asterisk_tree(EXAMPLE)
    trunks = {r.host: r for r in sip_trunks(facts)}
    # registrations, and the identify matches inbound trunk calls come from
    assert set(trunks) == {"trunk.voipcarrier.example", "sbc.securecarrier.example", "203.0.113.10", "203.0.113.50"}
    assert trunks["203.0.113.10"].how == "pjsip.conf [carrier-udp] identify match"
    first = trunks["trunk.voipcarrier.example"]
    assert first.how == "pjsip.conf [carrier-udp] registration server_uri"
    assert first.source is not None and first.source.file.endswith("pjsip.registration.conf")
    mail = list(voicemail_email(facts))
    # the relay comes from the host evidence beside etc/asterisk: etc/postfix/main.cf's relayhost
    assert {(r.role, r.host) for r in mail if not r.undecidable} == {
        ("voicemail email domain", "riverside-clinic.example"), ("voicemail pager/SMS gateway", "sms.carrier.example"),
        ("voicemail email relay", "smtp.office365.com")}
    relay = next(r for r in mail if r.role == "voicemail email relay")
    assert relay.source is not None and (relay.source.file, relay.source.line) == ("etc/postfix/main.cf", 11)
    # the configuration alone (no host evidence) cannot name the relay: it says what to capture
    import shutil
    bare_tree = tmp_path / "asterisk"
    shutil.copytree(EXAMPLE / "etc" / "asterisk", bare_tree)
    bare = collect_asterisk_tree(bare_tree)
    (unknown,) = [r for r in voicemail_email(bare) if r.undecidable]
    assert unknown.subject == "voicemail email relay" and "docs/evidence.md" in unknown.undecidable
    assert list(call_record_databases(facts)) == []  # no cdr_pgsql/cdr_mysql here


def test_real_wizard_trunk(tmp_path):
    """mlan/docker-asterisk's PrivateDial: remote_hosts in an #tryinclude'd wizard file -> one trunk."""
    tree = tmp_path / "asterisk"
    shutil.copytree(FIXTURES / "recipients" / "privatedial", tree)
    facts = collect_asterisk_tree(tree)
    got = list(sip_trunks(facts))
    assert [(r.host, r.role, r.private) for r in got] == [("sip.itsp.com", "SIP trunk", False)]
    assert got[0].source is not None and got[0].source.file.endswith("pjsip_endpoint.conf")


def test_placeholder_trunk_host_is_unknown_not_dropped():
    """poetryphone's wizard trunk keeps its author's placeholder remote_hosts: a trunk that cannot be named."""
    facts = collect_asterisk_tree(FIXTURES / "asterisk_sip" / "poetryphone")
    got = [r for r in sip_trunks(facts)]
    assert got and all(r.undecidable for r in got), got
    assert all("INSERT" not in r.subject + r.undecidable for r in got)


def test_chan_sip_register_peers_and_cdr_databases(tmp_path):
    tree = write_tree(tmp_path / "asterisk", {
        "sip.conf": f"[general]\nregister => tls://1001:{CANARY}@sip.provider.example:5061/1001\n"
                    "outboundproxy=proxy.provider.example\n"
                    f"[carrier]\ntype=peer\nhost=203.0.113.9\nsecret={CANARY}\n"
                    "[deskphone]\ntype=friend\nhost=192.168.1.50\n[roaming]\ntype=friend\nhost=dynamic\n",
        "voicemail.conf": "[general]\nmailcmd=/usr/local/bin/transcribe-and-mail.sh --key abc\n"
                          "externnotify=/usr/local/bin/notify-pager\n"
                          "[default]\n1001 => 9999,Dr Who,dr.who@gmail.com|front@clinic.example\n",
        "cdr_pgsql.conf": f"[global]\nhostname=cdr.db.vendor.example\nport=5432\npassword={CANARY}\n",
        "cdr_mysql.conf": "[global]\nhostname=10.20.0.5\n",
        "cel_pgsql.conf": "[global]\ndbname=asterisk\n",  # no hostname: the local socket
    })
    facts = collect_asterisk_tree(tree)
    trunks = {r.host: r for r in sip_trunks(facts)}
    assert set(trunks) == {"sip.provider.example", "proxy.provider.example", "203.0.113.9"}  # LAN phone not listed
    assert trunks["sip.provider.example"].how == "sip.conf [general] register =>"
    mail = list(voicemail_email(facts))
    assert {r.host for r in mail if not r.undecidable} == {"gmail.com", "clinic.example"}
    unknown = {r.subject: r.undecidable for r in mail if r.undecidable}
    # a mailcmd whose name says it transcribes is the transcription adapter's (BAA-101 lists its speech service)
    assert set(unknown) == {"voicemail externnotify notify-pager"}
    from voxaudit.platforms.asterisk.transcription import mailcmd_transcription
    assert [r.subject for r in mailcmd_transcription(facts)] == ["voicemail transcription transcribe-and-mail.sh"]
    dbs = {r.host: r for r in call_record_databases(facts)}
    assert set(dbs) == {"cdr.db.vendor.example", "10.20.0.5"}
    assert dbs["10.20.0.5"].private and not dbs["cdr.db.vendor.example"].private
    everything = repr(list(sip_trunks(facts)) + mail + list(dbs.values()))
    assert CANARY not in everything and "--key" not in everything


def test_freeswitch_gateways_on_real_trees(tmp_path):
    facts = collect_freeswitch_tree(FIXTURES / "freeswitch" / "enp-webrtc")
    got = list(gateways(facts))
    assert [(r.host, r.private, r.how) for r in got] == [("10.0.0.1", True, "sofia gateway mss proxy")]
    tree = write_tree(tmp_path / "fs", {"freeswitch.xml": """<document type="freeswitch/xml">
  <section name="configuration"><configuration name="sofia.conf"><profiles><profile name="external">
    <gateways><gateway name="carrier"><param name="realm" value="sip.carrier.example"/>
      <param name="password" value="%s"/></gateway>
      <gateway name="gw.other.example"/></gateways><settings/></profile></profiles></configuration></section>
  <section name="directory"><domain name="d"><users><user id="1001"><params>
    <param name="vm-mailto" value="nurse@hospital-mail.example,dr@gmail.com"/></params></user></users></domain></section>
</document>""" % CANARY})
    facts = collect_freeswitch_tree(tree)
    assert {r.host for r in gateways(facts)} == {"sip.carrier.example", "gw.other.example"}
    from voxaudit.platforms.freeswitch.recipients import voicemail_email as fs_email
    mail = list(fs_email(facts))
    assert {r.host for r in mail if not r.undecidable} == {"hospital-mail.example", "gmail.com"}
    assert CANARY not in repr(list(gateways(facts)) + mail)


# -- the judge: register matching and expiry on a fixed date ------------------------------------------

def test_register_patterns():
    assert covers("*.twilio.com", "sip.us1.twilio.com") and not covers("*.twilio.com", "twilio.com")
    assert not covers("*.twilio.com", "eviltwilio.com")
    assert covers("203.0.113.0/24", "203.0.113.9") and not covers("203.0.113.0/24", "198.51.100.1")
    assert covers("Trunk.VoIPCarrier.example.", "trunk.voipcarrier.example")


def test_judge_branches():
    assert judge(trunk("trunk.voipcarrier.example"), None).status == ERROR  # no register given: unknown
    v = judge(trunk("trunk.voipcarrier.example"), [CARRIER])
    assert v.status == PASS and "VoIP Carrier Inc." in v.evidence and "expires 2027-01-14" in v.evidence
    assert "warning" not in v.evidence
    v = judge(trunk("sbc.securecarrier.example"), [CARRIER])
    assert (v.status, "no business associate agreement" in v.evidence) == (FAIL, True)
    assert "sbc.securecarrier.example" in v.evidence and "SIP trunk" in v.evidence
    expired = {**CARRIER, "baa_expires": date(2026, 2, 28)}
    v = judge(trunk("trunk.voipcarrier.example"), [expired])
    assert v.status == FAIL and "expired on 2026-02-28" in v.evidence
    soon = {**CARRIER, "baa_expires": date(2026, 4, 30)}  # 60 days after TODAY
    v = judge(trunk("trunk.voipcarrier.example"), [soon])
    assert v.status == PASS and "expires in 60 day(s)" in v.evidence
    assert "warning" not in judge(trunk("trunk.voipcarrier.example"), [{**CARRIER, "baa_expires": date(2026, 5, 1)}]).evidence
    assert judge(trunk("trunk.voipcarrier.example"), [{**CARRIER, "baa_expires": date(2026, 3, 1)}]).status == PASS  # last day
    # an expired entry and a renewed one: the renewal counts
    assert judge(trunk("trunk.voipcarrier.example"), [expired, CARRIER]).status == PASS
    future = {**CARRIER, "baa_signed": date(2026, 6, 1)}
    assert judge(trunk("trunk.voipcarrier.example"), [future]).status == FAIL
    # private: unknown without an entry; the clinic's own system with internal: true
    assert judge(trunk("10.20.0.5", private=True), [CARRIER]).status == ERROR
    own = {"vendor": "Clinic CDR server", "covers": ["10.20.0.0/16"], "internal": True}
    assert judge(trunk("10.20.0.5", private=True), [own]).status == PASS
    undecided = PhiRecipient(subject="voicemail email relay", role="voicemail email relay", undecidable="MTA not read")
    assert judge(undecided, [CARRIER]).status == ERROR


def test_call_record_upload_destination_is_a_recipient(registry):
    """somleng/freeswitch-config ships json_cdr.conf.xml: mod_json_cdr POSTs every call record to its url
    ($${mod_json_cdr_url} = https://www.example.com/path): that host is a recipient, not covered by the
    register given, so FAIL. Its core database (switch.conf core-db-dsn at $${database_host} =
    host.docker.internal, a private name) is one too: not in the register, so ERROR (the clinic's own, or not?)."""
    facts = collect_freeswitch_tree(FIXTURES / "freeswitch" / "somleng-freeswitch-config")
    prof = load_profile("hipaa-security-rule", registry)
    results, _, _ = evaluate([TargetRecord(name="fs", platform="freeswitch", facts=facts)], registry, prof, [],
                             today=TODAY, registers={"fs": [CARRIER]})
    baa = [r for r in results if r.check_id == "BAA-101"]
    assert sorted((r.status, r.resource) for r in baa) == [
        (ERROR, "host.docker.internal (core database (switch.conf core-db-dsn))"),
        (FAIL, "www.example.com (call records upload (mod_json_cdr))")]
    assert "json_cdr.conf url" in next(r.evidence for r in baa if r.status == FAIL)


def test_engine_passes_each_targets_register(registry):
    """The register rides on each target and reaches BAA-101 through evaluate(), with the scan's date."""
    facts = collect_asterisk_tree(EXAMPLE)
    prof = load_profile("hipaa-security-rule", registry)
    recs = [TargetRecord(name="with", platform="asterisk", facts=facts),
            TargetRecord(name="without", platform="asterisk", facts=facts)]
    results, _, _ = evaluate(recs, registry, prof, [], today=TODAY, registers={"with": [CARRIER]})
    baa = {(r.target, r.resource): r for r in results if r.check_id == "BAA-101"}
    assert baa[("with", "trunk.voipcarrier.example (SIP trunk)")].status == PASS
    assert baa[("with", "sbc.securecarrier.example (SIP trunk)")].status == FAIL
    assert baa[("with", "smtp.office365.com (voicemail email relay)")].status == FAIL  # relayhost, no BAA
    assert {r.status for (t, _), r in baa.items() if t == "without"} == {ERROR}
    sg = next(s for s in prof.safeguards if s.id == "164.308(b)(1)")
    assert "BAA-101" in sg.checks


# -- the register in the inventory and in its own file ------------------------------------------------

def test_inventory_register_rides_on_every_target(tmp_path):
    inv = tmp_path / "inventory.yaml"
    inv.write_text(f"""business_associates:
  - vendor: VoIP Carrier Inc.
    covers: ["*.voipcarrier.example"]
    baa_signed: 2025-01-15
    baa_expires: 2027-01-14
    document: BAAs/voipcarrier.pdf
clinics:
  - name: Riverside
    sites:
      - name: main
        targets:
          - {{name: pbx, platform: asterisk, config_dir: {EXAMPLE}}}
""")
    [t] = load_inventory(inv)
    assert t.business_associates is not None and t.business_associates[0].vendor == "VoIP Carrier Inc."
    assert t.business_associates[0].baa_expires == date(2027, 1, 14)
    inv.write_text(inv.read_text().split("clinics:")[0].replace("business_associates:", "x_unused: 1\nbusiness_associates:")
                   .split("x_unused")[0] + f"clinics:\n  - name: R\n    sites:\n      - name: m\n        targets:\n"
                   f"          - {{name: pbx, platform: asterisk, config_dir: {EXAMPLE}}}\n")
    [t] = load_inventory(inv)
    assert t.business_associates is None  # no register: unknown, not empty


def test_clinic_register_adds_to_the_inventorys(tmp_path):
    """An MSP's clinics each sign their own BAAs: a clinic's list is added to the top-level one, for its targets only."""
    inv = tmp_path / "inventory.yaml"
    inv.write_text(f"""business_associates:
  - {{vendor: MSP mail relay, covers: [relay.msp.example], baa_signed: 2025-01-01}}
clinics:
  - name: Riverside
    business_associates:
      - {{vendor: VoIP Carrier Inc., covers: ["*.voipcarrier.example"], baa_signed: 2025-01-15}}
    sites:
      - name: main
        targets:
          - {{name: pbx1, platform: asterisk, config_dir: {EXAMPLE}}}
  - name: Lakeside
    sites:
      - name: main
        targets:
          - {{name: pbx2, platform: asterisk, config_dir: {EXAMPLE}}}
""")
    one, two = load_inventory(inv)
    assert [a.vendor for a in one.business_associates or ()] == ["MSP mail relay", "VoIP Carrier Inc."]
    assert [a.vendor for a in two.business_associates or ()] == ["MSP mail relay"]


@pytest.mark.parametrize("entry,line,key", [
    (f"vendor: A\n    covers: [\"{CANARY} x\"]\n    baa_signed: 2025-01-01", 4, "business_associates.0.covers"),
    (f"vendor: A\n    covers: [a.example]\n    baa_signed: {CANARY}", 5, "business_associates.0.baa_signed"),
    ("vendor: A\n    covers: [a.example]", 3, "business_associates.0"),
    (f"vendor: A\n    covers: [a.example]\n    baa_signed: 2025-01-01\n    baa_expires: 2024-01-01\n    password: {CANARY}",
     7, "business_associates.0.password"),
    ("vendor: A\n    covers: [a.example]\n    baa_signed: 2025-01-01\n    baa_expires: 2024-01-01", 3, "business_associates.0"),
    ("vendor: A\n    covers: [a.example]\n    internal: true\n    baa_signed: 2025-01-01", 3, "business_associates.0"),
])
def test_register_errors_name_file_line_key_never_the_value(tmp_path, entry, line, key):
    path = tmp_path / "baa.yaml"
    path.write_text("# register\nbusiness_associates:\n  - " + entry + "\n")
    with pytest.raises(InventoryError) as err:
        load_baa_register(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}:{line}: {key}:"), msg
    assert CANARY not in msg


def test_register_file_loads():
    path = FIXTURES / "recipients" / "baa-register.yaml"
    got = load_baa_register(path)
    assert [a.vendor for a in got] == ["VoIP Carrier Inc.", "Riverside Family Clinic (own systems)"]


# -- end to end: the installed command ----------------------------------------------------------------

def test_scan_with_baa_register(tmp_path):
    out = tmp_path / "out"
    proc = voxaudit("scan", "--config-dir", EXAMPLE, "--name", "riverside-pbx", "--baa-register",
                    FIXTURES / "recipients" / "baa-register.yaml", "-f", "json,md,html", "-o", out, "--no-history")
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads((out / "scan.json").read_text())
    baa = {r["resource"]: r for r in doc["results"] if r["check_id"] == "BAA-101"}
    assert baa["trunk.voipcarrier.example (SIP trunk)"]["status"] == "PASS"
    assert baa["203.0.113.10 (SIP trunk)"]["status"] == "PASS"
    assert baa["sbc.securecarrier.example (SIP trunk)"]["status"] == "FAIL"
    assert '    covers: ["sbc.securecarrier.example"]' in baa["sbc.securecarrier.example (SIP trunk)"]["fix"]
    assert baa["203.0.113.50 (SIP trunk)"]["status"] == "FAIL"
    assert baa["sms.carrier.example (voicemail pager/SMS gateway)"]["status"] == "FAIL"
    assert baa["riverside-clinic.example (voicemail email domain)"]["status"] == "PASS"
    assert baa["smtp.office365.com (voicemail email relay)"]["status"] == "FAIL"
    md = (out / "report.md").read_text()
    assert "## PHI recipients" in md and "sbc.securecarrier.example" in md
    html = (out / "report.html").read_text()
    assert 'id="recipients"' in html and "trunk.voipcarrier.example (SIP trunk)" in html
    # a bad register is a usage error naming file, line and key
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"business_associates:\n  - vendor: A\n    covers: [a.example]\n    baa_signed: {CANARY}\n")
    proc = voxaudit("scan", "--config-dir", EXAMPLE, "--baa-register", bad, "-o", tmp_path / "o2", "--no-history")
    assert proc.returncode == 2 and f"{bad}:4: business_associates.0.baa_signed" in proc.stderr
    assert CANARY not in proc.stderr + proc.stdout
