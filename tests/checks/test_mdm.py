"""MDM-*: Apple configuration profiles (XML, binary, CMS-signed), Android Management API and
Intune policy exports, weak and hardened (fixtures in tests/fixtures/mdm/)."""
from __future__ import annotations

import datetime
import json
import plistlib
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import statuses
from voxaudit.collectors.offline import collect_mdm_policies
from voxaudit.model import Status

FAIL, PASS, NA = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mdm"
IOS = "clinic-iphones.mobileconfig"


def sign_profile(raw: bytes) -> bytes:
    """A CMS SignedData profile, as MDM servers and Apple Configurator export them."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs7
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Riverside Clinic MDM")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    return (pkcs7.PKCS7SignatureBuilder().set_data(raw).add_signer(cert, key, hashes.SHA256())
            .sign(serialization.Encoding.DER, []))


def test_weak_policies_name_every_weakness(run, registry):
    facts = collect_mdm_policies(FIXTURES / "weak")
    # NTF-PHI-105 judges the listed apps together (the list is a profile parameter): one finding naming
    # every unmanaged app; the managed ones are not named.
    assert run("MDM-NTF-101", facts) == {"ios notification settings": FAIL}
    missing = registry.get("MDM-NTF-101")(facts)[0].evidence
    for app in ("com.apple.MobileSMS", "com.microsoft.skype.teams", "com.cisco.squared", "com.counterpath.bria"):
        assert app in missing
    for app in ("com.glip.mobile", "com.apple.mobilephone", "us.zoom.videomeetings"):
        assert app not in missing
    assert statuses(run("MDM-NTF-102", facts), FAIL) == {
        f"app com.glip.mobile ({IOS})", f"app com.apple.mobilephone ({IOS})",
        "app us.zoom.videomeetings (intune-ios-app-notifications.json)"}
    assert run("MDM-NTF-103", facts) == {"policy android-work-profile.json": FAIL}
    assert statuses(run("MDM-ACC-101", facts), FAIL) == {f"ios passcode ({IOS})",
                                                         "android passcode (android-work-profile.json)"}
    assert set(run("MDM-ACC-102", facts).values()) == {FAIL}


def test_evidence_points_at_the_key(registry):
    facts = collect_mdm_policies(FIXTURES / "weak")
    out = registry.get("MDM-NTF-102")(facts)
    glip = next(o for o in out if "com.glip.mobile" in o.resource)
    assert glip.location.line == 15 and "preview always" in glip.evidence
    passcode = next(o for o in registry.get("MDM-ACC-101")(facts) if o.resource.startswith("ios"))
    assert passcode.location.line == 51 and "minLength = 4" in passcode.evidence


def test_hardened_policies_pass_also_when_signed_or_binary(tmp_path, run, registry):
    root = tmp_path / "mdm"
    shutil.copytree(FIXTURES / "hardened", root)
    xml = (root / IOS).read_bytes()
    (root / IOS).write_bytes(sign_profile(xml))
    (root / "binary.mobileconfig").write_bytes(plistlib.dumps(plistlib.loads(xml), fmt=plistlib.FMT_BINARY))
    facts = collect_mdm_policies(root)
    profile = facts.named("mdm.profile", IOS)
    assert profile.get("signed") == "yes" and "Riverside Clinic MDM" in profile.get("signer")
    for cid in [i for i in registry.known_ids() if i.startswith("MDM-")]:
        result = run(cid, facts)
        assert FAIL not in result.values(), (cid, result)
    assert run("MDM-NTF-103", facts) == {"policy android-work-profile.json": PASS}


def test_app_list_is_a_profile_parameter(run):
    facts = collect_mdm_policies(FIXTURES / "weak")
    assert run("MDM-NTF-101", facts, softphone_apps=["com.glip.mobile"]) == {"ios notification settings": PASS}
    assert run("MDM-NTF-101", facts, softphone_apps=["com.glip.mobile", "com.example.softphone"]) == {
        "ios notification settings": FAIL}


def test_malformed_policies_error_with_file_and_line(tmp_path):
    root = tmp_path / "mdm"
    shutil.copytree(FIXTURES / "hardened", root)
    good = (FIXTURES / "weak" / IOS).read_text().splitlines()
    (root / "cut.mobileconfig").write_text("\n".join(good[:30]) + "\n")  # export cut short
    (root / "broken.json").write_text('{\n  "keyguardDisabledFeatures": ["CAMERA",\n  "maximumTimeToLock": 1\n}\n')
    (root / "bad-signature.mobileconfig").write_bytes(b"\x30\x82\x01\x00garbage")
    exe = Path(sys.executable).parent / "voxaudit"
    out = tmp_path / "out"
    proc = subprocess.run([str(exe), "scan", "--config-dir", str(root), "--platform", "mdm", "-o", str(out), "-q",
                           "-f", "json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    doc = json.loads((out / "scan.json").read_text())
    errors = {r["resource"]: r["evidence"] for r in doc["results"] if r["status"] == "ERROR"}
    assert errors["policy cut.mobileconfig"].startswith("cut.mobileconfig:31: malformed property list")
    assert errors["policy broken.json"].startswith("broken.json:3: malformed JSON")
    assert errors["policy bad-signature.mobileconfig"].startswith("bad-signature.mobileconfig:0: signed profile")
    assert any(r["status"] == "PASS" and (r.get("alias") or r["check_id"]) == "MDM-NTF-103" for r in doc["results"])


def test_a_folder_without_any_policy_export_is_not_read_as_empty(tmp_path, registry):
    """Files that are none of the policy formats (a PBX tree given as --platform mdm): one gap, and
    every check ERROR (coverage drops), never NOT_APPLICABLE as if the clinic had no phones."""
    (tmp_path / "etc").mkdir()
    for name in ("voicemail.conf", "pjsip.conf", "README"):
        (tmp_path / "etc" / name).write_text("[general]\nx=1\n")
    facts = collect_mdm_policies(tmp_path)
    gaps = [p for cf in facts.configs.values() for p in cf.problems if p.is_gap]
    assert len(gaps) == 1 and "3 file(s) here, none of them an MDM policy export" in gaps[0].message
    from voxaudit.engine.evaluate import evaluate_target
    from voxaudit.scan import TargetRecord
    chk = registry.get("MDM-NTF-102")
    results = evaluate_target(TargetRecord(name="t", platform="mdm", facts=facts), [chk], chk.defaults())
    assert results and {r.status for r in results} == {Status.ERROR}
    empty = tmp_path / "empty"
    empty.mkdir()
    (problem,) = [p for cf in collect_mdm_policies(empty).configs.values() for p in cf.problems]
    assert problem.fatal and "holds no file at all" in problem.message  # nothing there: nothing to audit (exit 3)
