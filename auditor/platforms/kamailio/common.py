"""Kamailio and OpenSIPS knowledge the adapter's views share (no I/O)."""
from __future__ import annotations

from voxaudit.facts.kamailio import KamailioFacts, OpenSipsFacts

TRUE = {"yes", "1", "true", "on"}


def tls_enabled(facts: KamailioFacts) -> bool:
    """Kamailio: ``enable_tls=yes`` and tls.so loaded (the default config keeps both behind WITH_TLS);
    OpenSIPS: the proto_tls module (with tls_mgm domains)."""
    modules = {m.name for m in facts.of_kind("kamailio.module")}
    if isinstance(facts, OpenSipsFacts):
        return "proto_tls" in modules
    g = facts.named("kamailio.global", "enable_tls")
    return bool(g and (g.get("value") or "").lower() in TRUE) and "tls" in modules
