"""Inventory: clinics -> sites -> targets, in the spirit of Nornir/Ansible inventories.

A target is offline (``config_dir``: a copied configuration tree) or live (``address`` and
``ssh``: the tree is read over SFTP). Credentials are references (env:, file:, keyring:),
never values; they are resolved only when a collector connects.
Errors name the file, line and field, never a traceback.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Optional

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from voxaudit.collectors.packets import PcapSpec
from voxaudit.collectors.sip import SipSpec
from voxaudit.collectors.snmp import SnmpSpec, SnmpUser
from voxaudit.collectors.ssh import SshSpec
from voxaudit.collectors.switch_cli import SwitchCliSpec
from voxaudit.collectors.tls import TlsTarget
from voxaudit.credentials import validate_ref
from voxaudit.engine.collect import SUPPORTED_PLATFORMS, TargetEntry, TargetSpec
from voxaudit.structured import StructuredFileError, load_yaml


class InventoryError(Exception):
    pass


class SshIn(BaseModel):
    """How to read a live device's configuration: SFTP, read-only, host key verified."""

    port: int = Field(22, ge=1, le=65535)
    username: str
    password: Optional[str] = None  # a reference: env:NAME, file:PATH, keyring:SERVICE/USER
    key: Optional[str] = None  # a reference to a private key file: file:PATH
    known_hosts: Optional[str] = None  # default: the user's ~/.ssh/known_hosts
    trust_on_first_use: bool = False
    timeout: float = Field(10.0, gt=0, le=300)
    config_dir: str
    spool_dir: Optional[str] = None
    logrotate: list[str] = Field(default_factory=list)

    model_config = {"extra": "forbid"}

    @field_validator("password", "key")
    @classmethod
    def _reference(cls, value: Optional[str]) -> Optional[str]:
        return validate_ref(value) if value is not None else None

    @model_validator(mode="after")
    def _has_credential(self) -> "SshIn":
        if not self.password and not self.key:
            raise ValueError("give key: file:PATH or password: env:NAME (a reference, not the secret)")
        return self


class SipIn(BaseModel):
    """SIP probes. enumeration and invite can reveal users or ring phones: off unless enabled."""

    udp: Optional[int] = Field(5060, ge=1, le=65535)
    tcp: Optional[int] = Field(5060, ge=1, le=65535)
    tls: Optional[int] = Field(5061, ge=1, le=65535)
    domain: str = ""
    timeout: float = Field(2.0, gt=0, le=30)
    tls_server_name: str = ""
    ca_file: str = ""
    enumeration: bool = False
    known_user: str = ""
    invite: bool = False
    invite_target: str = ""
    rate_per_second: float = Field(2.0, gt=0, le=20)

    model_config = {"extra": "forbid"}

    @model_validator(mode="after")
    def _opt_ins_are_complete(self) -> "SipIn":
        if self.enumeration and not self.known_user:
            raise ValueError("enumeration: true needs known_user (an extension that exists) to compare against")
        if self.invite and not self.invite_target:
            raise ValueError("invite: true needs invite_target (an extension; its phone may ring briefly)")
        return self


class TlsIn(BaseModel):
    port: int = Field(ge=1, le=65535)
    purpose: str = "https-admin"
    server_name: str = ""
    ca_file: str = ""
    cipher_suites: bool = False
    timeout: float = Field(5.0, gt=0, le=60)

    model_config = {"extra": "forbid"}


class PcapIn(BaseModel):
    file: Optional[str] = None  # a capture (pcap/pcapng)
    interface: str = ""  # or: sniff this interface (opt-in; needs capture rights)
    seconds: float = Field(0, ge=0, le=300)
    max_packets: int = Field(50_000, ge=1, le=200_000)
    capture_point: str = ""  # trunk, access, span

    model_config = {"extra": "forbid"}

    @model_validator(mode="after")
    def _file_or_sniff(self) -> "PcapIn":
        if not self.file and not (self.interface and self.seconds):
            raise ValueError("give file: PATH, or interface and seconds to sniff (opt-in)")
        return self


class SnmpUserIn(BaseModel):
    username: str
    auth: Optional[str] = None  # reference to the auth passphrase
    priv: Optional[str] = None  # reference to the privacy passphrase
    auth_protocol: Literal["md5", "sha", "sha256", "sha512"] = "sha"
    priv_protocol: Literal["des", "aes", "aes256"] = "aes"

    model_config = {"extra": "forbid"}

    @field_validator("auth", "priv")
    @classmethod
    def _reference(cls, value: Optional[str]) -> Optional[str]:
        return validate_ref(value) if value is not None else None


class SnmpIn(BaseModel):
    port: int = Field(161, ge=1, le=65535)
    communities: list[str] = Field(default_factory=list)  # references, e.g. env:SWITCH_COMMUNITY
    try_default_communities: bool = False  # opt-in: also try 'public' and 'private'
    users: list[SnmpUserIn] = Field(default_factory=list)
    timeout: float = Field(1.5, gt=0, le=30)

    model_config = {"extra": "forbid"}

    @field_validator("communities")
    @classmethod
    def _references(cls, value: list[str]) -> list[str]:
        return [validate_ref(v) for v in value]


class CliIn(BaseModel):
    """A switch's CLI over SSH (netmiko): show commands only."""

    device_type: Literal["cisco_ios", "cisco_xe", "arista_eos", "hp_procurve", "aruba_procurve"] = "cisco_ios"
    port: int = Field(22, ge=1, le=65535)
    username: str
    password: Optional[str] = None
    key: Optional[str] = None
    enable_secret: Optional[str] = None
    known_hosts: Optional[str] = None
    trust_on_first_use: bool = False
    timeout: float = Field(15.0, gt=0, le=300)

    model_config = {"extra": "forbid"}

    @field_validator("password", "key", "enable_secret")
    @classmethod
    def _reference(cls, value: Optional[str]) -> Optional[str]:
        return validate_ref(value) if value is not None else None


class TargetIn(BaseModel):
    name: str
    platform: str
    address: Optional[str] = None
    config_dir: Optional[str] = None  # offline: a copied tree
    spool_dir: Optional[str] = None
    logrotate: list[str] = Field(default_factory=list)
    ssh: Optional[SshIn] = None  # live: read the tree from the device
    sip: Optional[SipIn] = None  # platform sip: probe the SIP service at address
    tls: list[TlsIn] = Field(default_factory=list)  # platform tls: scan these ports at address
    pcap: Optional[PcapIn] = None  # platform pcap: a capture file or an opt-in sniff
    snmp: Optional[SnmpIn] = None  # platform snmp: probe the agent at address
    cli: Optional[CliIn] = None  # platform switch: read it live over its CLI

    model_config = {"extra": "forbid"}

    @model_validator(mode="after")
    def _offline_or_live(self) -> "TargetIn":
        if self.platform == "sip":
            if not self.address:
                raise ValueError("a sip target needs an address")
            if self.sip is None:
                self.sip = SipIn.model_validate({})
        elif self.platform == "snmp":
            if not self.address or self.snmp is None:
                raise ValueError("an snmp target needs an address and an snmp: section")
        elif self.platform == "pcap":
            if self.pcap is None:
                raise ValueError("a pcap target needs a pcap: section")
        elif self.platform == "tls":
            if not self.address or not self.tls:
                raise ValueError("a tls target needs an address and a list of tls: ports")
        elif self.platform == "switch" and self.cli is not None:
            if not self.address:
                raise ValueError("a switch with cli: needs an address")
        elif self.ssh is None and not self.config_dir:
            raise ValueError("a target needs config_dir (offline copy) or ssh (live collection)")
        if self.ssh is not None and not self.address:
            raise ValueError("an ssh target needs an address")
        return self

    @field_validator("platform")
    @classmethod
    def _known_platform(cls, value: str) -> str:
        if value not in SUPPORTED_PLATFORMS:
            raise ValueError(f"unknown platform {value!r}; one of {', '.join(SUPPORTED_PLATFORMS)}")
        return value


class SiteIn(BaseModel):
    name: str
    scanner_vantage: str = ""  # where the scanner sits at this site: data, voice, management...
    # Distributed mode: the broker queue of the collector that runs at this site (default: from its name).
    collector_queue: str = ""
    targets: list[TargetIn]

    model_config = {"extra": "forbid"}


class ClinicIn(BaseModel):
    name: str
    sites: list[SiteIn]

    model_config = {"extra": "forbid"}


class InventoryIn(BaseModel):
    clinics: list[ClinicIn]

    model_config = {"extra": "forbid"}


def _line_of(node: yaml.Node, loc: tuple[Any, ...]) -> Optional[int]:
    """Walk the composed YAML tree along a pydantic error location to find its line."""
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == part), None)
            if nxt is None:
                return node.start_mark.line + 1
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
    return node.start_mark.line + 1


def target_spec(t: TargetIn, clinic: str, site: SiteIn, base: Path) -> TargetSpec:
    """One validated inventory entry as a collector spec. Relative paths (trees, known_hosts, CA and
    key files) resolve against ``base``: the inventory's folder, or a site collector's own folder
    in distributed mode. Credentials stay references until a collector connects."""
    ssh = None
    if t.ssh is not None:
        s = t.ssh
        ssh = SshSpec(host=t.address or "", port=s.port, username=s.username, password=s.password,
                      key=s.key, known_hosts=(base / s.known_hosts) if s.known_hosts else None,
                      trust_on_first_use=s.trust_on_first_use, timeout=s.timeout,
                      config_dir=s.config_dir, spool_dir=s.spool_dir, logrotate=list(s.logrotate), base=base)
    sip = None
    if t.sip is not None and t.platform == "sip":
        q = t.sip
        sip = SipSpec(address=t.address or "", udp=q.udp, tcp=q.tcp, tls=q.tls, domain=q.domain,
                      timeout=q.timeout, vantage=site.scanner_vantage, enumeration=q.enumeration,
                      known_user=q.known_user, invite=q.invite, invite_target=q.invite_target,
                      rate_per_second=q.rate_per_second, tls_server_name=q.tls_server_name,
                      ca_file=str(base / q.ca_file) if q.ca_file else "")
    tls = [TlsTarget(host=t.address or "", port=e.port, purpose=e.purpose, server_name=e.server_name,
                     timeout=e.timeout, ca_file=str(base / e.ca_file) if e.ca_file else "",
                     cipher_suites=e.cipher_suites) for e in t.tls] if t.platform == "tls" else []
    pcap = None
    if t.pcap is not None:
        pcap = PcapSpec(path=(base / t.pcap.file) if t.pcap.file else None, interface=t.pcap.interface,
                        seconds=t.pcap.seconds, max_packets=t.pcap.max_packets, capture_point=t.pcap.capture_point)
    snmp = None
    if t.snmp is not None and t.platform == "snmp":
        snmp = SnmpSpec(address=t.address or "", port=t.snmp.port, communities=list(t.snmp.communities),
                        try_default_communities=t.snmp.try_default_communities, timeout=t.snmp.timeout,
                        users=[SnmpUser(**u.model_dump()) for u in t.snmp.users], base=base)
    cli = None
    if t.cli is not None:
        c = t.cli
        cli = SwitchCliSpec(host=t.address or "", username=c.username, device_type=c.device_type,
                            port=c.port, password=c.password, key=c.key, enable_secret=c.enable_secret,
                            known_hosts=(base / c.known_hosts) if c.known_hosts else None,
                            trust_on_first_use=c.trust_on_first_use, timeout=c.timeout, base=base)
    return TargetSpec(
        name=t.name, platform=t.platform, sip=sip, tls=tls, pcap=pcap, snmp=snmp, cli=cli,
        vantage=site.scanner_vantage,
        config_dir=(base / t.config_dir) if t.config_dir else Path(t.ssh.config_dir if t.ssh else "."),
        spool_dir=(base / t.spool_dir) if t.spool_dir else None,
        logrotate=[base / p for p in t.logrotate], clinic=clinic, site=site.name, ssh=ssh,
        entry=TargetEntry(target=t.model_dump(mode="json"), clinic=clinic,
                          site=site.name, vantage=site.scanner_vantage, queue=site.collector_queue),
    )


def load_inventory(path: Path) -> list[TargetSpec]:
    path = Path(path)
    try:
        data, tree = load_yaml(path, "inventory")
    except StructuredFileError as exc:
        raise InventoryError(str(exc)) from None
    try:
        inv = InventoryIn.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        line = _line_of(tree, first["loc"]) if tree is not None else None
        hint = f" (supported platforms: {', '.join(SUPPORTED_PLATFORMS)})" if "platform" in field else ""
        raise InventoryError(f"{path}:{line or '?'}: {field}: {first['msg']}{hint}") from None
    base = path.parent
    specs: list[TargetSpec] = []
    seen: set[str] = set()
    for clinic in inv.clinics:
        for site in clinic.sites:
            for t in site.targets:
                if t.name in seen:  # results are keyed by target name
                    raise InventoryError(f"{path}: target name {t.name!r} is used twice; names must be unique")
                seen.add(t.name)
                specs.append(target_spec(t, clinic.name, site, base))
    if not specs:
        raise InventoryError(f"{path}: no targets")
    return specs
