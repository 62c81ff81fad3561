"""voxaudit command line.

Exit codes (documented in README.md):
  0  scan done, gates passed
  1  a gate failed: a finding at or above --fail-on, or the score below --fail-under
  2  bad input: options, inventory, profile, waivers or saved scan file
  3  nothing could be audited: every target failed collection
  4  internal error (reports already written are kept; set VOXAUDIT_DEBUG=1 for a traceback)
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from auditor import __version__
from auditor.collectors.offline import CollectionError
from auditor.collectors.packets import PcapSpec
from auditor.engine.broker import DistributedError
from auditor.engine.collect import OFFLINE_PLATFORMS, TargetSpec
from auditor.inventory import InventoryError, load_inventory
from auditor.model import Result, Severity
from auditor.profile import ProfileError, builtin_profiles, load_profile
from auditor.registry import Registry, RegistryError, load_registry
from auditor.scan import ScanDocument, ScanFileError, load_scan
from auditor.service import rescore, run_scan
from auditor.structured import StructuredFileError, load_json
from auditor.waivers import WaiverError, load_waivers
from reports.escaping import terminal_safe

EXIT_OK, EXIT_GATE, EXIT_INPUT, EXIT_NOTHING, EXIT_INTERNAL = 0, 1, 2, 3, 4
FORMAT_CHOICES = ("html", "md", "json", "csv", "sarif", "junit", "all")
INPUT_ERRORS = (InventoryError, ProfileError, RegistryError, WaiverError, ScanFileError, CollectionError)

err = Console(stderr=True)
out = Console()


class InputError(click.ClickException):
    exit_code = EXIT_INPUT

    def show(self, file=None) -> None:  # one line, no traceback, no markup or escapes from file names
        err.print(Text.assemble(("error: ", "bold red"), terminal_safe(self.message)), soft_wrap=True, highlight=False)


def _formats(values: tuple[str, ...]) -> list[str]:
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


def _registry(checks_dirs: tuple[Path, ...]) -> Registry:
    return load_registry(list(checks_dirs))


def _gate(doc: ScanDocument, fail_on: Optional[str], fail_under: Optional[float],
          baseline: Optional[set] = None) -> list[str]:
    reasons = []
    meta = doc.meta()
    if fail_on:
        floor = Severity(fail_on).rank
        hits = {r.check_id for r in doc.results if r.effective_status == "FAIL" and r.check_id in meta
                and meta[r.check_id].severity.rank >= floor
                and (baseline is None or not _in_baseline(r, baseline))}
        if hits:
            reasons.append(f"{len(hits)} failing check(s) at or above {fail_on}: {', '.join(sorted(hits)[:8])}"
                           + (" ..." if len(hits) > 8 else ""))
    if fail_under is not None:
        score = doc.scores.overall
        if score is None or score < fail_under:
            reasons.append(f"score {score if score is not None else 'n/a'} is below --fail-under {fail_under}")
    return reasons


def _in_baseline(r: Result, baseline: set) -> bool:
    """Known when the baseline names the finding by its control or, written before the controls, by
    the 1.x check ID the result's binding replaced."""
    return (r.check_id, r.target, r.resource) in baseline or (r.alias, r.target, r.resource) in baseline


def _summary(doc: ScanDocument, written: list[Path], quiet: bool) -> None:
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


def _finish(doc: ScanDocument, formats: list[str], output: Path, fail_on, fail_under, quiet,
            journal: Optional[Path] = None, baseline: Optional[set] = None) -> None:
    from reports.render import write_reports

    written = write_reports(doc, formats, output)
    if journal is not None and journal.exists():
        journal.unlink()  # the reports now hold everything the journal protected
    _summary(doc, written, quiet)
    if doc.targets and all(t.failure is not None for t in doc.targets):
        err.print("[bold red]error:[/] no target could be collected; see the report's coverage section")
        sys.exit(EXIT_NOTHING)
    reasons = _gate(doc, fail_on, fail_under, baseline)
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


def _apply(options):
    def deco(f):
        for opt in reversed(options):
            f = opt(f)
        return f
    return deco


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="voxaudit")
def cli() -> None:
    """voxaudit: HIPAA VoIP configuration auditor.

    Audits PBX configuration (Asterisk/FreePBX today) against HIPAA safeguards and writes
    reports that say what to change, where, with the exact setting.
    """


@cli.command()
@click.argument("inventory", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--config-dir", type=click.Path(path_type=Path), help="Offline: a copied config tree (/etc/asterisk, "
              "or a snapshot root containing etc/asterisk).")
@click.option("--platform", type=click.Choice(OFFLINE_PLATFORMS), default="asterisk", show_default=True,
              help="Platform of --config-dir (pcap: a capture file). Live targets (sip, tls, snmp, switch CLI, "
                   "SSH) are described in an inventory.")
@click.option("--name", help="Target name in reports (default: the directory name).")
@click.option("--spool-dir", type=click.Path(path_type=Path, file_okay=False), help="Offline: voicemail spool "
              "(counts and ages only; audio is never read).")
@click.option("--logrotate", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Offline: logrotate file(s) covering the PBX logs.")
@click.option("--workers", type=click.IntRange(1, 256), default=8, show_default=True,
              help="Targets collected at once, across all clinics.")
@click.option("--per-clinic", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Targets collected at once within one clinic.")
@click.option("--target-timeout", type=click.FloatRange(1, 86400), default=600, show_default=True,
              help="Seconds before a target's collection is stopped (ERROR, timeout).")
@click.option("--processes", type=click.IntRange(0, 64), default=0, show_default=True,
              help="Split the clinics across this many processes (each with its share of --workers) to use "
                   "several cores on large fleets; 0: threads in one process.")
@click.option("--history-db", metavar="PATH|URL", help="History store: a SQLite file, or postgresql://user@host/db "
              "for a central store (default: $VOXAUDIT_HISTORY or ~/.local/share/voxaudit/history.sqlite).")
@click.option("--no-history", is_flag=True, help="Do not record this scan in the history store.")
@click.option("--notify-webhook", metavar="URL", help="POST a minimum-necessary summary (counts, scores, link; "
              "no findings text) to this URL when the scan ends. Also $VOXAUDIT_WEBHOOK.")
@click.option("--report-url", metavar="URL", help="Where the reports will be published, for the notification's link.")
@click.option("--portfolio/--no-portfolio", default=None, help="Also write portfolio.html/csv/json and one report "
              "per clinic (default: when the inventory has several clinics).")
@click.option("--broker", metavar="URL|REF", help="Distributed mode: send each target to its site's collector "
              "('voxaudit worker') through this broker (redis://, rediss://, amqp://), or a reference to the URL "
              "(env:NAME, file:PATH). Also $VOXAUDIT_BROKER with --distributed.")
@click.option("--distributed", is_flag=True, help="Distributed mode with the broker in $VOXAUDIT_BROKER.")
@click.option("--queue-timeout", type=click.FloatRange(1, 86400), default=300, show_default=True,
              help="Distributed mode: seconds for a site's collector to take a target before it is an ERROR.")
@click.option("--resume", is_flag=True, help="Continue an interrupted scan: targets already in OUTPUT's "
              "journal (targets.partial.jsonl) are not collected again.")
@_apply(profile_options)
@_apply(common_output)
def scan(inventory, config_dir, platform, name, spool_dir, logrotate, workers, per_clinic, target_timeout, processes,
         broker, distributed, queue_timeout, resume, profile, waivers, checks_dir, formats, output, fail_on, fail_under,
         baseline, quiet, history_db, no_history, notify_webhook, report_url, portfolio) -> None:
    """Collect facts from targets, evaluate checks, score, and write reports."""
    fmts = _formats(formats)
    if inventory and config_dir:
        raise InputError("give either an INVENTORY file or --config-dir, not both")
    if not inventory and not config_dir:
        raise InputError("nothing to scan: give an INVENTORY file or --config-dir PATH")
    try:
        registry = _registry(checks_dir)
        prof = load_profile(profile, registry)
        waiver_list = load_waivers(waivers) if waivers else []
        if inventory:
            specs = load_inventory(inventory)
        else:
            if not config_dir.exists():
                raise InputError(f"--config-dir {config_dir} does not exist")
            specs = [TargetSpec(name=name or config_dir.resolve().name, platform=platform, config_dir=config_dir,
                                spool_dir=spool_dir, logrotate=list(logrotate),
                                pcap=PcapSpec(path=config_dir) if platform == "pcap" else None)]
    except INPUT_ERRORS as exc:
        raise InputError(str(exc)) from None
    from auditor.engine.journal import JOURNAL_NAME
    journal = output / JOURNAL_NAME
    fleet = dict(max_workers=workers, per_clinic=per_clinic, target_timeout=target_timeout, journal_path=journal,
                 resume=resume, processes=processes)
    if broker or distributed:
        from auditor.engine.broker import broker_url
        if not inventory:
            raise InputError("distributed mode needs an INVENTORY (its sites say which collector takes each target)")
        try:
            fleet.update(broker=broker_url(broker), queue_timeout=queue_timeout)
        except DistributedError as exc:
            raise InputError(str(exc)) from None
    try:
        doc = _run_with_progress(specs, registry, prof, waiver_list, str(waivers) if waivers else None, quiet, fleet)
    except DistributedError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(EXIT_NOTHING)
    if portfolio or (portfolio is None and len({t.clinic for t in doc.targets}) > 1):
        _write_portfolio(doc, prof, output, fmts, history_db, no_history, quiet)
    _record_history(doc, output, history_db, no_history, quiet)
    webhook = notify_webhook or os.environ.get("VOXAUDIT_WEBHOOK")
    if webhook:
        from auditor.notify import payload, send_webhook
        problem = send_webhook(webhook, payload(doc, report_url))
        if problem:
            err.print(f"[yellow]warning:[/] notification not sent: {problem}", highlight=False)
    _finish(doc, fmts, output, fail_on, fail_under, quiet, journal=journal, baseline=_load_baseline(baseline))


def _run_with_progress(specs, registry, prof, waiver_list, waivers_source, quiet, fleet) -> ScanDocument:
    if quiet or not err.is_terminal:
        def note(target: str, message: str) -> None:
            if not quiet and (message in {"collecting", "done"} or message.startswith(("failed", "done"))):
                err.print(Text(terminal_safe(f"{target}: {message}"), style="dim"), highlight=False)
        return run_scan(specs, registry, prof, waiver_list, waivers_source, progress=note, **fleet)
    # One progress bar per clinic: an MSP sees which client is slow, and what it is doing.
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    clinic_of = {s.name: s.clinic or "(no clinic)" for s in specs}
    totals: dict[str, int] = {}
    for c in clinic_of.values():
        totals[c] = totals.get(c, 0) + 1
    with Progress(TextColumn("[bold]{task.fields[clinic]}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=False) as bars:
        tasks = {c: bars.add_task("waiting", total=n, clinic=c) for c, n in totals.items()}

        def progress(target: str, message: str) -> None:
            bars.update(tasks[clinic_of.get(target, "(no clinic)")], description=escape(terminal_safe(f"{target}: {message}"))[:80])

        def finished(rec) -> None:
            bars.advance(tasks[clinic_of.get(rec.name, "(no clinic)")])

        return run_scan(specs, registry, prof, waiver_list, waivers_source, progress=progress, on_done=finished,
                        **fleet)


@cli.command()
@click.option("--site", "sites", multiple=True, help="Take the targets of this inventory site (repeatable).")
@click.option("--queue", "queues", multiple=True, help="Or name the queue(s) outright (the site's collector_queue).")
@click.option("--broker", metavar="URL|REF", help="Broker URL, or env:NAME / file:PATH holding it "
              "(default: $VOXAUDIT_BROKER).")
@click.option("--base", type=click.Path(path_type=Path, file_okay=False, exists=True), default=Path("."),
              show_default=True, help="Folder that relative paths in inventory entries (known_hosts, key files, "
                                      "copied trees, captures) resolve against on this collector.")
@click.option("--concurrency", "-c", type=click.IntRange(1, 256), default=4, show_default=True,
              help="Targets this collector works on at once (one process each).")
@click.option("--pool", type=click.Choice(["prefork", "threads", "solo"]), default="prefork", show_default=True,
              help="prefork: a process per target (hard time limits work); threads: lighter, no hard limit.")
@click.option("--loglevel", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), default="WARNING",
              show_default=True)
@click.option("--name", help="This collector's node name (default: voxaudit-SITE@HOST).")
def worker(sites, queues, broker, base, concurrency, pool, loglevel, name) -> None:
    """Run a site collector for distributed mode.

    Takes the targets of its site from the broker, resolves their credential references here
    (this machine's environment, files and keyring: no secret crosses the broker), collects, and
    sends back the secret-free facts. Read-only like every collector; SIGTERM finishes the
    targets in hand and stops."""
    from auditor.engine.broker import broker_url, queue_name, run_worker

    names = list(queues) + [queue_name(s) for s in sites]
    if not names:
        raise InputError("give --site NAME (as in the inventory) or --queue NAME")
    try:
        url = broker_url(broker)
        err.print(f"voxaudit collector: queues {', '.join(names)}; relative paths from {base.resolve()}",
                  highlight=False)
        run_worker(url, names, base, concurrency, pool, loglevel, name or "")
    except DistributedError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(EXIT_NOTHING)


@cli.command()
@click.argument("scan_file", type=click.Path(path_type=Path, dir_okay=False))
@_apply(common_output)
def report(scan_file, formats, output, fail_on, fail_under, baseline, quiet) -> None:
    """Re-render a saved scan (scan.json) in other formats. No network, no re-evaluation."""
    try:
        doc = load_scan(scan_file)
    except ScanFileError as exc:
        raise InputError(str(exc)) from None
    _finish(doc, _formats(formats), output, fail_on, fail_under, quiet, baseline=_load_baseline(baseline))


@cli.command("rescore")
@click.argument("scan_file", type=click.Path(path_type=Path, dir_okay=False))
@_apply(profile_options)
@_apply(common_output)
def rescore_cmd(scan_file, profile, waivers, checks_dir, formats, output, fail_on, fail_under, baseline,
                quiet) -> None:
    """Re-evaluate a saved scan's facts against another profile or waivers file, offline."""
    try:
        doc = load_scan(scan_file)
        registry = _registry(checks_dir)
        prof = load_profile(profile, registry)
        waiver_list = load_waivers(waivers) if waivers else []
    except INPUT_ERRORS as exc:
        raise InputError(str(exc)) from None
    new = rescore(doc, registry, prof, waiver_list, str(waivers) if waivers else None)
    _finish(new, _formats(formats), output, fail_on, fail_under, quiet, baseline=_load_baseline(baseline))


@cli.group()
def checks() -> None:
    """List and describe checks."""


@checks.command("list")
@click.option("--platform", help="Only checks for this platform.")
@click.option("--format", "fmt", type=click.Choice(["table", "markdown", "json"]), default="table", show_default=True)
@click.option("--checks-dir", multiple=True, type=click.Path(path_type=Path, file_okay=False))
def checks_list(platform, fmt, checks_dir) -> None:
    """All registered checks with severity, area and HIPAA citations."""
    try:
        registry = _registry(checks_dir)
    except RegistryError as exc:
        raise InputError(str(exc)) from None
    items = [c for c in registry.all() if not platform or platform in c.meta.platforms]
    if fmt == "json":
        click.echo(json.dumps([c.meta.model_dump(mode="json") for c in items], indent=2))
    elif fmt == "markdown":
        click.echo(catalogue_markdown(registry))
    else:
        table = Table()
        for col in ("ID", "Severity", "Area", "Title", "HIPAA", "Replaces"):
            table.add_column(col)
        for c in items:
            table.add_row(c.id, c.meta.severity.value, c.meta.area, c.meta.title, ", ".join(c.meta.hipaa),
                          ", ".join(c.meta.all_aliases()))
        out.print(table)
        out.print(f"{len(items)} checks")


def catalogue_markdown(registry: Registry) -> str:
    """The README's check catalogue, generated from check metadata."""
    from auditor.check import AREAS

    lines = []
    for area, label in AREAS.items():
        items = [c for c in registry.all() if c.meta.area == area]
        if not items:
            continue
        lines += [f"#### {label} ({len(items)})", "",
                  "| ID | Severity | Control | Platforms | HIPAA | Replaces (1.x IDs) |", "|---|---|---|---|---|---|"]
        lines += [f"| {c.id} | {c.meta.severity.value} | {c.meta.title} | {', '.join(c.meta.platforms)} | "
                  f"{', '.join(c.meta.hipaa)} | {', '.join(c.meta.all_aliases()) or '-'} |" for c in items]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


@checks.command("show")
@click.argument("check_id")
@click.option("--checks-dir", multiple=True, type=click.Path(path_type=Path, file_okay=False))
def checks_show(check_id, checks_dir) -> None:
    """Everything about one check: rationale, remediation per platform, parameters."""
    try:
        registry = _registry(checks_dir)
    except RegistryError as exc:
        raise InputError(str(exc)) from None
    chk = registry.get(check_id.upper())
    if chk is None:
        raise InputError(f"unknown check {check_id!r}; see 'voxaudit checks list'")
    m = chk.meta
    if m.id != check_id.upper():
        became = registry.resolve(check_id.upper())
        out.print(f"{check_id.upper()} is the 1.x ID of control{'s' if len(became) > 1 else ''} {', '.join(became)} on "
                  f"{', '.join(p for p, ids in m.aliases.items() if check_id.upper() in ids)}; waivers, baselines and "
                  "history written with it keep matching" + (f"; the first, {m.id}, follows" if len(became) > 1 else ""),
                  highlight=False)
    out.print(f"[bold]{m.id}[/] {m.title}", highlight=False)
    out.print(f"severity {m.severity.value} · area {m.area} · platforms {', '.join(m.platforms)} · "
              f"HIPAA {', '.join(m.hipaa)}", highlight=False)
    out.print(f"needs: {', '.join(m.sources) or '-'}  (from {registry.origins.get(m.id, '?')})", highlight=False)
    out.print(f"\n[bold]Why[/]\n{m.rationale}", highlight=False)
    for flavor, text in m.remediation.items():
        out.print(f"\n[bold]Fix ({flavor})[/]\n{text}", highlight=False)
    for platform, ids in m.aliases.items():
        out.print(f"replaces on {platform}: {', '.join(ids)}", highlight=False)
    for p in m.params:
        out.print(f"\nparameter [bold]{p.name}[/] = {p.default!r}: {p.help}", highlight=False)
    for ref in m.references:
        out.print(f"see {ref}", highlight=False)


@cli.group()
def profiles() -> None:
    """List and describe HIPAA profiles."""


@profiles.command("list")
def profiles_list() -> None:
    """Built-in profiles."""
    registry = load_registry()
    table = Table()
    for col in ("ID", "Title", "Extends", "Safeguards", "Checks"):
        table.add_column(col)
    for pid in builtin_profiles():
        p = load_profile(pid, registry)
        table.add_row(p.id, p.title, " -> ".join(p.lineage[:-1]) or "-", str(len(p.safeguards)), str(len(p.check_ids())))
    out.print(table)


@profiles.command("show")
@click.argument("profile")
def profiles_show(profile) -> None:
    """Safeguards, levels, weights, checks and parameters of a profile (id or path)."""
    try:
        p = load_profile(profile, load_registry())
    except INPUT_ERRORS as exc:
        raise InputError(str(exc)) from None
    out.print(f"[bold]{p.id}[/] {p.title} (version {p.version}; lineage {' -> '.join(p.lineage)})", highlight=False)
    out.print(p.description, highlight=False)
    table = Table()
    for col in ("Safeguard", "Title", "Level", "Weight", "Checks"):
        table.add_column(col)
    for s in p.safeguards:
        title = s.title if s.citation == s.id else f"{s.title} [{s.citation}]"
        table.add_row(s.id, title, s.level, f"{s.weight:g}", ", ".join(s.checks) or "(manual review)")
    out.print(table)
    for k, v in sorted(p.parameters.items()):
        out.print(f"  {k} = {v!r}", highlight=False)


def _load_baseline(path: Optional[Path]) -> Optional[set]:
    if path is None:
        return None
    try:
        data = load_json(Path(path), "baseline")
        return {(f["check"], f["target"], f["resource"]) for f in data["findings"]}
    except StructuredFileError as exc:
        raise InputError(str(exc)) from None
    except (KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a voxaudit baseline file ({exc.__class__.__name__})") from None


def _record_history(doc: ScanDocument, output: Path, history_db: Optional[str], no_history: bool,
                    quiet: bool) -> None:
    """Trend since the previous scan, then record this one. A history problem never costs the scan."""
    if no_history:
        return
    from auditor.history import History, HistoryError, Snapshot, diff
    try:
        store = History(history_db)
        try:
            prev = store.previous(doc)
            if prev is not None:
                doc.trend = diff(prev, Snapshot.of(doc)).summary()
            store.record(doc, output)
        finally:
            store.close()
    except HistoryError as exc:
        if not quiet:
            err.print(f"[yellow]warning:[/] history not recorded: {exc}", highlight=False)


def _write_portfolio(doc, prof, output: Path, fmts, history_db, no_history, quiet) -> None:
    from auditor.history import History, HistoryError, Snapshot, diff
    from reports.portfolio import clinic_documents, write_portfolio

    trends: dict[str, dict] = {}
    if not no_history:
        try:
            store = History(history_db)
            for clinic, cdoc in clinic_documents(doc, prof).items():
                prev = store.previous(cdoc)
                if prev is not None:
                    names = {t.name for t in cdoc.targets}
                    prev.results = {k: v for k, v in prev.results.items() if k[1] in names}
                    trends[clinic] = diff(prev, Snapshot.of(cdoc)).summary()
            store.close()
        except HistoryError:
            pass
    written = write_portfolio(doc, prof, output, fmts, trends)
    if not quiet:
        err.print(f"portfolio: {output / 'portfolio.html'} ({len(written) - 3} clinic report files)", highlight=False)


@cli.command("portfolio")
@click.argument("scan_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--output", "-o", type=click.Path(path_type=Path), default=Path("voxaudit-portfolio"), show_default=True)
@click.option("--format", "-f", "formats", multiple=True, help="Formats of the per-clinic reports (default html,json).")
def portfolio_cmd(scan_file, output, formats) -> None:
    """All clinics of a saved scan on one page, with one report per clinic. Offline."""
    from reports.portfolio import write_portfolio
    try:
        doc = load_scan(scan_file)
        prof = load_profile(doc.profile.id, _registry(()))
    except INPUT_ERRORS as exc:
        raise InputError(str(exc)) from None
    written = write_portfolio(doc, prof, output, _formats(formats))
    out.print(f"wrote {output / 'portfolio.html'} and {len(written) - 1} more files")


@cli.command("history")
@click.option("--history-db", metavar="PATH|URL", help="SQLite file or postgresql:// URL (default: as for scan).")
@click.option("--target", help="Only scans that covered this target.")
@click.option("--clinic", help="Only scans that covered this clinic.")
@click.option("--limit", type=click.IntRange(1, 10000), default=20, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def history_cmd(history_db, target, clinic, limit, fmt) -> None:
    """Past scans from the history store, newest first."""
    from auditor.history import History, HistoryError
    try:
        store = History(history_db)
        rows = store.scans(limit=limit, target=target, clinic=clinic)
        store.close()
    except HistoryError as exc:
        raise InputError(str(exc)) from None
    if fmt == "json":
        out.print_json(json.dumps(rows))
        return
    table = Table(title=f"voxaudit history ({len(rows)} scans)", title_justify="left")
    for col in ("Scan", "Finished", "Profile", "Targets", "Score", "Coverage", "Fail", "Error", "Reports"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["scan_id"], (r["finished_at"] or "")[:19], r["profile"] or "", str(r["targets"]),
                      "n/a" if r["overall"] is None else f"{r['overall']:.1f}",
                      "n/a" if r["coverage"] is None else f"{r['coverage']:.0f}%", str(r["failing"]),
                      str(r["errors"]), r["report_dir"] or "")
    out.print(table)


@cli.command("diff")
@click.argument("before", required=False)
@click.argument("after", required=False)
@click.option("--history-db", metavar="PATH|URL", help="SQLite file or postgresql:// URL (default: as for scan).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def diff_cmd(before, after, history_db, fmt) -> None:
    """What changed between two scans: new, regressed and resolved findings, score per safeguard.

    BEFORE and AFTER are scan ids from 'voxaudit history' or scan.json files; without them, the
    two most recent scans in the history store."""
    from auditor.history import History, HistoryError, Snapshot, diff

    def snapshot(ref: str, store) -> Snapshot:
        path = Path(ref)
        if path.suffix == ".json" or path.is_file():
            try:
                return Snapshot.of(load_scan(path))
            except ScanFileError as exc:
                raise InputError(str(exc)) from None
        return store.snapshot(ref)

    try:
        store = History(history_db)
        if before is None:
            rows = store.scans(limit=2)
            if len(rows) < 2:
                raise InputError("the history store has fewer than two scans; give BEFORE and AFTER")
            before, after = rows[1]["scan_id"], rows[0]["scan_id"]
        elif after is None:
            raise InputError("give both BEFORE and AFTER, or neither")
        d = diff(snapshot(before, store), snapshot(after, store))
        store.close()
    except HistoryError as exc:
        raise InputError(str(exc)) from None
    if fmt == "json":
        out.print_json(json.dumps({**d.summary(), "after": d.after, "new": d.new, "regressed": d.regressed,
                                   "resolved": d.resolved, "safeguards": d.safeguards}))
        return
    delta = "n/a" if d.score_delta is None else f"{d.score_delta:+.1f}"
    out.print(f"[bold]{d.before} -> {d.after}[/]: score {d.score_before} -> {d.score_after} ({delta})")
    for title, rows in (("New findings", d.new), ("Regressed", d.regressed), ("Resolved", d.resolved)):
        out.print(f"\n[bold]{title}[/] ({len(rows)})")
        for row in rows[:200]:
            out.print(f"  {row[3] or '':8} {row[0]:14} {row[1]}: {row[2]}", highlight=False)
    changed = [(s, a, b) for s, (a, b) in d.safeguards.items() if a != b]
    if changed:
        out.print("\n[bold]Safeguard scores[/]")
        for sid, a, b in changed:
            out.print(f"  {sid:24} {a if a is not None else 'n/a'} -> {b if b is not None else 'n/a'}", highlight=False)


@cli.command("baseline")
@click.argument("scan_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=Path("voxaudit-baseline.json"),
              show_default=True)
def baseline_cmd(scan_file, output) -> None:
    """Write the failing findings of a saved scan as a baseline, so CI fails only on new ones."""
    try:
        doc = load_scan(scan_file)
    except ScanFileError as exc:
        raise InputError(str(exc)) from None
    findings = sorted({(r.check_id, r.target, r.resource) for r in doc.results if r.effective_status == "FAIL"})
    output.write_text(json.dumps({"voxaudit_baseline": 1, "scan_id": doc.scan_id, "findings": [
        {"check": c, "target": t, "resource": r} for c, t, r in findings]}, indent=1) + "\n")
    out.print(f"wrote {output} ({len(findings)} findings)")


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        err.print("interrupted. A scan keeps what it had collected in OUTPUT/targets.partial.jsonl: "
                  "run the same command with --resume to finish it.")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except Exception as exc:  # the last line of defence: a sentence, not a traceback
        if os.environ.get("VOXAUDIT_DEBUG"):
            raise
        # The type only: an exception's message may quote a value read from a configuration.
        err.print(Text.assemble(("internal error: ", "bold red"), f"{exc.__class__.__name__}. Please report it; "
                                "set VOXAUDIT_DEBUG=1 to see the traceback."), soft_wrap=True, highlight=False)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
