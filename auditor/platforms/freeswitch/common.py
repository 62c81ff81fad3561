"""FreeSWITCH knowledge shared by the adapter's views: values as FreeSWITCH reads them (no I/O)."""
from __future__ import annotations

import re
from typing import Optional

from voxaudit.facts.common import ConfigObject, Setting
from voxaudit.facts.freeswitch import ASSUMED_ROOT, ROOT, RUNTIME_KEY, FreeSwitchFacts
from voxaudit.model import SourceRef
from voxaudit.platforms.common import config_int

PLATFORMS = ["freeswitch"]
TLS_NAMES = {"sslv2": 0.2, "sslv3": 0.3, "tlsv1": 1.0, "tlsv1.1": 1.1, "tlsv1.2": 1.2, "tlsv1.3": 1.3}
# FreeSWITCH's built-in ACLs that let the whole Internet in (switch_core.c): no limit at all.
ALLOW_ALL_ACLS = {"any_v4.auto", "any_v6.auto", "wan.auto", "wan_v4.auto", "wan_v6.auto"}
# Core variables holding the host's own (non-loopback) address.
HOST_ADDRESS_VARIABLES = {"local_ip_v4", "local_ip_v6"}
_RUNTIME_RE = re.compile(r"\$\$\{([^}]*)\}")
_PORT = re.compile(r"\s*(\d{1,6})")


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


def _whole_internet(cidr: str) -> bool:
    """A /0 network (0.0.0.0/0, ::/0): every address of its family."""
    return cidr.strip().endswith("/0")


def acl_limits(facts: FreeSwitchFacts, name: str | None) -> bool:
    """Does an apply-*-acl value restrict anything? Not the allow-all built-ins, a /0 network, or a
    list of acl.conf that lets every address in: its default is allow, or an allow node covers a /0
    network (switch_network_list_validate_ip: the most specific node decides, so the /0 node is the
    list's real default), with no deny node."""
    v = (name or "").strip().lower()
    if not v or v in ALLOW_ALL_ACLS or v.endswith("/0"):
        return False
    lst = next((a for a in facts.of_kind("acl.list") if a.name.lower() == v), None)
    if lst is None:
        return True
    nodes = [val.split(" ", 1) + [""] for key, settings in lst.settings.items() if key.startswith("node.")
             for val in (s.value for s in settings)]
    allows_all = (lst.get("default") or "").lower() == "allow" or any(
        kind.lower() == "allow" and _whole_internet(cidr) for kind, cidr, *_ in nodes)
    return not allows_all or any(kind.lower() == "deny" for kind, *_ in nodes)


def profile_label(p: ConfigObject) -> str:
    return f"sofia profile {p.name}"


def module_loaded(facts: FreeSwitchFacts, module: str) -> Optional[bool]:
    """Does modules.conf.xml load ``module``? None when modules.conf.xml was not collected (a module
    whose configuration is present may or may not run: unknown, never "not loaded")."""
    if not facts.has_config("modules.conf.xml"):
        return None
    return any(m.name == module for m in facts.of_kind("modules.load"))


def root_assumed(facts: FreeSwitchFacts) -> bool:
    """The tree has no freeswitch.xml and was read as the packaged one includes it: a configuration
    missing from the tree may be the package's own file on the host (an overlay tree)."""
    root = facts.configs.get(ROOT)
    return root is not None and any(p.file == ASSUMED_ROOT for p in root.problems)


def loaded_unconfigured(facts: FreeSwitchFacts, module: str, kind: str) -> Optional[ConfigObject]:
    """The modules.conf.xml line loading ``module`` when no object of ``kind`` (its configuration) was
    read: the module then runs on its built-in defaults (switch_xml_open_cfg() failed, it goes on)."""
    if facts.first(kind) is not None or not module_loaded(facts, module):
        return None
    return next((m for m in facts.of_kind("modules.load") if m.name == module), None)


def websocket_binding(p: ConfigObject, key: str) -> tuple[str, str] | None:
    """sofia.c ``ws-binding`` / ``wss-binding`` "[host]:port": a SIP-over-WebSocket listener on ``host``
    (sip-ip when empty) unless the port (atol() of what follows the last colon) is 0. (value, host)."""
    value = (p.get(key) or "").strip()
    host, sep, port = value.rpartition(":")
    m = _PORT.match(port)
    if not sep or m is None or int(m.group(1)) == 0:
        return None
    return value, host.strip().strip("[]") or (p.get("sip-ip") or "")


def unconfigured_reason(facts: FreeSwitchFacts, module: str, part: str) -> str | None:
    """Why a loaded module's missing configuration cannot be taken as its built-in defaults: the tree is an
    overlay of the packaged one (no freeswitch.xml), or the part has a gap (served at run time, unread)."""
    missing = f"{module} is loaded and {part} is not in the files"
    if root_assumed(facts):
        return f"{missing} (no freeswitch.xml either: an overlay of the packaged tree, whose own file applies); " \
               "not assessed"
    cf = facts.configs.get(part)
    if cf is not None and any(p.is_gap for p in cf.problems):
        return f"{missing}, and what FreeSWITCH reads for it is not fully known (see the warnings); not assessed"
    return None
