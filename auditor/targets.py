"""Targets: what to audit and where its configuration comes from, defined once.

One model per source kind (an offline configuration tree, SSH, SIP, TLS, SNMP, a packet capture,
a switch CLI). The same model is what an inventory entry validates into, what the collector
function takes and what distributed mode sends through the broker (:meth:`Target.message`;
the site collector validates it back into the same model). Nothing is written three times.

An inventory keeps its 1.x layout (``address`` beside a ``ssh:``/``sip:``/``snmp:``/``cli:``/
``pcap:``/``tls:`` section, or ``config_dir``); :meth:`Target._from_layout` turns that layout into
the one ``source`` and :func:`inventory_loc` maps an error back to the key people wrote, so an error
still names file, line and key. Credentials stay references (env:, file:, keyring:) until a
collector connects; relative paths are resolved once, by :meth:`Target.resolved`, against the
inventory's folder (or a site collector's own folder in distributed mode).

This module is plain data (msgspec structs, validated by msgspec: people write it in YAML; a source
built by keyword in code is checked the same way): no collector, no engine, no I/O.
"""
from __future__ import annotations

import dataclasses
import os
import threading
from datetime import date
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Optional, TypeVar, Union, get_args

import msgspec

from voxaudit.credentials import validate_ref
from voxaudit.structured import Invalid, field_error, invalid

# platform -> its collector lives in voxaudit.engine.collect.COLLECTORS (checked equal at import there).
PLATFORMS = ("asterisk", "freeswitch", "kamailio", "opensips", "phone", "switch", "sip", "tls", "pcap", "snmp", "mdm")
# Platforms read from a configuration tree: a copy on disk (config_dir) or mirrored over SSH.
TREE_PLATFORMS = ("asterisk", "freeswitch", "kamailio", "opensips", "phone", "switch", "mdm")

PathStr = str  # a local path as written (a Path given in code becomes its text)
RemotePath = str  # a path on the device: never resolved locally
Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
# A device's host name or IP address: no user-info ("u:password@host" would carry a secret into every
# display and connection error), no path, no space; a DNS name is at most 253 characters.
Address = Annotated[str, msgspec.Meta(min_length=1, max_length=253, pattern=r"^[^\s/@]+$")]
# A word the SIP probes write into their requests (a domain, a user part): no blank, no control character
# (a CR LF in the inventory would add headers or a second request to what is sent), no <>@ or quotes.
SipToken = Annotated[str, msgspec.Meta(max_length=253, pattern=r"^[^\s\x00-\x1f\x7f<>@\"]*$")]


class CredentialRef(str):
    """A credential reference (env:NAME, file:PATH, keyring:S/U): a type of its own so msgspec hands it to
    :func:`_dec_hook`, which checks its shape and places an error at the key (never echoing the value)."""


Ref = Optional[CredentialRef]


def _dec_hook(kind: type, value: Any) -> Any:
    if kind is CredentialRef:
        if not isinstance(value, str):
            raise TypeError("expected a reference like env:NAME, file:PATH or keyring:SERVICE/USER")
        return CredentialRef(validate_ref(value))
    raise NotImplementedError


def _enc_hook(value: Any) -> Any:
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, str):  # a CredentialRef
        return str(value)
    raise TypeError(f"a {type(value).__name__} is not target data")


_STATE = threading.local()  # .converting: inside convert() (msgspec builds the structs and checks every field)


def convert(data: Any, kind: Any) -> Any:
    """``data`` (what people wrote, or keywords given in code) validated into ``kind``; raises
    msgspec.ValidationError (a ValueError) naming the path of the first error. Lax as YAML is:
    ``port: "22"`` is 22, ``enumeration: "true"`` is True."""
    outer = getattr(_STATE, "converting", False)
    _STATE.converting = True
    try:
        return msgspec.convert(data, kind, strict=False, dec_hook=_dec_hook)
    finally:
        _STATE.converting = outer


def builtins(obj: Any) -> Any:
    """Plain data (dicts, lists, text) of a struct, a target or anything holding them; a Path becomes text."""
    return msgspec.to_builtins(obj, enc_hook=_enc_hook)


def _plain(value: Any, depth: int = 0) -> Any:
    """Keywords given in code as msgspec takes them: a Path as its text (a struct given is kept: it was
    checked when built, and keeps the folder its paths start from). Bounded like every reader."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if depth > 64:
        return value  # deeper than any target: msgspec refuses it by type, nothing is lost here
    if isinstance(value, dict):
        return {k: _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, depth + 1) for v in value]
    return value


S = TypeVar("S", bound="Model")


class Model(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True, dict=True):
    """Frozen, unknown keys refused; built by keyword in code (``SipSource(address=...)``) it is checked
    as a file's entry is (each field's type and bounds, then :meth:`_check`), a Path becoming its text.
    ``dict=True``: room for the private ``_base`` beside the fields."""

    def __post_init__(self) -> None:
        if not getattr(_STATE, "converting", False):
            checked = convert(builtins(self), type(self))  # raises msgspec.ValidationError (a ValueError)
            for f in msgspec.structs.fields(self):
                given, value = getattr(self, f.name), getattr(checked, f.name)
                if type(given) is not type(value) or given != value:  # a Path, a dict for a struct: the checked value
                    msgspec.structs.force_setattr(self, f.name, value)  # (a struct given is kept, with its folder)
            return  # the checked copy's own __post_init__ ran _check
        self._check()

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled (``--processes`` sends targets to child processes) with the folder its paths start from."""
        return _restore, (type(self), {f.name: getattr(self, f.name) for f in msgspec.structs.fields(self)},
                          getattr(self, "_base", None))

    def _check(self) -> None:
        """Rules across fields; raise ValueError (field_error() to name one field)."""

    def as_json(self) -> dict[str, Any]:
        """Every field as JSON data (dates as ISO text): what a message or a saved register holds."""
        out: dict[str, Any] = builtins(self)
        return out

    def replace(self: S, **changes: Any) -> S:
        """A checked copy with some fields changed; the folder relative paths start from is kept."""
        out = msgspec.structs.replace(self, **changes)
        msgspec.structs.force_setattr(out, "_base", getattr(self, "_base", None))
        return out


def _restore(kind: type[S], values: dict[str, Any], base: Optional[Path]) -> S:
    out = kind(**values)
    msgspec.structs.force_setattr(out, "_base", base)
    return out


class Source(Model, frozen=True, tag_field="kind"):
    """What every source kind shares: forbidden unknown keys, frozen, and where its relative paths start.
    The kind is msgspec's tag (``kind: ssh`` in a message; :attr:`kind` here)."""

    PATHS: ClassVar[tuple[str, ...]] = ()  # fields naming local files, resolved against the inventory folder
    LIVE: ClassVar[bool] = True  # talks to a device (the fleet runs these in threads, not inline)

    @property
    def kind(self) -> str:
        return str(type(self).__struct_config__.tag)

    @property
    def base(self) -> Optional[Path]:
        """The folder relative file: credential references resolve against (None: the working directory)."""
        return getattr(self, "_base", None)

    @property
    def display(self) -> str:  # pragma: no cover - every kind overrides it
        raise NotImplementedError

    def resolved(self: S, base: Optional[Path]) -> S:
        """This source with its relative local paths made relative to ``base``: the one place they are resolved."""
        update: dict[str, Any] = {}
        for name in self.PATHS:  # type: ignore[attr-defined]
            value = getattr(self, name)
            if base is not None and isinstance(value, str) and value:
                update[name] = str(base / value)  # an absolute path stays as it is
            elif base is not None and isinstance(value, list):
                update[name] = [str(base / v) for v in value]
        for f in msgspec.structs.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, list) and value and isinstance(value[0], (Source, TlsEndpoint)):
                update[f.name] = [v.resolved(base) for v in value]
        out = msgspec.structs.replace(self, **update) if update else msgspec.structs.replace(self)
        msgspec.structs.force_setattr(out, "_base", base)
        return out


class ConfigDirSource(Source, frozen=True, kw_only=True, tag="config_dir"):
    """Offline: a copied configuration tree (and, for Asterisk, the voicemail spool and logrotate files)."""

    config_dir: PathStr
    spool_dir: Optional[PathStr] = None
    logrotate: list[PathStr] = []
    evidence_dir: Optional[PathStr] = None  # a captured host-evidence bundle (docs/evidence.md)
    # The host this copy was taken from, as live targets of the clinic name it (an address or a name): drift
    # (docs/drift.md) compares the copy with what probes of that host saw. "" = not said: nothing is paired.
    address: Annotated[str, msgspec.Meta(max_length=253, pattern=r"^[^\s/@]*$")] = ""
    PATHS: ClassVar[tuple[str, ...]] = ("config_dir", "spool_dir", "logrotate", "evidence_dir")
    LIVE: ClassVar[bool] = False

    @property
    def display(self) -> str:
        return self.config_dir


Timeout300 = Annotated[float, msgspec.Meta(gt=0, le=300)]


class SshSource(Source, frozen=True, kw_only=True, tag="ssh"):
    """A live device's configuration tree, mirrored read-only over SFTP with its host key verified."""

    address: Address
    port: Port = 22
    username: str
    password: Ref = None  # a reference: env:NAME, file:PATH, keyring:SERVICE/USER
    key: Ref = None  # a reference to a private key file: file:PATH
    known_hosts: Optional[PathStr] = None  # default: the user's ~/.ssh/known_hosts
    trust_on_first_use: bool = False
    timeout: Timeout300 = 10.0
    config_dir: RemotePath
    spool_dir: Optional[RemotePath] = None
    logrotate: list[RemotePath] = []
    # Also read host evidence (mounts, dm-crypt layers, crontabs, timers; stat of backup files): plain
    # files over SFTP, never a command; backup_dirs are stat'ed (ages and sizes, never content).
    host_evidence: bool = False
    backup_dirs: list[RemotePath] = []
    evidence_root: RemotePath = "/"  # the host's root as the evidence paths are read (a chroot: its root)
    PATHS: ClassVar[tuple[str, ...]] = ("known_hosts",)

    def _check(self) -> None:
        if not self.password and not self.key:
            raise ValueError("give key: file:PATH or password: env:NAME (a reference, not the secret)")

    @property
    def display(self) -> str:
        return f"ssh://{self.username}@{self.address}:{self.port}"


class SipSource(Source, frozen=True, kw_only=True, tag="sip"):
    """SIP probes. enumeration and invite can reveal users or ring phones: off unless enabled."""

    address: Address
    udp: Optional[Port] = 5060
    tcp: Optional[Port] = 5060
    tls: Optional[Port] = 5061
    domain: SipToken = ""  # SIP domain for request URIs (default: the address)
    timeout: Annotated[float, msgspec.Meta(gt=0, le=30)] = 2.0
    tls_server_name: SipToken = ""
    ca_file: PathStr = ""  # a private CA for the TLS certificate check
    enumeration: bool = False
    known_user: SipToken = ""  # an extension that exists, for the enumeration comparison
    invite: bool = False
    invite_target: SipToken = ""
    rate_per_second: Annotated[float, msgspec.Meta(gt=0, le=20)] = 2.0
    # Management ports to connect to (AMI 5038, HTTP/ARI 8088, event socket 8021): one TCP connection
    # each, nothing sent, the first bytes read for what answers. Off unless listed.
    admin_ports: Annotated[list[Port], msgspec.Meta(max_length=16)] = []
    PATHS: ClassVar[tuple[str, ...]] = ("ca_file",)

    def _check(self) -> None:
        if self.enumeration and not self.known_user:
            raise ValueError("enumeration: true needs known_user (an extension that exists) to compare against")
        if self.invite and not self.invite_target:
            raise ValueError("invite: true needs invite_target (an extension; its phone may ring briefly)")

    @property
    def display(self) -> str:
        return f"sip://{self.address}"


class TlsEndpoint(Model, frozen=True, kw_only=True):
    """One TLS port to scan (the inventory's ``tls:`` list item; ``host`` is the target's address)."""

    host: Annotated[str, msgspec.Meta(min_length=1)]
    port: Port
    purpose: str = "https-admin"
    server_name: str = ""  # the name clients use; the certificate must match it
    ca_file: PathStr = ""  # a private CA the clinic's devices trust, besides the Mozilla store
    cipher_suites: bool = False  # sslyze's full per-version enumeration (slow on some SIP servers)
    timeout: Annotated[float, msgspec.Meta(gt=0, le=60)] = 5.0
    PATHS: ClassVar[tuple[str, ...]] = ("ca_file",)

    @property
    def base(self) -> Optional[Path]:
        return getattr(self, "_base", None)

    def resolved(self, base: Optional[Path]) -> "TlsEndpoint":
        out = self.replace(ca_file=str(base / self.ca_file)) if base is not None and self.ca_file else self.replace()
        msgspec.structs.force_setattr(out, "_base", base)
        return out

    @property
    def endpoint(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def display(self) -> str:
        return self.endpoint


class TlsSource(Source, frozen=True, kw_only=True, tag="tls"):
    endpoints: Annotated[list[TlsEndpoint], msgspec.Meta(min_length=1)]

    @property
    def address(self) -> str:
        return self.endpoints[0].host

    @property
    def display(self) -> str:
        return ", ".join(e.endpoint for e in self.endpoints)


class PcapSource(Source, frozen=True, kw_only=True, tag="pcap"):
    file: Optional[PathStr] = None  # a capture (pcap/pcapng)
    interface: str = ""  # or: sniff this interface (opt-in; needs capture rights)
    seconds: Annotated[float, msgspec.Meta(ge=0, le=300)] = 0
    max_packets: Annotated[int, msgspec.Meta(ge=1, le=200_000)] = 50_000
    capture_point: str = ""  # trunk, access, span: what tags can be expected
    PATHS: ClassVar[tuple[str, ...]] = ("file",)

    def _check(self) -> None:
        if not self.file and not (self.interface and self.seconds):
            raise ValueError("give file: PATH, or interface and seconds to sniff (opt-in)")

    @property
    def live(self) -> bool:
        return not self.file

    @property
    def display(self) -> str:
        return self.file or f"iface:{self.interface}"


class SnmpUser(Model, frozen=True, kw_only=True):
    username: str
    auth: Ref = None  # reference to the auth passphrase
    priv: Ref = None  # reference to the privacy passphrase
    auth_protocol: Literal["md5", "sha", "sha256", "sha512"] = "sha"
    priv_protocol: Literal["des", "aes", "aes256"] = "aes"


class SnmpSource(Source, frozen=True, kw_only=True, tag="snmp"):
    address: Address
    port: Port = 161
    communities: list[CredentialRef] = []  # env:NAME...
    try_default_communities: bool = False  # opt-in: also try 'public' and 'private'
    users: list[SnmpUser] = []
    timeout: Annotated[float, msgspec.Meta(gt=0, le=30)] = 1.5

    @property
    def display(self) -> str:
        return f"snmp://{self.address}:{self.port}"


class CliSource(Source, frozen=True, kw_only=True, tag="cli"):
    """A switch's CLI over SSH (netmiko): show commands only."""

    address: Address
    device_type: Literal["cisco_ios", "cisco_xe", "arista_eos", "hp_procurve", "aruba_procurve"] = "cisco_ios"
    port: Port = 22
    username: str
    password: Ref = None
    key: Ref = None
    enable_secret: Ref = None  # when show running-config needs enable
    known_hosts: Optional[PathStr] = None
    trust_on_first_use: bool = False
    timeout: Timeout300 = 15.0
    PATHS: ClassVar[tuple[str, ...]] = ("known_hosts",)

    @property
    def display(self) -> str:
        return f"cli://{self.username}@{self.address}:{self.port}"


AnySource = Union[ConfigDirSource, SshSource, SipSource, TlsSource, PcapSource, SnmpSource, CliSource]  # tagged by kind
SOURCE_KINDS = tuple(str(k.__struct_config__.tag) for k in get_args(AnySource))
# The inventory key each source kind is written under (config_dir: its keys sit on the target itself).
SECTIONS = ("ssh", "sip", "tls", "pcap", "snmp", "cli")
TREE_KEYS = ("config_dir", "spool_dir", "logrotate", "evidence_dir")
PLACEMENT = ("clinic", "site", "vantage", "queue", "business_associates")  # from where it sits in an inventory
# The source kinds each platform is collected from.
KINDS: dict[str, tuple[str, ...]] = {**{p: ("config_dir", "ssh") for p in TREE_PLATFORMS},
                                     "switch": ("config_dir", "ssh", "cli"),
                                     "sip": ("sip",), "tls": ("tls",), "pcap": ("pcap",), "snmp": ("snmp",)}


MIN_COVERED_PREFIX = {4: 8, 6: 16}  # a BAA covering a shorter prefix covers (part of) the whole Internet


def _too_broad(pattern: str) -> str:
    """Why a register pattern cannot be what a BAA covers, or "": a network that is not one (it would
    never match, silently), a prefix shorter than /8 (IPv4) or /16 (IPv6), or ``*.<one label>`` (a
    whole top-level domain): each would turn BAA-101 into a PASS for recipients no agreement names."""
    import ipaddress

    if "/" in pattern:
        try:
            net = ipaddress.ip_network(pattern.strip("[]"), strict=False)
        except ValueError:
            return "an address/prefix that is not a network (e.g. 203.0.113.0/24)"
        if net.prefixlen < MIN_COVERED_PREFIX[net.version]:
            return (f"a network shorter than /{MIN_COVERED_PREFIX[net.version]} covers far more than one "
                    "business associate")
    elif pattern.startswith("*.") and "." not in pattern[2:].strip("."):
        return "*.<top-level domain> covers every name under it: name the associate's own domain"
    return ""


class BusinessAssociate(Model, frozen=True, kw_only=True):
    """One entry of a clinic's business-associate register: a vendor PHI may be sent to, the hosts and
    mail domains it covers (``*.twilio.com``: every name under twilio.com; an address or a network),
    when its BAA was signed and expires, and where the signed document is kept. ``internal: true``
    lists the clinic's own systems (a private CDR server), which need no BAA and take no dates."""

    vendor: Annotated[str, msgspec.Meta(min_length=1)]
    covers: Annotated[tuple[Annotated[str, msgspec.Meta(min_length=1, max_length=253)], ...], msgspec.Meta(min_length=1)]
    baa_signed: Optional[date] = None
    baa_expires: Optional[date] = None
    document: str = ""
    internal: bool = False

    def _check(self) -> None:
        for pattern in self.covers:
            body = pattern[2:] if pattern.startswith("*.") else pattern
            if not body or "*" in body or any(c.isspace() for c in pattern):
                # never the pattern itself: the error names the key, as every inventory error does
                raise field_error("covers", "a host, mail domain, address/prefix or *.domain (one leading wildcard)")
            if why := _too_broad(pattern):
                raise field_error("covers", why)
        if self.internal:
            if self.baa_signed or self.baa_expires:
                raise ValueError("an internal: true entry (the clinic's own system) takes no BAA dates")
        elif self.baa_signed is None:
            raise ValueError("baa_signed: the date the BAA was signed is required (or internal: true)")
        elif self.baa_expires is not None and self.baa_expires < self.baa_signed:
            raise ValueError("baa_expires is before baa_signed")


@dataclasses.dataclass(frozen=True, kw_only=True, init=False)
class Target:
    """One thing to audit: where it belongs, and its one source. ``business_associates``: its clinic's
    register (the inventory's top-level list); None when none was given, which BAA-101 reports as unknown.

    A frozen dataclass rather than a struct because it is also built by keyword in the inventory's layout
    (``Target(name=..., platform=..., config_dir=...)``), which a struct's fixed constructor cannot take:
    every construction goes through :meth:`validate`. msgspec builds it (``convert``) without __init__."""

    name: str
    platform: str
    clinic: str = ""
    site: str = ""
    vantage: str = ""  # where the scanner sits, e.g. "data" (for reachability findings)
    queue: str = ""  # distributed mode: the site collector's queue, if the inventory names one
    business_associates: Optional[tuple[BusinessAssociate, ...]] = None
    source: AnySource

    def __init__(self, **data: Any) -> None:
        checked = Target.validate(data)
        for f in _TARGET_FIELDS:
            object.__setattr__(self, f, getattr(checked, f))
        object.__setattr__(self, "_base", None)

    def __post_init__(self) -> None:
        """Run by msgspec once the fields are checked: the rules across them."""
        object.__setattr__(self, "_base", None)
        if self.platform not in PLATFORMS:
            raise field_error("platform", "unknown platform")  # the value is not echoed: any value may be a secret
        if self.source.kind not in KINDS[self.platform]:
            raise ValueError(f"a {self.platform} target is not read through {self.source.kind}; "
                             f"one of {', '.join(KINDS[self.platform])}")

    @classmethod
    def validate(cls, data: Any, inventory: bool = False) -> "Target":
        """A target from what people wrote (the inventory layout) or from a message (``source:``); raises
        :class:`~voxaudit.structured.Invalid` (a ValueError) with the key's location, in words without a value."""
        data = _plain(data)
        if not isinstance(data, dict):
            raise Invalid((), "expected a mapping (name, platform, and config_dir or a section)")
        layout = cls._from_layout(data, inventory)
        for key in layout:  # msgspec ignores a dataclass's unknown keys: refused here, by name
            if key not in _TARGET_FIELDS:
                raise Invalid((key,), "Extra inputs are not permitted")
        try:
            out: Target = convert(layout, cls)
        except msgspec.ValidationError as exc:
            loc, message = invalid(exc, cls)
            source = layout.get("source")
            kind = source.get("kind") if isinstance(source, dict) else getattr(source, "kind", None)
            if loc[:1] == ("source",) and kind in SOURCE_KINDS and loc[1:2] != ("kind",):  # msgspec's path skips the tag
                loc = ("source", kind, *loc[1:])  # (inventory_loc maps it to the section people wrote)
            raise Invalid(loc, message) from None
        return out

    @staticmethod
    def _from_layout(data: dict[Any, Any], in_inventory: bool) -> dict[Any, Any]:
        """The inventory's layout (address + one section, or config_dir) as the one ``source``."""
        if in_inventory:
            for key in (*PLACEMENT, "source"):
                if key in data:
                    raise Invalid((), f"{key}: not a target key (clinic, site and queue come from where the "
                                      "target sits in the inventory)")
        if "source" in data:
            return data
        out = {k: v for k, v in data.items() if k not in (*SECTIONS, *TREE_KEYS, "address")}
        platform, address = data.get("platform"), data.get("address")
        given = [k for k in SECTIONS if data.get(k) not in (None, [])]
        if platform == "sip":
            if not address:
                raise Invalid((), "a sip target needs an address")
            kind = "sip"
        elif platform == "snmp":
            if not address or data.get("snmp") is None:
                raise Invalid((), "an snmp target needs an address and an snmp: section")
            kind = "snmp"
        elif platform == "pcap":
            if data.get("pcap") is None:
                raise Invalid((), "a pcap target needs a pcap: section")
            kind = "pcap"
        elif platform == "tls":
            if not address or not data.get("tls"):
                raise Invalid((), "a tls target needs an address and a list of tls: ports")
            kind = "tls"
        elif platform == "switch" and data.get("cli") is not None:
            if not address:
                raise Invalid((), "a switch with cli: needs an address")
            kind = "cli"
        elif data.get("ssh") is not None:
            if not address:
                raise Invalid((), "an ssh target needs an address")
            kind = "ssh"
        elif data.get("config_dir"):
            kind = "config_dir"
        else:
            raise Invalid((), "a target needs config_dir (offline copy) or ssh (live collection)")
        unused = [k for k in given if k != kind] + ([k for k in TREE_KEYS if k in data] if kind != "config_dir" else [])
        if unused:  # a section that would be ignored is refused, never silently dropped
            raise Invalid((), f"{unused[0]}: not used by a {platform} target read through {kind}")
        if kind == "config_dir":
            # address: the host the copy describes (optional; drift pairs the copy with probes of that host)
            out["source"] = {"kind": kind, **{k: data[k] for k in (*TREE_KEYS, "address") if k in data}}
        elif kind == "tls":
            endpoints = data["tls"]
            if not isinstance(endpoints, list):
                raise Invalid((), "tls: expected a list of ports, e.g. [{port: 443}]")
            if any(isinstance(e, dict) and "host" in e for e in endpoints):
                raise Invalid((), "tls: an entry takes no host (the target's address is scanned)")
            out["source"] = {"kind": kind, "endpoints": [dict(e, host=address) if isinstance(e, dict) else e
                                                         for e in endpoints]}
        else:
            section = data.get(kind)
            section = {} if section is None else section
            if not isinstance(section, dict):
                raise Invalid((), f"{kind}: expected a mapping of settings")
            taken = [k for k in ("kind", "address") if k in section and not (k == "address" and kind == "pcap")]
            if taken:  # the target's own keys, not the section's
                raise Invalid((), f"{kind}.{taken[0]}: Extra inputs are not permitted")
            out["source"] = {**section, "kind": kind, **({"address": address} if kind != "pcap" else {})}
        return out

    @property
    def base(self) -> Optional[Path]:
        return getattr(self, "_base", None)

    def copy_with(self, base: Optional[Path], **changes: Any) -> "Target":
        """This target with fields changed and ``base`` as its folder, not checked again: for values that
        were (the inventory placing a validated target in its clinic and site, a resolved source)."""
        out = object.__new__(Target)
        for f in _TARGET_FIELDS:
            object.__setattr__(out, f, changes[f] if f in changes else getattr(self, f))
        object.__setattr__(out, "_base", base)
        return out

    def replace(self, **changes: Any) -> "Target":
        """A checked copy with some fields changed (its folder kept): where it sits, its register."""
        checked = Target.validate({**{f: getattr(self, f) for f in _TARGET_FIELDS}, **changes})
        return checked.copy_with(self.base)

    def at(self, base: Path) -> "Target":
        """This target with ``base`` as the folder its relative paths and file: references start from."""
        return self.copy_with(base)

    def resolved(self) -> "Target":
        """The target as a collector takes it: its source's relative paths resolved against :attr:`base`."""
        return self.copy_with(self.base, source=self.source.resolved(self.base))

    @property
    def live(self) -> bool:
        """A device is contacted (slow, network-bound), as opposed to files read on this host."""
        src = self.source
        return src.live if isinstance(src, PcapSource) else src.LIVE

    def message(self) -> dict[str, Any]:
        """What distributed mode sends: the target as written (references, never secrets; paths unresolved)."""
        return {f: builtins(getattr(self, f)) for f in _TARGET_FIELDS}


_TARGET_FIELDS = tuple(f.name for f in dataclasses.fields(Target))


def inventory_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """A validation error's location inside a target, as the key people wrote in the inventory."""
    if len(loc) < 2 or loc[0] != "source" or not isinstance(loc[1], str):
        return loc
    kind, rest = loc[1], loc[2:]
    if kind == "config_dir":
        return rest
    if kind == "tls":
        if len(rest) >= 3 and rest[0] == "endpoints":
            return ("address",) if rest[2] == "host" else ("tls", rest[1], *rest[2:])
        return ("tls", *rest[1:])
    if rest[:1] == ("address",):
        return ("address",)
    return (kind, *rest)
