"""Kamailio facts: listen sockets, globals, modules, modparams, routing calls, tls.cfg, and the
routing engine when it is not the native one (``kamailio.cfgengine``: the route blocks never run).

Where requests are relayed: the literal arguments of the routing's destination functions
(``kamailio.call`` settings ``arg1``..), literal ``$du``/``$ru``/``$rd`` assignments (``kamailio.assign``),
and the dispatcher module's list file (``kamailio.dispatcher``, one per destination line; read as
dispatch.c ``ds_load_list`` reads it: ``#`` comments, ``setid uri [flags [priority [attrs]]]`` split at
blanks, a URI without a scheme taken as ``sip:``, the ``socket``/``sockname`` attributes kept as settings).
Kamailio reads the list only when the dispatcher module has no ``db_url``; OpenSIPS only in 1.4-1.7, where
``list_file`` is set and ``db_url`` is not. The file is looked up beside kamailio.cfg by its base name, as
tls.cfg is. carrierroute's route file (``kamailio.carrierroute``, one per target, root ``carrierroute.conf``)
is read when the module is loaded with ``config_source`` ``file`` (its default). Listen lines keep their
``advertise`` address and ``name`` (a dispatcher destination's send socket is matched against them).

Database URLs (``DBURL``, ``db_url`` modparams) carry credentials: the password becomes a
SecretInfo and the URL is kept with the password redacted.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from voxaudit.facts.common import (
    OBJECT_ORDER,
    ConfigFileFacts,
    ConfigObject,
    ParseProblem,
    PlatformFacts,
    inline_credentials,
    is_secret_key,
    redact_inline_credentials,
)
from voxaudit.model import SourceRef
from voxaudit.parsers.carrierroute import parse_carrierroute
from voxaudit.parsers.files import UnreadableFile, lines, read_config_file
from voxaudit.parsers.kamailio_cfg import Item, parse_kamailio, parse_tls_cfg
from voxaudit.secretinfo import describe_secret

# Module parameters and define names that hold a secret although is_secret_key does not say so.
_SECRET_NAMES = {"mask_key", "key", "shared_secret", "auth_key", "pass", "dbrwpw", "dbropw"}
# ...and names that mention a password but hold a column, AVP or header name (auth_db password_column).
_NOT_SECRET_SUFFIXES = ("_column", "_col", "_avp", "_attr", "_hdr", "_spec", "_mode", "_flag")
_SECRET_NAME_RE = re.compile(r"(?:^|_)(?:pw|pass|passwd|pwd|secret)(?:$|_)", re.IGNORECASE)
# ';'-separated attribute lists ("name=srv;addr=...;pass=...", ndb_redis and friends); "name=>" is an
# htable or sqlops connection name, not an attribute.
_ATTR_RE = re.compile(r"(^|;)\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*=(?!>)([^;]*)")
# proto:address:port as cfg.y's listen takes it; the address may be empty where a #!substdef placeholder is
# still unfilled ("tls::5061"): the protocol is still the one written, never the udp default. OpenSIPS
# sockets also carry HEP tracing, BIN clustering, SMPP and MSRP, which are not SIP.
_LISTEN_RE = re.compile(r"^(?:(?P<proto>udp|tcp|tls|sctp|ws|wss|hep_udp|hep_tcp|hep_tls|bins|bin|smpp|msrps|msrp)"
                        r":(?=[^:\s]|:\d))?(?P<addr>\[[^\]]*\]|[^:\s]*)"
                        r"(?::(?P<port>\d+))?", re.IGNORECASE)
LISTEN_RE = _LISTEN_RE  # a dispatcher socket attribute is written as a listen address (parse_phostport)


# The fact source of the checks that judge the routing logic (authentication, flood protection,
# accounting): a part of kamailio.cfg whose own gaps (a KEMI engine) leave listeners and TLS judged.
ROUTING = "routing"


class KamailioFacts(PlatformFacts, tag="kamailio", kw_only=True):
    platform: ClassVar[str] = "kamailio"
    defines: list[str] = []

    @property
    def cfg_name(self) -> str:
        return "kamailio.cfg"


class OpenSipsFacts(KamailioFacts, tag="opensips", kw_only=True):
    """OpenSIPS: the same SER-family language and object kinds; TLS settings come from
    ``tls_mgm`` (or 2.x ``proto_tls``) modparams instead of a tls.cfg, so the checks' "tls.cfg"
    source is the main config."""

    platform: ClassVar[str] = "opensips"

    @property
    def cfg_name(self) -> str:
        return "opensips.cfg"

    def source_name(self, name: str) -> str:
        return "opensips.cfg" if name in {"kamailio.cfg", "tls.cfg", ROUTING} else name

    def source_state(self, name: str) -> tuple[str, str]:
        return super().source_state(self.source_name(name))

    def resource_errors(self, name: str) -> list[tuple[str, str]]:
        """Gaps of opensips.cfg count for the checks that declare kamailio.cfg (once, not also as tls.cfg
        or as the routing part: OpenSIPS has no KEMI engine)."""
        return super().resource_errors("opensips.cfg") if name == "kamailio.cfg" else \
            [] if name in {"tls.cfg", ROUTING} else super().resource_errors(name)


# OpenSIPS tls_mgm parameter -> the tls.cfg key the checks read
_TLS_MGM_KEYS = {"tls_method": "method", "verify_cert": "verify_certificate", "require_cert": "require_certificate",
                 "ciphers_list": "cipher_list", "ca_list": "ca_list"}
# tls_mgm defaults that differ from Kamailio's tls.cfg ones (tls_mgm docs: verify_cert and require_cert
# "Default value is 1"): a domain that does not set them verifies its peer.
_TLS_MGM_DEFAULTS = {"verify_certificate": "yes", "require_certificate": "yes"}
_OPENSIPS_METHOD_RE = re.compile(r"(?i)^(SSLv23|SSLv3|TLSv1(?:_\d)?)")


def _domain_value(value: str) -> tuple[str, str]:
    """'[dom]value' (3.x) or 'dom:value' (2.x) -> (dom, value); unprefixed -> ('default', value)."""
    m = re.match(r"^\[([^\]]+)\](.*)$", value) or re.match(r"^([A-Za-z0-9_.\-]+):(?!//)(.+)$", value)
    return (m.group(1), m.group(2)) if m else ("default", value)


def _opensips_tls_profiles(facts: KamailioFacts) -> list[ConfigObject]:
    """tls_mgm domains as tls.cfg-like profiles: [server:<dom>] / [client:<dom>], values
    prefixed "[dom]" apply to that domain, unprefixed values to the defaults."""
    params = [o for o in facts.of_kind("kamailio.modparam") if o.name.split(".", 1)[0] in {"tls_mgm", "proto_tls"}]
    if not params:
        return []
    domains = {"default": ["server:default", "client:default"]}
    for o in params:
        key = o.name.split(".", 1)[1]
        if key in {"server_domain", "client_domain"}:
            dom = (o.get("value") or "").strip("[]").split("=")[0].strip()
            domains.setdefault(dom, []).append(f"{key.split('_')[0]}:{dom}")
    profiles: dict[str, dict[str, list[dict]]] = {name: {} for names in domains.values() for name in names}
    first_line: dict[str, int] = {}
    for o in params:
        key = o.name.split(".", 1)[1]
        target = _TLS_MGM_KEYS.get(key)
        if target is None:
            continue
        value = o.get("value") or ""
        dom, value = _domain_value(value)
        if target == "method":
            mm = _OPENSIPS_METHOD_RE.match(value.strip())
            value = (mm.group(1).replace("_", ".") + ("+" if "-" in value or value.strip().endswith("+") else "")) if mm else value
        elif target in {"verify_certificate", "require_certificate"}:
            value = "yes" if value.strip() in {"1", "yes", "true", "on"} else "no"
        for name in domains.get(dom, []):
            profiles[name][target] = [{"value": value, "file": o.source.file, "line": o.source.line}]
            first_line.setdefault(name, o.source.line)
    for name, settings in profiles.items():
        for key, default in _TLS_MGM_DEFAULTS.items():  # unset: tls_mgm's own default, not the tls.cfg one
            settings.setdefault(key, [{"value": default, "file": facts.cfg_name, "line": first_line.get(name, 1)}])
    return [ConfigObject.of({"kind": "tls.profile", "name": name, "source": {
        "file": facts.cfg_name, "line": first_line.get(name, 1)}, "settings": settings, "secrets": {}})
        for name, settings in profiles.items()]




# tls module parameters -> the tls.cfg key the checks read (tls_mod.c params[]); the int ones are 0/1.
_TLS_MODPARAM_KEYS = {"tls_method": "method", "verify_certificate": "verify_certificate",
                      "require_certificate": "require_certificate", "cipher_list": "cipher_list",
                      "ca_list": "ca_list", "certificate": "certificate", "private_key": "private_key"}


def _tls_modparam_settings(facts: KamailioFacts) -> dict[str, list[dict]]:
    """The default profiles' settings when no tls.cfg is configured: modparam("tls", ...) values."""
    out: dict[str, list[dict]] = {}
    for o in facts.of_kind("kamailio.modparam"):
        mod, _, param = o.name.partition(".")
        key = _TLS_MODPARAM_KEYS.get(param) if mod == "tls" else None
        if key is None:
            continue
        value = (o.get("value") or "").strip()
        if key in {"verify_certificate", "require_certificate"}:
            value = "yes" if value.lower() in {"1", "yes", "true", "on"} else "no"
        out[key] = [{"value": value, "file": o.source.file, "line": o.source.line}]
    return out


def _secret_name(name: str) -> bool:
    """Does a parameter, global or define of this name hold a secret (DBPASS, auth secret, topoh
    mask_key)? Names only: the value is never shown once this says yes."""
    last = name.rsplit(".", 1)[-1].lower()
    if last.endswith(_NOT_SECRET_SUFFIXES):
        return False
    return is_secret_key(last) or last in _SECRET_NAMES or bool(_SECRET_NAME_RE.search(last))


def _hide_attribute(m: re.Match, secrets: dict, secret_key: str, where: SourceRef) -> str:
    """``pass=value`` in an attribute list -> ``pass=<redacted>``, its shape kept in ``secrets``."""
    if not _secret_name(m.group(2)) or not m.group(3).strip():
        return m.group(0)
    secrets.setdefault(secret_key, describe_secret(m.group(3).strip(), "", where))
    return f"{m.group(1)}{m.group(2)}=<redacted>"


def _obj(kind: str, name: str, item: Item, settings: dict[str, str], hidden: frozenset[str] = frozenset()) -> ConfigObject:
    """One object; a value that is a secret (by its name, or a ``user:password@`` inside it, or a
    ``pass=`` attribute) is kept only as a SecretInfo shape."""
    secrets = {}
    clean = {}
    where = SourceRef(file=item.file, line=item.line)
    for key, value in settings.items():
        if key == "value" and item.kind in {"global", "modparam", "define"} and value and (
                _secret_name(item.name) or value.strip().strip('"') in hidden):
            secrets[f"{key}.secret"] = describe_secret(value.strip('"'), "", where)
            value = "<redacted>"
        creds = inline_credentials(value)
        if creds:
            secrets[f"{key}.password"] = describe_secret(creds[0][1], creds[0][0], where)
            value = redact_inline_credentials(value)
        if "=" in value:
            value = _ATTR_RE.sub(lambda m, key=key: _hide_attribute(m, secrets, f"{key}.secret", where), value)
        clean[key] = [{"value": value, "file": item.file, "line": item.line}]
    return ConfigObject.of({"kind": kind, "name": name, "source": {"file": item.file, "line": item.line},
                                        "settings": clean, "secrets": secrets})


def _listen_options(words: list[str]) -> dict[str, str]:
    """What follows the address of a listen line (cfg.y: ``advertise host[:port]``, ``name "sockname"``): the
    advertised address (grep_sock_info matches it too) and the socket's name (ksr_get_socket_by_name)."""
    out: dict[str, str] = {}
    for key, value in zip(words, words[1:]):
        if key.lower() == "advertise" and "advertise" not in out:
            out["advertise"] = value
        elif key.lower() == "name" and "sockname" not in out:
            out["sockname"] = value.strip('"')
    return out


def build_kamailio_facts(cfg_dir: Path, root: str = "kamailio.cfg", flavor: str = "kamailio") -> KamailioFacts:
    cfg = parse_kamailio(cfg_dir, root)
    facts = (OpenSipsFacts if flavor == "opensips" else KamailioFacts)(defines=sorted(cfg.defines))
    facts.configs[facts.cfg_name] = ConfigFileFacts(
        root=facts.cfg_name, found=cfg.found, files=cfg.files, content_lines=cfg.content_lines,
        problems=[ParseProblem.of(p) for p in cfg.problems])
    if flavor != "opensips":  # the routing part: no lines of its own (kamailio.cfg's are counted there)
        facts.configs[ROUTING] = ConfigFileFacts(
            root=ROUTING, found=cfg.found, files=[], content_lines=0,
            problems=[ParseProblem.of(cfg.engine_problem)] if cfg.engine_problem is not None else [])
    if cfg.found and cfg.fatal is None:
        # A value equal to a secret parameter's value is as secret as the parameter, wherever it
        # appears (a define used as it: modparam("auth", "secret", AUTHSECRET)).
        hidden = frozenset(it.value.strip('"') for it in cfg.items
                           if it.kind in {"global", "modparam"} and it.value and _secret_name(it.name))
        for it in cfg.items:
            if it.kind == "global" and it.name in {"listen", "socket"}:
                words = it.value.split()
                if not words:  # "socket = { ... }" (a socket block): the reader already names it as a gap
                    continue
                m = _LISTEN_RE.match(words[0])
                proto, addr, port = ((m.group("proto") or "udp").lower(), m.group("addr"), m.group("port") or "") if m \
                    else ("", it.value, "")
                facts.objects.append(_obj("kamailio.listen", it.value, it, {
                    "proto": proto, "address": addr.strip("[]"), "port": port, **_listen_options(words[1:])}))
            elif it.kind == "global":
                facts.objects.append(_obj("kamailio.global", it.name, it, {"value": it.value}, hidden))
            elif it.kind == "loadmodule":
                facts.objects.append(_obj("kamailio.module", it.name, it, {}))
            elif it.kind == "modparam":
                facts.objects.append(_obj("kamailio.modparam", it.name, it, {"value": it.value}, hidden))
            elif it.kind == "call":
                args = {f"arg{k}": v for k, v in enumerate(it.literals, 1) if v}
                facts.objects.append(_obj("kamailio.call", it.name, it, {"route": it.route, "args": it.value,
                                                                           **args}))
            elif it.kind == "assign":
                facts.objects.append(_obj("kamailio.assign", it.name, it, {"route": it.route, "value": it.value}))
            elif it.kind == "define":
                facts.objects.append(_obj("kamailio.define", it.name, it, {"value": it.value}, hidden))
        if cfg.engine:  # KEMI: the route blocks read above never run; the routing is in this script
            file, line = cfg.engine_at
            facts.objects.append(ConfigObject.of({
                "kind": "kamailio.cfgengine", "name": cfg.engine, "source": {"file": file, "line": line},
                "settings": {"script": [{"value": ", ".join(cfg.kemi_scripts), "file": file, "line": line}]},
                "secrets": {}}))
    if isinstance(facts, OpenSipsFacts):
        facts.reindex()
        facts.objects.extend(_opensips_tls_profiles(facts))
        _dispatcher_list(facts, cfg_dir)  # OpenSIPS 1.x list_file
        facts.objects.sort(key=OBJECT_ORDER)
        facts.reindex()
        return facts
    # The tls module reads a profile file only when modparam("tls", "config") names one (tls_mod.c:
    # tls_domains_cfg_file is empty by default); without it, its own parameters make the default server
    # and client profiles. Either way both default profiles exist (a file that lacks one gets the
    # built-in defaults: SSLv23, no verification).
    tls_param = next((o for o in facts.objects if o.kind == "kamailio.modparam" and o.name == "tls.config"), None)
    tls_loaded = facts.named("kamailio.module", "tls") is not None
    tls_name = Path((tls_param.get("value") if tls_param else None) or "tls.cfg").name
    tls_path = cfg_dir / tls_name
    problems = []
    present = tls_path.exists() or tls_path.is_symlink()  # present in any form: a FIFO or a broken link is read
    # as far as it can be and said, never taken for "no tls.cfg"
    found = present and tls_param is not None
    content = 0
    if not present and tls_param is not None and tls_loaded:
        # The tls module reads this file on the host; the copy does not have it: a gap, never "no TLS".
        problems.append(ParseProblem(file=tls_param.source.file, line=tls_param.source.line, fatal=False,
                                     message=f"modparam tls config names {tls_name!r}, which is not in the copy; "
                                             "TLS settings not assessed"))
    if present and not tls_loaded:
        # main.c disables TLS when no TLS module is loaded; nothing reads the file (ENC-SIG-102 says TLS is off)
        problems.append(ParseProblem(file=tls_name, line=0, fatal=False, note=True, message=(
            "tls.so is not loaded, so Kamailio runs without TLS and does not read this file; its profiles are "
            "not in force")))
    if present and tls_param is None and tls_loaded:
        problems.append(ParseProblem(file=tls_name, line=0, fatal=False, note=True, message=(
            "no modparam(\"tls\", \"config\") names this file, so the tls module does not read it; the TLS "
            "profiles are the tls module parameters")))
    names: set[str] = set()
    if found:
        profiles, problem, content = parse_tls_cfg(tls_path, tls_name)
        if problem:
            problems.append(ParseProblem.of(problem))
        for prof in profiles:
            settings = {k: [{"value": v, "file": tls_name, "line": ln}] for k, (v, ln) in prof.settings.items()
                        if "password" not in k}
            start = min((ln for _, ln in prof.settings.values()), default=1)
            names.add(re.sub(r"\s+", "", prof.name).lower())
            facts.objects.append(ConfigObject.of({
                "kind": "tls.profile", "name": prof.name, "source": {"file": tls_name, "line": max(start - 1, 1)},
                "settings": settings, "secrets": {}}))
    if tls_loaded and not any(p.fatal for p in problems) and (found or tls_param is None):
        defaults = {} if tls_param is not None else _tls_modparam_settings(facts)
        at = tls_param.source if tls_param is not None else None
        for name in ("server:default", "client:default"):
            if name in names:
                continue
            source = at or next((SourceRef(file=v[0]["file"], line=v[0]["line"]) for v in defaults.values()), None)
            facts.objects.append(ConfigObject.of({
                "kind": "tls.profile", "name": name, "settings": dict(defaults), "secrets": {},
                "source": {"file": source.file if source else facts.cfg_name, "line": source.line if source else 1}}))
    facts.configs["tls.cfg"] = ConfigFileFacts(root="tls.cfg", found=found, files=[tls_name] if found else [],
                                               problems=problems, content_lines=content)
    _dispatcher_list(facts, cfg_dir)
    _carrierroute_conf(facts, cfg_dir)
    facts.objects.sort(key=OBJECT_ORDER)
    facts.reindex()
    return facts


DISPATCHER_LIST = "dispatcher.list"  # the config root of the dispatcher module's list file
DS_DEFAULT_LIST = "/etc/kamailio/dispatcher.list"  # dispatcher.c: CFG_DIR "dispatcher.list"
DS_LINE = 1023  # dispatch.c reads with fgets(line, 1024): a longer line is cut into two
OPENSIPS_DS_LINE = 255  # OpenSIPS 1.4/1.5 fgets(line, 256) (1.6/1.7: 512): the shorter, read alike by all
MAX_DS_FILE_BYTES = 16 * 1024 * 1024
MAX_DS_DESTINATIONS = 10000  # objects built from one list (bounded work and report size)


def _ds_fields(text: str) -> list[str]:
    """A list line split at blanks as ds_load_list() walks it (space, tab, CR, LF)."""
    return text.replace("\t", " ").replace("\r", " ").split(" ")


def _ds_attrs(attrs: str) -> dict[str, str]:
    """The ``name=value;...`` attributes as ds_set_attrs reads them (core parse_params: names without case,
    a quoted value unquoted, a trailing ``;`` dropped); parse_params builds its list backwards, so of a name
    given twice the first one is the one that stays set."""
    out: dict[str, str] = {}
    for part in attrs.split(";"):
        name, _, value = part.partition("=")
        name, value = name.strip(" \t").lower(), value.strip(" \t")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        if name and name not in out:
            out[name] = value
    return out


def _module_file(cfg_dir: Path, param: ConfigObject | None, module: ConfigObject, default: str, max_bytes: int,
                 reads: str) -> tuple[str, bool, str, list[ParseProblem]]:
    """The file a module reads beside the cfg (``modparam(..., "<file>")`` else its default, by name in the
    copy's folder): its name, whether it is there, its text, and the gap for a missing or unreadable one."""
    name = Path((param.get("value") if param is not None else None) or default).name
    where = param.source if param is not None else module.source
    path = cfg_dir / name
    if not (path.exists() or path.is_symlink()):
        return name, False, "", [ParseProblem(file=where.file, line=where.line, fatal=False, message=(
            f"{reads} {name!r}, which is not in the copy; the SIP destinations it relays calls to are not assessed"))]
    try:
        return name, True, read_config_file(str(path), max_bytes).decode("utf-8", "replace"), []
    except (UnreadableFile, OSError) as exc:
        return name, True, "", [ParseProblem(file=name, line=0, fatal=False,
                                             message=f"{name} could not be read ({type(exc).__name__})")]


def _dispatcher_list(facts: KamailioFacts, cfg_dir: Path) -> None:
    """The dispatcher module's destinations when it reads them from its list file (no ``db_url``).

    Kamailio: ds_load_list, lines of at most 1023 characters, a URI without a scheme fixed to ``sip:``, the
    ``socket``/``sockname`` attributes kept (pack_dest: the destination's send socket; ``sockname`` first).
    OpenSIPS: only 1.4-1.7 have a list file (``list_file``; from 1.8 the module reads its database only, and
    a ``list_file`` parameter stops OpenSIPS at startup), so the list is read only where ``list_file`` is
    set: the same ``setid uri [flags [weight [attrs]]]`` walk in a 256-byte (1.4, 1.5) or 512-byte (1.6,
    1.7) line buffer, the URI parsed as written (no scheme added: a bad URI makes the whole list fail, and
    the module with it), the attributes a string for the script only (no send socket)."""
    opensips = isinstance(facts, OpenSipsFacts)
    module = facts.named("kamailio.module", "dispatcher")
    params = {o.name.partition(".")[2]: o for o in facts.of_kind("kamailio.modparam")
              if o.name.startswith("dispatcher.")}
    if module is None or "db_url" in params or (opensips and "list_file" not in params):
        # not loaded, or its destinations are in the database (the adapter says so): no list is read
        facts.configs[DISPATCHER_LIST] = ConfigFileFacts(root=DISPATCHER_LIST, found=False, files=[], problems=[])
        return
    name, found, text, problems = _module_file(cfg_dir, params.get("list_file"), module, DS_DEFAULT_LIST,
                                               MAX_DS_FILE_BYTES, "the dispatcher module reads its destinations from")
    content = 0
    product = "OpenSIPS" if opensips else "Kamailio"
    if found:
        built = 0
        longest = OPENSIPS_DS_LINE if opensips else DS_LINE
        for n, raw in enumerate(lines(text), 1):
            body = raw.strip(" \t\r")
            if not body or body.startswith("#"):
                continue
            content += 1
            if len(raw) > longest:
                problems.append(ParseProblem(file=name, line=n, fatal=False, message=(
                    f"line longer than {longest} characters: {product} reads it as two lines; not assessed")))
                continue
            digits = len(body) - len(body.lstrip("0123456789"))
            fields = [f for f in _ds_fields(body[digits:]) if f]
            if not digits or not fields or fields[0].startswith("#"):
                problems.append(ParseProblem(file=name, line=n, fatal=False, message=(
                    f"not a 'setid destination [flags priority attrs]' line ({product} refuses the whole list)")))
                continue
            if built >= MAX_DS_DESTINATIONS:
                problems.append(ParseProblem(file=name, line=n, fatal=False, message=(
                    f"more than {MAX_DS_DESTINATIONS} destinations: the rest is not assessed")))
                break
            uri = fields[0].partition("#")[0]  # the URI ends at a '#'
            if not uri.lower().startswith(("sip:", "sips:")):
                if opensips:
                    problems.append(ParseProblem(file=name, line=n, fatal=False, message=(
                        "the destination is not a sip: or sips: URI: OpenSIPS 1.x refuses the whole list and does "
                        "not start; not assessed")))
                    continue
                uri = "sip:" + uri  # pack_dest(): "uri without sip scheme - fixing it"
            built += 1
            item = Item("dispatcher", body[:digits], "", name, n)
            attrs = fields[3] if len(fields) > 3 and not fields[1].startswith("#") \
                and not fields[2].startswith("#") and not fields[3].startswith("#") else ""
            settings = {"uri": uri, "attrs": attrs}
            if not opensips:
                known = _ds_attrs(attrs)
                settings.update({k: known[k] for k in ("socket", "sockname") if known.get(k)})
            facts.objects.append(_obj("kamailio.dispatcher", body[:digits], item, settings))
    facts.configs[DISPATCHER_LIST] = ConfigFileFacts(root=DISPATCHER_LIST, found=found, files=[name] if found else [],
                                                     problems=problems, content_lines=content)


CARRIERROUTE_CONF = "carrierroute.conf"  # the config root of carrierroute's route file
CR_DEFAULT_FILE = "/etc/kamailio/carrierroute.conf"  # carrierroute.c: CFG_DIR "carrierroute.conf"
MAX_CR_FILE_BYTES = 16 * 1024 * 1024


def _carrierroute_conf(facts: KamailioFacts, cfg_dir: Path) -> None:
    """carrierroute's targets (``kamailio.carrierroute``, one per target) when it routes from its file.

    carrierroute.c mod_init: ``config_source`` ``"file"`` (the default) reads ``config_file`` (looked up beside
    kamailio.cfg by its base name, as tls.cfg is), ``"db"`` its database (the adapter says so), any other value
    stops Kamailio. The file must exist (stat) and parse (auditor/parsers/carrierroute.py), else Kamailio does
    not start: a fatal problem of this root."""
    module = facts.named("kamailio.module", "carrierroute")
    params = {o.name.partition(".")[2]: o for o in facts.of_kind("kamailio.modparam")
              if o.name.startswith("carrierroute.")}
    source = params.get("config_source")
    mode = (source.get("value") or "").strip().strip('"') if source is not None else "file"
    if module is None or mode == "db":
        facts.configs[CARRIERROUTE_CONF] = ConfigFileFacts(root=CARRIERROUTE_CONF, found=False, files=[], problems=[])
        return
    problems: list[ParseProblem] = []
    if mode != "file":
        problems.append(ParseProblem(file=source.source.file, line=source.source.line, fatal=True, message=(
            "modparam carrierroute config_source is neither \"file\" nor \"db\": carrierroute refuses it and "
            "Kamailio does not start")))
        facts.configs[CARRIERROUTE_CONF] = ConfigFileFacts(root=CARRIERROUTE_CONF, found=False, files=[],
                                                           problems=problems)
        return
    name, found, text, more = _module_file(cfg_dir, params.get("config_file"), module, CR_DEFAULT_FILE,
                                           MAX_CR_FILE_BYTES, "carrierroute reads its routes from")
    problems += more
    content = 0
    if found:
        routes = parse_carrierroute(text, name)
        content = routes.content_lines
        if routes.problem is not None:
            problems.append(ParseProblem.of(routes.problem))
        for t in routes.targets:
            item = Item("carrierroute", f"{t.domain} prefix {t.prefix or 'NULL'}", "", name, t.line)
            facts.objects.append(_obj("kamailio.carrierroute", item.name, item, {
                "domain": t.domain, "prefix": t.prefix, "host": t.host, "status": str(t.status)}))
    facts.configs[CARRIERROUTE_CONF] = ConfigFileFacts(root=CARRIERROUTE_CONF, found=found,
                                                       files=[name] if found else [], problems=problems,
                                                       content_lines=content)
