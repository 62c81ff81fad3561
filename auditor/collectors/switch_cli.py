"""Switch CLI collector (netmiko): ``show running-config`` into the offline switch parser, plus
the operational switchport state parsed by ntc-templates (TextFSM).

Only ``show`` commands are sent (and ``enable`` when an enable secret is given); the config is
never changed. Host keys are verified against known_hosts unless the user chose TOFU.
"""
from __future__ import annotations

import shutil
import socket
import tempfile
from pathlib import Path
from typing import Callable, Optional

from voxaudit.collectors.offline import CollectionError
from voxaudit.credentials import CredentialError, key_path, resolve
from voxaudit.extras import require_for_target
from voxaudit.targets import CliSource

SHOW_COMMANDS = {  # device_type -> (running config, switchport state or None)
    "cisco_ios": ("show running-config", "show interfaces switchport"),
    "cisco_xe": ("show running-config", "show interfaces switchport"),
    "arista_eos": ("show running-config", "show interfaces switchport"),
    "hp_procurve": ("show running-config", None),
    "aruba_procurve": ("show running-config", None),
}


def _connect(spec: CliSource):
    # ntc_templates: netmiko's TextFSM templates, read for `show interfaces switchport` (use_textfsm)
    require_for_target("a switch CLI target", "netmiko", "paramiko", "ntc_templates")
    from netmiko import ConnectHandler
    from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException
    from paramiko.ssh_exception import SSHException

    try:
        password = resolve(spec.password, spec.base).reveal() if spec.password else None
        secret = resolve(spec.enable_secret, spec.base).reveal() if spec.enable_secret else ""
        key_file = key_path(spec.key, spec.base) if spec.key else None
    except CredentialError as exc:
        raise CollectionError("auth", str(exc)) from None
    if spec.known_hosts is None and not spec.trust_on_first_use:
        known: Optional[Path] = Path.home() / ".ssh" / "known_hosts"
    else:
        known = Path(spec.known_hosts) if spec.known_hosts else None
    params = dict(device_type=spec.device_type, host=spec.address, port=spec.port, username=spec.username,
                  password=password, secret=secret, use_keys=bool(key_file), key_file=str(key_file) if key_file else None,
                  allow_agent=False, timeout=spec.timeout, conn_timeout=spec.timeout, banner_timeout=spec.timeout,
                  auth_timeout=spec.timeout, fast_cli=False,
                  ssh_strict=not spec.trust_on_first_use, system_host_keys=False,
                  alt_host_keys=bool(known and known.exists()), alt_key_file=str(known) if known else "")
    try:
        conn = ConnectHandler(**params)
    except NetmikoAuthenticationException:
        raise CollectionError("auth", f"{spec.display}: authentication failed for user {spec.username}") from None
    except (NetmikoTimeoutException, SSHException) as exc:
        # netmiko reports a rejected host key as a "timeout"; tell the user what really happened
        if "known_hosts" in str(exc) or "host key" in str(exc).lower():
            raise CollectionError("auth", f"{spec.display}: host key unknown or changed; add it to known_hosts "
                                          "or set trust_on_first_use for this target") from None
        if isinstance(exc, NetmikoTimeoutException):
            raise CollectionError("timeout", f"{spec.display}: no answer within {spec.timeout:g} s") from None
        raise CollectionError("connectivity", f"{spec.display}: SSH error ({exc.__class__.__name__})") from None
    except (socket.error, OSError) as exc:
        raise CollectionError("connectivity", f"{spec.display}: {getattr(exc, 'strerror', None) or exc}") from None
    if secret:
        try:
            conn.enable()
        except Exception as exc:  # noqa: BLE001 - netmiko raises ValueError/ReadTimeout; the message may quote the device
            conn.disconnect()
            raise CollectionError("auth", f"{spec.display}: enable refused with the enable_secret given "
                                          f"({exc.__class__.__name__})") from None
    elif spec.device_type.startswith("cisco") and not conn.check_enable_mode():
        try:
            conn.enable()  # many devices give privilege 15 at login or enable without a secret
        except Exception:
            pass
    return conn


def _send(conn, spec: CliSource, command: str, **kw):
    """One show command; a failure of the session is a CollectionError naming the command and the
    exception's class only (netmiko's messages quote the device's output)."""
    try:
        return conn.send_command(command, read_timeout=spec.timeout * 4, **kw)
    except (socket.timeout, TimeoutError):
        raise
    except Exception as exc:  # noqa: BLE001 - netmiko's ReadTimeout is no TimeoutError; paramiko's
        # SSHException or an EOFError is a dropped session; TextFSM raises its own on odd output
        kind = "timeout" if "Timeout" in exc.__class__.__name__ else "connectivity"
        raise CollectionError(kind, f"{spec.display}: '{command}' failed ({exc.__class__.__name__})") from None


def collect_switch_cli(spec: CliSource, name: str, progress: Optional[Callable[[str], None]] = None):
    """Running-config through the same parser as a saved copy, with operational modes added."""
    from voxaudit.facts.switches import build_switch_facts

    run_cmd, switchport_cmd = SHOW_COMMANDS.get(spec.device_type, ("show running-config", None))
    conn = _connect(spec)
    workdir = Path(tempfile.mkdtemp(prefix="voxaudit-cli-"))
    try:
        if progress:
            progress(f"{run_cmd} on {spec.address}")
        config = _send(conn, spec, run_cmd)
        if "Invalid input" in config[:200] or "% " in config[:3]:
            raise CollectionError("auth", f"{spec.display}: '{run_cmd}' refused (needs enable? give enable_secret)")
        states = []
        if switchport_cmd:
            if progress:
                progress(f"{switchport_cmd} on {spec.address}")
            parsed = _send(conn, spec, switchport_cmd, use_textfsm=True)
            states = parsed if isinstance(parsed, list) else []
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name) or "switch"
        (workdir / f"{safe}.cfg").write_text(config.replace("\r\n", "\n").strip("\n") + "\n")
        facts = build_switch_facts(workdir / f"{safe}.cfg")
        _add_operational_modes(facts, states)
        return facts
    except (socket.timeout, TimeoutError) as exc:
        raise CollectionError("timeout", f"{spec.display}: command timed out ({exc.__class__.__name__})") from None
    finally:
        conn.disconnect()
        shutil.rmtree(workdir, ignore_errors=True)


def _short(ifname: str) -> str:
    """GigabitEthernet1/0/1 and Gi1/0/1 compare equal."""
    import re
    m = re.match(r"([A-Za-z]+?)(\d.*)$", ifname)
    return f"{m.group(1)[:2].lower()}{m.group(2)}" if m else ifname.lower()


def _add_operational_modes(facts, states: list[dict]) -> None:
    from voxaudit.facts.common import Setting
    by_name = {_short(s.get("interface", "")): s for s in states}
    for port in facts.of_kind("switch.port"):
        state = by_name.get(_short(port.get("interface") or ""))
        if state and state.get("mode"):
            port.settings["oper_mode"] = [Setting(value=str(state["mode"]), file=port.source.file, line=0)]
