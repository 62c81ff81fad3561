"""No secret, PIN or PHI of the example clinic appears in any output format."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from tests.conftest import EXAMPLE

ETC = EXAMPLE / "etc" / "asterisk"


def known_secrets() -> set[str]:
    found: set[str] = set()
    for path in ETC.iterdir():
        text = path.read_text()
        found |= set(re.findall(r"^\s*(?:password|secret)\s*=\s*(\S+)", text, re.M))
        found |= set(re.findall(r"/[^/:\s]+:([^@\s:/]+)@", text))  # TECH/user:password@host in dial strings
    vm = (ETC / "voicemail.conf").read_text()
    found |= {pin for box, pin in re.findall(r"^(\d+) => (\d*),", vm, re.M) if pin and pin != box}
    # Short PINs (e.g. 1234) also appear as ordinary numbers; judge those through the facts test below.
    # "password" (extension 113's password) is also an option name and an English word in every report.
    return {s for s in found if len(s) >= 6 and s != "password"}


PHI = ["Jane Patient", "Robert Example", "Maria Sample", "Tom Placeholder", "2125550147", "2125550163"]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("out")
    exe = Path(sys.executable).parent / "voxaudit"
    proc = subprocess.run([str(exe), "scan", "--config-dir", str(EXAMPLE), "-f", "all", "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    files = {p.name: p.read_text() for p in out.iterdir()}
    files["<stdout>"] = proc.stdout
    files["<stderr>"] = proc.stderr
    return files


def test_the_example_has_secrets_to_find():
    secrets = known_secrets()
    assert {"amp111", "Annex-Tr4nk-7731", "739184", "Wb-9fT2qLx8Rz4Nc7Vm"} <= secrets


def test_no_secret_in_any_output(outputs):
    secrets = known_secrets()
    for name, text in outputs.items():
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, f"{name} leaks {leaked}"


def test_no_phi_from_the_spool_in_any_output(outputs):
    for name, text in outputs.items():
        assert not [p for p in PHI if p in text], name


def test_facts_hold_no_secret_values():
    from voxaudit.collectors.offline import collect_asterisk_tree
    text = msgspec.json.encode(collect_asterisk_tree(EXAMPLE)).decode()
    for s in known_secrets() | {"4826", "1234", "000000"}:
        assert f'"{s}"' not in text and f"={s}" not in text, s
    assert "<redacted>" in text  # the IAX2 dial string kept its shape, not its password


def test_a_check_that_raises_never_quotes_its_exception_message():
    """A check's exception may quote a configuration value; the ERROR names the type and place only."""
    from voxaudit.check import check
    from voxaudit.engine.evaluate import evaluate_target
    from voxaudit.facts.asterisk import AsteriskFacts
    from voxaudit.scan import TargetRecord

    @check(id="TST-RAISE-101", title="raises", severity="low", hipaa=["164.312(d)"], area="access",
           platforms=["asterisk"], rationale="test", remediation={"asterisk": "none"})
    def raises(facts, ctx):
        int("Canary-S3cr3t-9f2")
        yield

    [result] = evaluate_target(TargetRecord(name="pbx", platform="asterisk", facts=AsteriskFacts()), [raises], {})
    assert result.status.value == "ERROR" and result.evidence.startswith("check raised ValueError at ")
    assert "Canary" not in result.evidence
