"""Kamailio and OpenSIPS knowledge the adapter's views share (no I/O)."""
from __future__ import annotations

from voxaudit.facts.kamailio import KamailioFacts, OpenSipsFacts

TRUE = {"yes", "1", "true", "on"}
# OpenSIPS transport modules that speak TLS with the tls_mgm domains (SIP over TLS, SIP over WSS).
OPENSIPS_TLS_PROTOS = {"proto_tls", "proto_wss"}


def tls_enabled(facts: KamailioFacts) -> bool:
    """Kamailio: ``enable_tls=yes`` and tls.so loaded (the default config keeps both behind WITH_TLS);
    OpenSIPS: the proto_tls module, or proto_wss (SIP over secure WebSocket), both on tls_mgm domains."""
    modules = {m.name for m in facts.of_kind("kamailio.module")}
    if isinstance(facts, OpenSipsFacts):
        return bool(modules & OPENSIPS_TLS_PROTOS)
    g = facts.named("kamailio.global", "enable_tls")
    return bool(g and (g.get("value") or "").lower() in TRUE) and "tls" in modules


def kemi_routing(facts: KamailioFacts) -> str:
    """Why the route blocks read say nothing about the routing: ``cfgengine`` hands it to a KEMI script
    (Python, Lua, JavaScript...) the audit does not read; "" for the native language."""
    engine = next(iter(facts.of_kind("kamailio.cfgengine")), None)
    if engine is None:
        return ""
    script = engine.get("script") or ""
    return (f"routing is the KEMI script {script or '(not named)'} (cfgengine {engine.name}), not read by the audit; "
            "the route blocks of the configuration never run")


# Native-route functions that run a script in another language (app_python3, app_lua, app_jsdt,
# app_sqlang, app_ruby, app_perl, app_mono): what the script does is not read.
SCRIPT_CALLS = frozenset({
    "python_exec", "lua_dofile", "lua_dostring", "lua_run", "lua_runstring", "jsdt_dofile", "jsdt_dostring",
    "jsdt_run", "jsdt_runstring", "sqlang_dofile", "sqlang_dostring", "sqlang_run", "sqlang_runstring",
    "ruby_run", "perl_exec", "perl_exec_simple", "mono_exec", "mono_run",
})


def script_calls(facts: KamailioFacts) -> list[str]:
    """The script-running functions the route blocks call (sorted names)."""
    return sorted({c.name for c in facts.of_kind("kamailio.call")} & SCRIPT_CALLS)
