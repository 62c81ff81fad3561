"""HIPAA profiles: safeguards mapped to checks, with parameters and weights.

A profile is YAML (see ``profiles/``). It may ``extends:`` another profile and
override parameters, raise a safeguard's level, change weights, add checks or
whole safeguards, so a stricter profile is a short diff, not a copy. Profiles
are validated against the check registry on load: a typo is an error, not a
silently unscored safeguard.
"""
from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any, Literal, Optional

import yaml
from pydantic import BaseModel, Field, ValidationError

from auditor.registry import Registry
from auditor.structured import StructuredFileError, load_yaml

PROFILES_DIR = Path(__file__).resolve().parent.parent / "profiles"
LEVEL_WEIGHTS = {"required": 3.0, "addressable": 2.0}


class ProfileError(Exception):
    pass


class SafeguardSpec(BaseModel):
    id: str
    title: Optional[str] = None
    citation: Optional[str] = None
    level: Optional[Literal["required", "addressable"]] = None
    weight: Optional[float] = None
    description: Optional[str] = None
    checks: list[str] = Field(default_factory=list)
    add_checks: list[str] = Field(default_factory=list)

    model_config = {"extra": "forbid"}


class ProfileSpec(BaseModel):
    id: str
    title: str
    version: str = "1"
    description: str = ""
    extends: Optional[str] = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    safeguards: list[SafeguardSpec] = Field(default_factory=list)

    model_config = {"extra": "forbid"}


class Safeguard(BaseModel):
    id: str
    title: str
    citation: str
    level: Literal["required", "addressable"]
    weight: float
    description: str = ""
    checks: list[str]


class Profile(BaseModel):
    """A resolved profile: inheritance applied, check patterns expanded, parameters complete."""

    id: str
    title: str
    version: str
    description: str
    lineage: list[str]
    parameters: dict[str, Any]
    safeguards: list[Safeguard]

    def check_ids(self) -> list[str]:
        return sorted({c for s in self.safeguards for c in s.checks})

    def safeguards_of(self, check_id: str) -> list[Safeguard]:
        return [s for s in self.safeguards if check_id in s.checks]


def builtin_profiles() -> dict[str, Path]:
    out = {}
    for path in sorted(PROFILES_DIR.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError:
            continue
        out[str(data.get("id", path.stem))] = path
    return out


def _read_spec(ref: str) -> tuple[ProfileSpec, Path]:
    path = Path(ref)
    if not path.exists():
        known = builtin_profiles()
        if ref not in known:
            raise ProfileError(f"unknown profile {ref!r}: not a file, and not one of {', '.join(sorted(known))}")
        path = known[ref]
    try:
        data, _ = load_yaml(path, "profile")
    except StructuredFileError as exc:
        raise ProfileError(str(exc)) from None
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: a profile is a YAML mapping with id, title and safeguards")
    try:
        return ProfileSpec.model_validate(data), path
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ProfileError(f"{path}: {loc}: {first['msg']}") from None


def _merge(base: list[SafeguardSpec], child: list[SafeguardSpec]) -> list[SafeguardSpec]:
    merged = {s.id: s.model_copy(deep=True) for s in base}
    order = [s.id for s in base]
    for s in child:
        if s.id in merged:
            tgt = merged[s.id]
            for fld in ("title", "citation", "level", "weight", "description"):
                val = getattr(s, fld)
                if val is not None:
                    setattr(tgt, fld, val)
            if s.checks:
                tgt.checks = list(s.checks)
            tgt.add_checks = tgt.add_checks + s.add_checks
        else:
            merged[s.id] = s.model_copy(deep=True)
            order.append(s.id)
    return [merged[i] for i in order]


def _resolve_spec(ref: str, seen: tuple[str, ...] = ()) -> tuple[ProfileSpec, list[str], dict[str, Any]]:
    spec, path = _read_spec(ref)
    if spec.id in seen:
        raise ProfileError(f"profile {spec.id} extends itself through {' -> '.join(seen)}")
    if spec.extends is None:
        return spec, [spec.id], dict(spec.parameters)
    # A parent is a built-in profile id, or a file next to this one.
    sibling = path.parent / spec.extends
    parent_ref = str(sibling) if sibling.is_file() else spec.extends
    parent, lineage, params = _resolve_spec(parent_ref, seen + (spec.id,))
    params.update(spec.parameters)
    merged = spec.model_copy(update={"safeguards": _merge(parent.safeguards, spec.safeguards)})
    return merged, lineage + [spec.id], params


def _expand(pattern: str, registry: Registry, where: str) -> list[str]:
    if any(ch in pattern for ch in "*?["):
        hits = [cid for cid in registry.ids() if fnmatch.fnmatchcase(cid, pattern)]
        if not hits:
            raise ProfileError(f"{where}: check pattern {pattern!r} matches no known check")
        return hits
    if registry.get(pattern) is None:
        raise ProfileError(f"{where}: unknown check id {pattern!r}")
    return [pattern]


def _type_ok(value: Any, default: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, list):
        return isinstance(value, list)
    return True


def load_profile(ref: str, registry: Registry) -> Profile:
    spec, lineage, params = _resolve_spec(ref)
    declared: dict[str, Any] = {}
    for chk in registry.all():
        for p in chk.meta.params:
            declared.setdefault(p.name, p.default)
    for name, value in params.items():
        if name not in declared:
            raise ProfileError(f"profile {spec.id}: unknown parameter {name!r}; known: {', '.join(sorted(declared))}")
        if not _type_ok(value, declared[name]):
            raise ProfileError(
                f"profile {spec.id}: parameter {name} = {value!r} should be a {type(declared[name]).__name__}"
            )
    safeguards = []
    for s in spec.safeguards:
        where = f"profile {spec.id}, safeguard {s.id}"
        if not s.title or not s.level:
            raise ProfileError(f"{where}: needs a title and a level (required or addressable)")
        ids: list[str] = []
        for pattern in s.checks + s.add_checks:
            for cid in _expand(pattern, registry, where):
                if cid not in ids:
                    ids.append(cid)
        weight = s.weight if s.weight is not None else LEVEL_WEIGHTS[s.level]
        if weight < 0:
            raise ProfileError(f"{where}: weight must not be negative")
        safeguards.append(Safeguard(id=s.id, title=s.title, citation=s.citation or s.id, level=s.level,
                                    weight=weight, description=s.description or "", checks=ids))
    return Profile(id=spec.id, title=spec.title, version=spec.version, description=" ".join(spec.description.split()),
                   lineage=lineage, parameters={**declared, **params}, safeguards=safeguards)
