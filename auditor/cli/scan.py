"""``voxaudit scan`` (collect, evaluate, score, report) and ``voxaudit worker`` (a site collector)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from voxaudit.cli.common import (
    EXIT_NOTHING,
    InputError,
    apply,
    common_output,
    err,
    finish,
    input_errors,
    is_stdout,
    load_baseline,
    note_selection,
    output_formats,
    plain,
    profile_options,
    registry_of,
    selection_of,
)
from voxaudit.cli.config import SharedOption
from voxaudit.engine.collect import OFFLINE_PLATFORMS
from voxaudit.profile import load_profile
from voxaudit.reports.escaping import terminal_safe
from voxaudit.scan import ScanDocument
from voxaudit.service import portfolio_trends, record_history, run_scan
from voxaudit.targets import ConfigDirSource, PcapSource, Source, Target
from voxaudit.waivers import load_waivers


@click.command()
@click.argument("inventory", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--config-dir", type=click.Path(path_type=Path), help="Offline: a copied config tree (/etc/asterisk, "
              "or a snapshot root containing etc/asterisk), or one file (phone, pcap).")
@click.option("--platform", type=click.Choice(OFFLINE_PLATFORMS, case_sensitive=False), default="asterisk",
              show_default=True, help="Platform of --config-dir (pcap: a capture file). Live targets (sip, tls, snmp, "
              "switch CLI, SSH) are described in an inventory.")
@click.option("--name", help="Target name in reports (default: the directory name).")
@apply(common_output)
@apply(profile_options)
@click.option("--spool-dir", type=click.Path(path_type=Path, file_okay=False), help="Offline: voicemail spool "
              "(counts and ages only; audio is never read).")
@click.option("--logrotate", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Offline: logrotate file(s) covering the PBX logs.")
@click.option("--evidence", "evidence_dir", type=click.Path(path_type=Path, file_okay=False), help="Offline: a "
              "host evidence bundle (mounts, dm-crypt, cron, backup file ages; see docs/evidence.md) for the "
              "encryption-at-rest and backup controls.")
@click.option("--baa-register", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="A "
              "business-associate register (YAML: business_associates: as in an inventory) that BAA-101 judges each "
              "PHI recipient against; with an inventory, added to its own.")
@click.option("--history-db", metavar="PATH|URL", cls=SharedOption, help="History store: a SQLite file, or "
              "postgresql://user@host/db for a central store (default: $VOXAUDIT_HISTORY or "
              "~/.local/share/voxaudit/history.sqlite).")
@click.option("--no-history", is_flag=True, help="Do not record this scan in the history store.")
@click.option("--notify-webhook", metavar="URL", help="POST a minimum-necessary summary (counts, scores, link; "
              "no findings text) to this URL when the scan ends. Also $VOXAUDIT_WEBHOOK.")
@click.option("--report-url", metavar="URL", help="Where the reports will be published, for the notification's link.")
@click.option("--portfolio/--no-portfolio", default=None, help="Also write portfolio.html/csv/json and one report "
              "per clinic (default: when the inventory has several clinics; never with -o -).")
@click.option("--workers", type=click.IntRange(1, 256), default=8, show_default=True,
              help="Targets collected at once, across all clinics.")
@click.option("--per-clinic", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Targets collected at once within one clinic.")
@click.option("--target-timeout", type=click.FloatRange(1, 86400), default=600, show_default=True,
              help="Seconds before a target's collection is stopped (ERROR, timeout).")
@click.option("--processes", type=click.IntRange(0, 64), default=0, show_default=True,
              help="Split the clinics across this many processes (each with its share of --workers) to use "
                   "several cores on large fleets; 0: threads in one process.")
@click.option("--resume", is_flag=True, help="Continue an interrupted scan: targets already in OUTPUT's "
              "journal (targets.partial.jsonl) are not collected again.")
@click.option("--broker", metavar="URL|REF", help="Distributed mode: send each target to its site's collector "
              "('voxaudit worker') through this broker (redis://, rediss://, amqp://), or a reference to the URL "
              "(env:NAME, file:PATH). Also $VOXAUDIT_BROKER with --distributed.")
@click.option("--distributed", is_flag=True, help="Distributed mode with the broker in $VOXAUDIT_BROKER.")
@click.option("--queue-timeout", type=click.FloatRange(1, 86400), default=300, show_default=True,
              help="Distributed mode: seconds for a site's collector to take a target before it is an ERROR.")
def scan(inventory, config_dir, platform, name, spool_dir, logrotate, evidence_dir, baa_register, workers, per_clinic, target_timeout, processes,
         broker, distributed, queue_timeout, resume, profile, waivers, checks, skip_checks, severities, checks_dir,
         formats, output, fail_on, fail_under, baseline, quiet, history_db, no_history, notify_webhook, report_url,
         portfolio) -> None:
    """Collect facts from targets, evaluate checks, score, and write reports.

    \b
    voxaudit scan --config-dir /backups/pbx1 -f html,sarif -o out/
    voxaudit scan inventory.yaml --fail-on high
    voxaudit scan --config-dir pbx1 -f sarif -o - > results.sarif"""
    fmts = output_formats(formats, output)
    platform = platform.lower()
    to_stdout = is_stdout(output)
    if inventory and config_dir:
        raise InputError("give either an INVENTORY file or --config-dir, not both")
    if not inventory and not config_dir:
        raise InputError("nothing to scan: give an INVENTORY file or --config-dir PATH")
    if to_stdout and (resume or portfolio):
        raise InputError(f"{'--resume' if resume else '--portfolio'} needs an output folder (-o DIR), not -o -")
    try:
        registry = registry_of(checks_dir)
        prof = load_profile(profile, registry, selection_of(checks, skip_checks, severities))
        waiver_list = load_waivers(waivers) if waivers else []
        if inventory:
            from voxaudit.inventory import load_inventory
            specs = load_inventory(inventory)
        else:
            if not config_dir.exists():
                raise InputError(f"--config-dir {config_dir} does not exist")
            if evidence_dir is not None and platform not in {"asterisk", "freeswitch"}:
                raise InputError("--evidence describes a PBX host: use it with --platform asterisk or freeswitch")
            source: Source = PcapSource(file=config_dir) if platform == "pcap" else \
                ConfigDirSource(config_dir=config_dir, spool_dir=spool_dir, logrotate=list(logrotate),
                                evidence_dir=evidence_dir)
            specs = [Target(name=name or config_dir.resolve().name, platform=platform, source=source)]
        if baa_register:
            from voxaudit.inventory import load_baa_register
            extra = load_baa_register(baa_register)
            specs = [s.replace(business_associates=(s.business_associates or ()) + extra) for s in specs]
    except input_errors() as exc:  # evaluated only when something is raised
        raise InputError(str(exc)) from None
    from voxaudit.engine.journal import JOURNAL_NAME
    journal = None if to_stdout else output / JOURNAL_NAME  # -o -: nothing on disk, so nothing to resume from
    fleet = dict(max_workers=workers, per_clinic=per_clinic, target_timeout=target_timeout, journal_path=journal,
                 resume=resume, processes=processes)
    if broker or distributed:
        from voxaudit.engine.broker import DistributedError, broker_url
        if not inventory:
            raise InputError("distributed mode needs an INVENTORY (its sites say which collector takes each target)")
        try:
            fleet.update(broker=broker_url(broker), queue_timeout=queue_timeout)
        except DistributedError as exc:
            raise InputError(str(exc)) from None
    try:
        doc = _run_with_progress(specs, registry, prof, waiver_list, str(waivers) if waivers else None, quiet, fleet)
    except _distributed_error() as exc:  # evaluated only when something is raised
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(EXIT_NOTHING)
    note_selection(doc, prof)
    if prof.selection and not no_history:
        # Its results would read as "resolved" for every control that did not run, in diffs and trends.
        no_history = True
        if not quiet:
            err.print("note: a scan narrowed by --checks/--skip-checks/--severity is not recorded in the history "
                      "store and gets no trend: it is not comparable with full scans", highlight=False)
    if to_stdout:
        if portfolio is None and len({t.clinic for t in doc.targets}) > 1 and not quiet:
            err.print("note: no portfolio with -o - (it is a folder of files); run 'voxaudit portfolio' on a saved "
                      "scan", highlight=False)
    elif portfolio or (portfolio is None and len({t.clinic for t in doc.targets}) > 1):
        from voxaudit.reports.portfolio import write_portfolio
        trends = {} if no_history else portfolio_trends(doc, prof, history_db)
        written = _portfolio(write_portfolio, doc, prof, output, fmts, trends)
        if not quiet:
            err.print(f"portfolio: {output / 'portfolio.html'} ({len(written) - 3} clinic report files)", highlight=False)
    if not no_history:
        problem = record_history(doc, None if to_stdout else output, history_db)
        if problem and not quiet:
            err.print(f"[yellow]warning:[/] {problem}", highlight=False)
    webhook = notify_webhook or os.environ.get("VOXAUDIT_WEBHOOK")
    if webhook:
        from voxaudit.notify import payload, send_webhook
        problem = send_webhook(webhook, payload(doc, report_url))
        if problem:
            err.print(f"[yellow]warning:[/] notification not sent: {problem}", highlight=False)
    hints = None
    if config_dir and not any(r.effective_status in {"PASS", "FAIL", "WAIVED"} for r in doc.results):
        hint = platform_hint(config_dir, platform)
        hints = {specs[0].name: hint} if hint else None
    finish(doc, fmts, output, fail_on, fail_under, quiet, journal=journal, baseline=load_baseline(baseline), hints=hints)


def _distributed_error() -> type[Exception]:
    """The broker's error, imported only when an exception reaches ``scan``: the broker module (and
    logging) stay out of a local scan."""
    from voxaudit.engine.broker import DistributedError
    return DistributedError


def _portfolio(write_portfolio, doc, prof, output, fmts, trends) -> list[Path]:
    """The portfolio; without Chromium, a pdf format costs only the PDFs (said once, by finish)."""
    if "pdf" not in fmts:
        return write_portfolio(doc, prof, output, fmts, trends)
    from voxaudit.reports.pdf import PdfError
    try:
        return write_portfolio(doc, prof, output, fmts, trends)
    except PdfError as exc:
        return exc.written


# File names that say which product a configuration folder belongs to (the platform's main file first).
MARKERS = {
    "asterisk": ("asterisk.conf", "pjsip.conf", "sip.conf", "extensions.conf", "voicemail.conf"),
    "freeswitch": ("freeswitch.xml", "vars.xml"),
    "kamailio": ("kamailio.cfg",),
    "opensips": ("opensips.cfg",),
}
MARKER_WALK_LIMIT = 5000  # directory entries looked at, at most: a hint must stay instant on any folder


def platform_hint(path: Path, platform: str) -> str:
    """When --platform found nothing: what the folder holds instead ("" if nothing recognisable).

    Only names are looked at (bounded walk, four levels), never contents."""
    if path.is_file():
        if path.suffix.lower() in {".pcap", ".pcapng", ".cap"} and platform != "pcap":
            return f"{path.name} looks like a packet capture: try --platform pcap"
        return ""
    seen = 0
    root_depth = len(path.parts)
    for here, dirs, files in os.walk(path):
        if len(Path(here).parts) - root_depth >= 4:
            dirs[:] = []
        dirs.sort()
        for other, names in MARKERS.items():
            hit = next((n for n in names if n in files), None)
            if hit and other != platform:
                where = Path(here, hit).relative_to(path)
                return f"It holds {where.as_posix()}: try --platform {other}"
        seen += len(dirs) + len(files)
        if seen > MARKER_WALK_LIMIT:
            break
    return ""


def _run_with_progress(specs, registry, prof, waiver_list, waivers_source, quiet, fleet) -> ScanDocument:
    if quiet or not err.is_terminal:
        def note(target: str, message: str) -> None:
            if not quiet and (message in {"collecting", "done"} or message.startswith(("failed", "done"))):
                err.print(plain(terminal_safe(f"{target}: {message}"), style="dim"), highlight=False)
        return run_scan(specs, registry, prof, waiver_list, waivers_source, progress=note, **fleet)
    # One progress bar per clinic: an MSP sees which client is slow, and what it is doing.
    from rich.markup import escape
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
                  TextColumn("{task.description}"), TimeElapsedColumn(), console=err.get(), transient=False) as bars:
        tasks = {c: bars.add_task("waiting", total=n, clinic=c) for c, n in totals.items()}

        def progress(target: str, message: str) -> None:
            bars.update(tasks[clinic_of.get(target, "(no clinic)")], description=escape(terminal_safe(f"{target}: {message}"))[:80])

        def finished(rec) -> None:
            bars.advance(tasks[clinic_of.get(rec.name, "(no clinic)")])

        return run_scan(specs, registry, prof, waiver_list, waivers_source, progress=progress, on_done=finished,
                        **fleet)


@click.command()
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
@click.option("--loglevel", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False), default="WARNING",
              show_default=True)
@click.option("--name", help="This collector's node name (default: voxaudit-SITE@HOST).")
def worker(sites, queues, broker, base, concurrency, pool, loglevel, name) -> None:
    """Run a site collector for distributed mode.

    Takes the targets of its site from the broker, resolves their credential references here
    (this machine's environment, files and keyring: no secret crosses the broker), collects, and
    sends back the secret-free facts. Read-only like every collector; SIGTERM finishes the
    targets in hand and stops."""
    from voxaudit.engine.broker import DistributedError, broker_url, queue_name, run_worker

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
