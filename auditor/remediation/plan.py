"""From a saved scan to patches: each failing finding's record is derived again from the saved facts
(the binding's view, as ``rescore`` does), its binding states the changes, a platform writer places them.

Every failing finding gets an outcome, none is skipped silently:

* ``patch``: every change is in the patches;
* ``person``: the fix needs a human choice (a PIN, a password, a certificate, which transport); the
  patch carries a marked ``; voxaudit:`` comment where the finding points, and no value;
* ``gui``: FreePBX writes the file and reads no override after it: change it in the GUI (menu path given);
* ``unsupported``: the platform or the control has no structured fix yet (the text fix is shown).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from voxaudit.control import Binding, BoundControl, Params, _takes_params
from voxaudit.model import Result
from voxaudit.registry import Registry
from voxaudit.remediation.change import NOTE, Change
from voxaudit.remediation.diff import unified
from voxaudit.remediation.tree import NotWritable, Writer
from voxaudit.scan import ScanDocument, TargetRecord

PATCH = "patch"
PERSON = "person"
GUI = "gui"
UNSUPPORTED = "unsupported"


@dataclass
class Outcome:
    """What ``voxaudit fix`` did with one failing finding."""

    check_id: str
    alias: str
    target: str
    resource: str
    outcome: str
    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    why: str = ""
    menu: str = ""  # FreePBX: where the GUI changes it

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in ("", [])}


@dataclass
class Plan:
    outcomes: list[Outcome]
    patches: dict[str, str]  # patch file name -> unified diff
    # other files written beside the patches (a switch's configuration-mode snippet, a corrected profile):
    # file name -> text; a name is one plain file name, never a path
    files: dict[str, str] = field(default_factory=dict)

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)


class PlanError(Exception):
    pass


def _bindings(registry: Registry, result: Result, platform: str) -> list[Binding[Any]]:
    rule = registry.get(result.check_id)
    if not isinstance(rule, BoundControl):
        return []
    return [b for b in rule.bindings if b.platform == platform and (b.alias or None) == (result.alias or None)]


class _Records:
    """Each binding view's records on one target's facts, computed once, by subject."""

    def __init__(self, facts: Any, params: Params) -> None:
        self.facts, self.params = facts, params
        self._cache: dict[Any, dict[str, list[Any]]] = {}

    def of(self, binding: Binding[Any], subject: str) -> list[Any]:
        if binding.view not in self._cache:
            view: Any = binding.view
            recs = view(self.facts, self.params) if _takes_params(view) else view(self.facts)
            by: dict[str, list[Any]] = {}
            for r in recs:
                by.setdefault(r.subject, []).append(r)
            self._cache[binding.view] = by
        return self._cache[binding.view].get(subject, [])


def _config_target(doc: ScanDocument, name: Optional[str]) -> TargetRecord:
    configs = [t for t in doc.targets if t.facts is not None and getattr(t.facts, "configs", None)]
    if name:
        configs = [t for t in configs if t.name == name]
    if len(configs) != 1:
        names = ", ".join(t.name for t in configs) or "none"
        raise PlanError(f"the scan has {len(configs)} configuration targets ({names}); name one with --target")
    return configs[0]


def _patch_name(path: str) -> str:
    return path.replace("/", "__") + ".patch"


def plan(doc: ScanDocument, registry: Registry, config_dir: Path, target: Optional[str] = None) -> Plan:
    """Every failing finding of the scan's configuration target, and the patches for those that have them."""
    rec = _config_target(doc, target)
    facts = rec.facts
    params = Params(doc.profile.parameters)
    failing = [r for r in doc.results if r.target == rec.name and r.effective_status == "FAIL"]
    outcomes: list[Outcome] = []
    writer = _writer(rec, Path(config_dir))
    records = _Records(facts, params)
    for r in sorted(failing, key=lambda r: (r.check_id, r.alias or "", r.resource)):
        out = Outcome(r.check_id, r.alias or "", r.target, r.resource, UNSUPPORTED)
        outcomes.append(out)
        if writer is None:
            out.why = f"{rec.platform} configuration is not yet patchable; the fix: {' / '.join(r.fix) or '(none)'}"
            continue
        bindings = _bindings(registry, r, rec.platform)
        try:
            changes, menu = _changes(bindings, records, r, params, facts)
        except (ValueError, TypeError, KeyError) as exc:  # a saved scan's parameters the fix cannot use
            out.why = f"the fix could not be worked out from the saved scan ({exc.__class__.__name__})"
            continue
        if changes is None:
            out.why = f"no structured fix for this control yet; the fix: {' / '.join(r.fix) or '(none)'}"
            continue
        _place(writer, r, changes, out, menu)
    patches: dict[str, str] = {}
    files: dict[str, str] = {}
    if writer is not None:
        for ed in sorted(writer.edits.values(), key=lambda e: e.path):
            if ed.changed():
                patches[_patch_name(ed.path)] = unified(ed)
        extra = getattr(writer, "extra_files", None)
        for name, text in sorted((extra() if extra is not None else {}).items()):
            files[_plain_name(name)] = text
    return Plan(outcomes, patches, files)


def _plain_name(name: str) -> str:
    """A writer's extra file name as one file inside the output directory (no folder, no dot file)."""
    plain = "".join(c if c.isalnum() or c in "._-" else "_" for c in name.replace("/", "__")).lstrip(".")
    if not plain or plain in ("fix.json", "fix.md") or plain.endswith(".patch"):
        raise PlanError(f"a remediation writer named an extra file {plain or '(empty)'!r} that cannot be written")
    return plain


# Each platform's writer: ``module:factory``, the factory taking (facts, config_dir) and returning the
# writer on the directory inside ``config_dir`` that the collector would read (None: nothing to write on).
WRITERS: dict[str, str] = {
    "asterisk": "voxaudit.remediation.asterisk:writer",
    "freeswitch": "voxaudit.remediation.freeswitch:writer",
    "kamailio": "voxaudit.remediation.kamailio:writer",
    "opensips": "voxaudit.remediation.kamailio:writer",
    "phone": "voxaudit.remediation.phones:writer",
    "switch": "voxaudit.remediation.switches:writer",
    "mdm": "voxaudit.remediation.mdm:writer",
}


def _writer(rec: TargetRecord, config_dir: Path) -> Optional[Writer]:
    """The platform's writer, or None when the platform has none yet (every finding then says so)."""
    import importlib
    spec = WRITERS.get(rec.platform)
    if spec is None or rec.facts is None:
        return None
    module_name, _, factory = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return None
    made: Optional[Writer] = getattr(module, factory)(rec.facts, config_dir)
    return made


def _changes(bindings: list[Binding[Any]], records: _Records, r: Result, params: Params, facts: Any
             ) -> tuple[Optional[list[Change]], str]:
    """The changes of the first binding whose view has the finding's record, and its FreePBX menu path."""
    for b in bindings:
        changes: Optional[list[Change]] = None
        for record in records.of(b, r.resource):
            got = b.changes(record, params, facts)
            if got is not None:
                changes = (changes or []) + got
        if changes is not None:
            return changes, b.remediation_text().get("freepbx", "")
    return None, ""


def _place(writer: Writer, r: Result, changes: list[Change], out: Outcome, menu: str) -> None:
    loc_file, loc_line = (r.location.file, r.location.line) if r.location is not None else ("", 0)
    gui = person = False
    whys = []
    for ch in changes:
        try:
            placed = writer.place(ch, loc_file, loc_line)
        except NotWritable as exc:
            whys.append(str(exc))
            continue
        if ch.action == NOTE:
            person = True
            out.notes.append(" ".join(ch.text.split()))
        if placed.person:
            person = True
            out.notes.append(placed.why)
        elif placed.gui:
            gui = True
            whys.append(placed.why)
        elif placed.file:
            if placed.file not in out.files:
                out.files.append(placed.file)
        elif placed.why:
            whys.append(placed.why)
    out.why = "; ".join(dict.fromkeys(whys))
    if gui:
        out.outcome, out.menu = GUI, menu or "(the FreePBX GUI)"
    elif person:
        out.outcome = PERSON
    elif whys:
        out.outcome = UNSUPPORTED
    else:
        out.outcome = PATCH
