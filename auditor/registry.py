"""Discovery of controls, checks and platform bindings: the built-in pack, installed packs, a --checks-dir.

A pack is any importable module or package; every :class:`~auditor.control.Control`,
:class:`~auditor.control.Binding` (or tuple of them) and 1.x-style :class:`~auditor.check.Check`
found in its modules is registered. Packs are declared through the ``voxaudit.checks``
entry-point group (the built-in pack is declared the same way), so a clinic's or MSP's pack
installs with pip and needs no change here. The built-in platform adapters
(``auditor.platforms``) always load: they bind the built-in controls to each platform.

The 1.x check IDs a control replaced are its aliases: :meth:`Registry.get` answers them with
the control limited to the bindings that replaced that check, and :meth:`Registry.resolve`
maps an alias to the control IDs it became (waivers, baselines, profiles, history).
"""
from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
import sys
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any, Iterable, Optional, Union

from voxaudit.check import Check
from voxaudit.control import AliasGroup, Binding, BoundControl, Control
from voxaudit.records.drift import WIRE_FIX

ENTRY_POINT_GROUP = "voxaudit.checks"
# SIP servers read from a copy of their configuration: the copy can say which host runs it (address:), and
# the drift stage (voxaudit.engine.drift) compares it with what probes and captures of that host saw.
SERVER_PLATFORMS = ("asterisk", "freeswitch", "kamailio", "opensips")
ID_RE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*-\d{3}$")


class RegistryError(Exception):
    pass


def _walk(module: ModuleType) -> Iterable[ModuleType]:
    yield module
    if hasattr(module, "__path__"):
        for info in pkgutil.walk_packages(module.__path__, module.__name__ + "."):
            yield importlib.import_module(info.name)


Rule = Union[Check, BoundControl, AliasGroup]


def _checks_in(module: ModuleType) -> list[Any]:
    """Checks and controls defined in ``module``, and the bindings it declares (alone or in a tuple)."""
    out: list[Any] = []
    for v in vars(module).values():
        if isinstance(v, Check) and v.__module__ == module.__name__ or isinstance(v, Control) and v.module == module.__name__:
            out.append(v)
        elif isinstance(v, Binding):
            out.append(v)
        elif isinstance(v, (tuple, list)) and v and all(isinstance(b, Binding) for b in v):
            out.extend(v)
    return out


class Registry:
    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}
        self._controls: dict[str, Control[Any]] = {}
        self._bindings: list[Binding[Any]] = []
        self._bound: Optional[dict[str, Rule]] = None
        self._aliases: dict[str, list[str]] = {}
        self.origins: dict[str, str] = {}

    def add(self, chk: Any, origin: str) -> None:
        if isinstance(chk, Binding):
            if chk not in self._bindings:
                self._bindings.append(chk)
                self._bound = None
            return
        if not ID_RE.match(chk.id):
            raise RegistryError(f"check id {chk.id!r} from {origin} is not of the form FAMILY-AREA-123")
        known = self._checks.get(chk.id) or self._controls.get(chk.id)
        if known is not None and known is not chk:
            raise RegistryError(f"check id {chk.id} is defined twice: in {self.origins[chk.id]} and in {origin}")
        if isinstance(chk, Control):
            self._controls[chk.id] = chk
        else:
            self._checks[chk.id] = chk
        self.origins[chk.id] = origin
        self._bound = None

    def add_module(self, module: ModuleType, origin: str) -> None:
        for mod in _walk(module):
            for chk in _checks_in(mod):
                self.add(chk, f"{origin} ({mod.__name__})")

    def _rules(self) -> dict[str, Rule]:
        """Every check and every control with its bindings, by ID; aliases indexed on the way."""
        if self._bound is not None:
            return self._bound
        by_control: dict[str, list[Binding[Any]]] = {}
        for b in self._bindings:
            if b.control not in self._controls:
                raise RegistryError(f"a {b.platform} binding names control {b.control}, which is not defined")
            by_control.setdefault(b.control, []).append(b)
        rules: dict[str, Rule] = dict(self._checks)
        aliases: dict[str, list[str]] = {}
        for cid, ctl in self._controls.items():
            rules[cid] = BoundControl(ctl, by_control.get(cid, []))
            for b in by_control.get(cid, []):
                if not b.alias:
                    continue
                if b.alias in rules:
                    raise RegistryError(f"check id {b.alias} is defined twice: in {self.origins.get(b.alias, '?')} and as "
                                        f"the 1.x alias of control {cid} ({b.platform})")
                if not ID_RE.match(b.alias):
                    raise RegistryError(f"{b.platform} binding of {cid}: alias {b.alias!r} is not of the form FAMILY-AREA-123")
                if cid not in aliases.setdefault(b.alias, []):
                    aliases[b.alias].append(cid)
        for rule in rules.values():  # a control judged by comparing another's records covers where that one is bound
            if isinstance(rule, BoundControl) and rule.control.compares and not rule.bindings:
                basis = rules.get(rule.control.compares)
                platforms = [p for p in (basis.meta.platforms if basis is not None else []) if p in SERVER_PLATFORMS]
                rule.meta = rule.meta.replace(platforms=platforms, remediation=dict.fromkeys(platforms, WIRE_FIX))
        self._aliases = aliases
        self._bound = rules
        return rules

    def resolve(self, check_id: str) -> list[str]:
        """The current IDs that answer ``check_id``: itself, or the controls a 1.x ID became."""
        rules = self._rules()
        if check_id in rules:
            return [check_id]
        return list(self._aliases.get(check_id, []))

    def aliases(self) -> dict[str, list[str]]:
        self._rules()
        return dict(self._aliases)

    def add_directory(self, directory: Path) -> None:
        directory = Path(directory)
        if not directory.is_dir():
            raise RegistryError(f"--checks-dir {directory} is not a directory")
        for path in sorted(directory.glob("*.py")):
            name = f"voxaudit_local_checks.{path.stem}"
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                raise RegistryError(f"cannot load {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except Exception as exc:  # a broken local check must not look like ours
                raise RegistryError(f"{path}: {exc.__class__.__name__}: {exc}") from None
            for chk in _checks_in(module):
                self.add(chk, str(path))

    def get(self, check_id: str) -> Optional[Rule]:
        """A check or control by ID; a 1.x alias gives the control limited to the bindings that replaced it
        (the first such control when one 1.x check became several; see :meth:`resolve`)."""
        rules = self._rules()
        if check_id in rules:
            return rules[check_id]
        targets = self._aliases.get(check_id)
        if not targets:
            return None
        members = []
        for cid in targets:
            bound = rules[cid]
            assert isinstance(bound, BoundControl)
            members.append(BoundControl(bound.control, bound.bindings, alias=check_id))
        return members[0] if len(members) == 1 else AliasGroup(check_id, members)

    def known_ids(self) -> list[str]:
        """Every ID that names something: checks, controls and the 1.x aliases of controls."""
        return sorted({*self._rules(), *self._aliases})

    def all(self) -> list[Rule]:
        return sorted(self._rules().values(), key=lambda c: c.id)

    def ids(self) -> list[str]:
        return sorted(self._rules())

    def __len__(self) -> int:
        return len(self._rules())


def load_registry(checks_dirs: Optional[list[Path]] = None) -> Registry:
    """Built-in and installed packs, then any local directories."""
    reg = Registry()
    names = set()
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        names.add(ep.value)
        try:
            reg.add_module(importlib.import_module(ep.value), f"entry point {ep.name}")
        except RegistryError:
            raise
        except Exception as exc:
            raise RegistryError(f"check pack {ep.name} ({ep.value}) failed to load: {exc.__class__.__name__}: {exc}") from None
    if "voxaudit.checks" not in names:  # running from a source tree without installation
        reg.add_module(importlib.import_module("voxaudit.checks"), "built-in")
    reg.add_module(importlib.import_module("voxaudit.platforms"), "built-in platform adapters")
    for d in checks_dirs or []:
        reg.add_directory(d)
    reg.aliases()  # bind now: an unknown control or a clashing ID is an error at load, not mid-scan
    return reg
