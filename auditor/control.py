"""Vendor-neutral controls and the platform bindings that feed them.

A control states one requirement once: its title, severity, rationale and HIPAA citations, and a
pure judge of one record type::

    @control(id="MBX-PIN-101", title="Every mailbox has a PIN", severity="critical",
             hipaa=["164.312(d)", "164.308(a)(5)(ii)(D)"], area="mailbox-auth", record=MailboxPin,
             rationale="...")
    def mailbox_has_pin(pin: MailboxPin, params: Params) -> Verdict:
        return passed("PIN set") if pin.present else failed("mailbox has no PIN")

It names no platform. A platform adapter binds it: the view that turns the platform's facts into
those records, the files they come from (a gap there is an ERROR), the 1.x check ID the binding
replaces (kept as an alias, so waivers, baselines and history keep matching), and the platform's
exact fix. A control with no record on a target is NOT_APPLICABLE, supplied by the engine.
"""
from __future__ import annotations

import builtins
import functools
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Iterable, Mapping, Optional, Sequence, TypeVar, Union

import msgspec

from voxaudit.check import AREAS, CheckContext, CheckMeta, Outcome, Param, Part, ResultsFunc, binding_key, merge_remediation
from voxaudit.model import ErrorKind, Result, Severity, Status
from voxaudit.records.base import Record
from voxaudit.remediation.change import Change

R = TypeVar("R", bound=Record)


class Verdict(msgspec.Struct, frozen=True, gc=False):
    """A control's judgement of one record (immutable; a struct because one is made per record judged,
    140,000 at 10,000 extensions, and a frozen dataclass costs seven times as much to build)."""

    status: Status
    evidence: str
    error_kind: Optional[ErrorKind] = None


def passed(evidence: str) -> Verdict:
    return Verdict(Status.PASS, evidence)


def failed(evidence: str) -> Verdict:
    return Verdict(Status.FAIL, evidence)


def not_applicable(evidence: str) -> Verdict:
    """The record exists but the requirement does not apply to it. Never for "could not tell"."""
    return Verdict(Status.NOT_APPLICABLE, evidence)


def unknown(evidence: str, kind: ErrorKind = ErrorKind.NOT_COLLECTED) -> Verdict:
    """The record cannot decide (a hashed secret, a placeholder): ERROR with the reason, never PASS."""
    return Verdict(Status.ERROR, evidence, kind)


class Params:
    """The profile's parameters, read with their types (a profile is validated against the defaults)."""

    __slots__ = ("_values", "_lists")

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = values
        self._lists: dict[builtins.str, tuple[builtins.str, ...]] = {}  # strs() converted once per name

    def int(self, name: builtins.str) -> builtins.int:
        return builtins.int(self._values[name])

    def float(self, name: builtins.str) -> builtins.float:
        return builtins.float(self._values[name])

    def str(self, name: builtins.str) -> builtins.str:
        return builtins.str(self._values[name])

    def strs(self, name: builtins.str) -> list[builtins.str]:
        """A fresh list each call (a judge may change it); converted once, as judges ask per record."""
        got = self._lists.get(name)
        if got is None:
            got = self._lists[name] = tuple(builtins.str(v) for v in self._values[name])
        return list(got)


Judge = Callable[[R, Params], Verdict]


@dataclass(frozen=True, eq=False)
class Control(Generic[R]):
    """A registered control: metadata written once, and the pure judge of its record type."""

    id: str
    title: str
    severity: Severity
    hipaa: tuple[str, ...]
    area: str
    record: type[R]
    rationale: str
    judge: Judge[R]
    params: tuple[Param, ...] = ()
    references: tuple[str, ...] = ()
    module: str = ""  # where it is defined: the registry takes a control from its own module only
    # A control no platform binds, judged by an engine stage that sets this control's configured records
    # against its observed ones on the same host (the drift controls); it covers the configuration
    # platforms that bind the compared control.
    compares: str = ""

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def __repr__(self) -> str:
        return f"<Control {self.id}>"


def control(*, id: str, title: str, severity: str, hipaa: Sequence[str], area: str, record: type[R],
            rationale: str, params: Sequence[Param] = (), references: Sequence[str] = (), compares: str = ""
            ) -> Callable[[Judge[R]], Control[R]]:
    if area not in AREAS:
        raise ValueError(f"{id}: unknown area {area!r}; one of {sorted(AREAS)}")

    def wrap(judge: Judge[R]) -> Control[R]:
        return Control(id=id, title=title, severity=Severity(severity), hipaa=tuple(hipaa), area=area, record=record,
                       rationale=" ".join(rationale.split()), judge=judge, params=tuple(params),
                       references=tuple(references), module=judge.__module__, compares=compares)

    return wrap


# facts -> records; a view that needs the profile's values takes the parameters too
View = Union[Callable[[Any], Iterable[R]], Callable[[Any, Params], Iterable[R]]]
# The exact lines for one failing record; a fix that needs the profile's values (a length, a
# period) takes the parameters too, so a stricter profile gets its own numbers, not the defaults.
Fix = Union[Callable[[R], list[str]], Callable[[R, Params], list[str]]]
# The same fix as structured changes (``voxaudit fix`` writes them as patches); one that must look at other
# objects (which transport is TLS) takes the facts as a third argument. A choice for a person is a note.
ChangeFn = Union[Callable[[R], list[Change]], Callable[[R, Params], list[Change]],
                 Callable[[R, Params, Any], list[Change]]]


@dataclass(frozen=True, eq=False)
class Binding(Generic[R]):
    """How one platform answers one control: the records, the files they come from, the fix.

    ``alias`` is the 1.x check ID this binding replaces on its platform; one 1.x check that judged
    several requirements is the alias of each control it became."""

    control: str
    platform: str
    view: View[R]
    sources: tuple[str, ...] = ()
    alias: str = ""
    remediation: Mapping[str, str] = field(default_factory=dict)
    fix: Optional[Fix[R]] = None
    none: str = "nothing this control applies to"
    change: Optional[ChangeFn[R]] = None

    def changes(self, record: R, params: Params, facts: Any) -> Optional[list[Change]]:
        """The structured fix of one failing record, or None when this binding states none (not patchable)."""
        fn: Any = self.change
        if fn is None:
            return None
        arity = len(inspect.signature(fn).parameters)
        return list(fn(record) if arity == 1 else fn(record, params) if arity == 2 else fn(record, params, facts))

    def remediation_text(self) -> dict[str, str]:
        return {k: " ".join(v.split()) for k, v in self.remediation.items()}


@functools.lru_cache(maxsize=None)
def _takes_params(fn: Callable[..., Any]) -> bool:
    """Does a view or fix take the profile's parameters (a second argument)? Asked once per function."""
    return len(inspect.signature(fn).parameters) >= 2


def _records(binding: Binding[Any], facts: Any, ctx: CheckContext) -> list[Any]:
    """A view's records, computed once per target however many controls read them. A view that
    needs the profile (which apps are softphones) takes the parameters as its second argument."""
    cache = ctx.views
    key = (binding.view, id(facts))
    if key not in cache:
        view: Any = binding.view
        cache[key] = list(view(facts, Params(ctx.params)) if _takes_params(view) else view(facts))
    records: list[Any] = cache[key]
    return records


def _fixer(binding: Binding[Any]) -> Optional[Callable[[Any, Params], list[str]]]:
    fix = binding.fix
    if fix is None:
        return None
    if _takes_params(fix):
        return fix  # type: ignore[return-value]
    return lambda rec, _params: fix(rec)  # type: ignore[call-arg]


def _judged(ctl: Control[Any], binding: Binding[Any]) -> Callable[[Any, CheckContext], Iterable[Outcome]]:
    fixer = _fixer(binding)

    def run(facts: Any, ctx: CheckContext) -> Iterable[Outcome]:
        params = Params(ctx.params)
        for rec in _records(binding, facts, ctx):
            v = ctl.judge(rec, params)
            fix = fixer(rec, params) if v.status == Status.FAIL and fixer is not None else []
            yield Outcome(rec.subject, v.status, v.evidence, rec.source, fix,
                          (v.error_kind or ErrorKind.NOT_COLLECTED) if v.status == Status.ERROR else None)
    return run


def _results(ctl: Control[Any], binding: Binding[Any]) -> ResultsFunc:
    """What ``_judged`` yields, built as results at once (the engine's path for controls)."""
    fixer = _fixer(binding)
    judge = ctl.judge
    fail, error = Status.FAIL, Status.ERROR

    def results(facts: Any, ctx: CheckContext, check_id: str, target: str, alias: Optional[str]) -> list[Result]:
        params = Params(ctx.params)
        out = []
        for rec in _records(binding, facts, ctx):
            v = judge(rec, params)
            status = v.status
            if status == fail:
                fix = fixer(rec, params) if fixer is not None else []
                out.append(Result(check_id, target, rec.subject, status, v.evidence, rec.source, fix, None, None, alias))
            elif status == error:
                out.append(Result(check_id, target, rec.subject, status, v.evidence, rec.source, [],
                                  v.error_kind or ErrorKind.NOT_COLLECTED, None, alias))
            else:
                out.append(Result(check_id, target, rec.subject, status, v.evidence, rec.source, [], None, None, alias))
        return out
    return results


class BoundControl:
    """A control with the bindings that feed it: what the registry and the engine hold.

    Looked up by an alias, it runs only the bindings that replaced that 1.x check, so
    ``registry.get("AST-VM-101")(facts)`` answers what AST-VM-101 answered."""

    def __init__(self, ctl: Control[Any], bindings: Sequence[Binding[Any]], alias: str = "") -> None:
        self.control = ctl
        self.bindings = tuple(bindings)
        self.alias = alias
        self._parts: dict[str, list[Part]] = {}
        self.meta = control_meta(ctl, self.bindings)
        self.__module__ = ctl.module
        self.__doc__ = ctl.judge.__doc__

    @property
    def id(self) -> str:
        return self.control.id

    def defaults(self) -> dict[str, Any]:
        return self.control.defaults()

    def parts(self, platform: str) -> list[Part]:
        """The bindings on ``platform`` as runnable parts, built once per platform (a fleet asks per target)."""
        if platform not in self._parts:
            self._parts[platform] = [Part(b.alias, b.sources, b.none, _judged(self.control, b), _results(self.control, b))
                                     for b in self.bindings
                                     if b.platform == platform and (not self.alias or b.alias == self.alias)]
        return self._parts[platform]

    def __call__(self, facts: Any, ctx: Optional[CheckContext] = None) -> list[Outcome]:
        """Every outcome on ``facts`` (its platform's bindings), with NOT_APPLICABLE when there is nothing."""
        ctx = ctx or CheckContext(self.defaults())
        platform = str(getattr(facts, "platform", ""))
        parts = self.parts(platform)
        out = [o for p in parts for o in p.run(facts, ctx)]
        if not out and parts:
            out = [CheckContext.not_applicable("(target)", parts[0].none)]
        return out

    def __repr__(self) -> str:
        return f"<BoundControl {self.control.id}{' as ' + self.alias if self.alias else ''}>"


_WORST = {Status.FAIL: 3, Status.ERROR: 2, Status.PASS: 1, Status.NOT_APPLICABLE: 0}


class AliasGroup:
    """A 1.x check that became several controls (FS-VM-101 judged four PIN requirements), looked up by
    its old ID: every control's outcomes on each resource, the worst one kept, as the old check answered."""

    def __init__(self, alias: str, members: Sequence[BoundControl]) -> None:
        self.alias = alias
        self.members = tuple(members)
        self.meta = members[0].meta
        self.__doc__ = members[0].__doc__

    @property
    def id(self) -> str:
        return self.alias

    def defaults(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for m in self.members:
            out.update(m.defaults())
        return out

    def parts(self, platform: str) -> list[Part]:
        return [p for m in self.members for p in m.parts(platform)]

    def __call__(self, facts: Any, ctx: Optional[CheckContext] = None) -> list[Outcome]:
        ctx = ctx or CheckContext(self.defaults())
        worst: dict[str, Outcome] = {}
        for m in self.members:
            for o in m(facts, ctx):
                if o.resource not in worst or _WORST[o.status] > _WORST[worst[o.resource].status]:
                    worst[o.resource] = o
        return list(worst.values())


def control_meta(ctl: Control[Any], bindings: Sequence[Binding[Any]]) -> CheckMeta:
    """The control's metadata as scans, reports and the catalogue show it: platforms, files,
    each platform's fix and the 1.x IDs it replaces all come from its bindings."""
    platforms: list[str] = []
    sources: list[str] = []
    aliases: dict[str, list[str]] = {}
    by_binding: dict[str, list[dict[str, str]]] = {}
    for b in bindings:
        if b.platform not in platforms:
            platforms.append(b.platform)
        sources += [s for s in b.sources if s not in sources]
        by_binding.setdefault(binding_key(b.platform, b.alias), []).append(b.remediation_text())
        if b.alias and b.alias not in aliases.setdefault(b.platform, []):
            aliases[b.platform].append(b.alias)
    # two bindings on one platform (email and pager notifications): both fixes, once each
    remediation = merge_remediation(b.remediation_text() for b in bindings)
    return CheckMeta(id=ctl.id, title=ctl.title, severity=ctl.severity, hipaa=list(ctl.hipaa), area=ctl.area,
                     platforms=platforms, sources=sources, rationale=ctl.rationale, remediation=remediation,
                     references=list(ctl.references), params=list(ctl.params),
                     aliases={k: v for k, v in aliases.items() if v},
                     remediation_by_binding={k: merge_remediation(v) for k, v in by_binding.items()}
                     if len(by_binding) > 1 else {})
