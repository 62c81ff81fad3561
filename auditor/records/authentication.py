"""Who must prove who they are: account secrets, and what a SIP service does with requests that carry
no credentials (configured, or observed on the wire)."""
from __future__ import annotations

from voxaudit.records.base import Record
from voxaudit.records.secrets import Credential


class AccountSecret(Credential, frozen=True, kw_only=True):
    """An account's secret as configured (SIP, management interface, event socket, database, device admin).

    ``setting`` names where the secret is set in the platform's words when evidence should say so
    ("static.security.user_password"), or "". ``option`` is the option holding it, for the adapter's
    exact fix only (a control never reads it)."""

    setting: str = ""
    option: str = ""


ACCEPTED = "accepted"      # taken without credentials from anyone who reaches it
CHALLENGED = "challenged"  # asked for credentials
REFUSED = "refused"        # turned away
TRUSTED = "trusted"        # taken without credentials only from listed source addresses (a carrier trunk)
UNDECIDED = ""             # cannot be told: see ``undecidable``


class UnauthenticatedRequest(Record, frozen=True, kw_only=True):
    """What one SIP entry point (an endpoint, a profile, the routing logic, a listener probed on the
    wire) does with a request of kind ``request`` ("call" or "registration") that carries no credentials.

    ``outcome``: one of ACCEPTED, CHALLENGED, REFUSED, TRUSTED, or UNDECIDED with ``undecidable`` saying
    why. ``detail``: what shows it, in the platform's or the protocol's words (quoted as evidence).
    ``inactive``: why nothing here takes SIP requests at all (the requirement does not apply)."""

    request: str
    outcome: str = UNDECIDED
    detail: str = ""
    undecidable: str = ""
    inactive: str = ""


class UserDisclosure(Record, frozen=True, kw_only=True):
    """Whether a SIP service answers requests for unknown users differently from known ones, so that a
    scanner can list valid accounts.

    ``disclosed``: True when it does, False when it does not; ``detail`` what shows it (quoted);
    ``undecidable`` why it cannot be told; ``inactive`` why nothing here answers SIP at all (the
    requirement does not apply)."""

    disclosed: bool = False
    detail: str = ""
    undecidable: str = ""
    inactive: str = ""
