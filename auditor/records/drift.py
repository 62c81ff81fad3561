"""Configuration against the wire: one requirement as a host's configuration states it and as probes or a
capture of the same host saw it, compared (built by :mod:`voxaudit.engine.drift`, judged by checks/drift.py)."""
from __future__ import annotations

from voxaudit.records.base import Record


class WireComparison(Record, frozen=True, kw_only=True):
    """What a configuration claims for one requirement, and what the wire showed on the same host.

    ``subject`` names the configured setting (the listener, profile or interface) and ``source`` its file
    and line; ``configured`` says what the configuration claims, with each deciding setting's file:line;
    ``wire`` what was seen, naming the live target, host:port and the answer; ``claimed``: the
    configuration makes a claim the wire can contradict (False: nothing to compare, e.g. it already admits
    plaintext SIP, which the requirement's own control judges); ``drift``: the wire contradicts it;
    ``stricter``: the wire is stricter than the configuration (a stale copy, not a risk);
    ``undecidable``: why the two cannot be compared (one side's evidence is missing or failed)."""

    configured: str = ""
    wire: str = ""
    claimed: bool = True
    drift: bool = False
    stricter: bool = False
    undecidable: str = ""


# What fixes any drift, whatever the platform: the running service and the configuration copy must agree.
WIRE_FIX = ("make the running service match this configuration (reload or restart it from this file, or find the "
            "other process or host answering there), or correct the configuration copy; then scan both again")
