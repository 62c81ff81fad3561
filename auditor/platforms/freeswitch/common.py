"""FreeSWITCH knowledge shared by the adapter's views: values as FreeSWITCH reads them (no I/O)."""
from __future__ import annotations

import re
from typing import Optional

from voxaudit.facts.common import ConfigObject, Setting
from voxaudit.facts.freeswitch import RUNTIME_KEY, FreeSwitchFacts
from voxaudit.model import SourceRef
from voxaudit.platforms.common import config_int

PLATFORMS = ["freeswitch"]
TLS_NAMES = {"sslv2": 0.2, "sslv3": 0.3, "tlsv1": 1.0, "tlsv1.1": 1.1, "tlsv1.2": 1.2, "tlsv1.3": 1.3}
# FreeSWITCH's built-in ACLs that let the whole Internet in (switch_core.c): no limit at all.
ALLOW_ALL_ACLS = {"any_v4.auto", "any_v6.auto", "wan.auto", "wan_v4.auto", "wan_v6.auto"}
# Core variables holding the host's own (non-loopback) address.
HOST_ADDRESS_VARIABLES = {"local_ip_v4", "local_ip_v6"}
_RUNTIME_RE = re.compile(r"\$\$\{([^}]*)\}")


def fs_true(value: str | None) -> bool:
    """switch_true(): yes, on, true, t, enabled, active, allow and non-zero numbers."""
    v = (value or "").strip().lower()
    if v in {"yes", "on", "true", "t", "enabled", "active", "allow"}:
        return True
    number = config_int(v)
    return number is not None and number != 0


def unresolved(value: str | None) -> bool:
    return value is not None and "$${" in value


def runtime_var(value: str | None) -> str | None:
    """The variable a value takes from the running host (exec-set, env-set, stun-set, a core variable)."""
    m = _RUNTIME_RE.search(value or "")
    return m.group(1) if m else None


def runtime_secret(obj: ConfigObject, key: str) -> Setting | None:
    """Where ``key`` (a secret) gets a value that exists only on the running host, if it does."""
    return next((s for s in obj.settings.get(RUNTIME_KEY, []) if s.value == key), None)


def runtime_reason(obj: ConfigObject, *keys: str) -> tuple[str, SourceRef] | None:
    """Why a deciding setting or secret cannot be judged from the files (it is only known on the running
    host), and where; None when every key is in the files."""
    for key in keys:
        hidden = runtime_secret(obj, key)
        if hidden is not None:
            return (f"{key} is set on the running host (exec-set, env-set, a core variable) "
                    "or by a deployment template; not assessed", hidden.source)
        var = runtime_var(obj.get(key))
        if var is not None:
            return f"{key} is $${{{var}}}, known only on the running host; not assessed", obj.location(key)
    return None


def acl_limits(facts: FreeSwitchFacts, name: str | None) -> bool:
    """Does an apply-*-acl value restrict anything? Not the allow-all built-ins, a /0 network, or a
    list of acl.conf whose default is allow with no deny node."""
    v = (name or "").strip().lower()
    if not v or v in ALLOW_ALL_ACLS or v.endswith("/0"):
        return False
    lst = next((a for a in facts.of_kind("acl.list") if a.name.lower() == v), None)
    if lst is not None and (lst.get("default") or "").lower() == "allow":
        nodes = [val for key, settings in lst.settings.items() if key.startswith("node.") for val in
                 (s.value for s in settings)]
        return any(n.split(" ", 1)[0].lower() == "deny" for n in nodes)
    return True


def profile_label(p: ConfigObject) -> str:
    return f"sofia profile {p.name}"


def module_loaded(facts: FreeSwitchFacts, module: str) -> Optional[bool]:
    """Does modules.conf.xml load ``module``? None when modules.conf.xml was not collected (a module
    whose configuration is present may or may not run: unknown, never "not loaded")."""
    if not facts.has_config("modules.conf.xml"):
        return None
    return any(m.name == module for m in facts.of_kind("modules.load"))
