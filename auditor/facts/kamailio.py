"""Kamailio facts: listen sockets, globals, modules, modparams, routing calls, tls.cfg.

Database URLs (``DBURL``, ``db_url`` modparams) carry credentials: the password becomes a
SecretInfo and the URL is kept with the password redacted.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from auditor.facts.common import ConfigFileFacts, ConfigObject, ParseProblem, PlatformFacts, redact_inline_credentials
from auditor.model import SourceRef
from auditor.parsers.kamailio_cfg import Item, parse_kamailio, parse_tls_cfg
from auditor.secretinfo import describe_secret

_URL_CRED_RE = re.compile(r"[a-z0-9+]+://(?P<user>[^:/@\s]+):(?P<pw>[^@\s]+)@", re.IGNORECASE)
_LISTEN_RE = re.compile(r"^(?:(?P<proto>udp|tcp|tls|sctp|ws|wss):)?(?P<addr>\[[^\]]+\]|[^:\s]+)(?::(?P<port>\d+))?")


class KamailioFacts(PlatformFacts):
    platform: Literal["kamailio"] = "kamailio"
    defines: list[str] = []

    @property
    def cfg_name(self) -> str:
        return "kamailio.cfg"


class OpenSipsFacts(KamailioFacts):
    """OpenSIPS: the same SER-family language and object kinds; TLS settings come from
    ``tls_mgm`` (or 2.x ``proto_tls``) modparams instead of a tls.cfg, so the checks' "tls.cfg"
    source is the main config."""

    platform: Literal["opensips"] = "opensips"  # type: ignore[assignment]

    @property
    def cfg_name(self) -> str:
        return "opensips.cfg"

    def source_state(self, name: str) -> tuple[str, str]:
        return super().source_state("opensips.cfg" if name in {"kamailio.cfg", "tls.cfg"} else name)


# OpenSIPS tls_mgm parameter -> the tls.cfg key the checks read
_TLS_MGM_KEYS = {"tls_method": "method", "verify_cert": "verify_certificate", "require_cert": "require_certificate",
                 "ciphers_list": "cipher_list", "ca_list": "ca_list"}
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
    return [ConfigObject.model_validate({"kind": "tls.profile", "name": name, "source": {
        "file": facts.cfg_name, "line": first_line.get(name, 1)}, "settings": settings, "secrets": {}})
        for name, settings in profiles.items()]


def _obj(kind: str, name: str, item: Item, settings: dict[str, str]) -> ConfigObject:
    secrets = {}
    clean = {}
    for key, value in settings.items():
        m = _URL_CRED_RE.search(value)
        if m:
            secrets[f"{key}.password"] = describe_secret(m.group("pw"), m.group("user"), SourceRef(file=item.file, line=item.line))
            value = redact_inline_credentials(value)
        clean[key] = [{"value": value, "file": item.file, "line": item.line}]
    return ConfigObject.model_validate({"kind": kind, "name": name, "source": {"file": item.file, "line": item.line},
                                        "settings": clean, "secrets": secrets})


def build_kamailio_facts(cfg_dir: Path, root: str = "kamailio.cfg", flavor: str = "kamailio") -> KamailioFacts:
    cfg = parse_kamailio(cfg_dir, root)
    facts = (OpenSipsFacts if flavor == "opensips" else KamailioFacts)(defines=sorted(cfg.defines))
    facts.configs[facts.cfg_name] = ConfigFileFacts(
        root=facts.cfg_name, found=cfg.found, files=cfg.files,
        problems=[ParseProblem.of(p) for p in cfg.problems])
    if cfg.found and cfg.fatal is None:
        for it in cfg.items:
            if it.kind == "global" and it.name in {"listen", "socket"}:
                m = _LISTEN_RE.match(it.value.split()[0])
                proto, addr, port = (m.group("proto") or "udp", m.group("addr"), m.group("port") or "") if m else ("", it.value, "")
                facts.objects.append(_obj("kamailio.listen", it.value, it, {"proto": proto, "address": addr.strip("[]"), "port": port}))
            elif it.kind == "global":
                facts.objects.append(_obj("kamailio.global", it.name, it, {"value": it.value}))
            elif it.kind == "loadmodule":
                facts.objects.append(_obj("kamailio.module", it.name, it, {}))
            elif it.kind == "modparam":
                facts.objects.append(_obj("kamailio.modparam", it.name, it, {"value": it.value}))
            elif it.kind == "call":
                facts.objects.append(_obj("kamailio.call", it.name, it, {"route": it.route}))
            elif it.kind == "define":
                facts.objects.append(_obj("kamailio.define", it.name, it, {"value": it.value}))
    if isinstance(facts, OpenSipsFacts):
        facts.reindex()
        facts.objects.extend(_opensips_tls_profiles(facts))
        facts.objects.sort(key=lambda o: (o.kind, o.source.file, o.source.line, o.name))
        facts.reindex()
        return facts
    # tls.cfg: where modparam("tls", "config") points, looked up beside kamailio.cfg by name.
    tls_param = next((o for o in facts.objects if o.kind == "kamailio.modparam" and o.name == "tls.config"), None)
    tls_name = Path(tls_param.get("value") or "tls.cfg").name if tls_param else "tls.cfg"
    tls_path = cfg_dir / tls_name
    problems = []
    found = tls_path.is_file()
    if found:
        profiles, problem = parse_tls_cfg(tls_path)
        if problem:
            problems.append(ParseProblem(file=problem.file, line=problem.line, message=problem.message, fatal=True))
        for prof in profiles:
            settings = {k: [{"value": v, "file": tls_name, "line": ln}] for k, (v, ln) in prof.settings.items()
                        if "password" not in k}
            start = min((ln for _, ln in prof.settings.values()), default=1)
            facts.objects.append(ConfigObject.model_validate({
                "kind": "tls.profile", "name": prof.name, "source": {"file": tls_name, "line": max(start - 1, 1)},
                "settings": settings, "secrets": {}}))
    facts.configs["tls.cfg"] = ConfigFileFacts(root="tls.cfg", found=found, files=[tls_name] if found else [],
                                               problems=problems)
    facts.objects.sort(key=lambda o: (o.kind, o.source.file, o.source.line, o.name))
    facts.reindex()
    return facts
