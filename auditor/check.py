"""How a check is written: a pure function of facts with its metadata beside it.

    @check(id="AST-VM-101", title="Every mailbox has a PIN", severity="critical",
           hipaa=["164.312(d)"], area="mailbox-auth", platforms=["asterisk"],
           sources=["voicemail.conf"], rationale="...",
           remediation={"asterisk": "...", "freepbx": "..."})
    def mailbox_has_pin(facts, ctx):
        for mb in facts.of_kind("voicemail.mailbox"):
            ...
            yield ctx.fail(mb.name, "mailbox has no PIN", mb.source, fix=["..."])

A check yields PASS / FAIL / NOT_APPLICABLE outcomes, one per resource, or ``ctx.unknown`` when
its evidence cannot decide (an ERROR with a kind and reason). Every other ERROR comes from the
runner: facts missing or not understood, or the check raising.
Checks must not do I/O; ``tests/test_architecture.py`` enforces it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

import msgspec

from voxaudit.model import ErrorKind, Result, Severity, SourceRef, Status

AREAS = {
    "transport": "Transport and media encryption",
    "mailbox-auth": "Per-user mailbox authentication",
    "notifications": "Notification content and lock-screen previews",
    "retention": "Retention and disposal",
    "audit-log": "Audit-log depth",
    "access": "Access control and segmentation",
    "storage": "Encryption at rest and backups",
    "business-associates": "Business associates and PHI recipients",
}


class Param(msgspec.Struct, kw_only=True):
    """A tunable a check reads from the profile (e.g. ``min_pin_length``)."""

    name: str
    default: Any
    help: str


class CheckMeta(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Everything about a check that is not its code; saved into every scan (defaults left out, as saved
    since schema 2.0; :meth:`as_json` writes every field, for ``checks list/show``)."""

    id: str
    title: str
    severity: Severity
    hipaa: list[str]
    area: str
    platforms: list[str]
    sources: list[str] = []
    rationale: str
    remediation: dict[str, str]
    references: list[str] = []
    params: list[Param] = []
    # platform -> the 1.x check IDs a control replaced there (they stay aliases of it); empty for a check
    aliases: dict[str, list[str]] = {}
    # The fix of each binding, by binding_key(platform, its 1.x ID or ""): a finding shows only the fixes of the
    # bindings its failing results came from (a weak PJSIP secret is not fixed in ari.conf). Empty for a check and
    # in scans saved before it: then ``remediation`` (every binding's fix) is shown.
    remediation_by_binding: dict[str, dict[str, str]] = {}

    def replace(self, **changes: Any) -> "CheckMeta":
        """A copy with some fields changed (a control's platforms once the registry has bound it)."""
        return msgspec.structs.replace(self, **changes)

    def as_json(self) -> dict[str, Any]:
        """Every field as JSON data, defaults included (what ``checks list/show --format json`` print)."""
        return {f.encode_name: msgspec.to_builtins(getattr(self, f.name)) for f in msgspec.structs.fields(self)}

    def all_aliases(self) -> list[str]:
        return [a for ids in self.aliases.values() for a in ids]

    def remediation_for(self, flavor: str, bindings: Optional[Iterable[str]] = None) -> str:
        """The fix in this flavor's terms. ``flavor`` may name several (a target's phones from two vendors,
        comma-separated): the fixes of those, labelled; every flavor's, labelled, when none is known.
        ``bindings`` (binding_key of each failing result) narrows it to those bindings' fixes, when known."""
        remediation = self.remediation
        keys = sorted(set(bindings)) if bindings is not None else []
        if keys and all(k in self.remediation_by_binding for k in keys):
            remediation = merge_remediation(self.remediation_by_binding[k] for k in keys)
        if flavor in remediation:
            return remediation[flavor]
        if len(remediation) == 1:
            return next(iter(remediation.values()))
        present = [f for f in flavor.split(",") if f in remediation]
        if len(present) == 1:
            return remediation[present[0]]
        return " ".join(f"{k}: {v}" for k, v in remediation.items() if not present or k in present)


def binding_key(platform: str, alias: Optional[str]) -> str:
    """Which binding of a control a result came from, as far as a saved result tells: its platform and its 1.x ID."""
    return f"{platform}:{alias or ''}"


def merge_remediation(fixes: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """Several bindings' fixes as one per flavor, each text once (two bindings may share one)."""
    merged: dict[str, str] = {}
    for fix in fixes:
        for flavor, text in fix.items():
            known = merged.get(flavor)
            merged[flavor] = text if known is None else known if text in known else f"{known} {text}"
    return merged


@dataclass(slots=True)
class Outcome:
    """What a check says about one resource; the runner turns it into a Result."""

    resource: str
    status: Status
    evidence: str = ""
    location: Optional[SourceRef] = None
    fix: list[str] = field(default_factory=list)
    error_kind: Optional[ErrorKind] = None  # only with Status.ERROR, from CheckContext.unknown


@dataclass
class CheckContext:
    """What a check may read besides facts: the profile's parameters. ``views`` caches a target's
    records for the controls that share a view (see auditor.control)."""

    params: dict[str, Any] = field(default_factory=dict)
    views: dict[Any, Any] = field(default_factory=dict)

    def param(self, name: str) -> Any:
        return self.params[name]

    @staticmethod
    def passed(resource: str, evidence: str, location: Optional[SourceRef] = None) -> Outcome:
        return Outcome(resource, Status.PASS, evidence, location)

    @staticmethod
    def fail(resource: str, evidence: str, location: Optional[SourceRef] = None, fix: Optional[list[str]] = None) -> Outcome:
        return Outcome(resource, Status.FAIL, evidence, location, list(fix or []))

    @staticmethod
    def not_applicable(resource: str, why: str, location: Optional[SourceRef] = None) -> Outcome:
        """There is nothing of this kind here. Never for "could not tell": that is :meth:`unknown`."""
        return Outcome(resource, Status.NOT_APPLICABLE, why, location)

    @staticmethod
    def unknown(resource: str, why: str, kind: ErrorKind = ErrorKind.NOT_COLLECTED,
                location: Optional[SourceRef] = None) -> Outcome:
        """The evidence cannot decide (a peer that never answered, a certificate not read): the result
        is ERROR of ``kind`` with the reason, so coverage drops. Unknown is never PASS, never N/A."""
        return Outcome(resource, Status.ERROR, why, location, error_kind=kind)


CheckFunc = Callable[[Any, CheckContext], Iterable[Outcome]]


# (facts, context, rule id, target name, alias) -> that target's results of one part.
ResultsFunc = Callable[[Any, CheckContext, str, str, Optional[str]], list[Result]]


class Part:
    """One runnable piece of a rule on one platform: the engine gates it on its sources, runs it,
    and stamps its results with its alias. A control's part also builds its results directly
    (``results``), with no Outcome in between: a 10,000-extension tree judges 140,000 records."""

    __slots__ = ("alias", "sources", "none", "_run", "results")

    def __init__(self, alias: str, sources: Sequence[str], none: str,
                 run: Callable[[Any, CheckContext], Iterable[Outcome]], results: Optional[ResultsFunc] = None) -> None:
        self.alias = alias
        self.sources = tuple(sources)
        self.none = none
        self._run = run
        self.results = results

    def run(self, facts: Any, ctx: CheckContext) -> list[Outcome]:
        return list(self._run(facts, ctx))


class Check:
    """A registered check: metadata plus the pure function that evaluates it."""

    def __init__(self, meta: CheckMeta, func: CheckFunc) -> None:
        self.meta = meta
        self.func = func
        self.__doc__ = func.__doc__
        self.__name__ = func.__name__
        self.__module__ = func.__module__

    @property
    def id(self) -> str:
        return self.meta.id

    alias = ""

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.meta.params}

    def parts(self, platform: str) -> list[Part]:
        """The check as the engine runs it on ``platform``: one part, gated on its sources."""
        if platform not in self.meta.platforms:
            return []
        return [Part("", self.meta.sources, "nothing this check applies to", self.func)]

    def __call__(self, facts: Any, ctx: Optional[CheckContext] = None) -> list[Outcome]:
        ctx = ctx or CheckContext(self.defaults())
        return list(self.func(facts, ctx))

    def __repr__(self) -> str:
        return f"<Check {self.meta.id}>"


def check(
    *,
    id: str,
    title: str,
    severity: str,
    hipaa: list[str],
    area: str,
    platforms: list[str],
    rationale: str,
    remediation: dict[str, str],
    sources: Optional[list[str]] = None,
    references: Optional[list[str]] = None,
    params: Optional[list[Param]] = None,
) -> Callable[[CheckFunc], Check]:
    if area not in AREAS:
        raise ValueError(f"{id}: unknown area {area!r}; one of {sorted(AREAS)}")
    meta = CheckMeta(
        id=id, title=title, severity=Severity(severity), hipaa=hipaa, area=area, platforms=platforms,
        sources=sources or [], rationale=" ".join(rationale.split()),
        remediation={k: " ".join(v.split()) for k, v in remediation.items()},
        references=references or [], params=params or [],
    )

    def wrap(func: CheckFunc) -> Check:
        return Check(meta, func)

    return wrap
