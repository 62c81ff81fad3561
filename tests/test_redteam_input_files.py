"""Red team: the YAML people write (inventory, waivers, profile) with a secret where a key, a platform
or an address goes. Errors name file, line and key, never the pasted secret."""
from __future__ import annotations

from pathlib import Path

import pytest

from voxaudit.inventory import InventoryError, load_inventory
from voxaudit.profile import ProfileError, load_profile
from voxaudit.structured import shown_key
from voxaudit.waivers import WaiverError, load_waivers

C = "CANARY-7f3a9c"
HEAD = "clinics:\n  - name: Clinic\n    sites:\n      - name: Main\n        targets:\n"


def _write(tmp_path: Path, text: str, name: str = "in.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, line, field", [
    (HEAD + f"          - {{name: a, platform: {C}, config_dir: x}}\n", 6, "clinics.0.sites.0.targets.0.platform"),
    (HEAD + f"          - {{name: a, platform: asterisk, config_dir: x, {C}: 1}}\n", 6,
     "clinics.0.sites.0.targets.0.(unknown key)"),
    (f"{C}: 1\nclinics: []\n", 1, "(unknown key)"),
    (HEAD + f"          - {{name: a, platform: asterisk, address: 'u:{C}@h', ssh: {{username: u, password: env:X}}}}\n",
     6, "clinics.0.sites.0.targets.0.address"),
    (HEAD + f"          - {{name: a, platform: sip, address: 'h/{C}', sip: {{udp: 5060}}}}\n", 6,
     "clinics.0.sites.0.targets.0.address"),
    (HEAD + f"          - {{name: a, platform: asterisk, config_dir: x, address: 'u:{C}@h'}}\n", 6,
     "clinics.0.sites.0.targets.0.address"),
])
def test_inventory_errors_never_echo_a_pasted_secret(tmp_path, text, line, field):
    inv = _write(tmp_path, text)
    with pytest.raises(InventoryError) as exc:
        load_inventory(inv)
    message = str(exc.value)
    assert message.startswith(f"{inv}:{line}: {field}: "), message
    assert C not in message


def test_an_unknown_key_that_looks_like_one_is_still_named(tmp_path):
    inv = _write(tmp_path, HEAD + "          - {name: a, platform: asterisk, config_dir: x, colour: 1}\n")
    with pytest.raises(InventoryError, match=r":6: clinics\.0\.sites\.0\.targets\.0\.colour: Extra inputs"):
        load_inventory(inv)
    assert shown_key("spool_dir") == "spool_dir" and shown_key(3) == "3"
    assert shown_key(C) == shown_key("Hunter2!") == shown_key("x" * 41) == "(unknown key)"


def test_waiver_errors_name_the_line_and_hide_a_secret_key(tmp_path):
    path = _write(tmp_path, "waivers:\n  - check: AST-VM-101\n    owner: IT\n    reason: x\n    expires: 2027-01-01\n"
                            f"  - check: AST-VM-101\n    owner: IT\n    reason: x\n    {C}: x\n"
                            "    expires: 2027-01-01\n")
    with pytest.raises(WaiverError) as exc:
        load_waivers(path)
    message = str(exc.value)
    assert message == f"{path}:9: waiver #2: (unknown key): Extra inputs are not permitted", message


def test_profile_errors_name_the_line_and_hide_a_secret_key(tmp_path, registry):
    path = _write(tmp_path, f"id: p\ntitle: P\nextends: hipaa-security-rule\n{C}: 1\n")
    with pytest.raises(ProfileError) as exc:
        load_profile(str(path), registry)
    message = str(exc.value)
    assert message.startswith(f"{path}:4: (unknown key): "), message
    assert C not in message


@pytest.mark.parametrize("data, says", [
    ('fail_on = "high"\n'.encode("utf-16"), "UTF-16"),
    (("fail_on = " + "[" * 50_000 + "]" * 50_000 + "\n").encode(), "cannot be read (RecursionError)"),
    (("y = " + "9" * 5_000 + "\n").encode(), "cannot be read (ValueError)"),
    (f'x = "{C}\n'.encode(), "not valid TOML"),
    (b"x = 1\x00\n", "binary"),
])
def test_toml_reader_gives_one_line_for_any_bytes(tmp_path, data, says):
    from voxaudit.structured import StructuredFileError, load_toml

    path = tmp_path / "voxaudit.toml"
    path.write_bytes(data)
    with pytest.raises(StructuredFileError) as exc:
        load_toml(path, "configuration file")
    message = str(exc.value)
    assert says in message and C not in message and "\n" not in message, message
    path.write_text('fail_on = "high"\n[scan]\nformat = ["md"]\n')
    assert load_toml(path, "configuration file") == {"fail_on": "high", "scan": {"format": ["md"]}}


def test_a_fifo_or_device_given_as_any_input_file_is_refused_at_once(tmp_path, registry):
    """A FIFO as a profile, inventory, waivers file or saved scan blocked the command for ever."""
    import os
    import threading

    from voxaudit.scan import ScanFileError, load_scan

    fifo = tmp_path / "input.yaml"
    os.mkfifo(fifo)
    loaders = [(lambda p: load_profile(str(p), registry), ProfileError), (load_inventory, InventoryError),
               (load_waivers, WaiverError), (load_scan, ScanFileError)]
    for loader, error in loaders:
        for path in (fifo, Path("/dev/zero")):
            outcome: list[BaseException] = []

            def run(loader=loader, path=path, outcome=outcome) -> None:
                try:
                    loader(path)
                except BaseException as exc:  # noqa: BLE001 - checked below
                    outcome.append(exc)

            worker = threading.Thread(target=run, daemon=True)
            worker.start()
            worker.join(10)
            assert not worker.is_alive(), f"{loader} blocked on {path}"
            assert outcome and isinstance(outcome[0], error), (loader, path, outcome)
            assert "not a regular file" in str(outcome[0])


def test_profile_errors_quote_names_briefly_and_never_a_parameter_value(tmp_path, registry):
    path = _write(tmp_path, "id: p\ntitle: P\nextends: hipaa-security-rule\nselect: ['" + "*a" * 5000 + "']\n")
    with pytest.raises(ProfileError) as exc:
        load_profile(str(path), registry)
    assert len(str(exc.value)) < 300, len(str(exc.value))
    path = _write(tmp_path, f"id: p\ntitle: P\nextends: hipaa-security-rule\nparameters: {{max_logins: {C}}}\n")
    with pytest.raises(ProfileError, match="max_logins' should be a int, not this str") as exc:
        load_profile(str(path), registry)
    assert C not in str(exc.value)


@pytest.mark.parametrize("text, line", [
    (HEAD + "          - {name: a, platform: asterisk, config_dir: x}\n        targets:\n"
     "          - {name: b, platform: asterisk, config_dir: x}\n", 7),
    (HEAD + "          - name: a\n            platform: asterisk\n            config_dir: x\n            config_dir: y\n", 9),
])
def test_a_key_written_twice_is_refused_not_silently_the_last(tmp_path, text, line):
    """PyYAML keeps the last of two equal keys: a second ``targets:`` dropped the first list's targets
    from the audit without a word."""
    inv = _write(tmp_path, text)
    with pytest.raises(InventoryError) as exc:
        load_inventory(inv)
    assert str(exc.value) == f"{inv}:{line}: inventory: invalid YAML (a key is written twice in one mapping)"


@pytest.mark.parametrize("value", ['"nan"', '"inf"', '"abc"', '"1.2; x"', "1.2"])
def test_a_tls_floor_that_is_no_number_is_refused(tmp_path, registry, value):
    """min_tls_version "nan" reached float() in ENC-TLS-101: NaN compares false, so every listener passed."""
    path = _write(tmp_path, f"id: p\ntitle: P\nextends: hipaa-security-rule\nparameters: {{min_tls_version: {value}}}\n")
    with pytest.raises(ProfileError, match="min_tls_version' should be a number written as text"):
        load_profile(str(path), registry)
    path.write_text("id: p\ntitle: P\nextends: hipaa-security-rule\nparameters: {min_tls_version: '1.3'}\n")
    load_profile(str(path), registry)


def test_kamailio_include_and_tls_cfg_that_are_fifos_never_block(tmp_path):
    """An include_file or a tls.cfg that is a FIFO: open() would wait for a writer for ever. Read through the
    shared non-blocking reader, the include is a gap and tls.cfg is refused (its controls ERROR)."""
    import os
    import time

    from voxaudit.collectors.offline import collect_kamailio_tree

    inc = tmp_path / "inc"
    inc.mkdir()
    (inc / "kamailio.cfg").write_text('#!KAMAILIO\ninclude_file "x.cfg"\nloadmodule "tls.so"\n')
    os.mkfifo(inc / "x.cfg")
    tls = tmp_path / "tls"
    tls.mkdir()
    # the tls module reads a tls.cfg only when modparam("tls", "config") names it (tls_mod.c)
    (tls / "kamailio.cfg").write_text('#!KAMAILIO\nloadmodule "tls.so"\nmodparam("tls", "config", "/etc/kamailio/tls.cfg")\n')
    os.mkfifo(tls / "tls.cfg")
    start = time.perf_counter()
    facts = collect_kamailio_tree(inc)
    gaps = [p for cf in facts.configs.values() for p in cf.problems if p.file == "x.cfg"]
    assert gaps and not gaps[0].fatal and "not a regular file" in gaps[0].message
    facts = collect_kamailio_tree(tls)
    (fatal,) = facts.configs["tls.cfg"].problems
    assert fatal.fatal and "not a regular file" in fatal.message and facts.configs["tls.cfg"].found
    assert time.perf_counter() - start < 10


def test_a_hostile_voxaudit_toml_is_one_line_and_exit_2(tmp_path):
    """UTF-16, 50,000 nested arrays or a pasted password as a key in voxaudit.toml: exit 2 with one line naming
    the file, never an internal error (exit 4), never the key that looks like a secret."""
    import subprocess
    import sys

    from tests.conftest import EXAMPLE

    exe = str(Path(sys.executable).parent / "voxaudit")
    for name, data in (("utf16", 'fail_on = "high"\n'.encode("utf-16")),
                       ("deep", ("fail_on = " + "[" * 50000 + "]" * 50000 + "\n").encode()),
                       ("digits", ("y = " + "9" * 5000 + "\n").encode()),
                       ("key", b"CANARY-7f3a9c = 1\n")):
        work = tmp_path / name
        work.mkdir()
        (work / "voxaudit.toml").write_bytes(data)
        proc = subprocess.run([exe, "scan", "--config-dir", str(EXAMPLE), "-o", str(work / "out"), "-q"], cwd=work,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, (name, proc.stderr)
        assert "voxaudit.toml" in proc.stderr and "CANARY" not in proc.stderr and "Traceback" not in proc.stderr


def test_evidence_files_that_are_fifos_or_devices_are_gaps_not_absent(tmp_path):
    """proc/mounts, a cron.d entry and backup-files.txt as FIFOs, crypttab a link to /dev/zero: each is said
    (a gap of the host evidence, so the storage and backup controls are ERROR), never read as "not captured"."""
    import os
    import shutil

    from tests.conftest import EXAMPLE
    from voxaudit.facts.host import read_host_evidence

    ev = tmp_path / "ev"
    shutil.copytree(EXAMPLE, ev, symlinks=True)
    for rel in ("proc/mounts", "etc/cron.d/freepbx-backup", "backup-files.txt"):
        (ev / rel).unlink(missing_ok=True)
        (ev / rel).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(ev / rel)
    (ev / "etc" / "crypttab").unlink(missing_ok=True)
    os.symlink("/dev/zero", ev / "etc" / "crypttab")
    host = read_host_evidence(ev)
    said = {p.file for p in host.problems if "not a readable regular file" in p.message}
    assert {"proc/mounts", "etc/cron.d/freepbx-backup", "backup-files.txt"} <= said
    assert all(not p.fatal and not p.note for p in host.problems if p.file in said)


def test_mdm_numbers_that_are_not_numbers_are_said(tmp_path):
    """<real>nan</real> (NaN compares false with every limit) and a 100-digit <integer> in a profile are a gap of
    that file; NaN or Infinity in a JSON policy is malformed JSON (it is not JSON)."""
    from voxaudit.collectors.offline import collect_mdm_policies

    fixtures = Path(__file__).resolve().parent / "fixtures" / "mdm" / "hardened"
    work = tmp_path / "mdm"
    work.mkdir()
    profile = (fixtures / "clinic-iphones.mobileconfig").read_text()
    profile = profile.replace("<key>maxInactivity</key>\n\t\t\t<integer>2</integer>",
                              "<key>maxInactivity</key>\n\t\t\t<real>nan</real>", 1)
    assert "<real>nan</real>" in profile
    (work / "clinic-iphones.mobileconfig").write_text(profile.replace("<integer>6</integer>",
                                                                      "<integer>" + "9" * 100 + "</integer>", 1))
    (work / "android.json").write_text((fixtures / "android-work-profile.json").read_text()
                                       .replace('"300000"', "NaN", 1))
    facts = collect_mdm_policies(work)
    apple = facts.configs["clinic-iphones.mobileconfig"].problems
    assert any(not p.fatal and "not finite 64-bit numbers" in p.message for p in apple), apple
    (android,) = facts.configs["android.json"].problems
    assert android.fatal and "malformed JSON" in android.message
