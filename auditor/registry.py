"""Discovery of checks: the built-in pack, installed packs, and a --checks-dir.

A pack is any importable module or package; every :class:`~auditor.check.Check`
object found in its modules is registered. Packs are declared through the
``voxaudit.checks`` entry-point group (the built-in pack is declared the same way),
so a clinic's or MSP's pack installs with pip and needs no change here.
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
from typing import Iterable, Optional

from auditor.check import Check

ENTRY_POINT_GROUP = "voxaudit.checks"
ID_RE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*-\d{3}$")


class RegistryError(Exception):
    pass


def _walk(module: ModuleType) -> Iterable[ModuleType]:
    yield module
    if hasattr(module, "__path__"):
        for info in pkgutil.walk_packages(module.__path__, module.__name__ + "."):
            yield importlib.import_module(info.name)


def _checks_in(module: ModuleType) -> list[Check]:
    return [v for v in vars(module).values() if isinstance(v, Check) and v.__module__ == module.__name__]


class Registry:
    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}
        self.origins: dict[str, str] = {}

    def add(self, chk: Check, origin: str) -> None:
        if not ID_RE.match(chk.id):
            raise RegistryError(f"check id {chk.id!r} from {origin} is not of the form FAMILY-AREA-123")
        if chk.id in self._checks and self._checks[chk.id] is not chk:
            raise RegistryError(f"check id {chk.id} is defined twice: in {self.origins[chk.id]} and in {origin}")
        self._checks[chk.id] = chk
        self.origins[chk.id] = origin

    def add_module(self, module: ModuleType, origin: str) -> None:
        for mod in _walk(module):
            for chk in _checks_in(mod):
                self.add(chk, f"{origin} ({mod.__name__})")

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

    def get(self, check_id: str) -> Optional[Check]:
        return self._checks.get(check_id)

    def all(self) -> list[Check]:
        return sorted(self._checks.values(), key=lambda c: c.id)

    def ids(self) -> list[str]:
        return sorted(self._checks)

    def __len__(self) -> int:
        return len(self._checks)


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
    if "checks" not in names:  # running from a source tree without installation
        reg.add_module(importlib.import_module("checks"), "built-in")
    for d in checks_dirs or []:
        reg.add_directory(d)
    return reg
