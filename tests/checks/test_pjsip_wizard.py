"""pjsip_wizard.conf: wizard sections become the same pjsip objects hand-written pjsip.conf gives, so
every pjsip check judges them; what the wizard ignores or refuses is reported, never silent.
Also: pjsip.conf sections of a type PJSIP does not know are gaps."""
from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

import msgspec

from tests.conftest import write_tree
from tests.test_hostile_input import mangle
from voxaudit.collectors.offline import collect_asterisk_tree
from voxaudit.facts.asterisk_sip import MAX_REMOTE_HOSTS
from voxaudit.model import Status
from voxaudit.profile import load_profile
from voxaudit.runner import TargetSpec, build_document, collect

FAIL, PASS, NA, ERROR = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE, Status.ERROR
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "asterisk_sip"
CANARY = "Canary-Wz7!q9"

TRANSPORTS = """
[udp]
type=transport
protocol=udp
bind=0.0.0.0:5060

[tls]
type=transport
protocol=tls
bind=0.0.0.0:5061
method=tlsv1_2
"""

WIZARD = f"""
[phone](!)
type = wizard
accepts_registrations = yes
accepts_auth = yes
transport = tls
endpoint/context = from-internal
endpoint/media_encryption = sdes
aor/max_contacts = 1

[6001](phone)
inbound_auth/username = 6001
inbound_auth/password = {CANARY}

[itsp]
type = wizard
sends_auth = yes
sends_registrations = yes
transport = udp
outbound_proxy = sip:proxy.example.net\\;lr
remote_hosts = sip1.example.net:5060, sip2.example.net
server_uri_pattern = sips:${{REMOTE_HOST}}
outbound_auth/username = acct
outbound_auth/password = Trunk-Secret-99xx
endpoint/context = from-pstn
registration/expiration = 300
"""

# What Asterisk's wizard creates from WIZARD, written by hand (res_pjsip_config_wizard.c, in the order
# it appends its variables).
HAND_WRITTEN = f"""
[6001-iauth]
type=auth
username=6001
password={CANARY}
auth_type=userpass

[6001]
type=aor
max_contacts=1

[6001]
type=endpoint
context=from-internal
media_encryption=sdes
aors=6001
transport=tls
auth=6001-iauth

[itsp-oauth]
type=auth
username=acct
password=Trunk-Secret-99xx
auth_type=userpass

[itsp]
type=aor
outbound_proxy=sip:proxy.example.net\\;lr
contact=sip:sip1.example.net:5060
contact=sip:sip2.example.net

[itsp]
type=endpoint
context=from-pstn
aors=itsp
outbound_proxy=sip:proxy.example.net\\;lr
transport=udp
outbound_auth=itsp-oauth

[itsp-identify]
type=identify
endpoint=itsp
match=sip1.example.net:5060
match=sip2.example.net

[itsp-reg-0]
type=registration
expiration=300
outbound_proxy=sip:proxy.example.net\\;lr
server_uri=sips:sip1.example.net:5060
client_uri=sip:acct@sip1.example.net:5060
outbound_auth=itsp-oauth
transport=udp

[itsp-reg-1]
type=registration
expiration=300
outbound_proxy=sip:proxy.example.net\\;lr
server_uri=sips:sip2.example.net
client_uri=sip:acct@sip2.example.net
outbound_auth=itsp-oauth
transport=udp
"""


def _shape(facts) -> dict:
    """Every pjsip object except transports, by (kind, name): its settings' values and its secrets."""
    return {(o.kind, o.name): ({k: [s.value for s in v] for k, v in o.settings.items() if k != "type"},
                               {k: (i.present, i.length, i.char_classes) for k, i in o.secrets.items()})
            for o in facts.objects if o.kind.startswith("pjsip.") and o.kind != "pjsip.transport"}


def _problems(facts, root: str):
    return facts.configs[root].problems


def test_wizard_builds_exactly_the_objects_hand_written_pjsip_conf_would(tree, tmp_path):
    wizard = tree({"pjsip.conf": TRANSPORTS, "pjsip_wizard.conf": WIZARD})
    root = write_tree(tmp_path / "hand", {"pjsip.conf": TRANSPORTS + HAND_WRITTEN})
    hand = collect_asterisk_tree(root)
    assert _shape(wizard) == _shape(hand)
    assert set(_shape(wizard)) == {
        ("pjsip.auth", "6001-iauth"), ("pjsip.aor", "6001"), ("pjsip.endpoint", "6001"),
        ("pjsip.auth", "itsp-oauth"), ("pjsip.aor", "itsp"), ("pjsip.endpoint", "itsp"),
        ("pjsip.identify", "itsp-identify"), ("pjsip.registration", "itsp-reg-0"),
        ("pjsip.registration", "itsp-reg-1")}
    assert not _problems(wizard, "pjsip_wizard.conf")
    # every setting is located at the wizard line that produced it
    ep = wizard.named("pjsip.endpoint", "6001")
    assert (ep.source.file, ep.source.line) == ("pjsip_wizard.conf", 10)
    assert ep.location("media_encryption").line == 7  # from the template
    assert ep.location("auth").line == 4  # accepts_auth
    assert wizard.named("pjsip.auth", "6001-iauth").secrets["password"].source.line == 12


def test_every_pjsip_check_gives_wizard_objects_the_verdict_of_hand_written_ones(tree, tmp_path, run, registry):
    wizard = tree({"pjsip.conf": TRANSPORTS, "pjsip_wizard.conf": WIZARD})
    hand = collect_asterisk_tree(write_tree(tmp_path / "hand", {"pjsip.conf": TRANSPORTS + HAND_WRITTEN}))
    pjsip_checks = [p.alias or c.id for c in registry.all() for p in c.parts("asterisk")
                    if "pjsip_wizard.conf" in p.sources]  # a control: the aliases of its bindings
    assert {"AST-SRTP-101", "AST-SRTP-103", "AST-ACC-101", "AST-ACC-102", "AST-ACC-103", "AST-TLS-105"} <= set(
        pjsip_checks)
    for cid in pjsip_checks:
        assert run(cid, wizard) == run(cid, hand), cid
    # and the verdicts are real findings, not all passes
    assert run("AST-TLS-105", wizard)["registration itsp-reg-0"] == PASS  # sips: server URI
    assert run("AST-TLS-105", wizard)["trunk endpoint itsp"] == FAIL  # pinned to udp
    assert run("AST-SRTP-101", wizard) == {"endpoint 6001": PASS, "endpoint itsp": FAIL}


def test_wizard_endpoint_without_media_encryption_fails_srtp_like_a_hand_written_one(tree, run, registry):
    text = "[t]\ntype=wizard\naccepts_registrations=yes\nendpoint/context=x\n"
    facts = tree({"pjsip_wizard.conf": "; a phone\n" + text, "pjsip.conf": "[h]\ntype=endpoint\ncontext=x\n"})
    outcomes = registry.get("AST-SRTP-101")(facts)
    by_res = {o.resource: o for o in outcomes}
    assert by_res["endpoint t"].status == by_res["endpoint h"].status == FAIL
    assert (by_res["endpoint t"].location.file, by_res["endpoint t"].location.line) == ("pjsip_wizard.conf", 2)
    assert (by_res["endpoint h"].location.file, by_res["endpoint h"].location.line) == ("pjsip.conf", 1)


def test_wizard_and_pjsip_conf_passwords_share_one_tracker(tree, run):
    facts = tree({"pjsip.conf": "[a]\ntype=auth\nusername=a\npassword=Same-Long-Secret-123\n",
                  "pjsip_wizard.conf": "[w]\ntype=wizard\naccepts_registrations=yes\naccepts_auth=yes\n"
                                       "inbound_auth/username=w\ninbound_auth/password=Same-Long-Secret-123\n"})
    assert run("AST-ACC-103", facts) == {"auth a": FAIL, "auth w-iauth": FAIL}  # shared between the two


def test_wizard_secrets_never_kept_nor_quoted(tree):
    bad = f"[odd]\ntype = Wizard\ninbound_auth/password = {CANARY}\n[typo]\ntype=wizard\naccepts_registrations=yes\n" \
          f"passsword = {CANARY}\n"
    facts = tree({"pjsip_wizard.conf": WIZARD + bad})
    dumped = msgspec.json.encode(facts).decode()
    assert CANARY not in dumped
    assert all(CANARY not in p.message for p in _problems(facts, "pjsip_wizard.conf"))
    assert facts.named("pjsip.auth", "6001-iauth").secrets["password"].present


def test_what_the_wizard_ignores_or_refuses_is_reported(tree):
    text = """
[lower]
type = Wizard
endpoint/context = x

[empty]

[noauth]
type = wizard
accepts_registrations = yes
accepts_auth = yes
sends_auth = yes
inbound_auth/username = noauth
endpoint/colour = blue
mystery = 1

[nohosts]
type = wizard
sends_registrations = yes

[noprov]
type = wizard
accepts_registrations = yes
has_phoneprov = yes
"""
    facts = tree({"pjsip_wizard.conf": text})
    problems = {(p.line, p.note): p.message for p in _problems(facts, "pjsip_wizard.conf")}
    assert (1, False) in problems and "not a type = wizard" in problems[(1, False)]  # case-sensitive value
    assert (5, True) in problems  # empty section: a note
    # sends_auth without outbound_auth/username: no outbound auth and (handle_auths) no inbound one either
    assert "nor the inbound one" in problems[(11, False)]
    assert facts.named("pjsip.auth", "noauth-iauth") is None and facts.named("pjsip.auth", "noauth-oauth") is None
    assert facts.named("pjsip.endpoint", "noauth").get("auth") == "noauth-iauth"  # Asterisk still links it
    assert "mystery" in problems[(14, True)]  # not a wizard option: ignored, a note
    assert not any(line == 13 for line, _ in problems)  # endpoint/<anything> is passed on, not judged here
    # sends_registrations without remote_hosts: neither a registration nor an identify
    assert any("sends_registrations=yes without remote_hosts" in m for m in problems.values())
    assert any("no identify" in m for (line, _), m in problems.items() if line == 16)
    assert facts.of_kind("pjsip.registration") == [] and facts.of_kind("pjsip.identify") == []
    assert any("phoneprov/MAC" in m for m in problems.values())
    assert facts.named("pjsip.endpoint", "lower") is None
    gaps = [p for p in _problems(facts, "pjsip_wizard.conf") if p.is_gap]
    assert facts.resource_errors("pjsip_wizard.conf") and len(gaps) == 5


def test_registration_options(tree):
    facts = tree({"pjsip_wizard.conf": """
[line]
type = wizard
sends_registrations = yes
sends_line_with_registrations = yes
remote_hosts = a.example.com
client_uri_pattern = sip:${USERNAME}-x@${REMOTE_HOST}
contact_pattern = sips:${REMOTE_HOST}
aor/qualify_frequency = 30
"""})
    reg = facts.named("pjsip.registration", "line-reg-0")
    assert reg.get("client_uri") == "sip:line-x@a.example.com"  # no sends_auth: USERNAME is the wizard's name
    assert reg.get("line") == "yes" and reg.get("endpoint") == "line"
    assert facts.named("pjsip.identify", "line-identify") is None  # the line replaces the identify
    assert facts.named("pjsip.aor", "line").values("contact") == ["sips:a.example.com"]


def test_unknown_pjsip_types_are_gaps_naming_section_and_line(tree, run):
    facts = tree({"pjsip.conf": f"""
[t]
type=transport
protocol=tls

[6001]
type=endpont
password={CANARY}

[6002]
type=Endpoint

[tpl](!)
type=aor

[6003](tpl)
type=endpoint
"""})
    gaps = {p.line: p.message for p in _problems(facts, "pjsip.conf") if p.is_gap}
    assert set(gaps) == {6, 10}
    assert "[6001]" in gaps[6] and "[6002]" in gaps[10] and "case-sensitive" in gaps[10]
    assert all(CANARY not in m and "endpont" not in m for m in gaps.values())
    assert facts.named("pjsip.endpoint", "6001") is None and facts.named("pjsip.endpoint", "6002") is None
    # the first type= decides (template variables come first), as res_sorcery_config reads it
    assert facts.named("pjsip.aor", "6003") is not None and facts.named("pjsip.endpoint", "6003") is None
    assert facts.resource_errors("pjsip.conf")
    assert run("AST-TLS-101", facts) == {"transport t": PASS}  # known types are still judged


def _scan(root, registry):
    record = collect(TargetSpec(name="pbx", platform="asterisk", config_dir=root))
    return build_document([record], registry, load_profile("hipaa-security-rule", registry), [], started_at="now")


def test_wizard_gaps_and_unreadable_wizard_file_reach_every_check_that_judges_pjsip_objects(tmp_path, registry):
    wizard_checks = {p.alias or c.id for c in registry.all() for p in c.parts("asterisk")
                     if "pjsip_wizard.conf" in p.sources}
    root = write_tree(tmp_path / "gap", {"pjsip.conf": TRANSPORTS,
                                         "pjsip_wizard.conf": WIZARD + "\n[odd]\ntype=wizzard\n"})
    doc = _scan(root, registry)
    errored = {(r.alias or r.check_id) for r in doc.results
               if r.status == ERROR and r.resource == "(unread parts of pjsip_wizard.conf)"}
    assert errored == wizard_checks
    assert any("pjsip_wizard.conf:" in w and "[odd]" in w for w in doc.warnings)
    # the rest is still judged
    assert any((r.alias or r.check_id) == "AST-SRTP-101" and r.resource == "endpoint 6001" and r.status == PASS for r in doc.results)

    root = write_tree(tmp_path / "fatal", {"pjsip.conf": TRANSPORTS,
                                           "pjsip_wizard.conf": WIZARD + "\n#include missing-phones.conf\n"})
    doc = _scan(root, registry)
    blocked = {(r.alias or r.check_id) for r in doc.results if r.status == ERROR and "pjsip_wizard.conf could not be used" in r.evidence}
    assert blocked == wizard_checks

    root = write_tree(tmp_path / "none", {"pjsip.conf": TRANSPORTS})  # no wizard file: nothing changes
    doc = _scan(root, registry)
    assert not any("pjsip_wizard.conf" in r.evidence for r in doc.results if r.status == ERROR)


# -- real files --------------------------------------------------------------------------------------

def _fixture(tmp_path, name: str, extra: dict[str, str] | None = None):
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root)
    write_tree(root, extra or {})
    return collect_asterisk_tree(root)


def test_osaka_pbx_wizard_in_an_included_file(tmp_path, run):
    facts = _fixture(tmp_path, "osaka-pbx")
    assert {(o.kind, o.name) for o in facts.objects if o.kind.startswith("pjsip.")} == {
        ("pjsip.endpoint", "snom"), ("pjsip.aor", "snom"), ("pjsip.auth", "snom-iauth")}
    ep = facts.named("pjsip.endpoint", "snom")
    assert ep.get("transport") == "transport-udpv6" and ep.values("allow") == ["opus", "speex", "g722", "ulaw", "alaw"]
    assert run("AST-SRTP-101", facts) == {"endpoint snom": FAIL}
    assert run("AST-ACC-103", facts) == {"auth snom-iauth": FAIL}  # inbound_auth/password is empty
    assert run("AST-ACC-102", facts) == {"endpoint snom": PASS}
    assert run("AST-ACC-101", facts) == {"endpoint snom": FAIL}
    assert not [p for p in _problems(facts, "pjsip_wizard.conf") if not p.note]


def test_osaka_srtp_location_is_the_included_wizard_section(tmp_path, registry):
    facts = _fixture(tmp_path, "osaka-pbx")
    [o] = registry.get("AST-SRTP-101")(facts)
    assert (o.status, o.location.file, o.location.line) == (FAIL, "pjsip_wizard_snom.conf", 1)


def test_five9_shared_wizard_passwords_and_template_media_encryption(tmp_path, run, registry):
    facts = _fixture(tmp_path, "five9-wizard")
    assert run("AST-ACC-103", facts) == {"auth 300-iauth": FAIL, "auth 301-iauth": FAIL}
    assert facts.named("pjsip.auth", "300-iauth").secrets["password"].shared_group is not None
    srtp = {o.resource: o for o in registry.get("AST-SRTP-101")(facts)}
    assert {r: o.status for r, o in srtp.items()} == {"endpoint 300": FAIL, "endpoint 301": FAIL}
    assert (srtp["endpoint 300"].location.file, srtp["endpoint 300"].location.line) == ("pjsip_wizard.conf", 186)
    assert run("AST-ACC-102", facts) == {"endpoint 300": PASS, "endpoint 301": PASS}
    assert facts.named("pjsip.endpoint", "300").get("transport") == "0.0.0.0-tls"
    assert run("AST-TLS-101", facts) == {"transport 0.0.0.0-udp": FAIL, "transport 0.0.0.0-tls": PASS}
    assert not _problems(facts, "pjsip_wizard.conf")


def test_poetryphone_wizard_beside_hand_written_objects(tmp_path, run):
    facts = _fixture(tmp_path, "poetryphone")
    assert run("AST-SRTP-101", facts) == {"endpoint 6001": FAIL, "endpoint 1": FAIL, "endpoint twilio-na-us": FAIL}
    assert run("AST-ACC-101", facts) == {"endpoint 6001": FAIL, "endpoint 1": FAIL, "endpoint twilio-na-us": PASS}
    assert run("AST-ACC-103", facts) == {"auth 6001": FAIL, "auth 1-iauth": FAIL, "auth twilio-na-us-oauth": FAIL}
    assert run("AST-TLS-105", facts) == {"trunk endpoint twilio-na-us": FAIL}  # endpoint/transport=transport-udp
    assert facts.named("pjsip.identify", "twilio-na-us-identify").get("endpoint") == "twilio-na-us"
    assert facts.of_kind("pjsip.registration") == []  # sends_registrations = no
    [note] = _problems(facts, "pjsip_wizard.conf")
    assert note.note and note.line == 32 and "andpoint/allerid" in note.message


# -- hostile input -----------------------------------------------------------------------------------

def test_fuzzed_wizard_files_never_raise(tmp_path, registry):
    rng = random.Random(20261201)
    originals = {p.name: p.read_text() for d in ("poetryphone", "five9-wizard", "osaka-pbx")
                 for p in (FIXTURES / d).iterdir() if p.name.startswith("pjsip_wizard")}
    junk = ["type = wizard", "remote_hosts = ,,,", "sends_registrations = yes", "accepts_auth = yes",
            "sends_auth=yes", "outbound_auth/username=", "endpoint/", "[x](!)", "[y](x)", "${REMOTE_HOST}", "\x00"]
    checks = [c for c in registry.all() if "pjsip_wizard.conf" in c.meta.sources]
    for round_no in range(20):
        files = {name: mangle(text, rng, junk) for name, text in originals.items()}
        facts = collect_asterisk_tree(write_tree(tmp_path / f"r{round_no}", {**files, "pjsip.conf": TRANSPORTS}))
        msgspec.json.encode(facts).decode()
        for chk in checks:
            if all(facts.source_state(s)[0] in {"ok", "missing"} for s in chk.meta.sources):
                chk(facts)


def test_huge_remote_hosts_and_many_wizards_stay_bounded(tree):
    hosts = ",".join(f"h{i}" for i in range(1500))  # Asterisk skips lines over 8190 bytes
    started = time.perf_counter()
    facts = tree({"pjsip_wizard.conf": f"[t](!)\ntype=wizard\nsends_registrations=yes\nremote_hosts={hosts}\n"
                                       + "".join(f"[w{i}](t)\n" for i in range(200))})
    assert time.perf_counter() - started < 20
    assert len(facts.of_kind("pjsip.registration")) == 200 * MAX_REMOTE_HOSTS
    assert any(f"more than {MAX_REMOTE_HOSTS}" in p.message and p.is_gap for p in _problems(facts, "pjsip_wizard.conf"))
