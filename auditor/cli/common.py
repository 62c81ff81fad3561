"""What every command shares: the consoles, exit codes, input errors, output options, and how a
finished scan is written (to a folder, or one format to standard output), summarised and gated
(the gate itself is the service's)."""
from __future__ import annotations

import atexit
import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, NoReturn, Optional

import click

from voxaudit.cli.config import SharedOption
from voxaudit.collectors.offline import CollectionError
from voxaudit.model import Severity, Status
from voxaudit.profile import Profile, ProfileError, Selection
from voxaudit.registry import Registry, RegistryError, load_registry
from voxaudit.reports.escaping import terminal_safe
from voxaudit.scan import ScanDocument, ScanFileError
from voxaudit.service import BaselineError, gate
from voxaudit.service import load_baseline as _service_load_baseline
from voxaudit.waivers import WaiverError

if TYPE_CHECKING:
    from rich.console import Console

EXIT_OK, EXIT_GATE, EXIT_INPUT, EXIT_NOTHING, EXIT_INTERNAL = 0, 1, 2, 3, 4


def input_errors() -> tuple[type[Exception], ...]:
    """The errors that mean bad input (exit 2). The inventory's is imported here, when one is raised or a
    command that takes an inventory asks: a ``--config-dir`` scan never loads the inventory module."""
    from voxaudit.inventory import InventoryError
    return (InventoryError, ProfileError, RegistryError, WaiverError, ScanFileError, CollectionError, BaselineError)


def __getattr__(name: str) -> Any:
    """``INPUT_ERRORS``, as :func:`input_errors` (for the commands that import it by name)."""
    if name == "INPUT_ERRORS":
        return input_errors()
    raise AttributeError(name)


STDOUT = "-"  # -o -: one format to standard output
MAX_EXPLAINED = 10  # targets explained one by one on the terminal; the rest are in the report


def _console(stderr: bool = False) -> Console:
    """Piped or logged (not a terminal), nothing is wrapped or cut at a width: the IDs in a table or a gate
    message (scan, profile, control IDs) are what other commands, scripts and CI logs take."""
    from rich.console import Console

    console = Console(stderr=stderr)
    return console if console.is_terminal else Console(stderr=stderr, width=100_000)


class _LazyConsole:
    """A rich console made on first use: rich is ~40 ms of start-up, and a quiet run (cron, CI, the
    benchmark) that prints nothing never loads it."""

    def __init__(self, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Optional[Console] = None

    def get(self) -> Console:
        """The console itself (for rich's own widgets, which take one)."""
        if self._console is None:
            self._console = _console(self._stderr)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)


def styled(label: str, style: str, text: str) -> Any:
    """``label`` in ``style`` followed by ``text`` taken literally (no markup): a rich Text."""
    from rich.text import Text

    return Text.assemble((label, style), text)


def plain(text: str, style: str = "") -> Any:
    """``text`` taken literally (no markup), optionally in one style: a rich Text."""
    from rich.text import Text

    return Text(text, style=style)


err = _LazyConsole(stderr=True)
out = _LazyConsole(stderr=False)


class InputError(click.ClickException):
    exit_code = EXIT_INPUT

    def show(self, file=None) -> None:  # one line, no traceback, no markup or escapes from file names
        err.print(styled("error: ", "bold red", terminal_safe(self.message)), soft_wrap=True, highlight=False)


def _all_formats() -> tuple[str, ...]:
    from voxaudit.reports.render import FORMATS
    return tuple(FORMATS)


def split_values(values: tuple[str, ...]) -> list[str]:
    """Repeated and comma-separated values as one list (``-f md,sarif -f csv``)."""
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


def parse_formats(values: tuple[str, ...]) -> list[str]:
    """The formats asked for; ``all`` is every format but pdf (which needs Chromium): name pdf to get it."""
    known = _all_formats()
    chosen: list[str] = []
    for part in split_values(values):
        part = part.lower()
        if part not in known and part != "all":
            raise InputError(f"unknown format {part!r}; choose from {', '.join(known)} or all")
        chosen += [f for f in known if f != "pdf"] if part == "all" else [part]
    return list(dict.fromkeys(chosen or ["html", "json"]))


def is_stdout(output: Optional[Path]) -> bool:
    return output is not None and str(output) == STDOUT


def output_formats(values: tuple[str, ...], output: Path) -> list[str]:
    """The formats to write, checked against where they go: with ``-o -``, exactly one text format."""
    fmts = parse_formats(values)
    if is_stdout(output):
        from voxaudit.reports.render import RENDERERS
        named = split_values(values)
        if len(named) != 1 or len(fmts) != 1:
            raise InputError("-o - writes one format to standard output: give exactly one --format "
                             f"({', '.join(RENDERERS)})")
        if fmts[0] not in RENDERERS:
            raise InputError(f"the {fmts[0]} format cannot go to standard output; write it to a folder with -o DIR")
    return fmts


def registry_of(checks_dirs: tuple[Path, ...]) -> Registry:
    return load_registry(list(checks_dirs))


def selection_of(checks: tuple[str, ...], skip: tuple[str, ...], severities: tuple[str, ...]) -> Optional[Selection]:
    """``--checks``/``--skip-checks``/``--severity`` as the profile's selection (None: the profile as written)."""
    sel = Selection(checks=split_values(checks), skip=split_values(skip), severities=[s.lower() for s in split_values(severities)])
    return sel if sel else None


def note_selection(doc: ScanDocument, prof: Profile) -> None:
    """A filtered run says so in every report: its scores and coverage cover only what ran."""
    if not prof.selection:
        return
    ran = len(prof.check_ids())
    doc.warnings = [f"(all targets): {prof.selection}: only {ran} of the {prof.unfiltered} controls of profile "
                    f"{prof.id} ran; scores and coverage cover only these", *doc.warnings]


def load_baseline(path: Optional[Path]) -> Optional[set[tuple[Any, str, str]]]:
    try:
        return _service_load_baseline(path)
    except BaselineError as exc:
        raise InputError(str(exc)) from None


def _score(value: Optional[float]) -> str:
    return "not assessed" if value is None else f"{value:.1f}"


def summary(doc: ScanDocument, written: list[Path], quiet: bool, console: Any = out) -> None:
    """The terminal summary. ``console`` is standard error when standard output carries a report."""
    if quiet:
        return
    from rich import box
    from rich.table import Table  # only for this summary: a quiet run (cron, CI, the benchmark) never loads it

    meta = doc.meta()
    # Fits an 80-column terminal with every figure and whole citations (164.308(a)(1)(ii)(D) is one word): no
    # vertical rules, the safeguard column at least as wide as its longest word, the titles wrapping beneath.
    table = Table(title=f"voxaudit: {doc.profile.title}", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    longest = max((len(w) for s in doc.scores.safeguards for w in s.citation.split()), default=9)
    table.add_column("Safeguard", min_width=min(max(longest, 9), 28))
    table.add_column("Level", no_wrap=True)
    for col in ("Score", "Coverage", "Failing", "Errors"):
        table.add_column(col, justify="right", no_wrap=True)
    for s in doc.scores.safeguards:
        style = "" if s.score is None else ("green" if s.score >= 80 else "yellow" if s.score >= 60 else "red")
        score = _score(s.score)
        table.add_row(f"{s.citation} {s.title}", s.level, f"[{style}]{score}[/]" if style else f"[dim]{score}[/]",
                      "n/a" if s.coverage is None else f"{s.coverage:.0f}%", str(s.failed), str(s.errors))
    console.print(table)
    worst = sorted({r.check_id for r in doc.results if r.effective_status == "FAIL" and r.check_id in meta},
                   key=lambda c: (-meta[c].severity.rank, c))
    if worst:
        console.print("[bold]Top findings:[/]")
        for cid in worst[:10]:
            n = sum(1 for r in doc.results if r.check_id == cid and r.effective_status == "FAIL")
            console.print(f"  {meta[cid].severity.value:>8}  {cid:<13} {meta[cid].title} ({n} failing)", highlight=False,
                          markup=False)
        if len(worst) > 10:
            console.print(f"  ... and {len(worst) - 10} more in the report")
    overall = "not assessed" if doc.scores.overall is None else f"{doc.scores.overall:.1f}/100"
    cov = "n/a" if doc.scores.coverage is None else f"{doc.scores.coverage:.1f}%"
    # "failing": FAIL results not waived (scores.counts["FAIL"]), the number the HTML report and the portfolio show.
    errors = doc.scores.counts.get("ERROR", 0)
    console.print(f"[bold]Overall score {overall}[/], coverage {cov}; "
                  f"{doc.scores.counts.get('FAIL', 0)} failing, {errors} error{'' if errors == 1 else 's'}, "
                  f"{doc.scores.counts.get('WAIVED', 0)} waived.", highlight=False)
    for w in doc.warnings[:5]:  # config-derived: no escape sequences, no rich markup
        err.print(styled("warning: ", "yellow", terminal_safe(w)), highlight=False, soft_wrap=True)
    if len(doc.warnings) > 5:
        err.print(f"[yellow]warning:[/] {len(doc.warnings) - 5} more warnings in the report")
    for p in written:
        console.print(f"wrote {p}", highlight=False)


_ASSESSED = (Status.PASS, Status.FAIL)  # a waived FAIL (WAIVED) was assessed too


def unassessed(doc: ScanDocument, hints: Optional[dict[str, str]] = None) -> tuple[list[str], bool]:
    """Why each target gave nothing to judge, in a line each: the collector's reason (what it looked for and
    where), or the errors and not-applicable reasons its checks gave; ``hints`` may add what the folder
    looks like instead. Config-derived text: pass it through terminal_safe before printing.

    One pass over the results (140,000 at 10,000 extensions), which stops once every target has an
    assessed result (at once, for one target); only the results of a target with nothing assessed, rare,
    are gathered to explain it.

    Also says whether nothing at all was audited: every target failed collection or gave only errors (a
    folder of files the platform cannot read). A target whose every check is not applicable was read and
    judged to hold nothing of a kind: that is an answer, not a failure to audit."""
    todo = {t.name for t in doc.targets}
    for r in doc.results:
        if r.status in _ASSESSED and r.target in todo:
            todo.discard(r.target)
            if not todo:
                return [], False
    if not todo:
        return [], False
    by_target: dict[str, list[Any]] = {}
    for r in doc.results:
        if r.target in todo:
            by_target.setdefault(r.target, []).append(r)
    lines = []
    audited = len(todo) < len(doc.targets)
    for t in doc.targets:
        if t.name not in todo:
            continue
        rs = by_target.get(t.name, [])
        if t.failure is not None:
            why = f"not collected ({t.failure.kind.value}): {t.failure.reason}"
        elif not rs:
            audited = True
            why = "no check applies to what was collected"
        else:
            errors = [r for r in rs if r.effective_status == "ERROR"]
            audited = audited or not errors
            pool = errors or rs
            reasons = list(dict.fromkeys(r.evidence for r in pool))
            why = (f"nothing could be assessed ({len(errors)} errors), e.g. " if errors
                   else "every check was not applicable: ") + "; ".join(reasons[:2])
            if len(reasons) > 2:
                why += f" (and {len(reasons) - 2} other reasons in the report)"
        hint = (hints or {}).get(t.name)
        lines.append(f"{t.name} (platform {t.platform}): {why}" + (f". {hint}" if hint else ""))
    return lines, not audited


_exit_at_once = False  # set by the voxaudit process's own entry point (app.run), never in-process (CliRunner)


def exit_at_once() -> None:
    """This process is the ``voxaudit`` command: :func:`leave` may end it without tearing down the scan."""
    global _exit_at_once
    _exit_at_once = True


def leave(code: int) -> NoReturn:
    """Exit with ``code``. In the ``voxaudit`` process, once every report is written: flush standard
    output and error, run the exit handlers (logging's shutdown, those of libraries and of whoever embeds
    the command), and end the process with ``os._exit``, skipping the interpreter's teardown, which would
    free every object of the finished scan one by one (140,000 results and their evidence at 10,000
    extensions: about 0.05 s of a 1.3 s scan) only for the process to end. History stores are closed by
    their users before this. Anywhere else (a test's CliRunner, a program calling the click group), or
    while a non-daemon thread still runs, or if a flush fails (a closed pipe: Python's own exit reports
    it), a plain ``sys.exit``."""
    if _exit_at_once:
        import threading

        main = threading.main_thread()
        if all(t is main or t.daemon for t in threading.enumerate()):
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except (OSError, ValueError):
                sys.exit(code)
            atexit._run_exitfuncs()
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
            os._exit(code)
    sys.exit(code)


def finish(doc: ScanDocument, formats: list[str], output: Path, fail_on, fail_under, quiet,
           journal: Optional[Path] = None, baseline: Optional[set] = None,
           hints: Optional[dict[str, str]] = None) -> None:
    """Write (or print) the reports, summarise, explain what could not be assessed, and exit with the gate's code."""
    # The document lives until the process ends: moved out of the collector's sight, it is not walked
    # again at every collection the renderers' imports and allocations trigger (0.8 s at 10,000 extensions).
    gc.freeze()
    to_stdout = is_stdout(output)
    written: list[Path] = []
    pdf_problem = None
    if to_stdout:
        emit(doc, formats[0])
    elif "pdf" in formats:
        from voxaudit.reports.pdf import PdfError
        from voxaudit.reports.render import write_reports
        try:
            written = write_reports(doc, formats, output)
        except PdfError as exc:
            written, pdf_problem = exc.written, str(exc)
    else:
        from voxaudit.reports.render import write_reports
        written = write_reports(doc, formats, output)
    if journal is not None and journal.exists():
        journal.unlink()  # the reports now hold everything the journal protected
    summary(doc, written, quiet, err if to_stdout else out)
    lines, nothing_audited = unassessed(doc, hints)
    if doc.targets and nothing_audited:
        collected = not all(t.failure is not None for t in doc.targets)
        err.print("[bold red]error:[/] " + ("nothing could be audited: every check on every target was an error:"
                                            if collected else "no target could be collected:"))
        explain(lines)
        leave(EXIT_NOTHING)
    if lines and not quiet:
        err.print(f"[yellow]warning:[/] {len(lines)} of {len(doc.targets)} targets gave nothing to assess:")
        explain(lines)
    if pdf_problem:
        err.print(styled("error: ", "bold red", terminal_safe(pdf_problem)), soft_wrap=True, highlight=False)
        leave(EXIT_INPUT)
    reasons = gate(doc, fail_on, fail_under, baseline)
    for r in reasons:
        err.print(f"[bold red]gate failed:[/] {r}", highlight=False)
    leave(EXIT_GATE if reasons else EXIT_OK)


def explain(lines: list[str]) -> None:
    for line in lines[:MAX_EXPLAINED]:
        err.print(plain("  " + terminal_safe(line)), soft_wrap=True, highlight=False)
    if len(lines) > MAX_EXPLAINED:
        err.print(f"  ... and {len(lines) - MAX_EXPLAINED} more in the report's coverage section", highlight=False)


def emit(doc: ScanDocument, fmt: str) -> None:
    """One format on standard output, as UTF-8, and nothing else there."""
    from voxaudit.reports.render import render_format

    data = render_format(doc, fmt).encode("utf-8")
    sys.stdout.flush()
    stream = getattr(sys.stdout, "buffer", None)
    try:
        if stream is None:
            sys.stdout.write(data.decode("utf-8"))
        else:
            stream.write(data)
        sys.stdout.flush()
    except BrokenPipeError:  # `| head`: the reader has what it wanted; the exit code still tells the gate
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


class FormatOption(SharedOption):
    """--format: its help lists the formats of the installed renderers, read only when help is shown."""

    def get_help_record(self, ctx: click.Context) -> Optional[tuple[str, str]]:
        self.help = (f"{', '.join(_all_formats())}, or all (every one but pdf); repeat or comma-separate. "
                     "Default: html,json. The JSON scan (scan.json) is always written too, except with -o -.")
        return super().get_help_record(ctx)


common_output = [
    click.option("--format", "-f", "formats", multiple=True, cls=FormatOption, metavar="FORMAT"),
    click.option("--output", "-o", type=click.Path(path_type=Path), default=Path("voxaudit-out"), show_default=True,
                 cls=SharedOption, help="Directory for reports; '-': the one --format to standard output (nothing "
                 "written to disk; progress and messages on standard error)."),
    click.option("--fail-on", type=click.Choice([s.value for s in Severity], case_sensitive=False), cls=SharedOption,
                 help="Exit 1 if any check at or above this severity fails (waived findings do not count)."),
    click.option("--fail-under", type=click.FloatRange(0, 100), cls=SharedOption,
                 help="Exit 1 if the overall score is below this."),
    click.option("--baseline", type=click.Path(path_type=Path, exists=True, dir_okay=False), cls=SharedOption,
                 help="Baseline file ('voxaudit baseline'): --fail-on counts only findings not in it."),
    click.option("--quiet", "-q", is_flag=True, cls=SharedOption,
                 help="No progress, summary or warnings: only errors and why a gate failed, on standard error "
                      "(so cron mails only then); the exit code says the rest."),
]
profile_options = [
    click.option("--profile", "-p", default="hipaa-security-rule", show_default=True, cls=SharedOption,
                 help="Built-in profile id or path to a profile YAML."),
    click.option("--waivers", "-w", type=click.Path(path_type=Path, exists=True, dir_okay=False), cls=SharedOption,
                 help="Waivers YAML (check, resource, owner, reason, expires)."),
    click.option("--checks", "checks", multiple=True, metavar="IDS", cls=SharedOption,
                 help="Run only these controls: control IDs, 1.x IDs or globs ('ACC-*'); comma-separate or repeat. "
                      "Scores and coverage then cover only these, and the report says so."),
    click.option("--skip-checks", "skip_checks", multiple=True, metavar="IDS", cls=SharedOption,
                 help="Do not run these controls (IDs, 1.x IDs or globs)."),
    click.option("--severity", "severities", multiple=True, metavar="LEVELS", cls=SharedOption,
                 help="Run only controls of these severities, any case: critical, high, medium, low "
                      "(e.g. critical,high for high and above)."),
    click.option("--checks-dir", multiple=True, type=click.Path(path_type=Path, file_okay=False), cls=SharedOption,
                 help="Extra directory of check modules (repeatable)."),
]


def apply(options: list[Callable[[Any], Any]]) -> Callable[[Any], Any]:
    def deco(f: Any) -> Any:
        for opt in reversed(options):
            f = opt(f)
        return f
    return deco
