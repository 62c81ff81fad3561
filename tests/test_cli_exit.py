"""The fast paths of a scan give the same answers as the plain ones.

* The ``voxaudit`` process ends with ``os._exit`` once its reports are written (``cli.common.leave``):
  the gate's exit code, everything on standard output and the exit handlers must survive that.
* ``describe_secret`` counts character classes with set tests for ASCII and ``str``'s own predicates
  otherwise: both must agree with the predicates, character by character.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from voxaudit.secretinfo import describe_secret

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "riverside-family-clinic"

DRIVER = """
import atexit, sys
from pathlib import Path
marker = Path(sys.argv[1])
atexit.register(lambda: marker.write_text("ran"))
sys.argv = ["voxaudit", *sys.argv[2:]]
from voxaudit.cli import main
main()
"""


def test_cli_process_keeps_gate_code_output_and_exit_handlers(tmp_path: Path) -> None:
    marker = tmp_path / "atexit"
    env = {**os.environ, "HOME": str(tmp_path), "VOXAUDIT_HISTORY": str(tmp_path / "history.sqlite")}
    proc = subprocess.run([sys.executable, "-c", DRIVER, str(marker), "scan", "--config-dir", str(EXAMPLE),
                           "-o", "-", "-f", "json", "--fail-on", "high", "--no-history", "-q"],
                          capture_output=True, env=env, timeout=120, check=False)
    assert proc.returncode == 1, proc.stderr.decode()[-500:]  # the demo has high findings: the gate fails
    doc = json.loads(proc.stdout)  # the whole document, flushed before the process ended
    assert doc["results"] and doc["scores"]["counts"]["FAIL"] > 0
    assert marker.read_text() == "ran"  # exit handlers (logging's, an embedder's) still run


def test_in_process_invocation_returns(tmp_path: Path) -> None:
    """Through click's runner (tests, programs calling the group) the scan returns an exit code: it
    must not end the calling process."""
    from click.testing import CliRunner

    from voxaudit.cli.app import cli

    result = CliRunner().invoke(cli, ["scan", "--config-dir", str(EXAMPLE), "-o", str(tmp_path / "out"),
                                      "-f", "json", "--no-history", "-q", "--fail-on", "high"],
                                env={"HOME": str(tmp_path)})
    assert result.exit_code == 1
    assert (tmp_path / "out" / "scan.json").is_file()


def _reference_classes(value: str) -> int:
    return sum([any(c.islower() for c in value), any(c.isupper() for c in value),
                any(c.isdigit() for c in value), any(not c.isalnum() for c in value)])


@pytest.mark.parametrize("value", [
    "abc", "ABC", "123456", "a1", "Aa1!", "pass word", "Pw3f2aZq12", "Pässwörd1", "ПАРОЛЬ", "пароль9",
    "\u0345x", "\u00aa", "\u00b2\u00b3", "\u0663\u0664\u0665", "ǅ", "x\u200b", "日本語123", "!@#",
])
def test_char_classes_match_str_predicates(value: str) -> None:
    assert describe_secret(value).char_classes == _reference_classes(value)


@pytest.mark.parametrize(("value", "sequential"), [
    ("123", True), ("0123456789", True), ("9876543210", True), ("210", True), ("12", False),
    ("1234567890", False), ("7890", False), ("135", False), ("\u0663\u0664\u0665", True), ("\u0665\u0664\u0663", True),
])
def test_sequential_pins(value: str, sequential: bool) -> None:
    assert (describe_secret(value, identity="999999").weakness == "sequential") is sequential
