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
(NOT_APPLICABLE). PJSIP sections of a type that sorcery.conf no longer loads from pjsip.conf are not
objects (Asterisk ignores them): they are dropped, with a note. Messages name files, sections, object
types and families (names), never a mapping's database or table.
"""
from __future__ import annotations

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


def _settings(extconfig: ParsedConfig | None) -> dict[str, tuple[str, int]]:
    """extconfig.conf [settings]: family -> where it is mapped (first line)."""
    out: dict[str, tuple[str, int]] = {}
    if extconfig is None or not extconfig.found or extconfig.fatal is not None:
        return out
    for section in extconfig.sections:
        if section.name.lower() != "settings":
            continue
        for e in section.entries:
            if e.value.strip():
                out.setdefault(e.key.lower(), (e.file, e.line))
    return out


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
    for family, (file, line) in sorted(mapped.items()):
        if family in FAMILIES:
            root, what = FAMILIES[family]
            cf = configs.get(root)
            if cf is not None and cf.found:
                cf.problems.append(ParseProblem(
                    file=file, line=line, fatal=False,
                    message=f"extconfig.conf maps {label(family)} to a realtime database: {what} stored there "
                            "are not audited"))
        elif family.endswith(".conf") and family in configs:
            configs[family].problems.append(ParseProblem(
                file=file, line=line, fatal=False,
                message=f"extconfig.conf loads {label(family)} from a realtime database (static realtime): "
                        "Asterisk does not read that file from disk, and what it uses is not audited"))
