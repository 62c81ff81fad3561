"""Bad saved scans, profiles, waivers, inventories and baselines: exit 2 with one line naming the
file, never 4, never a traceback, never a value from the file; fast on any input."""
from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, REPO
from voxaudit.structured import StructuredFileError, load_json, load_yaml

VOXAUDIT = [sys.executable, "-m", "voxaudit.cli"]
CANARY = "Canary-S3cr3t-9f2"

HOSTILE: dict[str, bytes] = {
    "utf16-bom": "clinics: []\n".encode("utf-16"),
    "utf16-no-bom": "clinics: []\n".encode("utf-16-le"),
    "utf32": "clinics: []\n".encode("utf-32"),
    "binary": bytes(range(256)) * 8,
    "invalid-utf8": b"clinics:\n  - name: \xff\xfe" + CANARY.encode() + b"\n",
    "deep-flow": b"[" * 100_000 + b"]" * 100_000,
    "deep-block": "".join(f"{'  ' * i}k{i}:\n" for i in range(2_000)).encode(),
    "deep-json-object": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "huge-int": b'{"tool": "voxaudit", "schema_version": "1.5", "n": ' + b"9" * 5_000 + b"}",
    "huge-int-yaml": b"clinics:\n  - name: " + b"9" * 5_000 + b"\n",
    "alias-bomb": b"a: &a [" + b"x," * 9 + b"x]\nb: &b [" + b"*a," * 9 + b"*a]\nc: &c [" + b"*b," * 9
                  + b"*b]\nd: [" + b"*c," * 9 + b"*c]\n",
    "bad-date": ("waivers:\n  - check: AST-VM-101\n    owner: IT\n    reason: " + CANARY
                 + "\n    expires: 2027-13-45\n").encode(),
    "not-a-mapping": b"- - - " + CANARY.encode() + b"\n",
    "tabs-and-junk": b"\t\t: : : [ { " + CANARY.encode() + b"\n",
    "empty": b"",
}


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*VOXAUDIT, *args], cwd=cwd, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "VOXAUDIT_HISTORY": str(cwd / "h.db")})


@pytest.fixture(scope="module")
def saved_scan(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scan")
    proc = _run("scan", "--config-dir", str(EXAMPLE), "-f", "json", "-o", str(out), "-q", cwd=out)
    assert proc.returncode == 0, proc.stderr
    return out / "scan.json"


def _assert_one_line_exit_2(proc: subprocess.CompletedProcess, name: str) -> None:
    assert proc.returncode == 2, (name, proc.returncode, proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), (name, proc.stderr)
    assert "Traceback" not in proc.stderr and CANARY not in proc.stderr + proc.stdout, name


@pytest.mark.parametrize("kind", ["report", "rescore-profile", "rescore-waivers", "scan", "baseline"])
def test_every_hostile_file_exits_2_with_one_line(kind, tmp_path, saved_scan):
    for name, data in HOSTILE.items():
        if name == "empty" and kind in {"rescore-waivers", "scan"}:
            continue  # an empty waivers file or inventory is valid (nothing waived, nothing to scan: exit 2 too)
        bad = tmp_path / f"{name}.in"
        bad.write_bytes(data)
        args = {"report": ["report", str(bad), "-o", str(tmp_path / "o")],
                "rescore-profile": ["rescore", str(saved_scan), "--profile", str(bad), "-o", str(tmp_path / "o")],
                "rescore-waivers": ["rescore", str(saved_scan), "--waivers", str(bad), "-o", str(tmp_path / "o")],
                "scan": ["scan", str(bad), "-o", str(tmp_path / "o"), "-q"],
                "baseline": ["scan", "--config-dir", str(EXAMPLE), "--baseline", str(bad), "-o", str(tmp_path / "o"),
                             "-q"]}[kind]
        started = time.perf_counter()
        proc = _run(*args, cwd=tmp_path)
        assert time.perf_counter() - started < 20, (kind, name)
        _assert_one_line_exit_2(proc, f"{kind}/{name}")


def test_impossible_waiver_date_names_the_field(tmp_path, saved_scan):
    bad = tmp_path / "w.yaml"
    bad.write_bytes(HOSTILE["bad-date"])
    proc = _run("rescore", str(saved_scan), "--waivers", str(bad), "-o", str(tmp_path / "o"), cwd=tmp_path)
    _assert_one_line_exit_2(proc, "bad-date")
    assert "waiver #1: expires" in proc.stderr


def test_readers_are_linear_and_never_raise_anything_else(tmp_path):
    """Seeded mutations of the real example files, each read in bounded time: data or one error type."""
    rng = random.Random(20261123)
    sources = [EXAMPLE.parent.parent / "examples" / "riverside-family-clinic" / "EXPECTED.yaml",
               *sorted((REPO / "profiles").glob("*.yaml"))]
    junk = [b"[", b"{", b"]", b"}", b"&a ", b"*a", b"!!python/object:os.system ", b"\x00", b"\xff", b"9" * 5000,
            b"\t", b"---\n", b"? ", b": ", b"- ", b'"', b"'", b"\\", b"\n  " * 50]
    for source in sources:
        original = source.read_bytes()
        for i in range(40):
            data = bytearray(original)
            for _ in range(rng.randint(1, 8)):
                pos = rng.randrange(len(data) + 1)
                data[pos:pos + rng.randint(0, 8)] = rng.choice(junk)
            path = tmp_path / f"{source.stem}-{i}.yaml"
            path.write_bytes(bytes(data))
            started = time.perf_counter()
            try:
                load_yaml(path, "file")
            except StructuredFileError as exc:
                assert "\n" not in str(exc)
            assert time.perf_counter() - started < 2
    scan = json.dumps({"tool": "voxaudit", "results": [{"a": [1, 2, {"b": "c"}]}] * 200}).encode()
    for i in range(60):
        data = bytearray(scan)
        pos = rng.randrange(len(data))
        data[pos:pos + rng.randint(0, 4)] = rng.choice(junk)
        path = tmp_path / f"scan-{i}.json"
        path.write_bytes(bytes(data))
        try:
            load_json(path, "saved scan")
        except StructuredFileError:
            pass


INVENTORY = """clinics:
  - name: Riverside Family Clinic
    sites:
      - name: Main
        scanner_vantage: data
        targets:
          - name: riverside-pbx
            platform: asterisk
            config_dir: pbx
          - name: edge
            platform: sip
            sip: {address: 127.0.0.1, port: 5060, transports: [udp, tls]}
"""
WAIVERS = """waivers:
  - check: AST-VM-1*
    resource: "mailbox 1@*"
    owner: IT
    reason: retiring
    expires: 2030-01-01
"""


def test_each_loader_fuzzed_gives_data_or_its_own_error(tmp_path, registry):
    """Inventory, waivers, profile and saved-scan loaders on mutated real inputs: their own one-line
    error or data, nothing else escapes, each input in bounded time."""
    from voxaudit.inventory import InventoryError, load_inventory
    from voxaudit.profile import ProfileError, load_profile
    from voxaudit.scan import ScanFileError, load_scan
    from voxaudit.waivers import WaiverError, load_waivers

    (tmp_path / "pbx").mkdir()
    rng = random.Random(20261124)
    junk = ["[", "{", "}", "&a ", "*a", "\x00", "9" * 5000, "\t", ": ", "- ", '"', "2027-13-45", "\n    ", "!!binary "]
    cases = [(INVENTORY, load_inventory, InventoryError), (WAIVERS, load_waivers, WaiverError),
             ((REPO / "profiles" / "hipaa-2025-nprm.yaml").read_text(), lambda p: load_profile(str(p), registry),
              ProfileError)]
    for text, loader, error in cases:
        for i in range(30):
            mutated = text
            for _ in range(rng.randint(1, 5)):
                pos = rng.randrange(len(mutated) + 1)
                mutated = mutated[:pos] + rng.choice(junk) + mutated[pos + rng.randint(0, 6):]
            path = tmp_path / f"in-{i}.yaml"
            path.write_text(mutated, encoding="utf-8", errors="surrogateescape")
            started = time.perf_counter()
            try:
                loader(path)
            except error as exc:
                assert "\n" not in str(exc)
            assert time.perf_counter() - started < 2
    scan_text = (EXAMPLE / "EXPECTED.yaml").read_text()  # any text: load_scan must refuse it cleanly
    for i in range(20):
        path = tmp_path / f"scan-{i}.json"
        path.write_text(json.dumps({"tool": "voxaudit", "schema_version": "1.6", "targets": [scan_text[:i * 50]]}))
        with pytest.raises(ScanFileError):
            load_scan(path)


def test_nesting_guard_is_linear(tmp_path):
    """The guard that stops deep nesting reads each byte once: 10x the input, about 10x the time."""
    timings = []
    for n in (200_000, 2_000_000):
        path = tmp_path / f"d{n}.json"
        path.write_bytes(b'["' + b"[" * n + b'"]')  # brackets inside a string are not nesting
        started = time.perf_counter()
        assert load_json(path, "saved scan") == ["[" * n]
        timings.append(time.perf_counter() - started)
    assert timings[1] < 30 * max(timings[0], 0.005)
