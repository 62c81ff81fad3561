"""Red team, round 2: what people write beside the configurations. A BAA register whose pattern covers
the whole Internet turned every PHI recipient into a PASS; an SNMPv3 passphrase shorter than RFC 3414
allows made the target a "bug" mid-probe. Both are now one clear error naming the key, never the value."""
from __future__ import annotations

import pytest

from voxaudit.collectors.offline import CollectionError
from voxaudit.inventory import InventoryError, load_baa_register
from voxaudit.targets import Target

CANARY = "CANARY-7f3a9c"


@pytest.mark.parametrize("pattern", ["0.0.0.0/0", "::/0", "0.0.0.0/1", "*.com", "10.0.0.0/33", f"{CANARY}/8"])
def test_a_register_pattern_covering_everything_is_refused(tmp_path, pattern):
    path = tmp_path / "baa.yaml"
    path.write_text(f'business_associates:\n  - vendor: X\n    covers: ["{pattern}"]\n    baa_signed: 2025-01-01\n')
    with pytest.raises(InventoryError) as err:
        load_baa_register(path)
    message = str(err.value)
    assert "baa.yaml:3" in message and "covers" in message and pattern not in message and CANARY not in message


@pytest.mark.parametrize("pattern", ["*.twilio.com", "203.0.113.0/24", "10.0.0.0/8", "2001:db8::/32", "twilio.com",
                                     "198.51.100.7"])
def test_real_register_patterns_are_kept(tmp_path, pattern):
    path = tmp_path / "baa.yaml"
    path.write_text(f'business_associates:\n  - vendor: X\n    covers: ["{pattern}"]\n    baa_signed: 2025-01-01\n')
    (entry,) = load_baa_register(path)
    assert entry.covers == (pattern,)


def test_a_short_snmpv3_passphrase_is_an_auth_error_before_anything_is_sent(monkeypatch):
    pytest.importorskip("pysnmp")
    from voxaudit.collectors.snmp import probe

    monkeypatch.setenv("RT2_AUTH", "short")
    monkeypatch.setenv("RT2_PRIV", CANARY)
    target = Target.validate({"name": "sw", "platform": "snmp", "address": "127.0.0.1", "snmp": {
        "port": 9, "timeout": 0.2, "users": [{"username": "u", "auth": "env:RT2_AUTH", "priv": "env:RT2_PRIV"}]}},
        inventory=True)
    with pytest.raises(CollectionError) as err:
        probe(target.source)
    assert err.value.kind == "auth" and "users[0].auth" in str(err.value)
    assert "short" not in str(err.value).replace("shorter", "") and CANARY not in str(err.value)


def test_a_merge_key_cannot_hide_a_target(tmp_path):
    """``<<: {targets: [...]}`` beside ``targets:``: PyYAML keeps the written key and drops the merged
    targets without a word (the duplicate-key guard let ``<<`` through)."""
    from voxaudit.inventory import load_inventory

    (tmp_path / "pbx").mkdir()
    path = tmp_path / "inv.yaml"
    path.write_text("clinics:\n  - name: C\n    sites:\n      - name: Main\n"
                    "        <<: {targets: [{name: hidden, platform: asterisk, config_dir: pbx}]}\n"
                    "        targets: [{name: shown, platform: asterisk, config_dir: pbx}]\n")
    with pytest.raises(InventoryError) as err:
        load_inventory(path)
    assert "inv.yaml:5" in str(err.value) and "merge keys" in str(err.value)
