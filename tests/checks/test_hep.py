"""res_hep (hep.conf): copies of every SIP message sent as HEPv3 over UDP to a capture server, judged by
BAA-101 (the server receives PHI) and ENC-SIG-101 (the copies travel in clear), with res_hep.c's own
rules (aco_option_register: enabled defaults to yes, capture_address required, nothing else accepted)."""
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import scan_secret_free
from voxaudit.model import Status
from voxaudit.records.recipients import REGISTER_PARAM, register_value

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hep"
FAIL, PASS, ERROR = Status.FAIL, Status.PASS, Status.ERROR
CANARY = "Hep-Canary-4Rz8pQ"
AUTOLOAD = "[modules]\nautoload=yes\nnoload => chan_sip.so\n"
HOMER = "homer.capture-vendor.example"
SENDING = f"[general]\nenabled = yes\ncapture_address = {HOMER}:9060\ncapture_password = {CANARY}\ncapture_id = 7\n"


def hep(result: dict[str, Status]) -> dict[str, Status]:
    """The HEP resources of a control's results (its other bindings answer too)."""
    return {k: v for k, v in result.items() if "HEP" in k}


def register(*covers: str) -> str:
    return register_value([{"vendor": "Capture Co", "covers": list(covers), "baa_signed": date(2026, 1, 1),
                            "baa_expires": date(2027, 1, 1)}], date(2026, 11, 23))


def test_the_asterisk_sample_sends_nothing(tree, run):
    """Asterisk's own hep.conf.sample switches forwarding off (enabled = no): no capture server, no copies."""
    facts = tree({"hep.conf": (FIXTURES / "hep.conf.sample").read_text(), "modules.conf": AUTOLOAD})
    assert facts.first("hep.general") is not None and "capture_password" in facts.first("hep.general").secrets
    assert hep(run("ENC-SIG-101", facts)) == {}
    assert hep(run("BAA-101", facts)) == {}


def test_a_hosted_capture_server_receives_plaintext_copies_and_needs_a_baa(tree, run):
    facts = tree({"hep.conf": SENDING, "modules.conf": AUTOLOAD})
    assert hep(run("ENC-SIG-101", facts)) == {f"HEP copies to {HOMER}": FAIL}
    resource = f"{HOMER} (SIP capture server (HEP))"
    assert hep(run("BAA-101", facts)) == {resource: ERROR}  # no register given: unknown, never PASS
    assert hep(run("BAA-101", facts, **{REGISTER_PARAM: register("sip-trunk.example")})) == {resource: FAIL}
    assert hep(run("BAA-101", facts, **{REGISTER_PARAM: register("*.capture-vendor.example")})) == {resource: PASS}


def test_enabled_is_yes_when_unset_as_res_hep_registers_it(tree, run):
    facts = tree({"hep.conf": SENDING.replace("enabled = yes\n", ""), "modules.conf": AUTOLOAD})
    assert hep(run("ENC-SIG-101", facts)) == {f"HEP copies to {HOMER}": FAIL}


def test_a_capture_agent_on_this_host_is_no_outside_party(tree, run):
    facts = tree({"hep.conf": SENDING.replace(f"{HOMER}:9060", "127.0.0.1:9060"), "modules.conf": AUTOLOAD})
    assert hep(run("ENC-SIG-101", facts)) == {"HEP copies to 127.0.0.1": PASS}  # loopback
    assert hep(run("BAA-101", facts)) == {}


@pytest.mark.parametrize("change, why", [
    (("enabled = yes", "enabled = no"), "forwarding switched off"),
    (("enabled = yes", "enabled = maybe"), "not ast_true(): off"),
    ((f"capture_address = {HOMER}:9060\n", ""), "enabled without capture_address: the module declines"),
    (("capture_id = 7", "capture_id = seven"), "capture_id is not a number: the file is refused"),
    (("capture_id = 7", "capture_id = 7\nuuid_type = callid"), "uuid_type is neither call-id nor channel"),
    (("capture_id = 7", "capture_id = 7\ncapture_port = 9060"), "an option res_hep does not know: refused"),
    (("capture_id = 7", "capture_id = 7\n[homer2]\ncapture_address = 203.0.113.9:9060"),
     "a second section: the configuration framework refuses the file"),
])
def test_what_res_hep_refuses_or_switches_off_sends_nothing(tree, run, change, why):
    facts = tree({"hep.conf": SENDING.replace(*change), "modules.conf": AUTOLOAD})
    assert hep(run("ENC-SIG-101", facts)) == {}, why
    assert hep(run("BAA-101", facts)) == {}, why


@pytest.mark.parametrize("modules, sends", [
    (AUTOLOAD + "noload => res_hep.so\n", False),
    (AUTOLOAD + "noload => res_hep_pjsip.so\nnoload => res_hep_rtcp.so\n", False),  # res_hep alone sends nothing
    (AUTOLOAD + "noload => res_hep_rtcp.so\n", True),
    ("[modules]\nautoload=no\nload => res_hep.so\nload => res_hep_pjsip.so\n", True),
    ("[modules]\nautoload=no\nload => res_hep.so\n", False),
])
def test_modules_conf_decides_whether_copies_are_sent(tree, run, modules, sends):
    facts = tree({"hep.conf": SENDING, "modules.conf": modules})
    assert bool(hep(run("ENC-SIG-101", facts))) is sends


def test_the_capture_password_is_a_secret_never_written(tmp_path):
    """capture_password is sent in every HEP packet, so it is a secret: kept as its shape, never its value."""
    root = tmp_path / "etc" / "asterisk"
    root.mkdir(parents=True)
    (root / "hep.conf").write_text(SENDING)
    (root / "modules.conf").write_text(AUTOLOAD)
    doc = scan_secret_free(root, tmp_path / "out", "json,sarif,html", CANARY)
    assert any(r["check_id"] == "ENC-SIG-101" and r["resource"] == f"HEP copies to {HOMER}" for r in doc["results"])


def test_the_patch_switches_forwarding_off(tmp_path):
    """voxaudit fix writes hep.conf's own line (enabled=no); the rescan has no copies left to judge."""
    from tests.test_fix import round_trip

    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "hep.conf").write_text(SENDING)
    (tree / "modules.conf").write_text(AUTOLOAD)
    (tmp_path / "work").mkdir()
    manifest, _ = round_trip(tree, "asterisk", tmp_path / "work", extra_secrets=(CANARY,))
    patched = {(o["check_id"], o["resource"]) for o in manifest["findings"] if o["outcome"] == "patch"}
    assert ("ENC-SIG-101", f"HEP copies to {HOMER}") in patched
    assert "enabled=no" in (tree / "hep.conf").read_text().replace(" ", "")


def test_a_file_res_hep_refuses_is_said_in_a_note_naming_the_key(tree):
    """Understood (nothing is sent), and visible: one note naming the first section or key the framework stops
    at, never a value; a file of many unknown keys gives one note, not one each."""
    facts = tree({"hep.conf": SENDING + f"capture_port = {CANARY}\nuuid_type = {CANARY}\n[homer2]\nenabled = yes\n",
                  "modules.conf": AUTOLOAD})
    notes = [p for p in facts.configs["hep.conf"].problems if p.note]
    assert [p.message.split(":")[0] for p in notes] == ["[general] capture_port"]
    assert "res_hep refuses hep.conf" in notes[0].message and CANARY not in notes[0].message
    assert not any(p.is_gap for p in facts.configs["hep.conf"].problems)
    assert not any(p.note for p in tree({"hep.conf": SENDING}).configs["hep.conf"].problems)
    section = tree({"hep.conf": "[homer]\nenabled = yes\n[general]\nenabled = yes\n"}).configs["hep.conf"].problems
    assert [p.message.split(":")[0] for p in section if p.note] == ["[homer]"]
    many = tree({"hep.conf": "[general]\n" + "".join(f"k{i} = {CANARY}\n" for i in range(20000))})
    assert len([p for p in many.configs["hep.conf"].problems if p.note]) == 1
