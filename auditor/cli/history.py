"""``history`` (the scans in the store) and ``diff`` (what changed between two scans)."""
from __future__ import annotations

import json
from pathlib import Path

import click
from rich import box
from rich.table import Table

from voxaudit.cli.common import InputError, out
from voxaudit.cli.config import SharedOption
from voxaudit.scan import ScanFileError, load_scan


@click.command("history")
@click.option("--history-db", metavar="PATH|URL", cls=SharedOption,
              help="SQLite file or postgresql:// URL (default: as for scan).")
@click.option("--target", help="Only scans that covered this target.")
@click.option("--clinic", help="Only scans that covered this clinic.")
@click.option("--limit", type=click.IntRange(1, 10000), default=20, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"], case_sensitive=False), default="table",
              show_default=True)
def history_cmd(history_db, target, clinic, limit, fmt) -> None:
    """Past scans from the history store, newest first."""
    from voxaudit.history import History, HistoryError
    try:
        store = History(history_db)
        rows = store.scans(limit=limit, target=target, clinic=clinic)
        store.close()
    except HistoryError as exc:
        raise InputError(str(exc)) from None
    if fmt == "json":
        out.print_json(json.dumps(rows))
        return
    out.print(history_table(rows, out.width))


def _safe(text: object) -> str:
    """A name read from the history store (a file anyone may edit) as plain text: no rich markup, no
    terminal escape."""
    from rich.markup import escape

    from voxaudit.reports.escaping import terminal_safe

    return escape(terminal_safe(text))


def history_table(rows: list[dict], width: int) -> Table:
    """The scans as a table that still shows its figures in an 80-column terminal: the scan ID and profile
    (what 'voxaudit diff' and '-p' take) never wrap or shrink; one profile shared by every row goes into the
    title; the report folders, the least needed, are left out below 110 columns (--format json has them);
    below 80 the time is left out of the finishing date, so every figure still fits down to 72 columns."""
    profiles = {r["profile"] or "" for r in rows}
    one_profile = len(profiles) == 1
    wide = width >= 110
    narrow = width < 80
    title = f"voxaudit history ({len(rows)} scan{'s' if len(rows) != 1 else ''}"
    title += f", profile {_safe(next(iter(profiles)))})" if one_profile and rows else ")"
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1),
                  collapse_padding=True)
    table.add_column("Scan", no_wrap=True, min_width=12)
    table.add_column("Date (UTC)" if narrow else "Finished (UTC)", no_wrap=True, min_width=10 if narrow else 16)
    if not one_profile:
        table.add_column("Profile", no_wrap=True)
    for col in ("Targets", "Score", "Coverage", "Failing", "Errors"):
        # "not assessed" may take two lines, never an ellipsis
        table.add_column(col, justify="right", no_wrap=col != "Score", min_width=len(col) if col != "Score" else 8)
    if wide:
        table.add_column("Reports", overflow="fold")
    else:
        table.caption = "report folders: a terminal of 110 columns or more, or --format json"
        table.caption_justify = "left"
    for r in rows:
        cells = [r["scan_id"], (r["finished_at"] or "")[:10 if narrow else 16].replace("T", " ")]
        if not one_profile:
            cells.append(r["profile"] or "")
        cells += [str(r["targets"]), "not assessed" if r["overall"] is None else f"{r['overall']:.1f}",
                  "n/a" if r["coverage"] is None else f"{r['coverage']:.0f}%", str(r["failing"]), str(r["errors"])]
        if wide:
            cells.append(r["report_dir"] or "")
        table.add_row(*(_safe(c) for c in cells))
    return table


@click.command("diff")
@click.argument("before", required=False)
@click.argument("after", required=False)
@click.option("--history-db", metavar="PATH|URL", cls=SharedOption,
              help="SQLite file or postgresql:// URL (default: as for scan).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"], case_sensitive=False), default="text",
              show_default=True)
def diff_cmd(before, after, history_db, fmt) -> None:
    """What changed between two scans: new, regressed and resolved findings, score per safeguard.

    BEFORE and AFTER are scan ids from 'voxaudit history' or scan.json files; without them, the
    two most recent scans in the history store."""
    from voxaudit.history import History, HistoryError, Snapshot, diff

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
    out.print(f"[bold]{_safe(d.before)} -> {_safe(d.after)}[/]: score {_score(d.score_before)} -> {_score(d.score_after)} ({delta})",
              highlight=False)
    for title, rows in (("New findings", d.new), ("Regressed", d.regressed), ("Resolved", d.resolved)):
        out.print(f"\n[bold]{title}[/] ({len(rows)})")
        for row in rows[:200]:
            out.print(f"  {_safe(row[3] or ''):8} {_safe(row[0]):14} {_safe(row[1])}: {_safe(row[2])}", highlight=False)
    changed = [(s, a, b) for s, (a, b) in d.safeguards.items() if a != b]
    if changed:
        out.print("\n[bold]Safeguard scores[/]")
        for sid, a, b in changed:
            out.print(f"  {_safe(sid):24} {_score(a)} -> {_score(b)}", highlight=False)


def _score(value: object) -> str:
    """A score as the reports write it: one decimal, and "not assessed" (never "None") when nothing could be."""
    return "not assessed" if value is None else f"{value:.1f}" if isinstance(value, (int, float)) else str(value)
