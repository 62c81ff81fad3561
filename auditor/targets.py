"""Targets: what to audit and where its configuration comes from, defined once.

One model per source kind (an offline configuration tree, SSH, SIP, TLS, SNMP, a packet capture,
a switch CLI). The same model is what an inventory entry validates into, what the collector
function takes and what distributed mode sends through the broker (``model_dump(mode="json")``;
the site collector validates it back into the same model). Nothing is written three times.

An inventory keeps its 1.x layout (``address`` beside a ``ssh:``/``sip:``/``snmp:``/``cli:``/
``pcap:``/``tls:`` section, or ``config_dir``); :meth:`Target._from_layout` turns that layout into
the one ``source`` and :func:`inventory_loc` maps an error back to the key people wrote, so an error
still names file, line and key. Credentials stay references (env:, file:, keyring:) until a
collector connects; relative paths are resolved once, by :meth:`Target.resolved`, against the
inventory's folder (or a site collector's own folder in distributed mode).

This module is plain data (pydantic: people write it in YAML): no collector, no engine, no I/O.
"""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Optional, TypeVar, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from voxaudit.credentials import validate_ref

# platform -> its collector lives in voxaudit.engine.collect.COLLECTORS (checked equal at import there).
PLATFORMS = ("asterisk", "freeswitch", "kamailio", "opensips", "phone", "switch", "sip", "tls", "pcap", "snmp", "mdm")
# Platforms read from a configuration tree: a copy on disk (config_dir) or mirrored over SSH.
TREE_PLATFORMS = ("asterisk", "freeswitch", "kamailio", "opensips", "phone", "switch", "mdm")


def _fspath(value: Any) -> Any:
    return os.fspath(value) if isinstance(value, os.PathLike) else value


PathStr = Annotated[str, BeforeValidator(_fspath)]  # a local path as written (a Path is accepted)
RemotePath = Annotated[str, BeforeValidator(_fspath)]  # a path on the device: never resolved locally
Port = Annotated[int, Field(ge=1, le=65535)]
# A device's host name or IP address: no user-info ("u:password@host" would carry a secret into every
# display and connection error), no path, no space; a DNS name is at most 253 characters.
Address = Annotated[str, Field(min_length=1, max_length=253, pattern=r"^[^\s/@]+$")]
# A word the SIP probes write into their requests (a domain, a user part): no blank, no control character
# (a CR LF in the inventory would add headers or a second request to what is sent), no <>@ or quotes.
SipToken = Annotated[str, Field(max_length=253, pattern=r"^[^\s\x00-\x1f\x7f<>@\"]*$")]


def _reference(value: Optional[str]) -> Optional[str]:
    return validate_ref(value) if value is not None else None


Ref = Annotated[Optional[str], AfterValidator(_reference)]  # a credential reference: env:NAME, file:PATH, keyring:S/U

S = TypeVar("S", bound="Source")


class Source(BaseModel):
    """What every source kind shares: forbidden unknown keys, frozen, and where its relative paths start."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    PATHS: ClassVar[tuple[str, ...]] = ()  # fields naming local files, resolved against the inventory folder
    LIVE: ClassVar[bool] = True  # talks to a device (the fleet runs these in threads, not inline)
    _base: Optional[Path] = PrivateAttr(default=None)

    @property
    def base(self) -> Optional[Path]:
        """The folder relative file: credential references resolve against (None: the working directory)."""
        return self._base

    @property
    def display(self) -> str:  # pragma: no cover - every kind overrides it
        raise NotImplementedError

    def resolved(self: S, base: Optional[Path]) -> S:
        """This source with its relative local paths made relative to ``base``: the one place they are resolved."""
        update: dict[str, Any] = {}
        for name in self.PATHS:
            value = getattr(self, name)
            if base is not None and isinstance(value, str) and value:
                update[name] = str(base / value)  # an absolute path stays as it is
            elif base is not None and isinstance(value, list):
                update[name] = [str(base / v) for v in value]
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, list) and value and isinstance(value[0], Source):
                update[name] = [v.resolved(base) for v in value]
        out = self.model_copy(update=update)
        out._base = base
        return out


class ConfigDirSource(Source):
    """Offline: a copied configuration tree (and, for Asterisk, the voicemail spool and logrotate files)."""

    kind: Literal["config_dir"] = "config_dir"
    config_dir: PathStr
    spool_dir: Optional[PathStr] = None
    logrotate: list[PathStr] = Field(default_factory=list)
    evidence_dir: Optional[PathStr] = None  # a captured host-evidence bundle (docs/evidence.md)
    # The host this copy was taken from, as live targets of the clinic name it (an address or a name): drift
    # (docs/drift.md) compares the copy with what probes of that host saw. "" = not said: nothing is paired.
    address: str = Field(default="", max_length=253, pattern=r"^[^\s/@]*$")
    PATHS: ClassVar[tuple[str, ...]] = ("config_dir", "spool_dir", "logrotate", "evidence_dir")
    LIVE: ClassVar[bool] = False

    @property
    def display(self) -> str:
        return self.config_dir


class SshSource(Source):
    """A live device's configuration tree, mirrored read-only over SFTP with its host key verified."""

    kind: Literal["ssh"] = "ssh"
    address: Address
    port: Port = 22
    username: str
    password: Ref = None  # a reference: env:NAME, file:PATH, keyring:SERVICE/USER
    key: Ref = None  # a reference to a private key file: file:PATH
    known_hosts: Optional[PathStr] = None  # default: the user's ~/.ssh/known_hosts
    trust_on_first_use: bool = False
    timeout: float = Field(10.0, gt=0, le=300)
    config_dir: RemotePath
    spool_dir: Optional[RemotePath] = None
    logrotate: list[RemotePath] = Field(default_factory=list)
    # Also read host evidence (mounts, dm-crypt layers, crontabs, timers; stat of backup files): plain
    # files over SFTP, never a command; backup_dirs are stat'ed (ages and sizes, never content).
    host_evidence: bool = False
    backup_dirs: list[RemotePath] = Field(default_factory=list)
    evidence_root: RemotePath = "/"  # the host's root as the evidence paths are read (a chroot: its root)
    PATHS: ClassVar[tuple[str, ...]] = ("known_hosts",)

    @model_validator(mode="after")
    def _has_credential(self) -> "SshSource":
        if not self.password and not self.key:
            raise ValueError("give key: file:PATH or password: env:NAME (a reference, not the secret)")
        return self

    @property
    def display(self) -> str:
        return f"ssh://{self.username}@{self.address}:{self.port}"


class SipSource(Source):
    """SIP probes. enumeration and invite can reveal users or ring phones: off unless enabled."""

    kind: Literal["sip"] = "sip"
    address: Address
    udp: Optional[Port] = 5060
    tcp: Optional[Port] = 5060
    tls: Optional[Port] = 5061
    domain: SipToken = ""  # SIP domain for request URIs (default: the address)
    timeout: float = Field(2.0, gt=0, le=30)
    tls_server_name: SipToken = ""
    ca_file: PathStr = ""  # a private CA for the TLS certificate check
    enumeration: bool = False
    known_user: SipToken = ""  # an extension that exists, for the enumeration comparison
    invite: bool = False
    invite_target: SipToken = ""
    rate_per_second: float = Field(2.0, gt=0, le=20)
    # Management ports to connect to (AMI 5038, HTTP/ARI 8088, event socket 8021): one TCP connection
    # each, nothing sent, the first bytes read for what answers. Off unless listed.
    admin_ports: list[Port] = Field(default_factory=list, max_length=16)
    PATHS: ClassVar[tuple[str, ...]] = ("ca_file",)

    @model_validator(mode="after")
    def _opt_ins_are_complete(self) -> "SipSource":
        if self.enumeration and not self.known_user:
            raise ValueError("enumeration: true needs known_user (an extension that exists) to compare against")
        if self.invite and not self.invite_target:
            raise ValueError("invite: true needs invite_target (an extension; its phone may ring briefly)")
        return self

    @property
    def display(self) -> str:
        return f"sip://{self.address}"


class TlsEndpoint(Source):
    """One TLS port to scan (the inventory's ``tls:`` list item; ``host`` is the target's address)."""

    host: str = Field(min_length=1)
    port: Port
    purpose: str = "https-admin"
    server_name: str = ""  # the name clients use; the certificate must match it
    ca_file: PathStr = ""  # a private CA the clinic's devices trust, besides the Mozilla store
    cipher_suites: bool = False  # sslyze's full per-version enumeration (slow on some SIP servers)
    timeout: float = Field(5.0, gt=0, le=60)
    PATHS: ClassVar[tuple[str, ...]] = ("ca_file",)

    @property
    def endpoint(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def display(self) -> str:
        return self.endpoint


class TlsSource(Source):
    kind: Literal["tls"] = "tls"
    endpoints: list[TlsEndpoint] = Field(min_length=1)

    @property
    def address(self) -> str:
        return self.endpoints[0].host

    @property
    def display(self) -> str:
        return ", ".join(e.endpoint for e in self.endpoints)


class PcapSource(Source):
    kind: Literal["pcap"] = "pcap"
    file: Optional[PathStr] = None  # a capture (pcap/pcapng)
    interface: str = ""  # or: sniff this interface (opt-in; needs capture rights)
    seconds: float = Field(0, ge=0, le=300)
    max_packets: int = Field(50_000, ge=1, le=200_000)
    capture_point: str = ""  # trunk, access, span: what tags can be expected
    PATHS: ClassVar[tuple[str, ...]] = ("file",)

    @model_validator(mode="after")
    def _file_or_sniff(self) -> "PcapSource":
        if not self.file and not (self.interface and self.seconds):
            raise ValueError("give file: PATH, or interface and seconds to sniff (opt-in)")
        return self

    @property
    def live(self) -> bool:
        return not self.file

    @property
    def display(self) -> str:
        return self.file or f"iface:{self.interface}"


class SnmpUser(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    username: str
    auth: Ref = None  # reference to the auth passphrase
    priv: Ref = None  # reference to the privacy passphrase
    auth_protocol: Literal["md5", "sha", "sha256", "sha512"] = "sha"
    priv_protocol: Literal["des", "aes", "aes256"] = "aes"


class SnmpSource(Source):
    kind: Literal["snmp"] = "snmp"
    address: Address
    port: Port = 161
    communities: list[Annotated[str, AfterValidator(validate_ref)]] = Field(default_factory=list)  # env:NAME...
    try_default_communities: bool = False  # opt-in: also try 'public' and 'private'
    users: list[SnmpUser] = Field(default_factory=list)
    timeout: float = Field(1.5, gt=0, le=30)

    @property
    def display(self) -> str:
        return f"snmp://{self.address}:{self.port}"


class CliSource(Source):
    """A switch's CLI over SSH (netmiko): show commands only."""

    kind: Literal["cli"] = "cli"
    address: Address
    device_type: Literal["cisco_ios", "cisco_xe", "arista_eos", "hp_procurve", "aruba_procurve"] = "cisco_ios"
    port: Port = 22
    username: str
    password: Ref = None
    key: Ref = None
    enable_secret: Ref = None  # when show running-config needs enable
    known_hosts: Optional[PathStr] = None
    trust_on_first_use: bool = False
    timeout: float = Field(15.0, gt=0, le=300)
    PATHS: ClassVar[tuple[str, ...]] = ("known_hosts",)

    @property
    def display(self) -> str:
        return f"cli://{self.username}@{self.address}:{self.port}"


AnySource = Annotated[Union[ConfigDirSource, SshSource, SipSource, TlsSource, PcapSource, SnmpSource, CliSource],
                      Field(discriminator="kind")]
# The inventory key each source kind is written under (config_dir: its keys sit on the target itself).
SECTIONS = ("ssh", "sip", "tls", "pcap", "snmp", "cli")
TREE_KEYS = ("config_dir", "spool_dir", "logrotate", "evidence_dir")
PLACEMENT = ("clinic", "site", "vantage", "queue", "business_associates")  # from where it sits in an inventory
# The source kinds each platform is collected from.
KINDS: dict[str, tuple[str, ...]] = {**{p: ("config_dir", "ssh") for p in TREE_PLATFORMS},
                                     "switch": ("config_dir", "ssh", "cli"),
                                     "sip": ("sip",), "tls": ("tls",), "pcap": ("pcap",), "snmp": ("snmp",)}


class BusinessAssociate(BaseModel):
    """One entry of a clinic's business-associate register: a vendor PHI may be sent to, the hosts and
    mail domains it covers (``*.twilio.com``: every name under twilio.com; an address or a network),
    when its BAA was signed and expires, and where the signed document is kept. ``internal: true``
    lists the clinic's own systems (a private CDR server), which need no BAA and take no dates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    vendor: str = Field(min_length=1)
    covers: tuple[Annotated[str, Field(min_length=1, max_length=253)], ...] = Field(min_length=1)
    baa_signed: Optional[date] = None
    baa_expires: Optional[date] = None
    document: str = ""
    internal: bool = False

    @field_validator("covers")
    @classmethod
    def _patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            body = pattern[2:] if pattern.startswith("*.") else pattern
            if not body or "*" in body or any(c.isspace() for c in pattern):
                # never the pattern itself: the error names the key, as every inventory error does
                raise ValueError("a host, mail domain, address/prefix or *.domain (one leading wildcard)")
        return value

    @model_validator(mode="after")
    def _dates(self) -> "BusinessAssociate":
        if self.internal:
            if self.baa_signed or self.baa_expires:
                raise ValueError("an internal: true entry (the clinic's own system) takes no BAA dates")
        elif self.baa_signed is None:
            raise ValueError("baa_signed: the date the BAA was signed is required (or internal: true)")
        elif self.baa_expires is not None and self.baa_expires < self.baa_signed:
            raise ValueError("baa_expires is before baa_signed")
        return self


class Target(BaseModel):
    """One thing to audit: where it belongs, and its one source. ``business_associates``: its clinic's
    register (the inventory's top-level list); None when none was given, which BAA-101 reports as unknown."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    platform: str
    clinic: str = ""
    site: str = ""
    vantage: str = ""  # where the scanner sits, e.g. "data" (for reachability findings)
    queue: str = ""  # distributed mode: the site collector's queue, if the inventory names one
    business_associates: Optional[tuple[BusinessAssociate, ...]] = None
    source: AnySource
    _base: Optional[Path] = PrivateAttr(default=None)

    @field_validator("platform")
    @classmethod
    def _known_platform(cls, value: str) -> str:
        if value not in PLATFORMS:
            raise ValueError("unknown platform")  # the value is not echoed: any value may be a secret
        return value

    @model_validator(mode="before")
    @classmethod
    def _from_layout(cls, data: Any, info: ValidationInfo) -> Any:
        """The inventory's layout (address + one section, or config_dir) as the one ``source``."""
        if not isinstance(data, dict):
            return data
        in_inventory = bool(info.context and info.context.get("inventory"))
        if in_inventory:
            for key in (*PLACEMENT, "source"):
                if key in data:
                    raise ValueError(f"{key}: not a target key (clinic, site and queue come from where the "
                                     "target sits in the inventory)")
        if "source" in data:
            return data
        out = {k: v for k, v in data.items() if k not in (*SECTIONS, *TREE_KEYS, "address")}
        platform, address = data.get("platform"), data.get("address")
        given = [k for k in SECTIONS if data.get(k) not in (None, [])]
        if platform == "sip":
            if not address:
                raise ValueError("a sip target needs an address")
            kind = "sip"
        elif platform == "snmp":
            if not address or data.get("snmp") is None:
                raise ValueError("an snmp target needs an address and an snmp: section")
            kind = "snmp"
        elif platform == "pcap":
            if data.get("pcap") is None:
                raise ValueError("a pcap target needs a pcap: section")
            kind = "pcap"
        elif platform == "tls":
            if not address or not data.get("tls"):
                raise ValueError("a tls target needs an address and a list of tls: ports")
            kind = "tls"
        elif platform == "switch" and data.get("cli") is not None:
            if not address:
                raise ValueError("a switch with cli: needs an address")
            kind = "cli"
        elif data.get("ssh") is not None:
            if not address:
                raise ValueError("an ssh target needs an address")
            kind = "ssh"
        elif data.get("config_dir"):
            kind = "config_dir"
        else:
            raise ValueError("a target needs config_dir (offline copy) or ssh (live collection)")
        unused = [k for k in given if k != kind] + ([k for k in TREE_KEYS if k in data] if kind != "config_dir" else [])
        if unused:  # a section that would be ignored is refused, never silently dropped
            raise ValueError(f"{unused[0]}: not used by a {platform} target read through {kind}")
        if kind == "config_dir":
            # address: the host the copy describes (optional; drift pairs the copy with probes of that host)
            out["source"] = {"kind": kind, **{k: data[k] for k in (*TREE_KEYS, "address") if k in data}}
        elif kind == "tls":
            endpoints = data["tls"]
            if not isinstance(endpoints, list):
                raise ValueError("tls: expected a list of ports, e.g. [{port: 443}]")
            if any(isinstance(e, dict) and "host" in e for e in endpoints):
                raise ValueError("tls: an entry takes no host (the target's address is scanned)")
            out["source"] = {"kind": kind, "endpoints": [dict(e, host=address) if isinstance(e, dict) else e
                                                         for e in endpoints]}
        else:
            section = data.get(kind)
            section = {} if section is None else section
            if not isinstance(section, dict):
                raise ValueError(f"{kind}: expected a mapping of settings")
            taken = [k for k in ("kind", "address") if k in section and not (k == "address" and kind == "pcap")]
            if taken:  # the target's own keys, not the section's
                raise ValueError(f"{kind}.{taken[0]}: Extra inputs are not permitted")
            out["source"] = {**section, "kind": kind, **({"address": address} if kind != "pcap" else {})}
        return out

    @model_validator(mode="after")
    def _source_fits_platform(self) -> "Target":
        if self.source.kind not in KINDS[self.platform]:
            raise ValueError(f"a {self.platform} target is not read through {self.source.kind}; "
                             f"one of {', '.join(KINDS[self.platform])}")
        return self

    @property
    def base(self) -> Optional[Path]:
        return self._base

    def at(self, base: Path) -> "Target":
        """This target with ``base`` as the folder its relative paths and file: references start from."""
        out = self.model_copy()
        out._base = base
        return out

    def resolved(self) -> "Target":
        """The target as a collector takes it: its source's relative paths resolved against :attr:`base`."""
        return self.model_copy(update={"source": self.source.resolved(self._base)})

    @property
    def live(self) -> bool:
        """A device is contacted (slow, network-bound), as opposed to files read on this host."""
        src = self.source
        return src.live if isinstance(src, PcapSource) else src.LIVE

    def message(self) -> dict[str, Any]:
        """What distributed mode sends: the target as written (references, never secrets; paths unresolved)."""
        return self.model_dump(mode="json")


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
