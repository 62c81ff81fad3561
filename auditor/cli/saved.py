"""Commands on saved scans, all offline: ``report``, ``rescore``, ``portfolio``, ``baseline``."""
from __future__ import annotations

import json
from pathlib import Path

import click

from auditor.cli.common import (
    INPUT_ERRORS,
    InputError,
    apply,
    common_output,
    finish,
    load_baseline,
    out,
    parse_formats,
    profile_options,
    registry_of,
)
from auditor.profile import load_profile
from auditor.scan import ScanFileError, load_scan
from auditor.service import rescore
from auditor.waivers import load_waivers


@click.command()
@click.argument("scan_file", type=click.Path(path_type=Path, dir_okay=False))
@apply(common_output)
def report(scan_file, formats, output, fail_on, fail_under, baseline, quiet) -> None:
    """Re-render a saved scan (scan.json) in other formats. No network, no re-evaluation."""
    try:
        doc = load_scan(scan_file)
    except ScanFileError as exc:
        raise InputError(str(exc)) from None
    finish(doc, parse_formats(formats), output, fail_on, fail_under, quiet, baseline=load_baseline(baseline))


@click.command("rescore")
@click.argument("scan_file", type=click.Path(path_type=Path, dir_okay=False))
@apply(profile_options)
@apply(common_output)
def rescore_cmd(scan_file, profile, waivers, checks_dir, formats, output, fail_on, fail_under, baseline,
                quiet) -> None:
    """Re-evaluate a saved scan's facts against another profile or waivers file, offline."""
    try:
        doc = load_scan(scan_file)
        registry = registry_of(checks_dir)
        prof = load_profile(profile, registry)
        waiver_list = load_waivers(waivers) if waivers else []
    except INPUT_ERRORS as exc:
        raise InputError(str(exc)) from None
    new = rescore(doc, registry, prof, waiver_list, str(waivers) if waivers else None)
    finish(new, parse_formats(formats), output, fail_on, fail_under, quiet, baseline=load_baseline(baseline))


@click.command("portfolio")
@click.argument("scan_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--output", "-o", type=click.Path(path_type=Path), default=Path("voxaudit-portfolio"), show_default=True)
@click.option("--format", "-f", "formats", multiple=True, help="Formats of the per-clinic reports (default html,json).")
def portfolio_cmd(scan_file, output, formats) -> None:
    """All clinics of a saved scan on one page, with one report per clinic. Offline."""
    from reports.portfolio import write_portfolio
    try:
        doc = load_scan(scan_file)
        prof = load_profile(doc.profile.id, registry_of(()))
    except INPUT_ERRORS as exc:
        raise InputError(str(exc)) from None
    written = write_portfolio(doc, prof, output, parse_formats(formats))
    out.print(f"wrote {output / 'portfolio.html'} and {len(written) - 1} more files")


@click.command("baseline")
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
