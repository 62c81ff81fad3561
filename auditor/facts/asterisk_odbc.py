"""res_odbc and the ODBC call-record backends (cdr_adaptive_odbc, cdr_odbc, cel_odbc), read as their
sources read them, for BAA-101: call records carry patients' phone numbers, and where they go is a
party PHI is sent to.

* **res_odbc.c** ``load_odbc_config()``: every section but ``[ENV]`` (strcasecmp) is a connection
  class named by the section; ``enabled`` (ast_true, default yes) and a non-empty ``dsn`` (the
  unixODBC data source name; the last line wins) register it. ``[ENV]`` ``setenv()``s each line:
  ``ODBCINI``/``ODBCSYSINI`` move unixODBC's odbc.ini. Classes are found by ``strcmp`` on the name
  (``aoro2_class_cb``), the first registered one first, so a later section of an enabled name is
  never used. The name is kept to 79 characters (``char name[80]``).
* **cdr_adaptive_odbc.c** / **cel_odbc.c** ``load_config()``: each section with options (cel_odbc
  skips ``[general]``) names its class in ``connection`` (kept to 39 characters, ``char
  connection[40]``); a section without it is skipped. Options are retrieved by the section's name,
  so a second section of one name reads the first one's values (``ast_variable_retrieve``).
* **cdr_odbc.c**: ``[global]`` only; ``dsn`` (the res_odbc class, despite its name; default
  ``asteriskdb``) when ``[global]`` has options; nothing is configured otherwise.

The builders keep the order Asterisk reads sections in (the facts' objects are later sorted by file
name, which is not the order of ``#include`` lines): each connection object carries its registration.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from voxaudit.facts.common import ConfigObject, ParseProblem, Setting
from voxaudit.parsers.asterisk_conf import ParsedConfig, Section
from voxaudit.parsers.problem import label

if TYPE_CHECKING:
    from voxaudit.facts.asterisk import BuildContext

RES_ODBC_ROOT = "res_odbc.conf"
# root -> (module that reads it, the CDR/CEL core it is a backend of)
BACKENDS = {
    "cdr_adaptive_odbc.conf": ("cdr_adaptive_odbc", "cdr"),
    "cdr_odbc.conf": ("cdr_odbc", "cdr"),
    "cel_odbc.conf": ("cel_odbc", "cel"),
}
ODBC_ROOTS = (RES_ODBC_ROOT, *BACKENDS)
CLASS_NAME_MAX = 79      # res_odbc: char name[80]
CONNECTION_MAX = 39      # cdr_adaptive_odbc, cel_odbc: char connection[40]
TRUE = {"yes", "true", "y", "t", "1", "on"}


def _object(kind: str, section: Section) -> ConfigObject:
    from voxaudit.facts.asterisk import _object as build  # the shared builder keeps secrets as their shape
    return build(kind, section)[0]


CLASS_KEY = "(odbc class)"  # the connection a backend's section uses, as the module reads it (not a file option)


def _mark(obj: ConfigObject, value: str, source: Section, key: str) -> None:
    """The res_odbc class a section writes to, where the line that names it is (the section's line for a default)."""
    entry = source.entry(key)
    file, line = (entry.file, entry.line) if entry is not None else (source.file, source.line)
    obj.settings[CLASS_KEY] = [Setting(value=value, file=file, line=line)]


def build_res_odbc(pc: ParsedConfig, b: BuildContext) -> None:
    """``res_odbc.connection``: the class a name finds (first enabled section with a dsn); the sections that
    register nothing or are never found are ``res_odbc.unused`` (with a note saying why); ``[ENV]`` is
    ``res_odbc.env``."""
    registered: set[str] = set()
    for section in pc.instances():
        if section.name.lower() == "env":
            b.objects.append(_object("res_odbc.env", section))
            continue
        obj = _object("res_odbc.connection", section)
        enabled = (section.get("enabled") or "yes").strip().lower() in TRUE
        dsn = (section.get("dsn") or "").strip()
        name = section.name[:CLASS_NAME_MAX]
        why = ("enabled is not true" if not enabled else "it has no dsn" if not dsn
               else "an earlier section of this name is the connection Asterisk uses" if name in registered else "")
        if why:
            obj = ConfigObject(kind="res_odbc.unused", name=obj.name, source=obj.source, settings=obj.settings,
                               secrets=obj.secrets)
            b.problems.append(ParseProblem(file=section.file, line=section.line, fatal=False, note=True,
                                           message=f"[{label(section.name)}] registers no connection: {why}"))
        else:
            registered.add(name)
        b.objects.append(obj)


def _first_by_name(pc: ParsedConfig) -> dict[str, Section]:
    first: dict[str, Section] = {}
    for section in pc.instances():
        first.setdefault(section.name.lower(), section)
    return first


def backend_builder(root: str):  # type: ignore[no-untyped-def]
    """The builder of one backend's file: ``<module>.table`` per section that names a connection (kept
    as Asterisk truncates it, in the setting ``connection``), ``<module>.skipped`` otherwise (a note)."""
    module = BACKENDS[root][0]

    def build(pc: ParsedConfig, b: BuildContext) -> None:
        first = _first_by_name(pc)
        for section in pc.instances():
            lower = section.name.lower()
            if module == "cdr_odbc":
                if lower != "global":
                    b.objects.append(_object("cdr_odbc.skipped", section))
                    b.problems.append(ParseProblem(file=section.file, line=section.line, fatal=False, note=True,
                                                   message=f"[{label(section.name)}] is not read: cdr_odbc reads "
                                                           "[global] only"))
                    continue
                source = first[lower]
                obj = _object("cdr_odbc.table", section)
                if source.entries:
                    dsn = source.get("dsn")
                    _mark(obj, "asteriskdb" if dsn is None else dsn, source, "dsn")
                    b.objects.append(obj)
                else:
                    b.objects.append(_object("cdr_odbc.skipped", section))
                continue
            if module == "cel_odbc" and lower == "general":
                b.objects.append(_object("cel_odbc.general", section))
                continue
            source = first[lower]
            connection = (source.get("connection") or "") if section.entries else ""
            if not connection:
                b.objects.append(_object(f"{module}.skipped", section))
                b.problems.append(ParseProblem(
                    file=section.file, line=section.line, fatal=False, note=True,
                    message=f"[{label(section.name)}] names no connection: {module} skips it"))
                continue
            obj = _object(f"{module}.table", section)
            _mark(obj, connection[:CONNECTION_MAX], source, "connection")
            b.objects.append(obj)
    return build


ODBC_BUILDERS = {RES_ODBC_ROOT: build_res_odbc, **{root: backend_builder(root) for root in BACKENDS}}
