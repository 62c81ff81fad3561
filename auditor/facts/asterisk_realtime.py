"""Asterisk Realtime: objects that live in a database instead of the files (sorcery.conf, extconfig.conf).

Read as Asterisk reads them:

* ``sorcery.conf`` (main/sorcery.c ``ast_sorcery_apply_config``): in a section named after a module
  (``[res_pjsip]``, ``[res_pjsip_endpoint_identifier_ip]``, ``[res_pjsip_outbound_registration]``),
  each ``<object type> = <wizard>,<data>`` says where that module's objects of that type come from;
  several lines for one type are all used, in order. A type with no line keeps the module's default
  (res_pjsip: ``config,pjsip.conf,criteria=type=<type>``). ``<type>/cache`` lines are caches.
* ``extconfig.conf`` [settings] (main/config.c ``read_config_maps``): ``<family> => <driver>,<database>
  [,<table>]`` maps a realtime family to a database; a family ending in ``.conf`` is *static realtime*:
  Asterisk loads that whole file from the database instead of the disk. chan_sip reads the families
  ``sippeers``/``sipusers``/``sipregs``, chan_iax2 ``iaxpeers``/``iaxusers``, app_voicemail ``voicemail``.

What a database holds cannot be judged from the files: each such mapping is a gap on the root whose
objects it supplies (its checks are ERROR, the report names the mapping), never "no endpoints"
(NOT_APPLICABLE). A static realtime mapping (``sip.conf => mysql,...``) replaces the file outright
(``ast_config_internal_load`` hands the whole load to the driver): the copy on disk is not what runs, so
the root is unreadable (fatal: its checks are ERROR, never judged from the disk), present or not. A
mapping whose driver module modules.conf does not load (``res_config_<driver>``) is inert: find_engine()
finds no engine and Asterisk reads the file (static) or finds no rows (dynamic); that is a note.
PJSIP sections of a type that sorcery.conf no longer loads from pjsip.conf are not
objects (Asterisk ignores them): they are dropped, with a note. Messages name files, sections, object
types and families (names), never a mapping's database or table.
"""
from __future__ import annotations

from voxaudit.facts.asterisk_modules import module_loaded
from voxaudit.facts.common import ConfigFileFacts, ConfigObject, ParseProblem
from voxaudit.parsers.asterisk_conf import ParsedConfig
from voxaudit.parsers.problem import label

SORCERY_ROOT = "sorcery.conf"
EXTCONFIG_ROOT = "extconfig.conf"
PJSIP_ROOT = "pjsip.conf"
# Object types that are configuration (the rest, contacts and subscriptions, are run-time state).
PJSIP_CONFIG_TYPES = frozenset({
    "endpoint", "aor", "auth", "transport", "registration", "identify", "acl", "domain_alias", "global",
    "system", "phoneprov", "outbound-publish", "inbound-publication", "asterisk-publication", "resource_list",
})
MAX_WIZARDS_PER_TYPE = 8  # mappings kept per object type (Asterisk tries them in order; a few are real)
# Where a sorcery wizard takes objects from, for the message (any other wizard: "a sorcery wizard").
WIZARDS = {"realtime": "a realtime database (extconfig.conf)", "astdb": "Asterisk's internal database (astdb)",
           "memory": "memory (objects created at run time)", "memory_cache": "a cache",
           "config": "another configuration file"}
# Dynamic realtime families a channel or application reads, and the root whose objects they add to.
FAMILIES = {
    "sippeers": ("sip.conf", "chan_sip peers"), "sipusers": ("sip.conf", "chan_sip users"),
    "sipregs": ("sip.conf", "chan_sip registrations"),
    "iaxpeers": ("iax.conf", "IAX2 peers"), "iaxusers": ("iax.conf", "IAX2 users"),
    "voicemail": ("voicemail.conf", "mailboxes and their PINs"),
}

# extconfig.conf driver names (main/config.c find_engine matches ast_config_engine.name) and their modules.
DRIVER_MODULES = {"odbc": "res_config_odbc", "pgsql": "res_config_pgsql", "mysql": "res_config_mysql",
                  "ldap": "res_config_ldap", "curl": "res_config_curl", "sqlite3": "res_config_sqlite3",
                  "sqlite": "res_config_sqlite"}


def _settings(extconfig: ParsedConfig | None) -> dict[str, tuple[str, int, str]]:
    """extconfig.conf [settings]: family -> where it is mapped (first line) and its driver."""
    out: dict[str, tuple[str, int, str]] = {}
    if extconfig is None or not extconfig.found or extconfig.fatal is not None:
        return out
    for section in extconfig.sections:
        if section.name.lower() != "settings":
            continue
        for e in section.entries:
            if e.value.strip():
                out.setdefault(e.key.strip().lower(), (e.file, e.line, e.value.split(",", 1)[0].strip().lower()))
    return out

# Files Asterisk never loads through a realtime engine: main/config.c ast_config_internal_load() skips the
# engines for extconfig.conf and asterisk.conf, and modules.conf is read before any res_config_* module runs.
NEVER_STATIC = frozenset({EXTCONFIG_ROOT, "asterisk.conf", "modules.conf"})


def _driver_off(driver: str, parsed: dict[str, ParsedConfig], objects: list[ConfigObject]) -> str:
    """Why a realtime driver's module does not run ("" when it does, or cannot be told)."""
    module = DRIVER_MODULES.get(driver)
    if module is None:
        return ""  # a driver this reader does not know: assume it runs (the mapping stays a gap)
    modules = parsed.get("modules.conf")
    collected = modules is not None and modules.found and modules.fatal is None
    mods = next((o for o in objects if o.kind == "modules.modules"), None)
    state = module_loaded(module, EXTCONFIG_ROOT, True, collected, mods)
    return "" if state.loaded else f"the driver's module does not run ({state.why})"


def pjsip_sources(sorcery: ParsedConfig | None) -> dict[str, list[tuple[str, str, str, int]]]:
    """PJSIP object type -> its sorcery.conf mappings (wizard, data, file, line), for the types
    sorcery.conf maps at all (the others keep res_pjsip's default: pjsip.conf)."""
    out: dict[str, list[tuple[str, str, str, int]]] = {}
    if sorcery is None or not sorcery.found or sorcery.fatal is not None:
        return out
    for section in sorcery.sections:
        if section.is_template or not section.name.lower().startswith("res_pjsip"):
            continue
        for e in section.entries:
            kind = e.key.strip().lower()
            if "/" in kind or kind not in PJSIP_CONFIG_TYPES:
                continue  # a cache, or run-time state
            wizard, _, data = e.value.partition(",")
            wizards = out.setdefault(kind, [])
            if len(wizards) < MAX_WIZARDS_PER_TYPE:  # a file of a million lines says no more than this
                wizards.append((wizard.strip().lower(), data.strip(), e.file, e.line))
    return out


def _from_pjsip_conf(data: str) -> bool:
    """Does a config wizard's data ("pjsip.conf,criteria=type=endpoint") name pjsip.conf itself?"""
    return data.split(",", 1)[0].strip() == PJSIP_ROOT


GLOBAL_FAMILY = "global"


def _flag_global_and_includes(mapped: dict[str, tuple[str, int, str]], parsed: dict[str, ParsedConfig],
                              configs: dict[str, ConfigFileFacts], objects: list[ConfigObject]) -> None:
    """Static realtime beyond a root's own mapping. main/config.c ast_config_internal_load() asks find_engine()
    for the file's name, then for the family ``global``: ``global => <driver>,...`` loads every file that has
    no mapping of its own from the database (all but extconfig.conf and asterisk.conf); and an ``#include``
    goes through the same function, so ``sip_custom.conf => ...`` replaces the included file while its root is
    read from disk. Both were ignored: the disk copies were judged as if Asterisk ran them."""
    from voxaudit.facts.asterisk import _unloaded  # imported here: that module imports this one

    glob = mapped.get(GLOBAL_FAMILY)
    for root, cf in sorted(configs.items()):
        # a root with no copy here is left as it was (every absent root would be an error), and so is one whose
        # only module modules.conf keeps from loading (Asterisk opens it from nowhere)
        if root in NEVER_STATIC or root in mapped or not cf.found or _unloaded(root, parsed, objects):
            continue
        if glob is not None:
            file, line, driver = glob
            off = _driver_off(driver, parsed, objects)
            cf.problems.append(ParseProblem(
                file=file, line=line, fatal=not off, note=bool(off),
                message=(f"extconfig.conf maps 'global' to a realtime database, but {off}: Asterisk reads the file "
                         "from disk") if off else (
                    f"extconfig.conf maps 'global' to a realtime database: Asterisk loads {label(root)}, which has "
                    "no mapping of its own, from it (static realtime), not from disk; what it uses is not audited")))
            continue
        for included in cf.files:
            family = included.lower()
            if family == root or family not in mapped:
                continue
            file, line, driver = mapped[family]
            off = _driver_off(driver, parsed, objects)
            cf.problems.append(ParseProblem(
                file=file, line=line, fatal=not off, note=bool(off),
                message=(f"extconfig.conf maps {label(family)}, which {label(root)} includes, to a realtime "
                         f"database, but {off}: Asterisk reads the file from disk") if off else (
                    f"extconfig.conf loads {label(family)}, which {label(root)} includes, from a realtime database "
                    "(static realtime): Asterisk does not read that file from disk, and what it uses is not "
                    "audited")))


def flag_realtime(parsed: dict[str, ParsedConfig], configs: dict[str, ConfigFileFacts],
                  objects: list[ConfigObject]) -> None:
    """Gaps for every object source that is a database; drop the PJSIP objects Asterisk does not load."""
    mapped = _settings(parsed.get(EXTCONFIG_ROOT))
    pjsip_conf = configs.get(PJSIP_ROOT)
    sources = pjsip_sources(parsed.get(SORCERY_ROOT))
    ignored: set[str] = set()
    for kind, wizards in sorted(sources.items()):
        if pjsip_conf is not None and not any(w == "config" and _from_pjsip_conf(d) for w, d, _, _ in wizards):
            ignored.add(kind)
        for wizard, data, file, line in wizards:
            if wizard == "config" and _from_pjsip_conf(data):
                continue
            if pjsip_conf is None:
                break
            if wizard == "realtime" and EXTCONFIG_ROOT in parsed and parsed[EXTCONFIG_ROOT].found and \
                    data.split(",", 1)[0].strip().lower() not in mapped:
                pjsip_conf.problems.append(ParseProblem(
                    file=file, line=line, fatal=False, note=True,
                    message=f"sorcery.conf loads PJSIP {label(kind)} objects from a realtime family that "
                            "extconfig.conf does not map: Asterisk finds none there"))
                continue
            where = WIZARDS.get(wizard, "a sorcery wizard the audit does not read")
            pjsip_conf.problems.append(ParseProblem(
                file=file, line=line, fatal=False,
                message=f"sorcery.conf loads PJSIP {label(kind)} objects from {where}: those are not in "
                        f"{PJSIP_ROOT} and are not audited"))
    if ignored and pjsip_conf is not None:
        files = set(pjsip_conf.files)
        dropped = [o for o in objects if o.kind.startswith("pjsip.") and o.kind[6:] in ignored and o.source.file in files]
        if dropped:
            keep = {id(o) for o in dropped}
            objects[:] = [o for o in objects if id(o) not in keep]
            pjsip_conf.problems.append(ParseProblem(
                file=SORCERY_ROOT, line=0, fatal=False, note=True,
                message=f"{len(dropped)} section(s) of {PJSIP_ROOT} of type(s) "
                        f"{', '.join(label(k) for k in sorted({o.kind[6:] for o in dropped}))} are ignored: "
                        f"sorcery.conf does not load those types from {PJSIP_ROOT}"))
    _flag_global_and_includes(mapped, parsed, configs, objects)
    for family, (file, line, driver) in sorted(mapped.items()):
        static = family.endswith(".conf") and family in configs
        if family not in FAMILIES and not static:
            continue
        root = FAMILIES[family][0] if family in FAMILIES else family
        cf = configs.get(root)
        if cf is None or (not static and not cf.found):
            continue
        off = "Asterisk never loads this file through a realtime engine" if static and root in NEVER_STATIC else \
            _driver_off(driver, parsed, objects)
        if off:
            cf.problems.append(ParseProblem(
                file=file, line=line, fatal=False, note=True,
                message=f"extconfig.conf maps {label(family)} to a realtime database, but {off}: Asterisk "
                        f"{'reads the file from disk' if static else 'finds nothing there'}"))
        elif static:
            cf.problems.append(ParseProblem(
                file=file, line=line, fatal=True,
                message=f"extconfig.conf loads {label(family)} from a realtime database (static realtime): "
                        "Asterisk does not read that file from disk, and what it uses is not audited"))
        else:
            cf.problems.append(ParseProblem(
                file=file, line=line, fatal=False,
                message=f"extconfig.conf maps {label(family)} to a realtime database: {FAMILIES[family][1]} "
                        "stored there are not audited"))
