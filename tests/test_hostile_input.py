"""Mangled and hostile configuration never crashes the parser, the facts or a check."""
from __future__ import annotations

import random

import msgspec

from tests.conftest import EXAMPLE, write_tree
from voxaudit.check import CheckContext
from voxaudit.collectors.offline import collect_asterisk_tree
from voxaudit.engine.collect import gc_paused

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


def test_fuzzed_hep_and_phoneprov_files_never_raise_and_stay_linear(tmp_path, registry):
    """The roots read since the example tree was fuzzed (hep.conf, phoneprov.conf, phoneprov_users.conf, with
    the http.conf and modules.conf they depend on): seeded mutations of Asterisk's own samples never make a
    reader or a control raise, each tree costs less than 50 clean reads, and a file 10x larger takes < ~15x longer."""
    import time

    fixtures = EXAMPLE.parent.parent / "tests" / "fixtures"
    originals = {
        "hep.conf": (fixtures / "hep" / "hep.conf.sample").read_text().replace("enabled = no", "enabled = yes"),
        "phoneprov.conf": (fixtures / "phoneprov" / "phoneprov.conf.sample").read_text(),
        "phoneprov_users.conf": "[6001]\nsecret = s3\nmacaddress = 0004f2aabbcc\nautoprov = yes\n",
        "http.conf": "[general]\nenabled=yes\nbindaddr=0.0.0.0\ntlsenable=yes\ntlsbindaddr=[::]:8089\n",
        "modules.conf": "[modules]\nautoload=yes\n",
    }
    checks = [registry.get(c) for c in ("ENC-SIG-101", "BAA-101", "DEV-PRV-101")]
    rng = random.Random(20261123)

    def read(files: dict[str, str], where: str) -> float:
        started = time.perf_counter()
        with gc_paused():  # as the engine collects (auditor/engine/collect.py): with the cyclic collector on, its
            facts = collect_asterisk_tree(write_tree(tmp_path / where, files))  # passes made 10x cost ~14x
        msgspec.json.encode(facts)
        for chk in checks:
            if not any(facts.source_state(s)[0] in {"error", "not_collected"} for s in chk.meta.sources):
                chk(facts, CheckContext(chk.defaults()))
        return time.perf_counter() - started

    # Bounded against the clean files' own time in the same run (a shared machine slows both alike): a mutation
    # that made a reader super-linear would cost far more than 50 clean reads.
    clean = min(read(originals, f"c{i}") for i in range(3))
    for round_no in range(40):
        files = {name: mangle(text, rng) if rng.random() < 0.6 else text for name, text in originals.items()}
        took = read(files, f"r{round_no}")
        assert took < 50 * clean + 1.0, (round_no, took, clean)
    unit = "".join(f"[{i}]\nsecret = s{i}\nmacaddress = 0004f2{i:06x}\nautoprov = yes\nk{i} = v\n" for i in range(2000))
    small = min(read({**originals, "phoneprov_users.conf": unit, "hep.conf": "[general]\n" + unit}, f"s{i}")
                for i in range(2))
    large = min(read({**originals, "phoneprov_users.conf": unit * 10, "hep.conf": "[general]\n" + unit * 10}, f"l{i}")
                for i in range(2))
    assert large < 15 * small + 0.05, (small, large)
