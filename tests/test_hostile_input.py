"""Mangled and hostile configuration never crashes the parser, the facts or a check."""
from __future__ import annotations

import random

import msgspec

from tests.conftest import EXAMPLE, write_tree
from voxaudit.check import CheckContext
from voxaudit.collectors.offline import collect_asterisk_tree

ETC = EXAMPLE / "etc" / "asterisk"
JUNK = ["[", "]", "(", ")", "(!)", "(+)", "=", "=>", "+=", ";--", "--;", "\\", "#include", "#include *",
        "#tryinclude ../../../../etc/passwd", "#exec rm -rf /", "\x00", "\ufffd", "[x](nosuch)", ",,,,", "|||",
        "${VM_CALLERID}", "@", "exten => ", "same => n,", "VoiceMailMain(", "a" * 5000]


def mangle(text: str, rng: random.Random, junk: list[str] = JUNK) -> str:
    lines = text.splitlines()
    for _ in range(rng.randint(1, 12)):
        i = rng.randrange(len(lines) + 1)
        op = rng.random()
        if op < 0.4:
            lines.insert(i, rng.choice(junk))
        elif op < 0.7 and lines:
            j = min(i, len(lines) - 1)
            k = rng.randrange(len(lines[j]) + 1)
            lines[j] = lines[j][:k] + rng.choice(junk) + lines[j][k:]
        elif lines:
            del lines[min(i, len(lines) - 1)]
    return "\n".join(lines)


def test_fuzzed_example_trees_never_raise(tmp_path, registry):
    rng = random.Random(20261122)
    originals = {p.name: p.read_text() for p in ETC.iterdir()}
    checks = [c for c in registry.all() if "asterisk" in c.meta.platforms]
    for round_no in range(25):
        files = {name: (mangle(text, rng) if rng.random() < 0.5 and text.strip() else text)
                 for name, text in originals.items()}
        root = write_tree(tmp_path / f"r{round_no}", files)
        facts = collect_asterisk_tree(root)
        msgspec.json.encode(facts).decode()
        for chk in checks:
            states = [facts.source_state(s)[0] for s in chk.meta.sources]
            if any(st in {"error", "not_collected"} for st in states):
                continue  # the runner reports these as ERROR without calling the check
            chk(facts, CheckContext(chk.defaults()))


def test_include_outside_tree_and_exec_are_harmless(tmp_path):
    root = write_tree(tmp_path, {"extensions.conf": "[x]\n#tryinclude /etc/shadow-does-not-exist\n#exec /bin/false\n"})
    facts = collect_asterisk_tree(root)
    assert facts.configs["extensions.conf"].fatal_problem is None


SWITCH_JUNK = ["interface", "interface Vlan", "vlan", "vlan 99999", "   untagged 1-99999999", "   tagged A1-B9,,",
               " switchport voice vlan", " switchport voice vlan abc", " switchport trunk native vlan",
               "snmp-server community", 'snmp-server community "', "snmpv3 user", "line vty", " transport input",
               "logging", "end", "exit", "\t\t", "!", "\ufffd", "a" * 5000]


def test_fuzzed_switch_configs_never_raise(tmp_path, registry):
    from tests.checks.test_switches import FIXTURES
    from voxaudit.collectors.offline import collect_switch_configs

    rng = random.Random(20261123)
    originals = {f"{d}-{p.name}": p.read_text() for d in ("weak", "hardened") for p in (FIXTURES / d).iterdir()}
    checks = [c for c in registry.all() if "switch" in c.meta.platforms]
    for round_no in range(25):
        files = {name: mangle(text, rng, SWITCH_JUNK) for name, text in originals.items()}
        facts = collect_switch_configs(write_tree(tmp_path / f"r{round_no}", files))
        msgspec.json.encode(facts).decode()
        for chk in checks:
            if facts.source_state("running-config")[0] == "ok":
                chk(facts, CheckContext(chk.defaults()))
