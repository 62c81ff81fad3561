"""The command line as CI pipelines and people use it: -o - (one format on standard output), case-insensitive
severities, --checks/--skip-checks/--severity through the profile, the configuration file and VOXAUDIT_*
variables with their precedence, shell completion, messages that say why, and tables safe to pipe.

Everything runs the installed `voxaudit` command on examples/riverside-family-clinic (score 46.8 without its
business-associate register, 64 failing)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, REPO

EXE = Path(sys.executable).parent / "voxaudit"
CANARY = "s3cr3t-CANARY-7f1e"


def run(*args: object, cwd: Path = REPO, env: dict[str, str] | None = None, columns: str = "200",
        ) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("VOXAUDIT_") or k == "VOXAUDIT_CORPUS"}
    base.update({"COLUMNS": columns, "VOXAUDIT_HISTORY": str(cwd / "history.sqlite")})
    return subprocess.run([str(EXE), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=180,
                          env={**base, **(env or {})})


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """One real scan of the example, saved: the `report` tests re-render it (fast, offline)."""
    out = tmp_path_factory.mktemp("saved")
    proc = run("scan", "--config-dir", EXAMPLE, "--name", "riverside-pbx", "-f", "json", "-o", out, "-q",
               "--no-history", cwd=out)
    assert proc.returncode == 0, proc.stderr
    return out / "scan.json"


def _results(doc: dict) -> list[dict]:
    return doc["results"]


# ---- -o - : one format on standard output, nothing else there ----------------------------------------------

def test_stdout_carries_exactly_the_format_and_nothing_is_written(tmp_path):
    proc = run("scan", "--config-dir", EXAMPLE, "-f", "sarif", "-o", "-", "--no-history", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    sarif = json.loads(proc.stdout)  # the whole of standard output is the SARIF document
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    assert "Overall score 46.8/100" in proc.stderr and "failing" in proc.stderr  # the summary went to stderr
    assert list(tmp_path.iterdir()) == []  # no folder named "-", no voxaudit-out, no scan.json


def test_stdout_is_byte_for_byte_the_file_the_folder_gets(saved, tmp_path):
    for fmt, name in (("csv", "findings.csv"), ("md", "report.md"), ("json", "scan.json"), ("junit", "junit.xml")):
        piped = subprocess.run([str(EXE), "report", str(saved), "-f", fmt, "-o", "-"], capture_output=True,
                               cwd=tmp_path, timeout=120)
        assert piped.returncode == 0, piped.stderr
        folder = run("report", saved, "-f", fmt, "-o", tmp_path / fmt, "-q", cwd=tmp_path)
        assert folder.returncode == 0, folder.stderr
        assert piped.stdout == (tmp_path / fmt / name).read_bytes(), fmt
    assert not (tmp_path / "-").exists()


def test_stdout_needs_exactly_one_text_format(saved, tmp_path):
    for formats in ([], ["-f", "md,sarif"], ["-f", "md", "-f", "csv"], ["-f", "all"], ["-f", "pdf"]):
        proc = run("report", saved, *formats, "-o", "-", cwd=tmp_path)
        assert proc.returncode == 2, (formats, proc.stderr)
        assert proc.stdout == "" and "error:" in proc.stderr and "-o -" in proc.stderr + " -o -"
    assert list(tmp_path.iterdir()) == []


def test_stdout_keeps_the_gate_exit_codes(saved, tmp_path):
    gated = run("report", saved, "-f", "json", "-o", "-", "--fail-on", "critical", cwd=tmp_path)
    assert gated.returncode == 1 and "gate failed" in gated.stderr
    assert json.loads(gated.stdout)["scores"]["overall"] == 46.8
    assert run("report", saved, "-f", "json", "-o", "-", "--fail-under", "10", cwd=tmp_path).returncode == 0
    assert run("report", saved, "-f", "json", "-o", "-", "--fail-under", "90", cwd=tmp_path).returncode == 1


def test_stdout_fleet_writes_no_journal_nor_portfolio_folder(tmp_path):
    inv = tmp_path / "inv.yaml"
    inv.write_text("clinics:\n" + "".join(
        f"- name: {c}\n  sites:\n  - name: Main\n    targets:\n    - name: {c.lower()}-pbx\n      platform: asterisk\n"
        f"      config_dir: {EXAMPLE}\n" for c in ("Riverside", "Lakeside")))
    proc = run("scan", inv, "-f", "csv", "-o", "-", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("target,check_id,") and "lakeside-pbx" in proc.stdout
    assert "no portfolio with -o -" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.sqlite", "inv.yaml"]  # recorded, nothing else
    assert run("scan", inv, "-f", "csv", "-o", "-", "--resume", cwd=tmp_path).returncode == 2


def test_baseline_to_stdout(saved, tmp_path):
    proc = run("baseline", saved, "-o", "-", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["findings"]) > 20 and list(tmp_path.iterdir()) == []
    # counted in the reports' words: failing results, in findings (a control failing on a target)
    doc = json.loads(saved.read_text())
    failing = [r for r in doc["results"] if r["status"] == "FAIL" and not r["waiver"]]
    findings = {(r["check_id"], r["target"]) for r in failing}
    assert f"{len(failing)} failing results, in {len(findings)} findings" in proc.stderr, proc.stderr


def test_quiet_prints_nothing_but_why_a_gate_failed(tmp_path):
    """--quiet, as documented: silent on success (cron mails nothing), the gate's reasons alone on failure."""
    ok = run("scan", "--config-dir", EXAMPLE, "-o", tmp_path / "a", "-q", "--no-history", cwd=tmp_path)
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "", "")
    failed = run("scan", "--config-dir", EXAMPLE, "-o", tmp_path / "b", "-q", "--no-history", "--fail-on", "HIGH",
                 cwd=tmp_path)
    assert failed.returncode == 1 and failed.stdout == ""
    lines = failed.stderr.splitlines()
    assert lines and all(line.startswith("gate failed: ") for line in lines), failed.stderr


def test_commands_that_write_folders_refuse_stdout(saved, tmp_path):
    """`fix -o -` once wrote its patches into a folder named '-'; a folder of files cannot go to stdout."""
    fix = run("fix", saved, "--config-dir", EXAMPLE, "-o", "-", cwd=tmp_path)
    assert fix.returncode == 2 and "give -o DIR, not -o -" in fix.stderr and fix.stdout == ""
    portfolio = run("portfolio", saved, "-o", "-", cwd=tmp_path)
    assert portfolio.returncode == 2 and "give -o DIR, not -o -" in portfolio.stderr and portfolio.stdout == ""
    assert not (tmp_path / "-").exists() and list(tmp_path.iterdir()) in ([], [tmp_path / "history.sqlite"])


# ---- severities, --checks, --skip-checks, --severity ---------------------------------------------------------

def test_severities_are_case_insensitive(saved, tmp_path):
    assert run("report", saved, "-o", tmp_path / "a", "-q", "--fail-on", "HIGH").returncode == 1
    assert run("report", saved, "-o", tmp_path / "b", "-q", "--fail-on", "Critical").returncode == 1
    assert run("report", saved, "-o", tmp_path / "c", "-q", "--fail-on", "severe").returncode == 2
    proc = run("rescore", saved, "-f", "json", "-o", "-", "-q", "--severity", "CRITICAL,High", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert {c["severity"] for c in doc["checks"]} == {"critical", "high"}
    listed = json.loads(run("checks", "list", "--severity", "CRITICAL", "--format", "JSON").stdout)
    assert listed and {c["severity"] for c in listed} == {"critical"}


def test_checks_filter_runs_only_those_controls_and_says_so(tmp_path):
    proc = run("scan", "--config-dir", EXAMPLE, "--checks", "ACC-*", "--checks", "ast-vm-101", "-o", tmp_path / "o",
               "-f", "json,html", "--no-history", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((tmp_path / "o/scan.json").read_text())
    ran = {c["id"] for c in doc["checks"]}
    assert ran and all(cid.startswith("ACC-") for cid in ran - {"MBX-PIN-101"}) and "MBX-PIN-101" in ran  # 1.x alias
    assert {r["check_id"] for r in _results(doc)} <= ran
    # What did not run is in no safeguard, so scores and coverage are those of what ran.
    assert all(set(s["checks"]) <= ran for s in doc["safeguards"]) and any(not s["checks"] for s in doc["safeguards"])
    assert doc["scores"]["overall"] != 46.8
    note = next(w for w in doc["warnings"] if "--checks" in w)
    assert "ACC-*" in note and f"only {len(ran)} of the" in note
    assert "--checks" in proc.stderr
    assert "--checks ACC-*" in (tmp_path / "o/report.html").read_text()


def test_a_narrowed_scan_stays_out_of_the_history(tmp_path):
    """Against a full scan, every control it skipped would read as "resolved"."""
    db = tmp_path / "h.sqlite"
    full = run("scan", "--config-dir", EXAMPLE, "-o", tmp_path / "a", "-q", "--history-db", db, cwd=tmp_path)
    assert full.returncode == 0, full.stderr
    narrowed = run("scan", "--config-dir", EXAMPLE, "-o", tmp_path / "b", "--severity", "critical",
                   "--history-db", db, cwd=tmp_path)
    assert narrowed.returncode == 0 and "not recorded in the history" in narrowed.stderr
    assert len(json.loads(run("history", "--history-db", db, "--format", "json", cwd=tmp_path).stdout)) == 1
    assert json.loads((tmp_path / "b/scan.json").read_text()).get("trend") is None


def test_skip_checks_and_severity_through_the_profile(saved, tmp_path):
    full = json.loads(saved.read_text())
    proc = run("rescore", saved, "--skip-checks", "ENC-*,AST-VM-101", "--severity", "critical,high,medium",
               "-f", "json", "-o", "-", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    ran = {c["id"] for c in doc["checks"]}
    assert not any(cid.startswith("ENC-") for cid in ran) and "MBX-PIN-101" not in ran
    assert {c["severity"] for c in doc["checks"]} <= {"critical", "high", "medium"}
    assert len(ran) < len(full["checks"]) and doc["scores"]["counts"]["FAIL"] < full["scores"]["counts"]["FAIL"]
    assert any("--skip-checks ENC-*,AST-VM-101 --severity critical,high,medium" in w for w in doc["warnings"])


@pytest.mark.parametrize("args, named", [
    (("--checks", "NOPE-123"), "NOPE-123"),
    (("--skip-checks", "ZZZ-*"), "ZZZ-*"),
    (("--severity", "severe"), "severe"),
    (("--checks", "AST-VM-101", "--severity", "low"), "no control"),
])
def test_a_selection_that_names_nothing_is_exit_2(saved, tmp_path, args, named):
    proc = run("rescore", saved, *args, "-o", tmp_path / "o", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert named in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()


# ---- configuration file and environment -------------------------------------------------------------------

def test_precedence_command_line_environment_file_default(saved, tmp_path):
    (tmp_path / "voxaudit.toml").write_text('quiet = true\nfail-under = 99\n[report]\noutput = "from-file"\n')
    # the file alone: score 52.2 < 99, reports where the file says
    assert run("report", saved, cwd=tmp_path).returncode == 1 and (tmp_path / "from-file/scan.json").is_file()
    env = {"VOXAUDIT_FAIL_UNDER": "1"}
    assert run("report", saved, cwd=tmp_path, env=env).returncode == 0  # environment over the file
    env["VOXAUDIT_REPORT_FAIL_UNDER"] = "99"
    assert run("report", saved, cwd=tmp_path, env=env).returncode == 1  # the command's own variable first
    assert run("report", saved, "--fail-under", "1", cwd=tmp_path, env=env).returncode == 0  # command line wins
    proc = run("report", saved, "--fail-under", "1", cwd=tmp_path, env={"VOXAUDIT_REPORT_QUIET": "false"})
    assert "Overall score" in proc.stdout  # a flag from the environment beats the file too


def test_pyproject_table_and_explicit_config(saved, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "clinic-ci"\n[tool.voxaudit]\nfail-on = "HIGH"\n'
                                             '[tool.voxaudit.report]\nformat = ["csv"]\noutput = "py-out"\nquiet = true\n')
    assert run("report", saved, cwd=tmp_path).returncode == 1
    assert sorted(p.name for p in (tmp_path / "py-out").iterdir()) == ["findings.csv", "scan.json"]
    (tmp_path / "voxaudit.toml").write_text('[report]\noutput = "toml-out"\nquiet = true\n')  # wins over pyproject
    assert run("report", saved, cwd=tmp_path).returncode == 0 and (tmp_path / "toml-out/report.html").is_file()
    other = tmp_path / "ci.toml"
    other.write_text('[report]\noutput = "ci-out"\nformat = "md"\nquiet = true\nfail-on = "low"\n')
    for args in (("--config", other, "report", saved), ("report", saved, "--config", other)):
        proc = run(*args, cwd=tmp_path)
        assert proc.returncode == 1, proc.stderr
        assert (tmp_path / "ci-out/report.md").is_file()
    assert run("report", saved, cwd=tmp_path, env={"VOXAUDIT_CONFIG": str(other)}).returncode == 1
    (tmp_path / "voxaudit.toml").write_text('[checks.list]\nformat = "json"\n')
    assert json.loads(run("checks", "list", cwd=tmp_path).stdout)[0]["id"]


def test_an_explicit_config_replaces_the_one_found(saved, tmp_path):
    (tmp_path / "voxaudit.toml").write_text("[report\n")  # broken, and not used when a file is named
    (tmp_path / "ci.toml").write_text('[report]\nquiet = true\noutput = "ci-out"\n')
    assert run("report", saved, "--config", "ci.toml", cwd=tmp_path).returncode == 0
    assert run("report", saved, "--config=ci.toml", cwd=tmp_path).returncode == 0
    assert (tmp_path / "ci-out/scan.json").is_file()
    found = run("report", saved, cwd=tmp_path)
    assert found.returncode == 2 and "voxaudit.toml" in found.stderr and "not valid TOML" in found.stderr


@pytest.mark.parametrize("text, key", [
    (f'fail_onn = "{CANARY}"\n', "fail_onn"),
    (f'[scan]\nbroker_url = "redis://:{CANARY}@h/0"\n', "broker_url"),
    (f'[scna]\nquiet = "{CANARY}"\n', "scna"),
    (f'[checks.lst]\nformat = "{CANARY}"\n', "checks.lst"),
    (f'[scan]\nquiet = "{CANARY}"\n', "scan.quiet"),
    (f'checks = ["{CANARY}"]\n', "checks"),
    (f'[scan\nnotify-webhook = "{CANARY}"\n', "not valid TOML"),
])
def test_config_errors_name_the_key_never_the_value(saved, tmp_path, text, key):
    (tmp_path / "voxaudit.toml").write_text(text)
    proc = run("report", saved, "-o", tmp_path / "o", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert key in proc.stderr and "voxaudit.toml" in proc.stderr
    assert CANARY not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr


def test_every_option_has_its_variable(tmp_path):
    import click

    from voxaudit.cli import cli
    from voxaudit.cli.config import walk
    ctx = click.Context(cli, info_name="voxaudit")
    count = 0
    for path, cmd in walk(cli, ctx):
        for p in cmd.params:
            if isinstance(p, click.Option) and p.name not in {"help"} and p.expose_value:
                long = next(o for o in p.opts if o.startswith("--")).lstrip("-").upper().replace("-", "_")
                assert f"VOXAUDIT_{'_'.join(path).upper()}_{long}" in (p.envvar or []), (path, p.opts)
                count += 1
    assert count > 60
    # and one of them at work: `checks list` in JSON from the environment alone
    proc = run("checks", "list", cwd=tmp_path, env={"VOXAUDIT_CHECKS_LIST_FORMAT": "json"})
    assert json.loads(proc.stdout)


# ---- help, completion, messages, tables -----------------------------------------------------------------------

def test_help_describes_today_with_examples_and_everyday_first():
    proc = run("--help")
    assert proc.returncode == 0
    assert "FreeSWITCH" in proc.stdout and "Examples:" in proc.stdout and "-o - > results.sarif" in proc.stdout
    commands = re.findall(r"^  (\w+)\s{2,}", proc.stdout.split("Commands:")[1], re.M)
    assert commands[:3] == ["scan", "report", "rescore"] and commands[-1] == "worker"
    opts = re.findall(r"^  (?:-\w, )?(--[\w-]+)", run("scan", "--help").stdout, re.M)
    assert opts.index("--config-dir") < opts.index("--format") < opts.index("--fail-on") < opts.index("--workers")


def test_shell_completion(tmp_path):
    script = run(env={"_VOXAUDIT_COMPLETE": "bash_source"}, cwd=tmp_path)
    assert "_voxaudit_completion" in script.stdout and "complete " in script.stdout
    words = run(env={"_VOXAUDIT_COMPLETE": "bash_complete", "COMP_WORDS": "voxaudit sc", "COMP_CWORD": "1"},
                cwd=tmp_path)
    assert "plain,scan" in words.stdout.splitlines()
    sev = run(env={"_VOXAUDIT_COMPLETE": "bash_complete", "COMP_WORDS": "voxaudit scan --fail-on ", "COMP_CWORD": "3"},
              cwd=tmp_path)
    assert {"plain,critical", "plain,high"} <= set(sev.stdout.splitlines())


def test_a_platform_that_finds_nothing_says_why(tmp_path):
    proc = run("scan", "--config-dir", EXAMPLE, "--platform", "FreeSWITCH", "-o", tmp_path / "o", "-q", cwd=tmp_path)
    assert proc.returncode == 3
    assert "freeswitch.xml" in proc.stderr and str(EXAMPLE) in proc.stderr  # what it looked for, and where
    assert "try --platform asterisk" in proc.stderr and "see the report's coverage section" not in proc.stderr
    mdm = run("scan", "--config-dir", EXAMPLE, "--platform", "mdm", "-o", tmp_path / "m", cwd=tmp_path)
    assert mdm.returncode == 3  # collected, but every check is an ERROR: nothing was audited
    assert "every check on every target was an error" in mdm.stderr and "try --platform asterisk" in mdm.stderr
    assert (tmp_path / "m" / "scan.json").exists()


@pytest.mark.parametrize("platform", ["phone", "switch", "mdm"])
def test_a_folder_the_platform_cannot_read_never_passes(tmp_path, platform):
    """A per-file platform given files it does not understand collects them (each is a gap), so no target
    fails collection; every check is then an ERROR and the run must not exit 0 (a CI job would go green)."""
    folder = tmp_path / "backup"
    folder.mkdir()
    (folder / "notes.txt").write_text("this is not a configuration\n")
    proc = run("scan", "--config-dir", folder, "--platform", platform, "-o", tmp_path / "o", cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr
    assert "nothing could be audited" in proc.stderr and (proc.stderr.count("notes.txt") if platform != "mdm" else
                                                          "1 file(s) here" in proc.stderr)
    assert json.loads((tmp_path / "o" / "scan.json").read_text())["results"]  # the report is still written


def test_one_target_with_nothing_to_assess_warns_and_the_others_decide(tmp_path):
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("not a phone file\n")
    inv = tmp_path / "inv.yaml"
    inv.write_text(f"clinics:\n- name: C\n  sites:\n  - name: S\n    targets:\n"
                   f"    - name: pbx\n      platform: asterisk\n      config_dir: {EXAMPLE}\n"
                   f"    - name: phones\n      platform: phone\n      config_dir: {junk}\n")
    proc = run("scan", inv, "-o", tmp_path / "o", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "1 of 2 targets gave nothing to assess" in proc.stderr and "phones (platform phone)" in proc.stderr


def test_checks_list_unknown_platform_is_exit_2():
    proc = run("checks", "list", "--platform", "bogus")
    assert proc.returncode == 2 and "bogus" in proc.stderr and "asterisk" in proc.stderr
    assert run("checks", "list", "--platform", "FreeSwitch").returncode == 0


def test_piped_tables_never_cut_ids(tmp_path):
    """At a width of 30 columns, every ID another command needs is still whole on its line."""
    db = tmp_path / "h.sqlite"
    run("scan", "--config-dir", EXAMPLE, "-o", tmp_path / "s", "-q", "--history-db", db, cwd=tmp_path)
    scan_id = json.loads((tmp_path / "s/scan.json").read_text())["scan_id"]
    history = run("history", "--history-db", db, columns="30", cwd=tmp_path)
    assert re.search(rf"\b{scan_id}\b", history.stdout), history.stdout
    assert run("diff", scan_id, tmp_path / "s/scan.json", "--history-db", db, cwd=tmp_path).returncode == 0
    profiles = run("profiles", "list", columns="30").stdout
    for pid in json.loads(run("profiles", "list", "--format", "json").stdout):
        assert re.search(rf"(?<![\w-]){re.escape(pid['id'])}(?![\w-])", profiles), pid["id"]
    checks = run("checks", "list", columns="30").stdout
    for c in json.loads(run("checks", "list", "--format", "json").stdout):
        assert re.search(rf"(?<![\w-]){c['id']}(?![\w-])", checks), c["id"]


def test_every_list_has_json(tmp_path):
    db = tmp_path / "h.sqlite"
    for args in (("checks", "list"), ("checks", "show", "AST-VM-108"), ("profiles", "list"),
                 ("profiles", "show", "hipaa-security-rule"), ("history", "--history-db", db)):
        proc = run(*args, "--format", "json", cwd=tmp_path)
        assert proc.returncode == 0, (args, proc.stderr)
        json.loads(proc.stdout)
    # checks show by a 1.x ID: the control it became, and the ID asked for, as data
    shown = json.loads(run("checks", "show", "ast-vm-108", "--format", "JSON").stdout)
    assert shown["requested"] == "AST-VM-108" and shown["id"] in shown["resolves_to"] and shown["origin"]
    listed = {c["id"]: c for c in json.loads(run("checks", "list", "--format", "json").stdout)}
    assert {k: v for k, v in shown.items() if k not in {"origin", "requested", "resolves_to"}} == listed[shown["id"]]


def test_history_shows_its_figures_in_an_80_column_terminal(tmp_path):
    """In a terminal (not piped) of 80 columns, `voxaudit history` once showed the scan, time and profile and
    squeezed Targets..Errors to empty columns. Now every figure is there, the IDs whole, nothing cut."""
    import io

    from rich.console import Console

    from voxaudit.cli.history import history_table
    from voxaudit.history import History

    db = tmp_path / "h.sqlite"
    for name, config_dir in (("pbx", EXAMPLE), ("empty", tmp_path)):  # a scored scan, and one not assessed
        run("scan", "--config-dir", config_dir, "--name", name, "-o", tmp_path / name, "-q", "--history-db", db,
            cwd=tmp_path)
    store = History(db)
    rows = store.scans(limit=5)
    store.close()
    assert len(rows) == 2 and {r["overall"] is None for r in rows} == {True, False}

    def shown(width: int, table_rows: list[dict]) -> str:
        console = Console(width=width, file=io.StringIO(), color_system=None, legacy_windows=False)
        console.print(history_table(table_rows, width))
        text = console.file.getvalue()
        assert max(len(line) for line in text.splitlines()) <= width
        return text

    text = shown(80, rows)
    for header in ("Scan", "Targets", "Score", "Coverage", "Failing", "Errors"):
        assert header in text
    assert "…" not in text and "hipaa-security-rule" in text  # the one profile, in the title
    for r in rows:
        line = next(ln for ln in text.splitlines() if r["scan_id"] in ln)
        figures = re.findall(r"\d+(?:\.\d)?%?", line.split(r["scan_id"], 1)[1])
        assert figures[-3:] == [f"{r['coverage']:.0f}%", str(r["failing"]), str(r["errors"])], line
    scored = next(r for r in rows if r["overall"] is not None)
    assert f"{scored['overall']:.1f}" in text and "not" in text and "assessed" in text
    for narrow in (72, 79):  # a split pane: the date without its time, every figure still there (was: from 76)
        text = shown(narrow, rows)
        for header in ("Scan", "Date (UTC)", "Targets", "Score", "Coverage", "Failing", "Errors"):
            assert header in text, (narrow, header)
        for r in rows:
            line = next(ln for ln in text.splitlines() if r["scan_id"] in ln)
            assert line.split()[-1] == str(r["errors"]) and r["finished_at"][:10] in line, (narrow, line)
    wide = shown(400, rows)
    assert "Reports" in wide and all(r["report_dir"] in wide for r in rows)
    mixed = shown(400, [rows[0], {**rows[1], "profile": "hipaa-2025-nprm"}])
    assert "Profile" in mixed and "hipaa-2025-nprm" in mixed


@pytest.mark.parametrize("profile", ["hipaa-security-rule", "hipaa-2025-nprm"])
def test_the_scan_summary_fits_an_80_column_terminal(saved, profile):
    """Every safeguard's citation whole (it was cut to "164.308(a)(1)(ii…" at 80 columns) and every figure on
    its row; the NPRM's long citations wrap beneath instead."""
    import io

    from rich.console import Console

    from voxaudit.cli.common import summary
    from voxaudit.profile import load_profile
    from voxaudit.registry import load_registry
    from voxaudit.scan import load_scan
    from voxaudit.service import rescore

    reg = load_registry()
    doc = rescore(load_scan(saved), reg, load_profile(profile, reg), [])
    console = Console(width=80, file=io.StringIO(), color_system=None, legacy_windows=False)
    summary(doc, [], False, console)
    text = console.file.getvalue()
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 80
    rows = [ln for ln in text.splitlines() if re.search(r" (required|addressable) ", ln)]
    assert len(rows) == len(doc.scores.safeguards)
    for s, line in zip(doc.scores.safeguards, rows):
        assert line.lstrip().startswith(s.citation.split()[0] + (" " if " " in s.citation else "")), line
        score = "not assessed" if s.score is None else f"{s.score:.1f}"
        coverage = "n/a" if s.coverage is None else f"{s.coverage:.0f}%"
        assert re.search(rf"{re.escape(score)}\s+{re.escape(coverage)}\s+{s.failed}\s+{s.errors}$", line.rstrip()), line
    assert f"{doc.scores.counts['FAIL']} failing" in text


def test_diff_to_a_scan_that_assessed_nothing_says_not_assessed(saved, tmp_path):
    """The diff speaks as the reports do: a score that does not exist is "not assessed", never "None"."""
    empty = tmp_path / "empty"
    empty.mkdir()
    scan = run("scan", "--config-dir", empty, "--platform", "freeswitch", "-o", tmp_path / "o", "-f", "json", "-q",
               "--no-history", cwd=tmp_path)
    assert scan.returncode == 3, scan.stderr
    proc = run("diff", saved, tmp_path / "o" / "scan.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert re.search(r"score \d+\.\d -> not assessed \(n/a\)$", first), first
    assert "None" not in proc.stdout and "-> not assessed" in proc.stdout.split("Safeguard scores")[1]


def test_a_1x_id_bound_on_several_platforms_is_listed_once():
    """KAM-ACC-103 is the 1.x ID on Kamailio and on OpenSIPS: the table and the catalogue name it once."""
    table = run("checks", "list", columns="400").stdout
    row = next(line for line in table.splitlines() if "AUTH-SECRET-101" in line)
    assert row.count("KAM-ACC-103") == 1, row
    markdown = run("checks", "list", "--format", "markdown").stdout
    row = next(line for line in markdown.splitlines() if line.startswith("| AUTH-SECRET-101 "))
    assert row.count("KAM-ACC-103") == 1, row


def test_failing_is_one_count_in_terminal_and_reports(tmp_path):
    waivers = tmp_path / "w.yaml"
    waivers.write_text("waivers:\n  - check: AST-VM-109\n    resource: \"mailbox 107@default\"\n    owner: J\n"
                       "    reason: retired\n    expires: 2999-01-01\n")
    proc = run("scan", "--config-dir", EXAMPLE, "-w", waivers, "-o", tmp_path / "o", "-f", "json,html,md",
               "--no-history", cwd=tmp_path)
    doc = json.loads((tmp_path / "o/scan.json").read_text())
    failing = sum(1 for r in doc["results"] if r["status"] == "FAIL" and not r["waiver"])
    assert failing == doc["scores"]["counts"]["FAIL"] == 63  # 64 in the example, one waived
    assert f"{failing} failing" in proc.stdout and "1 waived" in proc.stdout
    assert re.search(rf"Failing\D{{0,80}}\b{failing}\b", (tmp_path / "o/report.html").read_text())
    assert f"{failing} in " in (tmp_path / "o/report.md").read_text()


def test_version_is_answered_before_click_is_imported():
    # The one import name: with ``auditor.cli`` the check below named modules nothing imports (the package's
    # own imports are ``voxaudit.*``), so it could not fail.
    code = ("import sys; sys.argv = ['voxaudit', '--version']; from voxaudit.cli import main; main(); "
            "print(sorted(m for m in ('click', 'rich', 'voxaudit.cli.config', 'voxaudit.engine') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert proc.stdout.splitlines() == ["voxaudit, version " + proc.stdout.split("version ")[1].split()[0], "[]"]
