"""SNMP management access: communities, the legacy versions, SNMPv3 security levels."""
from __future__ import annotations

from voxaudit.records.base import Record
from voxaudit.records.secrets import ABSENT, SecretShape


class SnmpCommunity(Record, frozen=True, kw_only=True):
    """A community that opens the agent: as configured (its shape, whether it writes), or a
    factory default tried on the wire (``observed``) with the versions it was answered over."""

    label: str
    secret: SecretShape = ABSENT
    writable: bool = False
    answered_over: tuple[str, ...] = ()
    undecidable: str = ""  # why the community's shape is not known (a deployment placeholder)


class CleartextSnmp(Record, frozen=True, kw_only=True):
    """The cleartext SNMP versions (v1/v2c) on one agent or one community.

    Configured: ``active`` with the community's ``access``, or a whole device with none active.
    Observed: a community from the inventory and the versions it was answered over."""

    community: str = ""
    active: bool = False
    access: str = ""
    answered_over: tuple[str, ...] = ()


class SnmpV3Security(Record, frozen=True, kw_only=True):
    """The security levels an SNMPv3 user or group is accepted at ("noAuthNoPriv", "authNoPriv",
    "authPriv"); ``undecidable`` says why they could not be established."""

    user: str
    levels: tuple[str, ...] = ()
    undecidable: str = ""
