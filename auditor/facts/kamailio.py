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


def build_kamailio_facts(cfg_dir: Path, root: str = "kamailio.cfg") -> KamailioFacts:
    cfg = parse_kamailio(cfg_dir, root)
    facts = KamailioFacts(defines=sorted(cfg.defines))
    facts.configs["kamailio.cfg"] = ConfigFileFacts(
        root="kamailio.cfg", found=cfg.found, files=cfg.files,
        problems=[ParseProblem(file=p.file, line=p.line, message=p.message, fatal=p.fatal) for p in cfg.problems])
    if cfg.found and cfg.fatal is None:
        for it in cfg.items:
            if it.kind == "global" and it.name == "listen":
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
