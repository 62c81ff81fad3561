"""Remediation patches: the settings a failing finding needs changed, as unified diffs.

A platform binding states each fix as :class:`Change` values (``Binding.change``); the planner
(:mod:`voxaudit.remediation.plan`) re-derives a saved scan's failing records from its facts and asks
their bindings; a platform writer (:mod:`voxaudit.remediation.asterisk`) finds where each setting is
defined and edits a copy of that file's text; :mod:`voxaudit.remediation.diff` writes the diff.
The tool never applies a patch, and never writes a secret: a fix that needs one is a marked note.
"""
from voxaudit.remediation.change import NOTE, REMOVE, SET, Change, note, remove, set_

__all__ = ["Change", "NOTE", "REMOVE", "SET", "note", "remove", "set_"]
