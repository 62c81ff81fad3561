"""What every command shares: the consoles, exit codes, input errors, output options, and how a
finished scan is written, summarised and gated (the gate itself is the service's)."""
from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any, Callable, Optional

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from auditor.collectors.offline import CollectionError
from auditor.inventory import InventoryError
from auditor.model import Severity
from auditor.profile import ProfileError
from auditor.registry import Registry, RegistryError, load_registry
from auditor.scan import ScanDocument, ScanFileError
from auditor.service import BaselineError, gate
from auditor.service import load_baseline as _service_load_baseline
from auditor.waivers import WaiverError
from reports.escaping import terminal_safe

EXIT_OK, EXIT_GATE, EXIT_INPUT, EXIT_NOTHING, EXIT_INTERNAL = 0, 1, 2, 3, 4
FORMAT_CHOICES = ("html", "md", "json", "csv", "sarif", "junit", "all")
INPUT_ERRORS = (InventoryError, ProfileError, RegistryError, WaiverError, ScanFileError, CollectionError, BaselineError)

err = Console(stderr=True)
out = Console()


class InputError(click.ClickException):
    exit_code = EXIT_INPUT

    def show(self, file=None) -> None:  # one line, no traceback, no markup or escapes from file names
        err.print(Text.assemble(("error: ", "bold red"), terminal_safe(self.message)), soft_wrap=True, highlight=False)


def parse_formats(values: tuple[str, ...]) -> list[str]:
    chosen: list[str] = []
    for v in values:
        for part in v.split(","):
            part = part.strip().lower()
            if not part:
                continue
            if part not in FORMAT_CHOICES:
                raise InputError(f"unknown format {part!r}; choose from {', '.join(FORMAT_CHOICES)}")
            chosen += ["html", "md", "json", "csv", "sarif", "junit"] if part == "all" else [part]
    return list(dict.fromkeys(chosen or ["html", "json"]))


def registry_of(checks_dirs: tuple[Path, ...]) -> Registry:
    return load_registry(list(checks_dirs))


def load_baseline(path: Optional[Path]) -> Optional[set[tuple[Any, str, str]]]:
    try:
        return _service_load_baseline(path)
    except BaselineError as exc:
        raise InputError(str(exc)) from None


def summary(doc: ScanDocument, written: list[Path], quiet: bool) -> None:
    if quiet:
        return
    meta = doc.meta()
    table = Table(title=f"voxaudit: {doc.profile.title}", title_justify="left")
    for col in ("Safeguard", "Level", "Score", "Coverage", "Fail", "Error"):
        table.add_column(col, justify="right" if col in {"Score", "Coverage", "Fail", "Error"} else "left")
    for s in doc.scores.safeguards:
        score = "n/a" if s.score is None else f"{s.score:.1f}"
        style = "" if s.score is None else ("green" if s.score >= 80 else "yellow" if s.score >= 60 else "red")
        table.add_row(f"{s.citation} {s.title}", s.level, f"[{style}]{score}[/]" if style else score,
                      "n/a" if s.coverage is None else f"{s.coverage:.0f}%", str(s.failed), str(s.errors))
    out.print(table)
    worst = sorted({r.check_id for r in doc.results if r.effective_status == "FAIL" and r.check_id in meta},
                   key=lambda c: (-meta[c].severity.rank, c))
    if worst:
        out.print("[bold]Top findings:[/]")
        for cid in worst[:10]:
            n = sum(1 for r in doc.results if r.check_id == cid and r.effective_status == "FAIL")
            out.print(f"  {meta[cid].severity.value:>8}  {cid:<13} {meta[cid].title} ({n})", highlight=False, markup=False)
        if len(worst) > 10:
            out.print(f"  ... and {len(worst) - 10} more in the report")
    score = "n/a" if doc.scores.overall is None else f"{doc.scores.overall:.1f}"
    cov = "n/a" if doc.scores.coverage is None else f"{doc.scores.coverage:.1f}%"
    out.print(f"[bold]Overall score {score}/100[/], coverage {cov}; "
              f"{doc.scores.counts.get('FAIL', 0)} failing, {doc.scores.counts.get('ERROR', 0)} errors, "
              f"{doc.scores.counts.get('WAIVED', 0)} waived.", highlight=False)
    for w in doc.warnings[:5]:  # config-derived: no escape sequences, no rich markup
        err.print(Text.assemble(("warning: ", "yellow"), terminal_safe(w)), highlight=False, soft_wrap=True)
    if len(doc.warnings) > 5:
        err.print(f"[yellow]warning:[/] {len(doc.warnings) - 5} more warnings in the report")
    for p in written:
        out.print(f"wrote {p}", highlight=False)


def finish(doc: ScanDocument, formats: list[str], output: Path, fail_on, fail_under, quiet,
            journal: Optional[Path] = None, baseline: Optional[set] = None) -> None:
    # The document lives until the process ends: moved out of the collector's sight, it is not walked
    # again at every collection the renderers' imports and allocations trigger (0.8 s at 10,000 extensions).
    gc.freeze()
    from reports.render import write_reports

    written = write_reports(doc, formats, output)
    if journal is not None and journal.exists():
        journal.unlink()  # the reports now hold everything the journal protected
    summary(doc, written, quiet)
    if doc.targets and all(t.failure is not None for t in doc.targets):
        err.print("[bold red]error:[/] no target could be collected; see the report's coverage section")
        sys.exit(EXIT_NOTHING)
    reasons = gate(doc, fail_on, fail_under, baseline)
    for r in reasons:
        err.print(f"[bold red]gate failed:[/] {r}", highlight=False)
    sys.exit(EXIT_GATE if reasons else EXIT_OK)


common_output = [
    click.option("--format", "-f", "formats", multiple=True, help="html, md, json, csv, sarif, junit or all; "
                 "repeat or comma-separate. Default: html,json. The JSON scan is always written."),
    click.option("--output", "-o", type=click.Path(path_type=Path), default=Path("voxaudit-out"), show_default=True,
                 help="Directory for reports."),
    click.option("--fail-on", type=click.Choice([s.value for s in Severity]), help="Exit 1 if any check at or above "
                 "this severity fails (waived findings do not count)."),
    click.option("--fail-under", type=click.FloatRange(0, 100), help="Exit 1 if the overall score is below this."),
    click.option("--baseline", type=click.Path(path_type=Path, exists=True, dir_okay=False),
                 help="Baseline file ('voxaudit baseline'): --fail-on counts only findings not in it."),
    click.option("--quiet", "-q", is_flag=True, help="No progress or summary; exit code only (for cron and CI)."),
]
profile_options = [
    click.option("--profile", "-p", default="hipaa-security-rule", show_default=True,
                 help="Built-in profile id or path to a profile YAML."),
    click.option("--waivers", "-w", type=click.Path(path_type=Path, exists=True, dir_okay=False),
                 help="Waivers YAML (check, resource, owner, reason, expires)."),
    click.option("--checks-dir", multiple=True, type=click.Path(path_type=Path, file_okay=False),
                 help="Extra directory of check modules (repeatable)."),
]


def apply(options: list[Callable[[Any], Any]]) -> Callable[[Any], Any]:
    def deco(f: Any) -> Any:
        for opt in reversed(options):
            f = opt(f)
        return f
    return deco
