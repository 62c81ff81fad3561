"""Kamailio and OpenSIPS knowledge the adapter's views share (no I/O)."""
from __future__ import annotations

from typing import Optional

from voxaudit.facts.common import ConfigObject
from voxaudit.facts.kamailio import KamailioFacts, OpenSipsFacts

TRUE = {"yes", "1", "true", "on"}
# OpenSIPS transport modules that speak TLS with the tls_mgm domains (SIP over TLS, SIP over WSS).
OPENSIPS_TLS_PROTOS = {"proto_tls", "proto_wss"}


# cfg.lex: ENABLE_TLS "enable_tls"|"tls_enable", DISABLE_TLS "disable_tls"|"tls_disable"; cfg.y sets
# tls_disable = !value or value, so the last of the four lines read wins. Its YES/NO tokens.
TLS_SWITCHES = {"enable_tls": True, "tls_enable": True, "disable_tls": False, "tls_disable": False}
_CFG_YES = {"yes", "true", "on", "enable"}
_CFG_NO = {"no", "false", "off", "disable"}


def _cfg_bool(value: str) -> Optional[bool]:
    """A cfg.lex YES/NO word or a NUMBER (non-zero is true); None for anything else (cfg.y refuses it)."""
    v = value.strip().strip('"').lower()
    if v in _CFG_YES:
        return True
    if v in _CFG_NO:
        return False
    if v.isdigit():
        return int(v) != 0
    return None


def tls_switch(facts: KamailioFacts) -> Optional[ConfigObject]:
    """The global line that decides whether Kamailio's core TLS is on: the last enable_tls, tls_enable,
    disable_tls or tls_disable (cfg.y: each assignment overwrites tls_disable); None when no line sets it."""
    found = [g for g in facts.of_kind("kamailio.global") if g.name.lower() in TLS_SWITCHES]
    return found[-1] if found else None


def tls_enabled(facts: KamailioFacts) -> bool:
    """Kamailio: TLS switched on (``enable_tls=yes``, or its aliases) and tls.so loaded (the default config
    keeps both behind WITH_TLS; main.c disables TLS when no TLS module is loaded); OpenSIPS: the proto_tls
    module, or proto_wss (SIP over secure WebSocket), both on tls_mgm domains."""
    modules = {m.name for m in facts.of_kind("kamailio.module")}
    if isinstance(facts, OpenSipsFacts):
        return bool(modules & OPENSIPS_TLS_PROTOS)
    g = tls_switch(facts)
    if g is None or "tls" not in modules:
        return False
    value = _cfg_bool(g.get("value") or "")
    return bool(value is not None and value == TLS_SWITCHES[g.name.lower()])


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
