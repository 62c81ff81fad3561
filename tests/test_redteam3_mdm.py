"""Red team, round 3: hostile MDM policy files (auditor.parsers.mdm_profile, auditor.facts.mdm).

Each failed before its fix: a binary plist referencing one entry from every slot of a shared list built a
settings object per reference (a million from a few kilobytes); a long string of escaped quotes in a JSON
policy took seconds to index for line numbers; a DDM passcode declaration holding any unknown key read as
"a passcode is required"; the type of a legacy declaration was quoted in the warning."""
from __future__ import annotations

import json
import plistlib
import time
from pathlib import Path

from voxaudit.facts.mdm import MAX_OBJECTS, build_mdm_facts

CANARY = "CANARY-7f3a9c"


def _facts(tmp_path: Path, name: str, data: bytes):
    (tmp_path / name).write_bytes(data)
    return build_mdm_facts(tmp_path)


def _messages(facts) -> list[str]:
    return [p.message for c in facts.configs.values() for p in c.problems]


def test_shared_references_in_a_binary_plist_do_not_multiply_objects(tmp_path: Path) -> None:
    entry = {"BundleIdentifier": "com.example.phone", "NotificationsEnabled": True, "ShowInLockScreen": False}
    payload = {"PayloadType": "com.apple.notificationsettings", "NotificationSettings": [entry] * 200}
    data = plistlib.dumps({"PayloadType": "Configuration", "PayloadContent": [payload] * 200},
                          fmt=plistlib.FMT_BINARY)
    assert len(data) < 20_000  # 40,000 entries from a few kilobytes
    facts = _facts(tmp_path, "bomb.mobileconfig", data)
    assert len(facts.objects) <= MAX_OBJECTS
    gaps = [p for c in facts.configs.values() for p in c.problems if not p.fatal and not p.note]
    assert any(f"more than {MAX_OBJECTS}" in p.message for p in gaps)


def test_a_json_policy_of_escaped_quotes_is_indexed_in_linear_time(tmp_path: Path) -> None:
    policy = {"name": "enterprises/x/policies/p", "passwordRequirements": {"passwordQuality": "NUMERIC"},
              "maximumTimeToLock": "60000", "note": '"' * 1_000_000}
    started = time.perf_counter()
    facts = _facts(tmp_path, "policy.json", json.dumps(policy).encode())
    assert time.perf_counter() - started < 3
    passcode = next(o for o in facts.objects if o.kind == "mdm.passcode")
    assert passcode.settings["max_inactivity_minutes"][0].line == 1


def test_an_unknown_key_in_a_passcode_declaration_is_a_gap_not_a_passcode(tmp_path: Path) -> None:
    decl = {"Type": "com.apple.configuration.passcode.settings", "Identifier": "p",
            "Payload": {"MinimumLenght": 6, "RequirePasscode": False}}
    facts = _facts(tmp_path, "passcode.json", json.dumps(decl, indent=1).encode())
    passcode = next(o for o in facts.objects if o.kind == "mdm.passcode")
    assert passcode.settings["required"][0].value == "no"
    assert any("MinimumLenght" in m and "no passcode setting" in m for m in _messages(facts))


def test_a_known_key_still_implies_a_passcode(tmp_path: Path) -> None:
    decl = {"Type": "com.apple.configuration.passcode.settings", "Identifier": "p", "Payload": {"MinimumLength": 6}}
    facts = _facts(tmp_path, "passcode.json", json.dumps(decl, indent=1).encode())
    passcode = next(o for o in facts.objects if o.kind == "mdm.passcode")
    assert passcode.settings["required"][0].value == "yes"
    assert not _messages(facts)


def test_a_legacy_declaration_type_is_not_quoted(tmp_path: Path) -> None:
    decl = {"Type": f"com.apple.configuration.legacy.{CANARY}", "Identifier": "x", "Payload": {}}
    facts = _facts(tmp_path, "legacy.json", json.dumps(decl).encode())
    messages = _messages(facts)
    assert any("com.apple.configuration.legacy" in m for m in messages)
    assert not any(CANARY in m for m in messages)
