"""The layering that makes saved scans re-scorable: checks are pure, reports never collect."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from scripts import package_view
from tests.conftest import REPO

# Platforms whose remediation is given per vendor rather than under the platform's own name.
REMEDIATION_KEYS = {"phone": {"yealink", "polycom", "grandstream", "cisco-spa"}, "switch": {"ios", "eos", "aos-s"}}
# Platforms whose checks each concern some of their flavors: every check names at least one, and no other.
SOME_OF = {"mdm": {"ios", "android", "intune"}}
FORBIDDEN_CALLS = {"open", "exec", "eval", "__import__", "compile", "input"}


def test_import_contracts_hold():
    exe = Path(sys.executable).parent / "lint-imports"
    view = package_view.build()  # grimp reads the voxaudit package from a folder, not from the mapping
    proc = subprocess.run([str(exe), "--config", str(REPO / "pyproject.toml"), "--no-cache"], cwd=REPO,
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(view)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "broken" not in proc.stdout.lower().replace("0 broken", "")


def test_checks_make_no_io_calls():
    for path in sorted((REPO / "checks").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno} calls {node.func.id}()"
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                for n in names:
                    assert n.split(".")[0] not in {"os", "pathlib", "io", "socket", "subprocess", "requests"}, \
                        f"{path.name}:{node.lineno} imports {n}"


def test_every_check_has_metadata_and_tests(registry):
    tests_text = "\n".join(p.read_text() for p in (REPO / "tests" / "checks").glob("test_*.py"))
    for chk in registry.all():
        m = chk.meta
        assert m.title and m.rationale and m.hipaa, m.id
        for platform in m.platforms:
            if platform in SOME_OF:
                assert m.remediation and set(m.remediation) <= SOME_OF[platform], m.id
                continue
            needed = REMEDIATION_KEYS.get(platform, {platform})
            assert needed <= set(m.remediation), f"{m.id}: remediation for {sorted(needed - set(m.remediation))}"
        assert all(h.startswith(("164.", "NPRM-")) for h in m.hipaa), m.id
        assert m.id in tests_text or any(a in tests_text for a in m.all_aliases()), f"{m.id} has no unit test in tests/checks/"


def test_builtin_pack_is_discovered_through_the_entry_point_group(registry):
    from importlib.metadata import entry_points
    assert "voxaudit.checks" in {ep.value for ep in entry_points(group="voxaudit.checks")}
    assert all(origin.startswith("entry point builtin") for origin in registry.origins.values())


def test_duplicate_check_ids_are_refused(tmp_path):
    import pytest

    from voxaudit.registry import RegistryError, load_registry
    (tmp_path / "dup.py").write_text(
        "from voxaudit.check import check\n"
        "@check(id='AST-VM-101', title='t', severity='low', hipaa=['164.312(d)'], area='access',\n"
        "       platforms=['asterisk'], rationale='r', remediation={'asterisk': 'x'})\n"
        "def f(facts, ctx):\n    return []\n")
    with pytest.raises(RegistryError, match="defined twice"):
        load_registry([tmp_path])
