"""HIPAA profiles: safeguards with levels and weights, parameters, and which controls to run.

A profile is YAML (see ``profiles/``). It may ``extends:`` another profile and override
parameters, raise a safeguard's level, change weights, add safeguards, or narrow the controls
(``select``/``exclude`` patterns over control IDs and their 1.x aliases), so a stricter profile
is a short diff, not a copy.

Which safeguard scores a control is never written in the profile: it follows from the control's
own HIPAA citations, so the citations a report shows and the safeguards that score it cannot
disagree. A citation the profile has no safeguard for must be listed under ``not_scored`` with
the reason, or the profile refuses to load; so does a 1.x ``checks:`` list that disagrees with
the citations. Profiles are validated against the registry on load: a typo is an error, not a
silently unscored safeguard.
"""
from __future__ import annotations

import fnmatch
import math
import re
from pathlib import Path
from typing import Any, Literal, Optional

import msgspec

from voxaudit import profiles as _builtin_profiles
from voxaudit.registry import Registry
from voxaudit.structured import StructuredFileError, field, invalid, line_of, load_yaml

PROFILES_DIR = Path(_builtin_profiles.__file__).resolve().parent  # profiles/ in a checkout, voxaudit/profiles/ installed
LEVEL_WEIGHTS = {"required": 3.0, "addressable": 2.0}


class ProfileError(Exception):
    pass


SEVERITIES = ("critical", "high", "medium", "low", "info")


class Selection(msgspec.Struct, kw_only=True):
    """A narrowing of a profile's controls for one run (``--checks``, ``--skip-checks``, ``--severity``).

    Applied inside :func:`load_profile`, after the profile's own ``select``/``exclude``, so what does not
    run is absent from every safeguard: scores and coverage describe what ran, not a filtered view of more.
    """

    checks: list[str] = []  # control IDs, 1.x IDs or globs; empty: all of the profile's
    skip: list[str] = []
    severities: list[str] = []  # exact severities (as Trivy and Prowler take them)

    def __bool__(self) -> bool:
        return bool(self.checks or self.skip or self.severities)

    def describe(self) -> str:
        """The filter as the command line spells it, for the report's warning."""
        parts = [f"--checks {','.join(self.checks)}" if self.checks else "",
                 f"--skip-checks {','.join(self.skip)}" if self.skip else "",
                 f"--severity {','.join(self.severities)}" if self.severities else ""]
        return " ".join(p for p in parts if p)


class SafeguardSpec(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    id: str
    title: Optional[str] = None
    citation: Optional[str] = None
    level: Optional[Literal["required", "addressable"]] = None
    weight: Optional[float] = None
    description: Optional[str] = None
    # 1.x: the checks this safeguard scores. Now only an assertion: it must agree with the citations.
    checks: list[str] = []
    add_checks: list[str] = []


class ProfileSpec(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    id: str
    title: str
    version: str = "1"
    description: str = ""
    extends: Optional[str] = None
    parameters: dict[str, Any] = {}
    select: Optional[list[str]] = None  # control ID or alias patterns to run (default: all)
    exclude: Optional[list[str]] = None
    not_scored: dict[str, str] = {}  # citation -> why this profile does not score it
    safeguards: list[SafeguardSpec] = []


class Safeguard(msgspec.Struct, kw_only=True):
    id: str
    title: str
    citation: str
    level: Literal["required", "addressable"]
    weight: float
    description: str = ""
    checks: list[str]


class Profile(msgspec.Struct, kw_only=True):
    """A resolved profile: inheritance applied, check patterns expanded, parameters complete."""

    id: str
    title: str
    version: str
    description: str
    lineage: list[str]
    parameters: dict[str, Any]
    safeguards: list[Safeguard]
    not_scored: dict[str, str] = {}
    select: list[str] = msgspec.field(default_factory=lambda: ["*"])
    exclude: list[str] = []
    # Set when a Selection narrowed this run: how it was spelled, and how many controls the profile alone runs.
    selection: str = ""
    unfiltered: int = 0

    def as_json(self) -> dict[str, Any]:
        """The profile as ``profiles show --format json`` prints it: every field but this run's selection."""
        return {f.encode_name: msgspec.to_builtins(getattr(self, f.name)) for f in msgspec.structs.fields(self)
                if f.name not in ("selection", "unfiltered")}

    def check_ids(self) -> list[str]:
        return sorted({c for s in self.safeguards for c in s.checks})

    def safeguards_of(self, check_id: str) -> list[Safeguard]:
        return [s for s in self.safeguards if check_id in s.checks]


def builtin_profiles() -> dict[str, Path]:
    """The shipped profiles by ID. A built-in profile's file is named after its ID (``_read_spec`` refuses one
    that is not), so finding one parses nothing: every scan used to parse every shipped profile to learn IDs."""
    return {path.stem: path for path in sorted(PROFILES_DIR.glob("*.yaml"))}


def _brief(text: object, limit: int = 60) -> str:
    """A name from a profile or an option, quoted for an error: cut to ``limit`` characters, so a
    10,000-character pattern stays a one-line message (repr keeps control characters escaped)."""
    shown = str(text)
    return repr(shown if len(shown) <= limit else shown[:limit] + "...")


def _read_spec(ref: str) -> tuple[ProfileSpec, Path]:
    path = Path(ref)
    if not path.exists():
        known = builtin_profiles()
        if ref not in known:
            raise ProfileError(f"unknown profile {_brief(ref)}: not a file, and not one of {', '.join(sorted(known))}")
        path = known[ref]
    try:
        data, tree = load_yaml(path, "profile")
    except StructuredFileError as exc:
        raise ProfileError(str(exc)) from None
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: a profile is a YAML mapping with id, title and safeguards")
    try:
        spec = msgspec.convert(data, ProfileSpec, strict=False)
    except msgspec.ValidationError as exc:
        loc, message = invalid(exc, ProfileSpec)
        raise ProfileError(f"{path}:{line_of(tree, loc) or '?'}: {field(loc)}: {message}") from None
    if path.parent == PROFILES_DIR and spec.id != path.stem:
        raise ProfileError(f"{path}: a built-in profile's file is named after its id ({_brief(spec.id)})")
    return spec, path


def _merge(base: list[SafeguardSpec], child: list[SafeguardSpec]) -> list[SafeguardSpec]:
    merged = {s.id: s for s in base}  # frozen: a merge makes new specs, never changes a parent's
    order = [s.id for s in base]
    for s in child:
        if s.id in merged:
            tgt = merged[s.id]
            changes: dict[str, Any] = {fld: getattr(s, fld) for fld in ("title", "citation", "level", "weight", "description")
                                       if getattr(s, fld) is not None}
            if s.checks:
                changes["checks"] = list(s.checks)
            changes["add_checks"] = tgt.add_checks + s.add_checks
            merged[s.id] = msgspec.structs.replace(tgt, **changes)
        else:
            merged[s.id] = s
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
    merged = msgspec.structs.replace(
        spec,
        safeguards=_merge(parent.safeguards, spec.safeguards),
        select=spec.select if spec.select is not None else parent.select,
        exclude=spec.exclude if spec.exclude is not None else parent.exclude,
        not_scored={k: v for k, v in {**parent.not_scored, **spec.not_scored}.items()
                    if k not in {s.id for s in spec.safeguards}},
    )
    return merged, lineage + [spec.id], params


def _expand(pattern: str, registry: Registry, where: str) -> list[str]:
    """Control/check IDs a pattern names, directly or through a 1.x alias."""
    aliases = registry.aliases()
    if any(ch in pattern for ch in "*?["):
        hits = [cid for cid in registry.ids() if fnmatch.fnmatchcase(cid, pattern)]
        hits += [c for old, cids in aliases.items() if fnmatch.fnmatchcase(old, pattern) for c in cids]
        if not hits:
            raise ProfileError(f"{where}: check pattern {_brief(pattern)} matches no known check")
        return list(dict.fromkeys(hits))
    ids = registry.resolve(pattern)
    if not ids:
        raise ProfileError(f"{where}: unknown check id {_brief(pattern)}")
    return ids


_NUMBER_TEXT = re.compile(r"\d{1,4}(?:\.\d{1,4})?")  # "1.2": a version or number a check parses


def _kind(default: Any) -> str:
    """What a parameter takes, for an error: its default's type, or a number written as text."""
    if isinstance(default, str) and _NUMBER_TEXT.fullmatch(default):
        return f"a number written as text, like {default!r}"
    if isinstance(default, float):
        return "a finite number"
    return f"a {type(default).__name__}"


def _type_ok(value: Any, default: Any) -> bool:
    """Does a profile's value have the parameter's type? A float must be finite (YAML reads ``.nan`` and
    ``.inf``, and NaN compares false with everything: every limit would pass), and a number written as
    text (``min_tls_version: "1.2"``) takes only such text: ``"nan"`` would reach ``float()`` the same way."""
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if isinstance(default, str) and _NUMBER_TEXT.fullmatch(default):
        return isinstance(value, str) and _NUMBER_TEXT.fullmatch(value) is not None
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, list):
        return isinstance(value, list)
    return True


def load_profile(ref: str, registry: Registry, selection: Optional[Selection] = None) -> Profile:
    """The profile ``ref`` resolved and validated; ``selection`` narrows the controls it runs (see :class:`Selection`)."""
    spec, lineage, params = _resolve_spec(ref)
    declared: dict[str, Any] = {}
    for chk in registry.all():
        for p in chk.meta.params:
            declared.setdefault(p.name, p.default)
    for name, value in params.items():
        if name not in declared:
            raise ProfileError(f"profile {spec.id}: unknown parameter {_brief(name)}; known: {', '.join(sorted(declared))}")
        if not _type_ok(value, declared[name]):
            raise ProfileError(
                f"profile {spec.id}: parameter {_brief(name)} should be {_kind(declared[name])}, "
                f"not this {type(value).__name__}"  # the value itself is not echoed
            )
    selected = _selected(spec, registry)
    citations = {cid: registry.get(cid).meta.hipaa for cid in selected}  # type: ignore[union-attr]
    kept = set(_narrow(selected, selection, registry, spec.id)) if selection else set(selected)
    safeguards = []
    for s in spec.safeguards:
        where = f"profile {spec.id}, safeguard {s.id}"
        if not s.title or not s.level:
            raise ProfileError(f"{where}: needs a title and a level (required or addressable)")
        ids = [cid for cid in selected if s.id in citations[cid]]
        _agrees(where, s, ids, registry)
        weight = s.weight if s.weight is not None else LEVEL_WEIGHTS[s.level]
        if weight < 0:
            raise ProfileError(f"{where}: weight must not be negative")
        safeguards.append(Safeguard(id=s.id, title=s.title, citation=s.citation or s.id, level=s.level,
                                    weight=weight, description=s.description or "",
                                    checks=[cid for cid in ids if cid in kept]))
    scored = {s.id for s in spec.safeguards}
    for cid in selected:
        loose = [c for c in citations[cid] if c not in scored and c not in spec.not_scored]
        if loose:
            raise ProfileError(f"profile {spec.id}: {cid} cites {', '.join(loose)}, which the profile neither scores "
                               "(no safeguard with that id) nor lists under not_scored with a reason")
        if not any(c in scored for c in citations[cid]):
            raise ProfileError(f"profile {spec.id}: {cid} is selected but none of its citations "
                               f"({', '.join(citations[cid]) or 'none'}) is a safeguard of the profile; exclude it")
    return Profile(id=spec.id, title=spec.title, version=spec.version, description=" ".join(spec.description.split()),
                   lineage=lineage, parameters={**declared, **params}, safeguards=safeguards,
                   not_scored=dict(spec.not_scored), select=list(spec.select or ["*"]), exclude=list(spec.exclude or []),
                   selection=selection.describe() if selection else "", unfiltered=len(selected) if selection else 0)


def _selected(spec: ProfileSpec, registry: Registry) -> list[str]:
    """The controls and checks the profile runs: ``select`` minus ``exclude`` (patterns, aliases allowed)."""
    where = f"profile {spec.id}"
    chosen: list[str] = []
    for pattern in spec.select or ["*"]:
        chosen += [c for c in _expand(pattern, registry, where) if c not in chosen]
    dropped = {c for pattern in spec.exclude or [] for c in _expand(pattern, registry, where)}
    return [c for c in sorted(chosen) if c not in dropped]


def _user_ids(pattern: str, registry: Registry, option: str) -> list[str]:
    """What one ``--checks``/``--skip-checks`` entry names; IDs are upper case, so ``mbx-*`` is ``MBX-*``."""
    for candidate in dict.fromkeys([pattern, pattern.upper()]):
        try:
            return _expand(candidate, registry, option)
        except ProfileError:
            continue
    kind = "pattern" if any(ch in pattern for ch in "*?[") else "check id"
    raise ProfileError(f"{option}: {kind} {_brief(pattern)} names no known control, check or 1.x check ID; "
                       "see 'voxaudit checks list'")


def _narrow(selected: list[str], selection: Selection, registry: Registry, profile_id: str) -> list[str]:
    """``selected`` (the profile's own choice) narrowed by the command line; every name is checked."""
    chosen = list(selected)
    if selection.checks:
        named: set[str] = set()
        for pattern in selection.checks:
            ids = _user_ids(pattern, registry, "--checks")
            if not any(ch in pattern for ch in "*?[") and not set(ids) & set(selected):
                raise ProfileError(f"--checks: {pattern} is not run by profile {profile_id} (its select/exclude "
                                   "leave it out); choose another --profile")
            named.update(ids)
        chosen = [c for c in chosen if c in named]
    dropped: set[str] = set()
    for pattern in selection.skip:
        dropped.update(_user_ids(pattern, registry, "--skip-checks"))
    chosen = [c for c in chosen if c not in dropped]
    if selection.severities:
        wanted = set()
        for sev in selection.severities:
            if sev.strip().lower() not in SEVERITIES:
                raise ProfileError(f"--severity: unknown severity {_brief(sev)}; choose from {', '.join(SEVERITIES)}")
            wanted.add(sev.strip().lower())
        chosen = [c for c in chosen if registry.get(c).meta.severity.value in wanted]  # type: ignore[union-attr]
    if not chosen:
        raise ProfileError(f"{selection.describe()}: no control of profile {profile_id} is left to run")
    return chosen


def _agrees(where: str, s: SafeguardSpec, derived: list[str], registry: Registry) -> None:
    """A 1.x ``checks:``/``add_checks:`` list is kept as an assertion: it must name what the citations give."""
    if not s.checks and not s.add_checks:
        return
    listed: set[str] = set()
    for pattern in s.checks + s.add_checks:
        listed.update(_expand(pattern, registry, where))
    extra, missing = sorted(listed - set(derived)), sorted(set(derived) - listed) if s.checks else []
    if extra or missing:
        detail = "; ".join(p for p in (f"listed but not citing {s.id}: {', '.join(extra)}" if extra else "",
                                        f"citing {s.id} but not listed: {', '.join(missing)}" if missing else "") if p)
        raise ProfileError(f"{where}: the checks listed disagree with the checks' own HIPAA citations ({detail}); "
                           "a safeguard's checks follow from their citations: drop the list, or use select/exclude")
