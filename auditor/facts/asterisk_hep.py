"""hep.conf as res_hep reads it (res/res_hep.c: the configuration framework, ``aco_option_register``):
``hep.general`` from ``[general]``, ``hep.other`` for any other section. The framework refuses the whole
file for a section other than ``[general]``, an option it does not register, a ``uuid_type`` other than
``call-id``/``channel`` or a ``capture_id`` that is not a number, and res_hep then declines to load: nothing
is sent. Such a file is understood (nothing is sent, auditor/platforms/asterisk/hep.py), and said: one note
naming the first section or key the framework stops at (it stops at the first), never a value, so a hostile
file of a million unknown keys gives one line, not a million.

``auditor.facts.asterisk`` imports this module for its ``ROOT_BUILDERS`` table, so helpers from there are
imported inside the function that uses them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from voxaudit.facts.common import ParseProblem
from voxaudit.parsers.asterisk_conf import ParsedConfig
from voxaudit.parsers.problem import label

if TYPE_CHECKING:
    from voxaudit.facts.asterisk import BuildContext

HEP_ROOT = "hep.conf"
OPTIONS = frozenset({"enabled", "capture_address", "capture_password", "capture_id", "uuid_type"})
UUID_TYPES = frozenset({"call-id", "channel"})
REFUSED = "res_hep refuses hep.conf and declines to load: no copies are sent"


def build_hep(pc: ParsedConfig, b: BuildContext) -> None:
    """``hep.general`` and ``hep.other`` objects, and a note for what makes res_hep refuse the file (the first)."""
    from voxaudit.facts.asterisk import _simple

    _simple(HEP_ROOT, pc, b.objects, b.problems)
    for section in pc.instances():
        if section.name.lower() != "general":
            b.problems.append(ParseProblem(file=section.file, line=section.line, fatal=False, note=True,
                                           message=f"[{label(section.name)}]: a section other than [general]; {REFUSED}"))
            return
        for entry in section.entries:
            key = entry.key
            bad = ("an option res_hep does not know" if key not in OPTIONS else
                   "not call-id or channel" if key == "uuid_type" and entry.value.strip().lower() not in UUID_TYPES else
                   "not a number" if key == "capture_id" and not entry.value.strip().isdigit() else "")
            if bad:
                b.problems.append(ParseProblem(file=entry.file, line=entry.line, fatal=False, note=True,
                                               message=f"[general] {label(entry.name or key)}: {bad}; {REFUSED}"))
                return
