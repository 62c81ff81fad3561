"""Asterisk / FreePBX facts, built from parsed configuration files.

The offline collector (a copied tree) and the live SSH collector (a tree read over
SFTP into a temporary directory) both call :func:`build_asterisk_facts`, so the two
paths give identical facts for the same tree.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, ClassVar, Literal, Optional

from voxaudit.facts.asterisk_dialplan import (
    AEL_ROOT,
    DialplanStep,
    build_ael,
    build_extensions,
)
from voxaudit.facts.asterisk_hep import HEP_ROOT, build_hep
from voxaudit.facts.asterisk_iax import IAX_ROOT, build_iax
from voxaudit.facts.asterisk_lua import LUA_ROOT, build_lua
from voxaudit.facts.asterisk_minivm import MINIVM_ROOT, build_minivm, sanitize_mailcmd
from voxaudit.facts.asterisk_modules import NOT_AUDITED, module_loaded, unaudited_builder
from voxaudit.facts.asterisk_odbc import BACKENDS as ODBC_BACKENDS
from voxaudit.facts.asterisk_odbc import ODBC_BUILDERS, ODBC_ROOTS, RES_ODBC_ROOT
from voxaudit.facts.asterisk_realtime import flag_realtime
from voxaudit.facts.asterisk_sip import (
    USERS_ROOT,
    WIZARD_ROOT,
    build_users,
    build_wizard,
    typed_section,
)
from voxaudit.facts.common import (
    OBJECT_ORDER,
    ConfigFileFacts,
    ConfigObject,
    LogrotateRule,
    ParseProblem,
    PlatformFacts,
    Setting,
    SpoolFacts,
    is_secret_key,
    redact_inline_credentials,
)
from voxaudit.facts.host import HostEvidence
from voxaudit.model import SourceRef
from voxaudit.parsers.asterisk_conf import ParsedConfig, Section, orphan_fragments
from voxaudit.parsers.problem import label
from voxaudit.secretinfo import SecretInfo, SharedSecretTracker, describe_secret

# Root files Asterisk loads; each is a fact source checks can depend on.
ASTERISK_ROOTS = (
    "asterisk.conf", "pjsip.conf", "sip.conf", "voicemail.conf", "extensions.conf",
    "manager.conf", "http.conf", "ari.conf", "logger.conf", "cdr.conf", "cel.conf",
    "acl.conf", "rtp.conf", "modules.conf",
    "extensions.ael", "minivm.conf",  # built by auditor/facts/asterisk_dialplan.py and asterisk_minivm.py
    "extensions.lua",  # pbx_lua's Lua dialplan: not read, a gap while pbx_lua loads (auditor/facts/asterisk_lua.py)
    # After voicemail.conf and sip.conf: users.conf's builder resolves duplicate mailboxes and peers
    # against the objects those two built (auditor/facts/asterisk_sip.py build_users).
    "pjsip_wizard.conf", "users.conf",
    # Remote call-record databases (call records carry patients' numbers): read for BAA-101.
    "cdr_pgsql.conf", "cel_pgsql.conf", "cdr_mysql.conf", "cdr_tds.conf",
    # ... and through res_odbc's connections, whose servers unixODBC's odbc.ini names (auditor/facts/asterisk_odbc.py)
    *ODBC_ROOTS,
    # Where objects come from a database instead (auditor/facts/asterisk_realtime.py)
    "sorcery.conf", "extconfig.conf",
    "iax.conf",  # chan_iax2: IAX2 trunks and extensions (auditor/facts/asterisk_iax.py)
    "hep.conf",  # res_hep: copies of SIP messages to a capture server (auditor/platforms/asterisk/hep.py)
    "phoneprov.conf",  # res_phoneprov: phones' files served over http.conf (auditor/platforms/asterisk/phoneprov.py)
    "phoneprov_users.conf",  # its users since Asterisk 21 (users.conf's before)
    # Channel drivers voxaudit does not audit: a gap when they load (auditor/facts/asterisk_modules.py).
    *NOT_AUDITED,
)

# Which objects each root produces: section name -> kind, or a callable by type=.
_SIMPLE_KINDS = {
    "manager.conf": ("manager.general", "manager.user"),
    "http.conf": ("http.general", "http.other"),
    "ari.conf": ("ari.general", "ari.user"),
    "cdr.conf": ("cdr.general", "cdr.backend"),
    "cel.conf": ("cel.general", "cel.backend"),
    "rtp.conf": ("rtp.general", "rtp.other"),
    "acl.conf": ("acl.general", "acl.list"),
    "modules.conf": ("modules.modules", "modules.other"),
    "asterisk.conf": ("asterisk.options", "asterisk.directories"),
    "sorcery.conf": ("sorcery.general", "sorcery.module"),       # [res_pjsip] endpoint=realtime,...
    "extconfig.conf": ("extconfig.settings", "extconfig.other"),  # [settings] family => driver,db
    "hep.conf": ("hep.general", "hep.other"),  # res_hep takes [general] only; another section refuses the file
    "phoneprov.conf": ("phoneprov.general", "phoneprov.profile"),  # every other section is a phone profile
    "phoneprov_users.conf": ("phoneprov_users.general", "phoneprov_users.user"),
    # [global] (every section alike): hostname, port, dbname, user; password is kept as a secret's shape
    **{root: (f"{root[:-5]}.section", f"{root[:-5]}.section")
       for root in ("cdr_pgsql.conf", "cel_pgsql.conf", "cdr_mysql.conf", "cdr_tds.conf")},
}


# DialplanStep is defined with the dialplan reader (auditor/facts/asterisk_dialplan.py) and imported from here too.


class AsteriskFacts(PlatformFacts, tag="asterisk", kw_only=True):
    platform: ClassVar[str] = "asterisk"
    flavor: Literal["asterisk", "freepbx"] = "asterisk"
    dialplan: list[DialplanStep] = []
    logrotate: Optional[list[LogrotateRule]] = None  # None: not collected
    logrotate_problem: Optional[str] = None
    spool: Optional[SpoolFacts] = None  # None: not collected
    spool_problem: Optional[str] = None
    host: Optional[HostEvidence] = None  # None: no host evidence (mounts, backup jobs) was collected

    def source_state(self, name: str) -> tuple[str, str]:
        """('ok'|'missing'|'error'|'not_collected', reason) for a fact source."""
        if name == "spool":
            if self.spool is None:
                return "not_collected", self.spool_problem or "voicemail spool statistics were not collected (scan live, or pass --spool-dir)"
            return "ok", ""
        if name == "logrotate":
            if self.logrotate is None:
                return "not_collected", self.logrotate_problem or "logrotate configuration was not collected (scan live, or pass --logrotate)"
            return "ok", ""
        return super().source_state(name)

    def sourced_files(self) -> set[str]:
        """Dialplan steps are facts too: an extensions.conf of contexts only is not unread."""
        return super().sourced_files() | {step.source.file for step in self.dialplan}


# -- building -------------------------------------------------------------------

def _object(kind: str, section: Section, identity: str = "") -> tuple[ConfigObject, dict[str, str]]:
    """Turn a section into an object; secret values are returned separately, never stored."""
    settings: dict[str, list[Setting]] = {}
    secrets: dict[str, SecretInfo] = {}
    secret_values: dict[str, str] = {}
    ident: Optional[str] = None  # asked for only when there is a secret (most sections have none)
    for entry in section.entries:
        key = entry.key
        setting = entry.fact
        if setting is None:
            if is_secret_key(key):
                if ident is None:
                    ident = identity or section.get("username") or section.get("defaultuser") or section.name
                secret_values[key] = entry.value
                secrets[key] = describe_secret(entry.value, ident, SourceRef(file=entry.file, line=entry.line))
                continue
            value = entry.value
            if "@" in value:
                value = redact_inline_credentials(value)
            setting = entry.fact = Setting(value=value, file=entry.file, line=entry.line)
        got = settings.get(key)
        if got is None:
            settings[key] = [setting]
        else:
            got.append(setting)
    obj = ConfigObject(kind=kind, name=section.name, settings=settings, secrets=secrets,
                       source=SourceRef(file=section.file, line=section.line))
    return obj, secret_values


def _mailboxes(parsed: ParsedConfig, objects: list[ConfigObject], tracker: SharedSecretTracker) -> None:
    general = parsed.section("general")
    skip = {"general", "zonemessages"}
    if general is not None and general.get("aliasescontext"):
        skip.add(general.get("aliasescontext", "").lower())
    for section in parsed.instances():
        if section.name.lower() in skip:
            continue
        context = section.name
        for entry in section.entries:
            box = entry.key
            if "@" in box:  # alias mapping (box@ctx => box@ctx)
                continue
            fields = [f.strip() for f in entry.value.split(",")]
            pin = fields[0]
            # A leading '-' means "user may not change the PIN"; it is not part of the PIN.
            pin_locked = pin.startswith("-")
            pin_value = pin.lstrip("-")
            file, line = entry.file, entry.line
            src = SourceRef(file=file, line=line)
            n = len(fields)
            settings: dict[str, list[Setting]] = {
                "mailbox": [Setting(value=box, file=file, line=line)],
                "context": [Setting(value=context, file=file, line=line)],
                "fullname": [Setting(value=fields[1] if n > 1 else "", file=file, line=line)],
                "email": [Setting(value=fields[2] if n > 2 else "", file=file, line=line)],
                "pager": [Setting(value=fields[3] if n > 3 else "", file=file, line=line)],
                "pin_locked": [Setting(value="yes" if pin_locked else "no", file=file, line=line)],
            }
            secrets: dict[str, SecretInfo] = {}
            if n > 4:
                for opt in ",".join(fields[4:]).split("|"):
                    if "=" in opt:
                        k, v = opt.split("=", 1)
                        k = k.strip().lower()
                        if is_secret_key(k):
                            secrets[k] = describe_secret(v.strip(), box, src)
                        else:
                            settings.setdefault(k, []).append(Setting(value=v.strip(), file=file, line=line))
            info = describe_secret(pin_value, box, src)
            secrets["pin"] = info
            tracker.add(pin_value, info)
            objects.append(ConfigObject(kind="voicemail.mailbox", name=f"{box}@{context}", source=src,
                                        settings=settings, secrets=secrets))


def _logger_channels(parsed: ParsedConfig, objects: list[ConfigObject]) -> None:
    for section in parsed.instances():
        if section.name.lower() == "general":
            obj, _ = _object("logger.general", section)
            objects.append(obj)
        elif section.name.lower() == "logfiles":
            for entry in section.entries:
                obj = ConfigObject(kind="logger.channel", name=entry.key, source=SourceRef(file=entry.file, line=entry.line))
                levels = re.sub(r"^\[[^\]]*\]", "", entry.value)  # strip [plain] formatter
                obj.settings["levels"] = [Setting(value=levels.lower().replace(" ", ""), file=entry.file, line=entry.line)]
                objects.append(obj)


# Object types res_pjsip's sorcery registers (res/res_pjsip*.c, res/res_pjsip/*.c): those it loads from
# pjsip.conf by default ("pjsip.conf,criteria=type=<t>"), plus contact and subscription_persistence,
# which sorcery.conf may map there.
PJSIP_TYPES = frozenset({
    "endpoint", "aor", "auth", "transport", "registration", "identify", "acl", "contact", "domain_alias",
    "global", "system", "phoneprov", "outbound-publish", "inbound-publication", "asterisk-publication",
    "resource_list", "subscription_persistence",
})


def _pjsip(parsed: ParsedConfig, objects: list[ConfigObject], problems: list[ParseProblem],
           tracker: SharedSecretTracker) -> None:
    for section in parsed.instances():
        # res_sorcery_config matches criteria type=<t> against the section's FIRST type= (template
        # variables come first), compared with strcmp: "Endpoint" is no endpoint.
        type_entry = None
        for e in section.entries:
            if e.key == "type":
                type_entry = e
                break
        if type_entry is None or not type_entry.value:
            # A bare header with no variable at all (an uncommented "[aor]" heading of the sample's
            # option list) matches no sorcery criteria and sets nothing: a note, it hides nothing.
            # A typeless section WITH variables may be an object the author meant: a gap.
            problems.append(ParseProblem(file=section.file, line=section.line, fatal=False,
                                         note=not section.entries,
                                         message=f"[{label(section.name)}] has no type=; PJSIP ignores it"))
            continue
        kind = type_entry.value
        if kind not in PJSIP_TYPES:
            # Never the value itself: any value may be a secret typed on the wrong line.
            problems.append(ParseProblem(
                file=type_entry.file, line=type_entry.line, fatal=False,
                message=f"[{label(section.name)}] type= is not a PJSIP object type Asterisk knows (types are "
                        "case-sensitive); PJSIP ignores the section"))
            continue
        obj, secrets = _object(f"pjsip.{kind}", section)
        if kind == "identify" and (why := identify_refused(obj)):
            problems.append(ParseProblem(
                file=section.file, line=section.line, fatal=False, note=True,
                message=f"[{label(section.name)}] type=identify {why}: res_pjsip_endpoint_identifier_ip refuses it "
                        "(LOG_ERROR), so it identifies no endpoint by address"))
            continue
        for key, value in secrets.items():
            tracker.add(value, obj.secrets[key])
        objects.append(obj)


IDENTIFY_MATCH_KEYS = ("match", "match_header", "match_request_uri")


def identify_refused(obj: ConfigObject) -> str:
    """Why res_pjsip_endpoint_identifier_ip's ip_identify_apply() rejects an identify ("" when it loads):
    it needs an endpoint, and something to match (an address or host in ``match``, a ``match_header``
    or a ``match_request_uri``). FreePBX writes ``[100-identify]`` with no match for every extension:
    those never make the extension a trunk trusted by its address."""
    if not (obj.get("endpoint") or "").strip():
        return "names no endpoint"
    if not any(s.value.strip(" \t,") for k in IDENTIFY_MATCH_KEYS for s in obj.settings.get(k, [])):
        return "matches nothing (no match, match_header or match_request_uri)"
    return ""


_MANAGER_ACL_KEYS = ("permit", "deny", "acl")


def _merge_manager_user(earlier: ConfigObject, later: ConfigObject) -> ConfigObject:
    """manager.c __init_manager(): a second section of a user's name updates the same user. What it sets
    wins; its ACL replaces the earlier one entirely (``user->acl = NULL``, then this section's lines)."""
    settings = {k: v for k, v in earlier.settings.items() if k not in _MANAGER_ACL_KEYS}
    settings.update(later.settings)
    return ConfigObject(kind=earlier.kind, name=earlier.name, source=earlier.source, settings=settings,
                        secrets={**earlier.secrets, **later.secrets})


def _simple(root: str, parsed: ParsedConfig, objects: list[ConfigObject],
            problems: Optional[list[ParseProblem]] = None) -> None:
    general_kind, other_kind = _SIMPLE_KINDS[root]
    first_name = {"modules.conf": "modules", "asterisk.conf": "options", "extconfig.conf": "settings"}.get(root, "general")
    users: dict[str, int] = {}  # manager.conf: user name (as strcasecmp compares) -> its object's index
    for section in parsed.instances():
        kind = general_kind if section.name.lower() == first_name else other_kind
        if root == "asterisk.conf" and section.name.lower() not in {"options", "directories"}:
            continue
        obj = _object(kind, section)[0]
        if kind == "manager.user":
            at = users.get(section.name.lower())
            if at is not None:
                earlier = objects[at]
                objects[at] = _merge_manager_user(earlier, obj)
                if problems is not None:
                    problems.append(ParseProblem(
                        file=section.file, line=section.line, fatal=False, note=True,
                        message=f"[{label(section.name)}] is also written at {earlier.source.file}:{earlier.source.line}; "
                                "Asterisk makes one user of them: what this one sets wins, and only its "
                                "permit/deny apply"))
                continue
            users[section.name.lower()] = len(objects)
        objects.append(obj)


@dataclass
class BuildContext:
    """What every root's builder adds to: the objects, the dialplan, extra problems for the root
    being built, and the trackers that find secrets/PINs shared between objects."""

    parsed: dict[str, ParsedConfig]
    objects: list[ConfigObject]
    dialplan: list[DialplanStep]
    pin_tracker: SharedSecretTracker
    sip_tracker: SharedSecretTracker
    problems: list[ParseProblem] = field(default_factory=list)


RootBuilder = Callable[[ParsedConfig, BuildContext], None]


def _build_pjsip(pc: ParsedConfig, b: BuildContext) -> None:
    _pjsip(pc, b.objects, b.problems, b.sip_tracker)


def _build_voicemail(pc: ParsedConfig, b: BuildContext) -> None:
    _mailboxes(pc, b.objects, b.pin_tracker)
    general = pc.section("general")
    if general is not None:
        obj, _ = _object("voicemail.general", general)
        sanitize_mailcmd(obj)  # its arguments may carry an SMTP password
        b.objects.append(obj)


def _build_logger(pc: ParsedConfig, b: BuildContext) -> None:
    _logger_channels(pc, b.objects)


SIP_PEER_TYPES = ("peer", "user", "friend")


def _build_sip(pc: ParsedConfig, b: BuildContext) -> None:
    """chan_sip's reload_config(): [general] is the policy; [authentication] holds outbound realm
    credentials, not a peer; a section without type= or with a type other than peer/user/friend is
    skipped with a warning. What chan_sip skips is a note here: nothing it runs is hidden."""
    for section in pc.instances():
        name = section.name.lower()
        if name == "general":
            kind = "sip.general"
        elif name == "authentication":
            b.problems.append(ParseProblem(file=section.file, line=section.line, fatal=False, note=True,
                                           message="[authentication] holds outbound credentials, not a peer"))
            continue
        else:
            if not typed_section(section, SIP_PEER_TYPES, "chan_sip", b.problems):
                continue
            kind = "sip.peer"
        obj, secrets = _object(kind, section)
        for key, value in secrets.items():
            b.sip_tracker.add(value, obj.secrets[key])
        b.objects.append(obj)


def _simple_builder(root: str) -> RootBuilder:
    def build(pc: ParsedConfig, b: BuildContext) -> None:
        _simple(root, pc, b.objects, b.problems)
    return build


# root file -> how its objects are built; a new root Asterisk loads is one entry here (and in ASTERISK_ROOTS).
ROOT_BUILDERS: dict[str, RootBuilder] = {
    "pjsip.conf": _build_pjsip,
    "voicemail.conf": _build_voicemail,
    "logger.conf": _build_logger,
    "extensions.conf": build_extensions,
    AEL_ROOT: build_ael,
    MINIVM_ROOT: build_minivm,
    WIZARD_ROOT: build_wizard,
    USERS_ROOT: build_users,
    **{root: _simple_builder(root) for root in _SIMPLE_KINDS},
    "sip.conf": _build_sip,
    IAX_ROOT: build_iax,
    LUA_ROOT: build_lua,
    HEP_ROOT: build_hep,
    **ODBC_BUILDERS,
    **{root: unaudited_builder(root) for root in NOT_AUDITED},
}


def _flag_orphan_fragments(parsed: dict[str, ParsedConfig], facts: AsteriskFacts) -> None:
    """A missing root beside its generated fragments (sip.conf gone, sip_additional.conf there) is an
    incomplete copy, not an unconfigured module: a gap on that root, so its checks are ERROR and the
    report names the fragment, instead of NOT_APPLICABLE ("no SIP peers")."""
    read = {f for pc in parsed.values() for f in pc.files}
    roots = set(parsed)
    for root, pc in parsed.items():
        if pc.found or not pc.config_dir:
            continue
        for name, lines in orphan_fragments(pc.config_dir, root, read, roots):
            facts.configs[root].problems.append(ParseProblem(
                file=name, line=0, fatal=False,
                message=f"{label(root)} is missing, yet {label(name, 64)} ({lines} configuration line(s)) is here and "
                        f"only {label(root)} would include it: the copy is incomplete (a symbolic link not copied?); "
                        "what it configures is not audited"))


# Roots that only one loadable module reads: when modules.conf keeps that module from loading, Asterisk
# never opens the file: no object is built from it (ARI users of a noload'ed res_ari are no login), and
# whatever is wrong in it (a refused #include, a line it would reject) hides nothing that runs.
# voicemail.conf is not here (app_voicemail_odbc/_imap read it too); pjsip.conf is res_pjsip's
# (noload => chan_pjsip.so leaves res_pjsip reading it).
MODULE_OF_ROOT = {
    "sip.conf": "chan_sip", IAX_ROOT: "chan_iax2", "pjsip.conf": "res_pjsip",
    WIZARD_ROOT: "res_pjsip_config_wizard", MINIVM_ROOT: "app_minivm", AEL_ROOT: "pbx_ael", "ari.conf": "res_ari",
    HEP_ROOT: "res_hep", "phoneprov.conf": "res_phoneprov", "cdr_pgsql.conf": "cdr_pgsql",
    "cel_pgsql.conf": "cel_pgsql", "cdr_mysql.conf": "cdr_mysql", "cdr_tds.conf": "cdr_tds", LUA_ROOT: "pbx_lua",
    RES_ODBC_ROOT: "res_odbc", **{root: module for root, (module, _) in ODBC_BACKENDS.items()},
}


def _unloaded(root: str, parsed: dict[str, ParsedConfig], objects: list[ConfigObject]) -> Optional[str]:
    """Why Asterisk never opens ``root`` (its only reader is kept from loading by modules.conf), or None
    when it does or when that is not known (modules.conf missing or refused). Needs modules.conf built."""
    module = MODULE_OF_ROOT.get(root)
    modules = parsed.get("modules.conf")
    if module is None or modules is None or not modules.found or modules.fatal is not None:
        return None
    mods = next((o for o in objects if o.kind == "modules.modules"), None)
    state = module_loaded(module, root, True, True, mods)
    return None if state.loaded else state.why


def _not_in_effect(root: str, problems: list[ParseProblem], why: str) -> list[ParseProblem]:
    """A root Asterisk does not read: what is wrong in it is kept as notes (the report still says it),
    never as a fatal error or a gap that would turn checks into ERROR over a file nothing opens."""
    quiet = [p if p.note else ParseProblem(file=p.file, line=p.line, fatal=False, note=True,
                                           message=f"not in effect: {p.message}") for p in problems]
    return quiet + [ParseProblem(file=root, line=0, fatal=False, note=True,
                                 message=f"{root} is not read by Asterisk ({why}); its settings are not in effect")]


def build_asterisk_facts(
    parsed: dict[str, ParsedConfig],
    logrotate: Optional[list[LogrotateRule]] = None,
    spool: Optional[SpoolFacts] = None,
    flavor: Literal["asterisk", "freepbx"] = "asterisk",
    logrotate_problem: Optional[str] = None,
    spool_problem: Optional[str] = None,
) -> AsteriskFacts:
    facts = AsteriskFacts(flavor=flavor, logrotate=logrotate, spool=spool,
                          logrotate_problem=logrotate_problem, spool_problem=spool_problem)
    b = BuildContext(parsed=parsed, objects=facts.objects, dialplan=facts.dialplan,
                     pin_tracker=SharedSecretTracker("shared-pin"), sip_tracker=SharedSecretTracker("shared-secret"))
    # In ASTERISK_ROOTS order, as Asterisk's modules load them: users.conf adds to what
    # voicemail.conf and sip.conf built, whatever order the collector parsed them in.
    # modules.conf first: whether a module-owned root is read at all depends on it (_unloaded).
    order = {root: i for i, root in enumerate(ASTERISK_ROOTS)}
    order["modules.conf"] = -1
    for root, pc in sorted(parsed.items(), key=lambda item: order.get(item[0], len(order))):
        b.problems = []
        builder = ROOT_BUILDERS.get(root)
        why = _unloaded(root, parsed, b.objects) if pc.found else None
        if why is None and pc.found and pc.fatal is None and builder is not None:
            builder(pc, b)
        problems = [ParseProblem.of(p) for p in pc.problems] + b.problems
        facts.configs[root] = ConfigFileFacts(
            root=root, found=pc.found, files=pc.files, content_lines=getattr(pc, "content_lines", None),
            problems=problems if why is None else _not_in_effect(root, problems, why),
        )
    _flag_orphan_fragments(parsed, facts)
    flag_realtime(parsed, facts.configs, facts.objects)
    b.pin_tracker.assign()
    b.sip_tracker.assign()
    # Stable order: the same tree always gives byte-identical facts (offline == live).
    facts.objects.sort(key=OBJECT_ORDER)
    facts.reindex()
    return facts
