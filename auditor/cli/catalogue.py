"""The catalogue: ``checks list|show`` (controls, their platforms and 1.x IDs) and ``profiles list|show``."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import click
from rich.table import Table

from voxaudit.cli.common import INPUT_ERRORS, InputError, out, registry_of, split_values
from voxaudit.profile import SEVERITIES, builtin_profiles, load_profile
from voxaudit.registry import Registry, RegistryError, load_registry


@click.group()
def checks() -> None:
    """List and describe checks."""


@checks.command("list")
@click.option("--platform", help="Only checks for this platform (asterisk, freeswitch, kamailio, ...).")
@click.option("--severity", "severities", multiple=True, metavar="LEVELS",
              help="Only checks of these severities, any case (critical,high); comma-separate or repeat.")
@click.option("--format", "fmt", type=click.Choice(["table", "markdown", "json"], case_sensitive=False), default="table",
              show_default=True)
@click.option("--checks-dir", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help="Extra directory of check modules (repeatable).")
def checks_list(platform, severities, fmt, checks_dir) -> None:
    """All registered checks with severity, area and HIPAA citations."""
    try:
        registry = registry_of(checks_dir)
    except RegistryError as exc:
        raise InputError(str(exc)) from None
    platforms = sorted({p for c in registry.all() for p in c.meta.platforms})
    if platform and platform.lower() not in platforms:
        raise InputError(f"unknown platform {platform!r}; checks exist for {', '.join(platforms)}")
    wanted = {s.lower() for s in split_values(severities)}
    if wanted - set(SEVERITIES):
        raise InputError(f"unknown severity {sorted(wanted - set(SEVERITIES))[0]!r}; choose from {', '.join(SEVERITIES)}")
    items = [c for c in registry.all() if (not platform or platform.lower() in c.meta.platforms)
             and (not wanted or c.meta.severity.value in wanted)]
    if fmt == "json":
        click.echo(json.dumps([c.meta.as_json() for c in items], indent=2))
    elif fmt == "markdown":
        click.echo(catalogue_markdown(registry, items))
    else:
        table = Table()
        for col in ("ID", "Severity", "Area", "Title", "HIPAA", "Replaces"):
            table.add_column(col, no_wrap=col == "ID")
        for c in items:
            table.add_row(c.id, c.meta.severity.value, c.meta.area, c.meta.title, ", ".join(c.meta.hipaa),
                          ", ".join(replaced_ids(c.meta)))
        out.print(table)
        out.print(f"{len(items)} checks")


def replaced_ids(meta: Any) -> list[str]:
    """The 1.x IDs a control replaces, each once: one 1.x ID can be bound on several platforms (KAM-ACC-103 on
    Kamailio and OpenSIPS), and a table listing it twice reads as two different checks."""
    return list(dict.fromkeys(meta.all_aliases()))


def catalogue_markdown(registry: Registry, only: Optional[list[Any]] = None) -> str:
    """The README's check catalogue, generated from check metadata (``only``: those checks, as filtered)."""
    from voxaudit.check import AREAS

    chosen = registry.all() if only is None else only
    lines = []
    for area, label in AREAS.items():
        items = [c for c in chosen if c.meta.area == area]
        if not items:
            continue
        lines += [f"#### {label} ({len(items)})", "",
                  "| ID | Severity | Control | Platforms | HIPAA | Replaces (1.x IDs) |", "|---|---|---|---|---|---|"]
        lines += [f"| {c.id} | {c.meta.severity.value} | {c.meta.title} | {', '.join(c.meta.platforms)} | "
                  f"{', '.join(c.meta.hipaa)} | {', '.join(replaced_ids(c.meta)) or '-'} |" for c in items]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


@checks.command("show")
@click.argument("check_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"], case_sensitive=False), default="text",
              show_default=True, help="json: the control's metadata (what 'checks list --format json' gives for it), "
                                      "with the module it came from and the control IDs a 1.x ID resolves to.")
@click.option("--checks-dir", multiple=True, type=click.Path(path_type=Path, file_okay=False))
def checks_show(check_id, fmt, checks_dir) -> None:
    """Everything about one check: rationale, remediation per platform, parameters."""
    try:
        registry = registry_of(checks_dir)
    except RegistryError as exc:
        raise InputError(str(exc)) from None
    chk = registry.get(check_id.upper())
    if chk is None:
        raise InputError(f"unknown check {check_id!r}; see 'voxaudit checks list'")
    m = chk.meta
    if fmt.lower() == "json":
        click.echo(json.dumps({**m.as_json(), "origin": registry.origins.get(m.id),
                               "requested": check_id.upper(), "resolves_to": registry.resolve(check_id.upper())},
                              indent=2))
        return
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


@click.group()
def profiles() -> None:
    """List and describe HIPAA profiles."""


@profiles.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"], case_sensitive=False), default="table",
              show_default=True)
def profiles_list(fmt) -> None:
    """Built-in profiles."""
    registry = load_registry()
    loaded = [load_profile(pid, registry) for pid in builtin_profiles()]
    if fmt == "json":
        click.echo(json.dumps([{"id": p.id, "title": p.title, "version": p.version, "lineage": p.lineage,
                                "safeguards": len(p.safeguards), "checks": len(p.check_ids())} for p in loaded],
                              indent=2))
        return
    table = Table()
    for col in ("ID", "Title", "Extends", "Safeguards", "Checks"):
        table.add_column(col, no_wrap=col in {"ID", "Extends"})
    for p in loaded:
        table.add_row(p.id, p.title, " -> ".join(p.lineage[:-1]) or "-", str(len(p.safeguards)), str(len(p.check_ids())))
    out.print(table)


@profiles.command("show")
@click.argument("profile")
@click.option("--format", "fmt", type=click.Choice(["table", "json"], case_sensitive=False), default="table",
              show_default=True)
def profiles_show(profile, fmt) -> None:
    """Safeguards, levels, weights, checks and parameters of a profile (id or path)."""
    try:
        p = load_profile(profile, load_registry())
    except INPUT_ERRORS as exc:
        raise InputError(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps(p.as_json(), indent=2, ensure_ascii=False))
        return
    out.print(f"[bold]{p.id}[/] {p.title} (version {p.version}; lineage {' -> '.join(p.lineage)})", highlight=False)
    out.print(p.description, highlight=False)
    table = Table()
    for col in ("Safeguard", "Title", "Level", "Weight", "Checks"):
        table.add_column(col, no_wrap=col == "Safeguard")
    for s in p.safeguards:
        title = s.title if s.citation == s.id else f"{s.title} [{s.citation}]"
        table.add_row(s.id, title, s.level, f"{s.weight:g}", ", ".join(s.checks) or "(manual review)")
    out.print(table)
    for k, v in sorted(p.parameters.items()):
        out.print(f"  {k} = {v!r}", highlight=False)
