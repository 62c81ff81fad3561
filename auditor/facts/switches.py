"""Switch facts, normalised across Cisco IOS/IOS-XE, Arista EOS and Aruba AOS-S.

Each running-config gives one ``switch.device`` (management plane, LLDP/CDP, logging), a
``switch.vlan`` per VLAN (voice flag, routed interface and its ACLs), a ``switch.port`` per
layer-2 port (mode, access/untagged VLAN, voice VLAN, native VLAN, DTP) and one
``switch.snmp`` per community or SNMPv3 group. Community strings are kept only as
:class:`SecretInfo` shapes. Vendor defaults that the running-config omits are filled in
and marked ``<setting>.default = yes`` so evidence can say "by default".
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from voxaudit.facts.common import ConfigObject, PerFileFacts, files_under
from voxaudit.model import SourceRef
from voxaudit.parsers.files import foreign_files
from voxaudit.parsers.problem import Problem, label
from voxaudit.parsers.switch_config import Block, SwitchConfig, parse_switch_config, sniff_dialect
from voxaudit.secretinfo import describe_secret

SWITCH_SUFFIXES = {".cfg", ".conf", ".txt", ".config", ".run", ".ios", ".eos"}

Values = dict[str, list[tuple[str, int]]]


class SwitchFacts(PerFileFacts, tag="switch", kw_only=True):
    """``configs`` has one entry per running-config; the fact source is "running-config"."""

    platform: ClassVar[str] = "switch"
    file_source: ClassVar[str] = "running-config"
    file_label: ClassVar[str] = "switch"


class _Obj:
    """Collects settings (value, line) for one object of one file."""

    def __init__(self, kind: str, name: str, display: str, line: int) -> None:
        self.kind, self.name, self.display, self.line = kind, name, display, line
        self.values: Values = {}
        self.secrets: dict = {}

    def set(self, key: str, value: object, line: int, default: bool = False) -> None:
        """``key`` = ``value``; a value the file states replaces a default set before it, and its
        "by default" marker with it (``lldp run`` after the Catalyst's default of off was reported
        as "LLDP on (by default)")."""
        self.values[key] = [(str(value), line)]
        if default:
            self.values[f"{key}.default"] = [("yes", line)]
        else:
            self.values.pop(f"{key}.default", None)

    def add(self, key: str, value: object, line: int) -> None:
        self.values.setdefault(key, []).append((str(value), line))

    def has(self, key: str) -> bool:
        return key in self.values

    def last(self, key: str, default: str = "none") -> str:
        vals = self.values.get(key)
        return vals[-1][0] if vals else default

    def build(self) -> ConfigObject:
        return ConfigObject.of({
            "kind": self.kind, "name": self.name, "source": {"file": self.display, "line": self.line},
            "settings": {k: [{"value": v, "file": self.display, "line": ln} for v, ln in vals]
                         for k, vals in self.values.items()},
            "secrets": self.secrets})


# A port name: an optional prefix ("1/" stack member, module letters) and a number of at most 5 digits.
_PORT_RE = re.compile(r"((?:\d{1,3}/)?[A-Za-z]{0,8})(\d{1,5})")
_PORT_NAME_RE = re.compile(r"(?:\d{1,3}/)?(?:[A-Za-z]{0,8}\d{1,5}|Trk\d{1,3})")
# What a vty line may show: only these words are kept as evidence (any other text may be anything).
_TRANSPORTS = {"ssh", "telnet", "all", "none", "rlogin", "pad", "udptn", "lat", "mop", "v120", "lapb-ta"}
_VTY_RANGE = re.compile(r"\d{1,3}")
# Port commands read below, each with the shape the reader understands. A line of one of them in any other shape
# (a template placeholder "switchport access vlan {{ data_vlan }}", "switchport mode private-vlan host",
# "switchport mode dot1q-tunnel") is a gap: before, the port silently took the default (access VLAN 1, "dynamic
# auto"), so a phone port whose data VLAN was unknown passed as "data VLAN 1 (by default), voice VLAN 20 tagged".
_PORT_COMMANDS = (
    ("switchport access vlan", re.compile(r"switchport access vlan \d+")),
    ("switchport mode", re.compile(r"switchport mode (?:access|trunk|dynamic auto|dynamic desirable|trunk phone)")),
    ("switchport trunk native vlan", re.compile(r"switchport trunk native vlan \d+")),
)
MAX_LISTED_GAPS = 100  # unread interface blocks named one by one in the warnings of one file
MAX_EXPANDED = 4096  # ports or VLANs one list may name; a switch has at most a few hundred ports
# Ports and VLANs all the lists of one file may name together: 4094 VLANs each tagged on 32 ports
# (a core switch's trunks) is ~131k. Past it the file is refused: each list may expand to MAX_EXPANDED items, so a
# few hundred KB of repeated ``vlan 1-4094`` lines would otherwise cost minutes (not linear in size).
MAX_EXPANDED_TOTAL = 200_000


class _TooManyExpanded(Exception):
    """The file's VLAN and port lists name more than MAX_EXPANDED_TOTAL items: the file is refused."""


def expand_ports(spec: str) -> list[str]:
    """AOS-S port lists: '1-4,A1,B3-B5,Trk1' -> ['1','2','3','4','A1','B3','B4','B5','Trk1'].
    Each range is split on '-' and each end matched with a bounded pattern (the former single
    regex backtracked quadratically on a long run of digits)."""
    out: list[str] = []
    for part in spec.replace(" ", "").split(","):
        lo, dash, hi = part.partition("-")
        a, b = _PORT_RE.fullmatch(lo), _PORT_RE.fullmatch(hi) if dash else None
        if a and b and b.group(1) in ("", a.group(1)) and 0 <= int(b.group(2)) - int(a.group(2)) < 1024:
            out.extend(f"{a.group(1)}{n}" for n in range(int(a.group(2)), int(b.group(2)) + 1))
        elif part:
            out.append(part)
        if len(out) > MAX_EXPANDED:
            break
    return out[:MAX_EXPANDED]


def _words(text: str, allowed: set[str] | re.Pattern) -> str:
    """``text`` with every word that is not an allowed keyword shown as ``?``."""
    ok = (lambda w: w in allowed) if isinstance(allowed, set) else (lambda w: bool(allowed.fullmatch(w)))
    return " ".join(w if ok(w.lower()) else "?" for w in text.split()[:16])


def expand_vlans(spec: str) -> list[int]:
    """'10,20-22' -> [10, 20, 21, 22]; 'all' and 'none' give []. VLAN ids have at most 4 digits."""
    out: list[int] = []
    for part in spec.replace(" ", "").split(","):
        if re.fullmatch(r"\d{1,4}-\d{1,4}", part):
            a, b = (int(x) for x in part.split("-"))
            out.extend(range(a, min(b, 4094) + 1))
        elif re.fullmatch(r"\d{1,4}", part):
            out.append(int(part))
        if len(out) > MAX_EXPANDED:
            break
    return out[:MAX_EXPANDED]


# An interface name as a running-config prints it ("GigabitEthernet1/0/1", "Port-channel1", "Ethernet1/2.100"),
# or as typed with a space before the number; a range ("1/0/21-22") is no single interface.
_IF_NAME_RE = re.compile(r"[A-Za-z][A-Za-z-]{0,40} ?\d[\d/.:-]{0,31}|[A-Za-z][A-Za-z-]{0,40}\d?")
_IF_RANGE_RE = re.compile(r"\d-\d")
# Interface commands IOS accepts only on a routed (layer-3) interface: a switchport prints none of them.
_L3_ONLY_RE = re.compile(r"^(?:ip address (?:\d|dhcp)|(?:ip )?vrf forwarding \S|(?:no )?ip route-cache\b"
                         r"|no ip mroute-cache$|encapsulation dot1q \d)", re.IGNORECASE)
# The Catalyst's out-of-band Ethernet management port (2960/3560/3750 FastEthernet0, 3850/9300
# GigabitEthernet0/0 in Mgmt-vrf): always routed, never a switchport, even when unconfigured.
_MGMT_PORT_RE = re.compile(r"(?i)FastEthernet0|GigabitEthernet0/0")


def _routed_ios_port(ifname: str, b: Block) -> bool:
    """A Catalyst interface that is routed, not a layer-2 port: no ``switchport`` line and a layer-3-only
    command, or the out-of-band management port with ``no ip address``. Read as a switchport it was a
    "dynamic auto" port that negotiates trunks (IOS prints neither ``switchport mode`` nor DTP on it)."""
    if any(text.startswith("switchport") for text, _ in b.children):
        return False
    if any(_L3_ONLY_RE.match(text) for text, _ in b.children):
        return True
    return bool(_MGMT_PORT_RE.fullmatch(ifname)) and b.child(r"^no ip address$") is not None


def _snmp_community(display: str, name: str, value: str, line: int, access: str, version: str) -> _Obj:
    obj = _Obj("switch.snmp", name, display, line)
    obj.set("version", version, line)
    obj.set("access", access, line)
    obj.secrets["community"] = describe_secret(value, "", SourceRef(file=display, line=line))
    return obj


class _Builder:
    def __init__(self, display: str, cfg: SwitchConfig) -> None:
        self.display, self.cfg = display, cfg
        self.device = _Obj("switch.device", display, display, 1)
        self.vlans: dict[int, _Obj] = {}
        self.ports: dict[str, _Obj] = {}
        self.snmp: list[_Obj] = []
        self.problems: list[Problem] = []  # lines present but not understood (gaps)
        self.budget = MAX_EXPANDED_TOTAL  # list items this file may still expand to

    def spend(self, items: list, line: int) -> list:
        """``items`` (one expanded VLAN or port list), counted against the file's budget."""
        self.budget -= len(items)
        if self.budget < 0:
            raise _TooManyExpanded(line)
        return items

    def vlan(self, vid: int, line: int) -> _Obj:
        if vid not in self.vlans:
            self.vlans[vid] = _Obj("switch.vlan", f"{self.display} vlan {vid}", self.display, line)
            self.vlans[vid].set("id", vid, line)
        return self.vlans[vid]

    def objects(self) -> list[ConfigObject]:
        return [o.build() for o in [self.device, *self.vlans.values(), *self.ports.values(), *self.snmp]]

    # -- Cisco IOS / IOS-XE and Arista EOS ---------------------------------------------------
    def ios(self) -> None:
        cfg, dev = self.cfg, self.device
        eos = cfg.dialect == "eos"
        dev.set("flavor", "eos" if eos else "ios", 1)
        for m, b in cfg.top(r"^hostname (\S+)"):
            dev.set("hostname", m.group(1), b.line)
        dev.set("lldp", "off", 1, default=True)  # off by default on Catalyst; on by default on EOS
        if eos:
            dev.set("lldp", "on", 1, default=True)
        for m, b in cfg.top(r"^(no )?lldp run$"):
            dev.set("lldp", "off" if m.group(1) else "on", b.line)
        dev.set("cdp", "off" if eos else "on", 1, default=True)
        for m, b in cfg.top(r"^(no )?cdp run$"):
            dev.set("cdp", "off" if m.group(1) else "on", b.line)
        for m, b in cfg.top(r"^(no )?ip routing$"):
            dev.set("ip_routing", "off" if m.group(1) else "on", b.line)
        if not dev.has("ip_routing"):
            dev.set("ip_routing", "off", 1, default=True)
        # Bounded: an IPv4 address, an IPv6 address (at most 39 characters) or a host name (at most
        # 253); the former unbounded ``[0-9a-fA-F:]+:[0-9a-fA-F:]*`` was quadratic on a long run of ':'.
        for m, b in cfg.top(r"^logging (?:host )?(?:vrf \S{1,64} )?(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"
                            r"|[0-9a-fA-F:]{1,39}:[0-9a-fA-F:]{0,39}|[A-Za-z][\w.-]{0,252}\.[A-Za-z]{2,63})\b"):
            dev.add("logging_host", m.group(1), b.line)
        for m, b in cfg.top(r"^(no )?ip http server$"):
            dev.set("http_plain", "off" if m.group(1) else "on", b.line)
        for m, b in cfg.top(r"^line vty (.+)$"):
            t = b.child(r"^transport input (.+)$")
            dev.add("vty", f"{_words(m.group(1), _VTY_RANGE)}: {_words(t[0].group(1), _TRANSPORTS) if t else '(release default)'}",
                    t[1] if t else b.line)
        if eos:
            for _m, b in cfg.top(r"^management telnet$"):
                if not b.child(r"^shutdown$"):
                    dev.add("vty", "telnet: enabled", b.line)
            self._eos_idle_timeout()
        else:
            self._ios_exec_timeouts()
        self._ios_vlans(eos)
        self._ios_ports(eos)
        self._ios_snmp()

    def _ios_exec_timeouts(self) -> None:
        """``exec_timeout`` per terminal line: "<line>=<minutes> <seconds>", "<line>=default" (IOS prints
        nothing for its default of 10 minutes) or "<line>=no exec" (the line starts no EXEC session)."""
        for m, b in self.cfg.top(r"^line (con|console|vty|aux) (\d{1,4})(?: (\d{1,4}))?$"):
            name = " ".join(g for g in m.groups() if g)
            if (no_exec := b.child(r"^no exec$")) is not None:
                self.device.add("exec_timeout", f"{name}=no exec", no_exec[1])
                continue
            t = b.child(r"^exec-timeout (\d{1,9})(?: (\d{1,9}))?$")
            odd = [ln for text, ln in b.children if text.startswith("exec-timeout") and not re.fullmatch(
                r"exec-timeout \d{1,9}(?: \d{1,9})?", text)]
            if odd:
                self.problems.append(Problem(self.display, odd[-1], f"line {name}: exec-timeout not understood", False))
            if t is None:
                self.device.add("exec_timeout", f"{name}=default", b.line)
            else:
                self.device.add("exec_timeout", f"{name}={t[0].group(1)} {t[0].group(2) or '0'}", t[1])

    def _eos_idle_timeout(self) -> None:
        """``ssh_idle_timeout``: EOS ``management ssh`` / ``idle-timeout <minutes>`` (0: none), "off" when
        SSH is shut down, "default" when not configured."""
        found = False
        for _m, b in self.cfg.top(r"^management ssh$"):
            found = True
            off = b.child(r"^shutdown$")
            if off is not None and not b.child(r"^vrf \S"):  # a VRF sub-block may run SSH on its own
                self.device.set("ssh_idle_timeout", "off", off[1])
                continue
            t = b.child(r"^idle-timeout (\d{1,9})$")
            odd = [ln for text, ln in b.children if text.startswith("idle-timeout") and not re.fullmatch(
                r"idle-timeout \d{1,9}", text)]
            if odd:
                self.problems.append(Problem(self.display, odd[-1], "management ssh: idle-timeout not understood",
                                             False))
            if t is not None:
                self.device.set("ssh_idle_timeout", t[0].group(1), t[1])
            else:
                self.device.set("ssh_idle_timeout", "default", b.line, default=True)
        if not found:
            self.device.set("ssh_idle_timeout", "default", 1, default=True)

    def _ios_vlans(self, eos: bool) -> None:
        for m, b in self.cfg.top(r"^vlan ([\d,\- ]+)$"):
            name = b.child(r"^name (.+)$")
            for vid in self.spend(expand_vlans(m.group(1)), b.line):
                v = self.vlan(vid, b.line)
                if name:
                    v.set("name", name[0].group(1).strip('"'), name[1])
        for m, b in self.cfg.top(r"^vlan filter (\S+) vlan-list (.+)$"):  # VACL
            for vid in self.spend(expand_vlans(m.group(2)), b.line):
                self.vlan(vid, b.line).add("acl", f"vlan access-map {m.group(1)}", b.line)
        for m, b in self.cfg.top(r"^interface [Vv]lan ?(\d{1,4})$"):
            v = self.vlan(int(m.group(1)), b.line)
            if b.child(r"^shutdown$"):
                continue
            ip = b.child(r"^ip address (\S+)")
            if ip and ip[0].group(1) != "dhcp":
                v.set("routed", "yes", ip[1])
            for am, line in b.all(r"^ip access-group (\S+) (in|out)$"):
                v.add("acl", f"ip access-group {am.group(1)} {am.group(2)}", line)

    def _interfaces(self) -> list[tuple[str, Block]]:
        """Every ``interface`` block with its name as IOS/EOS read it: ``interface GigabitEthernet 1/0/1``
        (a pasted script's spelling, which the CLI accepts) is ``GigabitEthernet1/0/1``. A block the
        switch would not take as one interface (``interface range ...``, a name holding a range such as
        ``Gi1/0/21-22``: a hand-written script, not ``show running-config``) is a gap, never silence:
        the settings in it apply to ports this reader cannot name."""
        out: list[tuple[str, Block]] = []
        unread = 0
        for m, b in self.cfg.top(r"^interface (\S.*)$"):
            words = m.group(1).split()
            if len(words) > 1 and words[-1].lower() in ("point-to-point", "multipoint"):  # a subinterface's type
                words = words[:-1]
            named = _IF_NAME_RE.fullmatch(" ".join(words[:2])) if len(words) <= 2 else None
            ifname = "".join(words[:2]) if named else ""
            if not ifname or _IF_RANGE_RE.search(ifname):
                unread += 1
                if unread <= MAX_LISTED_GAPS:  # each is a warning; past the cap one line says how many more
                    what = "interface range" if words[0].lower() == "range" else f"interface {label(ifname or words[0])}"
                    self.problems.append(Problem(self.display, b.line, f"{what}: not one interface (a range or a "
                                                                       "name the switch does not accept); its "
                                                                       "settings are not read", False))
                continue
            out.append((ifname, b))
        if unread > MAX_LISTED_GAPS:
            self.problems.append(Problem(self.display, 0, f"{unread - MAX_LISTED_GAPS} more interface blocks that "
                                                          "are not one interface; their settings are not read", False))
        return out

    def _ios_ports(self, eos: bool) -> None:
        for ifname, b in self._interfaces():
            if re.match(r"(?i)^(vlan|loopback|tunnel|port-channel\d+\.|mgmt|management|null|bdi)", ifname):
                continue
            if b.child(r"^no switchport$") or (eos and not b.child(r"^switchport")) and b.child(r"^ip address "):
                continue
            if not eos and _routed_ios_port(ifname, b):
                continue
            p = _Obj("switch.port", f"{self.display} {ifname}", self.display, b.line)
            p.set("interface", ifname, b.line)
            self._odd_port_commands(ifname, b)
            if b.child(r"^shutdown$"):
                p.set("shutdown", "yes", b.child(r"^shutdown$")[1])
            desc = b.child(r"^description (.+)$")
            if desc:
                p.set("description", desc[0].group(1), desc[1])
            mode = b.child(r"^switchport mode (access|trunk|dynamic auto|dynamic desirable|trunk phone)$")
            if mode:
                p.set("mode", mode[0].group(1).replace("trunk phone", "access"), mode[1])
            elif eos:
                p.set("mode", "access", b.line, default=True)  # EOS has no DTP; access is the default
            else:
                p.set("mode", "dynamic auto", b.line, default=True)  # Catalyst default
            access = b.child(r"^switchport access vlan (\d+)$")
            p.set("access_vlan", access[0].group(1) if access else "1", access[1] if access else b.line, default=not access)
            voice = b.child(r"^switchport (?:voice|phone) vlan (\S+)$")
            if voice:
                v = voice[0].group(1)
                known = re.fullmatch(r"\d{1,4}|dot1p|untagged|none", v)
                p.set("voice_vlan", v if known else "unrecognised", voice[1])
                if not known:  # a switch prints none other: present, not understood (the value is not named)
                    self.problems.append(Problem(self.display, voice[1], f"interface {label(ifname)}: voice vlan not "
                                                                         "understood", False))
            native = b.child(r"^switchport trunk native vlan (\d+)$")
            p.set("native_vlan", native[0].group(1) if native else "1", native[1] if native else b.line, default=not native)
            allowed = b.child(r"^switchport trunk allowed vlan (?:add )?(.+)$")
            if allowed:
                p.set("trunk_allowed", allowed[0].group(1), allowed[1])
            nonego = b.child(r"^switchport nonegotiate$")
            if nonego:
                p.set("dtp", "off", nonego[1])
            elif eos:
                p.set("dtp", "unsupported", b.line, default=True)
            else:
                p.set("dtp", "on", b.line, default=True)
            policy = b.child(r"^network-policy (\d+)$")
            if policy:
                p.set("network_policy", policy[0].group(1), policy[1])
            tx = b.child(r"^(no )?lldp transmit$")
            if tx and tx[0].group(1):
                p.set("lldp_transmit", "off", tx[1])
            self.ports[ifname] = p

    def _odd_port_commands(self, ifname: str, b: Block) -> None:
        """A gap for each port command present in a shape not understood (named, never its value)."""
        for text, line in b.children:
            for command, shape in _PORT_COMMANDS:
                if text.startswith(command + " ") and not shape.fullmatch(text):
                    self.problems.append(Problem(self.display, line, f"interface {label(ifname)}: '{command}' not "
                                                                     "understood; the port is not judged on it", False))

    def _ios_snmp(self) -> None:
        for n, (m, b) in enumerate(self.cfg.top(r"^snmp-server community (\S+)(.*)$"), start=1):
            rest = m.group(2).lower().split()
            access = "rw" if "rw" in rest else "ro"
            acl = [w for w in rest if w not in {"ro", "rw", "view"} and not w.startswith("ipv6")]
            obj = _snmp_community(self.display, f"{self.display} snmp community #{n}", m.group(1), b.line, access, "v1/v2c")
            if acl and not (len(rest) >= 2 and rest[0] == "view" and len(rest) == 2):
                obj.set("acl", acl[-1], b.line)
            self.snmp.append(obj)
        for m, b in self.cfg.top(r"^snmp-server group (\S+) (v1|v2c|v3)(?: (auth|noauth|priv))?"):
            if m.group(2) == "v3":
                obj = _Obj("switch.snmp", f"{self.display} snmp group {m.group(1)}", self.display, b.line)
                obj.set("version", "v3", b.line)
                obj.set("security_level", m.group(3) or "noauth", b.line)
                self.snmp.append(obj)

    # -- Aruba AOS-S (ProCurve) --------------------------------------------------------------
    def aos_s(self) -> None:
        cfg, dev = self.cfg, self.device
        dev.set("flavor", "aos-s", 1)
        for m, b in cfg.top(r"^hostname \"?([^\"]+)\"?$"):
            dev.set("hostname", m.group(1), b.line)
        dev.set("lldp", "on", 1, default=True)
        for m, b in cfg.top(r"^(no )?lldp run$"):
            dev.set("lldp", "off" if m.group(1) else "on", b.line)
        dev.set("ip_routing", "off", 1, default=True)
        for m, b in cfg.top(r"^(no )?ip routing$"):
            dev.set("ip_routing", "off" if m.group(1) else "on", b.line)
        for m, b in cfg.top(r"^logging (\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9a-fA-F:]{1,39}:[0-9a-fA-F:]{0,39})"):
            dev.add("logging_host", m.group(1), b.line)
        telnet = cfg.top(r"^no telnet-server$")
        dev.add("vty", "telnet: disabled" if telnet else "telnet: enabled", telnet[-1][1].line if telnet else 1)
        plain = cfg.top(r"^no web-management plaintext$") or cfg.top(r"^no web-management$")
        dev.set("http_plain", "off" if plain else "on", plain[-1][1].line if plain else 1, default=not plain)
        names: dict[str, str] = {}
        disabled: dict[str, int] = {}
        for m, b in cfg.top(r"^interface (\S+)$"):
            nm = b.child(r"^name \"?([^\"]*)\"?$")
            if nm:
                names[m.group(1)] = nm[0].group(1)
            if b.child(r"^disable$"):
                disabled[m.group(1)] = b.child(r"^disable$")[1]
        for m, b in cfg.top(r"^vlan (\d{1,4})$"):
            vid = int(m.group(1))
            v = self.vlan(vid, b.line)
            if (nm := b.child(r"^name \"?([^\"]*)\"?$")):
                v.set("name", nm[0].group(1), nm[1])
            if (voice := b.child(r"^voice$")):
                v.set("voice", "yes", voice[1])
            ip = b.child(r"^ip address (\S+)")
            if ip and ip[0].group(1) not in {"dhcp-bootp"}:
                v.set("routed", "yes", ip[1])
            for am, line in b.all(r"^ip access-group \"?([^\" ]+)\"? (in|out|vlan|vlan-in|vlan-out)$"):
                v.add("acl", f"ip access-group {am.group(1)} {am.group(2)}", line)
            for tag_kind in ("untagged", "tagged"):
                for tm, line in b.all(rf"^{tag_kind} (\S+)$"):
                    ports = self.spend(expand_ports(tm.group(1)), line)
                    if not all(_PORT_NAME_RE.fullmatch(port) for port in ports):
                        self.problems.append(Problem(self.display, line, f"vlan {vid}: {tag_kind} port list not "
                                                                         "understood", False))
                    for port in (p for p in ports if _PORT_NAME_RE.fullmatch(p)):
                        p = self.ports.get(port)
                        if p is None:
                            p = self.ports[port] = _Obj("switch.port", f"{self.display} {port}", self.display, line)
                            p.set("interface", port, line)
                            if port in names:
                                p.set("description", names[port], line)
                            if port in disabled:
                                p.set("shutdown", "yes", disabled[port])
                        if tag_kind == "untagged":
                            p.set("access_vlan", vid, line)
                        else:
                            p.add("tagged", vid, line)
        voice_vlans = {vid for vid, v in self.vlans.items() if v.has("voice")}
        for p in self.ports.values():
            tagged = [int(v) for v, _ in p.values.get("tagged", [])]
            line = p.line
            p.set("dtp", "unsupported", line, default=True)
            if not p.has("access_vlan"):
                p.set("access_vlan", "none", line)
            voice = [v for v in tagged if v in voice_vlans]
            if voice:
                p.set("voice_vlan", voice[0], next(ln for v, ln in p.values["tagged"] if int(v) == voice[0]))
            elif p.last("access_vlan") in voice_vlans:
                p.set("voice_vlan", "untagged", line)
            other = [v for v in tagged if v not in voice_vlans]
            p.set("mode", "trunk" if other else "access", line, default=True)
            if other and p.last("access_vlan") != "none":
                p.set("native_vlan", p.last("access_vlan"), line)
        for n, (m, b) in enumerate(cfg.top(r'^snmp-server community (?:"([^"]*)"|(\S+))(.*)$'), start=1):
            access = "rw" if "unrestricted" in m.group(3).lower().split() else "ro"  # "restricted" is read-only
            self.snmp.append(_snmp_community(self.display, f"{self.display} snmp community #{n}",
                                             m.group(1) if m.group(1) is not None else m.group(2), b.line, access,
                                             "v1/v2c"))
        only = cfg.top(r"^snmpv3 only$")
        if only:
            for s in self.snmp:
                s.set("disabled_by", "snmpv3 only", only[-1][1].line)
        for m, b in cfg.top(r"^snmpv3 user \"?([^\" ]+)\"?(.*)$"):
            rest = m.group(2)
            level = "priv" if " priv " in f" {rest} " else "auth" if " auth " in f" {rest} " else "noauth"
            obj = _Obj("switch.snmp", f"{self.display} snmpv3 user {m.group(1)}", self.display, b.line)
            obj.set("version", "v3", b.line)
            obj.set("security_level", level, b.line)
            self.snmp.append(obj)


SNIFF_BYTES = 64 * 1024  # what is read of a file without a suffix to tell whether it is a running-config


def _suffixless_configs(path: Path) -> list[Path]:
    """Files without a suffix that hold a running-config (their content says so, as
    ``parse_switch_config`` would read it): Cisco's ``copy running-config tftp:`` names the copy
    ``<hostname>-confg`` and RANCID and Oxidized name each device's file by its host name, so a backup
    directory of them was "none of them a running-config", or, beside one ``.cfg``, silently skipped.
    Anything else without a suffix (README, LICENSE, .gitignore) stays out, as before."""
    if path.is_file():
        return []
    _base, candidates, _unread = files_under(path, {""})
    found = []
    for f in candidates:
        try:
            with f.open("rb") as fh:
                head = fh.read(SNIFF_BYTES)
        except OSError:
            continue
        if b"\x00" in head:
            continue
        text = head.decode("utf-8", errors="replace").replace("\r\n", "\n").split("\n")
        if sniff_dialect(text) is not None:
            found.append(f)
    return found


def build_switch_facts(path: Path) -> SwitchFacts:
    """One SwitchFacts for a directory of running-configs: each file stands alone, so a file that
    cannot be read (or that the reader trips over) is an ERROR for that switch only."""
    facts = SwitchFacts()
    base, files, unread = files_under(path, SWITCH_SUFFIXES)
    files = sorted([*files, *_suffixless_configs(path)])
    for display, reason in unread:
        facts.add_file(display, [Problem(display, 0, reason, True)])
    if not files and not unread:  # files there, none of them ours: a gap, not "no running-configs"
        for problem in foreign_files(path, "a running-config", SWITCH_SUFFIXES):
            facts.add_file(problem.file, [problem])
    for f in files:
        display = str(f.relative_to(base))
        content = 0
        try:
            cfg, problems = parse_switch_config(f, display)
            objects: list[ConfigObject] = []
            if cfg is not None and not any(p.fatal for p in problems):
                content = sum(1 + len(b.children) for b in cfg.blocks if not b.text.startswith("!"))
                builder = _Builder(display, cfg)
                builder.aos_s() if cfg.dialect == "aos-s" else builder.ios()
                objects = builder.objects()
                problems = [*problems, *builder.problems]
        except _TooManyExpanded as exc:
            objects, problems = [], [Problem(display, exc.args[0], f"VLAN and port lists name more than "
                                                                   f"{MAX_EXPANDED_TOTAL} items in all; not read", True)]
        except Exception as exc:  # noqa: BLE001 - a hostile file the reader did not foresee: this file only
            objects, problems = [], [Problem(display, 0, f"file could not be read ({exc.__class__.__name__})", True)]
        facts.add_file(display, problems)
        facts.configs[display].content_lines = content
        if facts.configs[display].fatal_problem is None:
            facts.objects.extend(objects)
    facts.reindex()
    return facts
