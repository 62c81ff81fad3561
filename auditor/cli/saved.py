"""Commands on saved scans, all offline: ``report``, ``rescore``, ``portfolio``, ``baseline``."""
from __future__ import annotations

import json
from pathlib import Path

import click

from voxaudit.cli.common import (
    INPUT_ERRORS,
    InputError,
    apply,
    common_output,
    err,
    finish,
    is_stdout,
    load_baseline,
    note_selection,
    out,
    output_formats,
    parse_formats,
    profile_options,
    registry_of,
    selection_of,
)
from voxaudit.profile import load_profile
from voxaudit.scan import ScanFileError, load_scan
from voxaudit.service import rescore
from voxaudit.waivers import load_waivers


@click.command()
@click.argument("scan_file", type=click.Path(path_type=Path, dir_okay=False))
@apply(common_output)
def report(scan_file, formats, output, fail_on, fail_under, baseline, quiet) -> None:
    """Re-render a saved scan (scan.json) in other formats. No network, no re-evaluation.

    \b
    voxaudit report out/scan.json -f md,csv -o out/
    voxaudit report out/scan.json -f sarif -o - > results.sarif"""
    fmts = output_formats(formats, output)
    try:
        doc = load_scan(scan_file)
    except ScanFileError as exc:
        raise InputError(str(exc)) from None
    finish(doc, fmts, output, fail_on, fail_under, quiet, baseline=load_baseline(baseline))


@click.command("rescore")
@click.argument("scan_file", type=click.Path(path_type=Path, dir_okay=False))
@apply(common_output)
@apply(profile_options)
def rescore_cmd(scan_file, profile, waivers, checks, skip_checks, severities, checks_dir, formats, output, fail_on,
                fail_under, baseline, quiet) -> None:
    """Re-evaluate a saved scan's facts against another profile, waivers file or check selection, offline."""
    fmts = output_formats(formats, output)
    try:
        doc = load_scan(scan_file)
        registry = registry_of(checks_dir)
        prof = load_profile(profile, registry, selection_of(checks, skip_checks, severities))
        waiver_list = load_waivers(waivers) if waivers else []
    except INPUT_ERRORS as exc:
        raise InputError(str(exc)) from None
    new = rescore(doc, registry, prof, waiver_list, str(waivers) if waivers else None)
    note_selection(new, prof)
    finish(new, fmts, output, fail_on, fail_under, quiet, baseline=load_baseline(baseline))


@click.command("portfolio")
@click.argument("scan_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--output", "-o", type=click.Path(path_type=Path), default=Path("voxaudit-portfolio"), show_default=True)
@click.option("--format", "-f", "formats", multiple=True, help="Formats of the per-clinic reports (default html,json).")
def portfolio_cmd(scan_file, output, formats) -> None:
    """All clinics of a saved scan on one page, with one report per clinic. Offline."""
    from voxaudit.reports.portfolio import write_portfolio
    if is_stdout(output):
        raise InputError("the portfolio is a folder of files: give -o DIR, not -o -")
    try:
        doc = load_scan(scan_file)
        prof = load_profile(doc.profile.id, registry_of(()))
    except INPUT_ERRORS as exc:
        raise InputError(str(exc)) from None
    fmts = parse_formats(formats)
    problem = None
    if "pdf" in fmts:
        from voxaudit.reports.pdf import PdfError
        try:
            written = write_portfolio(doc, prof, output, fmts)
        except PdfError as exc:
            written, problem = exc.written, str(exc)
    else:
        written = write_portfolio(doc, prof, output, fmts)
    out.print(f"wrote {output / 'portfolio.html'} and {len(written) - 1} more files")
    if problem:
        raise InputError(problem)


@click.command("baseline")
@click.argument("scan_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=Path("voxaudit-baseline.json"),
              show_default=True, help="Baseline file to write; '-': standard output.")
def baseline_cmd(scan_file, output) -> None:
    """Write the failing findings of a saved scan as a baseline, so CI fails only on new ones."""
    try:
        doc = load_scan(scan_file)
    except ScanFileError as exc:
        raise InputError(str(exc)) from None
    findings = sorted({(r.check_id, r.target, r.resource) for r in doc.results if r.effective_status == "FAIL"})
    text = json.dumps({"voxaudit_baseline": 1, "scan_id": doc.scan_id, "findings": [
        {"check": c, "target": t, "resource": r} for c, t, r in findings]}, indent=1) + "\n"
    # The reports' vocabulary: a failing result is one resource failing one control; a finding is one control
    # failing on one target (the HTML report's "65 failing results, in 36 findings").
    counted = f"{len(findings)} failing results, in {len({(c, t) for c, t, _ in findings})} findings"
    if is_stdout(output):
        click.echo(text, nl=False)
        err.print(f"baseline of {counted}", highlight=False)
        return
    output.write_text(text)
    out.print(f"wrote {output}: {counted}", highlight=False)
