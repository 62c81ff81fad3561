"""Inventory: clinics -> sites -> targets, in the spirit of Nornir/Ansible inventories.

A target is offline (``config_dir``: a copied configuration tree) or live (``address`` and a
``ssh:``/``sip:``/``tls:``/``snmp:``/``cli:`` section, or a ``pcap:`` capture). Each entry validates into
:class:`voxaudit.targets.Target`: the one model the collectors take and the broker sends.
Credentials are references (env:, file:, keyring:), never values; they are resolved only when a
collector connects. Errors name the file, line and key, never a value and never a traceback.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import msgspec
import yaml

from voxaudit.structured import Invalid, StructuredFileError, field, invalid, line_of, load_yaml
from voxaudit.targets import PLATFORMS, BusinessAssociate, Target, convert, inventory_loc


class InventoryError(Exception):
    pass


class _In(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What people write: unknown keys refused (a misspelt key would otherwise be ignored without a word)."""


class SiteIn(_In, kw_only=True):
    name: str
    scanner_vantage: str = ""  # where the scanner sits at this site: data, voice, management...
    # Distributed mode: the broker queue of the collector that runs at this site (default: from its name).
    collector_queue: str = ""
    targets: list[Any]  # each validated by Target.validate (the inventory layout), its errors placed here


class ClinicIn(_In, kw_only=True):
    name: str
    sites: list[SiteIn]
    # This clinic's own BAAs (an MSP's clinics each sign theirs), added to the inventory's top-level list.
    business_associates: Optional[list[BusinessAssociate]] = None


class InventoryIn(_In, kw_only=True):
    clinics: list[ClinicIn]
    # The business-associate register (BAA-101): None when the inventory has none, which is not "no BAAs".
    business_associates: Optional[list[BusinessAssociate]] = None


class RegisterIn(_In, kw_only=True):
    """A register file for ``voxaudit scan --baa-register``: the inventory's list under the same key."""

    business_associates: list[BusinessAssociate]


def _written(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """An error location as the keys written in the file: a target's ``source`` is its inventory layout."""
    head = 6 if loc[:1] == ("clinics",) and loc[4:5] == ("targets",) else len(loc)
    return (*loc[:head], *inventory_loc(tuple(loc[head:])))


def _located(path: Path, tree: Optional[yaml.Node], exc: Exception, prefix: tuple[Any, ...] = (),
             kind: Any = None) -> str:
    """The error as file:line: key: message (never the value); ``prefix``: where the object validated sits;
    ``kind``: the type validated (a fixed set of values is listed)."""
    loc, message = invalid(exc, kind)
    loc = _written((*prefix, *loc))
    shown = field(loc) or "(top level)"
    line = line_of(tree, loc)
    hint = f" (supported platforms: {', '.join(PLATFORMS)})" if loc[-1:] == ("platform",) else ""
    return f"{path}:{line or '?'}: {shown}: {message}{hint}"


def _validate(path: Path, tree: Optional[yaml.Node], data: Any, kind: Any) -> Any:
    try:
        return convert(data, kind)
    except msgspec.ValidationError as exc:
        raise InventoryError(_located(path, tree, exc, kind=kind)) from None


def load_baa_register(path: Path) -> tuple[BusinessAssociate, ...]:
    """A business-associate register file (``business_associates:`` with the inventory's entries), for
    a scan without an inventory; errors as the inventory's: file, line and key, never a value."""
    path = Path(path)
    try:
        data, tree = load_yaml(path, "business-associate register")
    except StructuredFileError as exc:
        raise InventoryError(str(exc)) from None
    return tuple(_validate(path, tree, data, RegisterIn).business_associates)


def load_inventory(path: Path) -> list[Target]:
    """Every target of the inventory, in order, placed in its clinic and site, relative paths starting
    at the inventory's folder (resolved when collected)."""
    path = Path(path)
    try:
        data, tree = load_yaml(path, "inventory")
    except StructuredFileError as exc:
        raise InventoryError(str(exc)) from None
    inv: InventoryIn = _validate(path, tree, data, InventoryIn)
    base = path.parent
    targets: list[Target] = []
    seen: set[str] = set()
    for ci, clinic in enumerate(inv.clinics):
        # None (no register anywhere) is "unknown" to BAA-101, not "no BAAs"
        register = None if inv.business_associates is None and clinic.business_associates is None else \
            tuple(inv.business_associates or ()) + tuple(clinic.business_associates or ())
        for si, site in enumerate(clinic.sites):
            for ti, raw in enumerate(site.targets):
                try:
                    t = Target.validate(raw, inventory=True)
                except Invalid as exc:
                    raise InventoryError(_located(path, tree, exc, ("clinics", ci, "sites", si, "targets", ti))) from None
                if t.name in seen:  # results are keyed by target name
                    raise InventoryError(f"{path}: target name {t.name!r} is used twice; names must be unique")
                seen.add(t.name)
                placed = t.copy_with(base, clinic=clinic.name, site=site.name, vantage=site.scanner_vantage,
                                 queue=site.collector_queue, business_associates=register)
                targets.append(placed)
    if not targets:
        raise InventoryError(f"{path}: no targets")
    return targets
