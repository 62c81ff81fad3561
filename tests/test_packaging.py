"""Packaging: the wheel carries the license and the package data, every third-party import is
declared, and the slim install (no extras) audits files without loading the live stack, while a
live target without it ends as an ERROR naming the extra.

The wheel is built offline (no build isolation, no index) with the setuptools of this venv."""
from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import pytest

from voxaudit import extras

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PACKAGES = ("auditor", "checks", "reports", "profiles")  # the repository's folders
# Where each folder is in the wheel: one import name, voxaudit (pyproject.toml [tool.setuptools]).
IN_WHEEL = {"auditor": "voxaudit", "checks": "voxaudit/checks", "reports": "voxaudit/reports",
            "profiles": "voxaudit/profiles"}
EXAMPLE = ROOT / "examples" / "riverside-family-clinic"
# SHA-256 of the official text (https://www.apache.org/licenses/LICENSE-2.0.txt; Debian's
# /usr/share/common-licenses/Apache-2.0 is the same file).
APACHE_2_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"

# Modules whose code may import an extra's libraries (inside functions only: the module itself is
# imported by the offline path too). Everything else may use the base dependencies alone.
MODULE_EXTRAS = {
    "auditor/collectors/": {"live"},
    "auditor/credentials.py": {"live", "distributed"},  # keyring: references
    "auditor/engine/broker.py": {"distributed"},
    "auditor/history.py": {"distributed"},  # the PostgreSQL store
}
# What the slim-install subprocesses refuse to import: every optional library, with the main
# dependencies they would drag in.
BLOCKED = sorted(set().union(*(set(m) for m in extras.EXTRAS.values()))
                 | {"textfsm", "bcrypt", "nacl", "pyasn1", "billiard", "amqp"})


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(req: str) -> str:
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
    assert m, req
    return _norm(m.group(1))


def _declared() -> dict[str, set[str]]:
    """extra name ("base" for the dependencies) -> normalised distribution names."""
    project = PYPROJECT["project"]
    out = {"base": {_requirement_name(r) for r in project["dependencies"]}}
    for extra, reqs in project.get("optional-dependencies", {}).items():
        out[extra] = {_requirement_name(r) for r in reqs}
    return out


# ---- license and metadata ---------------------------------------------------------------------

def test_license_file_is_the_official_apache_2_text():
    assert hashlib.sha256((ROOT / "LICENSE").read_bytes()).hexdigest() == APACHE_2_SHA256


def test_pyproject_declares_an_spdx_license_expression():
    project = PYPROJECT["project"]
    assert project["license"] == "Apache-2.0"  # PEP 639: a string, not a table
    assert project["license-files"] == ["LICENSE"]
    assert not any(c.startswith("License ::") for c in project.get("classifiers", [])), \
        "PEP 639 forbids license classifiers next to a license expression"
    floor = next(r for r in PYPROJECT["build-system"]["requires"] if _requirement_name(r) == "setuptools")
    assert tuple(int(p) for p in re.findall(r"\d+", floor)[:2]) >= (77, 0), floor


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """The wheel, built from a copy of the source (so no build/ or egg-info lands in the checkout)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, src / pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                           "--disable-pip-version-check", "-q", "-w", str(out), str(src)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"pip wheel failed (setuptools >= 77 needed in this venv):\n{proc.stderr[-3000:]}"
    # Every folder of the wheel is a listed package (data folders too): setuptools warns otherwise.
    assert "absent from the `packages` configuration" not in proc.stdout + proc.stderr, proc.stderr[-2000:]
    (built,) = out.glob("voxaudit-*.whl")
    with zipfile.ZipFile(built) as zf:
        yield zf


def _dist_info(zf: zipfile.ZipFile) -> str:
    (name,) = {n.split("/")[0] for n in zf.namelist() if n.split("/")[0].endswith(".dist-info")}
    return name


def test_wheel_metadata_carries_the_license(wheel):
    info = _dist_info(wheel)
    meta = HeaderParser().parsestr(wheel.read(f"{info}/METADATA").decode())
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta.get_all("License-File") == ["LICENSE"]
    assert meta["License"] is None  # the old free-text field is replaced, not duplicated
    assert hashlib.sha256(wheel.read(f"{info}/licenses/LICENSE")).hexdigest() == APACHE_2_SHA256


def test_wheel_requires_the_live_stack_only_through_its_extra(wheel):
    meta = HeaderParser().parsestr(wheel.read(f"{_dist_info(wheel)}/METADATA").decode())
    requires = meta.get_all("Requires-Dist") or []
    unconditional = {_requirement_name(r) for r in requires if ";" not in r}
    live = {_requirement_name(r) for r in requires if re.search(r"extra\s*==\s*['\"]live['\"]", r)}
    assert unconditional == _declared()["base"]
    assert {"paramiko", "pysnmp", "scapy", "sslyze", "netmiko"} <= live
    assert not live & unconditional
    assert "live" in (meta.get_all("Provides-Extra") or [])


def test_wheel_holds_every_module_and_the_package_data(wheel):
    names = set(wheel.namelist())
    expected = set()
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                rel = path.relative_to(ROOT).as_posix()
                if path.suffix == ".py" or rel.startswith(("profiles/", "reports/templates/", "reports/schema/",
                                                           "reports/static/")):
                    expected.add(IN_WHEEL[pkg] + "/" + path.relative_to(ROOT / pkg).as_posix())
    assert any(n.startswith("voxaudit/profiles/") and n.endswith(".yaml") for n in expected)
    assert any(n.startswith("voxaudit/reports/templates/") for n in expected)
    assert any(n.startswith("voxaudit/reports/schema/") for n in expected)
    assert expected - names == set(), "missing from the wheel"
    # One import name: nothing but voxaudit/ and its dist-info at the top (auditor, checks, reports and
    # profiles would collide with other software in the same environment).
    assert {n.split("/")[0] for n in names} == {"voxaudit", _dist_info(wheel)}


def test_wheel_entry_points(wheel):
    text = wheel.read(f"{_dist_info(wheel)}/entry_points.txt").decode()
    assert re.search(r"^\[console_scripts\]\s*\nvoxaudit = voxaudit\.cli:main$", text, re.M), text
    assert re.search(r"^\[voxaudit\.checks\]\s*\nbuiltin = voxaudit\.checks$", text, re.M), text


# ---- declared imports -------------------------------------------------------------------------

def _third_party_imports(path: Path) -> list[tuple[str, int, bool]]:
    """(top-level module, line, at module level) for each absolute import of a non-stdlib,
    non-project module; imports under ``if TYPE_CHECKING:`` are skipped (never run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for sub in child.orelse:
                    visit(sub, in_function)
                continue
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                names = [child.module]
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "voxaudit":
                    out.append((top, child.lineno, not in_function))
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(tree, False)
    return out


def _allowed_extras(rel: str) -> set[str]:
    return next((e for prefix, e in MODULE_EXTRAS.items() if rel == prefix or rel.startswith(prefix)), set())


def test_every_third_party_import_is_declared():
    """loguru in a parser once worked only because a dependency's dependency happened to pull it in."""
    declared = _declared()
    providers = importlib.metadata.packages_distributions()
    problems = []
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            extra_names = _allowed_extras(rel)
            for top, line, module_level in _third_party_imports(path):
                dists = {_norm(d) for d in providers.get(top, [])}
                where = f"{rel}:{line}: {top}"
                if not dists:
                    problems.append(f"{where}: no installed distribution provides it, and none declares it")
                elif dists & declared["base"]:
                    continue
                elif module_level:
                    problems.append(f"{where}: imported at module level, but {sorted(dists)} is not a base "
                                    "dependency (the offline path imports this module)")
                elif not any(dists & declared.get(e, set()) for e in extra_names):
                    problems.append(f"{where}: {sorted(dists)} is declared neither in the dependencies nor in "
                                    f"the extra this module belongs to ({sorted(extra_names) or 'none'})")
    assert not problems, "\n".join(problems)


def test_the_import_walk_sees_imports_where_they_hide(tmp_path):
    """The walk above must find function-level and module-level imports alike (else it proves nothing)."""
    sample = tmp_path / "sample.py"
    sample.write_text(textwrap.dedent("""
        import os
        import loguru
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            import paramiko
        def f():
            from scapy.utils import PcapReader
            import voxaudit.extras
    """), encoding="utf-8")
    assert _third_party_imports(sample) == [("loguru", 3, True), ("scapy", 8, False)]


def test_extras_table_matches_pyproject():
    declared = _declared()
    for extra, modules in extras.EXTRAS.items():
        assert extra in declared, extra
        for module, dist in modules.items():
            assert _norm(dist) in declared[extra], f"{module} ({dist}) is not in the {extra} extra"


def test_require_names_the_extra_and_a_target_fails_as_not_collected():
    from voxaudit.collectors.offline import CollectionError

    with pytest.raises(extras.MissingExtra) as exc:
        extras.require("an SSH target", "voxaudit_no_such_module_h4")
    assert "voxaudit[live]" in str(exc.value) and "voxaudit_no_such_module_h4" in str(exc.value)
    extras.require("the standard library", "json")  # present: no error
    with pytest.raises(CollectionError) as exc2:
        extras.require_for_target("a pcap target", "json", "voxaudit_no_such_module_h4")
    assert exc2.value.kind == "not_collected"
    assert "pip install 'voxaudit[live]'" in exc2.value.reason


# ---- the slim install, in a process that cannot import the optional libraries -------------------

BLOCKER = """
import atexit, importlib.abc, json, sys
BLOCKED = set({blocked!r})
attempts = []
class Refuse(importlib.abc.MetaPathFinder):
    # Stands for a slim install: the optional libraries are not there.
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            attempts.append(name)
            raise ImportError(f"No module named {{name!r}} (blocked: slim install)", name=name)
        return None
sys.meta_path.insert(0, Refuse())
def report():
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    with open({report!r}, "w") as fh:
        json.dump({{"attempts": sorted(set(attempts)), "loaded": loaded}}, fh)
atexit.register(report)
sys.argv = ["voxaudit", *sys.argv[1:]]
from voxaudit.cli import main
main()
"""


def _voxaudit(tmp_path: Path, *args: str, blocked: bool, tag: str) -> tuple[subprocess.CompletedProcess, dict]:
    report = tmp_path / f"imports-{tag}.json"
    runner = tmp_path / f"run-{tag}.py"
    runner.write_text(BLOCKER.format(blocked=BLOCKED if blocked else [], report=str(report)), encoding="utf-8")
    env = {"VOXAUDIT_HISTORY": str(tmp_path / "history.sqlite"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "COLUMNS": "200"}
    proc = subprocess.run([sys.executable, str(runner), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    return proc, json.loads(report.read_text()) if report.exists() else {}


def _scan(out: Path) -> dict:
    return json.loads((out / "scan.json").read_text(encoding="utf-8"))


def test_slim_install_audits_files_with_the_same_score(tmp_path):
    full, _ = _voxaudit(tmp_path, "scan", "--config-dir", str(EXAMPLE), "--name", "riverside-pbx", "--format", "json",
                        "--output", str(tmp_path / "full"), blocked=False, tag="full")
    assert full.returncode == 0, full.stderr[-2000:]
    slim, imports = _voxaudit(tmp_path, "scan", "--config-dir", str(EXAMPLE), "--name", "riverside-pbx",
                              "--format", "json,html,md,csv,sarif", "--output", str(tmp_path / "slim"),
                              blocked=True, tag="slim")
    assert slim.returncode == 0, slim.stderr[-2000:]
    assert imports == {"attempts": [], "loaded": []}, "the offline path tried to import an optional library"
    a, b = _scan(tmp_path / "full")["scores"], _scan(tmp_path / "slim")["scores"]
    assert b["overall"] is not None and b["overall"] == a["overall"] and b["coverage"] == a["coverage"]
    assert b["counts"] == a["counts"]
    for name in ("report.html", "report.md", "findings.csv", "results.sarif"):
        assert (tmp_path / "slim" / name).stat().st_size > 0, name
    # the SQLite history and re-rendering a saved scan work without the extras too
    with sqlite3.connect(tmp_path / "history.sqlite") as db:
        stored = {row[0] for row in db.execute("SELECT scan_id FROM scans")}
    assert _scan(tmp_path / "slim")["scan_id"] in stored
    hist, imports = _voxaudit(tmp_path, "history", blocked=True, tag="history")
    assert hist.returncode == 0 and _scan(tmp_path / "slim")["scan_id"][:8] in hist.stdout, hist.stderr[-2000:]
    assert imports == {"attempts": [], "loaded": []}
    rep, imports = _voxaudit(tmp_path, "report", str(tmp_path / "slim" / "scan.json"), "--format", "md",
                             "--output", str(tmp_path / "rerendered"), blocked=True, tag="report")
    assert rep.returncode == 0, rep.stderr[-2000:]
    assert imports == {"attempts": [], "loaded": []}


LIVE_INVENTORY = """
clinics:
  - name: Slim Clinic
    sites:
      - name: Main
        targets:
          - name: pbx-files
            platform: asterisk
            config_dir: {example}
          - name: pbx-ssh
            platform: asterisk
            address: 127.0.0.1
            ssh: {{port: 9, username: audit, password: "env:VOXAUDIT_H4_UNSET", config_dir: /etc/asterisk, timeout: 1}}
          - name: switch-snmp
            platform: snmp
            address: 127.0.0.1
            snmp: {{port: 9, communities: ["env:VOXAUDIT_H4_UNSET"], timeout: 0.5}}
          - name: sbc-tls
            platform: tls
            address: 127.0.0.1
            tls: [{{port: 9, timeout: 0.5}}]
          - name: pbx-sip
            platform: sip
            address: 127.0.0.1
            sip: {{udp: 9, tcp: 9, tls: 9, timeout: 0.5}}
          - name: capture
            platform: pcap
            pcap: {{file: capture.pcap}}
          - name: core-switch
            platform: switch
            address: 127.0.0.1
            cli: {{port: 9, username: audit, password: "env:VOXAUDIT_H4_UNSET", timeout: 1}}
"""


def test_live_targets_without_the_extra_are_errors_naming_it(tmp_path):
    """Each live kind fails alone, before any connection, with the extra in its reason; the file
    target beside them is audited as usual."""
    (tmp_path / "capture.pcap").write_bytes(b"\xd4\xc3\xb2\xa1")
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(LIVE_INVENTORY.format(example=EXAMPLE), encoding="utf-8")
    proc, imports = _voxaudit(tmp_path, "scan", str(inventory), "--format", "json", "--output", str(tmp_path / "out"),
                              blocked=True, tag="live")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert imports["loaded"] == []
    doc = _scan(tmp_path / "out")
    failures = {t["name"]: t.get("failure") for t in doc["targets"]}
    assert failures.pop("pbx-files") is None
    assert set(failures) == {"pbx-ssh", "switch-snmp", "sbc-tls", "pbx-sip", "capture", "core-switch"}
    for name, failure in failures.items():
        assert failure and failure["kind"] == "not_collected", (name, failure)
        assert "pip install 'voxaudit[live]'" in failure["reason"], (name, failure)
    assert "paramiko" in failures["pbx-ssh"]["reason"] and "pysnmp" in failures["switch-snmp"]["reason"]
    assert "voxaudit[live]" in proc.stdout + proc.stderr, "the terminal does not say which extra is missing"
    errors = [r for r in doc["results"] if r["target"] == "pbx-ssh"]
    assert errors and all(r["status"] == "ERROR" and "voxaudit[live]" in r["evidence"] for r in errors)
    assert doc["scores"]["by_target"]["pbx-files"] is not None
    assert doc["scores"]["by_target"]["pbx-ssh"] is None  # not assessed, never a 0


def test_code_imports_only_the_one_name():
    """In a checkout the old top-level names still resolve (the repository root is on sys.path): a
    stale ``import auditor...`` would load a second copy of every module without failing."""
    stale = re.compile(r"^\s*(?:from|import)\s+(?:auditor|checks|reports|profiles)(?:[.\s]|$)", re.M)
    found = []
    for folder in ("auditor", "checks", "reports", "tests", "scripts", "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "real_trees" in path.parts or "fixtures" in path.parts:
                continue
            for m in stale.finditer(path.read_text(encoding="utf-8")):
                found.append(f"{path.relative_to(ROOT)}: {m.group().strip()}")
    assert not found, found
