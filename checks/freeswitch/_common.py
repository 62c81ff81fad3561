"""Helpers of the 1.x FreeSWITCH checks; the platform knowledge lives in the FreeSWITCH adapter now."""
from __future__ import annotations

from auditor.check import CheckContext, Outcome
from auditor.facts.common import ConfigObject
from auditor.model import ErrorKind
from auditor.platforms.freeswitch.common import (  # noqa: F401
    ALLOW_ALL_ACLS,
    HOST_ADDRESS_VARIABLES,
    PLATFORMS,
    TLS_NAMES,
    acl_limits,
    fs_true,
    profile_label,
    runtime_reason,
    runtime_secret,
    runtime_var,
    unresolved,
)


def not_assessable(ctx: CheckContext, resource: str, obj: ConfigObject, *keys: str) -> Outcome | None:
    """ERROR (never PASS) when a deciding setting or secret is only known on the running host."""
    hidden = runtime_reason(obj, *keys)
    if hidden is None:
        return None
    return ctx.unknown(resource, hidden[0], ErrorKind.NOT_COLLECTED, hidden[1])
