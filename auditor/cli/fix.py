"""``voxaudit fix``: remediation patches for a saved scan's failing findings. Offline; never applies them."""
from __future__ import annotations

import json
from pathlib import Path

import click

from voxaudit.cli.common import INPUT_ERRORS, InputError, is_stdout, out, registry_of
from voxaudit.remediation.plan import GUI, PATCH, PERSON, UNSUPPORTED, Plan, PlanError, plan
from voxaudit.scan import load_scan

LABELS = {PATCH: "fixed by the patches", PERSON: "need a person (a marked comment in the patch, no value)",
          GUI: "change in the GUI (FreePBX, FusionPBX; menu path given)", UNSUPPORTED: "not yet patchable"}


def summary_markdown(p: Plan) -> str:
    """The per-finding account people read beside the patches (names, keys and menu paths only)."""
    lines = ["# voxaudit fix", "", "Review each patch, then apply it from the configuration root with "
             "`patch -p1 < FILE.patch`. voxaudit never applies a patch.", ""]
    for kind in (PATCH, PERSON, GUI, UNSUPPORTED):
        rows = [o for o in p.outcomes if o.outcome == kind]
        lines += [f"## {LABELS[kind]}: {len(rows)}", ""]
        for o in rows:
            check = f"{o.check_id} ({o.alias})" if o.alias else o.check_id
            detail = [", ".join(o.files)] + o.notes + ([f"GUI: {o.menu}"] if o.menu else []) + ([o.why] if o.why else [])
            lines.append(f"- {check} {o.resource}: " + "; ".join(d for d in detail if d))
        lines.append("")
    return "\n".join(lines)


@click.command("fix")
@click.argument("scan_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--config-dir", type=click.Path(path_type=Path, file_okay=False, exists=True), required=True,
              help="The configuration tree the scan read (the patches are relative to it: patch -p1 from here).")
@click.option("--output", "-o", type=click.Path(path_type=Path, file_okay=False), default=Path("voxaudit-fix"),
              show_default=True, help="Directory for the patches, fix.json and fix.md.")
@click.option("--target", default=None, help="The scan's target to fix, when it has several configuration targets.")
def fix(scan_file: Path, config_dir: Path, output: Path, target: str | None) -> None:
    """Write unified diffs that fix a saved scan's failing settings, one per configuration file.

    \b
    voxaudit fix out/scan.json --config-dir /backups/pbx1 -o /tmp/fixes
    cd /backups/pbx1 && patch -p1 --dry-run < /tmp/fixes/voicemail.conf.patch

    A choice for a person (a PIN, a password, a certificate) is a marked comment, never a value;
    FreePBX-generated files are changed in their _custom override files, or the GUI path is given."""
    if is_stdout(output):  # checked first: '-' would otherwise become a folder named '-'
        raise InputError("the fix is a folder of files (one patch per configuration file, fix.json, fix.md): "
                         "give -o DIR, not -o -")
    try:
        doc = load_scan(scan_file)
        result = plan(doc, registry_of(()), config_dir, target)
    except (PlanError, *INPUT_ERRORS) as exc:
        raise InputError(str(exc)) from None
    output.mkdir(parents=True, exist_ok=True)
    for name, text in {**result.patches, **result.files}.items():
        (output / name).write_bytes(text.encode("utf-8", errors="surrogateescape"))
    manifest = {"voxaudit_fix": 1, "scan_id": doc.scan_id, "patches": sorted(result.patches),
                "files": sorted(result.files),
                "findings": [o.to_dict() for o in result.outcomes]}
    (output / "fix.json").write_text(json.dumps(manifest, indent=1) + "\n")
    (output / "fix.md").write_text(summary_markdown(result))
    stale = sorted(p.name for p in output.glob("*.patch") if p.name not in result.patches)
    out.print(f"wrote {len(result.patches)} patches to {output}: " + ", ".join(
        f"{result.count(k)} {LABELS[k].split(' (')[0]}" for k in (PATCH, PERSON, GUI, UNSUPPORTED)), highlight=False)
    if stale:
        out.print(f"note: {output} also holds patches from an earlier run: {', '.join(stale)}", highlight=False)
